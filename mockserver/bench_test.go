package mockserver_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/netio-lab/netio/mockserver"
)

// BenchmarkServePage measures the server's own cost per request: one
// keep-alive connection asks for a station page, reads the response whole,
// and asks again. The client is a bare socket, so allocs/op and B/op are
// nearly all the server's (they count every goroutine of the process).
// Under load the server shares the machine with the client it serves: each
// allocation and microsecond here is one the client measured does not get.
//
//	go test -run '^$' -bench ServePage -count 6 ./mockserver | tee new.txt
//
// Each engine is measured (engine=epoll, engine=goroutines), so benchstat
// can set them side by side: go tool benchstat -col /engine new.txt
//
// With one connection and nothing else to do, sec/op is mostly wake-up
// latency, not work: the event loop's round trip wakes two threads (the
// loop's, blocked in epoll_pwait2, and the client's netpoller), where the
// goroutine engine's can stay on one. On this project's 2-core VM that is
// 31 µs against 17 µs per round trip (2026-11-30), while under load, the
// case the loop is for, it spends 14–16 µs of CPU per request against 24
// (docs/mockserver.md, "Two engines").
func BenchmarkServePage(b *testing.B) {
	for _, engine := range []string{mockserver.EngineEpoll, mockserver.EngineGoroutines} {
		for _, query := range []string{"", "?latency=0ms"} {
			b.Run("engine="+engine+"/query="+strconv.Quote(query), func(b *testing.B) {
				srv, err := mockserver.Start(mockserver.Config{Seed: 1, Engine: engine})
				if err != nil {
					b.Skipf("engine %s: %v", engine, err) // epoll off Linux
				}
				defer srv.Close()
				benchServe(b, srv.PageURL("KNYC")+query)
			})
		}
	}
}

func benchServe(b *testing.B, pageURL string) {
	req, err := http.NewRequest("GET", pageURL, nil)
	if err != nil {
		b.Fatal(err)
	}
	nc, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	wire := []byte(fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: bench\r\n\r\n", req.URL.RequestURI(), req.URL.Host))
	br := bufio.NewReaderSize(nc, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nc.Write(wire); err != nil {
			b.Fatal(err)
		}
		if err := readResponse(br); err != nil {
			b.Fatal(err)
		}
	}
}

// readResponse reads one response framed by Content-Length, the only
// framing this benchmark asks for.
func readResponse(br *bufio.Reader) error {
	length := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if length < 0 {
		return fmt.Errorf("no Content-Length")
	}
	_, err := br.Discard(length)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}
