package lessons

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
	"github.com/netio-lab/netio/strategies"
)

// page is one page a lesson fetches: a city and how long the server waits
// before it answers.
type page struct {
	icao, city string
	delay      time.Duration
	fault      string // a fault to force (mockserver.FaultKinds), or none
}

// stationPages is n pages going round the station catalogue, each with
// the same delay.
func stationPages(n int, delay time.Duration) []page {
	stations := mockserver.Stations()
	pages := make([]page, n)
	for i := range pages {
		st := stations[i%len(stations)]
		pages[i] = page{icao: st.ICAO, city: st.City, delay: delay}
	}
	return pages
}

// jobs makes the strategies' jobs for pages on srv, each page with its own
// delay (a query override: the server's other settings stand).
func jobs(srv *mockserver.Server, pages []page) strategies.JobList { return jobsAt(srv.URL(), pages) }

// jobsAt is jobs for the mock server at base.
func jobsAt(base string, pages []page) strategies.JobList {
	out := make(strategies.JobList, len(pages))
	for i, p := range pages {
		name := p.city
		if p.fault != "" {
			name = p.fault
		}
		out[i] = strategies.Job{Name: name, URL: mockserver.PageURL(base, p.icao, mockserver.Overrides{Latency: p.delay, Fault: p.fault})}
	}
	return out
}

// board is the timelines of a lesson as they fill in: strategies' done
// callbacks add to it from their goroutines, and the live view reads it.
type board struct {
	mu        sync.Mutex
	timelines []Timeline
	live      func([]Timeline)
}

// snapshot copies the timelines, for the live view, with the clock of
// the batches still running.
func (b *board) snapshot() []Timeline {
	out := slices.Clone(b.timelines)
	for i := range out {
		out[i].Spans = slices.Clone(out[i].Spans)
		out[i].Running = slices.Clone(out[i].Running)
		if out[i].EndMS == 0 && !out[i].begun.IsZero() {
			out[i].NowMS = msSince(out[i].begun, time.Now())
		}
	}
	return out
}

// msSince is t in milliseconds from zero.
func msSince(zero, t time.Time) float64 { return float64(t.Sub(zero).Microseconds()) / 1000 }

// batch is one strategy's run on the board: its results, by job index.
type batch struct {
	Results []strategies.Result
	Wall    time.Duration
	Order   []int // job indexes in the order they finished
}

// fetch runs one strategy over js with concurrency c, adding a timeline
// to the board and drawing it live as each request finishes.
func (b *board) fetch(ctx context.Context, name string, c int, js strategies.JobList) (batch, error) {
	return b.fetchWith(ctx, name, c, js, fetchOptions{})
}

// fetchOptions change how fetchWith runs a batch.
type fetchOptions struct {
	// slow makes the done callback sleep this long after recording each
	// result: the mistake lesson blocking-callback makes on purpose
	// (Fetcher's contract says done must not block).
	slow time.Duration
	// timeout is the per-request timeout; zero means 10 s.
	timeout time.Duration
	// onDone, if set, runs in the done callback, outside the board's lock:
	// the lesson's own work per result (shared-state's counter).
	onDone func()
	// offBoard keeps the batch off the timelines and the live view (a
	// batch of hundreds of lanes that would not fit a screen).
	offBoard bool
	// strategy, if set, is the strategy to run, when the batch's title
	// says more than its name.
	strategy string
	// work, if set, is the page's processing: it runs in the done
	// callback, on whatever goroutine the strategy calls it from, and the
	// request's bar ends when it does (not-parallelism's CPU step).
	work func()
	// onRead, if set, watches every read an event loop makes
	// (strategies.Config.OnRead): partial-reads' trace.
	onRead func(strategies.ReadStep)
}

// fetchWith is fetch with options.
func (b *board) fetchWith(ctx context.Context, name string, c int, js strategies.JobList, o fetchOptions) (batch, error) {
	timeout := cmp.Or(o.timeout, 10*time.Second)
	info, err := strategies.Lookup(cmp.Or(o.strategy, name))
	if err != nil {
		return batch{}, fmt.Errorf("lessons: %w", err)
	}
	// A batch off the board draws on a board of its own, never shown: its
	// hundreds of lanes would not fit the live view even for a moment.
	on := b
	if o.offBoard {
		on = &board{live: func([]Timeline) {}}
	}
	var row int // set before Fetch, which calls OnStart
	onStart := func(s strategies.Started) { on.begin(row, s) }
	f, err := newFetcher(info, strategies.Config{Concurrency: c, Timeout: timeout, OnRead: o.onRead, OnStart: onStart})
	if err != nil {
		return batch{}, fmt.Errorf("lessons: %s: %w", info.Name, err)
	}
	defer f.Close()
	names := make([]string, len(js))
	for i, j := range js {
		names[i] = j.Name
	}
	out := batch{Results: make([]strategies.Result, len(js))}
	start := time.Now()
	row = on.add(Timeline{Title: name, Lanes: info.Lane, Names: names, begun: start})
	ms := func(t time.Time) float64 { return msSince(start, t) }
	err = f.Fetch(ctx, js, func(r strategies.Result) {
		end := r.End
		if o.work != nil {
			o.work()
			end = time.Now()
		}
		on.record(row, &out, r, results.Span{Index: r.Index, Lane: r.Lane, StartMS: ms(r.Start), EndMS: ms(end), Class: r.Class.String()})
		// Outside the board's lock: only this callback's caller waits.
		time.Sleep(o.slow)
		if o.onDone != nil {
			o.onDone()
		}
	})
	out.Wall = time.Since(start)
	on.end(row, out.Wall)
	return out, err
}

