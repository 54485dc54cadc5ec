package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
	"github.com/netio-lab/netio/strategies"
)

// The mock server every test measures against: its seed is the ground
// truth, its fixed latency makes the ideal time computable.
const (
	serverSeed    = 3
	serverLatency = 2 * time.Millisecond
)

// weatherPages starts a mock server for the test and returns a few of its
// station pages.
func weatherPages(t *testing.T) []string {
	t.Helper()
	return weatherPagesDelayed(t, mockserver.Delay{Latency: mockserver.Duration(serverLatency)})
}

// weatherPagesDelayed is weatherPages from a server with the given delay.
func weatherPagesDelayed(t *testing.T, delay mockserver.Delay) []string {
	t.Helper()
	srv, err := mockserver.Start(mockserver.Config{Seed: serverSeed, Model: mockserver.Model{Delay: delay}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var pages []string
	for _, st := range mockserver.Stations()[:4] {
		pages = append(pages, srv.PageURL(st.ICAO))
	}
	return pages
}

// closedSpec is a small closed point against pages: 12 requests, 4 at a
// time, 2 measured passes, answers checked against the server's seed.
func closedSpec(strategy string, pages []string) bench.Spec {
	return bench.Spec{
		Strategy: strategy, Mode: "closed", N: 12, Concurrency: 4, Count: 2, Timeout: 5 * time.Second,
		Pages: pages, Seed: serverSeed, Truth: true,
		LatencyModel: "fixed:2ms", FixedLatency: serverLatency,
	}
}

// childOutput is what RunChild wrote, sorted by kind of message.
type childOutput struct {
	runs     []results.Run
	progress []bench.Progress
	errors   []string
}

// lastProgress is the last progress message, or the zero Progress.
func (o childOutput) lastProgress() bench.Progress {
	if len(o.progress) == 0 {
		return bench.Progress{}
	}
	return o.progress[len(o.progress)-1]
}

// runChild runs RunChild on spec in this process and parses what it wrote.
func runChild(t *testing.T, spec bench.Spec) (childOutput, error) {
	t.Helper()
	input, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	return runChildInput(t, input)
}

// runChildInput runs RunChild on raw input. The deadline only keeps a
// broken child from stalling the whole test binary.
func runChildInput(t *testing.T, input []byte) (childOutput, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := bench.RunChild(ctx, bytes.NewReader(input), &out)
	return parseMessages(t, out.Bytes()), err
}

// parseMessages holds the child to its protocol: one Message a line, each
// with exactly one of its fields set.
func parseMessages(t *testing.T, out []byte) childOutput {
	t.Helper()
	var o childOutput
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var m bench.Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("child wrote %q: %v", sc.Text(), err)
		}
		switch {
		case m.Run != nil && m.Progress == nil && m.Error == "":
			o.runs = append(o.runs, *m.Run)
		case m.Progress != nil && m.Run == nil && m.Error == "":
			o.progress = append(o.progress, *m.Progress)
		case m.Error != "" && m.Run == nil && m.Progress == nil:
			o.errors = append(o.errors, m.Error)
		default:
			t.Fatalf("child wrote %q; want one of progress, run, error", sc.Text())
		}
	}
	return o
}

// TestRunChildClosed measures a closed point with two strategies, one with
// goroutines and one with a single goroutine, and checks each run it sends.
func TestRunChildClosed(t *testing.T) {
	pages := weatherPages(t)
	tests := []struct {
		strategy string
		// The strategy's goroutines at their peak: the pool has its 4
		// workers (and net/http's connection goroutines), epoll just itself.
		minGoroutines, maxGoroutines int64
	}{
		{"pool", 4, 1 << 10},
		{"epoll", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.strategy, func(t *testing.T) {
			spec := closedSpec(tt.strategy, pages)
			out, err := runChild(t, spec)
			if err != nil || len(out.errors) > 0 {
				t.Fatalf("RunChild: %v, error messages %q; want neither", err, out.errors)
			}
			if len(out.runs) != spec.Count {
				t.Fatalf("%d runs; want %d", len(out.runs), spec.Count)
			}
			for i, run := range out.runs {
				checkClosedRun(t, spec, i+1, run)
				if g := run.GoroutinesPeak; g < tt.minGoroutines || g > tt.maxGoroutines {
					t.Errorf("run %d: goroutines peak %d; want %d to %d", i+1, g, tt.minGoroutines, tt.maxGoroutines)
				}
			}
			// A reader of the progress must see the work finish: 12
			// requests in each of the cold pass and the 2 measured ones.
			if got, want := out.lastProgress(), (bench.Progress{Done: 36, Total: 36}); got != want {
				t.Errorf("last progress %+v; want %+v", got, want)
			}
		})
	}
}

