package mockserver_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// The wire tests talk to the server through raw TCP, because what they
// check (resets, short bodies, split writes) is exactly what an HTTP
// client library would hide.

// rawGet opens a connection and sends a GET for path.
func rawGet(t *testing.T, srv *mockserver.Server, path string, headers ...string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sendGet(t, c, path, headers...)
	return c.(*net.TCPConn)
}

func sendGet(t *testing.T, c net.Conn, path string, headers ...string) {
	t.Helper()
	req := "GET " + path + " HTTP/1.1\r\nHost: test\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
}

// sendPieces opens a connection and writes the pieces, pause apart, so
// that each arrives in a read of its own. The test's end closes it.
func sendPieces(t *testing.T, srv *mockserver.Server, pieces []string, pause time.Duration) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for i, p := range pieces {
		if i > 0 {
			time.Sleep(pause)
		}
		if _, err := io.WriteString(c, p); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// readUntilEnd reads until the connection ends or d passes, and returns the
// bytes, the size of every read, and the error that ended it.
func readUntilEnd(c net.Conn, d time.Duration) ([]byte, []int, error) {
	c.SetReadDeadline(time.Now().Add(d))
	var all []byte
	var reads []int
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			all = append(all, buf[:n]...)
			reads = append(reads, n)
		}
		if err != nil {
			return all, reads, err
		}
	}
}

// splitResponse cuts raw bytes into the header block and the body.
func splitResponse(t *testing.T, raw []byte) (string, []byte) {
	t.Helper()
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no end of headers in %q", raw)
	}
	return string(head), body
}

