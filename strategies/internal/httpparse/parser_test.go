package httpparse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
)

// outcome is everything a parse produces, to compare two parses.
type outcome struct {
	status         int
	keepAlive      bool
	closeDelimited bool // the body ran to the end of the input
	body           string
	used           int // bytes of the input the response took
	err            error
	inHead         bool // err came before the head was parsed
}

func (o outcome) String() string {
	return fmt.Sprintf("status %d, keep-alive %v, close-delimited %v, body %.40q (%d bytes), used %d, error %v (in the head: %v)",
		o.status, o.keepAlive, o.closeDelimited, o.body, len(o.body), o.used, o.err, o.inHead)
}

// parseInMaxBody is the body limit parseIn sets.
const parseInMaxBody = 1 << 20

// parseIn feeds data in the given pieces, then EOF if the response has not
// ended, and reports what came of it.
func parseIn(pieces [][]byte) outcome {
	var body bytes.Buffer
	p := Parser{MaxBodyBytes: parseInMaxBody, Body: func(b []byte) { body.Write(b) }}
	o := outcome{}
	for _, piece := range pieces {
		n, err := p.Feed(piece)
		o.used += n
		o.closeDelimited = o.closeDelimited || p.st == untilClose
		if err != nil {
			o.err, o.inHead = err, p.st == inHeader
			break
		}
		if p.Done() {
			break
		}
	}
	if o.err == nil && !p.Done() {
		o.err, o.inHead = p.EOF(), p.st == inHeader
	}
	o.status, o.keepAlive, o.body = p.Status, p.KeepAlive, body.String()
	return o
}

// same compares two outcomes; errors count as the same when they wrap the
// same sentinel (the detail may differ: the cut moves where it is noticed).
func same(a, b outcome) bool {
	sameErr := a.err == nil && b.err == nil || a.err != nil && b.err != nil && errors.Is(a.err, errors.Unwrap(b.err))
	return sameErr && a.status == b.status && a.keepAlive == b.keepAlive && a.body == b.body && (a.err != nil || a.used == b.used)
}

