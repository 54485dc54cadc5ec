package harness

import (
	"encoding/base64"
	"math"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func TestSeriesCountsAndInFlight(t *testing.T) {
	start := time.Unix(1000, 0)
	s := newSeriesRecorder(start)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	// Two requests in flight all the time for 300 ms: [0,150) and [150,300)
	// on each of two lanes; one of them fails.
	s.record(at(0), at(150), 150*time.Millisecond, false)
	s.record(at(0), at(150), 150*time.Millisecond, true)
	s.record(at(150), at(300), 150*time.Millisecond, false)
	s.record(at(150), at(299), 149*time.Millisecond, false)
	got := s.series(300 * time.Millisecond)
	if got.Interval != SeriesInterval || len(got.Completions) != 4 {
		t.Fatalf("interval %v, %d intervals; want %v, 4", got.Interval, len(got.Completions), SeriesInterval)
	}
	wantDone := []int{0, 2, 1, 1}
	wantErr := []int{0, 1, 0, 0}
	for i := range wantDone {
		if got.Completions[i] != wantDone[i] || got.Errors[i] != wantErr[i] {
			t.Errorf("interval %d: %d done, %d failed; want %d, %d", i, got.Completions[i], got.Errors[i], wantDone[i], wantErr[i])
		}
	}
	for i, f := range got.InFlight[:2] {
		if math.Abs(f-2) > 1e-9 {
			t.Errorf("interval %d: %.3f in flight; want 2", i, f)
		}
	}
	if p := got.P99[1]; p < 149*time.Millisecond || p > 151*time.Millisecond {
		t.Errorf("interval 1 p99 %v; want 150ms", p)
	}
}

func TestSeriesWidensPastItsCap(t *testing.T) {
	start := time.Unix(1000, 0)
	s := newSeriesRecorder(start)
	const n = 1000 // one result every 50 ms for 50 s: 500 intervals of 100 ms, over the cap
	for i := range n {
		end := start.Add(time.Duration(i) * 50 * time.Millisecond)
		s.record(end.Add(-10*time.Millisecond), end, 10*time.Millisecond, false)
	}
	got := s.series(n * 50 * time.Millisecond)
	if len(got.Completions) > SeriesCap || got.Interval <= SeriesInterval {
		t.Fatalf("%d intervals of %v; want at most %d, wider than %v", len(got.Completions), got.Interval, SeriesCap, SeriesInterval)
	}
	sum := 0
	for _, c := range got.Completions {
		sum += c
	}
	if sum != n {
		t.Errorf("completions add to %d; want %d: widening lost some", sum, n)
	}
	perInterval := int(got.Interval / (50 * time.Millisecond))
	if got.Completions[1] != perInterval {
		t.Errorf("interval 1: %d completions; want %d", got.Completions[1], perInterval)
	}
}

func TestEncodedHistogramDecodes(t *testing.T) {
	l := NewLatencies()
	for i := 1; i <= 1000; i++ {
		l.Record(time.Duration(i) * time.Millisecond)
	}
	b, err := base64.StdEncoding.DecodeString(l.Encoded())
	if err != nil {
		t.Fatal(err)
	}
	h, err := hdrhistogram.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if h.TotalCount() != 1000 || !h.Equals(l.h) {
		t.Errorf("decoded %d values, equal %v; want 1000, the same histogram", h.TotalCount(), h.Equals(l.h))
	}
}
