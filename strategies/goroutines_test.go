package strategies_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// clientGoroutines counts the goroutines doing the client's work: those
// with a frame in this package, in gnet or fasthttp, or in net/http's
// connection loops. The mock server's own goroutines run in the same
// process here and are left out.
func clientGoroutines() int {
	buf := make([]byte, 16<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, mark := range []string{"netio-lab/netio/strategies.", "panjf2000/gnet", "valyala/fasthttp", "net/http.(*persistConn)"} {
			if strings.Contains(g, mark) {
				n++
				break
			}
		}
	}
	return n
}

// peakGoroutines runs one batch of n jobs at concurrency c and samples the
// client's goroutines while it runs.
func peakGoroutines(t *testing.T, name string, n, c int) int {
	// The previous measurement's goroutines (net/http's connection loops,
	// gnet's loops) end a moment after Close: wait for them.
	for deadline := time.Now().Add(5 * time.Second); clientGoroutines() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	srv := startServer(t, mockserver.Config{Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(300 * time.Millisecond)}}})
	info, _ := strategies.Lookup(name)
	skipIfUnavailable(t, info)
	f, err := info.New(strategies.Config{Concurrency: c, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			if g := int64(clientGoroutines()); g > peak.Load() {
				peak.Store(g)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	var ok atomic.Int64
	f.Fetch(context.Background(), strategies.JobList(stationJobs(srv.URL(), n, "")), func(r strategies.Result) {
		if r.OK() {
			ok.Add(1)
		}
	})
	close(stop)
	wg.Wait()
	if ok.Load() != int64(n) {
		t.Fatalf("%s: %d of %d pages fetched", name, ok.Load(), n)
	}
	return int(peak.Load())
}

// TestEventLoopsUseFewGoroutines: at 1,000 requests in flight the epoll
// and uring strategies do all their I/O on the caller's goroutine, and gnet on its loops
// plus a fixed few helpers, whatever the concurrency; a goroutine-per-request
// strategy, measured the same way, needs one per request.
func TestEventLoopsUseFewGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 connections; skipped with -short")
	}
	const n = 1000
	if got := peakGoroutines(t, "perrequest", n, n); got < n {
		t.Fatalf("perrequest peaked at %d client goroutines for %d requests in flight; the count misses some", got, n)
	}
	for _, loop := range []string{"epoll", "uring"} {
		if got := peakGoroutines(t, loop, n, n); got != 1 {
			t.Errorf("%s peaked at %d client goroutines at c=%d; want 1, the caller's", loop, got, n)
		}
	}
	// gnet: 1 loop, its ticker, the coordinator (the caller) and 4 dialers,
	// plus gnet's own few; the same at c=10 and c=1000.
	small, large := peakGoroutines(t, "gnet", 100, 10), peakGoroutines(t, "gnet", n, n)
	if large > 1+10 || large > small+4 {
		t.Errorf("gnet peaked at %d client goroutines at c=%d and %d at c=10; want at most loops + 10, and no growth with c", large, n, small)
	}
	t.Logf("gnet client goroutines: %d at c=10, %d at c=%d", small, large, n)
}
