package mockserver

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"
)

// Observation is one station's current conditions for a seed. Every figure
// is derived from a few random draws so that they agree with each other:
// Celsius and Fahrenheit, dew point and humidity, knots and miles per hour,
// hectopascals and inches of mercury.
type Observation struct {
	Station Station
	Time    time.Time // when observed, in UTC

	// TempF is the temperature as the page states it in Fahrenheit: the
	// ground truth a client must find. US stations report tenths of a degree
	// (37.9 F), others whole degrees Celsius converted (46 F).
	TempF, TempC float64
	DewF, DewC   float64
	HumidityPct  int
	Decimals     int // decimals shown for temperatures: 1 for US stations, else 0

	WindDirDeg   int // direction the wind blows from; meaningless when WindKT is 0
	WindKT       int
	WindMPH      int
	VisibilityMi int
	Sky          string // "clear", "partly cloudy", ...
	Weather      string // "light rain", "mist", ... or "" for none

	PressureHPa  int
	PressureInHg float64

	// FeelsLikeF is the wind chill or heat index when FeelsLike names one.
	FeelsLike  string // "Windchill", "Heat index" or ""
	FeelsLikeF float64
}

// skies are the sky conditions a page may show, with their METAR codes.
var skies = []struct{ text, metar string }{
	{"clear", "SKC"},
	{"mostly clear", "FEW030"},
	{"partly cloudy", "SCT040"},
	{"mostly cloudy", "BKN035"},
	{"overcast", "OVC020"},
}

// Observe returns the observation of the station with the given ICAO code
// for a seed; the same seed always gives the same observation. ok is false
// for a code that is not in the catalogue.
func Observe(seed int64, icao string) (obs Observation, ok bool) {
	st, ok := LookupStation(icao)
	if !ok {
		return Observation{}, false
	}
	return observe(seed, st), true
}

// ExpectedTemperature is the ground truth for a page URL of a server started
// with seed: the temperature its page states, and whether the URL names a
// station page (either form) of the catalogue.
func ExpectedTemperature(seed int64, pageURL string) (float64, bool) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return 0, false
	}
	code, _, ok := stationFromPath(u.Path)
	if !ok {
		return 0, false
	}
	obs, ok := Observe(seed, code)
	return obs.TempF, ok
}

// observationTime is the same for every station of a seed: one moment,
// observed around the world, at the routine METAR minute.
func observationTime(seed int64) time.Time {
	r := rand.New(rand.NewPCG(uint64(seed), 0x6e6574696f)) // "netio"
	start := time.Date(2026, time.January, 1, 0, 51, 0, 0, time.UTC)
	return start.Add(time.Duration(r.IntN(365*24)) * time.Hour)
}

func observe(seed int64, st Station) Observation {
	r := rand.New(rand.NewPCG(uint64(seed), stationHash(st.ICAO)))
	obs := Observation{Station: st, Time: observationTime(seed), Decimals: 0}
	if st.isUS() {
		obs.Decimals = 1
	}
	obs.setTemperatures(climateMeanC(st)+r.NormFloat64()*7, r.Float64()*14)
	obs.setWind(r)
	obs.setSky(r)
	obs.PressureHPa = int(math.Round(1013 + r.NormFloat64()*8))
	obs.PressureInHg = roundTo(hPaToInHg(obs.PressureHPa), 2)
	obs.setFeelsLike()
	return obs
}

// climateMeanC is a rough mean temperature for the station: warm at the
// equator, cold at the poles and on mountains.
func climateMeanC(st Station) float64 {
	return 27 - 0.00615*st.Lat*st.Lat - 6.5*float64(st.ElevationM)/1000
}

// setTemperatures rounds the way the station reports, then derives
// Fahrenheit from the rounded Celsius, as a decoder does.
func (o *Observation) setTemperatures(tempC, spreadC float64) {
	o.TempC = roundTo(tempC, o.Decimals)
	o.DewC = roundTo(tempC-spreadC, o.Decimals)
	o.TempF = roundTo(fahrenheit(o.TempC), o.Decimals)
	o.DewF = roundTo(fahrenheit(o.DewC), o.Decimals)
	o.HumidityPct = relativeHumidity(o.TempC, o.DewC)
}

func (o *Observation) setWind(r *rand.Rand) {
	o.WindKT = r.IntN(26)
	if o.WindKT > 0 {
		o.WindDirDeg = 10 * (1 + r.IntN(36))
	}
	o.WindMPH = knotsToMPH(o.WindKT)
}

func (o *Observation) setSky(r *rand.Rand) {
	o.VisibilityMi = 10
	o.Sky = skies[r.IntN(len(skies))].text
	if o.Sky != "overcast" || r.IntN(3) > 0 {
		return
	}
	switch {
	case o.TempF <= 32:
		o.Weather, o.VisibilityMi = "light snow", 3
	case o.HumidityPct >= 90:
		o.Weather, o.VisibilityMi = "mist", 4
	default:
		o.Weather, o.VisibilityMi = "light rain", 7
	}
}

// setFeelsLike adds a wind chill or heat index where the NWS would.
func (o *Observation) setFeelsLike() {
	switch {
	case o.TempF <= 50 && o.WindMPH >= 3:
		o.FeelsLike, o.FeelsLikeF = "Windchill", roundTo(windChillF(o.TempF, o.WindMPH), 0)
	case o.TempF >= 80 && o.HumidityPct >= 40:
		o.FeelsLike, o.FeelsLikeF = "Heat index", roundTo(heatIndexF(o.TempF, o.HumidityPct), 0)
	}
}

// stationHash turns an ICAO code into the second half of the random seed,
// so that every station draws its own numbers.
func stationHash(icao string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.ToUpper(icao)))
	return h.Sum64()
}
