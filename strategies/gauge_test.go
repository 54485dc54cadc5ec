package strategies_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netio-lab/netio/internal/leaktest"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

func TestGaugeCounts(t *testing.T) {
	g := new(strategies.Gauge)
	steps := []struct {
		add, reset bool
		n          int64
		live, peak int64
	}{
		{add: true, n: 3, live: 3, peak: 3},
		{add: true, n: -1, live: 2, peak: 3},
		{add: true, n: 2, live: 4, peak: 4},
		{add: true, n: -4, live: 0, peak: 4},
		{reset: true, live: 0, peak: 0},
		{add: true, n: 1, live: 1, peak: 1},
		{add: true, n: -1, live: 0, peak: 1},
	}
	for i, s := range steps {
		if s.add {
			g.Add(s.n)
		}
		if s.reset {
			g.ResetPeak()
		}
		if g.Live() != s.live || g.Peak() != s.peak {
			t.Errorf("step %d: live %d, peak %d; want %d, %d", i, g.Live(), g.Peak(), s.live, s.peak)
		}
	}
}

func TestGaugeNilCountsNothing(t *testing.T) {
	var g *strategies.Gauge
	g.Add(5)
	g.ResetPeak()
	var wg sync.WaitGroup
	ran := false
	g.Go(&wg, func() { ran = true })
	wg.Wait()
	if !ran || g.Live() != 0 || g.Peak() != 0 {
		t.Errorf("nil gauge: ran %v, live %d, peak %d; want true, 0, 0", ran, g.Live(), g.Peak())
	}
}

// TestGaugeConcurrent moves the gauge from many goroutines at once (run it
// with -race): no step may be lost, and the peak is exactly the number held
// at once.
func TestGaugeConcurrent(t *testing.T) {
	const n = 64
	g := new(strategies.Gauge)
	release := make(chan struct{})
	var started, wg sync.WaitGroup
	started.Add(n)
	for range n {
		g.Go(&wg, func() {
			started.Done()
			<-release
			for range 1000 { // churn while the others do the same
				g.Add(1)
				g.Add(-1)
			}
		})
	}
	started.Wait()
	if g.Live() != n || g.Peak() != n {
		t.Errorf("with %d running: live %d, peak %d; want %d, %d", n, g.Live(), g.Peak(), n, n)
	}
	g.ResetPeak()
	close(release)
	wg.Wait()
	if g.Live() != 0 || g.Peak() < n || g.Peak() > 2*n {
		t.Errorf("after: live %d, peak %d; want 0 and between %d and %d", g.Live(), g.Peak(), n, 2*n)
	}
}

// TestStrategiesGaugeGoroutines runs a batch with every strategy and checks
// the peak its Gauge saw against what the strategy is meant to run, given
// the connections the server accepted; and that once Fetch and Close have
// returned, nothing is counted any more.
func TestStrategiesGaugeGoroutines(t *testing.T) {
	const loops = 1
	tests := []struct {
		name    string
		n, c    int
		latency time.Duration
		// want bounds the peak, given the connections opened.
		want func(n, c, conns int) (lo, hi int)
	}{
		// One connection: its dialer, then its two loops.
		{"sequential", 10, 1, 0, func(n, c, conns int) (int, int) { return 2 * conns, 2 * conns }},
		// A goroutine per job, all in flight at once, plus net/http's.
		{"perrequest", 500, 500, 50 * time.Millisecond, func(n, c, conns int) (int, int) { return n, n + 2*conns }},
		// The crew lives through the batch, and so does every connection
		// (the idle pool holds one per worker).
		{"pool", 64, 8, 10 * time.Millisecond, func(n, c, conns int) (int, int) { return c + 2*conns, c + 2*conns }},
		{"errgroup", 64, 8, 10 * time.Millisecond, func(n, c, conns int) (int, int) { return c, c + 2*conns }},
		{"epoll", 200, 100, 10 * time.Millisecond, func(n, c, conns int) (int, int) { return 1, 1 }},
		// The loops and the ticker, and up to 4 dialers.
		{"gnet", 200, 100, 10 * time.Millisecond, func(n, c, conns int) (int, int) { return loops + 1 + 1, loops + 1 + 4 }},
		{"fasthttp", 64, 8, 10 * time.Millisecond, func(n, c, conns int) (int, int) { return c, c }},
		{"uring", 200, 100, 10 * time.Millisecond, func(n, c, conns int) (int, int) { return 1, 1 }},
	}
	tested := map[string]bool{}
	for _, tt := range tests {
		tested[tt.name] = true
		t.Run("strategy="+tt.name, func(t *testing.T) {
			t.Cleanup(func() { goleak.VerifyNone(t, leaktest.Options...) })
			srv := startServer(t, mockserver.Config{Seed: 8, Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(tt.latency)}}})
			info, err := strategies.Lookup(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			skipIfUnavailable(t, info)
			g := new(strategies.Gauge)
			cfg := strategies.Config{Concurrency: tt.c, Loops: loops, Gauge: g, Timeout: 20 * time.Second}
			results, err := fetch(t, info, cfg, context.Background(), stationJobs(srv.URL(), tt.n, ""))
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			for i, r := range results {
				if !r.OK() {
					t.Fatalf("job %d: %v %v", i, r.Class, r.Err)
				}
			}
			conns := int(srv.Stats().ConnsAccepted)
			lo, hi := tt.want(tt.n, tt.c, conns)
			if peak := int(g.Peak()); peak < lo || peak > hi {
				t.Errorf("peak %d goroutines for %d jobs at c=%d over %d connections; want %d to %d", peak, tt.n, tt.c, conns, lo, hi)
			}
			if live := g.Live(); live != 0 {
				t.Errorf("%d goroutines still counted after Fetch and Close; want 0", live)
			}
		})
	}
	for _, info := range strategies.All() {
		if !tested[info.Name] {
			t.Errorf("strategy %s has no gauge case: add one to the table", info.Name)
		}
	}
}
