package results

// Better says which way a metric improves. Its values are those of
// benchfmt's unit metadata: bench.txt declares each unit as
// "Unit req/s better=higher".
type Better string

// The directions of improvement.
const (
	Higher Better = "higher" // more is better: throughput, efficiency
	Lower  Better = "lower"  // less is better: time, latency, resources, errors
)

// Metric is one figure of a run: how it is named in run.json, shown in the
// terminal table, written to bench.txt, and read from a Run. The table
// Metrics drives Summarize, WriteTable and WriteBenchText, and is what a
// report reads to label and order the figures.
type Metric struct {
	// Name is the metric's key in Summary.Metrics, in snake_case. It is the
	// name of the Run field it reads where there is one (throughput_rps),
	// else the name of the figure it derives (p50_ms from latency_ms.p50).
	Name string
	// Title heads the metric's column in the terminal table ("REQ/S"), and
	// labels it in a report.
	Title string
	// Unit is the metric's unit in bench.txt, as benchstat groups and
	// compares them ("req/s"). Changing it breaks comparisons with older
	// files.
	Unit string
	// Better is the direction of improvement, declared in bench.txt.
	Better Better
	// Format is the fmt verb for the median in the terminal table ("%.1f").
	Format string
	// Optional metrics do not apply to every run: Value then reports false,
	// the terminal table shows "n/a", bench.txt leaves the unit out of the
	// run's line and the summary leaves the metric out. Efficiency is
	// optional: it has no ideal time in open mode or with a varying delay.
	Optional bool
	// Column makes the metric a column of the terminal table, in table
	// order after the swept settings. Figures that would only repeat
	// another column, or that the table shows its own way, have none.
	Column bool
	// PlusMinus follows the metric's column with "±": half the range over
	// the repetitions, in percent of the median.
	PlusMinus bool
	// Value reads the metric from a run; false when the run has no such
	// figure: it does not apply (Optional metrics), or the system that made
	// the run could not measure it (context switches on Windows). Either
	// way it is shown as an Optional metric's absence is, never as 0.
	Value func(Run) (float64, bool)
}

// Metrics are the figures of a run that are summarized, shown and
// compared, in the order they are shown. A new metric is one row here plus
// the Run field it reads (and the line in docs/results.md that documents
// that field).
var Metrics = []Metric{
	{Name: "throughput_rps", Title: "REQ/S", Unit: "req/s", Better: Higher, Format: "%.0f", Column: true, PlusMinus: true,
		Value: always(func(r Run) float64 { return r.ThroughputRPS })},
	// ns/op is 1e9 / req/s: the table shows REQ/S alone. bench.txt keeps it
	// because ns/op is the Go benchmark format's primary unit.
	{Name: "wall_ns_per_req", Title: "WALL ns/REQ", Unit: "ns/op", Better: Lower, Format: "%.0f",
		Value: always(func(r Run) float64 { return r.WallS * 1e9 / float64(max(r.N, 1)) })},
	{Name: "efficiency", Title: "EFF", Unit: "efficiency", Better: Higher, Format: "%.2f", Optional: true, Column: true,
		Value: ifSet(func(r Run) *float64 { return r.Efficiency })},
	{Name: "efficiency_cold", Title: "COLD", Unit: "efficiency-cold", Better: Higher, Format: "%.2f", Optional: true, Column: true,
		Value: ifSet(func(r Run) *float64 { return r.EfficiencyCold })},
	{Name: "p50_ms", Title: "P50 ms", Unit: "p50-ms", Better: Lower, Format: "%.1f", Column: true,
		Value: always(func(r Run) float64 { return r.LatencyMS.P50 })},
	{Name: "p99_ms", Title: "P99 ms", Unit: "p99-ms", Better: Lower, Format: "%.1f", Column: true,
		Value: always(func(r Run) float64 { return r.LatencyMS.P99 })},
	{Name: "goroutines_peak", Title: "GOROUTINES", Unit: "goroutines", Better: Lower, Format: "%.0f", Column: true,
		Value: always(func(r Run) float64 { return float64(r.GoroutinesPeak) })},
	{Name: "threads_peak", Title: "THREADS", Unit: "threads", Better: Lower, Format: "%.0f", Column: true,
		Value: always(func(r Run) float64 { return float64(r.ThreadsPeak) })},
	// Not Optional, since every run has context switches; absent only
	// where the system counted none (Run.CtxSwNotMeasured).
	{Name: "ctx_switches_per_req", Title: "CTXSW/REQ", Unit: "ctxsw/req", Better: Lower, Format: "%.2f", Column: true,
		Value: func(r Run) (float64, bool) { return r.CtxSwPerReq, !r.CtxSwNotMeasured }},
	{Name: "cpu_us_per_req", Title: "CPU µs/REQ", Unit: "cpu-us/req", Better: Lower, Format: "%.1f", Column: true,
		Value: always(func(r Run) float64 { return r.CPUMicrosPerReq })},
	{Name: "alloc_bytes_per_req", Title: "B/REQ", Unit: "B/req", Better: Lower, Format: "%.0f", Column: true,
		Value: always(func(r Run) float64 { return r.AllocBytesPerReq })},
	// The child's peak resident memory, over its whole life (the cold pass
	// included): what a batch of N requests costs to hold.
	{Name: "max_rss_mb", Title: "RSS MB", Unit: "rss-MB", Better: Lower, Format: "%.0f", Column: true,
		Value: always(func(r Run) float64 { return float64(r.MaxRSSBytes) / 1e6 })},
	{Name: "allocs_per_req", Title: "ALLOCS/REQ", Unit: "allocs/req", Better: Lower, Format: "%.1f",
		Value: always(func(r Run) float64 { return r.AllocsPerReq })},
	// Hedging's cost: the share of requests sent a second time, for the
	// runs made with --hedge-after (WriteTable prints it under the table).
	{Name: "hedged_pct", Title: "HEDGED %", Unit: "hedged-%", Better: Lower, Format: "%.2f", Optional: true,
		Value: func(r Run) (float64, bool) {
			if r.HedgeAfterMS == nil {
				return 0, false
			}
			return 100 * float64(r.Hedged) / float64(max(r.N, 1)), true
		}},
	// The table's ERRORS column sums the failures over the repetitions
	// and adds the wrong answers: see Summary.Failed.
	{Name: "failed", Title: "FAILED", Unit: "errors", Better: Lower, Format: "%.0f",
		Value: always(func(r Run) float64 { return float64(r.Failed) })},
}

// always makes the Value of a metric every run has.
func always(f func(Run) float64) func(Run) (float64, bool) {
	return func(r Run) (float64, bool) { return f(r), true }
}

// ifSet makes the Value of an optional metric, whose field is nil where it
// does not apply.
func ifSet(f func(Run) *float64) func(Run) (float64, bool) {
	return func(r Run) (float64, bool) {
		if p := f(r); p != nil {
			return *p, true
		}
		return 0, false
	}
}
