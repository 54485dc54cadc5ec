package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/results"
)

// netioCommand runs this test binary as netio (TestMain), its output to
// the test's log on failure; wrap, when set, runs it inside another
// command (ip netns exec NS).
func netioCommand(t *testing.T, wrap []string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	argv := append(append(append([]string{}, wrap...), exe), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), asNetioEnv+"=1")
	return cmd
}

// splitRun is one run made in shares and once whole, against one server.
type splitRun struct {
	target string
	args   []string   // the bench's settings, without --segment, --start-at, --out
	shares int        // how many
	wraps  [][]string // per share, what runs it (nil: this machine); the whole run uses wraps[0]
}

// run runs the shares together, started at one --start-at, then the
// whole run, and merges the shares. It returns the merged file, the whole
// run's file and the shares' files.
func (s splitRun) run(t *testing.T) (merged, whole results.File, shares []results.File) {
	t.Helper()
	dir := t.TempDir()
	startAt := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)
	var wg sync.WaitGroup
	dirs := make([]string, s.shares)
	outs := make([]string, s.shares) // each share's --out: merge finds the one run folder in it
	for i := range s.shares {
		out := filepath.Join(dir, fmt.Sprintf("share%d", i))
		args := append([]string{"bench", "--target", s.target, "--segment", fmt.Sprintf("%d/%d", i, s.shares), "--start-at", startAt, "--out", out, "--quiet", "--no-report"}, s.args...)
		cmd := netioCommand(t, s.wrap(i), args...)
		wg.Go(func() {
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("share %d: %v\n%s", i, err, b)
			}
		})
		dirs[i], outs[i] = out, out
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for i, out := range dirs {
		entries, _ := os.ReadDir(out)
		if len(entries) != 1 {
			t.Fatalf("share %d: %d folders in %s; want one", i, len(entries), out)
		}
		dirs[i] = filepath.Join(out, entries[0].Name())
		shares = append(shares, readRunJSON(t, filepath.Join(dirs[i], "run.json")))
	}
	wholeOut := filepath.Join(dir, "whole")
	if b, err := netioCommand(t, s.wrap(0), append([]string{"bench", "--target", s.target, "--out", wholeOut, "--quiet", "--no-report"}, s.args...)...).CombinedOutput(); err != nil {
		t.Fatalf("whole run: %v\n%s", err, b)
	}
	entries, _ := os.ReadDir(wholeOut)
	whole = readRunJSON(t, filepath.Join(wholeOut, entries[0].Name(), "run.json"))
	mergedDir := filepath.Join(dir, "merged")
	stdout, stderr, code := runCmd(append([]string{"merge", "--out", mergedDir}, outs...)...)
	if code != 0 {
		t.Fatalf("merge: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	for _, name := range []string{"run.json", "bench.txt", "latency.hlog", "report.html", "report.md"} {
		if _, err := os.Stat(filepath.Join(mergedDir, name)); err != nil {
			t.Errorf("the merge wrote no %s: %v", name, err)
		}
	}
	if _, stderr, code := runCmd("report", mergedDir, "--out", t.TempDir()); code != 0 {
		t.Errorf("netio report on the merge: exit %d, %s", code, stderr)
	}
	return readRunJSON(t, filepath.Join(mergedDir, "run.json")), whole, shares
}

func (s splitRun) wrap(i int) []string {
	if s.wraps == nil {
		return nil
	}
	return s.wraps[i]
}