// capture fetches raw responses from the mock server, in every framing it
// can send, so that the parser is tested on bytes a real server wrote.
func capture(t testing.TB) map[string][]byte {
	srv, err := mockserver.Start(mockserver.Config{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	out := map[string][]byte{}
	for _, q := range []string{"", "?chunked=1&chunks=7", "?body=close", "?fault=status:503", "?fault=no-temperature&chunked=1"} {
		for _, path := range []string{mockserver.HTMLPath("KNYC"), mockserver.TXTPath("EGLC")} {
			c, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "GET "+path+q+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			raw, _ := io.ReadAll(c)
			c.Close()
			out[path+q] = raw
		}
	}
	return out
}

// handmade are responses the mock server never sends.
var handmade = map[string]string{
	"interim 100 then 200": "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	"chunk extensions and trailers": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5;name=value\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n",
	"folded header and odd case": "HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh:\t3\r\nX-Long: a\r\n  continued\r\nCONNECTION: Close\r\n\r\nabc",
	"bare LF lines":              "HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
	"HTTP/1.0 close-delimited":   "HTTP/1.0 200 OK\r\n\r\nuntil the end",
	"HTTP/1.0 keep-alive":        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
	"204 has no body":            "HTTP/1.1 204 No Content\r\n\r\n",
	"empty reason":               "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
	"pipelined leftover":         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n",
}

func allResponses(t testing.TB) map[string][]byte {
	all := capture(t)
	for name, s := range handmade {
		all[name] = []byte(s)
	}
	return all
}

// TestEverySplitPoint: delivered in two pieces at any point, or a byte at a
// time, a response parses exactly as it does in one piece.
func TestEverySplitPoint(t *testing.T) {
	for name, raw := range allResponses(t) {
		whole := parseIn([][]byte{raw})
		if whole.err != nil || whole.status == 0 {
			t.Fatalf("%s: whole: %+v", name, whole)
		}
		for i := 1; i < len(raw); i++ {
			if got := parseIn([][]byte{raw[:i], raw[i:]}); !same(got, whole) {
				t.Fatalf("%s cut at %d: %+v; whole: %+v", name, i, got, whole)
			}
		}
		bytewise := make([][]byte, len(raw))
		for i := range raw {
			bytewise[i] = raw[i : i+1]
		}
		if got := parseIn(bytewise); !same(got, whole) {
			t.Errorf("%s byte by byte: %+v; whole: %+v", name, got, whole)
		}
	}
}

func TestParsedValues(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		keepAlive bool
		body      string
		used      int
	}{
		{"interim 100 then 200", 200, true, "hello", -1},
		{"chunk extensions and trailers", 200, true, "hello abcdefghijklmnopqrstuvwxy", -1},
		{"folded header and odd case", 200, false, "abc", -1},
		{"HTTP/1.0 close-delimited", 200, false, "until the end", -1},
		{"HTTP/1.0 keep-alive", 200, true, "x", -1},
		{"204 has no body", 204, true, "", -1},
		{"pipelined leftover", 200, true, "ok", len("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")},
	}
	for _, tt := range tests {
		raw := handmade[tt.name]
		got := parseIn([][]byte{[]byte(raw)})
		want := tt.used
		if want < 0 {
			want = len(raw)
		}
		if got.err != nil || got.status != tt.status || got.keepAlive != tt.keepAlive || got.body != tt.body || got.used != want {
			t.Errorf("%s: %+v; want status %d keep-alive %v body %q used %d", tt.name, got, tt.status, tt.keepAlive, tt.body, want)
		}
	}
}

func TestMalformed(t *testing.T) {
	long := strings.Repeat("x", DefaultMaxHeaderBytes)
	tests := []struct {
		name, raw string
		want      error
	}{
		{"broken status line", "HTTP/1.1 OK 200\r\n\r\n", ErrMalformed},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", ErrMalformed},
		{"status too short", "HTTP/1.1 20 OK\r\n\r\n", ErrMalformed},
		{"header without colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", ErrMalformed},
		{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx", ErrMalformed},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", ErrMalformed},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", ErrMalformed},
		{"unknown encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", ErrMalformed},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ErrMalformed},
		{"negative chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n", ErrMalformed},
		{"signed chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", ErrMalformed},
		{"signed length", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", ErrMalformed},
		{"chunk longer than its size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", ErrMalformed},
		{"huge header", "HTTP/1.1 200 OK\r\nX: " + long + "\r\n\r\n", ErrMalformed},
		{"huge header, unfinished", "HTTP/1.1 200 OK\r\nX: " + long, ErrMalformed},
		{"body over the limit", "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", ErrBodyTooLarge},
		{"chunked over the limit", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n" + strings.Repeat("y", 1<<20+1), ErrBodyTooLarge},
		{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", ErrUnexpectedEOF},
		{"closed in the head", "HTTP/1.1 200 OK\r\nContent-", ErrUnexpectedEOF},
		{"closed mid-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		got := parseIn([][]byte{[]byte(tt.raw)})
		var pe *Error
		if !errors.Is(got.err, tt.want) || !errors.As(got.err, &pe) {
			t.Errorf("%s: error %v; want a *Error wrapping %v", tt.name, got.err, tt.want)
		}
	}
}

func TestReset(t *testing.T) {
	var bodies []string
	p := Parser{Body: func(b []byte) { bodies = append(bodies, string(b)) }}
	stream := []byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\noneHTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\ntwo")
	n, err := p.Feed(stream)
	if err != nil || !p.Done() || p.Status != 200 {
		t.Fatalf("first: used %d, %v, done %v, status %d", n, err, p.Done(), p.Status)
	}
	p.Reset()
	if _, err := p.Feed(stream[n:]); err != nil || !p.Done() || p.Status != 404 || strings.Join(bodies, "|") != "one|two" {
		t.Errorf("second: %v, status %d, bodies %q", err, p.Status, bodies)
	}
}

// TestKnownDifferences shows each known difference on an input, and that
// the responses the parser is meant for need none of them.
func TestKnownDifferences(t *testing.T) {
	const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	tests := []struct {
		name, raw, want string // want: the difference that explains it, "" for agreement
	}{
		{"version", "HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok", "other HTTP version"},
		{"code under 100", "HTTP/1.1 099 Odd\r\nContent-Length: 2\r\n\r\nok", "status code form"},
		{"two spaces before the code", "HTTP/1.1  200 OK\r\nContent-Length: 2\r\n\r\nok", "status code form"},
		{"signed code", "HTTP/1.1 +99 Odd\r\nContent-Length: 2\r\n\r\nok", "status code form"},
		{"space before colon", "HTTP/1.1 200 OK\r\nX-Odd : 1\r\nContent-Length: 2\r\n\r\nok", "space in a header name"},
		{"space in a name", "HTTP/1.0 200 \nC 0:0\n\n", "space in a header name"},
		{"control byte in a value", "HTTP/1.1 200 OK\r\nX-Ctl: a\x01b\r\nContent-Length: 2\r\n\r\nok", "header bytes net/http refuses"},
		{"control byte in Connection", "HTTP/1.0 200\nCONNECTION:\r0\n\n0", "header bytes net/http refuses"},
		{"CR in Connection", "HTTP/1.0 200 \n0:0\nConneCtion: Close\r \n\r\n0000", "header bytes net/http refuses"},
		{"control byte in a length's name", "HTTP/1.1 200 OK\r\nContent-Length\x01: 9\r\n\r\nok", "header bytes net/http refuses"},
		{"name not a token", "HTTP/1.1 200 OK\r\nX(y): 1\r\nContent-Length: 2\r\n\r\nok", "header bytes net/http refuses"},
		{"interim head unread", "HTTP/1.1 103 Early Hints\r\nLink\x01: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "interim head unread"},
		{"101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x00", "101 framed"},
		{"gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", "coding list ending in chunked"},
		{"chunked twice", chunked + "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", "coding list ending in chunked"},
		{"HTTP/1.0 chunked", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", "HTTP/1.0 Transfer-Encoding"},
		{"HTTP/1.0 gzip", "HTTP/1.0 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nok", "HTTP/1.0 Transfer-Encoding"},
		{"2 and 02", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 02\r\n\r\nok", "repeated Content-Length by value"},
		{"bare LF size line", chunked + "\r\n2\nok\r\n0\r\n\r\n", "bare LF in chunked framing"},
		{"bare LF after data", chunked + "\r\n2\r\nok\n0\r\n\r\n", "bare LF in chunked framing"},
		{"bare LF ends the trailers", chunked + "\r\n2\r\nok\r\n0\r\n\n", "bare LF in chunked framing"},
		{"bare LF everywhere", "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\n\n", "bare LF in chunked framing"},
		{"space before the extension", chunked + "\r\n2 ;x=y\r\nok\r\n0\r\n\r\n", "spaces around the chunk size"},
		{"space before the size", chunked + "\r\n 2\r\nok\r\n0\r\n\r\n", "spaces around the chunk size"},
		{"CR in an extension", chunked + "\r\n2;x\ry\r\nok\r\n0\r\n\r\n", "CR in a chunk extension"},
		{"chunk line of maxLine bytes", chunked + "\r\n2;" + strings.Repeat("x", maxLine-3) + "\r\nok\r\n0\r\n\r\n", "chunk line limit"},
		{"chunk overhead", chunked + "\r\n" + strings.Repeat("1;"+strings.Repeat("e", 100)+"\r\nx\r\n", 300) + "0\r\n\r\n", "chunk overhead"},
		{"16 hex digits", chunked + "\r\n0000000000000002\r\nok\r\n0\r\n\r\n", "chunk size digits"},
		{"trailer without colon", chunked + "\r\n2\r\nok\r\n0\r\nno colon\r\n\r\n", "trailers unread"},
		{"long trailers", chunked + "\r\n2\r\nok\r\n0\r\n" + strings.Repeat("X-T: "+strings.Repeat("t", 95)+"\r\n", 50) + "\r\n", "trailers unread"},
		{"Trailer: Content-Length", chunked + "Trailer: Content-Length\r\n\r\n2\r\nok\r\n0\r\n\r\n", "Trailer header unread"},
		{"head over the limit", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("h", DefaultMaxHeaderBytes) + "\r\nContent-Length: 2\r\n\r\nok", "head limit"},
		{"body over the limit", "HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("b", parseInMaxBody+1), "body limit"},

		{"both refuse a bad length", "HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", ""},
		{"both refuse a short body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", ""},
		{"both refuse a bad length beside chunked", chunked + "Content-Length: x\r\n\r\n2\r\nok\r\n0\r\n\r\n", ""},
		{"length beside chunked", chunked + "Content-Length: 9\r\n\r\n2\r\nok\r\n0\r\n\r\n", ""},
		{"both refuse a long chunk", chunked + "\r\n2\r\nabc\r\n0\r\n\r\n", ""},
		{"304 with a length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", ""},
		{"HTTP/1.0 204", "HTTP/1.0 204 No Content\r\n\r\n", ""},
		{"keep-alive and close", "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n", ""},
		{"folded length", "HTTP/1.1 200 OK\r\nContent-Length:\r\n 2\r\n\r\nok", ""},
		{"folded list ending in close", "HTTP/1.1 200 OK\r\nConnection: x,\r\n\tclose\r\nContent-Length: 0\r\n\r\n", ""},
		{"two interim heads", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.0 200 OK\r\n\r\nrest", ""},
	}
	for name, raw := range allResponses(t) {
		tests = append(tests, struct{ name, raw, want string }{name, string(raw), ""})
	}
	for _, tt := range tests {
		raw := []byte(tt.raw)
		ours, std := parseIn([][]byte{raw}), readStd(raw)
		got, err := compare(raw, ours, std)
		if err != nil || got != tt.want {
			t.Errorf("%s: difference %q, %v; want %q", tt.name, got, err, tt.want)
		}
		if tt.want != "" && disagreement(ours, std) == "" {
			t.Errorf("%s: the parsers agree; the difference %q is not shown", tt.name, tt.want)
		}
	}
}

// TestCompareCatchesWrongParses: the comparison the fuzzer relies on
// notices a parse that is wrong in any one way.
func TestCompareCatchesWrongParses(t *testing.T) {
	responses := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nnot\r\n5\r\nfound\r\n0\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nuntil the end",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n",
	}
	spoils := []struct {
		name  string
		spoil func(o *outcome)
	}{
		{"wrong status", func(o *outcome) { o.status++ }},
		{"body cut short", func(o *outcome) { o.body = o.body[:len(o.body)-1] }},
		{"body too long", func(o *outcome) { o.body += "x" }},
		{"wrong keep-alive", func(o *outcome) { o.keepAlive = !o.keepAlive }},
		{"wrong close-delimiting", func(o *outcome) { o.closeDelimited = !o.closeDelimited }},
		{"too few bytes used", func(o *outcome) { o.used-- }},
		{"refused", func(o *outcome) { o.err = malformed("header", "%q", "X") }},
	}
	for _, raw := range responses {
		ours := parseIn([][]byte{[]byte(raw)})
		std := readStd([]byte(raw))
		if _, err := compare([]byte(raw), ours, std); err != nil {
			t.Fatalf("%q: the right parse fails: %v", raw, err)
		}
		for _, s := range spoils {
			wrong := ours
			s.spoil(&wrong)
			if d, err := compare([]byte(raw), wrong, std); err == nil {
				t.Errorf("%q, %s: passes (difference %q)", raw, s.name, d)
			}
		}
	}
	// and an input net/http refuses, which a parser must not accept
	raw := []byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
	accepted := outcome{status: 200, keepAlive: true, body: "short", used: len(raw)}
	if _, err := compare(raw, accepted, readStd(raw)); err == nil {
		t.Errorf("%q accepted: passes", raw)
	}
}

// FuzzParser checks the parser twice on every input: cut in two it parses
// as it does whole, and whole it agrees with net/http.ReadResponse, except
// where one of the differences listed in knownDifferences says why not.
func FuzzParser(f *testing.F) {
	for _, raw := range allResponses(f) {
		f.Add(raw, uint8(7))
	}
	f.Fuzz(func(t *testing.T, raw []byte, cut uint8) {
		whole := parseIn([][]byte{raw})
		i := int(cut) % (len(raw) + 1)
		if got := parseIn([][]byte{raw[:i], raw[i:]}); !same(got, whole) {
			t.Fatalf("cut at %d: %+v; whole: %+v", i, got, whole)
		}
		if whole.used > len(raw) || whole.used < 0 {
			t.Fatalf("used %d of %d bytes", whole.used, len(raw))
		}
		if _, err := compare(raw, whole, readStd(raw)); err != nil {
			t.Fatalf("%.300q:\n%v", raw, err)
		}
	})
}

// stdOutcome is what net/http.ReadResponse makes of an input, read the
// way http.Transport reads it: interim (1xx) responses skipped, the
// body read to its end.
type stdOutcome struct {
	status         int
	keepAlive      bool // !resp.Close
	closeDelimited bool // no Content-Length, not chunked, and a status with a body
	chunked        bool
	proto          string
	body           string
	used           int
	err            error
	inHead         bool  // err came from ReadResponse, not from reading the body
	heads          []int // where each head ReadResponse read (or failed on) starts
	longestHead    int
}

func (o stdOutcome) String() string {
	return fmt.Sprintf("status %d, keep-alive %v, close-delimited %v, body %.40q (%d bytes), used %d, error %v (in the head: %v), %s, heads at %v",
		o.status, o.keepAlive, o.closeDelimited, o.body, len(o.body), o.used, o.err, o.inHead, o.proto, o.heads)
}

// readStd reads raw with net/http.ReadResponse, as a reply to a GET.
func readStd(raw []byte) stdOutcome {
	src := bytes.NewReader(raw)
	br := bufio.NewReader(src)
	pos := func() int { return len(raw) - src.Len() - br.Buffered() }
	var o stdOutcome
	for {
		start := pos()
		o.heads = append(o.heads, start)
		resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
		if err != nil {
			o.err, o.inHead = err, true
			return o
		}
		o.longestHead = max(o.longestHead, pos()-start)
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != 101 {
			continue // interim: no body, the response follows
		}
		o.status, o.keepAlive, o.proto = resp.StatusCode, !resp.Close, resp.Proto
		o.chunked = len(resp.TransferEncoding) > 0
		o.closeDelimited = resp.ContentLength < 0 && !o.chunked
		body, err := io.ReadAll(resp.Body)
		o.body, o.err, o.used = string(body), err, pos()
		return o
	}
}

// compare says whether our parse of raw agrees with net/http's. Where the
// two differ, it returns the name of the known difference that explains
// it, or an error when none does.
func compare(raw []byte, ours outcome, std stdOutcome) (difference string, err error) {
	mismatch := disagreement(ours, std)
	if mismatch == "" {
		return "", nil
	}
	for _, d := range knownDifferences {
		if d.explains != nil && d.explains(raw, ours, std) {
			return d.name, nil
		}
		if d.rewrite == nil {
			continue
		}
		if again := d.rewrite(raw, ours, std); again != nil && !bytes.Equal(again, raw) {
			if _, err := compare(again, ours, readStd(again)); err == nil {
				return d.name, nil
			}
		}
	}
	return "", fmt.Errorf("%s\nours:     %v\nnet/http: %v", mismatch, ours, std)
}

// disagreement describes how two outcomes differ, or is "" when they agree:
// both reject the input, or both accept it with the same status, framing,
// body and length.
func disagreement(ours outcome, std stdOutcome) string {
	switch {
	case ours.err != nil && std.err != nil:
		return ""
	case ours.err != nil:
		return fmt.Sprintf("we reject what net/http accepts: %v", ours.err)
	case std.err != nil:
		return fmt.Sprintf("we accept what net/http rejects: %v", std.err)
	case ours.status != std.status:
		return fmt.Sprintf("status %d; net/http %d", ours.status, std.status)
	case ours.keepAlive != std.keepAlive:
		return fmt.Sprintf("keep-alive %v; net/http %v", ours.keepAlive, std.keepAlive)
	case ours.closeDelimited != std.closeDelimited:
		return fmt.Sprintf("close-delimited %v; net/http %v", ours.closeDelimited, std.closeDelimited)
	case ours.body != std.body:
		return fmt.Sprintf("body %q; net/http %q", ours.body, std.body)
	case ours.used != std.used:
		return fmt.Sprintf("used %d bytes; net/http %d", ours.used, std.used)
	}
	return ""
}

// knownDifferences are the places where the parser deliberately reads a
// response otherwise than net/http does. Each explains a disagreement only
// when its own condition holds (explains), or when net/http agrees with our
// parse of raw once raw is rewritten so that the difference is gone
// (rewrite; nil when it does not apply). Anywhere else the two must agree.
var knownDifferences = []struct {
	name     string
	explains func(raw []byte, ours outcome, std stdOutcome) bool
	rewrite  func(raw []byte, ours outcome, std stdOutcome) []byte
}{
	// net/http takes any "HTTP/x.y" (HTTP/0.9, HTTP/1.2, HTTP/2.0); we take
	// only HTTP/1.0 and HTTP/1.1: we send HTTP/1.1 requests, and a server
	// answering in another version is not one we can read.
	{name: "other HTTP version", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		pe := parseError(ours.err)
		return std.err == nil && pe != nil && pe.Where == "status line" && strings.HasPrefix(pe.Detail, "version")
	}},
	// net/http reads the status code with strconv.Atoi after any number of
	// spaces, so "HTTP/1.1  200", "+99" and codes below 100 pass; we want one
	// space, then three digits (RFC 9112 §4) from 100 up (RFC 9110 §15).
	{name: "status code form", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		pe := parseError(ours.err)
		if std.err != nil || pe == nil || pe.Where != "status line" {
			return false
		}
		for _, at := range std.heads {
			line, _ := cutLine(raw[at:])
			_, rest, _ := bytes.Cut(line, []byte(" "))
			code, _, _ := bytes.Cut(rest, []byte(" "))
			if len(code) != 3 || !allDigits(code) || code[0] == '0' {
				return true
			}
		}
		return false
	}},
	// net/http accepts spaces in a header's name, before its colon too,
	// and then does not take the line for the header it names
	// (golang/go#34540); we reject the response: such a name is not a
	// token, RFC 9112 §5.1 has whitespace before the colon rejected, and a
	// name that is not what it seems is how framing is smuggled.
	{name: "space in a header name", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		line, ok := errorLine(ours.err, "header")
		name, _, found := strings.Cut(line, ":")
		return std.err == nil && ok && found && strings.Contains(name, " ") && !strings.Contains(name, "\t")
	}},
	// We skip a 1xx interim response's head without reading its headers: it
	// has no body, and nothing in it concerns a GET. net/http reads them as
	// it reads any head, and may refuse them.
	{name: "interim head unread", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		if !std.inHead {
			return false
		}
		line, _ := cutLine(raw[std.heads[len(std.heads)-1]:])
		status, _, err := parseStatusLine(line)
		return err == nil && status >= 100 && status < 200 && status != 101
	}},
	// net/http refuses header names that are not tokens and values holding
	// control bytes; we read only the three headers that frame the body
	// (Content-Length, Transfer-Encoding, Connection) and skip the others
	// unread, and in those three a stray byte only makes a value we do not
	// recognise. So with each such byte made a plain letter, net/http must
	// agree with us.
	{name: "header bytes net/http refuses", rewrite: func(raw []byte, ours outcome, std stdOutcome) []byte {
		var pe textproto.ProtocolError
		if !std.inHead || !errors.As(std.err, &pe) || !strings.HasPrefix(string(pe), "malformed MIME header line") {
			return nil
		}
		return cleanHead(raw, std.heads[len(std.heads)-1])
	}},
	// net/http gives 101 Switching Protocols no body and reads no further:
	// the connection now speaks another protocol. We never ask to upgrade,
	// so we frame a 101 like any final response, to see where it ends.
	{name: "101 framed", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		return std.status == 101 && !std.inHead && ours.status == 101 && !(ours.err != nil && ours.inHead)
	}},
	// net/http accepts only one Transfer-Encoding header, exactly
	// "chunked"; we accept codings that end in chunked ("gzip, chunked"),
	// even over several lines, and remove only the chunking: the body stays
	// coded, which its reader will find, but the framing is sound.
	{name: "coding list ending in chunked", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		if !std.inHead || !errContains(std.err, "transfer encoding") {
			return false
		}
		h, ok := stdHeader(raw, std)
		if !ok {
			return false
		}
		for _, v := range h["Transfer-Encoding"] {
			last := v[strings.LastIndexByte(v, ',')+1:]
			if !strings.EqualFold(strings.Trim(last, " \t"), "chunked") {
				return false
			}
		}
		return true
	}},
	// net/http ignores Transfer-Encoding in an HTTP/1.0 response and frames
	// it by Content-Length or the close; we honour chunked in HTTP/1.0 too
	// (and refuse other codings there as in HTTP/1.1): a server that says
	// it chunks, chunks.
	{name: "HTTP/1.0 Transfer-Encoding", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		if std.inHead || std.proto != "HTTP/1.0" {
			return false
		}
		h, ok := stdHeader(raw, std)
		return ok && h["Transfer-Encoding"] != nil
	}},
	// net/http compares repeated Content-Length values as text, so "2" and
	// "02" conflict; we compare them as numbers.
	{name: "repeated Content-Length by value", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		if !std.inHead || !errContains(std.err, "multiple Content-Length headers") {
			return false
		}
		h, ok := stdHeader(raw, std)
		if !ok {
			return false
		}
		for _, v := range h["Content-Length"] {
			if !allDigits([]byte(strings.Trim(v, " \t"))) {
				return false
			}
		}
		return true
	}},
	// net/http wants CRLF at the end of every line of chunked framing and
	// after each chunk's data (RFC 9112 allows a bare LF only in the head;
	// erratum 7633, which would have allowed it here, was rejected); we
	// accept a bare LF here as in the head, for lax servers.
	{name: "bare LF in chunked framing", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		if ours.err != nil || std.inHead || !errContains(std.err, "bare LF", "malformed chunked encoding",
			"unexpected EOF reading trailer", "suspiciously long trailer") {
			return false
		}
		fr := chunkFramingOf(raw)
		for _, l := range slices.Concat(fr.sizes, fr.ends, fr.trailers) {
			if !strings.HasSuffix(l, "\r\n") {
				return true
			}
		}
		return false
	}},
	// We allow spaces and tabs on both sides of a chunk size, before its
	// ";" too (RFC 9112 §7.1.1 allows BWS there); net/http allows only
	// trailing ones, after the extension.
	{name: "spaces around the chunk size", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		if ours.err != nil || std.inHead || !errContains(std.err, "invalid byte in chunk length") {
			return false
		}
		spaced := false
		for _, l := range chunkFramingOf(raw).sizes {
			size, _, hasExt := strings.Cut(chunkLine(l), ";")
			if trimmed := strings.Trim(size, " \t"); !allHex([]byte(trimmed)) {
				return false // ours read it some other way
			}
			spaced = spaced || strings.TrimLeft(size, " \t") != size || hasExt && strings.TrimRight(size, " \t") != size
		}
		return spaced
	}},
	// We ignore a chunk extension, whatever its bytes; net/http refuses a
	// CR anywhere in a chunk-size line but at its end.
	{name: "CR in a chunk extension", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		if ours.err != nil || std.inHead || !errContains(std.err, "invalid CR in chunked line") {
			return false
		}
		for _, l := range chunkFramingOf(raw).sizes {
			if size, _, _ := strings.Cut(chunkLine(l), ";"); strings.Contains(size, "\r") {
				return false
			}
		}
		return true
	}},
	// net/http refuses a chunk-size line that does not fit its bufio
	// buffer with its CRLF (4 KiB by default); our bound is maxLine bytes
	// before the LF.
	{name: "chunk line limit", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		if ours.err != nil || std.inHead || !errContains(std.err, "line too long") {
			return false
		}
		for _, l := range chunkFramingOf(raw).sizes {
			if len(l)-1 > maxLine {
				return false
			}
		}
		return true
	}},
	// net/http refuses a chunked body carrying more than 16 KiB of framing
	// beyond 16 bytes a chunk plus twice its data, against floods of chunk
	// extensions; we bound only each line.
	{name: "chunk overhead", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		return ours.err == nil && !std.inHead && errContains(std.err, "too much non-data")
	}},
	// We refuse a chunk size of more than 15 hex digits, so that it fits an
	// int64 (up to 1 EiB); net/http reads 16, leading zeros included.
	{name: "chunk size digits", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		line, ok := errorLine(ours.err, "chunk size")
		size, _, _ := strings.Cut(line, ";")
		size = strings.Trim(size, " \t")
		return std.err == nil && ok && len(size) > 15 && allHex([]byte(size))
	}},
	// net/http reads the trailer section as a head (token names, values
	// without control bytes, ending in CRLF CRLF within its 4 KiB buffer);
	// we skip trailer lines unread up to the blank line: nothing in them
	// frames the body.
	{name: "trailers unread", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		if ours.err != nil || std.inHead {
			return false
		}
		var pe textproto.ProtocolError
		if !errors.As(std.err, &pe) && !errContains(std.err, "suspiciously long trailer") {
			return false
		}
		for _, l := range chunkFramingOf(raw).trailers {
			if chunkLine(l) != "" {
				return true
			}
		}
		return false
	}},
	// net/http refuses a chunked response whose Trailer header announces
	// Content-Length, Transfer-Encoding or Trailer; we read neither the
	// Trailer header nor the trailers.
	{name: "Trailer header unread", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		return std.inHead && errContains(std.err, "bad trailer key")
	}},
	// Our head is bounded by DefaultMaxHeaderBytes; ReadResponse has no
	// bound (http.Transport's MaxResponseHeaderBytes is not in it).
	{name: "head limit", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		pe := parseError(ours.err)
		return std.err == nil && pe != nil && pe.Where == "header" && strings.HasPrefix(pe.Detail, "longer than") &&
			std.longestHead > DefaultMaxHeaderBytes
	}},
	// Our body is bounded by MaxBodyBytes (parseIn sets one); net/http's
	// is not.
	{name: "body limit", explains: func(raw []byte, ours outcome, std stdOutcome) bool {
		return errors.Is(ours.err, ErrBodyTooLarge) && std.err == nil && len(std.body) > parseInMaxBody
	}},
}

