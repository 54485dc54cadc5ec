package strategies

import (
	"regexp"
	"strconv"
)

// temperaturePattern is the article's pattern: a number followed by " F",
// as in "Temperature: 37.9 F (3.3 C)". It matches the first such number on
// the page, so a page must state the temperature before any wind chill or
// heat index (which are in F too).
var temperaturePattern = regexp.MustCompile(TemperaturePattern)

// TemperaturePattern is the source of the pattern ParseTemperature looks for.
const TemperaturePattern = `(-?\d+(?:\.\d+)?) F`

// ParseTemperature is the "process the page" step that every strategy runs
// on every body: it returns the first temperature on the page, in degrees
// Fahrenheit, and whether there was one.
func ParseTemperature(page []byte) (float64, bool) {
	m := temperaturePattern.FindSubmatch(page)
	if m == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil { // cannot happen for text the pattern matched
		return 0, false
	}
	return f, true
}

// FormatTemperature writes a reading the way the page did: "46" or "37.9".
func FormatTemperature(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}
