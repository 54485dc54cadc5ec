package strategies_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/netio-lab/netio/strategies"
)

func TestParseTemperature(t *testing.T) {
	tests := []struct {
		page string
		want float64
		ok   bool
	}{
		{"Temperature: 37.9 F (3.3 C)", 37.9, true},
		{"<td>46 F (8 C)</td>", 46, true},
		{"Temperature: -38 F (-39 C)", -38, true},
		{"Temperature: -0.4 F", -0.4, true},
		// The first match wins: the temperature line comes before the wind chill.
		{"Temperature: 30 F (-1 C)\nWindchill: 21 F (-6 C)", 30, true},
		// Across lines, as the article's re.S allowed.
		{"Sky: clear\nTemperature:\n 12 F", 12, true},
		{"Temperature: 37.9 C", 0, false},
		{"Temperature: 37.9F", 0, false}, // the pattern wants a space before F
		{"Wind: 9 MPH", 0, false},
		{"", 0, false},
		{"12 f", 0, false},
	}
	for _, tt := range tests {
		got, ok := strategies.ParseTemperature([]byte(tt.page))
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseTemperature(%q) = %v, %v; want %v, %v", tt.page, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFormatTemperature(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{{46, "46"}, {37.9, "37.9"}, {-38, "-38"}, {-0.5, "-0.5"}}
	for _, tt := range tests {
		if got := strategies.FormatTemperature(tt.in); got != tt.want {
			t.Errorf("FormatTemperature(%v) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkParseTemperature(b *testing.B) {
	page := make([]byte, 0, 2048)
	for len(page) < 1500 {
		page = append(page, "<tr><td><b>Wind:</b></td><td>from the NW (310 degrees) at 9 MPH (8 KT)</td></tr>\n"...)
	}
	page = append(page, "<tr><td><b>Temperature:</b></td><td>37.9 F (3.3 C)</td></tr>\n"...)
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		if _, ok := strategies.ParseTemperature(page); !ok {
			b.Fatal("no temperature")
		}
	}
}

// The hand-written matcher must find what the article's regular expression
// finds, on anything.
func FuzzParseTemperatureMatchesPattern(f *testing.F) {
	for _, s := range []string{"12.5.3 F", "1-5 F", "--5 F", ".5 F", "-.5 F", "1.2.3.4 F x 7 F", "x 0.0 F", "a1 b F 3 F", "9 F"} {
		f.Add(s)
	}
	pattern := regexp.MustCompile(strategies.TemperaturePattern)
	f.Fuzz(func(t *testing.T, page string) {
		got, ok := strategies.ParseTemperature([]byte(page))
		m := pattern.FindStringSubmatch(page)
		if (m != nil) != ok {
			t.Fatalf("%q: found %v; the pattern found %q", page, ok, m)
		}
		if m != nil {
			want, err := strconv.ParseFloat(m[1], 64)
			if err == nil && got != want {
				t.Fatalf("%q: %v; the pattern found %s", page, got, m[1])
			}
		}
	})
}
