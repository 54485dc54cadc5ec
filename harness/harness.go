// Package harness runs fetch strategies against a server, times them and
// checks every answer against the ground truth.
//
// It runs one batch and tallies it: Run for a closed workload (N jobs, the
// strategy's own concurrency), RunOpen (open.go) for an open one (arrivals
// at a constant rate, latency from each intended start). It reads what the
// process spent (usage.go: CPU, context switches, goroutines created,
// allocations, peak RSS via ReadUsage) and the peaks of goroutines and
// threads (probes.go). Isolation in child processes is internal/bench's
// job, result files package results'.
package harness

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/netio-lab/netio/results"
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
	Hedged     int                      // results whose request was sent twice (Config.HedgeAfter): the extra requests
	FirstError string                   // the first failure counted, "class: error": a batch's failures read as one line (FailureLine)
}

// Add counts one result. want and hasWant are the ground truth for its job.
func (t *Tally) Add(r strategies.Result, want float64, hasWant bool) {
	t.Jobs++
	if r.Hedged {
		t.Hedged++
	}
	if !r.OK() {
		t.Failed++
		if t.Errors == nil {
			t.Errors = make(map[strategies.Class]int)
		}
		t.Errors[r.Class]++
		if t.FirstError == "" {
			t.FirstError = fmt.Sprintf("%s: %v", r.Class, r.Err)
		}
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

// FailureLine says in one line how the batch's requests failed (see
// results.FailureLine); noun names them ("pages", "requests").
func (t Tally) FailureLine(noun string) string {
	byClass := make(map[string]int, len(t.Errors))
	for c, n := range t.Errors {
		byClass[string(c)] = n
	}
	return results.FailureLine(t.Failed, t.Jobs, noun, byClass, t.FirstError)
}

// sameReading compares two temperatures as stated on a page, to a tenth of
// a degree, so that float formatting cannot make a right answer wrong.
func sameReading(a, b float64) bool { return math.Abs(a-b) < 0.05 }

// Report is what one batch came to.
type Report struct {
	Tally
	Start   time.Time     // when Fetch was called
	Wall    time.Duration // from the call to Fetch to its return
	Latency LatencyMS     // of every request, failed ones included
	// LatencyHist is the histogram Latency was read from, encoded (see
	// Latencies.Encoded).
	LatencyHist string
	// Series is the batch over time, interval by interval.
	Series        Series
	Usage         Usage // what the process spent during the batch
	BytesReceived int64 // body bytes, summed over every result
	// Timeline is a sample of at most TimelineCap requests, spread evenly
	// over the job indexes, for drawing when each ran.
	Timeline []Span

	// Open workloads only (jobs with At set; see RunOpen). Latency is then
	// measured from each job's intended start, not its actual one, so that
	// a client that falls behind cannot hide it (coordinated omission).
	Late    int // requests that started more than LateAfter after their At
	Dropped int // requests cut off unstarted or unfinished when the run's time ran out
}

// Span is one request's start and end, in milliseconds from the start of
// the batch. (A result file's results.Span has the same fields.)
type Span struct {
	Index   int
	Lane    int     // Result.Lane: what carried the request
	AtMS    float64 // the intended start in an open workload; 0 in a closed one
	StartMS float64
	EndMS   float64
	Class   string
}

// TimelineCap bounds Report.Timeline, so that a long run stays small: a
// result file's bound (results.TimelineCap), which merged runs keep too.
const TimelineCap = results.TimelineCap

// LateAfter is how far behind its intended start a request may begin and
// still count as on time. Go's timers fire up to about 1 ms late when the
// process is idle (the netpoller sleeps in whole milliseconds), so a bound
// of 1 ms would call a third of an idle goroutine strategy's requests late
// for the runtime's sake, not the strategy's.
const LateAfter = 2 * time.Millisecond

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
func Run(ctx context.Context, f strategies.Fetcher, jobs strategies.Jobs, expect Expect) (Report, error) {
	rec := newRecorder(jobs, expect)
	before := ReadUsage()
	rec.start = time.Now()
	rec.series = newSeriesRecorder(rec.start)
	err := f.Fetch(ctx, jobs, rec.done)
	return rec.finish(before), err
}

// recorder is the done callback of a batch: it tallies, records latencies
// and samples the timeline. done may run on many goroutines at once; the
// critical section is a few additions.
type recorder struct {
	jobs   strategies.Jobs
	expect Expect
	start  time.Time
	every  int // sample every every-th job index into the timeline

	mu        sync.Mutex
	rep       Report
	latencies *Latencies
	series    *seriesRecorder
}

func newRecorder(jobs strategies.Jobs, expect Expect) *recorder {
	return &recorder{
		jobs:      jobs,
		expect:    expect,
		every:     max(1, (jobs.Len()+TimelineCap-1)/TimelineCap),
		latencies: NewLatencies(),
	}
}

func (rc *recorder) done(r strategies.Result) {
	job := rc.jobs.Job(r.Index)
	want, hasWant := 0.0, false
	if rc.expect != nil {
		want, hasWant = rc.expect(job)
	}
	at := job.At
	latency := r.Latency()
	if !at.IsZero() {
		latency = r.End.Sub(at)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.rep.Add(r, want, hasWant)
	rc.rep.BytesReceived += r.Bytes
	rc.latencies.Record(latency)
	rc.series.record(r.Start, r.End, latency, !r.OK())
	if !at.IsZero() {
		rc.countOpen(r, at)
	}
	if r.Index%rc.every == 0 && len(rc.rep.Timeline) < TimelineCap {
		rc.rep.Timeline = append(rc.rep.Timeline, rc.span(r, at))
	}
}

// countOpen counts a late or dropped request of an open workload.
func (rc *recorder) countOpen(r strategies.Result, at time.Time) {
	switch {
	case r.Class == strategies.ClassCanceled:
		rc.rep.Dropped++
	case r.Start.Sub(at) > LateAfter:
		rc.rep.Late++
	}
}

func (rc *recorder) span(r strategies.Result, at time.Time) Span {
	ms := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return float64(t.Sub(rc.start).Microseconds()) / 1000
	}
	return Span{Index: r.Index, Lane: r.Lane, AtMS: ms(at), StartMS: ms(r.Start), EndMS: ms(r.End), Class: r.Class.String()}
}

// finish completes the report once Fetch has returned.
func (rc *recorder) finish(before Usage) Report {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.rep.Start, rc.rep.Wall = rc.start, time.Since(rc.start)
	rc.rep.Usage = ReadUsage().Since(before)
	rc.rep.Latency = rc.latencies.Summary()
	rc.rep.LatencyHist = rc.latencies.Encoded()
	rc.rep.Series = rc.series.series(rc.rep.Wall)
	slices.SortFunc(rc.rep.Timeline, func(a, b Span) int { return a.Index - b.Index })
	return rc.rep
}
