package bench_test

import (
	"context"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/results"
)

// cliDefaults are netio bench's flags with nothing given.
func cliDefaults() bench.Flags {
	return bench.Flags{
		Strategy: "all", N: []int{1000}, Concurrency: []int{100}, Latency: []time.Duration{5 * time.Millisecond}, Dist: "fixed",
		Mode: results.ModeClosed, Duration: 5 * time.Second, Count: 3, Timeout: 10 * time.Second, Seed: 1,
	}
}

// TestCheckRefuses: every mistake Check finds is a *FlagError whose
// message names the flag, without the command's name (the command puts
// "netio bench: " before it). cmd/netio's TestBenchBadInput checks that
// the command makes them one line and exit status 2.
func TestCheckRefuses(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o644)
	tests := []struct {
		name  string
		given []string // flags given on the command line, by name
		set   func(f *bench.Flags)
		want  string
	}{
		{"unknown strategy", nil, func(f *bench.Flags) { f.Strategy = "pool,threads" }, `unknown strategy "threads" (valid: all, sequential`},
		{"repeated strategy", nil, func(f *bench.Flags) { f.Strategy = "pool,pool" }, "--strategy names pool twice"},
		{"zero concurrency", nil, func(f *bench.Flags) { f.Concurrency = []int{10, 0} }, "--concurrency must be at least 1"},
		{"zero n", nil, func(f *bench.Flags) { f.N = []int{0} }, "--n must be at least 1"},
		{"zero gomaxprocs", nil, func(f *bench.Flags) { f.GOMAXPROCS = []int{0} }, "--gomaxprocs must be at least 1"},
		{"zero count", nil, func(f *bench.Flags) { f.Count = 0 }, "--count must be at least 1"},
		{"zero timeout", nil, func(f *bench.Flags) { f.Timeout = 0 }, "--timeout must be positive"},
		{"bad mode", nil, func(f *bench.Flags) { f.Mode = "half-open" }, `--mode must be closed or open, got "half-open"`},
		{"rate without open", []string{"rate"}, func(f *bench.Flags) { f.Rate = []float64{100} }, "--rate needs --mode open"},
		{"duration without open", []string{"duration"}, func(f *bench.Flags) {}, "--duration needs --mode open"},
		{"open without rate", nil, func(f *bench.Flags) { f.Mode = results.ModeOpen }, "--mode open needs --rate"},
		{"NaN rate", nil, func(f *bench.Flags) { f.Mode, f.Rate = results.ModeOpen, []float64{math.NaN()} }, "--rate must be a positive number"},
		{"no arrivals", nil, func(f *bench.Flags) { f.Mode, f.Rate, f.Duration = results.ModeOpen, []float64{0.1}, time.Second }, "makes no request: raise one of them"},
		{"zero duration", nil, func(f *bench.Flags) { f.Mode, f.Rate, f.Duration = results.ModeOpen, []float64{100}, 0 }, "--duration must be positive"},
		{"huge open pass", nil, func(f *bench.Flags) { f.Mode, f.Rate = results.ModeOpen, []float64{1e12} }, "makes more than 100000000 requests a pass"},
		{"n in open mode", []string{"n"}, func(f *bench.Flags) { f.Mode, f.Rate = results.ModeOpen, []float64{100} }, "--n is for --mode closed"},
		{"repeated value", nil, func(f *bench.Flags) { f.Concurrency = []int{10, 10} }, "names a value twice"},
		{"bad dist", []string{"dist"}, func(f *bench.Flags) { f.Dist = "gaussian" }, `--dist (delay.dist): unknown distribution "gaussian"`},
		{"lognormal without p99", []string{"dist"}, func(f *bench.Flags) { f.Dist = "lognormal" }, "lognormal needs a median"},
		{"latency past the cap", []string{"latency"}, func(f *bench.Flags) { f.Latency = []time.Duration{2 * time.Minute} }, "--latency must be at most 1m0s"},
		{"slow without two-level", []string{"slow"}, func(f *bench.Flags) { f.Slow = time.Second }, "--slow and --slow-share are for --dist two-level"},
		{"two-level without a share", []string{"dist", "slow"}, func(f *bench.Flags) { f.Dist, f.Slow = "two-level", time.Second }, "--slow-share (delay.slow_share)"},
		{"hedging an event loop", nil, func(f *bench.Flags) { f.Strategy, f.HedgeAfter = "pool,epoll", 10*time.Millisecond },
			"--hedge-after: epoll cannot hedge (those that can: sequential, perrequest, pool, errgroup)"},
		{"hedge after the timeout", nil, func(f *bench.Flags) { f.Strategy, f.HedgeAfter, f.Timeout = "pool", 2*time.Second, time.Second }, "--hedge-after (2s) must be shorter than --timeout (1s)"},
		{"negative hedge", nil, func(f *bench.Flags) { f.HedgeAfter = -1 }, "--hedge-after must not be negative"},
		{"bad target", nil, func(f *bench.Flags) { f.Target = "ftp://x" }, "--target: want an http:// URL"},
		{"target and url", nil, func(f *bench.Flags) { f.Target, f.URLs = "http://127.0.0.1:1", []string{"http://127.0.0.1:1/x"} }, "--target and --url/--urls exclude each other"},
		{"latency with url", []string{"latency"}, func(f *bench.Flags) { f.URLs = []string{"http://127.0.0.1:1/x"} }, "--latency and --dist need the mock server: not with --url"},
		{"bad url", nil, func(f *bench.Flags) { f.URLs = []string{"localhost:8080/x"} }, `--url "localhost:8080/x": want an http:// URL`},
		{"missing urls file", nil, func(f *bench.Flags) { f.URLsFile = filepath.Join(t.TempDir(), "none") }, "no such file"},
		{"empty urls file", nil, func(f *bench.Flags) { f.URLsFile = emptyFile(t) }, "no URLs in it"},
		{"json is a folder", nil, func(f *bench.Flags) { f.JSON = t.TempDir() }, "is a folder"},
		{"unwritable json", nil, func(f *bench.Flags) { f.JSON = filepath.Join(file, "x.json") }, "--json " + filepath.Join(file, "x.json")},
		{"segment past the shares", nil, func(f *bench.Flags) { f.Segment = "3/2" }, "--segment 3/2: want I/N"},
		{"no shares", nil, func(f *bench.Flags) { f.Segment = "0/0" }, "--segment 0/0: want I/N"},
		{"a share without a connection", nil, func(f *bench.Flags) { f.Target, f.Segment, f.Concurrency = "http://127.0.0.1:1", "0/3", []int{2} },
			"--segment 0/3: --concurrency must be at least 3"},
		{"a share without a request", nil, func(f *bench.Flags) { f.Target, f.Segment, f.N = "http://127.0.0.1:1", "0/3", []int{2} }, "each share needs a request"},
		{"a share of no server", nil, func(f *bench.Flags) { f.Segment = "0/3" }, "--segment needs --target (or --url)"},
		{"closed start-at with repetitions", nil, func(f *bench.Flags) { f.Strategy, f.StartAt, f.Count = "pool", "2099-01-01T00:00:00Z", 2 }, "takes --count 1"},
		{"start-at unreadable", nil, func(f *bench.Flags) { f.Strategy, f.StartAt = "pool", "noon" }, "--start-at noon: want an RFC 3339 time"},
		{"start-at long past", nil, func(f *bench.Flags) { f.Strategy, f.Count, f.StartAt = "pool", 1, "2026-01-01T00:00:00Z" }, "in the past, more than the run"},
		{"start-at for many points", nil, func(f *bench.Flags) { f.Strategy, f.Count, f.StartAt = "pool,epoll", 1, "2099-01-01T00:00:00Z" }, "--start-at runs one point"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cliDefaults()
			f.Given = map[string]bool{}
			for _, name := range tt.given {
				f.Given[name] = true
			}
			tt.set(&f)
			_, _, err := f.Check()
			var fe *bench.FlagError
			if !errors.As(err, &fe) || !strings.Contains(fe.Msg, tt.want) || strings.HasPrefix(fe.Msg, "netio") || strings.Contains(fe.Msg, "\n") {
				t.Errorf("Check = %v; want a *bench.FlagError of one line with %q", err, tt.want)
			}
		})
	}
}

func emptyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "urls.txt")
	os.WriteFile(path, []byte("# only a comment\n\n"), 0o644)
	return path
}

// TestCheckTargetDelay: with --target, the plan asks for a delay only when
// a delay flag is given; then it says which flags overrode the server.
func TestCheckTargetDelay(t *testing.T) {
	tests := []struct {
		name        string
		target      string
		given       []string
		wantLatency []time.Duration
		wantFlags   []string
	}{
		{"own server", "", nil, []time.Duration{5 * time.Millisecond}, nil},
		{"own server, --latency", "", []string{"latency"}, []time.Duration{5 * time.Millisecond}, nil},
		{"target", "http://127.0.0.1:9", nil, nil, nil},
		{"target, --latency", "http://127.0.0.1:9", []string{"latency"}, []time.Duration{5 * time.Millisecond}, []string{"--latency"}},
		{"target, --dist --p99", "http://127.0.0.1:9", []string{"p99", "dist"}, []time.Duration{5 * time.Millisecond}, []string{"--dist", "--p99"}},
		{"target, other flags", "http://127.0.0.1:9", []string{"n", "concurrency", "seed"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cliDefaults()
			f.Strategy, f.Target, f.Given = "pool", tt.target, map[string]bool{}
			for _, name := range tt.given {
				f.Given[name] = true
			}
			if f.Given["dist"] {
				f.Dist, f.P99 = "lognormal", 50*time.Millisecond
			}
			p, leftOut, err := f.Check()
			if err != nil || len(leftOut) != 0 {
				t.Fatalf("Check = %v, %v", err, leftOut)
			}
			if !slices.Equal(p.Latency, tt.wantLatency) || !slices.Equal(p.DelayFlags, tt.wantFlags) || p.Target != tt.target || !slices.Equal(p.Strategies, []string{"pool"}) {
				t.Errorf("plan latency %v, delay flags %v, target %q, strategies %v; want %v, %v, %q, [pool]", p.Latency, p.DelayFlags, p.Target, p.Strategies, tt.wantLatency, tt.wantFlags, tt.target)
			}
		})
	}
}