// checkClosedRun checks one run of closedSpec: every answer right, and the
// ideal time ⌈12/4⌉·2ms with the efficiencies that follow from it.
func checkClosedRun(t *testing.T, spec bench.Spec, rep int, run results.Run) {
	t.Helper()
	if run.Repetition != rep || run.Mode != "closed" || run.N != spec.N || run.InFlight != spec.Concurrency {
		t.Errorf("run %d: repetition %d, mode %q, n %d, in flight %d; want %d, closed, %d, %d",
			rep, run.Repetition, run.Mode, run.N, run.InFlight, rep, spec.N, spec.Concurrency)
	}
	if run.OK != spec.N || run.Verified != spec.N || run.Failed != 0 || run.Mismatched != 0 {
		t.Errorf("run %d: ok %d, verified %d, failed %d (%v), mismatched %d; want all %d verified",
			rep, run.OK, run.Verified, run.Failed, run.Errors, run.Mismatched, spec.N)
	}
	ideal := (3 * serverLatency).Seconds()
	if run.IdealS == nil || *run.IdealS != ideal {
		t.Errorf("run %d: ideal %v; want %v s", rep, fmtPtr(run.IdealS), ideal)
	}
	// A run cannot beat the ideal; 5% slack for timer granularity.
	if e := run.Efficiency; e == nil || *e <= 0 || *e > 1.05 {
		t.Errorf("run %d: efficiency %v; want in (0, 1]", rep, fmtPtr(e))
	}
	if run.EfficiencyCold == nil || run.WallColdS <= 0 || run.WallS <= 0 {
		t.Errorf("run %d: cold efficiency %v, cold wall %v, wall %v; want all set", rep, fmtPtr(run.EfficiencyCold), run.WallColdS, run.WallS)
	}
}

