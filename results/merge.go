package results

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Merge puts together the shares of one run split over several machines
// (netio bench --segment I/N on each, then netio merge): one File as if one
// machine had made the whole run. dirs name the shares, for the record and
// for errors. Every share of the split must be there, once, made by the
// same netio with the same settings and points: the first difference is
// refused, named.
//
// What a merged run holds:
//   - counts (requests, failures by class, late, dropped, bytes, hedges)
//     and CPU time and context switches: summed;
//   - the latency histogram: the shares' histograms merged exactly (they
//     have the same settings, docs/results.md), and the percentiles read
//     from it;
//   - throughput: the shares' rates added over the window they all ran in
//     (each share's completions inside it, from its series), not the
//     requests over the span from the first start to the last end, which
//     would count the shares' stagger as idle time;
//   - peaks (goroutines, threads, resident memory): the sum over the
//     shares, the whole fleet's; each share's and the largest are in
//     SharePeaks and PeaksMax. Never averaged;
//   - wall time: from the first share's start to the last share's end.
func Merge(shares []File, dirs []string) (File, error) {
	if len(shares) < 2 {
		return File{}, errors.New("results: merge: want the folders of at least two shares")
	}
	order, err := checkShares(shares, dirs)
	if err != nil {
		return File{}, err
	}
	groups, err := matchRuns(shares, dirs, order)
	if err != nil {
		return File{}, err
	}
	out := mergedFile(shares, dirs, order)
	for _, g := range groups {
		run, err := mergeRuns(g)
		if err != nil {
			return File{}, fmt.Errorf("results: merge: %s repetition %d: %w", strings.TrimPrefix(BenchName(g[0].run.Point), "BenchmarkFetch/"), g[0].run.Repetition, err)
		}
		out.Runs = append(out.Runs, run)
	}
	out.Summary = Summarize(out.Runs)
	for _, i := range order {
		out.shareRuns = append(out.shareRuns, sharesRuns{segment: *shares[i].Settings.Segment, runs: shares[i].Runs})
	}
	return out, nil
}

// checkShares checks that the files are the shares of one split run: each
// a share, all of the same split, none twice, none missing, with the same
// netio and settings. It returns the files' indexes in segment order.
func checkShares(shares []File, dirs []string) ([]int, error) {
	first := shares[0]
	order := make([]int, len(shares))
	seen := map[int]string{}
	for i, f := range shares {
		seg := f.Settings.Segment
		switch {
		case seg != nil && (seg.Of < 1 || seg.Index < 0 || seg.Index >= seg.Of):
			return nil, fmt.Errorf("results: merge: %s holds share %d/%d, which cannot be: want 0 ≤ I < N", dirs[i], seg.Index, seg.Of)
		case seg == nil:
			return nil, fmt.Errorf("results: merge: %s is not a share of a split run (no settings.segment: made without netio bench --segment)", dirs[i])
		case seg.Of != len(shares):
			return nil, fmt.Errorf("results: merge: %s is share %d/%d, but %d folders were given: want all %d shares", dirs[i], seg.Index, seg.Of, len(shares), seg.Of)
		case seen[seg.Index] != "":
			return nil, fmt.Errorf("results: merge: %s and %s both hold share %d/%d", seen[seg.Index], dirs[i], seg.Index, seg.Of)
		case f.Interrupted:
			return nil, fmt.Errorf("results: merge: %s was interrupted: its points are not all there", dirs[i])
		case len(f.Failures) > 0:
			return nil, fmt.Errorf("results: merge: %s has a failed point (%s): its share is not whole", dirs[i], f.Failures[0].Error)
		}
		seen[seg.Index] = dirs[i]
		order[seg.Index] = i
		if diff := sameRun(first, f); diff != "" {
			return nil, fmt.Errorf("results: merge: %s and %s differ in %s", dirs[0], dirs[i], diff)
		}
	}
	return order, nil
}

// sameRun names the first setting or version in which b differs from a,
// or returns "".
func sameRun(a, b File) string {
	pairs := []struct{ name, a, b string }{
		{"format version", fmt.Sprint(a.Version), fmt.Sprint(b.Version)},
		{"netio commit", a.Env.Commit, b.Env.Commit},
		{"Go version", a.Env.GoVersion, b.Env.GoVersion},
		{"target", a.Settings.Target, b.Settings.Target},
		{"seed", fmt.Sprint(a.Settings.Seed), fmt.Sprint(b.Settings.Seed)},
		{"count", fmt.Sprint(a.Settings.Count), fmt.Sprint(b.Settings.Count)},
		{"timeout", a.Settings.Timeout, b.Settings.Timeout},
		{"hedge_after", a.Settings.HedgeAfter, b.Settings.HedgeAfter},
		{"start_at", a.Settings.StartAt, b.Settings.StartAt},
	}
	for _, p := range pairs {
		if p.a != p.b {
			return fmt.Sprintf("%s (%q against %q)", p.name, p.a, p.b)
		}
	}
	return ""
}

