package report

import (
	"math"
	"testing"

	"gonum.org/v1/plot/plotter"
)

// TestSegmentsBreakAtGaps: a series with intervals in which no request
// ended (a frozen server) is drawn as separate lines, not one across the
// gap.
func TestSegmentsBreakAtGaps(t *testing.T) {
	nan := math.NaN()
	got := segments(plotter.XYs{{X: 1, Y: 5}, {X: 2, Y: 6}, {X: 3, Y: nan}, {X: 4, Y: nan}, {X: 5, Y: 2000}, {X: 6, Y: nan}})
	if len(got) != 2 || len(got[0]) != 2 || len(got[1]) != 1 || got[1][0].Y != 2000 {
		t.Errorf("segments %v; want [(1,5) (2,6)] and [(5,2000)]", got)
	}
	if got := segments(plotter.XYs{{X: 1, Y: nan}}); len(got) != 0 {
		t.Errorf("all gaps: %v; want no segment", got)
	}
}