// parseError is the *Error in err, or nil.
func parseError(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// errorLine is the line a parse error quotes, when it was found where.
func errorLine(err error, where string) (string, bool) {
	pe := parseError(err)
	if pe == nil || pe.Where != where {
		return "", false
	}
	line, err := strconv.Unquote(pe.Detail)
	return line, err == nil
}

// errContains reports whether err's text holds any of the phrases.
func errContains(err error, phrases ...string) bool {
	if err == nil {
		return false
	}
	for _, p := range phrases {
		if strings.Contains(err.Error(), p) {
			return true
		}
	}
	return false
}

// cleanHead returns raw with the bytes net/http refuses in the header
// lines of the head at offset at made into 'x': in a name, those that are
// not token characters (spaces are another difference); in a value,
// control characters but the tab.
func cleanHead(raw []byte, at int) []byte {
	out := bytes.Clone(raw)
	_, rest := cutLine(out[at:]) // after the status line
	for len(rest) > 0 {
		line, next := cutLine(rest) // a part of out, without its line end
		if len(line) == 0 {
			break
		}
		value := line
		if colon := bytes.IndexByte(line, ':'); colon >= 0 && line[0] != ' ' && line[0] != '\t' {
			for i, c := range line[:colon] {
				if c != ' ' && !isTokenByte(c) {
					line[i] = 'x'
				}
			}
			value = line[colon+1:]
		}
		for i, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				value[i] = 'x'
			}
		}
		rest = next
	}
	return out
}