// shareRun is one share's run of a point and repetition.
type shareRun struct {
	run  Run
	seg  Segment
	host string
}

// wholePoint is what the shares of one point have in common: the point
// without the share's requests and concurrency, and without GOMAXPROCS,
// which each share takes from its machine's cores unless told.
func wholePoint(p Point) Point {
	p.N, p.Concurrency, p.GOMAXPROCS = 0, 0, 0
	return p
}

// matchRuns groups the shares' runs by point and repetition. Every share
// of one bench made its points in the plan's order, so the shares' i-th
// runs belong together: they must be the same point (but for the share's
// requests and concurrency) and repetition. (Matching by point alone
// would not do: the points of a concurrency sweep differ only in what the
// shares split.)
func matchRuns(shares []File, dirs []string, order []int) ([][]shareRun, error) {
	first := shares[order[0]]
	groups := make([][]shareRun, len(first.Runs))
	for _, i := range order {
		f := shares[i]
		if len(f.Runs) != len(first.Runs) {
			return nil, fmt.Errorf("results: merge: %s has %d runs, %s %d: the shares measured different points", dirs[i], len(f.Runs), dirs[order[0]], len(first.Runs))
		}
		for k, r := range f.Runs {
			want := first.Runs[k]
			if wholePoint(r.Point) != wholePoint(want.Point) || r.Repetition != want.Repetition {
				return nil, fmt.Errorf("results: merge: run %d of %s is %s repetition %d, of %s %s repetition %d: the shares measured different points",
					k+1, dirs[i], strings.TrimPrefix(BenchName(r.Point), "BenchmarkFetch/"), r.Repetition, dirs[order[0]], strings.TrimPrefix(BenchName(want.Point), "BenchmarkFetch/"), want.Repetition)
			}
			groups[k] = append(groups[k], shareRun{run: r, seg: *f.Settings.Segment, host: f.Env.Host})
		}
	}
	return groups, nil
}

// mergedFile is the merged run's file before its runs: the first share's
// environment with every share's host, the settings without a segment and
// with the shares.
func mergedFile(shares []File, dirs []string, order []int) File {
	first := shares[order[0]]
	out := File{Version: Version, Env: first.Env, Settings: first.Settings, Runs: []Run{}, Failures: []Failure{}}
	out.Settings.Segment = nil
	var hosts []string
	for _, i := range order {
		f := shares[i]
		out.Settings.Shares = append(out.Settings.Shares, Share{Dir: dirs[i], Segment: *f.Settings.Segment, Host: f.Env.Host})
		if !slices.Contains(hosts, f.Env.Host) {
			hosts = append(hosts, f.Env.Host)
		}
		out.Env.Date = min(out.Env.Date, f.Env.Date)
	}
	out.Env.Host = strings.Join(hosts, ",")
	return out
}

// mergeRuns merges one point's repetition over the shares (see Merge).
func mergeRuns(g []shareRun) (Run, error) {
	m := g[0].run
	m.Point.N, m.Point.Concurrency, m.InFlight = 0, 0, 0
	for _, s := range g { // the largest share's, where the machines differ
		m.GOMAXPROCS = max(m.GOMAXPROCS, s.run.GOMAXPROCS)
	}
	m.Errors = map[string]int{}
	m.SharePeaks = nil
	addCounts(&m, g)
	if err := mergeLatency(&m, g); err != nil {
		return Run{}, err
	}
	if err := mergeTime(&m, g); err != nil {
		return Run{}, err
	}
	mergeResources(&m, g)
	return m, nil
}

// addCounts sums what is counted.
func addCounts(m *Run, g []shareRun) {
	m.OK, m.Failed, m.Verified, m.Mismatched, m.Late, m.Dropped, m.BytesReceived, m.Hedged = 0, 0, 0, 0, 0, 0, 0, 0
	m.FirstError = ""
	for _, s := range g {
		r := s.run
		m.FirstError = cmp.Or(m.FirstError, r.FirstError) // the first share's that failed
		m.N += r.N
		m.Concurrency += r.Concurrency
		m.InFlight += r.InFlight
		m.OK += r.OK
		m.Failed += r.Failed
		m.Verified += r.Verified
		m.Mismatched += r.Mismatched
		m.Late += r.Late
		m.Dropped += r.Dropped
		m.BytesReceived += r.BytesReceived
		m.Hedged += r.Hedged
		for class, n := range r.Errors {
			m.Errors[class] += n
		}
	}
}

