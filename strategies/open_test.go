package strategies_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// The open-workload table: every registered strategy runs every case with
// jobs that carry an intended start (Job.At), under the same leak checks
// as the conformance table.
var openCases = []strategyCase{
	{"no job starts before its At", testPacing},
	{"an At in the past starts at once", testPastArrivals},
	{"cancel while pacing returns promptly", testCancelPaced},
}

func TestOpenWorkload(t *testing.T) { runEveryStrategy(t, openCases) }

// pacedJobs gives job i the intended start first + i×gap.
func pacedJobs(jobs []strategies.Job, first time.Time, gap time.Duration) []strategies.Job {
	for i := range jobs {
		jobs[i].At = first.Add(time.Duration(i) * gap)
	}
	return jobs
}

func testPacing(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 4})
	const n, gap = 20, 10 * time.Millisecond
	// The first arrival leaves time for New (gnet starts its loops).
	jobs := pacedJobs(stationJobs(srv.URL(), n, ""), time.Now().Add(50*time.Millisecond), gap)
	results, err := fetch(t, info, strategies.Config{Concurrency: 4}, context.Background(), jobs)
	returned := time.Now()
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if last := jobs[n-1].At; returned.Before(last) {
		t.Errorf("Fetch returned %v before the last arrival; want after it", last.Sub(returned))
	}
	for i, r := range results {
		late := r.Start.Sub(jobs[i].At)
		switch {
		case !r.OK():
			t.Errorf("job %d: %v %v; want ok", i, r.Class, r.Err)
		case late < 0:
			t.Errorf("job %d started %v before its At; want not before", i, -late)
		case late > 100*time.Millisecond: // a wide margin for -race on a loaded machine
			t.Errorf("job %d started %v after its At at zero latency; want about on time", i, late)
		}
	}
}

func testPastArrivals(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 4})
	const n = 20
	jobs := pacedJobs(stationJobs(srv.URL(), n, ""), time.Now().Add(-time.Hour), time.Millisecond)
	began := time.Now()
	results, err := fetch(t, info, strategies.Config{Concurrency: 4}, context.Background(), jobs)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("%d overdue jobs at zero latency took %v; want them started at once", n, took)
	}
	for i, r := range results {
		if !r.OK() {
			t.Errorf("job %d: %v %v; want ok", i, r.Class, r.Err)
		}
	}
}

// testCancelPaced cancels a batch whose arrivals span a second: the wait for
// the next arrival must give way to the cancellation, and the jobs not yet
// due must be reported canceled.
func testCancelPaced(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 4})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jobs := pacedJobs(stationJobs(srv.URL(), 20, ""), time.Now().Add(50*time.Millisecond), 50*time.Millisecond)
	canceled := make(chan time.Time, 1)
	time.AfterFunc(200*time.Millisecond, func() { canceled <- time.Now(); cancel() })
	results, err := fetch(t, info, strategies.Config{Concurrency: 4}, ctx, jobs)
	canceledAt := <-canceled
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch = %v; want context.Canceled", err)
	}
	// The contract is 100 ms; the margin is for loaded CI machines. A
	// strategy that waited for every arrival would take a second.
	if returned := time.Since(canceledAt); returned > 300*time.Millisecond {
		t.Errorf("Fetch returned %v after cancel; want promptly", returned)
	}
	for i, r := range results {
		if jobs[i].At.After(canceledAt) && r.Class != strategies.ClassCanceled {
			t.Errorf("job %d, due after the cancel: class %q err %v; want canceled", i, r.Class, r.Err)
		}
	}
}
