package results_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/results"
)

func run(strategy string, c, rep int, rps float64) results.Run {
	eff := rps / 10000
	return results.Run{
		Point:      results.Point{Strategy: strategy, Mode: "closed", N: 1000, Concurrency: c, GOMAXPROCS: 2, LatencyModel: "fixed:5ms"},
		Repetition: rep,
		OK:         999, Failed: 1, Errors: map[string]int{"timeout": 1}, WallS: 1000 / rps, ThroughputRPS: rps,
		Efficiency: &eff, LatencyMS: harness.LatencyMS{P50: 5.1, P99: 7.5}, GoroutinesPeak: 101, ThreadsPeak: 6,
		CtxSwPerReq: 0.4, CPUMicrosPerReq: 30, AllocBytesPerReq: 4000,
	}
}

func TestSummarizeGroupsRepetitions(t *testing.T) {
	runs := []results.Run{
		run("pool", 10, 1, 900), run("pool", 10, 2, 1000), run("pool", 10, 3, 1200),
		run("pool", 100, 1, 5000), run("pool", 100, 2, 7000),
		run("epoll", 10, 1, 2000),
	}
	got := results.Summarize(runs)
	if len(got) != 3 {
		t.Fatalf("%d summaries; want 3 points", len(got))
	}
	tests := []struct {
		i                int
		strategy         string
		c, count         int
		median, min, max float64
	}{
		{0, "pool", 10, 3, 1000, 900, 1200},
		{1, "pool", 100, 2, 6000, 5000, 7000}, // even count: mean of the middle two
		{2, "epoll", 10, 1, 2000, 2000, 2000},
	}
	for _, tt := range tests {
		s := got[tt.i]
		want := results.Spread{Median: tt.median, Min: tt.min, Max: tt.max}
		if s.Strategy != tt.strategy || s.Concurrency != tt.c || s.Count != tt.count || s.ThroughputRPS != want {
			t.Errorf("summary %d: %s c=%d count %d rps %+v; want %s c=%d count %d rps %+v",
				tt.i, s.Strategy, s.Concurrency, s.Count, s.ThroughputRPS, tt.strategy, tt.c, tt.count, want)
		}
	}
	if got[0].Failed != 3 || got[0].Efficiency == nil || got[0].Efficiency.Median != 0.1 || got[0].EfficiencyCold != nil {
		t.Errorf("pool c=10: failed %d, efficiency %v, cold %v; want 3, median 0.1, none", got[0].Failed, got[0].Efficiency, got[0].EfficiencyCold)
	}
}

func TestBenchTextReadsAsBenchmarks(t *testing.T) {
	file := results.File{
		Env:      results.Env{OS: "linux", Arch: "amd64", CPUModel: "Test CPU", GOMAXPROCS: 2},
		Settings: results.Settings{Seed: 7},
		Runs:     []results.Run{run("epoll", 100, 1, 20000), run("epoll", 100, 2, 21000)},
	}
	open := run("gnet", 10, 1, 500)
	open.Mode, open.Rate, open.DurationS, open.Efficiency = "open", 500, 2, nil
	file.Runs = append(file.Runs, open)
	var buf bytes.Buffer
	if err := results.WriteBenchText(&buf, file); err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(&buf, "bench.txt")
	var names []string
	units := map[string]float64{}
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		names = append(names, string(res.Name))
		if len(names) == 1 {
			for _, v := range res.Values {
				units[v.Unit] = v.Value
			}
			if res.Iters != 1000 {
				t.Errorf("iterations %d; want the 1000 requests", res.Iters)
			}
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Fetch/strategy=epoll/latency=5ms/n=1000/c=100-2",
		"Fetch/strategy=epoll/latency=5ms/n=1000/c=100-2",
		"Fetch/strategy=gnet/mode=open/rate=500/duration=2s/latency=5ms/c=10-2",
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("names %q; want %q", names, want)
	}
	for unit, v := range map[string]float64{"req/s": 20000, "sec/op": 50e-6, "goroutines": 101, "ctxsw/req": 0.4, "efficiency": 2, "errors": 1} {
		if units[unit] != v {
			t.Errorf("%s = %v; want %v (all: %v)", unit, units[unit], v, units)
		}
	}
}

func TestFolderCommitsWholeOrNothing(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "runs")
	file := results.File{Version: results.Version, Runs: []results.Run{run("pool", 10, 1, 1000)}}
	var dirs []string
	for range 2 {
		f, err := results.Prepare(parent)
		if err != nil {
			t.Fatal(err)
		}
		dir, err := f.Commit("2026-11-25T000000Z-pool", file)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, filepath.Base(dir))
	}
	if dirs[0] != "2026-11-25T000000Z-pool" || dirs[1] != "2026-11-25T000000Z-pool-2" {
		t.Errorf("folders %v; want the name, then the name with -2", dirs)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 2 {
		t.Errorf("%d entries in %s; want the two folders, no staging left", len(entries), parent)
	}
	b, err := os.ReadFile(filepath.Join(parent, dirs[0], "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back results.File
	if err := json.Unmarshal(b, &back); err != nil || len(back.Runs) != 1 || back.Runs[0].ThroughputRPS != 1000 {
		t.Errorf("run.json read back: %v, %+v", err, back)
	}
	if _, err := os.Stat(filepath.Join(parent, dirs[0], "bench.txt")); err != nil {
		t.Error(err)
	}

	aborted, err := results.Prepare(parent)
	if err != nil {
		t.Fatal(err)
	}
	aborted.Abort()
	if entries, _ := os.ReadDir(parent); len(entries) != 2 {
		t.Errorf("Abort left %d entries; want 2", len(entries))
	}
}

func TestPrepareRefusesUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := results.Prepare(filepath.Join(file, "runs")); err == nil {
		t.Error("Prepare under a regular file succeeded; want an error")
	}
}

func TestReadEnv(t *testing.T) {
	env := results.ReadEnv()
	if env.Cores < 1 || env.GOMAXPROCS < 1 || !strings.HasPrefix(env.GoVersion, "go") || env.Kernel == "" || env.Date == "" {
		t.Errorf("env %+v; want cores, GOMAXPROCS, Go version, kernel and date", env)
	}
	// The tests run inside netio's checkout: the commit is git's HEAD, or
	// "unknown" where git cannot read the checkout.
	want := "unknown"
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		want = strings.TrimSpace(string(out))
	}
	if strings.TrimSuffix(env.Commit, "+dirty") != want {
		t.Errorf("commit %q; want %q", env.Commit, want)
	}
}
