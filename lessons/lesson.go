// Package lessons holds netio's classroom demonstrations. Each lesson is
// one idea of the article, shown by a live experiment on a mock server of
// its own: it states a setup and a question to predict, runs, draws what
// happened as a timeline (a row per lane: what carried each request), and
// checks its own claim, so that a lesson whose claim stops holding fails
// (`netio demo NAME --quick`, run in CI). One lesson per file; the
// registry is All. The pages for teachers are in docs/lessons/.
package lessons

import (
	"context"
	"time"

	"github.com/netio-lab/netio/results"
)

// Lesson is one demonstration.
type Lesson struct {
	Name     string        // on the command line: netio demo NAME
	Summary  string        // one line, for the list
	Duration time.Duration // about how long a full run takes (--quick: less)
	Setup    string        // the paragraph read before it runs
	Question string        // what to predict
	Explain  string        // a few lines after it ran, tied to the article
	run      func(ctx context.Context, o Options, live func([]Timeline)) (Outcome, error)
}

// Options are a lesson run's settings.
type Options struct {
	// Quick runs the lesson at small sizes, for CI: the claim is checked
	// with margins that hold on a loaded machine.
	Quick bool
	// Strategies, when set, replaces the strategies the lesson compares:
	// how a test shows that a lesson's check can fail (a sequential
	// strategy named where a concurrent one belongs must break the claim).
	Strategies []string
}

// Outcome is what a lesson run measured.
type Outcome struct {
	Timelines []Timeline
	Notes     []string // lines shown between the timeline and the claims: what the lesson saw in detail
	Claims    []Claim
}

// Holds reports whether no claim failed: each held, or was inconclusive on
// this machine (a lesson that cannot judge a claim says so, and is not
// wrong for it).
func (o Outcome) Holds() bool {
	for _, c := range o.Claims {
		if !c.Held() {
			return false
		}
	}
	return true
}

// Timeline is one strategy's batch as the lesson draws it.
type Timeline struct {
	Title string         // the strategy, and what it was asked
	Lanes string         // what a lane is for it (strategies.Info.Lane)
	Names []string       // each job's label, by index ("London")
	Items string         // what a span stands for, plural: "pages" when empty
	Spans []results.Span // one per finished request, times from the batch's start
	EndMS float64        // the batch's wall time, once it is over; 0 while it runs

	// Running are the requests started and not finished yet (their EndMS
	// is unset), drawn as bars that grow to NowMS, the batch's clock when
	// the timelines were copied for the live view.
	Running []results.Span
	NowMS   float64
	begun   time.Time // the batch's start, the zero of its times
}

// Run runs the lesson. live, if not nil, is called with the timelines so
// far each time a request finishes, from the lesson's goroutine or the
// strategy's: it must not block.
func (l Lesson) Run(ctx context.Context, o Options, live func([]Timeline)) (Outcome, error) {
	if live == nil {
		live = func([]Timeline) {}
	}
	return l.run(ctx, o, live)
}

// All lists the lessons in teaching order.
func All() []Lesson {
	return []Lesson{waiting, poolSize, partialReads, oneLoop, blockingCallback, sharedState, tailAtScale, failures, notParallelism}
}

// Lookup finds a lesson by name.
func Lookup(name string) (Lesson, bool) {
	for _, l := range All() {
		if l.Name == name {
			return l, true
		}
	}
	return Lesson{}, false
}