func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// stdHeader reads again, with net/textproto, the headers of the last head
// net/http read, before net/http dropped any of them.
func stdHeader(raw []byte, std stdOutcome) (textproto.MIMEHeader, bool) {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw[std.heads[len(std.heads)-1]:])))
	if _, err := tp.ReadLine(); err != nil {
		return nil, false
	}
	h, err := tp.ReadMIMEHeader()
	return h, err == nil
}

// chunkFraming is the chunked framing of a response, line by line, each
// line with its line end.
type chunkFraming struct {
	sizes    []string // chunk-size lines
	ends     []string // the line ends after chunk data
	trailers []string // trailer lines, and the blank line ending them
}

// chunkFramingOf feeds raw to a parser and collects the lines it read in
// each state of a chunked body: the framing as the parser saw it, for the
// differences that depend on it. Other bytes go in one at a time, to see
// each state begin; a line goes in whole, as it does in one read.
func chunkFramingOf(raw []byte) chunkFraming {
	var fr chunkFraming
	var p Parser
	for len(raw) > 0 && !p.Done() {
		var lines *[]string
		switch p.st {
		case inChunkSize:
			lines = &fr.sizes
		case inChunkEnd:
			lines = &fr.ends
		case inTrailer:
			lines = &fr.trailers
		}
		piece := raw[:1]
		if i := bytes.IndexByte(raw, '\n'); lines != nil && i >= 0 {
			piece = raw[:i+1]
		}
		n, err := p.Feed(piece)
		if err != nil {
			break
		}
		if lines != nil && n == len(piece) && piece[n-1] == '\n' {
			*lines = append(*lines, string(piece))
		}
		raw = raw[n:]
	}
	return fr
}

