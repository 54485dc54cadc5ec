package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/netio-lab/netio/strategies"
)

// Open is an open workload: jobs arrive at a constant Rate for Duration,
// whether or not earlier ones have finished, as wrk2 sends them. A closed
// workload (Run) starts the next request only when one ends, so a slow
// server slows the client down and the requests that would have waited are
// never measured (coordinated omission). Here every job has its arrival
// time in Job.At, and latency is counted from it: a client that falls
// behind shows the wait in its latency and in Report.Late, and the
// requests still unfinished when time runs out in Report.Dropped.
type Open struct {
	// Rate is the number of arrivals per second. It must be positive.
	Rate float64
	// Duration is how long arrivals go on. It must be positive.
	Duration time.Duration
	// Grace is how long the run may go on after the last arrival; what has
	// not finished by then is canceled and counted Dropped. Zero means
	// DefaultGrace.
	Grace time.Duration
	// Start, when set, is the time of the whole schedule's first arrival
	// (several machines' shares keep one clock: netio bench --start-at);
	// arrivals already past when the run begins are late, and counted so.
	// Zero means a few milliseconds from the call.
	Start time.Time
	// Segment, when set, makes the run one share of the schedule: every
	// Of-th arrival, at the whole schedule's times (see Segment).
	Segment Segment
}

// DefaultGrace is the Grace of an Open workload that sets none: far longer
// than a healthy request takes, short enough that a stuck run ends.
const DefaultGrace = 5 * time.Second

// OpenLead puts RunOpen's first arrival a little after the jobs are built,
// so that it is not already late when Fetch gets to it.
const OpenLead = 10 * time.Millisecond

// Jobs returns the open workload's jobs: floor(Rate×Duration) of them, job
// i a copy of pages[i mod len(pages)] with At = start + i/Rate, each made
// when it is asked for: a workload of any length costs its pages. With a
// Segment, only its share of them, each with the whole's i. It returns
// nil if pages is empty or the workload makes no arrival.
func (o Open) Jobs(start time.Time, pages []strategies.Job) strategies.Jobs {
	n := o.Count()
	if len(pages) == 0 || !(o.Rate > 0) || o.Segment.Len(n) <= 0 {
		return nil
	}
	return arrivals{Cycle{Pages: pages, N: n, Segment: o.Segment}, start, o.Rate}
}

// arrivals is an open workload's batch: a Cycle whose jobs carry their
// arrival time.
type arrivals struct {
	Cycle
	start time.Time
	rate  float64 // per second
}

// Job returns job k, arriving i/rate seconds after start, i being its
// index in the whole schedule.
func (a arrivals) Job(k int) strategies.Job {
	j := a.Cycle.Job(k)
	i := a.Cycle.Global(k)
	j.At = a.start.Add(time.Duration(float64(i) * float64(time.Second) / a.rate))
	return j
}

// Cycle is a closed batch of N jobs going round Pages: job i is
// Pages[i mod len(Pages)]. It holds only its pages, however large N is.
// Pages must not be empty unless N is 0. With a Segment it is that share
// of the N: its job k is the whole's job Global(k), which Segment deals
// by the whole's Concurrency slots (Segment.ClosedGlobal), or, with
// Concurrency 0, every Of-th (an open workload's arrivals).
type Cycle struct {
	Pages       []strategies.Job
	N           int
	Segment     Segment
	Concurrency int // the whole's, for a closed share
}

// Len is N, or the Segment's share of it.
func (c Cycle) Len() int {
	if c.Concurrency > 0 {
		return c.Segment.ClosedLen(c.N, c.Concurrency)
	}
	return c.Segment.Len(c.N)
}

// Global is the whole's index of job k.
func (c Cycle) Global(k int) int {
	if c.Concurrency > 0 {
		return c.Segment.ClosedGlobal(k, c.Concurrency)
	}
	return c.Segment.Global(k)
}

// Job returns job k.
func (c Cycle) Job(k int) strategies.Job { return c.Pages[c.Global(k)%len(c.Pages)] }

// Count is floor(Rate×Duration). The small allowance keeps a product that
// should be whole, such as 200/s × 0.3 s, from rounding down to one less.
func (o Open) Count() int {
	return int(math.Floor(o.Rate*o.Duration.Seconds() + 1e-9))
}

// grace returns the effective Grace.
func (o Open) grace() time.Duration {
	if o.Grace <= 0 {
		return DefaultGrace
	}
	return o.Grace
}

// validate checks o and pages before a run, naming the field at fault.
func (o Open) validate(pages []strategies.Job) error {
	switch {
	case !(o.Rate > 0) || math.IsInf(o.Rate, 1): // !(>0) also rejects NaN
		return fmt.Errorf("harness: open workload: Rate must be a positive number of arrivals per second, got %v", o.Rate)
	case o.Duration <= 0:
		return fmt.Errorf("harness: open workload: Duration must be positive, got %v", o.Duration)
	case len(pages) == 0:
		return errors.New("harness: open workload: no pages to fetch")
	case o.Count() == 0:
		return fmt.Errorf("harness: open workload: Rate %v/s for Duration %v makes no arrival", o.Rate, o.Duration)
	}
	return nil
}

// errOutOfTime ends an open run at its last arrival plus Grace.
var errOutOfTime = errors.New("harness: open workload: grace period over")

// RunOpen runs the open workload o with f, cycling through pages, and
// tallies every result as Run does, checking each answer with expect (nil
// checks nothing). The first arrival is a few milliseconds from now. It
// blocks until Fetch returns: at the latest, the last arrival plus Grace,
// when a deadline cancels what has not started or finished; those requests
// are counted Dropped.
//
// Running out of time is a finding, not a failure: RunOpen then returns a
// nil error. It returns ctx's error if the caller's ctx ended the run, and
// an error naming the field if o is invalid.
func RunOpen(ctx context.Context, f strategies.Fetcher, o Open, pages []strategies.Job, expect Expect) (Report, error) {
	if err := o.validate(pages); err != nil {
		return Report{}, err
	}
	start := o.Start
	if start.IsZero() {
		start = time.Now().Add(OpenLead)
	}
	jobs := o.Jobs(start, pages)
	if jobs == nil {
		return Report{}, fmt.Errorf("harness: open workload: segment %v of %d arrivals has none", o.Segment, o.Count())
	}
	last := jobs.Job(jobs.Len() - 1).At
	runCtx, cancel := context.WithDeadlineCause(ctx, last.Add(o.grace()), errOutOfTime)
	defer cancel()
	rep, err := Run(runCtx, f, jobs, expect)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(runCtx), errOutOfTime) {
		err = nil
	}
	return rep, err
}