// fmtPtr shows a *float64 as its value or nil.
func fmtPtr(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// TestRunChildCountsHedges: a point with HedgeAfter against a server whose
// pages are slow one time in ten sends those pages twice, counts the
// extra requests in Hedged, and still verifies every answer; a point
// without it records neither field.
func TestRunChildCountsHedges(t *testing.T) {
	pages := weatherPagesDelayed(t, mockserver.Delay{
		Dist: "two-level", Latency: mockserver.Duration(time.Millisecond), Slow: mockserver.Duration(300 * time.Millisecond), SlowShare: 0.1,
	})
	spec := closedSpec("pool", pages)
	spec.N, spec.Count, spec.HedgeAfter = 100, 1, 50*time.Millisecond
	spec.LatencyModel, spec.FixedLatency = "two-level", -1
	out, err := runChild(t, spec)
	if err != nil || len(out.runs) != 1 {
		t.Fatalf("RunChild: %v, %d runs, error messages %q; want 1 run", err, len(out.runs), out.errors)
	}
	run := out.runs[0]
	// 100 pages, 1 in 10 slow: P(no slow page) = 0.9^100 ≈ 3e-5.
	if run.Verified != spec.N || run.Hedged < 1 || run.Hedged > spec.N/2 || run.HedgeAfterMS == nil || *run.HedgeAfterMS != 50 {
		t.Errorf("verified %d, hedged %d, hedge after %v ms; want all %d, 1 to %d, 50", run.Verified, run.Hedged, fmtPtr(run.HedgeAfterMS), spec.N, spec.N/2)
	}
	// A page stays slow only if its copy is slow too: 1 in 100, so the p90
	// (the slow tenth's edge without hedging) is the hedges' answers.
	if run.LatencyMS.P90 >= 300 {
		t.Errorf("p90 %.0f ms; want the hedges' answers, well before the slow pages' 300 ms", run.LatencyMS.P90)
	}
	spec.HedgeAfter = 0
	out, err = runChild(t, spec)
	if err != nil || len(out.runs) != 1 {
		t.Fatalf("RunChild without hedging: %v, error messages %q", err, out.errors)
	}
	if r := out.runs[0]; r.Hedged != 0 || r.HedgeAfterMS != nil {
		t.Errorf("without hedging: hedged %d, hedge after %v; want 0 and nil", r.Hedged, fmtPtr(r.HedgeAfterMS))
	}
}

// TestRunChildChecksTheTruth gives the child another seed's ground truth:
// the temperatures are right for the server, so they must be reported
// wrong, not failed and not verified.
func TestRunChildChecksTheTruth(t *testing.T) {
	spec := closedSpec("pool", weatherPages(t))
	spec.Seed, spec.Count = serverSeed+1, 1
	out, err := runChild(t, spec)
	if err != nil || len(out.runs) != 1 {
		t.Fatalf("RunChild: %v, %d runs; want 1 run", err, len(out.runs))
	}
	if r := out.runs[0]; r.OK != spec.N || r.Mismatched == 0 || r.Verified+r.Mismatched != r.OK {
		t.Errorf("ok %d, verified %d, mismatched %d; want %d ok, most mismatched", r.OK, r.Verified, r.Mismatched, spec.N)
	}
}

// TestRunChildOpen measures an open point: 200 arrivals a second for 0.2 s
// make 40 requests a pass, and no ideal time applies.
func TestRunChildOpen(t *testing.T) {
	spec := closedSpec("pool", weatherPages(t))
	spec.Mode, spec.N, spec.Rate, spec.Duration = "open", 0, 200, 200*time.Millisecond
	out, err := runChild(t, spec)
	if err != nil || len(out.runs) != spec.Count {
		t.Fatalf("RunChild: %v, %d runs (errors %q); want %d runs", err, len(out.runs), out.errors, spec.Count)
	}
	for i, r := range out.runs {
		if r.Mode != "open" || r.Rate != 200 || r.DurationS != 0.2 || r.N != 40 {
			t.Errorf("run %d: mode %q, rate %v, duration %v s, n %d; want open, 200, 0.2, 40", i+1, r.Mode, r.Rate, r.DurationS, r.N)
		}
		// The grace is the 5s timeout: a 2ms page has no reason to fail.
		if r.OK != 40 || r.Verified != 40 {
			t.Errorf("run %d: ok %d, verified %d, dropped %d, errors %v; want 40 verified", i+1, r.OK, r.Verified, r.Dropped, r.Errors)
		}
		if r.IdealS != nil || r.Efficiency != nil || r.EfficiencyCold != nil {
			t.Errorf("run %d: ideal %v, efficiency %v, cold %v; want nil: no ideal in open mode",
				i+1, fmtPtr(r.IdealS), fmtPtr(r.Efficiency), fmtPtr(r.EfficiencyCold))
		}
	}
	if got := out.lastProgress().Total; got != 120 {
		t.Errorf("progress total %d; want 120 (40 in each of 3 passes)", got)
	}
	// A failure of this point names it as its runs do, so that run.json's
	// failures and runs can be matched (an open point's N is its arrivals).
	spec.GOMAXPROCS = out.runs[0].GOMAXPROCS
	if p := spec.Point(); out.runs[0].Point != p {
		t.Errorf("run's point %+v; want the spec's, as a failure records it: %+v", out.runs[0].Point, p)
	}
}

// TestRunChildAnyPage fetches a page that is not a weather page: a success
// with AnyPage (netio bench --url), a page without a temperature without.
func TestRunChildAnyPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "hello")
	}))
	defer srv.Close()
	tests := []struct {
		anyPage    bool
		ok, noTemp int
	}{
		{anyPage: true, ok: 4},
		{anyPage: false, noTemp: 4},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("any_page=%v", tt.anyPage), func(t *testing.T) {
			spec := bench.Spec{
				Strategy: "pool", Mode: "closed", N: 4, Concurrency: 2, Count: 1, Timeout: 5 * time.Second,
				Pages: []string{srv.URL}, AnyPage: tt.anyPage, LatencyModel: "unknown", FixedLatency: -1,
			}
			out, err := runChild(t, spec)
			if err != nil || len(out.runs) != 1 {
				t.Fatalf("RunChild: %v, %d runs; want 1 run", err, len(out.runs))
			}
			r := out.runs[0]
			noTemp := r.Errors[string(strategies.ClassNoTemperature)]
			if r.OK != tt.ok || r.Failed != tt.noTemp || noTemp != tt.noTemp || r.Verified != 0 {
				t.Errorf("ok %d, failed %d, no-temperature %d, verified %d; want %d, %d, %d, 0",
					r.OK, r.Failed, noTemp, r.Verified, tt.ok, tt.noTemp, tt.noTemp)
			}
			if r.IdealS != nil {
				t.Errorf("ideal %v for an unknown latency; want nil", *r.IdealS)
			}
		})
	}
}

