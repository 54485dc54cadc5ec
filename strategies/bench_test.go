package strategies_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/internal/benchutil"
	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// BenchmarkFetch fetches a batch per iteration with every registered
// strategy. The mock server runs in a child process (one per latency,
// shared by the strategies), so the CPU and context-switch figures are the
// client's own. Names are key=value for benchstat:
//
//	go test -run '^$' -bench 'Fetch/strategy=(epoll|gnet)/' -count 6 ./strategies | tee new.txt
//
// Besides ns/op it reports, per sub-benchmark: req/s; cpu-us/req, ctxsw/req
// and B/req from getrusage and runtime/metrics (harness.ReadUsage);
// goroutines, the exact peak of the strategy's own (strategies.Gauge); and
// threads, the process's OS threads (both from a pass of their own, see
// benchFetch). Go keeps threads once made, so the threads figure is only
// the strategy's own when it runs first: select one strategy with -bench
// to compare it fairly.
func BenchmarkFetch(b *testing.B) {
	cases := []struct {
		latency time.Duration
		n, c    int
	}{
		{0, 2000, 64},
		{20 * time.Millisecond, 1000, 100},
	}
	servers := map[time.Duration]*serverproc.Proc{}
	defer closeServers(b, servers)
	for _, info := range strategies.All() {
		for _, tc := range cases {
			if info.Name == "sequential" && tc.latency > 0 {
				tc.n = 50 // one at a time, 20 ms each: keep an iteration to a second
			}
			name := fmt.Sprintf("strategy=%s/latency=%dms/n=%d/c=%d", info.Name, tc.latency.Milliseconds(), tc.n, tc.c)
			b.Run(name, func(b *testing.B) {
				srv := serverFor(b, servers, tc.latency)
				benchFetch(b, srv, info, tc.n, tc.c)
			})
		}
	}
}

// serverFor returns the server process for latency, starting it on first
// use, so that a -bench filter starts only the servers it needs.
// closeServers stops them.
func serverFor(b *testing.B, servers map[time.Duration]*serverproc.Proc, latency time.Duration) *serverproc.Proc {
	if srv, ok := servers[latency]; ok {
		return srv
	}
	srv, err := serverproc.StartMock(mockserver.Config{Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(latency)}}})
	if err != nil {
		b.Fatal(err)
	}
	servers[latency] = srv
	return srv
}

// closeServers stops every server process; an error means a server
// crashed or would not stop.
func closeServers(b *testing.B, servers map[time.Duration]*serverproc.Proc) {
	for _, srv := range servers {
		if err := srv.Close(); err != nil {
			b.Error(err)
		}
	}
}

func benchFetch(b *testing.B, srv *serverproc.Proc, info strategies.Info, n, c int) {
	gauge := new(strategies.Gauge)
	if err := info.Available(); err != nil {
		b.Skipf("skipping: %v", err)
	}
	f, err := info.New(strategies.Config{Concurrency: c, Timeout: 30 * time.Second, Gauge: gauge})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	jobs := stationJobs(srv.URL, n, "")
	failed := 0
	fetch := func() {
		k, err := benchutil.FetchCounting(f, strategies.JobList(jobs))
		if err != nil {
			b.Fatalf("Fetch: %v", err)
		}
		failed += k
	}

	fetch() // warm: connections open, pools filled
	before := harness.ReadUsage()
	start := time.Now()
	for b.Loop() {
		fetch()
	}
	elapsed := time.Since(start)
	used := harness.ReadUsage().Since(before)
	// The peaks come from one more pass, outside the measured loop: the
	// probes' sampler wakes every millisecond, and in a process waiting on
	// the network that adds CPU time and context switches the strategy did
	// not cause (BenchmarkProbes in harness).
	probes := harness.StartProbes(gauge)
	fetch()
	peaks := probes.Stop()

	requests := float64(n * b.N)
	b.ReportMetric(requests/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64((used.UserCPU+used.SysCPU).Microseconds())/requests, "cpu-us/req")
	b.ReportMetric(float64(used.VoluntaryCtxSw+used.InvoluntaryCtxSw)/requests, "ctxsw/req")
	b.ReportMetric(float64(used.AllocBytes)/requests, "B/req")
	b.ReportMetric(float64(peaks.Goroutines), "goroutines")
	b.ReportMetric(float64(peaks.Threads), "threads")
	if k := failed; k > 0 {
		b.Errorf("%d of %d requests failed (unmeasured passes included)", k, n*(b.N+2))
	}
	select {
	case <-srv.Exited():
		b.Fatalf("the server process has exited: %v", srv.Close())
	default:
	}
}
