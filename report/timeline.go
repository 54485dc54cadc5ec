package report

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netio-lab/netio/results"
)

// gantt is a plotter of a timeline: each request a bar in its lane's row,
// from its start to its end, coloured by its result class; in an open run
// a grey line before the bar shows how long it waited in the client after
// its intended start.
type gantt struct {
	spans []results.Span
}

// Plot draws the bars (plot.Plotter).
func (g gantt) Plot(c draw.Canvas, p *plot.Plot) {
	x, y := p.Transforms(&c)
	half := max((y(1)-y(0))*0.4, vg.Points(0.4))
	for _, s := range g.spans {
		row := float64(s.Lane)
		if s.AtMS != nil && *s.AtMS < s.StartMS {
			// Along the row's lower edge: the lane may still have been
			// busy with the request before, whose bar it must not cross.
			c.StrokeLine2(draw.LineStyle{Color: grey, Width: vg.Points(0.5)}, x(*s.AtMS), y(row)-half, x(s.StartMS), y(row)-half)
		}
		// A hair short of its end, so that back-to-back requests on one
		// lane (sequential's) stay apart.
		x0, x1 := x(s.StartMS), max(x(s.EndMS)-vg.Points(0.75), x(s.StartMS)+vg.Points(0.5))
		bar := c.ClipPolygonXY([]vg.Point{{X: x0, Y: y(row) - half}, {X: x1, Y: y(row) - half}, {X: x1, Y: y(row) + half}, {X: x0, Y: y(row) + half}})
		c.FillPolygon(classColor(s.Class), bar)
	}
}

// DataRange is the time and lanes the spans cover (plot.DataRanger).
func (g gantt) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = 0, 0
	for _, s := range g.spans {
		xmax, ymax = max(xmax, s.EndMS), max(ymax, float64(s.Lane))
	}
	return xmin, xmax, ymin - 0.5, ymax + 0.5
}

// timelineChart is a Gantt chart per strategy (its first repetition at
// the focus point) with the requests in flight over time beneath it.
func (ds *dataset) timelineChart() (*chart, error) {
	var grid [][]*plot.Plot
	for _, s := range ds.atFocus() {
		runs := ds.runsOf(s.Point)
		if len(runs) == 0 || len(runs[0].Timeline) == 0 {
			continue
		}
		top, bottom, err := timelinePlots(runs[0])
		if err != nil {
			return nil, err
		}
		grid = append(grid, []*plot.Plot{top}, []*plot.Plot{bottom})
	}
	if len(grid) == 0 {
		return nil, nil
	}
	svg, err := render(grid, chartWidth, chartHeight*0.42*vg.Length(len(grid)))
	if err != nil {
		return nil, err
	}
	return &chart{file: "timeline.svg", title: "When each request ran" + ds.focusLabel(), svg: svg,
		caption: "A row per lane — what carried the request: a worker, a goroutine, a connection. Blue bars succeeded, vermillion failed, orange timed out, grey were canceled; a thin grey line before a bar is time waited in the client after the request was due. Beneath: requests in flight, averaged per interval. A sample of at most 2,000 requests per pass."}, nil
}

// timelinePlots are a run's Gantt chart and its in-flight line.
func timelinePlots(r results.Run) (*plot.Plot, *plot.Plot, error) {
	lanes := r.Lanes
	if lanes == "" {
		lanes = "lane"
	}
	top := newPlot(fmt.Sprintf("%s: %d of %d requests", r.Strategy, len(r.Timeline), r.OK+r.Failed), "", lanes)
	top.Add(gantt{spans: r.Timeline})
	laneTicks(top, r.Timeline)
	bottom := newPlot("", "time since the pass began (ms)", "in flight")
	if r.Series != nil {
		// A step per interval: the mean holds over the whole interval, and
		// a pass shorter than one interval still shows a line.
		var xys plotter.XYs
		w := r.Series.IntervalMS
		for i, v := range r.Series.InFlight {
			end := min(float64(i+1)*w, max(r.WallS*1000, float64(i)*w+1))
			xys = append(xys, plotter.XY{X: float64(i) * w, Y: v}, plotter.XY{X: end, Y: v})
		}
		if err := addSeries(bottom, r.Strategy, xys); err != nil {
			return nil, nil, err
		}
		bottom.Legend = plot.NewLegend()
		bottom.Y.Min = 0
	}
	_, xmax, _, _ := gantt{spans: r.Timeline}.DataRange()
	bottom.X.Min, bottom.X.Max = 0, max(xmax, r.WallS*1000)
	top.X.Min, top.X.Max = 0, bottom.X.Max // one time axis for both
	return top, bottom, nil
}

