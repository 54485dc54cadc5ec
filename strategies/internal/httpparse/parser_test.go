package httpparse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
)

// outcome is everything a parse produces, to compare two parses.
type outcome struct {
	status    int
	keepAlive bool
	body      string
	used      int // bytes of the input the response took
	err       error
}

// parseIn feeds data in the given pieces, then EOF if the response has not
// ended, and reports what came of it.
func parseIn(pieces [][]byte) outcome {
	var body bytes.Buffer
	p := Parser{MaxBodyBytes: 1 << 20, Body: func(b []byte) { body.Write(b) }}
	o := outcome{}
	for _, piece := range pieces {
		n, err := p.Feed(piece)
		o.used += n
		if err != nil {
			o.err = err
			break
		}
		if p.Done() {
			break
		}
	}
	if o.err == nil && !p.Done() {
		o.err = p.EOF()
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

func FuzzParser(f *testing.F) {
	for _, s := range handmade {
		f.Add([]byte(s), uint8(7))
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
	})
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
