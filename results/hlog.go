package results

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// WriteHistogramLog writes the runs' latency histograms as an HdrHistogram
// interval log (latency.hlog), the standard format that the HdrHistogram
// tools (HistogramLogAnalyzer, HistogramLogProcessor) read: one interval
// per measured pass, from its start to its end in absolute time and tagged
// with its point and repetition, so that the logs of a run's shares,
// written on different machines, sit on one clock. Values are
// microseconds (the interval's max column, which the format states in
// milliseconds for nanosecond values, reads as seconds here). Runs without
// a start time or a histogram (files from before they were kept) are left
// out.
func WriteHistogramLog(w io.Writer, file File) error {
	lw := hdrhistogram.NewHistogramLogWriter(w)
	if err := lw.OutputLogFormatVersion(); err != nil {
		return err
	}
	lw.OutputComment("[netio " + file.Env.Commit + ": request latencies in microseconds, one interval per measured pass, tagged point/rep=N]")
	var first time.Time
	for _, r := range file.Runs {
		if t, err := time.Parse(time.RFC3339Nano, r.StartedAt); err == nil && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if !first.IsZero() {
		lw.OutputStartTime(first.UnixMilli())
	}
	lw.OutputLegend()
	for _, r := range file.Runs {
		start, err := time.Parse(time.RFC3339Nano, r.StartedAt)
		if err != nil || r.LatencyHist == "" {
			continue
		}
		h, err := DecodeHistogram(r.LatencyHist)
		if err != nil {
			return err
		}
		h.SetStartTimeMs(start.UnixMilli())
		h.SetEndTimeMs(start.Add(time.Duration(r.WallS * float64(time.Second))).UnixMilli())
		h.SetTag(HistogramTag(r))
		if err := lw.OutputIntervalHistogram(h); err != nil {
			return fmt.Errorf("results: latency.hlog: %w", err)
		}
	}
	return nil
}

// HistogramTag names a run in latency.hlog: its point as bench.txt names
// it, and its repetition: strategy=pool/latency=5ms/n=1000/c=100/rep=2.
func HistogramTag(r Run) string {
	return strings.TrimPrefix(BenchName(r.Point), "BenchmarkFetch/") + fmt.Sprintf("/rep=%d", r.Repetition)
}
