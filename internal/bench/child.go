package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
	"github.com/netio-lab/netio/strategies"
)

// progressEvery is how often a child reports progress; the parent treats a
// long silence as a hung child.
const progressEvery = 250 * time.Millisecond

// RunChild is the child's side: it reads a Spec from in, measures it, and
// writes Messages to out. It returns when the spec is done, failed, or ctx
// ended (its error then is ctx's).
func RunChild(ctx context.Context, in io.Reader, out io.Writer) error {
	var spec Spec
	w := &messageWriter{enc: json.NewEncoder(out)}
	if err := json.NewDecoder(in).Decode(&spec); err != nil {
		err = fmt.Errorf("bench: reading the spec: %w", err)
		w.send(Message{Error: err.Error()})
		return err
	}
	err := measure(ctx, spec, w)
	if err != nil && ctx.Err() == nil {
		w.send(Message{Error: err.Error()})
	}
	return err
}

// messageWriter writes one Message per line; the progress ticker and the
// measuring goroutine share it.
type messageWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (w *messageWriter) send(m Message) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// A broken pipe means the parent is gone. The error is not needed: a
	// write to a broken stdout kills the process with SIGPIPE, which is how
	// a child outlives no parent for longer than a progress tick.
	w.enc.Encode(m)
}

// measure makes the cold pass, then spec.Count measured ones, reporting a
// Run for each measured pass.
func measure(ctx context.Context, spec Spec, w *messageWriter) error {
	info, err := strategies.Lookup(spec.Strategy)
	if err != nil {
		return err
	}
	if spec.GOMAXPROCS > 0 {
		runtime.GOMAXPROCS(spec.GOMAXPROCS)
	}
	gauge := new(strategies.Gauge)
	f, err := info.New(strategies.Config{Concurrency: spec.Concurrency, Timeout: spec.Timeout, HedgeAfter: spec.HedgeAfter, Gauge: gauge, Loops: spec.Loops})
	if err != nil {
		return err
	}
	defer f.Close()

	requests := spec.Requests()
	counted := &countingFetcher{f: f, anyPage: spec.AnyPage}
	stop := reportProgress(w, &counted.done, int64(requests*(spec.Count+1)))
	defer stop()

	m := measurer{spec: spec, f: counted, gauge: gauge, inFlight: info.InFlight(spec.Concurrency, requests), lanes: info.Lane, pages: pageJobs(spec.Pages)}
	if spec.Truth {
		m.expect = groundTruth(spec.Seed, spec.Pages)
	}
	began := time.Now()
	cold, err := m.pass(ctx, 0)
	if err != nil {
		return err
	}
	m.coldLate = lateness(m.spec.PassStart(0), began)
	if spec.CPUProfile != "" {
		stop, err := startCPUProfile(spec.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	for rep := 1; rep <= spec.Count; rep++ {
		run, err := m.measured(ctx, rep, cold)
		if err != nil {
			return err
		}
		w.send(Message{Run: &run})
	}
	return nil
}

// startCPUProfile profiles the measured passes (not the cold one) into
// path; stop ends the profile and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: --cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: --cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// reportProgress sends done/total every progressEvery until stop is called.
func reportProgress(w *messageWriter, done *atomic.Int64, total int64) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			w.send(Message{Progress: &Progress{Done: done.Load(), Total: total}})
			select {
			case <-t.C:
			case <-quit:
				w.send(Message{Progress: &Progress{Done: done.Load(), Total: total}}) // the final count, not the last tick's
				return
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

type measurer struct {
	spec     Spec
	f        strategies.Fetcher
	gauge    *strategies.Gauge
	inFlight int
	lanes    string // what a Span's Lane numbers (strategies.Info.Lane)
	pages    []strategies.Job
	expect   harness.Expect
	coldLate *float64 // how late the first pass began against --start-at
}

// groundTruth is the mock server's temperature for each page, worked out
// before any measurement: the check then costs a map look-up per request,
// not the observation's rendering, on the strategy's own goroutine.
func groundTruth(seed int64, pages []string) harness.Expect {
	truth := make(map[string]float64, len(pages))
	for _, u := range pages {
		if t, ok := mockserver.ExpectedTemperature(seed, u); ok {
			truth[u] = t
		}
	}
	return func(j strategies.Job) (float64, bool) {
		t, ok := truth[j.URL]
		return t, ok
	}
}

// pass runs pass p (0: the cold one) of the workload: N requests closed,
// or Rate×Duration arrivals open, or the Segment's share of them. With
// StartAt it keeps to its time (Spec.PassStart): a closed pass waits for
// it, an open pass's schedule starts there, and one that has passed
// already counts its arrivals late.
func (m measurer) pass(ctx context.Context, p int) (harness.Report, error) {
	due := m.spec.PassStart(p)
	if m.spec.Mode == results.ModeOpen {
		// Wait until just before the schedule, as an open pass without a
		// time begins just before its first arrival: the pass's wall time
		// and rate are its schedule's, not the wait's.
		if err := sleepUntil(ctx, due.Add(-harness.OpenLead)); err != nil {
			return harness.Report{}, err
		}
		open := harness.Open{Rate: m.spec.Rate, Duration: m.spec.Duration, Grace: m.spec.Timeout, Start: due, Segment: m.spec.Segment}
		return harness.RunOpen(ctx, m.f, open, m.pages, m.expect)
	}
	if err := sleepUntil(ctx, due); err != nil {
		return harness.Report{}, err
	}
	return harness.Run(ctx, m.f, m.spec.Cycle(m.pages), m.expect)
}

// lateness is how late something due at due began at began, in ms (0 on
// time); nil when nothing was due (no --start-at).
func lateness(due, began time.Time) *float64 {
	if due.IsZero() {
		return nil
	}
	late := float64(max(0, began.Sub(due)).Microseconds()) / 1000
	return &late
}

// sleepUntil waits until t (at once if t is zero or past), or ctx ends.
func sleepUntil(ctx context.Context, t time.Time) error {
	if t.IsZero() || !time.Now().Before(t) {
		return nil
	}
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// measured runs one measured pass with the probes on and turns its report
// into a Run. cold is the first pass of this process.
func (m measurer) measured(ctx context.Context, rep int, cold harness.Report) (results.Run, error) {
	runtime.GC() // start each pass with a clean heap: the last pass's garbage is not this one's cost
	probes := harness.StartProbes(m.gauge)
	began := time.Now()
	report, err := m.pass(ctx, rep)
	peaks := probes.Stop()
	if err != nil {
		return results.Run{}, err
	}
	run := newRun(m.spec, report, peaks)
	run.StartedAt = report.Start.UTC().Format(time.RFC3339Nano)
	if due := m.spec.PassStart(rep); !due.IsZero() {
		run.StartLateMS = lateness(due, began)
	} else {
		run.StartLateMS = m.coldLate // closed: the share's start, its first pass's
	}
	run.Repetition, run.InFlight, run.Lanes = rep, m.inFlight, m.lanes
	if ideal, ok := m.spec.Ideal(m.inFlight); ok {
		s := ideal.Seconds()
		run.IdealS = &s
		run.Efficiency = results.Ratio(s, report.Wall.Seconds())
		run.EfficiencyCold = results.Ratio(s, cold.Wall.Seconds())
	}
	run.WallColdS = cold.Wall.Seconds()
	return run, nil
}

// newRun fills a result record from a pass's report and probe peaks.
func newRun(spec Spec, r harness.Report, peaks harness.Peaks) results.Run {
	p := spec.Point()
	if p.GOMAXPROCS == 0 { // the spec left it to Go: record what Go chose
		p.GOMAXPROCS = runtime.GOMAXPROCS(0)
	}
	requests := float64(max(r.Jobs, 1))
	u := r.Usage
	errs := make(map[string]int, len(r.Errors))
	for class, n := range r.Errors {
		errs[string(class)] = n
	}
	// The result file owns its types; harness's have the same fields.
	timeline := make([]results.Span, len(r.Timeline))
	for i, s := range r.Timeline {
		// The whole run's job index: a share's requests keep their place.
		timeline[i] = results.Span{Index: spec.JobIndex(s.Index), Lane: s.Lane, StartMS: s.StartMS, EndMS: s.EndMS, Class: s.Class}
		if spec.Mode == results.ModeOpen {
			timeline[i].AtMS = &s.AtMS
		}
	}
	var hedgeAfter *float64
	if spec.HedgeAfter > 0 {
		ms := float64(spec.HedgeAfter.Microseconds()) / 1000
		hedgeAfter = &ms
	}
	return results.Run{
		Point:  p,
		Hedged: r.Hedged, HedgeAfterMS: hedgeAfter,
		OK: r.OK, Failed: r.Failed, Verified: r.Verified, Mismatched: r.Mismatched, Errors: errs, FirstError: r.FirstError,
		Late: r.Late, Dropped: r.Dropped,
		WallS:         r.Wall.Seconds(),
		ThroughputRPS: r.Throughput(),
		LatencyMS:     results.LatencyMS(r.Latency),
		LatencyHist:   r.LatencyHist,
		Series:        newSeries(r.Series),

		GoroutinesPeak:        peaks.Goroutines,
		GoroutinesProcessPeak: peaks.ProcessGoroutines,
		GoroutinesCreated:     u.GoroutinesCreated,
		ThreadsPeak:           peaks.Threads,
		CtxSwVoluntary:        u.VoluntaryCtxSw,
		CtxSwInvoluntary:      u.InvoluntaryCtxSw,
		CtxSwPerReq:           float64(u.VoluntaryCtxSw+u.InvoluntaryCtxSw) / requests,
		CPUUserS:              u.UserCPU.Seconds(),
		CPUSysS:               u.SysCPU.Seconds(),
		CPUMicrosPerReq:       float64((u.UserCPU + u.SysCPU).Microseconds()) / requests,
		AllocBytesPerReq:      float64(u.AllocBytes) / requests,
		AllocsPerReq:          float64(u.Allocs) / requests,
		MaxRSSBytes:           u.MaxRSSBytes,
		BytesReceived:         r.BytesReceived,
		CtxSwNotMeasured:      !u.CtxSwMeasured, // Windows: the three CtxSw figures are 0 and mean nothing
		Timeline:              timeline,
	}
}

// countingFetcher counts finished requests for the progress report, and
// with anyPage accepts a page without a temperature as a success.
type countingFetcher struct {
	f       strategies.Fetcher
	anyPage bool
	done    atomic.Int64
}

func (c *countingFetcher) Fetch(ctx context.Context, jobs strategies.Jobs, done func(strategies.Result)) error {
	return c.f.Fetch(ctx, jobs, func(r strategies.Result) {
		if c.anyPage && r.Class == strategies.ClassNoTemperature {
			r.Class, r.Err = strategies.ClassOK, nil
		}
		c.done.Add(1)
		done(r)
	})
}

// pageJobs makes one job per URL.
func pageJobs(urls []string) []strategies.Job {
	jobs := make([]strategies.Job, len(urls))
	for i, u := range urls {
		jobs[i] = strategies.Job{Name: u, URL: u}
	}
	return jobs
}

// Close closes the strategy.
func (c *countingFetcher) Close() error { return c.f.Close() }

// newSeries is a pass's Series as the result file keeps it.
func newSeries(s harness.Series) *results.Series {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	out := &results.Series{
		IntervalMS:  ms(s.Interval),
		Completions: s.Completions,
		Errors:      s.Errors,
		InFlight:    s.InFlight,
		P99MS:       make([]float64, len(s.P99)),
	}
	for i, d := range s.P99 {
		out.P99MS[i] = ms(d)
	}
	return out
}
