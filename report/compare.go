package report

import (
	"bytes"
	"fmt"
	"html/template"
	"path/filepath"

	"golang.org/x/perf/benchmath"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/netio-lab/netio/results"
)

// The files WriteComparison makes.
const (
	CompareHTMLFile     = "compare.html"
	CompareMarkdownFile = "compare.md"
	comparePercentiles  = "compare-percentiles.svg"
)

// comparedMetrics are the figures a comparison sets side by side.
var comparedMetrics = []string{"throughput_rps", "p50_ms", "p99_ms", "cpu_us_per_req", "ctx_switches_per_req", "alloc_bytes_per_req"}

// confidence is the level of the intervals and 1 − the test's alpha, as
// benchstat's defaults.
const confidence = 0.95

// delta is one metric of one point, base against new.
type delta struct {
	Strategy, Point, Metric, Unit string
	Base, New                     benchmath.Summary
	Comparison                    benchmath.Comparison
	Change                        string // "+12.30%", or "~" where not significant
	Better                        results.Better
}

// Significant reports whether the change passed the test.
func (d delta) Significant() bool { return d.Change != "~" }

// Verdict says whether a significant change is for the better.
func (d delta) Verdict() string {
	switch {
	case !d.Significant() || d.New.Center == d.Base.Center:
		return ""
	case (d.New.Center > d.Base.Center) == (d.Better == results.Higher):
		return "better"
	}
	return "worse"
}

// compare sets the runs of newer against those of base, point by point
// (points in both only), with benchmath: a median and its confidence
// interval for each, and a Mann-Whitney U test between them (no
// assumption about the distribution: benchstat's default).
func compare(base, newer []results.Run) (deltas []delta, warnings []string) {
	samples := func(runs []results.Run, p results.Point, m results.Metric) *benchmath.Sample {
		var v []float64
		for _, r := range runs {
			if x, ok := m.Value(r); ok && r.Point == p {
				v = append(v, x)
			}
		}
		return benchmath.NewSample(v, &benchmath.DefaultThresholds)
	}
	seen := map[string]bool{}
	for _, s := range results.Summarize(newer) {
		for _, name := range comparedMetrics {
			m := metricNamed(name)
			b, n := samples(base, s.Point, m), samples(newer, s.Point, m)
			if len(b.Values) == 0 || len(n.Values) == 0 {
				continue
			}
			c := benchmath.AssumeNothing.Compare(b, n)
			bs, ns := benchmath.AssumeNothing.Summary(b, confidence), benchmath.AssumeNothing.Summary(n, confidence)
			deltas = append(deltas, delta{Strategy: s.Strategy, Point: results.BenchName(s.Point), Metric: m.Title, Unit: m.Unit,
				Base: bs, New: ns, Comparison: c, Change: c.FormatDelta(bs.Center, ns.Center), Better: m.Better})
			for _, w := range append(append(bs.Warnings, ns.Warnings...), c.Warnings...) {
				if !seen[w.Error()] {
					seen[w.Error()] = true
					warnings = append(warnings, w.Error())
				}
			}
		}
	}
	return deltas, warnings
}

func metricNamed(name string) results.Metric {
	for _, m := range results.Metrics {
		if m.Name == name {
			return m
		}
	}
	panic("report: no metric " + name) // comparedMetrics names only metrics of the table
}

// comparison is one NEW folder set against the base.
type comparison struct {
	New      string
	Deltas   []delta
	Warnings []string
}

// WriteComparison sets every folder after the first against the first
// and writes compare.html, compare.md and the overlaid percentile spectra
// into out. It returns the path of compare.html.
func WriteComparison(out string, dirs []string, files []results.File) (path string, err error) {
	defer recoverDrawing(&err)
	var comps []comparison
	for i := 1; i < len(files); i++ {
		d, w := compare(files[0].Runs, files[i].Runs)
		if len(d) == 0 {
			return "", fmt.Errorf("report: %s and %s have no point in common to compare", dirs[0], dirs[i])
		}
		comps = append(comps, comparison{New: dirs[i], Deltas: d, Warnings: w})
	}
	spectra, err := overlaidSpectra(dirs, files)
	if err != nil {
		return "", err
	}
	outputs := map[string][]byte{
		CompareHTMLFile:     compareHTML(dirs[0], comps, spectra),
		CompareMarkdownFile: compareMarkdown(dirs[0], comps, spectra != nil),
	}
	if spectra != nil {
		outputs[comparePercentiles] = spectra
	}
	if err := writeAll(out, outputs); err != nil {
		return "", err
	}
	return filepath.Join(out, CompareHTMLFile), nil
}

