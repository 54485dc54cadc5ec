// Package bench runs `netio bench`'s measurements, each in a child process
// of its own so that goroutines, threads, context switches and CPU belong
// to one strategy alone: Go keeps OS threads once made, and getrusage
// counts the whole process (docs/results.md, "Measuring inside a Go
// process").
//
// The parent (Runner) starts `netio bench-child` once per point of the
// settings, writes a Spec as JSON to its stdin, and reads Messages back
// from its stdout, one JSON object per line:
//
//	{"progress":{"done":4200,"total":16000}}   every 250 ms while working
//	{"run":{…results.Run…}}                     one per measured repetition
//	{"error":"…"}                               the child gave up; it then exits non-zero
//
// Anything else the child has to say goes to its stderr, which the parent
// keeps the tail of for a failure report.
package bench

import (
	"fmt"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/results"
	"github.com/netio-lab/netio/strategies"
)

// Spec is one point to measure: one strategy at one setting.
type Spec struct {
	Strategy    string        `json:"strategy"`
	Mode        string        `json:"mode"` // results.ModeClosed or results.ModeOpen
	N           int           `json:"n"`    // closed: requests per pass, the whole's (see Segment)
	Concurrency int           `json:"concurrency"`
	GOMAXPROCS  int           `json:"gomaxprocs"`            // the child sets its runtime to this many Ps
	Rate        float64       `json:"rate"`                  // open: arrivals per second
	Duration    time.Duration `json:"duration"`              // open: how long arrivals go on
	Count       int           `json:"count"`                 // measured repetitions after the cold pass
	Timeout     time.Duration `json:"timeout"`               // per request
	HedgeAfter  time.Duration `json:"hedge_after,omitempty"` // a second copy of a request not answered after it; 0: none
	Loops       int           `json:"loops"`                 // event loops, for the strategies that run several (gnet)

	// Segment, when set, makes the point one share of a split run: N (the
	// whole's, closed) or the arrivals (open) are shared out by it, and
	// Concurrency is already this share's (see Plan.Segment).
	Segment harness.Segment `json:"segment,omitzero"`
	// SplitConcurrency, with a Segment, is the whole run's concurrency: a
	// closed share's jobs are those of its slots of it
	// (harness.Segment.ClosedGlobal).
	SplitConcurrency int `json:"split_concurrency,omitempty"`
	// StartAt, when set, is when the first pass begins (closed), or the
	// whole schedule's first arrival (open), whose pass p keeps to
	// StartAt + p·(Duration + PassGap).
	StartAt time.Time `json:"start_at,omitzero"`

	// Pages are the URLs fetched, cycled through N times in all.
	Pages []string `json:"pages"`
	// Seed is the mock server's seed: the ground truth of the temperatures
	// when Truth is true.
	Seed  int64 `json:"seed"`
	Truth bool  `json:"truth"`
	// AnyPage accepts a 200 page without a temperature as a success (for
	// --url: a page that is not a weather page).
	AnyPage bool `json:"any_page"`

	// CPUProfile, when not empty, is the file the child writes a CPU
	// profile of its measured passes to (go tool pprof reads it).
	CPUProfile string `json:"cpu_profile,omitempty"`

	// LatencyModel describes the server's injected delay for the record
	// ("fixed:5ms", "lognormal:20ms:p99:200ms", "unknown").
	LatencyModel string `json:"latency_model"`
	// FixedLatency is the delay every page gets when it is known and fixed,
	// else negative: it makes the ideal time ⌈N/C⌉·L computable.
	FixedLatency time.Duration `json:"fixed_latency"`
}

// Point is the spec's point, as its runs and its failure record it: N is
// the requests of a pass in either mode (closed: N; open: the arrivals of
// Rate for Duration), so that a failure matches its point's runs.
func (s Spec) Point() results.Point {
	p := results.Point{Strategy: s.Strategy, Mode: s.Mode, N: s.Requests(), Concurrency: s.Concurrency, GOMAXPROCS: s.GOMAXPROCS, LatencyModel: s.LatencyModel}
	if s.Mode == results.ModeOpen {
		p.Rate, p.DurationS = s.Rate, s.Duration.Seconds()
	}
	return p
}

// Label names the point in a line of progress: "epoll c=100 n=1000".
func (s Spec) Label() string {
	if s.Mode == results.ModeOpen {
		return fmt.Sprintf("%s c=%d rate=%g/s", s.Strategy, s.Concurrency, s.Rate)
	}
	return fmt.Sprintf("%s c=%d n=%d %s", s.Strategy, s.Concurrency, s.Requests(), s.LatencyModel)
}

// Requests is the number of requests one pass makes: this share's, with a
// Segment.
func (s Spec) Requests() int {
	if s.Mode == results.ModeOpen {
		return s.Segment.Len(harness.Open{Rate: s.Rate, Duration: s.Duration}.Count())
	}
	return s.Cycle(nil).Len()
}

// Cycle is a closed pass's jobs over pages: N of them, or this share's.
func (s Spec) Cycle(pages []strategies.Job) harness.Cycle {
	c := harness.Cycle{Pages: pages, N: s.N, Segment: s.Segment}
	if !s.Segment.Whole() {
		c.Concurrency = s.SplitConcurrency
	}
	return c
}

// JobIndex is the whole run's index of this pass's job k: the same job in
// a share's timeline and in the whole's.
func (s Spec) JobIndex(k int) int {
	if s.Mode == results.ModeOpen {
		return s.Segment.Global(k)
	}
	return s.Cycle(nil).Global(k)
}

// PassStart is when pass p (0: the cold one) is due, with StartAt: closed,
// the first pass at StartAt and the others as soon as the one before
// ends (zero); open, StartAt + p·(Duration + PassGap). Zero without
// StartAt.
func (s Spec) PassStart(p int) time.Time {
	switch {
	case s.StartAt.IsZero():
		return time.Time{}
	case s.Mode == results.ModeOpen:
		return s.StartAt.Add(time.Duration(p) * (s.Duration + PassGap))
	case p == 0:
		return s.StartAt
	}
	return time.Time{}
}

// Ideal is a closed pass's shortest possible time, ⌈N/inFlight⌉·L, for a
// fixed latency; ok is false when no ideal applies (open mode, a latency
// that varies or is unknown).
func (s Spec) Ideal(inFlight int) (ideal time.Duration, ok bool) {
	if s.Mode == results.ModeOpen || s.FixedLatency < 0 || inFlight < 1 {
		return 0, false
	}
	rounds := (s.Requests() + inFlight - 1) / inFlight
	return time.Duration(rounds) * s.FixedLatency, s.FixedLatency > 0
}

// Message is one line a child writes.
type Message struct {
	Progress *Progress    `json:"progress,omitempty"`
	Run      *results.Run `json:"run,omitempty"`
	Error    string       `json:"error,omitempty"`
}

// Progress counts the requests a child has finished, over every pass it
// makes (the cold pass included).
type Progress struct {
	Done  int64 `json:"done"`
	Total int64 `json:"total"`
}
