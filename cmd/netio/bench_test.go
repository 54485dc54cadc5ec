package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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

// TestBenchBadInput: a mistake on the command line is one line on stderr,
// exit status 2, and nothing written. The flags' checks themselves are
// internal/bench's (TestCheckRefuses); these cases are the command's: its
// flag parsing, the checks it wires to the library (a few of each kind),
// reachability, and its output folders.
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
		{"unknown strategy", []string{"--strategy", "pool,threads"}, `netio bench: unknown strategy "threads"`},
		{"zero concurrency", []string{"--concurrency", "10,0"}, "netio bench: --concurrency must be at least 1"},
		{"not a number", []string{"--n", "ten"}, "want whole numbers"},
		{"rate without open", []string{"--rate", "100"}, "netio bench: --rate needs --mode open"},
		{"bad dist", []string{"--dist", "gaussian"}, "netio bench: --dist (delay.dist): unknown distribution"},
		{"bad target", []string{"--target", "ftp://x"}, "netio bench: --target: want an http:// URL"},
		{"unreachable target", []string{"--target", refused}, "netio bench: cannot reach"},
		{"unreachable url", []string{"--url", refused + "/x"}, "netio bench: cannot reach"},
		{"target and url", []string{"--target", refused, "--url", refused}, "exclude each other"},
		{"missing urls file", []string{"--urls", filepath.Join(t.TempDir(), "none")}, "no such file"},
		{"unwritable out", []string{"--out", filepath.Join(file, "runs")}, "--out"},
		{"argument", []string{"epoll"}, "takes no arguments"},
		{"json is a folder", []string{"--json", t.TempDir()}, "is a folder"},
		{"unwritable json", []string{"--json", filepath.Join(file, "x.json")}, "--json"},
		{"hedging an event loop", []string{"--strategy", "pool,epoll", "--hedge-after", "10ms"}, "epoll cannot hedge (those that can: sequential, perrequest, pool, errgroup)"},
		{"a share without a connection", []string{"--target", "http://127.0.0.1:1", "--segment", "0/3", "--concurrency", "2"}, "--concurrency must be at least 3"},
		{"start-at long past", []string{"--strategy", "pool", "--count", "1", "--start-at", "2026-01-01T00:00:00Z"}, "in the past, more than the run"},
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
// unknown; ground truth for the second, and its own delay model unless a
// delay flag overrides it.
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
		{"target's own model", []string{"--target", mock.URL()}, 20, 0, 20, "fixed:0s", false, 0}, // no delay: no ideal
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

// TestBenchTargetSaysWhoSetTheLatency: with --target, the table's first
// line, run.json and the report say whether the server's own model set
// the delay (read from it, or unknown where it cannot be read) or the
// delay flags did, over it.
func TestBenchTargetSaysWhoSetTheLatency(t *testing.T) {
	mock, err := mockserver.Start(mockserver.Config{Seed: 1, Model: mockserver.Model{
		Delay: mockserver.Delay{Dist: "lognormal", Latency: mockserver.Duration(2 * time.Millisecond), P99: mockserver.Duration(6 * time.Millisecond)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer mock.Close()
	// A netio server that cannot say (one from before /model): the pages
	// pass through, /model is not found.
	upstream, _ := url.Parse(mock.URL())
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.Transport = &http.Transport{}
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == mockserver.ModelPath {
			http.NotFound(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer old.Close()
	defer proxy.Transport.(*http.Transport).CloseIdleConnections()

	tests := []struct {
		name             string
		args             []string
		header           string // in the table's first line
		model            string
		source, override string
		note             string // in report.md
	}{
		{"own model", []string{"--target", mock.URL()}, "latency set by the server: lognormal:2ms:p99:6ms;",
			"lognormal:2ms:p99:6ms", "server", "", "its own model, lognormal:2ms:p99:6ms, read from it"},
		{"unknown", []string{"--target", old.URL}, "latency set by the server, unknown;", "unknown", "server", "", "unknown: it could not be read"},
		{"overridden", []string{"--target", mock.URL(), "--latency", "1ms"}, "latency fixed:1ms (the server's own overridden by --latency);",
			"fixed:1ms", "flags", "--latency", "set by --latency in every page URL"},
		{"overridden, swept", []string{"--target", mock.URL(), "--dist", "uniform", "--latency", "1ms,2ms", "--jitter", "1ms"},
			"latency: the server's own overridden by --latency, --dist, --jitter;", "uniform:1ms:jitter:1ms", "flags", "--latency, --dist, --jitter", "set by --latency, --dist, --jitter in every page URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"bench", "--strategy", "epoll", "--n", "20", "--count", "1", "--concurrency", "4", "--out", out}, tt.args...)
			stdout, stderr, code := runCmd(args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if first, _, _ := strings.Cut(stdout, "\n"); !strings.Contains(first, tt.header) {
				t.Errorf("first line %q; want %q in it", first, tt.header)
			}
			dirs, _ := os.ReadDir(out)
			dir := filepath.Join(out, dirs[0].Name())
			file := readRunJSON(t, filepath.Join(dir, "run.json"))
			if r := file.Runs[0]; r.LatencyModel != tt.model || r.Verified != 20 || file.Settings.LatencySource != tt.source || file.Settings.LatencyOverride != tt.override {
				t.Errorf("run.json: model %q from %q over %q, verified %d; want %q from %q over %q, 20",
					r.LatencyModel, file.Settings.LatencySource, file.Settings.LatencyOverride, r.Verified, tt.model, tt.source, tt.override)
			}
			md, err := os.ReadFile(filepath.Join(dir, "report.md"))
			if err != nil || !strings.Contains(string(md), tt.note) {
				t.Errorf("report.md: %v; want a note with %q:\n%s", err, tt.note, md)
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