// checkClosedMerge: the merged run's counts equal the whole run's exactly,
// and its histogram is the shares' histograms added bucket by bucket.
func checkClosedMerge(t *testing.T, merged, whole results.File, shares []results.File) {
	t.Helper()
	if len(merged.Runs) != len(whole.Runs) {
		t.Fatalf("%d merged runs, %d whole; want as many", len(merged.Runs), len(whole.Runs))
	}
	for i, m := range merged.Runs {
		w := whole.Runs[i]
		if m.N != w.N || m.Concurrency != w.Concurrency || m.OK != w.OK || m.Verified != w.Verified || m.Failed != w.Failed || m.Mismatched != w.Mismatched {
			t.Errorf("merged n %d c %d ok %d verified %d failed %d; the whole run's %d %d %d %d %d", m.N, m.Concurrency, m.OK, m.Verified, m.Failed, w.N, w.Concurrency, w.OK, w.Verified, w.Failed)
		}
		got, err := results.DecodeHistogram(m.LatencyHist)
		if err != nil {
			t.Fatal(err)
		}
		want := hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)
		for _, f := range shares {
			h, err := results.DecodeHistogram(f.Runs[i].LatencyHist)
			if err != nil {
				t.Fatal(err)
			}
			for _, bar := range h.Distribution() {
				want.RecordValues(bar.From, bar.Count)
			}
		}
		if !got.Equals(want) || got.TotalCount() != int64(m.N) {
			t.Errorf("merged histogram: %d values, p99 %d µs; the shares' samples: %d, p99 %d µs", got.TotalCount(), got.ValueAtQuantile(99), want.TotalCount(), want.ValueAtQuantile(99))
		}
	}
}

// checkOpenRate: the merged open run's rate, the shares' added over the
// window they shared, is the target's within 2 %.
func checkOpenRate(t *testing.T, merged results.File, rate float64) {
	t.Helper()
	for _, m := range merged.Runs {
		if math.Abs(m.ThroughputRPS-rate) > 0.02*rate || m.Dropped != 0 {
			t.Errorf("merged rate %.1f req/s, dropped %d; want %v ± 2 %%", m.ThroughputRPS, m.Dropped, rate)
		}
	}
}

// TestSplitRunMergesToTheWhole splits a closed and an open run in three
// shares on this machine (three processes, one --start-at) against one
// mock server: merged, the closed run counts what the whole run counts,
// with the shares' histograms added exactly, and the open run's shares'
// rates add up to its rate.
func TestSplitRunMergesToTheWhole(t *testing.T) {
	srv := startServeProcess(t, nil, "127.0.0.1:0")
	// 20 ms pages make each share's measured pass 400 ms long: the shares
	// start their cold passes together, and with 2 ms pages (passes of
	// 40 ms) one whose cold pass a busy machine had slowed began its
	// measured pass after another's had ended, which merge rightly refuses.
	closed := splitRun{target: srv, shares: 3, args: []string{"--strategy", "pool", "--n", "600", "--concurrency", "30", "--latency", "20ms", "--count", "1"}}
	merged, whole, shares := closed.run(t)
	checkClosedMerge(t, merged, whole, shares)
	open := splitRun{target: srv, shares: 3, args: []string{"--strategy", "epoll", "--mode", "open", "--rate", "300", "--duration", "2s", "--latency", "2ms", "--count", "1", "--concurrency", "30"}}
	merged, _, _ = open.run(t)
	checkOpenRate(t, merged, 300)
}

// startServeProcess runs netio serve (this binary) at addr, inside wrap if
// set, until the test ends, and returns its base URL.
func startServeProcess(t *testing.T, wrap []string, addr string) string {
	t.Helper()
	proc, err := serverproc.Start(netioCommand(t, wrap, "serve", "--addr", addr, "--seed", "1", "--stop-on-stdin-eof"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Close() })
	return proc.URL
}

// TestMergeBadInput: what cannot be merged is refused in one line, exit
// 2, and nothing is written.
func TestMergeBadInput(t *testing.T) {
	dir := t.TempDir()
	share := func(name string, index, of int, seed int64) string {
		f := results.File{Version: results.Version, Env: results.Env{Commit: "abc"},
			Settings: results.Settings{Seed: seed, Segment: &results.Segment{Index: index, Of: of}}, Runs: []results.Run{}}
		if of == 0 {
			f.Settings.Segment = nil
		}
		path := filepath.Join(dir, name)
		os.MkdirAll(path, 0o755)
		if err := results.WriteFileAtomic(filepath.Join(path, "run.json"), func(w io.Writer) error { return results.WriteJSON(w, f) }); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a, b, c := share("a", 0, 2, 1), share("b", 1, 2, 1), share("c", 1, 2, 9)
	whole, three := share("whole", 0, 0, 1), share("three", 2, 3, 1)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"one folder", []string{a}, "at least two shares, got 1"},
		{"no --out", []string{a, b}, "--out DIR is required"},
		{"not a share", []string{a, whole}, "is not a share of a split run"},
		{"another seed", []string{a, c}, "differ in seed"},
		{"a share missing", []string{a, three}, "want all"},
		{"no run.json", []string{a, dir}, "run.json"},
		{"--out exists", []string{a, b, "--out", dir}, "exists already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged")
			args := append([]string{"merge"}, tt.args...)
			if tt.name != "no --out" && tt.name != "--out exists" {
				args = append(args, "--out", out)
			}
			stdout, stderr, code := runCmd(args...)
			if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line with %q", code, stdout, stderr, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written; bad input must write nothing", out)
			}
		})
	}
}

