package mockserver_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http/httputil"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// outcome sends one GET for path on a connection of its own and sums up
// what came back: the status line, the framing and the Server-Timing.
func outcome(t *testing.T, srv *mockserver.Server, path string) (status, framing, timing string, body []byte) {
	t.Helper()
	raw, _, err := readUntilEnd(rawGet(t, srv, path, "Connection: close"), 5*time.Second)
	if err != io.EOF {
		t.Fatalf("GET %s: read ended with %v; want the response, then EOF", path, err)
	}
	head, body := splitResponse(t, raw)
	status, _, _ = strings.Cut(head, "\r\n")
	switch {
	case strings.Contains(head, "\r\nTransfer-Encoding: chunked"):
		framing = "chunked"
	case strings.Contains(head, "\r\nContent-Length: "):
		framing = "length"
	default:
		framing = "close"
	}
	if m := regexp.MustCompile(`\r\nServer-Timing: ([^\r]*)`).FindStringSubmatch(head); m != nil {
		timing = m[1]
	}
	return status, framing, timing, body
}

// TestQueryIsDeterministic: the same query gets the same answer every
// time, however the parameters are spelled or ordered.
func TestQueryIsDeterministic(t *testing.T) {
	srv := start(t, mockserver.Config{})
	for _, query := range []string{
		"chunked=1&body=close",
		"body=close&chunked=1",
		"ttfb=1ms&latency=2ms",
		"chunked=0&body=close",
		"chunked=1&body=chunked&chunks=3&chunk-pause=1ms",
		"fault=status:503&fault=status:429",
	} {
		seen := map[string]int{}
		for range 40 {
			status, framing, timing, _ := outcome(t, srv, mockserver.HTMLPath("KNYC")+"?"+query)
			seen[status+", "+framing+", "+timing]++
		}
		if len(seen) != 1 {
			t.Errorf("?%s: 40 requests got %v; want the same answer every time", query, seen)
		}
	}
}

// TestContradictoryQueries: parameters that contradict each other are
// refused with a 400 that names them both; parameters that agree are fine,
// and so are names the server does not know.
func TestContradictoryQueries(t *testing.T) {
	srv := start(t, mockserver.Config{})
	tests := []struct {
		query string
		names []string // empty: the query is fine
	}{
		{"chunked=1&body=close", []string{"chunked=1", "body=close"}},
		{"body=length&chunked=1", []string{"chunked=1", "body=length"}},
		{"chunked=0&body=chunked", []string{"chunked=0", "body=chunked"}},
		{"chunked=0&body=close", []string{"chunked=0", "body=close"}},
		{"rate=2000&chunks=4", []string{"rate=2000", "chunks=4"}},
		{"latency=1ms&latency=2ms", []string{"latency=1ms", "latency=2ms"}},
		{"latency=1ms&ttfb=2ms", []string{"latency=1ms", "ttfb=2ms"}},
		{"fault=reset&fault=hang", []string{"fault=reset", "fault=hang"}},
		{"split=pieces:3&t=1&split=header-body", []string{"split=pieces:3", "split=header-body"}},
		{"body=close&body=chunked", []string{"body=close", "body=chunked"}},
		{"chunked=1&chunked=0", []string{"chunked=1", "chunked=0"}},
		{"chunked=1&body=chunked", nil},
		{"chunked=0&body=length", nil},
		{"chunked&body=chunked", nil},
		{"latency=1ms&latency=1000us&ttfb=1ms", nil},
		{"rate=100000&chunks=0", nil},
		{"fault=status&fault=status:503", nil}, // a 503, as asked
		{"t=123&t=456&latency=1ms", nil},
	}
	for _, tt := range tests {
		status, _, _, body := outcome(t, srv, mockserver.HTMLPath("EGLC")+"?"+tt.query)
		if tt.names == nil {
			if strings.HasPrefix(status, "HTTP/1.1 400") {
				t.Errorf("?%s: %s %q; want the parameters accepted", tt.query, status, body)
			}
			continue
		}
		if !strings.HasPrefix(status, "HTTP/1.1 400") {
			t.Errorf("?%s: %s; want a 400", tt.query, status)
			continue
		}
		for _, name := range tt.names {
			if !strings.Contains(string(body), name) {
				t.Errorf("?%s: the 400 says %q; want it to name %s", tt.query, body, name)
			}
		}
	}
}

