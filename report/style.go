package report

import (
	"hash/fnv"
	"image/color"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netio-lab/netio/strategies"
)

// look is how one strategy is drawn in every chart of every report: its
// colour, its dash pattern and its glyph. Colour alone would fail in grey
// print and for colour-blind readers, so each strategy differs in all three.
type look struct {
	color  color.Color
	dashes []vg.Length
	glyph  draw.GlyphDrawer
}

// The Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008),
// chosen to stay distinct under the common colour-vision deficiencies;
// its yellow is left out, too pale on white.
var palette = []color.Color{
	rgb(0x00, 0x72, 0xB2), // blue
	rgb(0xE6, 0x9F, 0x00), // orange
	rgb(0x00, 0x9E, 0x73), // bluish green
	rgb(0xD5, 0x5E, 0x00), // vermillion
	rgb(0xCC, 0x79, 0xA7), // reddish purple
	rgb(0x56, 0xB4, 0xE9), // sky blue
	rgb(0x00, 0x00, 0x00), // black
}

var dashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(2)},
	{vg.Points(2), vg.Points(2)},
	{vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2)},
	{vg.Points(10), vg.Points(3)},
	{vg.Points(1), vg.Points(3)},
	{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2), vg.Points(2), vg.Points(2)},
}

var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{},
	draw.PlusGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{},
}

// lookOf is a strategy's look. The registered strategies take theirs by
// their place in the registry, so that a strategy keeps its look across
// reports; any other name (a file from a later netio) is hashed.
func lookOf(strategy string) look {
	i := -1
	for k, info := range strategies.All() {
		if info.Name == strategy {
			i = k
		}
	}
	if i < 0 {
		h := fnv.New32a()
		h.Write([]byte(strategy))
		i = int(h.Sum32() % uint32(len(palette)))
	}
	return look{color: palette[i%len(palette)], dashes: dashes[i%len(dashes)], glyph: glyphs[i%len(glyphs)]}
}

// The colours of result classes in a timeline: ok in the palette's blue,
// a timeout in orange, a canceled request in grey, every other failure in
// vermillion.
func classColor(class string) color.Color {
	switch class {
	case "ok":
		return palette[0]
	case "timeout":
		return palette[1]
	case "canceled":
		return rgb(0x99, 0x99, 0x99)
	}
	return palette[3]
}

// grey is for reference lines (the ideal) and for what a queue waited.
var grey = rgb(0x88, 0x88, 0x88)

func rgb(r, g, b uint8) color.Color { return color.RGBA{R: r, G: g, B: b, A: 0xFF} }
