package report

import (
	"maps"
	"math"
	"slices"

	"github.com/HdrHistogram/hdrhistogram-go"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// charts draws every chart the dataset has data for, in reading order.
func (ds *dataset) charts() ([]chart, error) {
	builders := []func() (*chart, error){
		ds.throughputChart, ds.spectrumChart, ds.resourcesChart, ds.efficiencyChart, ds.timelineChart, ds.openChart,
	}
	var out []chart
	for _, build := range builders {
		c, err := build()
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

// throughputChart is requests per second against the swept setting, a
// line per strategy, with the ideal C/L where the runs have one. Without a
// sweep it is a dot plot of the one point.
func (ds *dataset) throughputChart() (*chart, error) {
	c := &chart{file: "throughput.svg", title: "Throughput",
		caption: "Requests per second, median over the repetitions. The grey dashed line is the ideal: C requests in flight, each taking the injected delay L, complete C/L per second."}
	if ds.sweep.name == "" {
		return ds.dotChart(c, "Throughput"+ds.focusLabel(), "requests/s", "throughput_rps", false)
	}
	p := newPlot("Throughput against "+ds.sweep.name, ds.sweep.label, "requests/s")
	ds.logX(p)
	if !ds.sweep.log {
		p.Y.Min = 0
	} else {
		// Log on both axes, C/L is a straight diagonal: a strategy that
		// keeps up runs parallel to it, one that saturates bends away.
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	for _, name := range ds.strategies {
		if err := addSeries(p, name, ds.line(name, "throughput_rps")); err != nil {
			return nil, err
		}
	}
	if ideal := ds.idealLine(); len(ideal) > 1 {
		l, err := plotter.NewLine(ideal)
		if err != nil {
			return nil, err
		}
		l.Color, l.Dashes = grey, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		p.Legend.Add("ideal C/L", l)
	}
	return c.drawLegendAside(p)
}

// line is a strategy's median of metric at each point of the sweep.
func (ds *dataset) line(strategy, metric string) plotter.XYs {
	var xys plotter.XYs
	for _, s := range ds.summary {
		if v, ok := median(s, metric); ok && s.Strategy == strategy {
			xys = append(xys, plotter.XY{X: ds.sweep.value(s.Point), Y: v})
		}
	}
	return xys
}

// idealLine is the ideal throughput N/ideal_s at each point of the sweep:
// the best any strategy could do there (its in-flight count reached).
func (ds *dataset) idealLine() plotter.XYs {
	best := map[float64]float64{}
	for _, r := range ds.runs {
		if r.IdealS == nil || *r.IdealS <= 0 || r.InFlight != min(r.Concurrency, r.N) {
			continue // sequential's ideal is one at a time, perrequest's all at once: not C/L
		}
		x := ds.sweep.value(r.Point)
		best[x] = max(best[x], float64(r.N) / *r.IdealS)
	}
	var xys plotter.XYs
	for _, x := range slices.Sorted(maps.Keys(best)) {
		xys = append(xys, plotter.XY{X: x, Y: best[x]})
	}
	return xys
}

// logX gives the plot a log x axis where the sweep spans enough.
func (ds *dataset) logX(p *plot.Plot) {
	if ds.sweep.log {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
}

// dotChart fills c with a dot plot of a metric at the focus point.
func (ds *dataset) dotChart(c *chart, title, unit, metric string, logX bool) (*chart, error) {
	names, values := ds.focusValues(metric)
	p, err := dotPlot(title, unit, names, values, logX)
	if err != nil {
		return nil, err
	}
	return c.draw(p)
}

// focusValues are the strategies' medians of metric at the focus point.
func (ds *dataset) focusValues(metric string) ([]string, []float64) {
	var names []string
	var values []float64
	for _, s := range ds.atFocus() {
		if v, ok := median(s, metric); ok {
			names, values = append(names, s.Strategy), append(values, v)
		}
	}
	return names, values
}

func (c *chart) draw(p *plot.Plot) (*chart, error) { return c.drawWith(renderOne, p) }

// drawLegendAside is draw for plots of lines, with the legend beside.
func (c *chart) drawLegendAside(p *plot.Plot) (*chart, error) {
	return c.drawWith(renderBesideLegend, p)
}

func (c *chart) drawWith(render func(*plot.Plot) ([]byte, error), p *plot.Plot) (*chart, error) {
	svg, err := render(p)
	if err != nil {
		return nil, err
	}
	c.svg = svg
	return c, nil
}

// The percentiles of the spectrum: 1 − 10^(−k/20), from the median to
// 99.999 %, evenly spaced on the nines axis.
var spectrumSteps = func() []float64 {
	var ps []float64
	for k := 7; k <= 100; k++ { // from 55 %: the median is put first
		ps = append(ps, 100*(1-math.Pow(10, -float64(k)/20)))
	}
	return ps
}()

// spectrumChart is HdrHistogram's percentile plot: x = percentile on a
// "nines" axis (1/(1−p), log), y = latency, a line per strategy from its
// repetitions' histograms merged exactly. A line stops at the percentile
// its count of requests can still tell apart.
func (ds *dataset) spectrumChart() (*chart, error) {
	p := newPlot("Latency by percentile"+ds.focusLabel(), "percentile", "latency (ms)")
	nines(p)
	drawn := 0
	for _, s := range ds.atFocus() {
		h, err := histogram(ds.runsOf(s.Point))
		if err != nil || h == nil {
			continue // a file without histograms: the table still has p50 and p99
		}
		xys := spectrum(h)
		if len(xys) < 2 {
			continue // one request: no spectrum to draw
		}
		if err := addSeries(p, s.Strategy, xys); err != nil {
			return nil, err
		}
		drawn++
	}
	if drawn == 0 {
		return nil, nil
	}
	c := &chart{file: "percentiles.svg", title: "Latency percentile spectrum",
		caption: "Each line is every request of every repetition, from the merged HDR histograms. Read across: 99 means one request in a hundred was slower than the line; a line ends where the run had too few requests to tell."}
	return c.drawLegendAside(p)
}

// spectrum is a histogram's latency (ms) at each percentile of
// spectrumSteps, x on the nines axis, as far as its count can tell.
func spectrum(h *hdrhistogram.Histogram) plotter.XYs {
	var xys plotter.XYs
	for _, pct := range append([]float64{50}, spectrumSteps...) {
		x := 1 / (1 - pct/100)
		if x > float64(h.TotalCount()) {
			break
		}
		xys = append(xys, plotter.XY{X: x, Y: float64(h.ValueAtPercentile(pct)) / 1000})
	}
	return xys
}

// nines makes the x axis the percentile axis: 1/(1−p) on a log scale,
// labelled 50 %, 90 %, 99 %, …
func nines(p *plot.Plot) {
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.ConstantTicks{
		{Value: 2, Label: "50%"}, {Value: 10, Label: "90%"}, {Value: 100, Label: "99%"},
		{Value: 1000, Label: "99.9%"}, {Value: 1e4, Label: "99.99%"}, {Value: 1e5, Label: "99.999%"},
	}
	p.X.Min = 2
	p.Legend.Left = true
}

// resourceMetrics are what the client spent per request, the small
// multiples of the resources chart; log marks those whose range between
// strategies is wide (goroutines: 1 for epoll, thousands for perrequest).
var resourceMetrics = []struct {
	metric, title string
	log           bool
}{
	{"cpu_us_per_req", "CPU µs per request", true},
	{"ctx_switches_per_req", "context switches per request", true},
	{"alloc_bytes_per_req", "bytes allocated per request", true},
	{"goroutines_peak", "goroutines, peak", true},
	{"threads_peak", "OS threads, peak", false},
	{"max_rss_mb", "peak RSS (MB)", false},
}

// resourcesChart is what the client spent, one small dot plot per metric.
func (ds *dataset) resourcesChart() (*chart, error) {
	var row []*plot.Plot
	var grid [][]*plot.Plot
	for _, m := range resourceMetrics {
		names, values := ds.focusValues(m.metric)
		if len(names) == 0 {
			continue
		}
		p, err := dotPlot(m.title, "", names, values, m.log)
		if err != nil {
			return nil, err
		}
		if row = append(row, p); len(row) == 3 {
			grid, row = append(grid, row), nil
		}
	}
	if len(row) > 0 {
		grid = append(grid, append(row, make([]*plot.Plot, 3-len(row))...))
	}
	if len(grid) == 0 {
		return nil, nil
	}
	svg, err := render(grid, chartWidth*1.3, chartHeight*0.8*vg.Length(len(grid)))
	if err != nil {
		return nil, err
	}
	return &chart{file: "resources.svg", title: "What the client spent" + ds.focusLabel(), svg: svg,
		caption: "Medians over the repetitions, measured in the child process that ran the strategy. Axes are logarithmic where the strategies differ a hundredfold."}, nil
}

// efficiencyChart is each strategy's efficiency, ideal time over wall
// time, warm (filled glyph) and on the process's first, cold pass (grey
// ring), at the focus point.
func (ds *dataset) efficiencyChart() (*chart, error) {
	names, warm := ds.focusValues("efficiency")
	if len(names) == 0 {
		return nil, nil // open runs and varying delays have no ideal time
	}
	p, err := dotPlot("Efficiency against the ideal"+ds.focusLabel(), "ideal time / wall time", names, warm, false)
	if err != nil {
		return nil, err
	}
	for i, name := range names {
		for _, s := range ds.atFocus() {
			if cold, ok := median(s, "efficiency_cold"); ok && s.Strategy == name {
				ring, err := plotter.NewScatter(plotter.XYs{{X: cold, Y: float64(i)}})
				if err != nil {
					return nil, err
				}
				ring.Shape, ring.Color, ring.Radius = draw.RingGlyph{}, grey, vg.Points(5)
				p.Add(ring)
			}
		}
	}
	p.X.Min, p.X.Max = 0, 1.05
	for _, v := range warm {
		p.X.Max = max(p.X.Max, v*1.05) // a pass can beat the ideal: a delay served a little short
	}
	warmKey, _ := plotter.NewScatter(plotter.XYs{})
	warmKey.Shape, warmKey.Color = draw.CircleGlyph{}, palette[6]
	coldKey, _ := plotter.NewScatter(plotter.XYs{})
	coldKey.Shape, coldKey.Color, coldKey.Radius = draw.RingGlyph{}, grey, vg.Points(5)
	p.Legend = plot.NewLegend()
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.Add("warm pass (the strategy's glyph)", warmKey)
	p.Legend.Add("cold pass", coldKey)
	c := &chart{file: "efficiency.svg", title: "Efficiency, warm and cold",
		caption: "1.0 is the ideal ⌈N/C⌉·L. The strategy's glyph is a warm pass, on connections kept alive; the grey ring is the process's first, cold pass, which opened them."}
	return c.draw(p)
}