// add puts a timeline on the board and returns its row.
func (b *board) add(tl Timeline) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timelines = append(b.timelines, tl)
	return len(b.timelines) - 1
}

// begin shows a request that has started as a running bar, and draws the
// board. A request started again (a retry on a fresh connection) moves to
// its new lane.
func (b *board) begin(row int, s strategies.Started) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tl := &b.timelines[row]
	tl.Running = slices.DeleteFunc(tl.Running, func(r results.Span) bool { return r.Index == s.Index })
	tl.Running = append(tl.Running, results.Span{Index: s.Index, Lane: s.Lane, StartMS: msSince(tl.begun, s.At)})
	b.live(b.snapshot())
}

// addSpan adds a finished span to a timeline and draws the board.
func (b *board) addSpan(row int, span results.Span) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timelines[row].Spans = append(b.timelines[row].Spans, span)
	b.live(b.snapshot())
}

// end marks a timeline's batch over after wall, and draws the board.
func (b *board) end(row int, wall time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timelines[row].EndMS = float64(wall.Microseconds()) / 1000
	b.live(b.snapshot())
}

// record adds a finished request to a batch and to its timeline, and
// draws the board.
func (b *board) record(row int, out *batch, r strategies.Result, span results.Span) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out.Results[r.Index] = r
	out.Order = append(out.Order, r.Index)
	tl := &b.timelines[row]
	tl.Running = slices.DeleteFunc(tl.Running, func(s results.Span) bool { return s.Index == r.Index })
	tl.Spans = append(tl.Spans, span)
	b.live(b.snapshot())
}

// newFetcher builds a strategy; a test puts an unavailable one in its
// place.
var newFetcher = func(info strategies.Info, cfg strategies.Config) (strategies.Fetcher, error) { return info.New(cfg) }

// unavailable reports whether err says a strategy cannot run on this
// system, and if so adds a claim saying so to out: the lesson shows the
// strategies it can, and never a zero that looks measured.
func unavailable(err error, out *Outcome) bool {
	var u *strategies.UnavailableError
	if !errors.As(err, &u) {
		return false
	}
	out.Claims = append(out.Claims, NotRun(u.Strategy, u.Reason))
	return true
}

// failedPages is a lesson's error when pages it needs failed, or nil when
// none did: one line however many failed (how many of how many, by class,
// the first error) and a hint, never every error joined.
func failedPages(what string, rs []strategies.Result, quick bool) error {
	var t harness.Tally
	for _, r := range rs {
		t.Add(r, 0, false)
	}
	if t.Failed == 0 {
		return nil
	}
	return fmt.Errorf("lessons: %s: %s (%s)", what, t.FailureLine("pages"), slowMachineHint(quick))
}

// slowMachineHint is what to try when a lesson's pages failed.
func slowMachineHint(quick bool) string {
	if quick {
		return "the machine may be too busy for this lesson now: try again when it is quieter"
	}
	return "on a slow or busy machine, try --quick"
}

// peakInFlight is the most requests of rs in flight at once, from their
// starts and ends: a count, which no delay of the machine changes as long
// as the requests overlap at all.
func peakInFlight(rs []strategies.Result) int {
	type edge struct {
		at    time.Time
		delta int
	}
	edges := make([]edge, 0, 2*len(rs))
	for _, r := range rs {
		edges = append(edges, edge{r.Start, 1}, edge{r.End, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		return cmp.Or(a.at.Compare(b.at), a.delta-b.delta) // an end before a start at the same instant
	})
	peak, now := 0, 0
	for _, e := range edges {
		now += e.delta
		peak = max(peak, now)
	}
	return peak
}

// inMS is a duration in milliseconds, for a Bound in "ms".
func inMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// startServer starts a mock server in this process for one lesson run.
func startServer() (*mockserver.Server, error) { return startServerWith(mockserver.Model{}) }

// startServerWith starts one with a behaviour model (a queue, say).
func startServerWith(m mockserver.Model) (*mockserver.Server, error) {
	srv, err := mockserver.Start(mockserver.Config{Seed: 1, Model: m})
	if err != nil {
		return nil, fmt.Errorf("lessons: start the mock server: %w", err)
	}
	return srv, nil
}

// msString prints a duration in whole milliseconds.
func msString(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }
