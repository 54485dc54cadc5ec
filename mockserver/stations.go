package mockserver

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Station is one weather station of the catalogue.
type Station struct {
	ICAO       string  `json:"icao"`        // four-letter code, such as "EGLC"
	Name       string  `json:"name"`        // official name, such as "London City Airport"
	City       string  `json:"city"`        // what people call the place: "London"
	Region     string  `json:"region"`      // US state or Canadian province, or ""
	Country    string  `json:"country"`     // "United Kingdom"
	Lat        float64 `json:"lat"`         // degrees, north positive
	Lon        float64 `json:"lon"`         // degrees, east positive
	ElevationM int     `json:"elevation_m"` // metres above sea level
	TZ         string  `json:"tz"`          // IANA time zone, for the local time on the page
}

// stationsJSON is the committed catalogue: real stations, hand-curated and
// checked against published coordinates.
//
//go:embed stations.json
var stationsJSON []byte

// catalogue is parsed once at start-up; it is never modified afterwards, so
// it may be read from any goroutine without a lock.
var catalogue = mustParseCatalogue(stationsJSON)

func mustParseCatalogue(data []byte) []Station {
	var list []Station
	if err := json.Unmarshal(data, &list); err != nil {
		panic(fmt.Sprintf("mockserver: stations.json: %v", err))
	}
	slices.SortFunc(list, func(a, b Station) int { return strings.Compare(a.ICAO, b.ICAO) })
	return list
}

// Stations returns the catalogue, sorted by ICAO code. The slice is a copy.
func Stations() []Station {
	return slices.Clone(catalogue)
}

// LookupStation finds a station by its ICAO code, in any letter case.
func LookupStation(icao string) (Station, bool) {
	icao = strings.ToUpper(icao)
	i, found := slices.BinarySearchFunc(catalogue, icao, func(s Station, code string) int {
		return strings.Compare(s.ICAO, code)
	})
	if !found {
		return Station{}, false
	}
	return catalogue[i], true
}

// isUS reports whether the station reports in US style: tenths of a degree,
// visibility in statute miles and pressure in inches of mercury.
func (st Station) isUS() bool { return st.Country == "United States" }
