package results

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteTable prints a results file for a person: a line with the settings
// every point shares, then one row per point (medians over the
// repetitions): the settings that differ between points, the metrics
// that have a Column in the order of Metrics, then ERRORS (and LATE and
// DROPPED in open mode). The failed points follow the table.
func WriteTable(w io.Writer, file File) error {
	varying := varyingSettings(file.Summary)
	if len(file.Summary) > 0 {
		fmt.Fprintf(w, "%s; medians of %d measured passes after a cold one\n\n", sharedSettings(file.Summary[0].Point, varying, file.Settings), file.Settings.Count)
	}
	open := len(file.Summary) > 0 && file.Summary[0].Mode == ModeOpen
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	head := append([]string{"STRATEGY"}, names(varying)...)
	for _, m := range Metrics {
		if m.Column {
			head = append(head, m.Title)
			if m.PlusMinus {
				head = append(head, "±")
			}
		}
	}
	head = append(head, "ERRORS")
	if open {
		head = append(head, "LATE", "DROPPED")
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, s := range file.Summary {
		row := append([]string{s.Strategy}, values(s.Point, varying)...)
		for _, m := range Metrics {
			if m.Column {
				row = append(row, metricCells(m, s)...)
			}
		}
		row = append(row, errorsCell(s))
		if open {
			row = append(row, fmt.Sprint(s.Late), fmt.Sprint(s.Dropped))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range file.Failures {
		fmt.Fprintf(w, "FAILED %s: %s\n", strings.TrimPrefix(BenchName(f.Point), "BenchmarkFetch/"), f.Error)
		if f.Stderr != "" {
			fmt.Fprintf(w, "  last words on stderr: %s\n", lastLine(f.Stderr))
		}
	}
	writeFailedRequests(w, file)
	_, err := fmt.Fprintln(w, "\nREQ/S ± is half the range over the passes; EFF = ideal ⌈N/C⌉·latency / wall time, COLD the same for the first pass (connections opened in it); ERRORS are failed requests, summed over the passes.")
	if err == nil {
		err = writeHedged(w, file)
	}
	if err == nil {
		err = writeStartAt(w, file)
	}
	if err == nil && !allMeasuredCtxSw(file.Summary) {
		_, err = fmt.Fprintln(w, "CTXSW/REQ n/a: not measured; the system that ran the point counts no context switches per process (Windows).")
	}
	return err
}

// writeHedged says, for a bench run with --hedge-after, what share of
// each point's requests were sent twice: hedging's cost beside its P99.
func writeHedged(w io.Writer, file File) error {
	if file.Settings.HedgeAfter == "" {
		return nil
	}
	var parts []string
	for _, s := range file.Summary {
		if v, ok := s.Metrics["hedged_pct"]; ok {
			parts = append(parts, fmt.Sprintf("%s %.1f %%", s.Strategy, v.Median))
		}
	}
	_, err := fmt.Fprintf(w, "HEDGED (a second copy after %s; medians, of the requests): %s.\n", file.Settings.HedgeAfter, strings.Join(parts, ", "))
	return err
}

// writeStartAt says, for a bench with --start-at (a share of a split run),
// how late its passes began against their times: a share that started late
// says so, and its late arrivals are in LATE (open mode).
func writeStartAt(w io.Writer, file File) error {
	if file.Settings.StartAt == "" {
		return nil
	}
	latest := 0.0
	for _, r := range file.Runs {
		if r.StartLateMS != nil {
			latest = max(latest, *r.StartLateMS)
		}
		for _, sh := range r.SharePeaks {
			if sh.StartLateMS != nil {
				latest = max(latest, *sh.StartLateMS)
			}
		}
	}
	verdict := "on time"
	if latest >= 1 {
		verdict = fmt.Sprintf("the latest pass began %.0f ms late", latest)
	}
	_, err := fmt.Fprintf(w, "START-AT %s (%s): %s.\n", file.Settings.StartAt, whose(file.Settings), verdict)
	return err
}

// whose says which part of a split run a file is: "segment I/N", "merged
// from N shares", or "the whole run".
func whose(s Settings) string {
	switch {
	case s.Segment != nil:
		return fmt.Sprintf("segment %d/%d", s.Segment.Index, s.Segment.Of)
	case len(s.Shares) > 0:
		return fmt.Sprintf("merged from %d shares", len(s.Shares))
	}
	return "the whole run"
}

// allMeasuredCtxSw reports whether every point has its context switches.
// The metric is not Optional: a point lacks it only where they were not
// measured (Run.CtxSwNotMeasured).
func allMeasuredCtxSw(sums []Summary) bool {
	for _, s := range sums {
		if _, ok := s.Metrics["ctx_switches_per_req"]; !ok {
			return false
		}
	}
	return true
}

// metricCells are a metric's cells in a point's row: its median, "n/a"
// where it does not apply, and the ± cell if the metric has one.
func metricCells(m Metric, s Summary) []string {
	sp, ok := s.Metrics[m.Name]
	cell := "n/a"
	if ok {
		cell = fmt.Sprintf(m.Format, sp.Median)
	}
	if !m.PlusMinus {
		return []string{cell}
	}
	pm := "-"
	if ok {
		pm = spreadPercent(sp)
	}
	return []string{cell, pm}
}

// setting is one setting a point can differ in.
type setting struct {
	name  string
	value func(Point) string
}

var settings = []setting{
	{"MODE", func(p Point) string { return p.Mode }},
	{"C", func(p Point) string { return fmt.Sprint(p.Concurrency) }},
	{"PROCS", func(p Point) string { return fmt.Sprint(p.GOMAXPROCS) }},
	{"N", func(p Point) string { return fmt.Sprint(p.N) }},
	{"RATE", func(p Point) string { return fmt.Sprintf("%g/s", p.Rate) }},
	{"DURATION", func(p Point) string { return fmt.Sprintf("%gs", p.DurationS) }},
	{"LATENCY", func(p Point) string { return p.LatencyModel }},
}

// varyingSettings are the settings that differ between points.
func varyingSettings(sums []Summary) []setting {
	var out []setting
	for _, st := range settings {
		for _, s := range sums {
			if st.value(s.Point) != st.value(sums[0].Point) {
				out = append(out, st)
				break
			}
		}
	}
	return out
}

// sharedSettings describes the settings no point differs in, and where
// the latency came from when it was not the bench's own flags: "latency
// set by the server: lognormal:20ms:p99:100ms", "latency set by the
// server, unknown", "latency fixed:5ms (the server's own overridden by
// --latency)".
func sharedSettings(p Point, varying []setting, s Settings) string {
	var parts []string
	for _, st := range settings {
		swept := slices.ContainsFunc(varying, func(v setting) bool { return v.name == st.name })
		if swept || !relevant(st.name, p.Mode) {
			continue
		}
		part := strings.ToLower(st.name) + " " + st.value(p)
		if st.name == "LATENCY" {
			part = latencyPart(p.LatencyModel, s)
		}
		parts = append(parts, part)
	}
	if s.LatencyOverride != "" && slices.ContainsFunc(varying, func(v setting) bool { return v.name == "LATENCY" }) {
		parts = append(parts, "latency: the server's own overridden by "+s.LatencyOverride)
	}
	return strings.Join(parts, ", ")
}

// latencyPart is the header's latency: the model, and where it came from
// when that was not the bench's own flags.
func latencyPart(model string, s Settings) string {
	switch {
	case s.LatencySource == LatencyFromServer && model == "unknown":
		return "latency set by the server, unknown"
	case s.LatencySource == LatencyFromServer:
		return "latency set by the server: " + model
	case s.LatencyOverride != "":
		return fmt.Sprintf("latency %s (the server's own overridden by %s)", model, s.LatencyOverride)
	}
	return "latency " + model
}

// relevant reports whether a setting means anything in a mode.
func relevant(name, mode string) bool {
	switch name {
	case "N":
		return mode != ModeOpen
	case "RATE", "DURATION":
		return mode == ModeOpen
	}
	return true
}

func names(sts []setting) []string {
	out := make([]string, len(sts))
	for i, st := range sts {
		out[i] = st.name
	}
	return out
}

func values(p Point, sts []setting) []string {
	out := make([]string, len(sts))
	for i, st := range sts {
		out[i] = st.value(p)
	}
	return out
}

func spreadPercent(s Spread) string {
	if s.Median == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 50*(s.Max-s.Min)/s.Median)
}

// writeFailedRequests says, for each point whose requests failed, how
// many of how many, by class, and the first error: one line a point, with
// one hint after them, however many requests failed.
func writeFailedRequests(w io.Writer, file File) {
	some := false
	for _, s := range file.Summary {
		if s.Failed == 0 {
			continue
		}
		jobs, byClass, first := 0, map[string]int{}, ""
		for _, r := range file.Runs {
			if r.Point != s.Point {
				continue
			}
			jobs += r.OK + r.Failed
			for c, n := range r.Errors {
				byClass[c] += n
			}
			first = cmp.Or(first, r.FirstError)
		}
		name := strings.TrimPrefix(BenchName(s.Point), "BenchmarkFetch/")
		fmt.Fprintf(w, "FAILED REQUESTS %s: %s\n", name, FailureLine(s.Failed, jobs, "requests", byClass, first))
		some = true
	}
	if some {
		fmt.Fprintln(w, "  (on a slow or busy machine, a longer --timeout, a lower --concurrency or --rate, or fewer --n may help)")
	}
}

func errorsCell(s Summary) string {
	cell := fmt.Sprint(s.Failed)
	if s.Mismatched > 0 {
		cell += fmt.Sprintf(" (%d wrong)", s.Mismatched)
	}
	return cell
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
