// Package results defines netio's result files and writes them.
//
// A `netio bench` invocation writes one folder: run.json (File: the
// environment, the settings, every measured run, a summary per point, and
// the runs that failed) and bench.txt (the same runs in the Go benchmark
// format, for benchstat). The JSON field names are a contract, documented
// in docs/results.md: change them only with a new Version.
//
// The figures that are summarized, shown and compared are listed once, in
// Metrics: the summary, the terminal table (WriteTable) and bench.txt
// (WriteBenchText) all follow that table.
package results

import "slices"

// Version is the format of run.json; readers check it. Version 2 keys a
// summary's spreads by metric name under "metrics" (docs/results.md);
// version 1 had one field per figure.
const Version = 2

// The workload modes.
const (
	ModeClosed = "closed" // N requests, at most C in flight
	ModeOpen   = "open"   // arrivals at a constant rate for a duration
)

// File is the content of run.json.
type File struct {
	Version     int       `json:"version"`
	Env         Env       `json:"env"`
	Command     []string  `json:"command"`
	Settings    Settings  `json:"settings"`
	Runs        []Run     `json:"runs"`
	Summary     []Summary `json:"summary"`
	Failures    []Failure `json:"failures"`
	Interrupted bool      `json:"interrupted"`

	// shareRuns, in a file made by Merge, are the shares' own runs, for
	// bench.txt (each share's samples under a name of its own). Not in
	// run.json: the shares' folders keep them.
	shareRuns []sharesRuns
}

// sharesRuns is one share's runs.
type sharesRuns struct {
	segment Segment
	runs    []Run
}

// Settings are the bench's options as given, for a reader who wants to
// repeat the run.
type Settings struct {
	Target  string `json:"target"` // the server's base URL, or "embedded"
	Seed    int64  `json:"seed"`
	Count   int    `json:"count"`
	Timeout string `json:"timeout"`
	// HedgeAfter is --hedge-after: a request not answered after it was
	// sent a second time (empty: no hedging).
	HedgeAfter string `json:"hedge_after,omitempty"`
	// Segment, for one share of a run split over several machines
	// (--segment I/N), says which; absent for a whole run.
	Segment *Segment `json:"segment,omitempty"`
	// StartAt is --start-at (RFC 3339), when given.
	StartAt string `json:"start_at,omitempty"`
	// Shares, in a merged run (netio merge), are the shares it was made
	// from: their folders, segments and hosts.
	Shares []Share `json:"shares,omitempty"`
	// LatencySource says where the runs' latency_model comes from:
	// LatencyFromFlags or LatencyFromServer. Absent in files from before
	// it was recorded, all of whose models came from the flags, but with
	// --url ("unknown").
	LatencySource string `json:"latency_source,omitempty"`
	// LatencyOverride, with --target and delay flags, names the flags that
	// set the delay over the server's own model ("--latency", "--dist,
	// --p99"); absent otherwise.
	LatencyOverride string `json:"latency_override,omitempty"`
}

// The sources of a latency model (Settings.LatencySource).
const (
	// LatencyFromFlags: the bench's delay flags, asked of the mock server
	// in every page URL (its own server's, or a --target's over its own
	// model).
	LatencyFromFlags = "flags"
	// LatencyFromServer: the server's own, unchanged by the bench: read
	// from a --target mock server (GET /model) before the run, "unknown"
	// where it could not be, and with --url.
	LatencyFromServer = "server"
)

// Peaks are a process's peaks: goroutines (the strategy's own), OS
// threads, resident memory.
type Peaks struct {
	Goroutines  int64 `json:"goroutines"`
	Threads     int64 `json:"threads"`
	MaxRSSBytes int64 `json:"max_rss_bytes"`
}

// SharePeaks is one share's part of a merged run: where it ran, when, how
// fast, and its peaks.
type SharePeaks struct {
	Segment       Segment `json:"segment"`
	Host          string  `json:"host"`
	Peaks         `json:"peaks"`
	StartedAt     string   `json:"started_at"`
	StartLateMS   *float64 `json:"start_late_ms,omitempty"`
	WallS         float64  `json:"wall_s"`
	ThroughputRPS float64  `json:"throughput_rps"`
}

// Segment is one share of a split run: Index of Of, from 0
// (harness.Segment).
type Segment struct {
	Index int `json:"index"`
	Of    int `json:"of"`
}

// Share is one share a merged run was made from.
type Share struct {
	Dir     string  `json:"dir"`
	Segment Segment `json:"segment"`
	Host    string  `json:"host"`
}

