package harness_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/internal/leaktest"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, leaktest.Options...) }

func TestTally(t *testing.T) {
	ok := func(temp float64) strategies.Result {
		return strategies.Result{Temperature: temp, HasTemperature: true}
	}
	failed := func(c strategies.Class) strategies.Result { return strategies.Result{Class: c} }
	var tally harness.Tally
	tally.Add(ok(46), 46, true)
	tally.Add(ok(37.9), 37.9000000001, true) // same reading, other rounding
	tally.Add(ok(48), 47, true)              // a wrong answer
	tally.Add(ok(12), 0, false)              // nothing to check against
	tally.Add(failed(strategies.ClassTimeout), 0, false)
	tally.Add(failed(strategies.ClassTimeout), 0, false)
	tally.Add(failed(strategies.ClassHTTPStatus), 0, false)

	counts := func(t harness.Tally) [5]int { return [5]int{t.Jobs, t.OK, t.Failed, t.Verified, t.Mismatched} }
	if got, want := counts(tally), [5]int{7, 4, 3, 2, 1}; got != want {
		t.Errorf("jobs, ok, failed, verified, mismatched = %v; want %v", got, want)
	}
	if tally.Errors[strategies.ClassTimeout] != 2 || tally.Errors[strategies.ClassHTTPStatus] != 1 || len(tally.Errors) != 2 {
		t.Errorf("errors by class %v; want timeout 2, http-status 1", tally.Errors)
	}
}

func TestRunChecksEveryAnswer(t *testing.T) {
	srv, err := mockserver.Start(mockserver.Config{Seed: 21, Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(time.Millisecond)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var jobs []strategies.Job
	for _, st := range mockserver.Stations() {
		jobs = append(jobs, strategies.Job{Name: st.City, URL: srv.PageURL(st.ICAO)})
	}
	jobs = append(jobs, strategies.Job{Name: "Nowhere", URL: srv.PageURL("ZZZZ")})

	truth := func(j strategies.Job) (float64, bool) { return srv.ExpectedTemperature(j.URL) }
	// A ground truth for another seed must flag (almost) every answer.
	wrongSeed := func(j strategies.Job) (float64, bool) { return mockserver.ExpectedTemperature(22, j.URL) }

	for _, info := range strategies.All() {
		f, _ := info.New(strategies.Config{Concurrency: 4})
		rep, err := harness.Run(context.Background(), f, strategies.JobList(jobs), truth)
		wrong, _ := harness.Run(context.Background(), f, strategies.JobList(jobs), wrongSeed)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", info.Name, err)
		}
		n := len(jobs) - 1
		if rep.Jobs != n+1 || rep.Verified != n || rep.Mismatched != 0 || rep.Errors[strategies.ClassHTTPStatus] != 1 {
			t.Errorf("%s: %+v; want %d verified and one 404", info.Name, rep.Tally, n)
		}
		if wrong.Mismatched < n/2 {
			t.Errorf("%s: only %d of %d answers flagged against another seed's truth", info.Name, wrong.Mismatched, n)
		}
		if rep.Latency.P50 < 1 || rep.Latency.Max < rep.Latency.P50 || rep.Usage.UserCPU+rep.Usage.SysCPU <= 0 {
			t.Errorf("%s: latency %+v, usage %+v; want the 1 ms delay in p50 and some CPU", info.Name, rep.Latency, rep.Usage)
		}
		if rep.Wall <= 0 || rep.Throughput() <= 0 {
			t.Errorf("%s: wall %v, throughput %v; want both positive", info.Name, rep.Wall, rep.Throughput())
		}
	}
}

func TestLatenciesPercentiles(t *testing.T) {
	l := harness.NewLatencies()
	for i := 1; i <= 1000; i++ {
		l.Record(time.Duration(i) * time.Millisecond)
	}
	l.Record(2 * time.Hour) // clamped, not dropped
	got := l.Summary()
	near := func(a, b float64) bool { return a >= b*0.99 && a <= b*1.01 }
	if l.Count() != 1001 || !near(got.P50, 500) || !near(got.P90, 900) || !near(got.P99, 990) || !near(got.Max, 3600000) {
		t.Errorf("count %d, summary %+v; want p50 500, p90 900, p99 990 ms, max an hour", l.Count(), got)
	}
}
