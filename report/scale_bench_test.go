package report_test

import (
	"encoding/base64"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/netio-lab/netio/report"
	"github.com/netio-lab/netio/results"
	"github.com/netio-lab/netio/strategies"
)

// BenchmarkReportLargeRun reports a run as large as a bench makes them
// often: every strategy over a 20-point concurrency sweep, three
// repetitions each, with full timelines (2,000 spans) and histograms. It
// reports the time to draw and write it, and the size of report.html
// (the target: under 5 s and 3 MB).
func BenchmarkReportLargeRun(b *testing.B) {
	file := largeRun(b)
	out := b.TempDir()
	var htmlBytes int64
	for b.Loop() {
		path, err := report.Write(out, []string{"large"}, []results.File{file})
		if err != nil {
			b.Fatal(err)
		}
		htmlBytes = fileSize(b, path)
	}
	b.ReportMetric(float64(htmlBytes), "html-B")
}

func largeRun(b *testing.B) results.File {
	rng := rand.New(rand.NewPCG(1, 2))
	f := results.File{Version: results.Version, Settings: results.Settings{Count: 3}}
	for _, info := range strategies.All() {
		for point := 1; point <= 20; point++ {
			c := point * 50
			for rep := 1; rep <= 3; rep++ {
				h := hdrhistogram.New(1, 3_600_000_000, 3)
				var spans []results.Span
				for i := range 2000 {
					start := float64(i/c) * 50
					lat := 50 + rng.ExpFloat64()*5
					h.RecordValue(int64(lat * 1000))
					spans = append(spans, results.Span{Index: i, Lane: i%c + 1, StartMS: start, EndMS: start + lat, Class: "ok"})
				}
				enc, _ := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
				f.Runs = append(f.Runs, results.Run{
					Point:    results.Point{Strategy: info.Name, Mode: results.ModeClosed, N: 2000, Concurrency: c, LatencyModel: "fixed:50ms"},
					InFlight: c, Repetition: rep, OK: 2000, ThroughputRPS: float64(c) * 19, WallS: 2000 / (float64(c) * 19),
					LatencyHist: b64(enc), Lanes: info.Lane, Timeline: spans, CPUMicrosPerReq: 20 + rng.Float64(),
					GoroutinesPeak: int64(c), ThreadsPeak: 8, AllocBytesPerReq: 100, CtxSwPerReq: 0.5, MaxRSSBytes: 20e6,
				})
			}
		}
	}
	f.Summary = results.Summarize(f.Runs)
	return f
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func fileSize(b *testing.B, path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return info.Size()
}