// TestCheckMakesThePlan: the flags land in the plan's fields, the URLs
// file read, the segment and start time parsed.
func TestCheckMakesThePlan(t *testing.T) {
	urls := filepath.Join(t.TempDir(), "urls.txt")
	os.WriteFile(urls, []byte("# pages\nhttp://127.0.0.1:9/a\n\n  http://127.0.0.1:9/b  \n"), 0o644)
	f := cliDefaults()
	f.Strategy, f.URLs, f.URLsFile, f.Mode, f.Rate, f.Concurrency = "epoll,pool", []string{"http://127.0.0.1:9/x"}, urls, results.ModeOpen, []float64{300}, []int{4}
	f.Segment, f.StartAt, f.Count, f.Strategy = "1/2", "2099-01-01T00:00:00Z", 1, "pool"
	f.Given = map[string]bool{"rate": true}
	p, _, err := f.Check()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"http://127.0.0.1:9/x", "http://127.0.0.1:9/a", "http://127.0.0.1:9/b"}; !slices.Equal(p.URLs, want) {
		t.Errorf("URLs %v; want %v", p.URLs, want)
	}
	if p.Segment.Index != 1 || p.Segment.Of != 2 || p.StartAt.Year() != 2099 || p.Mode != results.ModeOpen || p.Rate[0] != 300 || p.Duration != 5*time.Second {
		t.Errorf("segment %+v, start %v, mode %s, rate %v, duration %v; want the flags'", p.Segment, p.StartAt, p.Mode, p.Rate, p.Duration)
	}
}

// TestCheckReachable: a Target or URL with nothing listening is a
// *FlagError naming the host and the cause; one that listens is fine.
func TestCheckReachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := "http://" + ln.Addr().String()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := closed.Addr().String()
	closed.Close()
	defer ln.Close()
	if err := (bench.Plan{Target: open}).CheckReachable(context.Background()); err != nil {
		t.Errorf("a listening target: %v", err)
	}
	for _, p := range []bench.Plan{{Target: "http://" + refused}, {URLs: []string{open + "/a", "http://" + refused + "/b"}}} {
		var fe *bench.FlagError
		err := p.CheckReachable(context.Background())
		if !errors.As(err, &fe) || !strings.HasPrefix(fe.Msg, "cannot reach "+refused+": ") || strings.Contains(fe.Msg, "dial tcp") {
			t.Errorf("plan %+v: %v; want a FlagError: cannot reach %s: and the cause alone", p, err, refused)
		}
	}
}
