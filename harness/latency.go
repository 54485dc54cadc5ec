package harness

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/netio-lab/netio/results"
)

// The settings of every latency histogram netio records (the whole pass's
// and each interval's of a Series): microseconds from 1 µs to 1 hour,
// three significant digits. Histograms with the same settings merge
// exactly (docs/results.md, "Histograms").
const (
	latencyLowest  = 1
	latencyHighest = int64(time.Hour / time.Microsecond)
	latencyDigits  = 3
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
	return &Latencies{h: hdrhistogram.New(latencyLowest, latencyHighest, latencyDigits)}
}

// Record adds one latency; anything past an hour is recorded as an hour.
func (l *Latencies) Record(d time.Duration) { l.h.RecordValue(clampMicros(d)) }

// clampMicros is d in whole microseconds, within the histograms' range.
func clampMicros(d time.Duration) int64 {
	return min(max(d.Microseconds(), latencyLowest), latencyHighest)
}

// Count is the number of latencies recorded.
func (l *Latencies) Count() int64 { return l.h.TotalCount() }

// Encoded is the histogram in HdrHistogram's standard compressed form
// (V2, deflate), base64: what run.json keeps, so that a reader can draw any
// percentile and merge runs exactly (results.EncodeHistogram, which
// results.DecodeHistogram reverses).
func (l *Latencies) Encoded() string {
	s, err := results.EncodeHistogram(l.h)
	if err != nil { // only a failing compressor could: the histogram is valid
		panic("harness: " + err.Error())
	}
	return s
}

// LatencyMS is a latency distribution's summary, in milliseconds. (A
// result file's results.LatencyMS has the same fields.)
type LatencyMS struct {
	P50, P90, P99, P999, Max float64
}

// Summary returns the percentiles recorded so far, read as a merged run's
// are (results.LatencyOf).
func (l *Latencies) Summary() LatencyMS { return LatencyMS(results.LatencyOf(l.h)) }
