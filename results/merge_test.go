package results_test

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/netio-lab/netio/results"
)

// share makes share index/of of a closed run: n requests at concurrency
// c, started at start, whose latencies are lat (µs), each request ok.
func share(t *testing.T, index, of, n, c int, start time.Time, wall time.Duration, lat []int64) results.File {
	t.Helper()
	h := hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)
	for _, v := range lat {
		h.RecordValue(v)
	}
	enc, err := results.EncodeHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	r := results.Run{
		Point:      results.Point{Strategy: "pool", Mode: results.ModeClosed, N: n, Concurrency: c, GOMAXPROCS: 2, LatencyModel: "fixed:5ms"},
		InFlight:   c,
		Repetition: 1, OK: n, Verified: n, Errors: map[string]int{},
		WallS: wall.Seconds(), ThroughputRPS: float64(n) / wall.Seconds(),
		LatencyHist: enc, LatencyMS: results.LatencyOf(h),
		GoroutinesPeak: int64(3 * c), ThreadsPeak: 8, MaxRSSBytes: 20 << 20,
		CPUUserS: 0.1, CPUSysS: 0.2, CtxSwVoluntary: 100,
		StartedAt: start.UTC().Format(time.RFC3339Nano),
		Series:    &results.Series{IntervalMS: 100, Completions: []int{n / 2, n - n/2}, Errors: []int{0, 0}, InFlight: []float64{1, 1}, P99MS: []float64{5, 6}},
	}
	f := results.File{Version: results.Version, Env: results.Env{Host: "host" + string(rune('a'+index)), Commit: "abc", GoVersion: "go1.26.8"},
		Settings: results.Settings{Target: "http://10.0.0.1:8080", Seed: 1, Count: 1, Timeout: "10s", Segment: &results.Segment{Index: index, Of: of}},
		Runs:     []results.Run{r}}
	f.Summary = results.Summarize(f.Runs)
	return f
}

// TestMergeAddsUpExactly: counts and CPU add, the histogram is the exact
// sum of the shares', peaks are summed with each share's and the largest
// kept, and the rate is added over the window the shares share.
func TestMergeAddsUpExactly(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	lats := [][]int64{{1000, 2000, 3000, 4000}, {1500, 2500, 9000}, {700, 800, 900, 100000}}
	files := []results.File{
		share(t, 2, 3, 333, 10, t0.Add(10*time.Millisecond), 200*time.Millisecond, lats[2]),
		share(t, 0, 3, 334, 11, t0, 200*time.Millisecond, lats[0]),
		share(t, 1, 3, 333, 10, t0.Add(5*time.Millisecond), 200*time.Millisecond, lats[1]),
	}
	m, err := results.Merge(files, []string{"c", "a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Runs) != 1 || m.Settings.Segment != nil || len(m.Settings.Shares) != 3 || m.Settings.Shares[0].Dir != "a" {
		t.Fatalf("runs %d, segment %v, shares %+v; want one run, no segment, the 3 shares in segment order", len(m.Runs), m.Settings.Segment, m.Settings.Shares)
	}
	r := m.Runs[0]
	if r.N != 1000 || r.Concurrency != 31 || r.OK != 1000 || r.Verified != 1000 || r.GoroutinesPeak != 93 || r.ThreadsPeak != 24 {
		t.Errorf("n %d, c %d, ok %d, verified %d, goroutines %d, threads %d; want 1000, 31, 1000, 1000, 93 (summed), 24", r.N, r.Concurrency, r.OK, r.Verified, r.GoroutinesPeak, r.ThreadsPeak)
	}
	if r.PeaksMax == nil || r.PeaksMax.Goroutines != 33 || len(r.SharePeaks) != 3 || r.SharePeaks[1].Goroutines != 30 {
		t.Errorf("peaks max %+v, shares %+v; want the largest share's 33 goroutines and each share's", r.PeaksMax, r.SharePeaks)
	}
	if got, want := r.CPUMicrosPerReq, 0.9e6/1000; math.Abs(got-want) > 1e-9 {
		t.Errorf("CPU %v µs/req; want %v: the shares' CPU over all the requests", got, want)
	}
	// The merged histogram is the sum of the shares', bucket by bucket.
	got, err := results.DecodeHistogram(r.LatencyHist)
	if err != nil {
		t.Fatal(err)
	}
	want := hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)
	for _, l := range lats {
		for _, v := range l {
			want.RecordValue(v)
		}
	}
	if !got.Equals(want) || r.LatencyMS != results.LatencyOf(want) {
		t.Errorf("merged histogram: %d values, max %d; want the %d recorded by all shares", got.TotalCount(), got.Max(), want.TotalCount())
	}
	// The window all three ran in is [10 ms, 200 ms]: 190 ms, in which each
	// share completed its requests pro rata of its two 100 ms intervals.
	if r.ThroughputRPS < 4900 || r.ThroughputRPS > 5100 || r.WallS != 0.21 {
		t.Errorf("throughput %v req/s over the common window, wall %v s; want about 5000 (1000 in 200 ms each), 0.21 (first start to last end)", r.ThroughputRPS, r.WallS)
	}
}