func contentLength(t *testing.T, head string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Content-Length: (\d+)\r?$`).FindStringSubmatch(head)
	if m == nil {
		t.Fatalf("no Content-Length in %q", head)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestResetArrivesAsReset(t *testing.T) {
	srv := start(t, mockserver.Config{})
	for _, fault := range []string{"reset", "reset-mid-body"} {
		raw, _, err := readUntilEnd(rawGet(t, srv, mockserver.HTMLPath("KNYC")+"?fault="+fault), 5*time.Second)
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("%s: read ended with %v after %d bytes; want ECONNRESET", fault, err, len(raw))
		}
		if fault == "reset" && len(raw) != 0 {
			t.Errorf("reset: got %d bytes before the reset; want none", len(raw))
		}
	}
}

func TestTruncateLeavesBodyShort(t *testing.T) {
	srv := start(t, mockserver.Config{})
	raw, _, err := readUntilEnd(rawGet(t, srv, mockserver.HTMLPath("EGLC")+"?fault=truncate"), 5*time.Second)
	if err != io.EOF {
		t.Fatalf("read ended with %v; want a clean close (EOF)", err)
	}
	head, body := splitResponse(t, raw)
	if n := contentLength(t, head); len(body) >= n || len(body) == 0 {
		t.Errorf("Content-Length %d, got %d body bytes; want some, but fewer", n, len(body))
	}
}

func TestSplitArrivesInSeveralReads(t *testing.T) {
	srv := start(t, mockserver.Config{})
	tests := []struct {
		split     string
		minReads  int
		firstEnds func(first []byte) bool
	}{
		{"pieces:5:30ms", 5, func([]byte) bool { return true }},
		{"header-body:30ms", 2, func(first []byte) bool { return bytes.HasSuffix(first, []byte("\r\n\r\n")) }},
		{"mid-header:30ms", 2, func(first []byte) bool { return !bytes.HasSuffix(first, []byte("\n")) }},
	}
	for _, tt := range tests {
		c := rawGet(t, srv, mockserver.TXTPath("RJTT")+"?split="+tt.split, "Connection: close")
		raw, reads, err := readUntilEnd(c, 5*time.Second)
		if err != io.EOF || len(reads) < tt.minReads {
			t.Errorf("%s: %d reads %v, ended by %v; want at least %d, then EOF", tt.split, len(reads), reads, err, tt.minReads)
			continue
		}
		if !tt.firstEnds(raw[:reads[0]]) {
			t.Errorf("%s: first read %q does not end where the split should", tt.split, raw[:reads[0]])
		}
		if _, body := splitResponse(t, raw); len(body) == 0 {
			t.Errorf("%s: the pieces do not add up to a response", tt.split)
		}
	}
}

func TestBodyFramings(t *testing.T) {
	srv := start(t, mockserver.Config{Seed: 8})
	want, _ := mockserver.Observe(8, "SKBO")
	tests := []struct {
		query   string
		chunked bool
		length  int64 // -1: close-delimited or chunked
	}{
		{"", false, 0},
		{"?chunked=1&chunks=4", true, -1},
		{"?body=close", false, -1},
		{"?chunks=6&chunk-pause=5ms", false, 0},
	}
	for _, tt := range tests {
		tr := &http.Transport{}
		resp, err := (&http.Client{Transport: tr}).Get(srv.PageURL("SKBO") + tt.query)
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		got, found := strategies.ParseTemperature(body)
		isChunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
		switch {
		case err != nil || !found || got != want.TempF:
			t.Errorf("%s: body error %v, temperature %v (found %v); want %v", tt.query, err, got, found, want.TempF)
		case isChunked != tt.chunked:
			t.Errorf("%s: chunked %v; want %v", tt.query, isChunked, tt.chunked)
		case tt.length == -1 && resp.ContentLength != -1, tt.length == 0 && resp.ContentLength != int64(len(body)):
			t.Errorf("%s: ContentLength %d for %d bytes", tt.query, resp.ContentLength, len(body))
		}
	}
	// On the wire, four writes are four HTTP chunks.
	raw, _, _ := readUntilEnd(rawGet(t, srv, mockserver.HTMLPath("SKBO")+"?chunked=1&chunks=4", "Connection: close"), 5*time.Second)
	_, body := splitResponse(t, raw)
	if sizes := regexp.MustCompile(`(?m)^[0-9a-f]+\r$`).FindAll(body, -1); len(sizes) != 5 {
		t.Errorf("%d chunk-size lines; want 4 chunks and the last", len(sizes))
	}
}

func TestKeepAliveAndClose(t *testing.T) {
	srv := start(t, mockserver.Config{})
	c := rawGet(t, srv, "/stations")
	br := bufio.NewReader(c)
	for i := range 3 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if i < 2 {
			sendGet(t, c, mockserver.HTMLPath("KNYC"))
		} else {
			sendGet(t, c, mockserver.HTMLPath("KNYC"), "Connection: close")
		}
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil || !resp.Close { // net/http turns "Connection: close" into resp.Close
		t.Fatalf("last response: %v, close %v; want Connection: close", err, resp != nil && resp.Close)
	}
	io.Copy(io.Discard, resp.Body)
	if _, _, err := readUntilEnd(c, 2*time.Second); err != io.EOF {
		t.Errorf("after Connection: close, read got %v; want EOF", err)
	}
}

func TestHangIsBoundedByMaxHang(t *testing.T) {
	const maxHang = 200 * time.Millisecond
	srv := start(t, mockserver.Config{MaxHang: maxHang})
	begin := time.Now()
	raw, _, err := readUntilEnd(rawGet(t, srv, mockserver.HTMLPath("KNYC")+"?fault=hang"), 5*time.Second)
	took := time.Since(begin)
	if err != io.EOF || len(raw) != 0 || took < maxHang || took > maxHang+time.Second {
		t.Errorf("hang: %d bytes, ended by %v after %v; want nothing, then EOF after about %v", len(raw), err, took, maxHang)
	}
	raw, _, err = readUntilEnd(rawGet(t, srv, mockserver.HTMLPath("KNYC")+"?fault=hang-mid-body"), 5*time.Second)
	if head, body := splitResponse(t, raw); err != io.EOF || len(body) >= contentLength(t, head) {
		t.Errorf("hang-mid-body: %d of %d body bytes, ended by %v; want part of the body, then EOF", len(body), contentLength(t, head), err)
	}
}

func TestMalformedAndHugeHeader(t *testing.T) {
	srv := start(t, mockserver.Config{})
	raw, _, _ := readUntilEnd(rawGet(t, srv, mockserver.HTMLPath("KNYC")+"?fault=malformed"), 5*time.Second)
	if regexp.MustCompile(`^HTTP/1\.[01] \d{3} `).Match(raw) {
		t.Errorf("malformed: status line %q parses", bytes.SplitN(raw, []byte("\r\n"), 2)[0])
	}
	raw, _, _ = readUntilEnd(rawGet(t, srv, mockserver.HTMLPath("KNYC")+"?fault=huge-header"), 5*time.Second)
	if head, _ := splitResponse(t, raw); len(head) <= 64<<10 {
		t.Errorf("huge-header: %d header bytes; want more than 64 KiB", len(head))
	}
}

func TestStatusFaults(t *testing.T) {
	srv := start(t, mockserver.Config{})
	for _, code := range []int{404, 429, 500, 503} {
		status, hdr, _ := get(t, srv.PageURL("KNYC")+fmt.Sprintf("?fault=status:%d", code))
		retry := hdr.Get("Retry-After")
		if status != code || (code == 429) != (retry != "") && code != 503 {
			t.Errorf("status:%d: got %d, Retry-After %q", code, status, retry)
		}
	}
}

func TestNoTemperaturePages(t *testing.T) {
	srv := start(t, mockserver.Config{})
	for _, st := range mockserver.Stations() {
		for _, path := range []string{mockserver.HTMLPath(st.ICAO), mockserver.TXTPath(st.ICAO)} {
			status, _, body := get(t, srv.URL()+path+"?fault=no-temperature")
			if _, found := strategies.ParseTemperature([]byte(body)); status != 200 || found || !strings.Contains(body, st.ICAO) {
				t.Errorf("%s: status %d, temperature found %v; want a 200 page about the station without one", path, status, found)
			}
		}
	}
}

// TestFaultsAreSeeded: with the same seed, the same requests meet the same
// faults.
func TestFaultsAreSeeded(t *testing.T) {
	model := mockserver.Model{Faults: map[string]float64{"status:500": 0.3, "no-temperature": 0.2}}
	outcomes := func(seed int64) string {
		srv := start(t, mockserver.Config{Seed: seed, Model: model})
		var b strings.Builder
		for range 40 {
			status, _, body := get(t, srv.PageURL("EGLC"))
			_, found := strategies.ParseTemperature([]byte(body))
			fmt.Fprintf(&b, "%d/%v ", status, found)
		}
		return b.String()
	}
	a, b, other := outcomes(1), outcomes(1), outcomes(2)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == other {
		t.Error("seeds 1 and 2 gave the same faults")
	}
	if n := strings.Count(a, "500/"); n < 4 || n > 20 {
		t.Errorf("%d of 40 requests got a 500; want about 12", n)
	}
}

func TestSerialQueue(t *testing.T) {
	const delay = 100 * time.Millisecond
	srv := start(t, mockserver.Config{Model: mockserver.Model{Delay: fixed(delay), QueueServers: 1}})
	var wg sync.WaitGroup
	begin := time.Now()
	timings := make([]string, 4)
	for i := range timings {
		wg.Go(func() {
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			if resp, err := (&http.Client{Transport: tr}).Get(srv.PageURL("KNYC")); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				timings[i] = resp.Header.Get("Server-Timing")
			}
		})
	}
	wg.Wait()
	if took := time.Since(begin); took < 4*delay {
		t.Errorf("4 requests to a serial server took %v; want at least %v", took, 4*delay)
	}
	if queued := strings.Count(strings.Join(timings, " "), "queue;dur="); queued < 3 {
		t.Errorf("Server-Timing %q: %d requests report queueing; want at least 3", timings, queued)
	}
}

func TestRatePacesTheBody(t *testing.T) {
	srv := start(t, mockserver.Config{})
	begin := time.Now()
	_, _, body := get(t, srv.PageURL("KNYC")+"?rate=10000")
	if want := time.Duration(len(body)) * time.Second / 10000 * 8 / 10; time.Since(begin) < want {
		t.Errorf("%d bytes at 10000 B/s took %v; want at least %v", len(body), time.Since(begin), want)
	}
}

func TestRefusedRequests(t *testing.T) {
	srv := start(t, mockserver.Config{})
	tests := []struct {
		raw    string
		status int
	}{
		{"GARBAGE\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("y", 5000) + "\r\n\r\n", 431},
		{"POST /stations HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405},
		{"GET / HTTP/3\r\nHost: x\r\n\r\n", 505},
		{"GET /weather/current/KNYC.html?latency=forever HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	}
	for _, tt := range tests {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, tt.raw)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil || resp.StatusCode != tt.status {
			t.Errorf("%.30q: %v, %v; want %d", tt.raw, resp, err, tt.status)
		}
	}
}

func TestMaxConns(t *testing.T) {
	srv := start(t, mockserver.Config{MaxConns: 1})
	first := rawGet(t, srv, "/stations") // keep-alive: holds the only slot
	if _, err := http.ReadResponse(bufio.NewReader(first), nil); err != nil {
		t.Fatal(err)
	}
	second := rawGet(t, srv, "/stations")
	second.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, _ := second.Read(make([]byte, 1)); n != 0 {
		t.Fatal("a second connection was served while the first held the only slot")
	}
	first.Close()
	second.SetReadDeadline(time.Now().Add(5 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(second), nil); err != nil || resp.StatusCode != 200 {
		t.Errorf("after the first closed: %v; want the second served", err)
	}
}

func TestHEAD(t *testing.T) {
	srv := start(t, mockserver.Config{})
	c, _ := net.Dial("tcp", srv.Addr())
	defer c.Close()
	io.WriteString(c, "HEAD /weather/current/KNYC.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	raw, _, _ := readUntilEnd(c, 5*time.Second)
	head, body := splitResponse(t, raw)
	if len(body) != 0 || contentLength(t, head) == 0 {
		t.Errorf("HEAD: %d body bytes, Content-Length %d; want none, and the page's length", len(body), contentLength(t, head))
	}
}

// TestReadDeadlines checks when the server gives up on a client: a head
// that stalls gets HeaderTimeout, an idle keep-alive connection gets
// IdleTimeout, whichever way the last request arrived. Each case's two
// timeouts are far apart (0.2 s and 5 s), so a close in under 2 s can only
// be the short one, however slow the machine.
func TestReadDeadlines(t *testing.T) {
	const short, long = 200 * time.Millisecond, 5 * time.Second
	head := "GET " + mockserver.HTMLPath("KNYC") + " HTTP/1.1\r\nHost: test\r\n\r\n"
	tests := []struct {
		name           string
		header, idle   time.Duration
		pieces         []string // written 50 ms apart; then the client waits
		wantResponse   bool
		wantClosedWith string // which timeout should close the connection
	}{
		{"head stalls mid-line", short, long, []string{"GET / HTTP/1.1\r\nHo"}, false, "header"},
		{"blank lines, then a stall", short, long, []string{"\r\n\r\n", "G"}, false, "header"},
		{"idle after a whole head", long, short, []string{head}, true, "idle"},
		{"idle after a head in two pieces", long, short, []string{head[:10], head[10:]}, true, "idle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, mockserver.Config{HeaderTimeout: tt.header, IdleTimeout: tt.idle})
			c := sendPieces(t, srv, tt.pieces, 50*time.Millisecond)
			begin := time.Now()
			got, _, err := readUntilEnd(c, 2*time.Second)
			if !errors.Is(err, io.EOF) {
				t.Fatalf("the server did not close the connection within 2 s (%v); want the %s timeout (%v)", err, tt.wantClosedWith, short)
			}
			if gotResponse := bytes.HasPrefix(got, []byte("HTTP/1.1 200")); gotResponse != tt.wantResponse {
				t.Errorf("response before the close: %v; want %v (%q)", gotResponse, tt.wantResponse, got)
			}
			if tt.wantClosedWith == "idle" && time.Since(begin) < short/2 {
				t.Errorf("closed after %v: sooner than IdleTimeout %v", time.Since(begin), short)
			}
		})
	}
}

// TestHEADHasNoBody: a HEAD response is its head alone, whatever the
// framing or the split. On a keep-alive connection the next response must
// then parse cleanly, with nothing of the HEAD's left before it; a
// close-delimited one must end with its head.
func TestHEADHasNoBody(t *testing.T) {
	srv := start(t, mockserver.Config{Seed: 3})
	want, _ := mockserver.Observe(3, "KNYC")
	for _, query := range []string{
		"", "?chunked=1", "?body=close", "?chunks=3&chunk-pause=1ms", "?rate=100000",
		"?chunked=1&chunks=3&chunk-pause=1ms", "?chunked=1&rate=100000", "?body=close&chunks=3",
		"?chunked=1&split=header-body:1ms", "?chunked=1&split=mid-header:1ms", "?chunked=1&split=pieces:4:1ms",
		"?body=close&split=pieces:4:1ms", "?split=header-body:1ms",
	} {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "HEAD "+mockserver.HTMLPath("KNYC")+query+" HTTP/1.1\r\nHost: test\r\n\r\n")
		br := bufio.NewReader(c)
		head, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
		if err != nil || head.StatusCode != 200 {
			t.Errorf("HEAD %s: %v, %v; want a 200", query, head, err)
			continue
		}
		if head.Close {
			rest, _, err := readUntilEnd(c, 5*time.Second)
			if rest = append(buffered(br), rest...); len(rest) != 0 || err != io.EOF {
				t.Errorf("HEAD %s: %q after the head, then %v; want nothing, then EOF", query, rest, err)
			}
			continue
		}
		sendGet(t, c, mockserver.HTMLPath("KNYC"), "Connection: close")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Errorf("HEAD %s, then GET: %v; want the GET's response, with nothing before it (left over %q)", query, err, buffered(br))
			continue
		}
		body, err := io.ReadAll(resp.Body)
		if got, found := strategies.ParseTemperature(body); err != nil || resp.StatusCode != 200 || got != want.TempF || !found {
			t.Errorf("HEAD %s, then GET: status %d, %v, temperature %v (found %v); want 200 and %v", query, resp.StatusCode, err, got, found, want.TempF)
		}
	}
}

// buffered returns what br has read but not yet handed out.
func buffered(br *bufio.Reader) []byte {
	b, _ := br.Peek(br.Buffered())
	return b
}
