package strategies_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// BenchmarkFetch fetches a batch per iteration with every registered
// strategy, against the mock server in this process (so CPU figures include
// the server's: compare strategies with one another, not with other tools;
// `netio bench` isolates the client). Names are key=value for benchstat:
//
//	go test -run '^$' -bench 'Fetch/strategy=(epoll|gnet)/' -count 6 ./strategies | tee new.txt
func BenchmarkFetch(b *testing.B) {
	cases := []struct {
		latency time.Duration
		n, c    int
	}{
		{0, 2000, 64},
		{20 * time.Millisecond, 1000, 100},
	}
	for _, info := range strategies.All() {
		for _, tc := range cases {
			if info.Name == "sequential" && tc.latency > 0 {
				tc.n = 50 // one at a time, 20 ms each: keep an iteration to a second
			}
			name := fmt.Sprintf("strategy=%s/latency=%dms/n=%d/c=%d", info.Name, tc.latency.Milliseconds(), tc.n, tc.c)
			b.Run(name, func(b *testing.B) { benchFetch(b, info, tc.latency, tc.n, tc.c) })
		}
	}
}

func benchFetch(b *testing.B, info strategies.Info, latency time.Duration, n, c int) {
	srv, err := mockserver.Start(mockserver.Config{Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(latency)}}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	f, err := info.New(strategies.Config{Concurrency: c, Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer strategies.Close(f)
	jobs := stationJobs(srv.URL(), n, "")
	var failed atomic.Int64
	count := func(r strategies.Result) {
		if !r.OK() {
			failed.Add(1)
		}
	}
	f.Fetch(context.Background(), jobs, func(strategies.Result) {}) // warm: connections open
	before := harness.ReadUsage()
	start := time.Now()
	for b.Loop() {
		f.Fetch(context.Background(), jobs, count)
	}
	elapsed, used := time.Since(start), harness.ReadUsage().Since(before)
	cpu := used.UserCPU + used.SysCPU
	requests := float64(n * b.N)
	b.ReportMetric(requests/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(cpu.Microseconds())/requests, "cpu-us/req")
	if failed.Load() > 0 {
		b.Errorf("%d requests failed", failed.Load())
	}
}