// openChart is, for open runs, throughput and p99 over time per strategy
// (first repetition at the focus point), and the late and dropped
// arrivals summed over the repetitions.
func (ds *dataset) openChart() (*chart, error) {
	var open []results.Summary
	for _, s := range ds.atFocus() {
		if s.Mode == results.ModeOpen {
			open = append(open, s)
		}
	}
	if len(open) == 0 {
		return nil, nil
	}
	rate := newPlot("Throughput over time", "time since the pass began (s)", "successful completions/s")
	p99 := newPlot("p99 latency over time", "time since the pass began (s)", "p99 (ms)")
	var names []string
	var late, dropped []float64
	for _, s := range open {
		names = append(names, s.Strategy)
		late, dropped = append(late, float64(s.Late)), append(dropped, float64(s.Dropped))
		runs := ds.runsOf(s.Point)
		if len(runs) == 0 || runs[0].Series == nil {
			continue
		}
		se := runs[0].Series
		var tput, tail plotter.XYs
		for i := range se.Completions {
			t := (float64(i) + 0.5) * se.IntervalMS / 1000
			// The last interval ends with the pass, often short of a whole one.
			span := min(se.IntervalMS, max(runs[0].WallS*1000-float64(i)*se.IntervalMS, 1)) / 1000
			// Successes only: the requests canceled when time runs out all
			// end at once, a spike that would flatten the rest.
			tput = append(tput, plotter.XY{X: t, Y: float64(se.Completions[i]-se.Errors[i]) / span})
			p99 := math.NaN() // no request ended: a gap in the line, not a slope across it
			if se.Completions[i] > 0 {
				p99 = se.P99MS[i]
			}
			tail = append(tail, plotter.XY{X: t, Y: p99})
		}
		if err := addSeries(rate, s.Strategy, tput); err != nil {
			return nil, err
		}
		if err := addSeries(p99, s.Strategy, tail); err != nil {
			return nil, err
		}
	}
	lateP, err := dotPlot("late arrivals (started > 2 ms after due)", "requests", names, late, false)
	if err != nil {
		return nil, err
	}
	droppedP, err := dotPlot("dropped arrivals (never finished)", "requests", names, dropped, false)
	if err != nil {
		return nil, err
	}
	svg, err := render([][]*plot.Plot{{rate, p99}, {lateP, droppedP}}, chartWidth*1.3, chartHeight*1.6)
	if err != nil {
		return nil, err
	}
	return &chart{file: "open.svg", title: "Open workload over time" + ds.focusLabel(), svg: svg,
		caption: "Arrivals come at a fixed rate whether or not the client keeps up. A client that keeps up holds the rate flat and its p99 low; one that falls behind shows late arrivals, and latency counted from each request's due time grows."}, nil
}

// TimelineSVG draws timelines as the report's Gantt charts, one above the
// other on one time scale: what `netio demo --svg` saves. Each run needs
// only its strategy, Lanes, Timeline and WallS.
func TimelineSVG(runs []results.Run) (svg []byte, err error) {
	defer recoverDrawing(&err)
	if len(runs) == 0 {
		return nil, fmt.Errorf("report: no timeline to draw")
	}
	var grid [][]*plot.Plot
	end := 0.0
	for _, r := range runs {
		end = max(end, r.WallS*1000)
	}
	for _, r := range runs {
		p := newPlot(r.Strategy, "time since the batch began (ms)", r.Lanes)
		p.Add(gantt{spans: r.Timeline})
		laneTicks(p, r.Timeline)
		p.X.Min, p.X.Max = 0, end
		grid = append(grid, []*plot.Plot{p})
	}
	return render(grid, chartWidth, chartHeight*0.4*vg.Length(len(grid)))
}

// laneTicks labels each lane by its number when there are few: a lane is
// a worker or a connection, never lane 1.5.
func laneTicks(p *plot.Plot, spans []results.Span) {
	most := 0
	for _, s := range spans {
		most = max(most, s.Lane)
	}
	if most > 12 {
		return // gonum's own ticks, which fall on round numbers
	}
	var ticks plot.ConstantTicks
	for lane := 0; lane <= most; lane++ {
		if lane > 0 || slices.ContainsFunc(spans, func(s results.Span) bool { return s.Lane == 0 }) {
			ticks = append(ticks, plot.Tick{Value: float64(lane), Label: fmt.Sprint(lane)})
		}
	}
	p.Y.Tick.Marker = ticks
}