// overlaidSpectra draws each folder's percentile spectrum at its focus
// point on one chart: the base thin and dotted, each newer run in the
// strategy's own look. nil if no run has histograms.
func overlaidSpectra(dirs []string, files []results.File) ([]byte, error) {
	p := newPlot("Latency by percentile, base against new", "percentile", "latency (ms)")
	nines(p)
	drawn := 0
	for i, f := range files {
		ds := newDataset(dirs[i:i+1], []results.File{f})
		for _, s := range ds.atFocus() {
			h, err := histogram(ds.runsOf(s.Point))
			if err != nil || h == nil {
				continue
			}
			xys := spectrum(h)
			if len(xys) < 2 {
				continue
			}
			line, err := plotter.NewLine(xys)
			if err != nil {
				return nil, err
			}
			l := lookOf(s.Strategy)
			line.Color, line.Dashes, line.Width = l.color, l.dashes, vg.Points(1.5)
			label := s.Strategy + " (" + filepath.Base(dirs[i]) + ")"
			if i == 0 {
				line.Dashes, line.Width = []vg.Length{vg.Points(1), vg.Points(2)}, vg.Points(0.8)
				label = s.Strategy + " (base)"
			}
			p.Add(line)
			p.Legend.Add(label, line)
			drawn++
		}
	}
	if drawn == 0 {
		return nil, nil
	}
	return renderBesideLegend(p)
}

// cell is a summary as benchstat prints it: the median ± the confidence
// interval in percent.
func cell(s benchmath.Summary) string {
	return fmt.Sprintf("%.4g %s", s.Center, s.PctRangeString())
}

func compareMarkdown(base string, comps []comparison, spectra bool) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# netio comparison\n\nBase: `%s`. Medians ± their 95 %% confidence interval over the repetitions; the change with the Mann-Whitney U test's p-value, \"~\" where it is not significant (p > 0.05). benchstat's statistics (golang.org/x/perf/benchmath).\n\n", base)
	for _, c := range comps {
		fmt.Fprintf(&b, "## `%s` against the base\n\n", c.New)
		b.WriteString("| strategy | point | metric | base | new | change | test |\n|---|---|---|---:|---:|---:|---|\n")
		for _, d := range c.Deltas {
			change := d.Change
			if v := d.Verdict(); v != "" {
				change += " (" + v + ")"
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s | %s |\n", d.Strategy, d.Point, d.Metric, cell(d.Base), cell(d.New), change, d.Comparison.String())
		}
		for _, w := range c.Warnings {
			fmt.Fprintf(&b, "\n> %s", w)
		}
		b.WriteString("\n\n")
	}
	if spectra {
		fmt.Fprintf(&b, "## Latency percentiles\n\n![base against new](%s)\n", comparePercentiles)
	}
	return b.Bytes()
}

var compareTemplate = template.Must(template.New("compare").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>netio comparison</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem; color: #111; }
table { border-collapse: collapse; font-size: .85rem; } td, th { padding: .15rem .6rem; border-bottom: 1px solid #ddd; text-align: right; }
td:nth-child(-n+3), th:nth-child(-n+3) { text-align: left; }
.better { color: #006d4f; font-weight: 600; } .worse { color: #b33c00; font-weight: 600; }
figure svg { width: 100%; height: auto; } .note { color: #8a3b00; }
</style></head><body>
<h1>netio comparison</h1>
<p>Base: <code>{{.Base}}</code>. Medians ± their 95 % confidence interval over the repetitions; the change with the Mann-Whitney U test's p-value, "~" where it is not significant (p &gt; 0.05): benchstat's statistics.</p>
{{range .Comps}}<h2><code>{{.New}}</code> against the base</h2>
<table><tr><th>strategy</th><th>point</th><th>metric</th><th>base</th><th>new</th><th>change</th><th>test</th></tr>
{{range .Rows}}<tr><td>{{.Strategy}}</td><td><code>{{.Point}}</code></td><td>{{.Metric}}</td><td>{{.Base}}</td><td>{{.New}}</td><td class="{{.Verdict}}">{{.Change}}</td><td>{{.Test}}</td></tr>
{{end}}</table>
{{range .Warnings}}<p class="note">{{.}}</p>{{end}}
{{end}}
{{if .Spectra}}<h2>Latency percentiles</h2><figure class="chart">{{.Spectra}}</figure>{{end}}
</body></html>
`))

func compareHTML(base string, comps []comparison, spectra []byte) []byte {
	type row struct{ Strategy, Point, Metric, Base, New, Change, Verdict, Test string }
	type comp struct {
		New      string
		Rows     []row
		Warnings []string
	}
	data := struct {
		Base    string
		Comps   []comp
		Spectra template.HTML
	}{Base: base, Spectra: template.HTML(xmlProlog.ReplaceAll(spectra, nil))}
	for _, c := range comps {
		cc := comp{New: c.New, Warnings: c.Warnings}
		for _, d := range c.Deltas {
			cc.Rows = append(cc.Rows, row{d.Strategy, d.Point, d.Metric, cell(d.Base), cell(d.New), d.Change, d.Verdict(), d.Comparison.String()})
		}
		data.Comps = append(data.Comps, cc)
	}
	var buf bytes.Buffer
	if err := compareTemplate.Execute(&buf, data); err != nil {
		panic("report: compare template: " + err.Error())
	}
	return buf.Bytes()
}
