package harness_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

func TestOpenJobs(t *testing.T) {
	pages := []strategies.Job{{Name: "a", URL: "http://x/a"}, {Name: "b", URL: "http://x/b"}, {Name: "c", URL: "http://x/c"}}
	start := time.Now()
	tests := []struct {
		open harness.Open
		n    int
		gap  time.Duration
	}{
		{harness.Open{Rate: 200, Duration: 300 * time.Millisecond}, 60, 5 * time.Millisecond},
		{harness.Open{Rate: 1000, Duration: time.Second}, 1000, time.Millisecond},
		{harness.Open{Rate: 0.5, Duration: 4 * time.Second}, 2, 2 * time.Second},
		{harness.Open{Rate: 3, Duration: 500 * time.Millisecond}, 1, 0}, // floor(1.5)
		{harness.Open{Rate: 1, Duration: 500 * time.Millisecond}, 0, 0}, // no arrival
	}
	for _, tt := range tests {
		jobs := tt.open.Jobs(start, pages)
		if n := lenOf(jobs); n != tt.n {
			t.Errorf("%+v: %d jobs; want %d", tt.open, n, tt.n)
			continue
		}
		for i := range tt.n {
			j, want := jobs.Job(i), pages[i%len(pages)]
			if at := start.Add(time.Duration(i) * tt.gap); j.Name != want.Name || j.URL != want.URL || !j.At.Equal(at) {
				t.Errorf("%+v: job %d = %q %s at %v; want %q %s at %v", tt.open, i, j.Name, j.URL, j.At.Sub(start), want.Name, want.URL, at.Sub(start))
				break
			}
		}
	}
	if jobs := (harness.Open{Rate: 10, Duration: time.Second}).Jobs(start, nil); jobs != nil {
		t.Errorf("no pages: %d jobs; want none", jobs.Len())
	}
}

// lenOf is the length of a batch, 0 for none.
func lenOf(jobs strategies.Jobs) int {
	if jobs == nil {
		return 0
	}
	return jobs.Len()
}

func TestRunOpenRejectsBadWorkloads(t *testing.T) {
	pages := []strategies.Job{{Name: "a", URL: "http://127.0.0.1:1/a"}}
	tests := []struct {
		open  harness.Open
		pages []strategies.Job
		field string // the error names it
	}{
		{harness.Open{Rate: 0, Duration: time.Second}, pages, "Rate"},
		{harness.Open{Rate: -5, Duration: time.Second}, pages, "Rate"},
		{harness.Open{Rate: math.NaN(), Duration: time.Second}, pages, "Rate"},
		{harness.Open{Rate: math.Inf(1), Duration: time.Second}, pages, "Rate"},
		{harness.Open{Rate: 10, Duration: 0}, pages, "Duration"},
		{harness.Open{Rate: 10, Duration: -time.Second}, pages, "Duration"},
		{harness.Open{Rate: 10, Duration: time.Second}, nil, "pages"},
		{harness.Open{Rate: 1, Duration: 100 * time.Millisecond}, pages, "no arrival"},
	}
	f := strategies.NewSequential(strategies.Config{})
	defer f.Close()
	for _, tt := range tests {
		_, err := harness.RunOpen(context.Background(), f, tt.open, tt.pages, nil)
		if err == nil || !strings.Contains(err.Error(), tt.field) || !strings.HasPrefix(err.Error(), "harness: ") {
			t.Errorf("RunOpen(%+v, %d pages) = %v; want a harness error naming %s", tt.open, len(tt.pages), err, tt.field)
		}
	}
}

// openRun runs an open workload with a pool of c workers against a server
// with model m.
func openRun(t *testing.T, ctx context.Context, m mockserver.Model, c int, open harness.Open) (harness.Report, error) {
	t.Helper()
	srv, err := mockserver.Start(mockserver.Config{Seed: 21, Model: m})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f := strategies.NewPool(strategies.Config{Concurrency: c})
	defer f.Close()
	var pages []strategies.Job
	for _, st := range mockserver.Stations() {
		pages = append(pages, strategies.Job{Name: st.City, URL: srv.PageURL(st.ICAO)})
	}
	truth := func(j strategies.Job) (float64, bool) { return srv.ExpectedTemperature(j.URL) }
	return harness.RunOpen(ctx, f, open, pages, truth)
}

