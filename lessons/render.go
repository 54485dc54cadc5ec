package lessons

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/netio-lab/netio/results"
)

// Render draws timelines as text, width columns wide, on one time scale
// so that they compare at a glance: for each timeline a heading, then a
// row per lane with each request a bar from its start to its end, labelled
// with its page and ended by a mark: '>' ok, 'x' failed. A request still
// waiting (live view) is a bar of '-' that reaches the batch's clock, with
// no mark yet. With color, bars are coloured by result class (ANSI);
// without, the output is plain ASCII. It draws the final picture, and each
// frame of the live view.
func Render(w io.Writer, timelines []Timeline, width int, color bool) {
	if len(timelines) == 0 { // one-loop's thousands of lanes: nothing to draw, not an empty axis
		return
	}
	const label = 16 // the lane column
	cols := max(width-label-2, 10)
	scale, live := 1.0, false // ms
	for _, tl := range timelines {
		scale = max(scale, tl.EndMS)
		if len(tl.Running) > 0 {
			scale, live = max(scale, tl.NowMS), true
		}
		for _, s := range tl.Spans {
			scale = max(scale, s.EndMS)
		}
	}
	if live { // a round scale that holds still while the waiting bars grow into it
		scale = roundUp(scale)
	}
	for _, tl := range timelines {
		status := "running"
		if tl.EndMS > 0 {
			status = fmt.Sprintf("%d of %d %s in %.0f ms", len(tl.Spans), len(tl.Names), cmp.Or(tl.Items, "pages"), tl.EndMS)
		}
		fmt.Fprintf(w, "%s: %s\n", tl.Title, status)
		for _, lane := range lanesOf(tl) {
			row := []rune(strings.Repeat(" ", cols))
			classes := make([]string, cols)
			for _, s := range tl.Spans {
				if s.Lane == lane {
					drawBar(row, classes, s, tl.Names, cols, scale, '=')
				}
			}
			for _, s := range tl.Running {
				if s.Lane == lane {
					s.EndMS = max(s.StartMS, tl.NowMS)
					drawBar(row, classes, s, tl.Names, cols, scale, '-')
				}
			}
			for _, s := range tl.Spans { // the end marks last: a bar that starts where one ends must not hide it
				if s.Lane == lane {
					drawEnd(row, classes, s, cols, scale)
				}
			}
			fmt.Fprintf(w, "%-*s|%s|\n", label, laneName(tl.Lanes, lane), paint(row, classes, color))
		}
	}
	// The axis ends under the rows' last column, " ms" and all: a line
	// wider than the terminal would wrap and throw the live view's
	// redrawing off by a line.
	fmt.Fprintf(w, "%-*s0%*.0f ms\n", label, "", cols-3, scale)
}

// roundUp is the next of 100, 200, 500, 1000, 2000, 5000… ms at or above
// ms.
func roundUp(ms float64) float64 {
	for step := 100.0; ; step *= 10 {
		for _, s := range []float64{step, 2 * step, 5 * step} {
			if s >= ms {
				return s
			}
		}
	}
}

// lanesOf lists a timeline's lanes in order, the running requests' too.
func lanesOf(tl Timeline) []int {
	var lanes []int
	for _, s := range slices.Concat(tl.Spans, tl.Running) {
		if !slices.Contains(lanes, s.Lane) {
			lanes = append(lanes, s.Lane)
		}
	}
	slices.Sort(lanes)
	return lanes
}

func laneName(kind string, lane int) string {
	if kind == "" {
		kind = "lane"
	}
	if len(kind) > 12 {
		kind = kind[:12]
	}
	return fmt.Sprintf("%s %d", kind, lane)
}

// drawBar puts one request into a row: fill from start to end, and its
// page's name over the bar where it fits.
func drawBar(row []rune, classes []string, s results.Span, names []string, cols int, scale float64, fill rune) {
	from, to := column(s.StartMS, cols, scale), column(s.EndMS, cols, scale)
	for c := from; c <= to; c++ {
		row[c], classes[c] = fill, s.Class
	}
	if s.Index < len(names) {
		for i, r := range []rune(names[s.Index]) {
			if from+1+i >= to {
				break
			}
			row[from+1+i] = r
		}
	}
}

// drawEnd puts a request's end mark: '>' ok, 'x' failed.
func drawEnd(row []rune, classes []string, s results.Span, cols int, scale float64) {
	to := column(s.EndMS, cols, scale)
	row[to], classes[to] = '>', s.Class
	if s.Class != "ok" {
		row[to] = 'x'
	}
}

// column is the column of a time.
func column(ms float64, cols int, scale float64) int {
	return min(cols-1, max(0, int(ms/scale*float64(cols-1)+0.5)))
}

// paint returns the row, with ANSI colours per class when color is set.
func paint(row []rune, classes []string, color bool) string {
	if !color {
		return string(row)
	}
	var b strings.Builder
	for i, r := range row {
		code := classColor(classes[i])
		if code != "" {
			b.WriteString("\x1b[" + code + "m" + string(r) + "\x1b[0m")
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// classColor is the ANSI colour of a result class: blue ok, yellow a
// timeout, red any other failure, as in the report's timeline.
func classColor(class string) string {
	switch class {
	case "":
		return ""
	case "ok":
		return "34"
	case "timeout":
		return "33"
	}
	return "31"
}
