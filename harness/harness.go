// Package harness runs fetch strategies against a server, times them and
// checks every answer against the ground truth.
//
// It runs one batch and tallies it (Run, Tally), and reads what the
// process spent (usage.go: CPU, context switches, goroutines created,
// allocations, peak RSS via ReadUsage; goroutine and thread peaks via a
// Sampler). Workloads (closed, open, sweeps), isolation in child processes
// and result files are still to come; each measure goes in a file of its
// own here.
package harness

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/netio-lab/netio/strategies"
)

// Expect returns the temperature a job's page should state, and whether
// there is a ground truth for it at all. mockserver.Server's
// ExpectedTemperature, wrapped to take a Job, is the usual one.
type Expect func(job strategies.Job) (tempF float64, ok bool)

// Tally counts the outcomes of a batch.
type Tally struct {
	Jobs       int                      // results counted
	OK         int                      // pages fetched with a temperature
	Failed     int                      // results with a failure class
	Verified   int                      // OK results that matched the ground truth
	Mismatched int                      // OK results that did not: a wrong answer
	Errors     map[strategies.Class]int // Failed, by class
}

// Add counts one result. want and hasWant are the ground truth for its job.
func (t *Tally) Add(r strategies.Result, want float64, hasWant bool) {
	t.Jobs++
	if !r.OK() {
		t.Failed++
		if t.Errors == nil {
			t.Errors = make(map[strategies.Class]int)
		}
		t.Errors[r.Class]++
		return
	}
	t.OK++
	switch {
	case !hasWant:
	case sameReading(r.Temperature, want):
		t.Verified++
	default:
		t.Mismatched++
	}
}

// sameReading compares two temperatures as stated on a page, to a tenth of
// a degree, so that float formatting cannot make a right answer wrong.
func sameReading(a, b float64) bool { return math.Abs(a-b) < 0.05 }

// Report is what one batch came to.
type Report struct {
	Tally
	Wall    time.Duration // from the call to Fetch to its return
	Latency LatencyMS     // of every request, failed ones included
	Usage   Usage         // what the process spent during the batch
}

// Throughput is the number of results per second of wall time.
func (r Report) Throughput() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Jobs) / r.Wall.Seconds()
}

// Run fetches jobs with f and tallies every result, checking each answer
// with expect (nil checks nothing). It blocks until Fetch returns and
// returns Fetch's error, which is ctx's error if the batch was cut short.
func Run(ctx context.Context, f strategies.Fetcher, jobs []strategies.Job, expect Expect) (Report, error) {
	var (
		mu        sync.Mutex // done may run on many goroutines; the critical section is a few additions
		rep       Report
		latencies = NewLatencies()
	)
	done := func(r strategies.Result) {
		want, hasWant := 0.0, false
		if expect != nil {
			want, hasWant = expect(jobs[r.Index])
		}
		mu.Lock()
		rep.Add(r, want, hasWant)
		latencies.Record(r.Latency())
		mu.Unlock()
	}
	before, start := ReadUsage(), time.Now()
	err := f.Fetch(ctx, jobs, done)
	rep.Wall = time.Since(start)
	rep.Usage = ReadUsage().Since(before)
	rep.Latency = latencies.Summary()
	return rep, err
}