// mergeLatency merges the shares' histograms into the run's, exactly, and
// reads its percentiles from it.
func mergeLatency(m *Run, g []shareRun) error {
	var all *hdrhistogram.Histogram
	for _, s := range g {
		h, err := DecodeHistogram(s.run.LatencyHist)
		if err != nil {
			return fmt.Errorf("share %d/%d: %w", s.seg.Index, s.seg.Of, err)
		}
		if all == nil {
			all = h
			continue
		}
		if dropped := all.Merge(h); dropped > 0 {
			return fmt.Errorf("share %d/%d: %d latencies outside the histogram's range", s.seg.Index, s.seg.Of, dropped)
		}
	}
	encoded, err := EncodeHistogram(all)
	if err != nil {
		return err
	}
	m.LatencyHist, m.LatencyMS = encoded, LatencyOf(all)
	return nil
}

// LatencyOf reads a latency histogram (µs) as a run's percentiles (ms).
func LatencyOf(h *hdrhistogram.Histogram) LatencyMS {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return LatencyMS{P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)), P99: ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max())}
}

// span is a share's pass in absolute time.
type span struct{ start, end time.Time }

// mergeTime sets the run's start, wall time, throughput and efficiencies,
// and lines the shares' series and timelines up on one clock.
func mergeTime(m *Run, g []shareRun) error {
	spans := make([]span, len(g))
	for i, s := range g {
		start, err := time.Parse(time.RFC3339Nano, s.run.StartedAt)
		if err != nil {
			return fmt.Errorf("share %d/%d has no start time (a file from before netio merge): %w", s.seg.Index, s.seg.Of, err)
		}
		spans[i] = span{start, start.Add(time.Duration(s.run.WallS * float64(time.Second)))}
	}
	first := slices.MinFunc(spans, func(a, b span) int { return a.start.Compare(b.start) }).start
	last := slices.MaxFunc(spans, func(a, b span) int { return a.end.Compare(b.end) }).end
	common := span{slices.MaxFunc(spans, func(a, b span) int { return a.start.Compare(b.start) }).start,
		slices.MinFunc(spans, func(a, b span) int { return a.end.Compare(b.end) }).end}
	if !common.end.After(common.start) {
		return errors.New("the shares did not run at the same time (one ended before another began): start them together with --start-at")
	}
	m.StartedAt = first.UTC().Format(time.RFC3339Nano)
	m.WallS = last.Sub(first).Seconds()
	m.StartLateMS = nil
	completed := 0.0
	for i, s := range g {
		completed += completionsIn(s.run, spans[i], common)
	}
	m.ThroughputRPS = completed / common.end.Sub(common.start).Seconds()
	m.IdealS, m.Efficiency, m.EfficiencyCold, m.WallColdS = nil, nil, nil, 0
	for _, s := range g { // the split run's ideal is its slowest share's
		if s.run.IdealS != nil && (m.IdealS == nil || *s.run.IdealS > *m.IdealS) {
			m.IdealS = s.run.IdealS
		}
		m.WallColdS = max(m.WallColdS, s.run.WallColdS)
	}
	if m.IdealS != nil {
		m.Efficiency, m.EfficiencyCold = Ratio(*m.IdealS, m.WallS), Ratio(*m.IdealS, m.WallColdS)
	}
	m.Series = mergeSeries(g, spans, first)
	m.Timeline = mergeTimelines(g, spans, first)
	return nil
}

