package strategies_test

import (
	"math/rand/v2"
	"regexp"
	"testing"

	"github.com/netio-lab/netio/strategies"
)

var scanPages = []string{
	"Wind: 9 MPH\nTemperature: 37.9 F (3.3 C)\nWindchill: 30 F",
	"<td>46 F (8 C)</td>",
	"no reading here, 12 f, 9999 C",
	"12.5.3 F", // the pattern's own subtleties: the match is "5.3"
	"x -0.4 F",
	"1 2 3 4 5 6 7 8 9 10 F",
}

// The scanner must agree with ParseTemperature on the whole body, however
// the body is cut.
func TestScannerAgreesAtEverySplit(t *testing.T) {
	for _, page := range scanPages {
		want, wantOK := strategies.ParseTemperature([]byte(page))
		for i := range len(page) + 1 {
			for j := i; j <= len(page); j++ {
				var s strategies.TemperatureScanner
				s.Write([]byte(page[:i]))
				s.Write([]byte(page[i:j]))
				s.Write([]byte(page[j:]))
				if got, ok := s.Temperature(); got != want || ok != wantOK {
					t.Fatalf("%q cut at %d and %d: %v, %v; want %v, %v", page, i, j, got, ok, want, wantOK)
				}
			}
		}
	}
}

func FuzzScanner(f *testing.F) {
	for _, p := range scanPages {
		f.Add(p, uint64(1))
	}
	f.Fuzz(func(t *testing.T, page string, seed uint64) {
		if len(page) > 4096 {
			return
		}
		want, wantOK := strategies.ParseTemperature([]byte(page))
		// Readings longer than the scanner's carry are out of its contract.
		// Measured on the page's text, not on the value: a 300-digit
		// reading is +Inf, four characters formatted.
		if wantOK && len(readingPattern.FindString(page)) > 40 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 0))
		var s strategies.TemperatureScanner
		for rest := page; len(rest) > 0; {
			n := 1 + r.IntN(len(rest))
			s.Write([]byte(rest[:n]))
			rest = rest[n:]
		}
		if got, ok := s.Temperature(); ok != wantOK || (ok && got != want) {
			t.Fatalf("%q: %v, %v; want %v, %v", page, got, ok, want, wantOK)
		}
	})
}

// readingPattern is the article's pattern, for the length of a reading.
var readingPattern = regexp.MustCompile(`-?\d+(?:\.\d+)? F`)
