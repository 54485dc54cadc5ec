package bench

import (
	"fmt"
	"io"
	"strings"
)

// ProgressBar draws a bench's Status on one line of a terminal, redrawn in
// place: which point of how many, and how far its child has got.
//
//	[2/7] perrequest c=100 n=1000 fixed:5ms [############............]
type ProgressBar struct {
	w io.Writer
}

// NewProgressBar draws on w, which should be a terminal: the bar moves
// back to the start of its line with a carriage return.
func NewProgressBar(w io.Writer) *ProgressBar { return &ProgressBar{w: w} }

// barWidth is the bar's length in characters.
const barWidth = 24

// Update redraws the line for s; Options.Progress can be it.
func (p *ProgressBar) Update(s Status) {
	filled := 0
	if s.Total > 0 {
		filled = int(min(s.Done, s.Total) * barWidth / s.Total)
	}
	fmt.Fprintf(p.w, "\r\033[K[%d/%d] %s [%s%s]", s.Point+1, s.Points, s.Label, strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled))
}

// Finish clears the line, for what is printed next.
func (p *ProgressBar) Finish() { fmt.Fprint(p.w, "\r\033[K") }
