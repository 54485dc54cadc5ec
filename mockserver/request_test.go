package mockserver

import (
	"bufio"
	"errors"
	"strings"
	"testing"
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