// completionsIn counts a share's completions inside the window w, from its
// series; an interval that straddles w's edge counts in proportion to its
// part inside (the last interval ends with the pass, and is as long as
// that). Without a series, the share's rate over the window.
func completionsIn(r Run, pass span, w span) float64 {
	if r.Series == nil || r.Series.IntervalMS <= 0 {
		return r.ThroughputRPS * w.end.Sub(w.start).Seconds()
	}
	step := time.Duration(r.Series.IntervalMS * float64(time.Millisecond))
	n := 0.0
	for i, c := range r.Series.Completions {
		from := pass.start.Add(time.Duration(i) * step)
		to := earlier(from.Add(step), pass.end)
		if !to.After(from) {
			continue
		}
		if inside := earlier(to, w.end).Sub(later(from, w.start)); inside > 0 {
			n += float64(c) * float64(inside) / float64(to.Sub(from))
		}
	}
	return n
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// mergeSeries adds the shares' series on one clock from first, at the
// coarsest interval among them: completions, errors and requests in
// flight add up; an interval's p99 is the largest of the shares' (an
// upper bound: a p99 cannot be merged from p99s). A share's interval goes
// into the merged interval that holds its middle: totals are kept, and
// nothing is shifted by more than half an interval.
func mergeSeries(g []shareRun, spans []span, first time.Time) *Series {
	step := 0.0
	for _, s := range g {
		if s.run.Series == nil {
			return nil
		}
		step = max(step, s.run.Series.IntervalMS)
	}
	out := &Series{IntervalMS: step}
	for i, s := range g {
		src := s.run.Series
		offset := spans[i].start.Sub(first).Seconds() * 1000
		for k := range src.Completions {
			at := int((offset + (float64(k)+0.5)*src.IntervalMS) / step)
			out.grow(at + 1)
			out.Completions[at] += src.Completions[k]
			out.Errors[at] += src.Errors[k]
			out.InFlight[at] += src.InFlight[k] * src.IntervalMS / step
			out.P99MS[at] = max(out.P99MS[at], src.P99MS[k])
		}
	}
	return out
}

// grow makes room for n intervals.
func (s *Series) grow(n int) {
	for len(s.Completions) < n {
		s.Completions, s.Errors = append(s.Completions, 0), append(s.Errors, 0)
		s.InFlight, s.P99MS = append(s.InFlight, 0), append(s.P99MS, 0)
	}
}

// mergeTimelines puts the shares' sampled requests on one clock from
// first, each share's lanes after the ones before (so every share's
// connections or workers have rows of their own), at most TimelineCap of
// them, spread evenly over the shares' samples.
func mergeTimelines(g []shareRun, spans []span, first time.Time) []Span {
	var all []Span
	laneBase := 0
	for i, s := range g {
		shift := spans[i].start.Sub(first).Seconds() * 1000
		top := 0
		for _, sp := range s.run.Timeline {
			sp.StartMS += shift
			sp.EndMS += shift
			if sp.AtMS != nil {
				at := *sp.AtMS + shift
				sp.AtMS = &at
			}
			if sp.Lane > 0 {
				top = max(top, sp.Lane)
				sp.Lane += laneBase
			}
			all = append(all, sp)
		}
		laneBase += top
	}
	if len(all) <= TimelineCap {
		return all
	}
	every := (len(all) + TimelineCap - 1) / TimelineCap
	kept := make([]Span, 0, TimelineCap)
	for i := 0; i < len(all); i += every {
		kept = append(kept, all[i])
	}
	return kept
}

// TimelineCap bounds a run's timeline: the requests of a pass sampled for
// drawing (harness.TimelineCap), and a merged run's.
const TimelineCap = 2000

// mergeResources sums what the shares spent and keeps each share's peaks.
func mergeResources(m *Run, g []shareRun) {
	var cpuUser, cpuSys, allocB, allocs float64
	m.GoroutinesPeak, m.GoroutinesProcessPeak, m.GoroutinesCreated, m.ThreadsPeak, m.MaxRSSBytes = 0, 0, 0, 0, 0
	m.CtxSwVoluntary, m.CtxSwInvoluntary, m.CtxSwNotMeasured = 0, 0, false
	peakMax := Peaks{}
	for _, s := range g {
		r := s.run
		m.GoroutinesPeak += r.GoroutinesPeak
		m.GoroutinesProcessPeak += r.GoroutinesProcessPeak
		m.GoroutinesCreated += r.GoroutinesCreated
		m.ThreadsPeak += r.ThreadsPeak
		m.MaxRSSBytes += r.MaxRSSBytes
		m.CtxSwVoluntary += r.CtxSwVoluntary
		m.CtxSwInvoluntary += r.CtxSwInvoluntary
		m.CtxSwNotMeasured = m.CtxSwNotMeasured || r.CtxSwNotMeasured
		cpuUser += r.CPUUserS
		cpuSys += r.CPUSysS
		allocB += r.AllocBytesPerReq * float64(r.N)
		allocs += r.AllocsPerReq * float64(r.N)
		peaks := Peaks{Goroutines: r.GoroutinesPeak, Threads: r.ThreadsPeak, MaxRSSBytes: r.MaxRSSBytes}
		m.SharePeaks = append(m.SharePeaks, SharePeaks{Segment: s.seg, Host: s.host, Peaks: peaks, StartedAt: r.StartedAt, StartLateMS: r.StartLateMS, WallS: r.WallS, ThroughputRPS: r.ThroughputRPS})
		peakMax = Peaks{Goroutines: max(peakMax.Goroutines, peaks.Goroutines), Threads: max(peakMax.Threads, peaks.Threads), MaxRSSBytes: max(peakMax.MaxRSSBytes, peaks.MaxRSSBytes)}
	}
	m.PeaksMax = &peakMax
	n := float64(max(m.N, 1))
	m.CPUUserS, m.CPUSysS = cpuUser, cpuSys
	m.CPUMicrosPerReq = (cpuUser + cpuSys) * 1e6 / n
	m.CtxSwPerReq = float64(m.CtxSwVoluntary+m.CtxSwInvoluntary) / n
	m.AllocBytesPerReq, m.AllocsPerReq = allocB/n, allocs/n
}
