package mockserver

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"
)

// Distributions lists the delay distributions, for help texts and errors.
var Distributions = []string{"fixed", "uniform", "normal", "lognormal", "pareto", "two-level"}

// z99 is the standard normal quantile of 0.99: a lognormal's p99 is its
// median times exp(z99·σ).
const z99 = 2.3263478740408408

// DistName names the distribution: an empty Dist is fixed, or uniform when a
// jitter is given (so that --latency 50ms --jitter 10ms does what it says).
func (d Delay) DistName() string {
	switch {
	case d.Dist != "":
		return d.Dist
	case d.Jitter > 0:
		return "uniform"
	}
	return "fixed"
}

func (d Delay) validate(field string) error {
	switch {
	case d.Latency < 0:
		return fmt.Errorf("%s.latency: must not be negative, got %v", field, d.Latency.D())
	case d.Jitter < 0:
		return fmt.Errorf("%s.jitter: must not be negative, got %v", field, d.Jitter.D())
	case d.Cap < 0:
		return fmt.Errorf("%s.cap: must not be negative, got %v", field, d.Cap.D())
	}
	switch d.DistName() {
	case "fixed", "uniform", "normal":
	case "lognormal", "pareto":
		if d.Latency <= 0 || d.P99 <= d.Latency {
			return fmt.Errorf("%s: %s needs a median (latency) above 0 and a p99 above the median, got latency %v, p99 %v",
				field, d.DistName(), d.Latency.D(), d.P99.D())
		}
	case "two-level":
		if !(d.SlowShare > 0 && d.SlowShare < 1) {
			return fmt.Errorf("%s.slow_share: two-level needs a share of slow pages above 0 and below 1, got %g", field, d.SlowShare)
		}
		if d.Slow <= d.Latency+d.Jitter {
			return fmt.Errorf("%s.slow: two-level needs a slow delay above latency + jitter (%v), got %v", field, (d.Latency + d.Jitter).D(), d.Slow.D())
		}
	default:
		return fmt.Errorf("%s.dist: unknown distribution %q (valid: %s)", field, d.Dist, strings.Join(Distributions, ", "))
	}
	return nil
}

// draw picks one delay. r is the request's own random source, so that the
// same seed and request sequence give the same delays. No draw exceeds the
// cap, or maxDelay when there is none.
func (d Delay) draw(r *rand.Rand, maxDelay time.Duration) time.Duration {
	median, spread := float64(d.Latency), float64(d.Jitter)
	var v float64
	switch d.DistName() {
	case "fixed":
		v = median
	case "uniform":
		v = median + (2*r.Float64()-1)*spread
	case "normal":
		v = median + r.NormFloat64()*spread
	case "lognormal":
		sigma := math.Log(float64(d.P99)/median) / z99
		v = median * math.Exp(sigma*r.NormFloat64())
	case "two-level":
		// One draw for the level, then one for the fast page's place in
		// its band: a slow page takes Slow exactly.
		if r.Float64() < d.SlowShare {
			v = float64(d.Slow)
		} else {
			v = median + (2*r.Float64()-1)*spread
		}
	case "pareto":
		// Shape and scale chosen so that the median and p99 are as given:
		// P(X > x) = (xm/x)^α, so median = xm·2^(1/α), p99 = xm·100^(1/α).
		alpha := math.Log(50) / math.Log(float64(d.P99)/median)
		xm := median / math.Pow(2, 1/alpha)
		v = xm / math.Pow(1-r.Float64(), 1/alpha) // 1-u is in (0, 1]
	}
	limit := maxDelay
	if d.Cap > 0 {
		limit = min(limit, d.Cap.D())
	}
	return min(limit, max(0, time.Duration(v)))
}

// sequence hands each request for a station its own random source: the
// n-th request to arrive for a station gets the same source for a seed,
// however the requests for other stations interleave. (Concurrent requests
// for one station may arrive in any order, so which of them is n-th is up to
// the scheduler; the sequence of draws is the same.) No lock: one atomic
// counter per station.
type sequence struct {
	seed     uint64
	counters map[string]*stationCounter // read-only after start
	others   atomic.Uint64              // codes outside the catalogue
}

// stationCounter counts a station's requests; hash is its stationHash,
// computed once rather than on every request.
type stationCounter struct {
	n    atomic.Uint64
	hash uint64
}

func newSequence(seed int64) *sequence {
	s := &sequence{seed: uint64(seed), counters: make(map[string]*stationCounter, len(catalogue))}
	for _, st := range catalogue {
		s.counters[st.ICAO] = &stationCounter{hash: stationHash(st.ICAO)}
	}
	return s
}

// seeds returns the seeds of the random source of the next request for a
// station: rand.NewPCG(seeds), or a PCG reseeded with them (the server keeps
// one per connection, so a request costs no allocation). Each request
// draws, in this order: its delay, then its fault.
func (s *sequence) seeds(icao string) (seed, stream uint64) {
	if c, ok := s.counters[icao]; ok {
		return s.seed ^ c.hash, c.n.Add(1)
	}
	return s.seed ^ stationHash(icao), s.others.Add(1)
}