// Run is one measured repetition of one strategy at one point of the
// settings (one concurrency, latency, N or rate of a sweep).
type Run struct {
	Point          // N is the requests of this pass; GOMAXPROCS the child's
	InFlight   int `json:"in_flight"`  // the most requests the strategy keeps in flight for it
	Repetition int `json:"repetition"` // 1..count

	OK         int            `json:"ok"`
	Failed     int            `json:"failed"`
	Verified   int            `json:"verified"`
	Mismatched int            `json:"mismatched"`
	Errors     map[string]int `json:"errors"`
	// FirstError is the pass's first failed request, "class: error":
	// with Errors, a pass's failures in one line (FailureLine).
	FirstError string `json:"first_error,omitempty"`
	Late       int    `json:"late"`
	Dropped    int    `json:"dropped"`
	// StartedAt is when the pass began (RFC 3339, UTC, nanoseconds): the
	// shares of a split run are put side by side by it (netio merge).
	StartedAt string `json:"started_at,omitempty"`
	// StartLateMS, with --start-at, is how late the pass began against its
	// time (0 on time).
	StartLateMS *float64 `json:"start_late_ms,omitempty"`

	// SharePeaks and PeaksMax are in a merged run only (netio merge): each
	// share's peaks, and the largest of them. The run's own peak fields
	// are then the sums over the shares: the whole fleet's.
	SharePeaks []SharePeaks `json:"share_peaks,omitempty"`
	PeaksMax   *Peaks       `json:"peaks_max,omitempty"`

	// Hedged counts the requests sent twice, because the first copy had
	// not answered after HedgeAfterMS: the extra requests hedging cost.
	// Both are absent from runs without hedging.
	Hedged       int      `json:"hedged,omitempty"`
	HedgeAfterMS *float64 `json:"hedge_after_ms,omitempty"`

	WallS          float64  `json:"wall_s"`
	IdealS         *float64 `json:"ideal_s"`         // null: not applicable (see docs)
	Efficiency     *float64 `json:"efficiency"`      // ideal_s / wall_s of this warm pass
	EfficiencyCold *float64 `json:"efficiency_cold"` // the same for the process's first, cold pass
	WallColdS      float64  `json:"wall_cold_s"`
	ThroughputRPS  float64  `json:"throughput_rps"`

	LatencyMS LatencyMS `json:"latency_ms"`
	// LatencyHist is the histogram LatencyMS was read from: HdrHistogram's
	// compressed V2 encoding, base64, in microseconds from 1 µs to 1 hour
	// at 3 significant digits (DecodeHistogram). Absent in files from
	// before it was recorded.
	LatencyHist string `json:"latency_hist,omitempty"`
	// Series is the pass over time (docs/results.md, "Series").
	Series *Series `json:"series,omitempty"`

	GoroutinesPeak        int64   `json:"goroutines_peak"`
	GoroutinesProcessPeak int64   `json:"goroutines_process_peak"`
	GoroutinesCreated     uint64  `json:"goroutines_created"`
	ThreadsPeak           int64   `json:"threads_peak"`
	CtxSwVoluntary        int64   `json:"ctx_switches_voluntary"`
	CtxSwInvoluntary      int64   `json:"ctx_switches_involuntary"`
	CtxSwPerReq           float64 `json:"ctx_switches_per_req"`
	CPUUserS              float64 `json:"cpu_user_s"`
	CPUSysS               float64 `json:"cpu_sys_s"`
	CPUMicrosPerReq       float64 `json:"cpu_us_per_req"`
	AllocBytesPerReq      float64 `json:"alloc_bytes_per_req"`
	AllocsPerReq          float64 `json:"allocs_per_req"`
	MaxRSSBytes           int64   `json:"max_rss_bytes"`
	BytesReceived         int64   `json:"bytes_received"`

	// CtxSwNotMeasured says the three ctx_switches figures are 0 because
	// the system that made the run counts no context switches per process
	// (Windows), not because there were none. It is written only when
	// true, so the files from before it existed, all made on systems that
	// count them, read as measured.
	CtxSwNotMeasured bool `json:"ctx_switches_not_measured,omitempty"`

	// Lanes says what a Span's Lane numbers for this strategy ("worker",
	// "connection", …): strategies.Info.Lane.
	Lanes    string `json:"lanes,omitempty"`
	Timeline []Span `json:"timeline"`
}