// TestRunChildBadInput checks that a child that cannot start says why, both
// on its stdout (for the parent's Failure) and in its error.
func TestRunChildBadInput(t *testing.T) {
	unknown, _ := json.Marshal(bench.Spec{Strategy: "threads", Mode: "closed", N: 1, Count: 1, Pages: []string{"http://127.0.0.1:1/"}})
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"not json", []byte(`{"strategy": `), "reading the spec"},
		{"empty", nil, "reading the spec"},
		{"unknown strategy", unknown, `unknown strategy "threads"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runChildInput(t, tt.input)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("RunChild error %v; want one with %q", err, tt.want)
			}
			if len(out.errors) != 1 || !strings.Contains(out.errors[0], tt.want) || len(out.runs) != 0 {
				t.Errorf("error messages %q, %d runs; want one error with %q, no run", out.errors, len(out.runs), tt.want)
			}
		})
	}
}

// TestRunChildCanceled checks that a child whose ctx ended returns ctx's
// error and does not report it as a failure of its own: the parent stopped
// it, and knows why.
func TestRunChildCanceled(t *testing.T) {
	spec := closedSpec("pool", weatherPages(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	input, _ := json.Marshal(spec)
	var buf bytes.Buffer
	err := bench.RunChild(ctx, bytes.NewReader(input), &buf)
	out := parseMessages(t, buf.Bytes())
	if !errors.Is(err, context.Canceled) || len(out.errors) != 0 || len(out.runs) != 0 {
		t.Errorf("RunChild: %v, error messages %q, %d runs; want context.Canceled alone", err, out.errors, len(out.runs))
	}
}

// TestSpecRequestsMatchesOpenWorkload checks that a spec counts an open
// pass's requests as the harness makes them: the child's progress total is
// Requests × passes, so a miscount shows as a bar that passes 100%.
func TestSpecRequestsMatchesOpenWorkload(t *testing.T) {
	pages := []strategies.Job{{Name: "p", URL: "http://127.0.0.1:1/"}}
	tests := []struct {
		rate     float64
		duration time.Duration
	}{
		{200, 200 * time.Millisecond},
		{200, 300 * time.Millisecond},
		{100, 2300 * time.Millisecond}, // 100 × 2.3 is 229.99… in floating point
		{50, 2300 * time.Millisecond},
	}
	for _, tt := range tests {
		spec := bench.Spec{Mode: "open", Rate: tt.rate, Duration: tt.duration}
		jobs := harness.Open{Rate: tt.rate, Duration: tt.duration}.Jobs(time.Now(), pages)
		if got, want := spec.Requests(), jobs.Len(); got != want {
			t.Errorf("Spec{Rate: %v, Duration: %v}.Requests() = %d; want %d, the harness's arrivals", tt.rate, tt.duration, got, want)
		}
	}
}
