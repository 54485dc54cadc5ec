package report

import (
	"bytes"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// chart is one figure of a report: a file name for the Markdown form, a
// title, a sentence on how to read it, and the SVG.
type chart struct {
	file    string // "throughput.svg"
	title   string
	caption string
	svg     []byte
}

// The size of a chart, in points; small multiples share one such canvas.
const (
	chartWidth  = 7 * vg.Inch
	chartHeight = 4 * vg.Inch
)

// newPlot is a plot with a title and axis labels, legend at the top left.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

// render draws plots, a grid of rows, on one SVG canvas of w×h.
func render(rows [][]*plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: len(rows), Cols: len(rows[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(rows, tiles, dc)
	for i, row := range rows {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	return svgBytes(c)
}

// svgBytes is the document a canvas drew.
func svgBytes(c *vgsvg.Canvas) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: draw svg: %w", err)
	}
	return buf.Bytes(), nil
}

// renderOne draws one plot at the chart size.
func renderOne(p *plot.Plot) ([]byte, error) {
	return render([][]*plot.Plot{{p}}, chartWidth, chartHeight)
}

// legendWidth is the room renderBesideLegend keeps for the legend.
const legendWidth = 1.6 * vg.Inch

// renderBesideLegend draws a plot at the chart size with its legend to
// the right of it, outside the data: a legend inside would hide lines.
func renderBesideLegend(p *plot.Plot) ([]byte, error) {
	c := vgsvg.New(chartWidth, chartHeight)
	dc := draw.New(c)
	legend := p.Legend
	p.Legend = plot.NewLegend()
	p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	legend.Top, legend.Left = true, true
	legend.YOffs = -vg.Points(24)
	legend.Draw(draw.Crop(dc, chartWidth-legendWidth+vg.Points(8), 0, 0, 0))
	return svgBytes(c)
}

// addSeries draws a strategy's points as a line with its glyphs, in its
// look, and names it in the legend.
func addSeries(p *plot.Plot, strategy string, xys plotter.XYs) error {
	l := lookOf(strategy)
	legend := false
	for _, seg := range segments(xys) {
		seg = onAxes(p, seg)
		if len(seg) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(seg)
		if err != nil {
			return fmt.Errorf("report: %s: %w", strategy, err)
		}
		line.Color, line.Dashes, line.Width = l.color, l.dashes, vg.Points(1.5)
		points.Color, points.Shape, points.Radius = l.color, l.glyph, vg.Points(3)
		p.Add(line, points)
		if !legend {
			p.Legend.Add(strategy, line, points)
			legend = true
		}
	}
	return nil
}

// segments splits a series at its gaps, points whose Y is NaN (an interval
// in which no request ended, which has no p99): a line drawn across a gap
// would show a slope no measurement made.
func segments(xys plotter.XYs) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for _, xy := range xys {
		if math.IsNaN(xy.Y) {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, xy)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// onAxes drops the points a log axis of p has no place for (zero or
// negative: a strategy that made no request in an interval, say), which
// would make gonum panic.
func onAxes(p *plot.Plot, xys plotter.XYs) plotter.XYs {
	_, logX := p.X.Scale.(plot.LogScale)
	_, logY := p.Y.Scale.(plot.LogScale)
	var out plotter.XYs
	for _, xy := range xys {
		if (!logX || xy.X > 0) && (!logY || xy.Y > 0) {
			out = append(out, xy)
		}
	}
	return out
}

// dotPlot is a Cleveland dot plot: a row per strategy, its value a glyph
// on a line from the axis. It reads like a bar chart but also works on a
// log axis, where a bar has no base.
func dotPlot(title, x string, names []string, values []float64, logX bool) (*plot.Plot, error) {
	p := newPlot(title, x, "")
	p.Legend = plot.NewLegend()
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if v > 0 || !logX {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	useLog := logX && lo > 0 && hi/lo >= 50
	base := 0.0
	if useLog {
		base = lo / 2
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	for i, name := range names {
		v := values[i]
		l := lookOf(name)
		if useLog && v <= 0 {
			// No place on a log axis: a zero is drawn at the axis's start
			// and labelled, so that the best value does not vanish.
			v = base
			label, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: base, Y: float64(i)}}, Labels: []string{"   0"}})
			if err != nil {
				return nil, err
			}
			p.Add(label)
		}
		stem, err := plotter.NewLine(plotter.XYs{{X: base, Y: float64(i)}, {X: v, Y: float64(i)}})
		if err != nil {
			return nil, err
		}
		stem.Color, stem.Width = grey, vg.Points(0.5)
		dot, err := plotter.NewScatter(plotter.XYs{{X: v, Y: float64(i)}})
		if err != nil {
			return nil, err
		}
		dot.Color, dot.Shape, dot.Radius = l.color, l.glyph, vg.Points(4)
		p.Add(stem, dot)
	}
	p.NominalY(names...)
	p.X.Min = min(p.X.Min, base)
	if useLog {
		p.X.Min, p.X.Max = base, hi*2
	}
	return p, nil
}