// TestPageURLOnTheWire: what PageURL asks for is what arrives.
func TestPageURLOnTheWire(t *testing.T) {
	srv := start(t, mockserver.Config{Seed: 5})
	want, _ := mockserver.Observe(5, "RJTT")
	if got, plain := srv.PageURL("rjtt"), srv.URL()+mockserver.HTMLPath("RJTT"); got != plain || mockserver.PageURL(srv.URL(), "RJTT", mockserver.Overrides{}) != plain {
		t.Errorf("srv.PageURL(\"rjtt\") = %s; want %s, and PageURL with no overrides the same", got, plain)
	}
	tests := []struct {
		o                      mockserver.Overrides
		status, framing, delay string
	}{
		{mockserver.Overrides{Latency: 30 * time.Millisecond, Encoding: "chunked", Chunks: 3, ChunkPause: time.Millisecond},
			"HTTP/1.1 200 OK", "chunked", "delay;dur=30.000"},
		{mockserver.Overrides{Latency: -1, Encoding: "close", Split: "pieces:3:1ms"}, "HTTP/1.1 200 OK", "close", "delay;dur=0.000"},
		{mockserver.Overrides{Dist: "uniform", Latency: 20 * time.Millisecond, Jitter: -1, Fault: "status:429"},
			"HTTP/1.1 429 Too Many Requests", "length", "delay;dur=20.000"},
	}
	for _, tt := range tests {
		u := mockserver.PageURL(srv.URL(), "RJTT", tt.o)
		status, framing, timing, body := outcome(t, srv, strings.TrimPrefix(u, srv.URL()))
		if status != tt.status || framing != tt.framing || timing != tt.delay {
			t.Errorf("%s: %s, %s framing, Server-Timing %q; want %s, %s, %q", u, status, framing, timing, tt.status, tt.framing, tt.delay)
		}
		if tt.framing == "chunked" {
			if sizes := regexp.MustCompile(`(?m)^[0-9a-f]+\r$`).FindAll(body, -1); len(sizes) != 4 {
				t.Errorf("%s: %d chunk-size lines; want 3 chunks and the last", u, len(sizes))
			}
			body, _ = io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(body)))
		}
		if got, found := strategies.ParseTemperature(body); status == "HTTP/1.1 200 OK" && (!found || got != want.TempF) {
			t.Errorf("%s: temperature %v (found %v); want %v", u, got, found, want.TempF)
		}
	}
}

func ExamplePageURL() {
	fmt.Println(mockserver.PageURL("http://127.0.0.1:8080", "knyc", mockserver.Overrides{}))
	fmt.Println(mockserver.PageURL("http://127.0.0.1:8080", "knyc", mockserver.Overrides{Latency: 5 * time.Millisecond}))
	fmt.Println(mockserver.PageURL("http://127.0.0.1:8080", "EGLC", mockserver.Overrides{
		Dist: "lognormal", Latency: 40 * time.Millisecond, P99: 250 * time.Millisecond,
		Encoding: "chunked", Split: "pieces:4:10ms",
	}))
	// Output:
	// http://127.0.0.1:8080/weather/current/KNYC.html
	// http://127.0.0.1:8080/weather/current/KNYC.html?latency=5ms
	// http://127.0.0.1:8080/weather/current/EGLC.html?latency=40ms&dist=lognormal&p99=250ms&body=chunked&split=pieces:4:10ms
}
