// Package report turns netio result folders into a comparison report: one
// self-contained report.html (inline SVG and CSS, nothing fetched, readable
// offline and printable) and a report.md with its charts as SVG files
// beside it, which renders on GitHub. Charts are drawn with gonum/plot.
//
// Write draws one or more runs; Compare (compare.go) sets a new run against
// a base with benchstat's statistics; WriteTrace (trace.go) exports the
// timelines for Perfetto. What every chart shows is in docs/report.md.
package report

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/netio-lab/netio/results"
)

// The files Write makes in its folder, beside one SVG file per chart.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
)

// Load reads the run folders. The error names the first folder that is
// not one, or whose run.json cannot be read.
func Load(dirs []string) ([]results.File, error) {
	if len(dirs) == 0 {
		return nil, errors.New("report: no run folder given")
	}
	files := make([]results.File, len(dirs))
	for i, dir := range dirs {
		f, err := results.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		files[i] = f
	}
	return files, nil
}

// Write draws the runs of files (read from dirs) into out: report.html,
// report.md and the charts' SVG files. It returns the path of report.html.
// Files appear whole or not at all: they are drawn in memory, written into
// a staging folder in out and only then moved into place.
func Write(out string, dirs []string, files []results.File) (path string, err error) {
	defer recoverDrawing(&err)
	ds := newDataset(dirs, files)
	if len(ds.runs) == 0 {
		return "", fmt.Errorf("report: %s: no measured runs to report", dirs[0])
	}
	charts, err := ds.charts()
	if err != nil {
		return "", err
	}
	page := ds.page(charts)
	outputs := map[string][]byte{HTMLFile: page.html(), MarkdownFile: page.markdown()}
	for _, c := range charts {
		outputs[c.file] = c.svg
	}
	if err := writeAll(out, outputs); err != nil {
		return "", err
	}
	return filepath.Join(out, HTMLFile), nil
}

// recoverDrawing turns a panic while drawing (gonum panics on data it
// cannot place, such as a log axis with nothing positive on it) into an
// error: a run that measured fine must not end in a crash for its charts.
func recoverDrawing(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("report: cannot draw the charts: %v", r)
	}
}

