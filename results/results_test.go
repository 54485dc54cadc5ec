package results_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"

	"github.com/netio-lab/netio/results"
)

func run(strategy string, c, rep int, rps float64) results.Run {
	eff := rps / 10000
	return results.Run{
		Point:      results.Point{Strategy: strategy, Mode: "closed", N: 1000, Concurrency: c, GOMAXPROCS: 2, LatencyModel: "fixed:5ms"},
		Repetition: rep,
		OK:         999, Failed: 1, Errors: map[string]int{"timeout": 1}, WallS: 1000 / rps, ThroughputRPS: rps,
		Efficiency: &eff, LatencyMS: results.LatencyMS{P50: 5.1, P99: 7.5}, GoroutinesPeak: 101, ThreadsPeak: 6,
		CtxSwPerReq: 0.4, CPUMicrosPerReq: 30, AllocBytesPerReq: 4000,
	}
}

// full sets the figures run leaves zero: every metric then has a value.
func full(r results.Run) results.Run {
	cold := 1.5
	r.EfficiencyCold, r.AllocsPerReq = &cold, 12.5
	return r
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
		if rps := s.Metrics["throughput_rps"]; s.Strategy != tt.strategy || s.Concurrency != tt.c || s.Count != tt.count || rps != want {
			t.Errorf("summary %d: %s c=%d count %d rps %+v; want %s c=%d count %d rps %+v",
				tt.i, s.Strategy, s.Concurrency, s.Count, rps, tt.strategy, tt.c, tt.count, want)
		}
	}
	eff, hasEff := got[0].Metrics["efficiency"]
	cold, hasCold := got[0].Metrics["efficiency_cold"]
	if got[0].Failed != 3 || !hasEff || eff.Median != 0.1 || hasCold {
		t.Errorf("pool c=10: failed %d, efficiency %v %+v, cold %v %+v; want 3, median 0.1, none", got[0].Failed, hasEff, eff, hasCold, cold)
	}
}

func TestBenchTextReadsAsBenchmarks(t *testing.T) {
	file := results.File{
		Env:      results.Env{OS: "linux", Arch: "amd64", CPUModel: "Test CPU", GOMAXPROCS: 2, Commit: "abc123", GoVersion: "go1.26.8"},
		Settings: results.Settings{Seed: 7},
		Runs:     []results.Run{full(run("epoll", 100, 1, 20000)), run("epoll", 100, 2, 21000)},
	}
	open := run("gnet", 10, 1, 500)
	open.Mode, open.Rate, open.DurationS, open.Efficiency = "open", 500, 2, nil
	file.Runs = append(file.Runs, open)
	var buf bytes.Buffer
	if err := results.WriteBenchText(&buf, file); err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(bytes.NewReader(buf.Bytes()), "bench.txt")
	var res []*benchfmt.Result
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			res = append(res, rec.Clone())
		case *benchfmt.SyntaxError:
			t.Errorf("%v", rec)
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
	var names []string
	for _, x := range res {
		names = append(names, string(x.Name))
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("names %q; want %q\n%s", names, want, buf.Bytes())
	}
	for key, want := range map[string]string{"goos": "linux", "goarch": "amd64", "pkg": "github.com/netio-lab/netio", "cpu": "Test CPU", "commit": "abc123", "go": "go1.26.8", "seed": "7"} {
		if got := res[0].GetConfig(key); got != want {
			t.Errorf("config %s: %q; want %q", key, got, want)
		}
	}
	for i, x := range res {
		if x.Iters != file.Runs[i].N {
			t.Errorf("%s: iterations %d; want the %d requests", x.Name, x.Iters, file.Runs[i].N)
		}
		units := map[string]float64{}
		for _, v := range x.Values {
			units[v.Unit] = v.Value
		}
		for _, m := range results.Metrics {
			v, ok := m.Value(file.Runs[i])
			want, unit := benchunit.Tidy(v, m.Unit) // the Reader tidies ns/op to sec/op, MB to B
			got, found := units[unit]
			if !found && v == 0 { // … except a zero, whose tidied value equals it: the Reader keeps the unit then
				got, found = units[m.Unit]
			}
			if found != ok || ok && math.Abs(got-want) > 1e-6*math.Abs(want) {
				t.Errorf("%s line %d: %s = %v (%v); want %v (%v)", m.Name, i+1, unit, got, found, want, ok)
			}
		}
		if len(units) != len(x.Values) {
			t.Errorf("line %d: %d values in %d units; want one value per unit", i+1, len(x.Values), len(units))
		}
	}
	for _, m := range results.Metrics {
		if got := r.Units().GetBetter(m.Unit); got != map[results.Better]int{results.Higher: 1, results.Lower: -1}[m.Better] {
			t.Errorf("%s: better %d; want %s", m.Unit, got, m.Better)
		}
	}
	// Figures checked by hand, so that a metric reading the wrong field is
	// caught too.
	for unit, v := range map[string]float64{"req/s": 20000, "sec/op": 50e-6, "goroutines": 101, "ctxsw/req": 0.4, "efficiency": 2, "efficiency-cold": 1.5, "errors": 1, "allocs/req": 12.5} {
		if got := res[0].Values; !slices.ContainsFunc(got, func(x benchfmt.Value) bool { return x.Unit == unit && math.Abs(x.Value-v) <= 1e-9*v }) {
			t.Errorf("%s: no value %v among %v", unit, v, got)
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
