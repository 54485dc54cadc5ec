package mockserver

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // station local times must not depend on the host's zoneinfo
)

// The two page forms the old NOAA site served for every station.
const (
	htmlPrefix = "/weather/current/"
	htmlSuffix = ".html"
	txtPrefix  = "/data/observations/metar/decoded/"
	txtSuffix  = ".TXT"
)

// pageKind tells the two forms of a station page apart.
type pageKind int

const (
	pageHTML pageKind = iota
	pageTXT
)

// HTMLPath is the path of a station's current-conditions HTML page.
func HTMLPath(icao string) string { return htmlPrefix + strings.ToUpper(icao) + htmlSuffix }

// TXTPath is the path of a station's decoded METAR text record.
func TXTPath(icao string) string { return txtPrefix + strings.ToUpper(icao) + txtSuffix }

// pageKey names a rendered page: a station (upper case) and a form.
type pageKey struct {
	icao string
	kind pageKind
}

// stationFromPath splits a page path into the station code and the page
// form. ok is false for paths of neither form; the code is not checked
// against the catalogue.
func stationFromPath(path string) (icao string, kind pageKind, ok bool) {
	if code, found := cutAround(path, htmlPrefix, htmlSuffix); found {
		return strings.ToUpper(code), pageHTML, true
	}
	if code, found := cutAround(path, txtPrefix, txtSuffix); found {
		return strings.ToUpper(code), pageTXT, true
	}
	return "", 0, false
}

func cutAround(s, prefix, suffix string) (string, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return "", false
	}
	code, ok := strings.CutSuffix(rest, suffix)
	return code, ok && code != "" && !strings.Contains(code, "/")
}

// field is one line of an observation, shared by both page forms so that
// they never disagree. mark is the decoded record's trailing ":0"/":1".
type field struct{ label, value, mark string }

// fields lists an observation's lines in the decoded record's order. The
// temperature comes before the wind chill or heat index, so that the first
// "NN F" on the page is the temperature.
//
// Without the temperature (withTemp false) the page is what a station with a
// failed sensor reports: no temperature, and so no dew point, humidity, wind
// chill or heat index either; the renderers also leave out the raw report,
// so that nothing on the page matches the temperature pattern.
func (o Observation) fields(withTemp bool) []field {
	f := []field{
		{"Wind", o.windText(), ":0"},
		{"Visibility", fmt.Sprintf("%d mile(s)", o.VisibilityMi), ":0"},
		{"Sky conditions", o.Sky, ""},
	}
	if o.Weather != "" {
		f = append(f, field{"Weather", o.Weather, ""})
	}
	pressure := field{"Pressure (altimeter)", fmt.Sprintf("%.2f in. Hg (%d hPa)", o.PressureInHg, o.PressureHPa), ""}
	if !withTemp {
		return append(f, pressure)
	}
	f = append(f, field{"Temperature", o.degrees(o.TempF, o.TempC), ""})
	if o.FeelsLike != "" {
		c := roundTo((o.FeelsLikeF-32)*5/9, 0)
		f = append(f, field{o.FeelsLike, fmt.Sprintf("%.0f F (%.0f C)", o.FeelsLikeF, c), ":1"})
	}
	return append(f,
		field{"Dew Point", o.degrees(o.DewF, o.DewC), ""},
		field{"Relative Humidity", fmt.Sprintf("%d%%", o.HumidityPct), ""},
		pressure,
	)
}

// degrees formats a temperature pair as the station reports it.
func (o Observation) degrees(f, c float64) string {
	return fmt.Sprintf("%.*f F (%.*f C)", o.Decimals, f, o.Decimals, c)
}

func (o Observation) windText() string {
	if o.WindKT == 0 {
		return "Calm"
	}
	return fmt.Sprintf("from the %s (%d degrees) at %d MPH (%d KT)", compass(o.WindDirDeg), o.WindDirDeg, o.WindMPH, o.WindKT)
}

// compass names the 16-point direction of a bearing in degrees.
func compass(deg int) string {
	points := [...]string{"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"}
	return points[int(math.Round(float64(deg)/22.5))%16]
}

// headline is "London City Airport, United Kingdom (EGLC)", with the US
// state or Canadian province where there is one.
func (st Station) headline() string {
	parts := []string{st.Name}
	if st.Region != "" {
		parts = append(parts, st.Region)
	}
	parts = append(parts, st.Country)
	return fmt.Sprintf("%s (%s)", strings.Join(parts, ", "), st.ICAO)
}

// position is "51-30N 000-03E 5M": degrees-minutes and elevation.
func (st Station) position() string {
	return fmt.Sprintf("%s %s %dM", dm(st.Lat, 2, "N", "S"), dm(st.Lon, 3, "E", "W"), st.ElevationM)
}

