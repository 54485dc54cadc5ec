package mockserver

import (
	"math"
	"strings"
	"sync/atomic"
	"time"
)

// delays decides how long each request waits before it is answered. This
// first model is a fixed delay plus uniform jitter, with per-station
// overrides of the fixed part.
//
// The jitter is reproducible without a lock: the n-th request for a station
// always draws the same number for a seed, because the draw is a hash of
// (seed, station, n) and n comes from a per-station atomic counter.
type delays struct {
	seed       uint64
	base       time.Duration
	jitter     time.Duration
	perStation map[string]time.Duration // ICAO → fixed part; read-only after start
	counters   map[string]*atomic.Uint64
	others     atomic.Uint64 // requests for codes outside the catalogue
}

func newDelays(cfg Config) *delays {
	d := &delays{
		seed:       uint64(cfg.Seed),
		base:       cfg.Latency,
		jitter:     cfg.Jitter,
		perStation: make(map[string]time.Duration, len(cfg.StationLatency)),
		counters:   make(map[string]*atomic.Uint64, len(catalogue)),
	}
	for code, l := range cfg.StationLatency {
		d.perStation[strings.ToUpper(code)] = l
	}
	for _, st := range catalogue {
		d.counters[st.ICAO] = new(atomic.Uint64)
	}
	return d
}

// next returns the delay for the next request for a station; override, if
// positive or zero, replaces the fixed part (it comes from ?latency=).
func (d *delays) next(icao string, override time.Duration, hasOverride bool) time.Duration {
	base := d.base
	if l, ok := d.perStation[icao]; ok {
		base = l
	}
	if hasOverride {
		base = override
	}
	if d.jitter == 0 {
		return base
	}
	counter, ok := d.counters[icao]
	if !ok {
		counter = &d.others
	}
	u := unitFloat(d.seed ^ stationHash(icao) ^ (counter.Add(1) * 0x9e3779b97f4a7c15))
	return max(0, base+time.Duration((2*u-1)*float64(d.jitter)))
}

// unitFloat maps x to a well-mixed number in [0, 1) (the splitmix64 finaliser).
func unitFloat(x uint64) float64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / math.Exp2(53)
}
