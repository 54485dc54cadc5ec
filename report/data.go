package report

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/netio-lab/netio/results"
)

// dataset is what a report is drawn from: the runs of one or more run
// folders. Runs of the same point from several folders count as
// repetitions of one measurement.
type dataset struct {
	dirs       []string
	files      []results.File
	runs       []results.Run
	summary    []results.Summary
	strategies []string // in the order they first appear
	sweep      sweep
	focus      float64 // the sweep value the per-strategy charts show: the last one
}

// newDataset joins the files of dirs.
func newDataset(dirs []string, files []results.File) *dataset {
	ds := &dataset{dirs: dirs, files: files}
	for _, f := range files {
		ds.runs = append(ds.runs, f.Runs...)
	}
	ds.summary = results.Summarize(ds.runs)
	for _, s := range ds.summary {
		if !slices.Contains(ds.strategies, s.Strategy) {
			ds.strategies = append(ds.strategies, s.Strategy)
		}
	}
	ds.sweep = findSweep(ds.summary)
	for _, s := range ds.summary {
		ds.focus = max(ds.focus, ds.sweep.value(s.Point))
	}
	return ds
}

// sweep is the setting a run varied, the x axis of the charts against it.
type sweep struct {
	name  string // "" when every point has the same settings
	label string // the axis label, with its unit
	value func(results.Point) float64
	log   bool // whether the values span enough to need a log axis
}

// sweeps are the settings a bench can sweep, in the order they are looked
// for.
var sweeps = []sweep{
	{name: "concurrency", label: "concurrency C (requests in flight)", value: func(p results.Point) float64 { return float64(p.Concurrency) }},
	{name: "latency", label: "injected delay (ms)", value: func(p results.Point) float64 { return latencyOfModel(p.LatencyModel) }},
	{name: "n", label: "requests per pass N", value: func(p results.Point) float64 { return float64(p.N) }},
	{name: "rate", label: "arrival rate (requests/s)", value: func(p results.Point) float64 { return p.Rate }},
	{name: "gomaxprocs", label: "GOMAXPROCS", value: func(p results.Point) float64 { return float64(p.GOMAXPROCS) }},
}

// findSweep is the first setting whose value differs between points, or
// an empty sweep.
func findSweep(summary []results.Summary) sweep {
	for _, sw := range sweeps {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range summary {
			v := sw.value(s.Point)
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi > lo {
			sw.log = lo > 0 && hi/lo >= 50
			return sw
		}
	}
	return sweep{value: func(results.Point) float64 { return 0 }}
}

var durationInModel = regexp.MustCompile(`[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h)`)

// alsoVaried names the settings other than the sweep's that differ
// between points.
func (ds *dataset) alsoVaried() []string {
	var out []string
	for _, sw := range sweeps {
		if sw.name == ds.sweep.name {
			continue
		}
		values := map[float64]bool{}
		for _, s := range ds.summary {
			values[sw.value(s.Point)] = true
		}
		if len(values) > 1 {
			out = append(out, sw.name)
		}
	}
	return out
}

// latencyOfModel is the first delay a latency model names, in ms
// ("fixed:5ms" → 5); 0 if it names none.
func latencyOfModel(model string) float64 {
	d, err := time.ParseDuration(durationInModel.FindString(model))
	if err != nil {
		return 0
	}
	return float64(d) / float64(time.Millisecond)
}

// atFocus returns each strategy's summary at the focus point.
func (ds *dataset) atFocus() []results.Summary {
	var out []results.Summary
	for _, name := range ds.strategies {
		for _, s := range ds.summary {
			if s.Strategy == name && ds.sweep.value(s.Point) == ds.focus {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// focusLabel names the focus point for a chart's title.
func (ds *dataset) focusLabel() string {
	if ds.sweep.name == "" {
		return ""
	}
	return fmt.Sprintf(" at %s = %s", ds.sweep.name, strconv.FormatFloat(ds.focus, 'g', -1, 64))
}

// runsOf returns the runs of a point, in repetition order.
func (ds *dataset) runsOf(p results.Point) []results.Run {
	var out []results.Run
	for _, r := range ds.runs {
		if r.Point == p {
			out = append(out, r)
		}
	}
	return out
}

// histogram merges the latency histograms of runs exactly; nil if any run
// has none (a file from before they were kept) or one does not decode.
func histogram(runs []results.Run) (*hdrhistogram.Histogram, error) {
	var merged *hdrhistogram.Histogram
	for _, r := range runs {
		h, err := results.DecodeHistogram(r.LatencyHist)
		if err != nil {
			return nil, fmt.Errorf("%s repetition %d: %w", r.Strategy, r.Repetition, err)
		}
		if merged == nil {
			merged = h
		} else {
			merged.Merge(h)
		}
	}
	return merged, nil
}

// median is a summary's median of a metric, and whether it has one.
func median(s results.Summary, metric string) (float64, bool) {
	sp, ok := s.Metrics[metric]
	return sp.Median, ok
}
