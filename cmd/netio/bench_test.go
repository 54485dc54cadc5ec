package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
)

func TestBenchBadInput(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + closed.Addr().String()
	closed.Close()
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o644)
	tests := []struct {
		name string
		args []string
		want string // in the one-line error
	}{
		{"unknown strategy", []string{"--strategy", "pool,threads"}, `unknown strategy "threads"`},
		{"zero concurrency", []string{"--concurrency", "10,0"}, "--concurrency must be at least 1"},
		{"zero n", []string{"--n", "0"}, "--n must be at least 1"},
		{"not a number", []string{"--n", "ten"}, "want whole numbers"},
		{"rate without open", []string{"--rate", "100"}, "--rate needs --mode open"},
		{"open without rate", []string{"--mode", "open"}, "--mode open needs --rate"},
		{"bad mode", []string{"--mode", "half-open"}, "--mode must be closed or open"},
		{"zero count", []string{"--count", "0"}, "--count must be at least 1"},
		{"bad dist", []string{"--dist", "gaussian"}, "unknown distribution"},
		{"bad target", []string{"--target", "ftp://x"}, "want an http:// URL"},
		{"unreachable target", []string{"--target", refused}, "cannot reach"},
		{"unreachable url", []string{"--url", refused + "/x"}, "cannot reach"},
		{"target and url", []string{"--target", refused, "--url", refused}, "exclude each other"},
		{"missing urls file", []string{"--urls", filepath.Join(t.TempDir(), "none")}, "no such file"},
		{"unwritable out", []string{"--out", filepath.Join(file, "runs")}, "--out"},
		{"argument", []string{"epoll"}, "takes no arguments"},
		{"NaN rate", []string{"--mode", "open", "--rate", "NaN"}, "--rate must be a positive number"},
		{"no arrivals", []string{"--mode", "open", "--rate", "0.1", "--duration", "1s"}, "makes no request"},
		{"zero duration", []string{"--mode", "open", "--rate", "100", "--duration", "0s"}, "--duration must be positive"},
		{"huge open pass", []string{"--mode", "open", "--rate", "1e12", "--duration", "5s"}, "makes more than"},
		{"json is a folder", []string{"--json", t.TempDir()}, "is a folder"},
		{"repeated strategy", []string{"--strategy", "pool,pool"}, "names pool twice"},
		{"repeated value", []string{"--concurrency", "10,10"}, "names a value twice"},
		{"unwritable json", []string{"--json", filepath.Join(file, "x.json")}, "--json"},
		{"hedging an event loop", []string{"--strategy", "pool,epoll", "--hedge-after", "10ms"}, "epoll cannot hedge (those that can: sequential, perrequest, pool, errgroup)"},
		{"hedge after the timeout", []string{"--strategy", "pool", "--hedge-after", "2s", "--timeout", "1s"}, "must be shorter than --timeout"},
		{"slow without two-level", []string{"--slow", "1s"}, "--slow and --slow-share are for --dist two-level"},
		{"two-level without a share", []string{"--dist", "two-level", "--slow", "1s"}, "--slow-share"},
		{"segment past the shares", []string{"--segment", "3/2"}, "--segment 3/2: want I/N"},
		{"no shares", []string{"--segment", "0/0"}, "--segment 0/0: want I/N"},
		{"a share without a connection", []string{"--target", "http://127.0.0.1:1", "--segment", "0/3", "--concurrency", "2"}, "--concurrency must be at least 3"},
		{"a share without a request", []string{"--target", "http://127.0.0.1:1", "--segment", "0/3", "--n", "2"}, "each share needs a request"},
		{"a share of no server", []string{"--segment", "0/3"}, "--segment needs --target"},
		{"closed start-at with repetitions", []string{"--strategy", "pool", "--start-at", "2099-01-01T00:00:00Z", "--count", "2"}, "takes --count 1"},
		{"start-at unreadable", []string{"--strategy", "pool", "--start-at", "noon"}, "want an RFC 3339 time"},
		{"start-at long past", []string{"--strategy", "pool", "--count", "1", "--start-at", "2026-01-01T00:00:00Z"}, "in the past, more than the run"},
		{"start-at for many points", []string{"--strategy", "pool,epoll", "--count", "1", "--start-at", "2099-01-01T00:00:00Z"}, "--start-at runs one point"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"bench", "--out", out}, tt.args...)
			stdout, stderr, code := runCmd(args...)
			if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and one line with %q", code, stderr, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q; want nothing", stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was created; bad input must write nothing", out)
			}
		})
	}
}

