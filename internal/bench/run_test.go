package bench_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
)

// realChild makes Run's children this test binary as the real child.
func realChild(ctx context.Context) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(os.Environ(), fakeChildEnv+"=ok", "GORACE="+gorace)
	return cmd
}

// smallPlan is two strategies at two concurrencies against a running mock
// server: four points of two passes each.
func smallPlan(t *testing.T) bench.Plan {
	srv, err := mockserver.Start(mockserver.Config{Seed: serverSeed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return bench.Plan{
		Strategies: []string{"pool", "epoll"}, Mode: results.ModeClosed, N: []int{12}, Concurrency: []int{2, 4},
		Latency: []time.Duration{serverLatency}, Count: 2, Timeout: 5 * time.Second, Seed: serverSeed, Target: srv.URL(),
	}
}

func TestRunMeasuresEveryPoint(t *testing.T) {
	p := smallPlan(t)
	var statuses []bench.Status
	file, err := bench.Run(context.Background(), p, bench.Options{Child: realChild, Command: []string{"netio", "bench"},
		Progress: func(s bench.Status) { statuses = append(statuses, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if file.Version != results.Version || file.Interrupted || len(file.Runs) != 8 || len(file.Summary) != 4 || len(file.Failures) != 0 {
		t.Fatalf("version %d, interrupted %v, %d runs, %d points, failures %v; want 8 runs in 4 points",
			file.Version, file.Interrupted, len(file.Runs), len(file.Summary), file.Failures)
	}
	wantOrder := []string{"pool c=2", "pool c=4", "epoll c=2", "epoll c=4"} // strategies outermost
	for i, s := range file.Summary {
		if got := s.Strategy + " c=" + itoa(s.Concurrency); got != wantOrder[i] || s.Count != 2 || s.N != 12 || s.LatencyModel != "fixed:2ms" {
			t.Errorf("point %d: %s, %d runs, n %d, %s; want %s, 2 runs, n 12, fixed:2ms", i, got, s.Count, s.N, s.LatencyModel, wantOrder[i])
		}
	}
	for _, r := range file.Runs {
		if r.Verified != 12 {
			t.Errorf("%s c=%d: %d verified; want 12: the latency travels in the page URLs", r.Strategy, r.Concurrency, r.Verified)
		}
	}
	if st := file.Settings; st.Target != p.Target || st.Seed != serverSeed || st.Count != 2 || st.Timeout != "5s" || strings.Join(file.Command, " ") != "netio bench" {
		t.Errorf("settings %+v, command %v; want the plan's", st, file.Command)
	}
	if len(statuses) == 0 || statuses[0].Point != 0 || statuses[0].Points != 4 || statuses[len(statuses)-1].Point != 3 {
		t.Errorf("progress: %d statuses, first %+v, last %+v; want points 1 to 4 of 4", len(statuses), first(statuses), last(statuses))
	}
}

// TestRunInterruptedKeepsCompletePointsOnly cancels the bench in the
// middle of its second point: the file holds the first point whole, none
// of the second's passes, and says it was interrupted.
func TestRunInterruptedKeepsCompletePointsOnly(t *testing.T) {
	p := smallPlan(t)
	p.N = []int{400} // long enough to be caught in the middle
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	file, err := bench.Run(ctx, p, bench.Options{Child: realChild, Progress: func(s bench.Status) {
		// Well inside the point: a child that had finished its passes
		// as the cancel came would keep its point (the point is whole).
		if s.Point == 1 && s.Done > 0 && s.Done <= s.Total/2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v; want context.Canceled", err)
	}
	if !file.Interrupted || len(file.Summary) != 1 || len(file.Runs) != 2 || file.Summary[0].Concurrency != 2 {
		t.Errorf("interrupted %v, %d points, %d runs; want the first point's 2 runs alone", file.Interrupted, len(file.Summary), len(file.Runs))
	}
}

func TestRunNeedsAChildCommand(t *testing.T) {
	file, err := bench.Run(context.Background(), smallPlan(t), bench.Options{})
	if err == nil || !strings.Contains(err.Error(), "Command") || file.Interrupted {
		t.Errorf("Run without Options.Child = %v, interrupted %v; want an error naming the command, not an interrupt", err, file.Interrupted)
	}
}

func TestRunNeedsAServerCommand(t *testing.T) {
	p := smallPlan(t)
	p.Target = ""
	if _, err := bench.Run(context.Background(), p, bench.Options{Child: realChild}); err == nil || !strings.Contains(err.Error(), "Server") {
		t.Errorf("Run without a target or Options.Server = %v; want an error naming Options.Server", err)
	}
}

func TestPlanPoints(t *testing.T) {
	p := bench.Plan{
		Strategies: []string{"pool", "epoll"}, Mode: results.ModeClosed, N: []int{10, 20}, Concurrency: []int{4},
		GOMAXPROCS: []int{1, 2}, Latency: []time.Duration{0, 5 * time.Millisecond}, Dist: "fixed", Count: 1, Seed: 1,
	}
	points := p.Points("http://127.0.0.1:9")
	if len(points) != 2*2*2*2 {
		t.Fatalf("%d points; want 16 (2 strategies × 2 latencies × 2 n × 2 procs)", len(points))
	}
	if s := points[0]; s.Strategy != "pool" || s.LatencyModel != "fixed:0s" || s.FixedLatency != 0 || !strings.HasSuffix(s.Pages[0], "?latency=0s") {
		t.Errorf("first point %s %s %v, page %s; want pool at fixed:0s asking for latency=0s", s.Strategy, s.LatencyModel, s.FixedLatency, s.Pages[0])
	}
	if s := points[len(points)-1]; s.Strategy != "epoll" || s.N != 20 || s.GOMAXPROCS != 2 || !strings.HasSuffix(s.Pages[0], "?latency=5ms") {
		t.Errorf("last point %s n=%d procs=%d page %s; want epoll n=20 procs=2 at latency=5ms", s.Strategy, s.N, s.GOMAXPROCS, s.Pages[0])
	}
	p.Dist, p.P99 = "lognormal", 50*time.Millisecond
	if s := p.Points("http://h:1")[2]; s.LatencyModel != "lognormal:0s:p99:50ms" || s.FixedLatency >= 0 {
		t.Errorf("lognormal point: %s, fixed %v; want lognormal:0s:p99:50ms and no fixed latency", s.LatencyModel, s.FixedLatency)
	}
	p.URLs = []string{"http://example.test/a"}
	for _, s := range p.Points("") {
		if s.LatencyModel != "unknown" || s.Truth || !s.AnyPage || s.Pages[0] != "http://example.test/a" {
			t.Errorf("--url point: %s, truth %v, any page %v, pages %v; want the URLs, no truth", s.LatencyModel, s.Truth, s.AnyPage, s.Pages)
		}
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	bar := bench.NewProgressBar(&buf)
	bar.Update(bench.Status{Point: 1, Points: 3, Label: "epoll c=100"})
	bar.Update(bench.Status{Point: 1, Points: 3, Label: "epoll c=100", Progress: bench.Progress{Done: 50, Total: 100}})
	bar.Finish()
	out := buf.String()
	for _, want := range []string{"[2/3] epoll c=100 [........................]", "[2/3] epoll c=100 [############............]", "\r\033[K"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar output %q lacks %q", out, want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func first(s []bench.Status) bench.Status {
	if len(s) == 0 {
		return bench.Status{}
	}
	return s[0]
}

func last(s []bench.Status) bench.Status {
	if len(s) == 0 {
		return bench.Status{}
	}
	return s[len(s)-1]
}
