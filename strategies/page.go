package strategies

import (
	"bytes"
	"strconv"
)

// TemperaturePattern is the article's pattern, which ParseTemperature
// implements: a number followed by " F", as in "Temperature: 37.9 F (3.3 C)".
// The first match on the page wins, so a page must state the temperature
// before any wind chill or heat index (which are in F too).
const TemperaturePattern = `(-?\d+(?:\.\d+)?) F`

// ParseTemperature is the "process the page" step that every strategy runs
// on every body: it returns the first temperature on the page, in degrees
// Fahrenheit, and whether there was one.
//
// It finds exactly what TemperaturePattern would (a test checks them against
// each other), several times faster: it looks for " F" with bytes.Index and
// reads the number backwards from there. That matters because a strategy
// that can do 80,000 requests a second has 12 µs for each, and a regular
// expression over a 2 KB page takes a good part of that.
func ParseTemperature(page []byte) (float64, bool) {
	for from := 1; from < len(page); {
		i := bytes.IndexByte(page[from:], 'F') // rarer than ' ', so faster to look for
		if i < 0 {
			break
		}
		end := from + i - 1 // where the space should be
		if page[end] == ' ' {
			if start := numberBefore(page, end); start >= 0 {
				f, _ := strconv.ParseFloat(string(page[start:end]), 64) // only a range error is possible: ±Inf, as the pattern would give
				return f, true
			}
		}
		from += i + 1
	}
	return 0, false
}

// numberBefore returns where the number -?\d+(\.\d+)? ending at end starts,
// taking the earliest start the pattern would, or -1 if none ends there.
func numberBefore(page []byte, end int) int {
	k := digitsBefore(page, end)
	if k == end {
		return -1
	}
	start := k
	if k >= 2 && page[k-1] == '.' && isDigit(page[k-2]) {
		start = digitsBefore(page, k-1) // a fraction: the integer part before the dot
	}
	if start > 0 && page[start-1] == '-' {
		start--
	}
	return start
}

// digitsBefore returns the start of the run of digits ending at end.
func digitsBefore(page []byte, end int) int {
	for end > 0 && isDigit(page[end-1]) {
		end--
	}
	return end
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// FormatTemperature writes a reading the way the page did: "46" or "37.9".
func FormatTemperature(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}