// TestMergeRefuses: what is not the shares of one run is refused, naming
// the problem.
func TestMergeRefuses(t *testing.T) {
	t0 := time.Now()
	ok := func(i, of int) results.File { return share(t, i, of, 100, 5, t0, 100*time.Millisecond, []int64{1000}) }
	seed := ok(1, 2)
	seed.Settings.Seed = 7
	commit := ok(1, 2)
	commit.Env.Commit = "def"
	whole := ok(1, 2)
	whole.Settings.Segment = nil
	late := ok(1, 2)
	late.Runs[0].StartedAt = t0.Add(time.Second).Format(time.RFC3339Nano)
	badIndex := ok(1, 2)
	badIndex.Settings.Segment = &results.Segment{Index: 2, Of: 2}
	tests := []struct {
		name  string
		files []results.File
		want  string
	}{
		{"one folder", []results.File{ok(0, 1)}, "at least two shares"},
		{"a whole run", []results.File{ok(0, 2), whole}, "not a share"},
		{"a share missing", []results.File{ok(0, 3), ok(1, 3)}, "want all 3 shares"},
		{"a share twice", []results.File{ok(0, 2), ok(0, 2)}, "both hold share 0/2"},
		{"another seed", []results.File{ok(0, 2), seed}, "differ in seed"},
		{"another netio", []results.File{ok(0, 2), commit}, "differ in netio commit"},
		{"not at the same time", []results.File{ok(0, 2), late}, "did not run at the same time"},
		{"a share that cannot be", []results.File{ok(0, 2), badIndex}, "cannot be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dirs := make([]string, len(tt.files))
			for i := range dirs {
				dirs[i] = string(rune('a' + i))
			}
			_, err := results.Merge(tt.files, dirs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Merge: %v; want an error with %q", err, tt.want)
			}
		})
	}
}

// TestHistogramLogReadsBack: latency.hlog, read with hdrhistogram-go's log
// reader, holds one interval per run, tagged with its point and
// repetition, at the run's start, with the run's histogram; a merged
// run's bench.txt holds its shares' runs as samples of their own.
func TestHistogramLogReadsBack(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	files := []results.File{
		share(t, 0, 2, 50, 5, t0, 100*time.Millisecond, []int64{1000, 2000}),
		share(t, 1, 2, 50, 5, t0, 100*time.Millisecond, []int64{3000}),
	}
	m, err := results.Merge(files, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if err := results.WriteHistogramLog(&log, m); err != nil {
		t.Fatal(err)
	}
	r := hdrhistogram.NewHistogramLogReader(&log)
	h, err := r.NextIntervalHistogram()
	if err != nil || h == nil {
		t.Fatalf("first interval: %v, %v; want the merged run's\n%s", h, err, log.String())
	}
	if h.TotalCount() != 3 || h.Tag() != "strategy=pool/latency=5ms/n=100/c=10/rep=1" || h.StartTimeMs() != t0.UnixMilli() {
		t.Errorf("interval: %d values, tag %q, start %d; want 3, strategy=pool/latency=5ms/n=100/c=10/rep=1, %d", h.TotalCount(), h.Tag(), h.StartTimeMs(), t0.UnixMilli())
	}
	if next, _ := r.NextIntervalHistogram(); next != nil {
		t.Errorf("a second interval %q; want one per run", next.Tag())
	}
	var bench bytes.Buffer
	if err := results.WriteBenchText(&bench, m); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Fetch/strategy=pool/latency=5ms/n=100/c=10-2 ", "Fetch/strategy=pool/latency=5ms/n=50/c=5/segment=0-2 ", "Fetch/strategy=pool/latency=5ms/n=50/c=5/segment=1-2 "} {
		if !strings.Contains(bench.String(), "Benchmark"+name) {
			t.Errorf("bench.txt lacks %q:\n%s", name, bench.String())
		}
	}
}

// TestMergeRateCountsTheLastIntervalWhole: two identical shares of 150 ms
// at 1,000 a second, their series [100, 50] in 100 ms intervals (the last
// one 50 ms long, as the pass ends): merged, 2,000 a second, not the
// 1,667 that counting the last interval as 100 ms long gives.
func TestMergeRateCountsTheLastIntervalWhole(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	files := []results.File{share(t, 0, 2, 150, 5, t0, 150*time.Millisecond, []int64{1000}), share(t, 1, 2, 150, 5, t0, 150*time.Millisecond, []int64{1000})}
	for i := range files {
		files[i].Runs[0].Series.Completions = []int{100, 50}
	}
	m, err := results.Merge(files, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Runs[0].ThroughputRPS; math.Abs(r-2000) > 1 {
		t.Errorf("merged rate %.0f req/s; want 2000", r)
	}
}
