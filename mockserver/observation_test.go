package mockserver

import (
	"math"
	"testing"
	"time"
)

func TestCatalogue(t *testing.T) {
	if n := len(Stations()); n < 30 {
		t.Errorf("catalogue has %d stations; want at least 30", n)
	}
	must := map[string]struct{ name, city string }{
		"KNYC": {"New York City, Central Park", "New York"},
		"EGLC": {"London City Airport", "London"},
		"RJTT": {"Tokyo International Airport", "Tokyo"},
	}
	for code, want := range must {
		st, ok := LookupStation(code)
		if !ok || st.Name != want.name || st.City != want.city {
			t.Errorf("LookupStation(%s) = %+v, %v; want %s in %s", code, st, ok, want.name, want.city)
		}
	}
	if _, ok := LookupStation("egLC"); !ok {
		t.Error("LookupStation is case-sensitive; want any letter case")
	}
	if _, ok := LookupStation("ZZZZ"); ok {
		t.Error("LookupStation(ZZZZ) found a station")
	}
	seen := map[string]bool{}
	for _, st := range Stations() {
		if seen[st.ICAO] || len(st.ICAO) != 4 {
			t.Errorf("%q: duplicate or not four characters", st.ICAO)
		}
		seen[st.ICAO] = true
		if st.Lat < -90 || st.Lat > 90 || st.Lon < -180 || st.Lon > 180 || st.Name == "" || st.City == "" || st.Country == "" {
			t.Errorf("%s: incomplete or out of range: %+v", st.ICAO, st)
		}
		if _, err := time.LoadLocation(st.TZ); err != nil {
			t.Errorf("%s: time zone %q: %v", st.ICAO, st.TZ, err)
		}
	}
}

func TestObserveIsDeterministic(t *testing.T) {
	for _, st := range Stations() {
		a, _ := Observe(42, st.ICAO)
		b, _ := Observe(42, st.ICAO)
		if a != b {
			t.Fatalf("%s: two observations for seed 42 differ:\n%+v\n%+v", st.ICAO, a, b)
		}
	}
	differ := 0
	for _, st := range Stations() {
		a, _ := Observe(1, st.ICAO)
		b, _ := Observe(2, st.ICAO)
		if a.TempF != b.TempF {
			differ++
		}
	}
	if differ < len(Stations())/2 {
		t.Errorf("seeds 1 and 2 differ in temperature at %d of %d stations; want most", differ, len(Stations()))
	}
	if _, ok := Observe(1, "ZZZZ"); ok {
		t.Error("Observe(ZZZZ) succeeded; want not found")
	}
}

// TestObservationsAgree checks, over many seeds, that the figures on a page
// are consistent with each other, as a real decoder's would be.
func TestObservationsAgree(t *testing.T) {
	near := func(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
	for seed := range int64(50) {
		for _, st := range Stations() {
			o, _ := Observe(seed, st.ICAO)
			step := math.Pow10(-o.Decimals) // rounding of the reported values
			switch {
			case !near(o.TempF, o.TempC*9/5+32, step/2+1e-9):
				t.Errorf("%s seed %d: %v F is not %v C", st.ICAO, seed, o.TempF, o.TempC)
			case !near(o.DewF, o.DewC*9/5+32, step/2+1e-9):
				t.Errorf("%s seed %d: dew point %v F is not %v C", st.ICAO, seed, o.DewF, o.DewC)
			case o.DewC > o.TempC:
				t.Errorf("%s seed %d: dew point %v C above temperature %v C", st.ICAO, seed, o.DewC, o.TempC)
			case o.HumidityPct < 1 || o.HumidityPct > 100:
				t.Errorf("%s seed %d: humidity %d%%", st.ICAO, seed, o.HumidityPct)
			case !near(o.PressureInHg, float64(o.PressureHPa)*0.02953, 0.006):
				t.Errorf("%s seed %d: %v inHg is not %d hPa", st.ICAO, seed, o.PressureInHg, o.PressureHPa)
			case !near(float64(o.WindMPH), float64(o.WindKT)*1.15078, 0.5):
				t.Errorf("%s seed %d: %d MPH is not %d KT", st.ICAO, seed, o.WindMPH, o.WindKT)
			case o.FeelsLike == "Windchill" && (o.TempF > 50 || o.FeelsLikeF > o.TempF):
				t.Errorf("%s seed %d: wind chill %v F at %v F", st.ICAO, seed, o.FeelsLikeF, o.TempF)
			case o.FeelsLike == "Heat index" && o.TempF < 80:
				t.Errorf("%s seed %d: heat index at %v F", st.ICAO, seed, o.TempF)
			}
		}
	}
}

func TestHumidityAgreesWithDewPoint(t *testing.T) {
	tests := []struct {
		temp, dew float64
		want      int
	}{{20, 20, 100}, {20, 10, 53}, {30, 10, 29}, {0, -10, 47}}
	for _, tt := range tests {
		if got := relativeHumidity(tt.temp, tt.dew); got != tt.want {
			t.Errorf("relativeHumidity(%v, %v) = %d; want %d", tt.temp, tt.dew, got, tt.want)
		}
	}
}

func TestStationFromPath(t *testing.T) {
	tests := []struct {
		path string
		code string
		kind pageKind
		ok   bool
	}{
		{"/weather/current/KNYC.html", "KNYC", pageHTML, true},
		{"/weather/current/knyc.html", "KNYC", pageHTML, true},
		{"/data/observations/metar/decoded/EGLC.TXT", "EGLC", pageTXT, true},
		{"/weather/current/.html", "", 0, false},
		{"/weather/current/a/b.html", "", 0, false},
		{"/weather/current/KNYC.txt", "", 0, false},
		{"/stations", "", 0, false},
	}
	for _, tt := range tests {
		code, kind, ok := stationFromPath(tt.path)
		if code != tt.code || kind != tt.kind || ok != tt.ok {
			t.Errorf("stationFromPath(%q) = %q, %v, %v; want %q, %v, %v", tt.path, code, kind, ok, tt.code, tt.kind, tt.ok)
		}
	}
}

func TestExpectedTemperature(t *testing.T) {
	obs, _ := Observe(9, "RJTT")
	for _, u := range []string{"http://h/weather/current/RJTT.html", "http://h/data/observations/metar/decoded/RJTT.TXT?latency=5ms"} {
		if got, ok := ExpectedTemperature(9, u); !ok || got != obs.TempF {
			t.Errorf("ExpectedTemperature(9, %s) = %v, %v; want %v", u, got, ok, obs.TempF)
		}
	}
	for _, u := range []string{"http://h/weather/current/ZZZZ.html", "http://h/stations", "::"} {
		if _, ok := ExpectedTemperature(9, u); ok {
			t.Errorf("ExpectedTemperature(9, %s) found a temperature", u)
		}
	}
}
