package mockserver

import (
	"bufio"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func parseString(s string) (request, error) {
	return readRequest(bufio.NewReaderSize(strings.NewReader(s), maxRequestLine))
}

func TestReadRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want request
	}{
		{"plain", "GET /weather/current/KNYC.html HTTP/1.1\r\nHost: x\r\n\r\n",
			request{method: "GET", path: "/weather/current/KNYC.html", keepAlive: true}},
		{"query", "GET /a?latency=5ms&fault=reset HTTP/1.1\r\nHost: x\r\n\r\n",
			request{method: "GET", path: "/a", query: "latency=5ms&fault=reset", keepAlive: true}},
		{"close", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n", request{method: "GET", path: "/"}},
		{"1.0", "GET / HTTP/1.0\r\n\r\n", request{method: "GET", path: "/", http10: true}},
		{"1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", request{method: "GET", path: "/", http10: true, keepAlive: true}},
		{"bare LF and leading blank line", "\r\nHEAD / HTTP/1.1\nHost: x\n\n", request{method: "HEAD", path: "/", keepAlive: true}},
		{"absolute form", "GET http://h:80/stations HTTP/1.1\r\nHost: h\r\n\r\n", request{method: "GET", path: "/stations", keepAlive: true}},
		{"body length", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", request{method: "GET", path: "/", keepAlive: true, bodyLen: 3}},
	}
	for _, tt := range tests {
		got, err := parseString(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestReadRequestRefusals(t *testing.T) {
	long := strings.Repeat("a", maxRequestLine)
	tests := []struct {
		in     string
		status int
	}{
		{"GARBAGE\r\n\r\n", 400},
		{"GET /\r\n\r\n", 400},
		{"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
		{"GET nopath HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\n\r\n", 400}, // no Host
		{"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n", 413},
		{"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
		{"GET /" + long + " HTTP/1.1\r\n\r\n", 414},
		{"GET / HTTP/1.1\r\nHost: x\r\nX: " + long + "\r\n\r\n", 431},
		{"GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: "+strings.Repeat("b", 1000)+"\r\n", 20) + "\r\n", 431},
		{strings.Repeat("\r\n", 20) + "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	}
	for _, tt := range tests {
		_, err := parseString(tt.in)
		var re *requestError
		if !errors.As(err, &re) || re.status != tt.status {
			t.Errorf("%.40q: error %v; want a %d", tt.in, err, tt.status)
		}
	}
}

// FuzzReadRequest feeds the parser anything at all: it must never panic,
// and whatever it accepts must be a request the server can route.
func FuzzReadRequest(f *testing.F) {
	f.Add("GET /weather/current/KNYC.html?latency=5ms HTTP/1.1\r\nHost: x\r\n\r\n")
	f.Add("GET / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi")
	f.Add("HEAD http://h/ HTTP/1.1\nHost: h\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		req, err := parseString(in)
		if err != nil {
			var re *requestError
			if errors.As(err, &re) && (re.status < 400 || re.status > 599) {
				t.Fatalf("refusal with status %d", re.status)
			}
			return
		}
		if !strings.HasPrefix(req.path, "/") || req.method == "" || req.bodyLen < 0 || req.bodyLen > maxRequestBody {
			t.Fatalf("accepted an unroutable request: %+v", req)
		}
	})
}

func TestApplyQuery(t *testing.T) {
	d := Delay{Dist: "lognormal", Latency: ms(10), P99: ms(100), Cap: ms(500)}
	b := Body{}
	forced, err := applyQuery("latency=80ms&fault=status:429&chunked=1&split=pieces:3&t=123", &d, &b, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if d != (Delay{Latency: ms(80), Cap: ms(500)}) || b.Encoding != "chunked" || b.Split != "pieces:3" || *forced != (fault{FaultStatus, 429}) {
		t.Errorf("got delay %+v body %+v fault %+v", d, b, forced)
	}
	for _, q := range []string{"latency=soon", "latency=2m", "fault=explode", "rate=-1", "dist=zipf", "split=x", "chunked=maybe", "body=gzip", "%zz"} {
		d, b := Delay{}, Body{}
		if _, err := applyQuery(q, &d, &b, time.Minute); err == nil {
			t.Errorf("?%s accepted; want an error", q)
		}
	}
}

// FuzzApplyQuery: no query string makes the server panic or exceed its
// delay cap.
func FuzzApplyQuery(f *testing.F) {
	f.Add("latency=80ms&fault=reset")
	f.Add("dist=pareto&latency=20ms&p99=900ms&cap=1s&split=pieces:3:1ms&chunked=0")
	f.Add("rate=1&chunks=0&chunk-pause=1h&body=close&fault=status:429")
	f.Add("split=pieces:50:1s")
	f.Fuzz(func(t *testing.T, q string) {
		d, b := Delay{}, Body{}
		if _, err := applyQuery(q, &d, &b, time.Second); err != nil {
			return
		}
		if got := d.draw(rand.New(rand.NewPCG(1, 2)), time.Second); got < 0 || got > time.Second {
			t.Fatalf("?%s drew %v; want within [0, 1s]", q, got)
		}
		resp := response{status: 200, body: []byte("Temperature: 1 F"), keepAlive: true}
		p := resp.plan(b, time.Second)
		var total time.Duration
		for _, s := range p.segs {
			total += s.pause
		}
		if total > 3*time.Second {
			t.Fatalf("?%s plans %v of pauses; want them bounded by the delay cap", q, total)
		}
	})
}