// TestServeListensWhereTold: netio serve listens on loopback unless given
// another address, and then says on stderr that other machines can reach
// it; its admin API is refused on a non-loopback address unless allowed
// explicitly.
func TestServeListensWhereTold(t *testing.T) {
	fs := newFlagSet("serve")
	var f serveFlags
	f.register(fs)
	if addr := fs.Lookup("addr").DefValue; !isLoopback(addr) {
		t.Errorf("default --addr %s; want a loopback address", addr)
	}
	for _, addr := range []string{"127.0.0.1:0", "0.0.0.0:0"} {
		cmd := netioCommand(t, nil, "serve", "--addr", addr, "--stop-on-stdin-eof")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		proc, err := serverproc.Start(cmd) // returns once it listens
		if err != nil {
			t.Fatal(err)
		}
		proc.Close()
		warned := strings.Contains(stderr.String(), "reachable from other machines")
		if warned != (addr == "0.0.0.0:0") {
			t.Errorf("--addr %s: stderr %q; want the warning exactly when not on loopback", addr, stderr.String())
		}
	}
	_, stderr, code := runCmd("serve", "--admin-addr", "0.0.0.0:0")
	if code != 2 || !strings.Contains(stderr, "not a loopback address") {
		t.Errorf("admin API on 0.0.0.0: exit %d, %q; want 2, refused", code, stderr)
	}
}

// TestLateShareSaysSo: a share whose --start-at has passed when it gets
// going (by 2.5 s, so that its measured pass, due 2 s after the start, is
// half a second late) says so under its table, and counts the arrivals
// that were due before it began as late.
func TestLateShareSaysSo(t *testing.T) {
	srv := startServeProcess(t, nil, "127.0.0.1:0")
	startAt := time.Now().Add(-2500 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	stdout, stderr, code := runCmd("bench", "--target", srv, "--strategy", "pool", "--mode", "open", "--rate", "200", "--duration", "1s",
		"--latency", "1ms", "--count", "1", "--concurrency", "20", "--segment", "0/2", "--start-at", startAt, "--out", t.TempDir(), "--no-report")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	if !regexp.MustCompile(`START-AT .* \(segment 0/2\): the latest pass began \d+ ms late`).MatchString(stdout) {
		t.Errorf("the table does not say the share began late:\n%s", stdout)
	}
	if m := regexp.MustCompile(`(?m)^\s+pool .* (\d+)\s+(\d+)\s*$`).FindStringSubmatch(stdout); m == nil || m[1] == "0" {
		t.Errorf("LATE column %v; want the arrivals due before the pass began counted late:\n%s", m, stdout)
	}
}

// TestLateClosedShareSaysSo: a closed share whose --start-at has passed
// says how late it began (its first pass's lateness, on its runs).
func TestLateClosedShareSaysSo(t *testing.T) {
	srv := startServeProcess(t, nil, "127.0.0.1:0")
	startAt := time.Now().Add(-5 * time.Second).UTC().Format(time.RFC3339Nano)
	stdout, stderr, code := runCmd("bench", "--target", srv, "--strategy", "pool", "--n", "100", "--concurrency", "10", "--latency", "1ms",
		"--count", "1", "--segment", "1/2", "--start-at", startAt, "--out", t.TempDir(), "--no-report")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	m := regexp.MustCompile(`START-AT .* \(segment 1/2\): the latest pass began (\d+) ms late`).FindStringSubmatch(stdout)
	if m == nil || len(m[1]) < 4 { // about 5,000 ms
		t.Errorf("the table does not say the share began about 5 s late:\n%s", stdout)
	}
}