// chunkLine is a line of chunked framing without its LF and one CR.
func chunkLine(l string) string {
	return strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
}

// nginxHead is the head nginx 1.22 (Debian's nginx-light) sends with a
// static page: the peer comparison's server (make peer-compare).
const nginxHead = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 30 Nov 2026 12:34:16 GMT\r\n" +
	"Content-Type: text/html\r\nContent-Length: %d\r\nLast-Modified: Mon, 30 Nov 2026 12:33:54 GMT\r\n" +
	"Connection: keep-alive\r\nETag: \"6b0d6d32-42a\"\r\nAccept-Ranges: bytes\r\n\r\n"

func BenchmarkParse(b *testing.B) {
	raw := capture(b)
	page := raw[mockserver.HTMLPath("KNYC")]
	_, body, _ := bytes.Cut(page, []byte("\r\n\r\n"))
	for _, bm := range []struct {
		name string
		raw  []byte
	}{
		{"server=mock/framing=length", page},
		{"server=mock/framing=chunked", raw[mockserver.HTMLPath("KNYC")+"?chunked=1&chunks=7"]},
		{"server=nginx/framing=length", append(fmt.Appendf(nil, nginxHead, len(body)), body...)},
	} {
		b.Run(bm.name, func(b *testing.B) {
			p := Parser{Body: func([]byte) {}}
			b.SetBytes(int64(len(bm.raw)))
			for b.Loop() {
				p.Reset()
				if _, err := p.Feed(bm.raw); err != nil || !p.Done() {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPartFollowsTheResponse feeds a chunked response a piece at a time:
// Part must name each part as the parser reaches it.
func TestPartFollowsTheResponse(t *testing.T) {
	var p Parser
	steps := []struct{ feed, part string }{
		{"", "header"},
		{"HTTP/1.1 200 OK\r\nTransfer-", "header"},
		{"Encoding: chunked\r\n\r\n", "chunk size"},
		{"5\r\nhel", "chunk data"},
		{"lo", "chunk end"},
		{"\r\n0\r\n", "trailer"},
		{"\r\n", "complete"},
	}
	for _, s := range steps {
		if _, err := p.Feed([]byte(s.feed)); err != nil {
			t.Fatalf("Feed(%q): %v", s.feed, err)
		}
		if got := p.Part(); got != s.part {
			t.Errorf("after %q: Part() = %q; want %q", s.feed, got, s.part)
		}
	}
	p.Reset()
	p.Feed([]byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab"))
	if got := p.Part(); got != "body" {
		t.Errorf("inside a Content-Length body: Part() = %q; want body", got)
	}
}