// TestBenchRunsEachStrategyInItsOwnProcess runs a small real bench: the mock
// server and each strategy in processes of their own (this test binary,
// acting as netio; see TestMain).
func TestBenchRunsEachStrategyInItsOwnProcess(t *testing.T) {
	out := t.TempDir()
	jsonFile := filepath.Join(t.TempDir(), "copy.json")
	stdout, stderr, code := runCmd("bench", "--strategy", "sequential,pool,epoll", "--n", "40", "--concurrency", "4,8",
		"--latency", "2ms", "--count", "2", "--out", out, "--json", jsonFile)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	dirs, _ := os.ReadDir(out)
	if len(dirs) != 1 {
		t.Fatalf("%d entries in --out; want one results folder", len(dirs))
	}
	file := readRunJSON(t, filepath.Join(out, dirs[0].Name(), "run.json"))
	if len(file.Runs) != 3*2*2 || len(file.Summary) != 3*2 || len(file.Failures) != 0 {
		t.Fatalf("%d runs, %d points, failures %v; want 12 runs (3 strategies × 2 concurrencies × 2) in 6 points", len(file.Runs), len(file.Summary), file.Failures)
	}
	pids := map[string]bool{}
	for _, r := range file.Runs {
		if r.OK != 40 || r.Verified != 40 || r.Failed != 0 || r.LatencyModel != "fixed:2ms" {
			t.Errorf("%s c=%d: ok %d, verified %d, failed %d, model %s; want 40 verified", r.Strategy, r.Concurrency, r.OK, r.Verified, r.Failed, r.LatencyModel)
		}
		if r.IdealS == nil || r.Efficiency == nil || *r.Efficiency <= 0 || *r.Efficiency > 1.05 || r.EfficiencyCold == nil {
			t.Errorf("%s c=%d: ideal %v, efficiency %v, cold %v; want all, efficiency in (0, 1]", r.Strategy, r.Concurrency, r.IdealS, r.Efficiency, r.EfficiencyCold)
		}
		if r.LatencyMS.P50 < 2 || r.ThroughputRPS <= 0 || r.CPUMicrosPerReq <= 0 || r.ThreadsPeak < 1 || len(r.Timeline) != 40 {
			t.Errorf("%s c=%d: p50 %v, rps %v, cpu %v, threads %d, timeline %d", r.Strategy, r.Concurrency, r.LatencyMS.P50, r.ThroughputRPS, r.CPUMicrosPerReq, r.ThreadsPeak, len(r.Timeline))
		}
		pids[r.Strategy] = true
	}
	byStrategy := map[string]results.Run{}
	for _, r := range file.Runs {
		if r.Concurrency == 8 {
			byStrategy[r.Strategy] = r
		}
	}
	// The in-flight bound and so the ideal differ by strategy: sequential
	// ignores C (40 × 2 ms), the pool has 8 at once (5 rounds of 2 ms).
	if s, p := byStrategy["sequential"], byStrategy["pool"]; s.InFlight != 1 || *s.IdealS != 0.08 || p.InFlight != 8 || *p.IdealS != 0.01 {
		t.Errorf("sequential in flight %d ideal %v, pool %d ideal %v; want 1 and 0.08 s, 8 and 0.01 s", s.InFlight, *s.IdealS, p.InFlight, *p.IdealS)
	}
	if e := byStrategy["epoll"]; e.GoroutinesPeak != 1 {
		t.Errorf("epoll: goroutines peak %d; want 1", e.GoroutinesPeak)
	}
	if p := byStrategy["pool"]; p.GoroutinesPeak < 8 {
		t.Errorf("pool c=8: goroutines peak %d; want at least the 8 workers", p.GoroutinesPeak)
	}
	for _, want := range []string{"STRATEGY", "sequential", "epoll", "--concurrency ignored", "Results in"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	bench, err := os.ReadFile(filepath.Join(out, dirs[0].Name(), "bench.txt"))
	if err != nil || strings.Count(string(bench), "BenchmarkFetch/strategy=") != 12 {
		t.Errorf("bench.txt: %v, %d benchmark lines; want 12", err, strings.Count(string(bench), "BenchmarkFetch/strategy="))
	}
	if copied := readRunJSON(t, jsonFile); len(copied.Runs) != 12 || copied.Env.GoVersion == "" || len(copied.Command) == 0 {
		t.Errorf("--json copy: %d runs, env %+v; want the same file", len(copied.Runs), copied.Env)
	}
}

func readRunJSON(t *testing.T, path string) results.File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := results.Parse(path, b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestBenchOpenMode(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, code := runCmd("bench", "--strategy", "pool,epoll", "--mode", "open", "--rate", "200", "--duration", "300ms",
		"--latency", "2ms", "--count", "1", "--concurrency", "16", "--out", out, "--json", "-")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var file results.File
	if err := json.Unmarshal([]byte(stdout), &file); err != nil {
		t.Fatalf("--json - did not print run.json alone: %v\n%s", err, stdout)
	}
	for _, r := range file.Runs {
		if r.Mode != "open" || r.Rate != 200 || r.N != 60 || r.Verified != 60 || r.Efficiency != nil || r.IdealS != nil || r.Dropped != 0 {
			t.Errorf("%s: mode %s rate %v n %d verified %d efficiency %v dropped %d; want open, 60 arrivals verified, no ideal",
				r.Strategy, r.Mode, r.Rate, r.N, r.Verified, r.Efficiency, r.Dropped)
		}
		// Latency counts from each intended start, so it cannot be below
		// the server's 2 ms.
		if r.LatencyMS.P50 < 2 {
			t.Errorf("%s: p50 %v ms; want at least the 2 ms delay", r.Strategy, r.LatencyMS.P50)
		}
	}
	if len(file.Runs) != 2 {
		t.Errorf("%d runs; want 2", len(file.Runs))
	}
}

// TestBenchAnyServer measures a server netio did not write (--url) and a
// running mock server (--target): no ideal for the first, whose delay is
// unknown; ground truth for the second.
func TestBenchAnyServer(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "<p>no weather here</p>")
	}))
	defer plain.Close()
	mock, err := mockserver.Start(mockserver.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer mock.Close()
	urlsFile := filepath.Join(t.TempDir(), "urls.txt")
	os.WriteFile(urlsFile, []byte("# a comment\n"+plain.URL+"/a\n\n"+plain.URL+"/missing\n"), 0o644)

	tests := []struct {
		name           string
		args           []string
		ok, failed     int
		verified       int
		model          string
		wantIdeal      bool
		wantExitStatus int
	}{
		{"url", []string{"--url", plain.URL + "/a", "--url", plain.URL + "/b"}, 20, 0, 0, "unknown", false, 0},
		{"urls file", []string{"--urls", urlsFile}, 10, 10, 0, "unknown", false, 0},
		{"target", []string{"--target", mock.URL(), "--latency", "1ms"}, 20, 0, 20, "fixed:1ms", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"bench", "--strategy", "epoll", "--n", "20", "--count", "1", "--concurrency", "4", "--out", t.TempDir(), "--json", "-"}, tt.args...)
			stdout, stderr, code := runCmd(args...)
			if code != tt.wantExitStatus || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			var file results.File
			if err := json.Unmarshal([]byte(stdout), &file); err != nil || len(file.Runs) != 1 {
				t.Fatalf("run.json: %v, %+v", err, file)
			}
			r := file.Runs[0]
			if r.OK != tt.ok || r.Failed != tt.failed || r.Verified != tt.verified || r.LatencyModel != tt.model || (r.IdealS != nil) != tt.wantIdeal {
				t.Errorf("ok %d failed %d verified %d model %s ideal %v; want %d, %d, %d, %s, ideal %v",
					r.OK, r.Failed, r.Verified, r.LatencyModel, r.IdealS, tt.ok, tt.failed, tt.verified, tt.model, tt.wantIdeal)
			}
		})
	}
}

