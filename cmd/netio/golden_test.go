package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestBenchGolden with this run's output")

// TestBenchGolden runs a small fixed bench, the whole command as a user
// runs it, and compares its run.json and bench.txt with golden files in
// testdata/, as benchstat's own tests do: what depends on the machine and
// the moment (the environment, timings, resources) is masked, so that the
// rest (the points, their order, the counts, the checks of every answer,
// the ideal times, every field's name and place) must stay as it is.
// After a deliberate change: go test ./cmd/netio -run TestBenchGolden -update.
func TestBenchGolden(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, code := runCmd("bench", "--strategy", "sequential,epoll", "--n", "12", "--concurrency", "3",
		"--latency", "1ms", "--count", "2", "--seed", "1", "--out", out)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	dirs, _ := os.ReadDir(out)
	if len(dirs) != 1 {
		t.Fatalf("%d entries in --out; want one results folder", len(dirs))
	}
	dir := filepath.Join(out, dirs[0].Name())
	runJSON, err := os.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	benchTxt, err := os.ReadFile(filepath.Join(dir, "bench.txt"))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "bench-run.json.golden", maskRunJSON(t, runJSON))
	checkGolden(t, "bench-bench.txt.golden", maskBenchText(benchTxt))
	// The bench ends with its report, and says where it is, last.
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if want := "Report: " + filepath.Join(dir, "report.html"); lines[len(lines)-1] != want {
		t.Errorf("last line %q; want %q", lines[len(lines)-1], want)
	}
	for _, name := range []string{"report.html", "report.md", "throughput.svg", "percentiles.svg", "timeline.svg", "latency.hlog"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("the bench wrote no %s: %v", name, err)
		}
	}
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to make it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from this run's output (masked); if the change is meant, run with -update.\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// maskedKeys are run.json's fields whose values depend on the machine or
// the moment; their values become "<masked>", wherever they appear.
var maskedKeys = map[string]bool{
	"env": true, "command": true, "gomaxprocs": true,
	"wall_s": true, "wall_cold_s": true, "throughput_rps": true, "efficiency": true, "efficiency_cold": true,
	"latency_ms": true, "goroutines_peak": true, "goroutines_process_peak": true, "goroutines_created": true,
	"threads_peak": true, "ctx_switches_voluntary": true, "ctx_switches_involuntary": true, "ctx_switches_per_req": true,
	"cpu_user_s": true, "cpu_sys_s": true, "cpu_us_per_req": true, "alloc_bytes_per_req": true, "allocs_per_req": true,
	"max_rss_bytes": true, "start_ms": true, "end_ms": true, "at_ms": true, "lane": true,
	"latency_hist": true, "series": true, "started_at": true,
}

// maskRunJSON masks run.json and writes it back indented.
func maskRunJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(mask(v)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func mask(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch {
			case maskedKeys[k]:
				v[k] = "<masked>"
			case k == "metrics": // a summary's spreads: which metrics, not their values (but the failures)
				for name := range x.(map[string]any) {
					if name != "failed" {
						x.(map[string]any)[name] = "<masked>"
					}
				}
			default:
				v[k] = mask(x)
			}
		}
	case []any:
		for i, x := range v {
			v[i] = mask(x)
		}
	}
	return v
}

var (
	// benchProcs is a benchmark name's -GOMAXPROCS suffix.
	benchProcs = regexp.MustCompile(`-\d+$`)
	// envConfig are bench.txt's configuration lines that depend on the machine.
	envConfig = regexp.MustCompile(`^(goos|goarch|cpu|commit|go): .*`)
)

// maskBenchText masks bench.txt line by line: the machine's configuration
// and every measured value; names, iteration counts and units stay.
func maskBenchText(b []byte) []byte {
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case envConfig.MatchString(line):
			line = envConfig.ReplaceAllString(line, "$1: <masked>")
		case strings.HasPrefix(line, "Benchmark"):
			// name iterations value unit value unit …
			f := strings.Fields(line)
			f[0] = benchProcs.ReplaceAllString(f[0], "-P")
			for i := 2; i < len(f); i += 2 {
				f[i] = "X"
			}
			line = strings.Join(f, " ")
		}
		out = append(out, line)
	}
	return []byte(strings.Join(out, "\n"))
}