func dm(deg float64, width int, pos, neg string) string {
	hemi := pos
	if deg < 0 {
		hemi, deg = neg, -deg
	}
	minutes := int(math.Round(deg * 60))
	return fmt.Sprintf("%0*d-%02d%s", width, minutes/60, minutes%60, hemi)
}

// timeLine is "Nov 25, 2026 - 09:51 AM EST / 2026.11.25 1451 UTC".
func (o Observation) timeLine() string {
	loc, err := time.LoadLocation(o.Station.TZ)
	if err != nil {
		loc = time.UTC
	}
	return o.Time.In(loc).Format("Jan 02, 2006 - 03:04 PM MST") + " / " + o.Time.Format("2006.01.02 1504 UTC")
}

// metar is the raw report the record was decoded from.
func (o Observation) metar() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s ", o.Station.ICAO, o.Time.Format("021504Z"))
	if o.WindKT == 0 {
		b.WriteString("00000KT ")
	} else {
		fmt.Fprintf(&b, "%03d%02dKT ", o.WindDirDeg, o.WindKT)
	}
	sky := "SKC"
	for _, s := range skies {
		if s.text == o.Sky {
			sky = s.metar
		}
	}
	if o.Station.isUS() {
		fmt.Fprintf(&b, "%dSM %s %s/%s A%04d RMK AO2 T%s%s", o.VisibilityMi, sky,
			metarDegrees(o.TempC), metarDegrees(o.DewC), int(math.Round(o.PressureInHg*100)),
			tenthsGroup(o.TempC), tenthsGroup(o.DewC))
	} else {
		fmt.Fprintf(&b, "%04d %s %s/%s Q%04d", min(9999, o.VisibilityMi*1609), sky,
			metarDegrees(o.TempC), metarDegrees(o.DewC), o.PressureHPa)
	}
	return b.String()
}

// metarDegrees is a whole-degree METAR temperature: "08", "M02".
func metarDegrees(c float64) string {
	n := int(math.Round(c))
	if n < 0 {
		return fmt.Sprintf("M%02d", -n)
	}
	return fmt.Sprintf("%02d", n)
}

// tenthsGroup is the US remark group for tenths: "0033" or "1061" (minus).
func tenthsGroup(c float64) string {
	sign := 0
	if c < 0 {
		sign, c = 1, -c
	}
	return fmt.Sprintf("%d%03d", sign, int(math.Round(c*10)))
}

// renderTXT writes the decoded METAR record.
func (o Observation) renderTXT(withTemp bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n%s\n", o.Station.headline(), o.Station.position(), o.timeLine())
	for _, f := range o.fields(withTemp) {
		fmt.Fprintf(&b, "%s: %s%s\n", f.label, f.value, f.mark)
	}
	if withTemp { // a raw report may match the pattern too: "9999 FEW030"
		fmt.Fprintf(&b, "ob: %s\n", o.metar())
	}
	fmt.Fprintf(&b, "cycle: %d\n", cycle(o.Time))
	return []byte(b.String())
}

// cycle is the hour of the reporting cycle the observation belongs to.
func cycle(t time.Time) int { return t.Add(9 * time.Minute).Hour() }

// renderHTML writes a current-conditions page in the style of the old NOAA
// site: a title, the station's position and a table of the same fields as
// the text record.
func (o Observation) renderHTML(withTemp bool) []byte {
	var b strings.Builder
	head := html.EscapeString(o.Station.headline())
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>Current Weather Conditions: %s</title></head>\n<body>\n", head)
	fmt.Fprintf(&b, "<h1>Current Weather Conditions</h1>\n<h2>%s</h2>\n<p>%s</p>\n", head, o.Station.position())
	fmt.Fprintf(&b, "<table border=\"1\" cellpadding=\"4\">\n<tr><td><b>Conditions at</b></td><td>%s</td></tr>\n", html.EscapeString(o.timeLine()))
	for _, f := range o.fields(withTemp) {
		fmt.Fprintf(&b, "<tr><td><b>%s:</b></td><td>%s</td></tr>\n", html.EscapeString(f.label), html.EscapeString(f.value))
	}
	if withTemp {
		fmt.Fprintf(&b, "<tr><td><b>ob:</b></td><td>%s</td></tr>\n", o.metar())
	}
	b.WriteString("</table>\n")
	fmt.Fprintf(&b, "<p>Observation cycle %s UTC. Served by the netio mock NOAA server.</p>\n</body></html>\n", strconv.Itoa(cycle(o.Time)))
	return []byte(b.String())
}

// notFoundPage is the body of a 404, worded like the old site's.
func notFoundPage(path string) []byte {
	return fmt.Appendf(nil, "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1>\n<p>The requested URL %s was not found on this server.</p>\n</body></html>\n", html.EscapeString(path))
}