// TestServeStopsWhenStdinCloses is the bench's lifeline to its mock server:
// the server exits when the pipe on its stdin closes, as it does when the
// bench that started it dies, however it dies.
func TestServeStopsWhenStdinCloses(t *testing.T) {
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--stop-on-stdin-eof")
	lifeline, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	proc, err := serverproc.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Close()
	lifeline.Close()
	select {
	case <-proc.Exited():
	case <-time.After(5 * time.Second):
		t.Fatal("the server still runs 5 s after its stdin closed")
	}
}

func TestBenchCPUProfile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profiles")
	_, stderr, code := runCmd("bench", "--strategy", "epoll,pool", "--n", "30", "--latency", "1ms", "--count", "1", "--out", t.TempDir(), "--cpuprofile", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, name := range []string{"01-epoll-c100-p", "02-pool-c100-p"} {
		matches, _ := filepath.Glob(filepath.Join(dir, name+"*-n30-fixed1ms.pprof"))
		if len(matches) != 1 {
			t.Fatalf("%s*: %d files in %s; want one profile per point", name, len(matches), dir)
		}
		b, err := os.ReadFile(matches[0])
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b { // pprof writes gzip
			t.Errorf("%s: %v, %d bytes; want a gzipped pprof profile", matches[0], err, len(b))
		}
	}
}