// Series is a pass in equal intervals from its start: the slices hold one
// value per interval. IntervalMS starts at 100 and doubles for long passes,
// so that there are at most 100 intervals.
type Series struct {
	IntervalMS  float64   `json:"interval_ms"`
	Completions []int     `json:"completions"` // results that ended in the interval, failed ones included
	Errors      []int     `json:"errors"`      // of those, the failed ones
	InFlight    []float64 `json:"in_flight"`   // requests on the network, averaged over the interval
	P99MS       []float64 `json:"p99_ms"`      // of the results that ended in it; 0 when none did
}

// LatencyMS is a pass's latency distribution, in milliseconds: percentiles
// of an HDR histogram of every request, failed ones included, measured in
// open mode from each request's intended start (docs/results.md).
type LatencyMS struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Span is one request of a pass's timeline: when it started and ended, in
// milliseconds from the start of the pass, and how it ended.
type Span struct {
	Index int `json:"i"`    // the job's index in the pass
	Lane  int `json:"lane"` // what carried it (Run.Lanes), from 1; 0: nothing did (canceled or failed before)
	// AtMS is the intended start of an open workload's request, absent in
	// a closed one: from AtMS to StartMS the request waited in the client.
	AtMS    *float64 `json:"at_ms,omitempty"`
	StartMS float64  `json:"start_ms"`
	EndMS   float64  `json:"end_ms"`
	Class   string   `json:"class"` // "ok" or the failure class
}

// Point names the settings a Run was made at, without its repetition: runs
// with the same Point are repetitions of one measurement.
type Point struct {
	Strategy     string  `json:"strategy"`
	Mode         string  `json:"mode"` // ModeClosed or ModeOpen
	N            int     `json:"n"`
	Concurrency  int     `json:"concurrency"` // as given; see Run.InFlight
	GOMAXPROCS   int     `json:"gomaxprocs"`  // Ps for Go code
	Rate         float64 `json:"rate"`        // arrivals per second (open), else 0
	DurationS    float64 `json:"duration_s"`  // open only, else 0
	LatencyModel string  `json:"latency_model"`
}

// Failure is a point whose child process failed: it crashed, hung, or
// could not start. Repetitions it completed before are in Runs.
type Failure struct {
	Point
	Error  string `json:"error"`
	Stderr string `json:"stderr"` // the last lines the child wrote
}

// Spread is a figure over the repetitions of a point.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Summary is a point's figures over its repetitions.
type Summary struct {
	Point
	Count int `json:"count"`
	// Metrics holds one Spread per metric of the table Metrics, by its Name.
	// An optional metric that applies to none of the repetitions is absent.
	Metrics map[string]Spread `json:"metrics"`
	// Summed over the repetitions.
	Failed     int `json:"failed"`
	Mismatched int `json:"mismatched"`
	Late       int `json:"late"`
	Dropped    int `json:"dropped"`
}

// Summarize groups runs by point, in the order the points first appear.
func Summarize(runs []Run) []Summary {
	var order []Point
	groups := map[Point][]Run{}
	for _, r := range runs {
		p := r.Point
		if _, seen := groups[p]; !seen {
			order = append(order, p)
		}
		groups[p] = append(groups[p], r)
	}
	out := make([]Summary, 0, len(order))
	for _, p := range order {
		out = append(out, summarize(p, groups[p]))
	}
	return out
}

func summarize(p Point, rs []Run) Summary {
	s := Summary{Point: p, Count: len(rs), Metrics: make(map[string]Spread, len(Metrics))}
	for _, m := range Metrics {
		var v []float64
		for _, r := range rs {
			if x, ok := m.Value(r); ok {
				v = append(v, x)
			}
		}
		if len(v) > 0 {
			s.Metrics[m.Name] = spread(v)
		}
	}
	for _, r := range rs {
		s.Failed += r.Failed
		s.Mismatched += r.Mismatched
		s.Late += r.Late
		s.Dropped += r.Dropped
	}
	return s
}

// spread is the median, min and max of v (not empty), which it sorts. The
// median of an even count is the mean of the middle two.
func spread(v []float64) Spread {
	slices.Sort(v)
	mid := len(v) / 2
	median := v[mid]
	if len(v)%2 == 0 {
		median = (v[mid-1] + v[mid]) / 2
	}
	return Spread{Median: median, Min: v[0], Max: v[len(v)-1]}
}

// Ratio returns a/b as a pointer for the optional JSON figures, or nil
// when b is zero (not applicable).
func Ratio(a, b float64) *float64 {
	if b == 0 {
		return nil
	}
	r := a / b
	return &r
}
