package harness_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/internal/benchutil"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// BenchmarkProbes measures what watching a batch costs: the same batch
// (pool, 500 pages, 50 workers, mock server in this process) fetched
// plainly, and with everything a measured run adds around it: a Gauge in
// the strategy, StartProbes/Stop (the sampler), a ReadUsage on either
// side, and harness.Run's recorder (the tally, the latency histogram and
// its encoding, the series over time, the timeline sample). The target is a wall-time cost under 2 %:
//
//	go test -run '^$' -bench Probes -benchtime 10x -count 6 ./harness | tee probes.txt
//	go tool benchstat -col /probes probes.txt
//
// With no delay the client and the server keep both cores busy, so the
// sampler's wake-ups compete for the CPU: the worst case for wall time.
// With a delay the process mostly waits, and each wake-up of the sampler
// is a context switch and CPU time the batch would not have spent: the
// worst case for cpu-us/op and ctxsw/op, the process's CPU time and
// context switches per batch (server included).
func BenchmarkProbes(b *testing.B) {
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		srv, err := mockserver.Start(mockserver.Config{Seed: 5, Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(latency)}}})
		if err != nil {
			b.Fatal(err)
		}
		jobs := make([]strategies.Job, 500)
		stations := mockserver.Stations()
		for i := range jobs {
			jobs[i] = strategies.Job{URL: srv.PageURL(stations[i%len(stations)].ICAO)}
		}
		for _, probes := range []string{"on", "off"} {
			name := fmt.Sprintf("latency=%dms/probes=%s", latency.Milliseconds(), probes)
			b.Run(name, func(b *testing.B) { benchProbes(b, jobs, probes == "on") })
		}
		srv.Close()
	}
}

// Sinks for what the probes read, so that none of it is optimized away.
var (
	peaksSink  harness.Peaks
	usageSink  harness.Usage
	reportSink harness.Report
)

func benchProbes(b *testing.B, jobs []strategies.Job, probes bool) {
	var gauge *strategies.Gauge // nil counts nothing: the plain run
	if probes {
		gauge = new(strategies.Gauge)
	}
	f := strategies.NewPool(strategies.Config{Concurrency: 50, Timeout: 30 * time.Second, Gauge: gauge})
	defer f.Close()
	failed := 0
	batch := func() {
		k, err := benchutil.FetchCounting(f, strategies.JobList(jobs))
		if err != nil {
			b.Fatalf("Fetch: %v", err)
		}
		failed += k
	}

	batch() // warm: connections open
	start := harness.ReadUsage()
	for b.Loop() {
		if !probes {
			batch()
			continue
		}
		before := harness.ReadUsage()
		p := harness.StartProbes(gauge)
		report, err := harness.Run(context.Background(), f, strategies.JobList(jobs), nil)
		if err != nil {
			b.Fatalf("Run: %v", err)
		}
		failed += report.Failed
		reportSink = report
		peaksSink = p.Stop()
		usageSink = harness.ReadUsage().Since(before)
	}
	used := harness.ReadUsage().Since(start)
	n := float64(b.N)
	b.ReportMetric(float64(b.Elapsed())/n/float64(time.Millisecond), "wall-ms")
	b.ReportMetric(float64((used.UserCPU+used.SysCPU).Microseconds())/n, "cpu-us/op")
	if used.CtxSwMeasured { // not on Windows: no unit rather than a 0 that looks measured
		b.ReportMetric(float64(used.VoluntaryCtxSw+used.InvoluntaryCtxSw)/n, "ctxsw/op")
	}
	if k := failed; k > 0 {
		b.Errorf("%d requests failed", k)
	}
}
