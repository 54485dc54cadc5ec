package harness

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies records request latencies in an HDR histogram: constant memory
// and three significant digits, however many requests a run makes (no
// per-sample storage, unlike hey's capped list). Not safe for concurrent
// use: one goroutine (or one lock) records.
type Latencies struct {
	h *hdrhistogram.Histogram
}

// NewLatencies records from 1 µs to 1 hour.
func NewLatencies() *Latencies {
	return &Latencies{h: hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)}
}

// Record adds one latency; anything past an hour is recorded as an hour.
func (l *Latencies) Record(d time.Duration) {
	us := min(max(d.Microseconds(), 1), l.h.HighestTrackableValue())
	l.h.RecordValue(us)
}

// Count is the number of latencies recorded.
func (l *Latencies) Count() int64 { return l.h.TotalCount() }

// LatencyMS is a latency distribution's summary, in milliseconds. (A
// result file's results.LatencyMS has the same fields.)
type LatencyMS struct {
	P50, P90, P99, P999, Max float64
}

// Summary returns the percentiles recorded so far.
func (l *Latencies) Summary() LatencyMS {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return LatencyMS{
		P50:  ms(l.h.ValueAtQuantile(50)),
		P90:  ms(l.h.ValueAtQuantile(90)),
		P99:  ms(l.h.ValueAtQuantile(99)),
		P999: ms(l.h.ValueAtQuantile(99.9)),
		Max:  ms(l.h.Max()),
	}
}