// writeAll writes every file into dir through a staging folder: a
// failure to write any of them leaves none behind, and each appears whole.
// The pages are moved in last, so that a page never shows before its
// charts.
func writeAll(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: cannot create %s: %w", dir, errors.Unwrap(err))
	}
	staging, err := os.MkdirTemp(dir, ".netio-report-*")
	if err != nil {
		return fmt.Errorf("report: cannot write in %s: %w", dir, errors.Unwrap(err))
	}
	defer os.RemoveAll(staging)
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(staging, name), b, 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	names := slices.Sorted(maps.Keys(files))
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(isPage(a), isPage(b)) })
	for _, name := range names {
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

// isPage is 1 for the HTML and Markdown pages, 0 for their charts.
func isPage(name string) int {
	if strings.HasSuffix(name, ".svg") {
		return 0
	}
	return 1
}

// page is a report's content before it is laid out as HTML or Markdown.
type page struct {
	title    string
	sources  []string // the run folders
	table    string   // the terminal table
	mdTable  string   // the same as a Markdown table
	charts   []chart
	env      []results.Env
	commands [][]string
	notes    []string // what the report could not show, and why
}

// ctxSwNotMeasured names the strategies with a run whose context switches
// were not measured, in the order they first appear.
func ctxSwNotMeasured(files []results.File) []string {
	var names []string
	for _, f := range files {
		for _, r := range f.Runs {
			if r.CtxSwNotMeasured && !slices.Contains(names, r.Strategy) {
				names = append(names, r.Strategy)
			}
		}
	}
	return names
}

// page gathers what the report says.
func (ds *dataset) page(charts []chart) *page {
	p := &page{title: "netio report", sources: ds.dirs, charts: charts}
	for _, f := range ds.files {
		p.env = append(p.env, f.Env)
		p.commands = append(p.commands, f.Command)
		if f.Interrupted {
			p.notes = append(p.notes, "The run was interrupted: only the points it completed are shown.")
		}
		for _, fl := range f.Failures {
			p.notes = append(p.notes, fmt.Sprintf("%s failed at %s: %s", fl.Strategy, results.BenchName(fl.Point), fl.Error))
		}
		p.notes = append(p.notes, sharesNotes(f)...)
		if note := latencyNote(f); note != "" {
			p.notes = append(p.notes, note)
		}
	}
	if unmeasured := ctxSwNotMeasured(ds.files); len(unmeasured) > 0 {
		p.notes = append(p.notes, fmt.Sprintf("Context switches were not measured for %s: the system that ran them counts none per process (Windows). They show as n/a, and the resources chart leaves them out.", strings.Join(unmeasured, ", ")))
	}
	if also := ds.alsoVaried(); len(also) > 0 {
		p.notes = append(p.notes, fmt.Sprintf("The charts against %s join points that also differ in %s: read those from the table.", ds.sweep.name, strings.Join(also, ", ")))
	}
	var buf bytes.Buffer
	joined := results.File{Summary: ds.summary, Settings: ds.files[0].Settings}
	if err := results.WriteTable(&buf, joined); err == nil {
		p.table = buf.String()
	}
	p.mdTable = markdownTable(ds.summary)
	return p
}

// latencyNote says where a --target run's delay came from: the server's
// own model, read from it, or the delay flags over it. Runs of the bench's
// own server, and --url runs, whose table says "unknown", need no note.
func latencyNote(f results.File) string {
	var models []string
	for _, s := range f.Summary {
		if !slices.Contains(models, s.LatencyModel) {
			models = append(models, s.LatencyModel)
		}
	}
	target := f.Settings.Target
	switch {
	case target == "embedded" || target == "urls" || len(models) == 0:
		return ""
	case f.Settings.LatencySource == results.LatencyFromServer && slices.Equal(models, []string{"unknown"}):
		return fmt.Sprintf("The delay was set by the server at %s, unknown: it could not be read from the server, and netio asked for none.", target)
	case f.Settings.LatencySource == results.LatencyFromServer:
		return fmt.Sprintf("The delay was set by the server at %s: its own model, %s, read from it (GET /model) before the run; netio asked for none.", target, strings.Join(models, ", "))
	case f.Settings.LatencyOverride != "":
		return fmt.Sprintf("The delay was set by %s in every page URL, overriding the model of the server at %s.", f.Settings.LatencyOverride, target)
	}
	return ""
}

// sharesNotes describes a merged run's shares (netio merge): where each
// ran, and, per point, each share's rate and goroutines, whose sum the
// table shows.
func sharesNotes(f results.File) []string {
	if len(f.Settings.Shares) == 0 {
		return nil
	}
	var where []string
	for _, s := range f.Settings.Shares {
		where = append(where, fmt.Sprintf("%d/%d on %s", s.Segment.Index, s.Segment.Of, s.Host))
	}
	notes := []string{fmt.Sprintf("Merged from %d shares run on several machines (netio merge): %s. Goroutines, threads and RSS are the shares' sums; requests per second the shares' rates added over the time they all ran.",
		len(f.Settings.Shares), strings.Join(where, ", "))}
	for _, r := range f.Runs {
		if r.Repetition != 1 || len(r.SharePeaks) == 0 {
			continue
		}
		var parts []string
		for _, sp := range r.SharePeaks {
			parts = append(parts, fmt.Sprintf("%d/%d %.0f req/s, %d goroutines", sp.Segment.Index, sp.Segment.Of, sp.ThroughputRPS, sp.Goroutines))
		}
		notes = append(notes, fmt.Sprintf("%s, first repetition: %s.", strings.TrimPrefix(results.BenchName(r.Point), "BenchmarkFetch/"), strings.Join(parts, "; ")))
	}
	return notes
}