func TestRunOpenKeepsUp(t *testing.T) {
	open := harness.Open{Rate: 200, Duration: 300 * time.Millisecond}
	rep, err := openRun(t, context.Background(), mockserver.Model{}, 8, open)
	if err != nil {
		t.Fatalf("RunOpen: %v", err)
	}
	if rep.Jobs != 60 || rep.Verified != 60 || rep.Dropped != 0 {
		t.Errorf("%+v, dropped %d; want 60 jobs, all verified, none dropped", rep.Tally, rep.Dropped)
	}
	// A client that keeps up starts (nearly) every job on time: an idle Go
	// process's timers fire up to a millisecond late, inside LateAfter.
	if rep.Late > rep.Jobs/10 {
		t.Errorf("%d of %d jobs late at zero latency; want few", rep.Late, rep.Jobs)
	}
	if rep.Latency.P50 > 10 {
		t.Errorf("p50 latency %v ms at zero server latency; want small", rep.Latency.P50)
	}
	if last := 59 * 5 * time.Millisecond; rep.Wall < last {
		t.Errorf("wall %v; want at least the %v to the last arrival", rep.Wall, last)
	}
}

// serial is a server that answers one request at a time, each after 20 ms:
// 50 a second at most.
var serial = mockserver.Model{QueueServers: 1, Delay: mockserver.Delay{Latency: mockserver.Duration(20 * time.Millisecond)}}

// TestRunOpenShowsQueueing is the coordinated-omission property: arrivals
// at 200/s on a server that serves 50/s pile up, and latency counted from
// each arrival shows the queue, where each request's own time would show
// about the server's 20 ms.
func TestRunOpenShowsQueueing(t *testing.T) {
	rep, err := openRun(t, context.Background(), serial, 4, harness.Open{Rate: 200, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("RunOpen: %v", err)
	}
	if rep.Jobs != 60 || rep.Verified != 60 || rep.Dropped != 0 {
		t.Errorf("%+v, dropped %d; want 60 jobs, all verified, none dropped", rep.Tally, rep.Dropped)
	}
	if rep.Late < rep.Jobs/2 {
		t.Errorf("%d of %d jobs late with a server 4 times too slow; want most", rep.Late, rep.Jobs)
	}
	// The last arrival, at 300 ms, is served at about 60×20 ms = 1.2 s.
	if rep.Latency.P99 < 10*20 {
		t.Errorf("p99 latency %v ms; want far above the server's 20 ms", rep.Latency.P99)
	}
}

func TestRunOpenDropsWhatGraceCannotFit(t *testing.T) {
	open := harness.Open{Rate: 200, Duration: 300 * time.Millisecond, Grace: 50 * time.Millisecond}
	began := time.Now()
	rep, err := openRun(t, context.Background(), serial, 4, open)
	if err != nil {
		t.Fatalf("RunOpen = %v; want nil: running out of time is data", err)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("RunOpen took %v; want it cut at about 360 ms", took)
	}
	if rep.Jobs != 60 || rep.Dropped == 0 || rep.Dropped != rep.Errors[strategies.ClassCanceled] || rep.OK+rep.Dropped != rep.Jobs {
		t.Errorf("%+v, dropped %d; want 60 results, the unserved ones dropped (canceled)", rep.Tally, rep.Dropped)
	}
}

func TestRunOpenReturnsCallersCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	rep, err := openRun(t, ctx, serial, 4, harness.Open{Rate: 200, Duration: 300 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RunOpen = %v; want the caller's context.DeadlineExceeded", err)
	}
	if rep.Jobs != 60 || rep.Dropped == 0 {
		t.Errorf("%+v, dropped %d; want 60 results, some dropped", rep.Tally, rep.Dropped)
	}
}
