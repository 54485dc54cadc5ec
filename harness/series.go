package harness

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Series is a batch's course over time: what happened in each of a run of
// equal intervals from its start. It is what throughput and latency over
// time are drawn from, and Little's law checked with (requests in flight =
// throughput × latency).
type Series struct {
	Interval    time.Duration
	Completions []int           // results that ended in the interval, failed ones included
	Errors      []int           // of those, the failed ones
	InFlight    []float64       // requests on the network, averaged over the interval
	P99         []time.Duration // p99 latency of the results that ended in it; 0 when none did
}

// The series' intervals start at SeriesInterval and double whenever a
// batch would need more than SeriesCap of them, two neighbours merged into
// one: a short run is seen per 100 ms, a long one per 1–2 % of its length,
// and a series never holds more than SeriesCap intervals.
const (
	SeriesInterval = 100 * time.Millisecond
	SeriesCap      = 100
)

// seriesRecorder builds a Series as results arrive. Not safe for
// concurrent use: the recorder's lock guards it.
type seriesRecorder struct {
	start    time.Time
	interval time.Duration
	bins     []seriesBin
}

// seriesBin is one interval in the making.
type seriesBin struct {
	completions, errors int
	busy                time.Duration // the sum of the requests' time on the network within the interval
	// latencies is sparse (hdrhistogram's PackedHistogram): an interval
	// costs the buckets its latencies fill, not the 26 kB of a dense
	// histogram of the same range and precision.
	latencies *hdrhistogram.PackedHistogram
}

func newSeriesRecorder(start time.Time) *seriesRecorder {
	return &seriesRecorder{start: start, interval: SeriesInterval}
}

// record adds one result: started at began (zero if it never started),
// ended at end, after latency, failed or not.
func (s *seriesRecorder) record(began, end time.Time, latency time.Duration, failed bool) {
	b := s.binAt(end)
	b.completions++
	if failed {
		b.errors++
	}
	if b.latencies == nil {
		b.latencies = hdrhistogram.NewPacked(latencyLowest, latencyHighest, latencyDigits)
	}
	b.latencies.RecordValue(clampMicros(latency))
	if !began.IsZero() {
		s.addBusy(began, end)
	}
}

// binAt returns the interval that holds t, widening the intervals first
// if t lies past the last one the cap allows.
func (s *seriesRecorder) binAt(t time.Time) *seriesBin {
	i := s.index(t)
	for i >= SeriesCap {
		s.widen()
		i = s.index(t)
	}
	for len(s.bins) <= i {
		s.bins = append(s.bins, seriesBin{})
	}
	return &s.bins[i]
}

func (s *seriesRecorder) index(t time.Time) int {
	return max(0, int(t.Sub(s.start)/s.interval))
}

// widen doubles the interval, merging each pair of neighbours.
func (s *seriesRecorder) widen() {
	merged := make([]seriesBin, (len(s.bins)+1)/2)
	for i, b := range s.bins {
		m := &merged[i/2]
		m.completions += b.completions
		m.errors += b.errors
		m.busy += b.busy
		switch {
		case m.latencies == nil:
			m.latencies = b.latencies
		case b.latencies != nil:
			m.latencies.Merge(b.latencies)
		}
	}
	s.bins = merged
	s.interval *= 2
}

// addBusy spreads a request's time on the network over the intervals it
// overlaps. end's interval exists already (record made it).
func (s *seriesRecorder) addBusy(began, end time.Time) {
	b, e := began.Sub(s.start), end.Sub(s.start)
	for i := s.index(began); i <= s.index(end); i++ {
		from := time.Duration(i) * s.interval
		overlap := min(from+s.interval, e) - max(from, b)
		if overlap > 0 {
			s.bins[i].busy += overlap
		}
	}
}

// series is the finished Series; the last interval is cut at wall.
func (s *seriesRecorder) series(wall time.Duration) Series {
	out := Series{Interval: s.interval}
	for i, b := range s.bins {
		span := s.interval
		if end := time.Duration(i+1) * s.interval; end > wall {
			span = max(wall-time.Duration(i)*s.interval, time.Microsecond)
		}
		p99 := time.Duration(0)
		if b.latencies != nil {
			p99 = time.Duration(b.latencies.ValueAtPercentile(99)) * time.Microsecond
		}
		out.Completions = append(out.Completions, b.completions)
		out.Errors = append(out.Errors, b.errors)
		out.InFlight = append(out.InFlight, float64(b.busy)/float64(span))
		out.P99 = append(out.P99, p99)
	}
	return out
}
