//go:build linux

package mockserver_test

import (
	"bufio"
	"cmp"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
)

// TestGoroutineEngine runs every test of this package again, in a child
// process, on the goroutine engine: the tests run on the default engine,
// the event loop, and each engine must pass them all.
func TestGoroutineEngine(t *testing.T) {
	if *engine != "" {
		t.Skipf("already running on the %s engine", *engine)
	}
	args := []string{"-engine=" + mockserver.EngineGoroutines, "-test.count=1"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	if deadline, ok := t.Deadline(); ok {
		args = append(args, "-test.timeout="+time.Until(deadline).Round(time.Second).String())
	}
	out, err := exec.Command(os.Args[0], args...).CombinedOutput()
	if err != nil {
		t.Fatalf("the tests failed on the goroutine engine: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "PASS") {
		t.Fatalf("the child run did not say PASS:\n%s", out)
	}
}

// epollServer starts a server on the event-loop engine: these tests are
// about that engine, so the child run on goroutines skips them (the
// parent ran them).
func epollServer(t *testing.T, cfg mockserver.Config) *mockserver.Server {
	t.Helper()
	if *engine == mockserver.EngineGoroutines {
		t.Skip("a test of the event loop: it ran in the parent process")
	}
	cfg.Engine = mockserver.EngineEpoll
	return start(t, cfg)
}

// readResponses reads n responses from c, bodies included, to requests
// of the given method.
func readResponses(t *testing.T, c net.Conn, n int, method string) []*http.Response {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	var out []*http.Response
	for range n {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("response %d of %d: %v", len(out)+1, n, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("response %d of %d: body: %v", len(out)+1, n, err)
		}
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		out = append(out, resp)
	}
	return out
}

// The loop serves plain requests itself and hands a connection to a
// goroutine when a request needs more; either way the client gets the
// same answers.
func TestEpollEngineHandsOffWhatItDoesNotServe(t *testing.T) {
	page := mockserver.HTMLPath("KNYC")
	get := func(target string, headers ...string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + strings.Join(append(headers, ""), "\r\n") + "\r\n"
	}
	tests := []struct {
		name       string
		method     string   // empty: GET
		pieces     []string // written 30 ms apart
		statuses   []int
		handedOff  int64
		wantInBody string
	}{
		{"plain page", "", []string{get(page)}, []int{200}, 0, "Temperature:"},
		{"plain page after a delay", "", []string{get(page + "?latency=30ms")}, []int{200}, 0, "Temperature:"},
		{"HEAD", "HEAD", []string{"HEAD " + page + " HTTP/1.1\r\nHost: test\r\n\r\n"}, []int{200}, 0, ""},
		{"not found", "", []string{get("/nowhere")}, []int{404}, 0, "nowhere"},
		{"bad query", "", []string{get(page + "?latency=fast")}, []int{400}, 0, "latency"},
		{"a status fault", "", []string{get(page + "?fault=status:503")}, []int{503}, 1, "503"},
		{"a split response", "", []string{get(page + "?split=pieces:3:1ms")}, []int{200}, 1, "Temperature:"},
		{"a head in two pieces", "", []string{get(page)[:12], get(page)[12:]}, []int{200}, 1, "Temperature:"},
		{"two requests in one write", "", []string{get(page) + get("/stations")}, []int{200, 200}, 1, "Temperature:"},
		{"a request with a body", "", []string{get(page, "Content-Length: 5") + "hello"}, []int{200}, 1, "Temperature:"},
		{"a malformed request", "", []string{"GET\r\n\r\n"}, []int{400}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := epollServer(t, mockserver.Config{})
			c := sendPieces(t, srv, tt.pieces, 30*time.Millisecond)
			resps := readResponses(t, c, len(tt.statuses), cmp.Or(tt.method, "GET"))
			for i, resp := range resps {
				if resp.StatusCode != tt.statuses[i] {
					t.Errorf("response %d: status %d; want %d", i+1, resp.StatusCode, tt.statuses[i])
				}
			}
			body, _ := io.ReadAll(resps[0].Body)
			if !strings.Contains(string(body), tt.wantInBody) {
				t.Errorf("first body lacks %q: %.200q", tt.wantInBody, body)
			}
			if got := srv.Stats().HandedOff; got != tt.handedOff {
				t.Errorf("handed off %d connections; want %d", got, tt.handedOff)
			}
		})
	}
}

// A client that sends its next request while the last one's delay runs
// gets both answers, in order, from the loop.
func TestEpollEngineNextRequestDuringWait(t *testing.T) {
	srv := epollServer(t, mockserver.Config{})
	c := rawGet(t, srv, mockserver.HTMLPath("KNYC")+"?latency=100ms")
	time.Sleep(20 * time.Millisecond)
	sendGet(t, c, "/stations")
	resps := readResponses(t, c, 2, "GET")
	if resps[0].Header.Get("Content-Type") != "text/html; charset=utf-8" || resps[1].Header.Get("Content-Type") != "application/json" {
		t.Errorf("responses out of order: %q, %q", resps[0].Header.Get("Content-Type"), resps[1].Header.Get("Content-Type"))
	}
	if got := srv.Stats().HandedOff; got != 0 {
		t.Errorf("handed off %d connections; want 0", got)
	}
}

// A client that resets its connection during a delay frees it at once,
// not when the delay ends.
func TestEpollEngineDropsResetWaits(t *testing.T) {
	srv := epollServer(t, mockserver.Config{})
	c := rawGet(t, srv, mockserver.HTMLPath("KNYC")+"?latency=30s")
	waitFor(t, "the request to be in flight", func() bool { return srv.Stats().InFlight == 1 })
	c.SetLinger(0) // close with a reset
	c.Close()
	waitFor(t, "the connection to close", func() bool { st := srv.Stats(); return st.ConnsOpen == 0 && st.InFlight == 0 })
}

// A client that shuts down its sending side during a delay still reads
// the answer, as from the goroutine engine: a FIN says "no more requests",
// not "gone".
func TestHalfClosedClientGetsItsAnswer(t *testing.T) {
	srv := start(t, mockserver.Config{})
	c := rawGet(t, srv, mockserver.HTMLPath("KNYC")+"?latency=50ms")
	waitFor(t, "the request to be in flight", func() bool { return srv.Stats().InFlight == 1 })
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, _, err := readUntilEnd(c, 5*time.Second)
	if !errors.Is(err, io.EOF) || !strings.HasPrefix(string(got), "HTTP/1.1 200 OK") {
		t.Errorf("got %q, then %v; want a 200 response, then the server's close", got[:min(len(got), 40)], err)
	}
}

// A response the socket cannot take at once is finished when the client
// reads. The client sends requests one at a time without reading the
// answers, until the server's send buffer is full and a response stays
// half-written (in flight, not finished); then it reads them all.
func TestEpollEnginePartialWrites(t *testing.T) {
	srv := epollServer(t, mockserver.Config{})
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sent, stuck := 0, false
	for sent < 2000 && !stuck {
		sendGet(t, c, "/stations")
		sent++
		// Served in full, the request is counted at once; one whose
		// response is stuck half-written is not counted until it ends.
		deadline := time.Now().Add(100 * time.Millisecond)
		for srv.Stats().Requests < int64(sent) && !stuck {
			stuck = time.Now().After(deadline)
			time.Sleep(100 * time.Microsecond)
		}
	}
	if !stuck {
		t.Fatalf("%d responses of %d bytes left unread, and the server's send buffer never filled", sent, 13000)
	}
	for i, resp := range readResponses(t, c, sent, "GET") {
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.HasSuffix(string(body), "]\n") {
			t.Fatalf("response %d of %d: status %d, %d bytes, ends %q", i+1, sent, resp.StatusCode, len(body), body[max(0, len(body)-10):])
		}
	}
	t.Logf("the send buffer filled after %d responses", sent)
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %s", what)
		}
	}
}
