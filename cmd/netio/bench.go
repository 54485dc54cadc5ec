package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
	"github.com/netio-lab/netio/strategies"
)

const benchSynopsis = `netio bench [flags]

Measures fetch strategies side by side: throughput, efficiency against the
ideal time, latency percentiles, and what the client itself spent per
request (goroutines, OS threads, context switches, CPU, memory). Every
answer is checked against the mock server's ground truth.

With no --target or --url, a mock NOAA server is started in a process of its
own. Each strategy, at each point of a sweep, runs in a fresh child process:
a cold pass (connections opened inside it, not counted), then --count
measured passes. Sweeps take lists: --concurrency 1,10,100,1000.

Results go to a new folder under --out: run.json (every figure; see
docs/results.md) and bench.txt (Go benchmark format: benchstat a/bench.txt
b/bench.txt). Ctrl-C stops and keeps the completed runs.`

// benchFlags are the bench command's flags.
type benchFlags struct {
	strategy    string
	n           intList
	concurrency intList
	procs       intList
	latency     durationList
	dist        string
	jitter      time.Duration
	p99         time.Duration
	mode        string
	rate        floatList
	duration    time.Duration
	count       int
	timeout     time.Duration
	seed        int64
	target      string
	urls        stringList
	urlsFile    string
	out         string
	jsonFile    string
	quiet       bool
	profileDir  string
}

func (f *benchFlags) register(fs *flag.FlagSet) {
	f.n, f.concurrency, f.latency = intList{1000}, intList{100}, durationList{5 * time.Millisecond}
	fs.StringVar(&f.strategy, "strategy", "all", "strategies to measure: all, or `a,b,…` of "+strings.Join(strategies.Names(), ", "))
	fs.Var(&f.n, "n", "requests per pass, closed mode (`list`: a sweep)")
	fs.Var(&f.concurrency, "concurrency", "requests in flight at most (`list`: a sweep); ignored by sequential and perrequest")
	fs.Var(&f.procs, "gomaxprocs", "GOMAXPROCS of each child (`list`: a sweep, such as 1,2); default: Go's, this machine's cores")
	fs.Var(&f.latency, "latency", "injected delay per page (`list`: a sweep): fixed value, or the centre/median of --dist")
	fs.StringVar(&f.dist, "dist", "fixed", "delay distribution: "+strings.Join(mockserver.Distributions, ", "))
	fs.DurationVar(&f.jitter, "jitter", 0, "uniform half-width or normal standard deviation, with --dist")
	fs.DurationVar(&f.p99, "p99", 0, "99th percentile of the delay, for --dist lognormal or pareto")
	fs.StringVar(&f.mode, "mode", results.ModeClosed, "workload: closed (N requests, C at once) or open (--rate arrivals per second for --duration)")
	fs.Var(&f.rate, "rate", "arrivals per second, open mode (`list`: a sweep)")
	fs.DurationVar(&f.duration, "duration", 5*time.Second, "how long arrivals go on, open mode")
	fs.IntVar(&f.count, "count", 3, "measured repetitions per point, after a cold pass")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.Int64Var(&f.seed, "seed", 1, "the mock server's seed (with --target: the seed that server was started with)")
	fs.StringVar(&f.target, "target", "", "base `URL` of a running netio mock server, instead of starting one")
	fs.Var(&f.urls, "url", "fetch this `URL` from any HTTP/1.1 server (repeatable; N requests in all, cycling)")
	fs.StringVar(&f.urlsFile, "urls", "", "`file` of URLs to fetch, one per line, like --url")
	fs.StringVar(&f.out, "out", filepath.Join("results", "runs"), "`folder` under which each bench writes a new folder of results")
	fs.StringVar(&f.jsonFile, "json", "", "also write run.json to this `file` (- for standard output)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fs.StringVar(&f.profileDir, "cpuprofile", "", "write a CPU profile of each point's measured passes into this `folder` (go tool pprof FILE)")
}

func runBench(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	var f benchFlags
	fs := newFlagSet("bench")
	f.register(fs)
	if helped, err := parseFlagsOnly(fs, args, stdout, benchSynopsis); helped || err != nil {
		return err
	}
	infos, err := f.validate(givenFlags(fs))
	if err != nil {
		return err
	}
	pages, err := f.pageURLs()
	if err != nil {
		return err
	}
	if err := f.checkReachable(ctx, pages); err != nil {
		return err
	}
	if f.profileDir != "" {
		if err := os.MkdirAll(f.profileDir, 0o755); err != nil {
			return usageErrorf("netio bench: --cpuprofile: %v", unwrapPath(err))
		}
	}
	folder, err := results.Prepare(f.out)
	if err != nil {
		return usageErrorf("netio bench: --out %q: %v", f.out, unwrapPath(err))
	}
	b := &benchRun{flags: f, infos: infos, stdout: stdout, stderr: stderr, folder: folder}
	return b.run(ctx, pages)
}

// validate checks every flag before anything starts, and returns the
// strategies to measure in teaching order.
func (f *benchFlags) validate(given map[string]bool) ([]strategies.Info, error) {
	infos, err := f.strategies()
	if err != nil {
		return nil, err
	}
	checks := []struct {
		bad bool
		msg string
	}{
		{slices.ContainsFunc(f.n, func(n int) bool { return n <= 0 }), "--n must be at least 1"},
		{slices.ContainsFunc(f.concurrency, func(c int) bool { return c <= 0 }), "--concurrency must be at least 1"},
		{slices.ContainsFunc(f.procs, func(p int) bool { return p <= 0 }), "--gomaxprocs must be at least 1"},
		{f.count <= 0, "--count must be at least 1"},
		{f.timeout <= 0, "--timeout must be positive"},
		{f.mode != results.ModeClosed && f.mode != results.ModeOpen, fmt.Sprintf("--mode must be closed or open, got %q", f.mode)},
		{given["rate"] && f.mode != results.ModeOpen, "--rate needs --mode open"},
		{given["duration"] && f.mode != results.ModeOpen, "--duration needs --mode open"},
		{f.mode == results.ModeOpen && len(f.rate) == 0, "--mode open needs --rate"},
		{slices.ContainsFunc(f.rate, func(r float64) bool { return !(r > 0) || math.IsInf(r, 0) }), "--rate must be a positive number"},
		{f.mode == results.ModeOpen && f.duration <= 0, "--duration must be positive"},
		{f.mode == results.ModeOpen && slices.ContainsFunc(f.rate, func(r float64) bool { return r*f.duration.Seconds() > maxOpenRequests }),
			fmt.Sprintf("--rate × --duration makes more than %d requests a pass: lower one of them", maxOpenRequests)},
		{f.mode == results.ModeOpen && slices.ContainsFunc(f.rate, func(r float64) bool { return harness.Open{Rate: r, Duration: f.duration}.Count() == 0 }),
			"--rate × --duration makes no request: raise one of them"},
		{hasDuplicate(f.n) || hasDuplicate(f.concurrency) || hasDuplicate(f.procs) || hasDuplicate(f.latency) || hasDuplicate(f.rate), "a list (--n, --concurrency, --gomaxprocs, --latency, --rate) names a value twice"},
		{given["n"] && f.mode == results.ModeOpen, "--n is for --mode closed: an open run makes rate × duration requests"},
		{f.target != "" && f.fetchesURLs(), "--target and --url/--urls exclude each other"},
		{f.fetchesURLs() && (given["latency"] || given["dist"]), "--latency and --dist need the mock server: not with --url"},
	}
	for _, c := range checks {
		if c.bad {
			return nil, usageErrorf("netio bench: %s", c.msg)
		}
	}
	for _, l := range f.latency {
		m := mockserver.Model{Delay: f.delay(l)}
		if err := m.Validate(); err != nil {
			return nil, usageErrorf("netio bench: %v", flagNames(err))
		}
		if l > mockserver.DefaultMaxDelay {
			return nil, usageErrorf("netio bench: --latency must be at most %v, got %v", mockserver.DefaultMaxDelay, l)
		}
	}
	if f.target != "" {
		if _, err := baseURL(f.target); err != nil {
			return nil, usageErrorf("netio bench: --target: %v", err)
		}
	}
	if f.jsonFile != "" && f.jsonFile != "-" {
		if err := results.CheckWritable(f.jsonFile); err != nil {
			return nil, usageErrorf("netio bench: --json %s: %v", f.jsonFile, strings.TrimPrefix(err.Error(), "results: "))
		}
	}
	return infos, nil
}

// fetchesURLs reports whether the bench fetches --url/--urls pages rather
// than the mock server's.
func (f *benchFlags) fetchesURLs() bool { return len(f.urls) > 0 || f.urlsFile != "" }

// maxOpenRequests bounds an open pass: its jobs are made up front, and a
// typo such as --rate 1e12 must be an error, not an out-of-memory crash.
const maxOpenRequests = 100_000_000

// silence is how long a child may report no finished request before it
// is taken for hung: a request's timeout, the longest gap between two
// arrivals in open mode, and room for a slow start.
func (f *benchFlags) silence() time.Duration {
	s := f.timeout + 30*time.Second
	if f.mode == results.ModeOpen && len(f.rate) > 0 {
		s += time.Duration(float64(time.Second) / slices.Min(f.rate))
	}
	return s
}

func hasDuplicate[T comparable](list []T) bool {
	seen := map[T]bool{}
	for _, v := range list {
		if seen[v] {
			return true
		}
		seen[v] = true
	}
	return false
}

// strategies resolves --strategy; a name given twice is a mistake.
func (f *benchFlags) strategies() ([]strategies.Info, error) {
	if f.strategy == "all" {
		return strategies.All(), nil
	}
	var infos []strategies.Info
	for name := range strings.SplitSeq(f.strategy, ",") {
		info, err := strategies.Lookup(strings.TrimSpace(name))
		if err != nil {
			return nil, usageErrorf("netio bench: unknown strategy %q (valid: all, %s)", name, strings.Join(strategies.Names(), ", "))
		}
		if slices.ContainsFunc(infos, func(i strategies.Info) bool { return i.Name == info.Name }) {
			return nil, usageErrorf("netio bench: --strategy names %s twice", info.Name)
		}
		infos = append(infos, info)
	}
	return infos, nil
}

func (f *benchFlags) delay(l time.Duration) mockserver.Delay {
	d := mockserver.Delay{Latency: mockserver.Duration(l), Jitter: mockserver.Duration(f.jitter), P99: mockserver.Duration(f.p99)}
	if f.dist != "fixed" {
		d.Dist = f.dist
	}
	return d
}

// latencyModel names a delay for the record, and its fixed value when it
// is fixed (else -1): "fixed:5ms", "lognormal:20ms:p99:200ms".
func (f *benchFlags) latencyModel(l time.Duration) (string, time.Duration) {
	switch {
	case f.fetchesURLs():
		return "unknown", -1
	case f.dist == "fixed" && f.jitter == 0:
		return "fixed:" + l.String(), l
	case f.dist == "lognormal" || f.dist == "pareto":
		return fmt.Sprintf("%s:%v:p99:%v", f.dist, l, f.p99), -1
	}
	return fmt.Sprintf("%s:%v:jitter:%v", f.delay(l).DistName(), l, f.jitter), -1
}

// latencyQuery is the query that asks the mock server for delay l on one
// page, so that one server serves every point of a latency sweep.
func (f *benchFlags) latencyQuery(l time.Duration) string {
	q := url.Values{"latency": {l.String()}}
	if d := f.delay(l); d.Dist != "" || f.jitter > 0 {
		q.Set("dist", d.DistName())
		q.Set("jitter", f.jitter.String())
		q.Set("p99", f.p99.String())
	}
	return "?" + q.Encode()
}

// pageURLs returns the --url and --urls list, or nil for the mock server's
// pages (made per point, with the latency query).
func (f *benchFlags) pageURLs() ([]string, error) {
	list := slices.Clone([]string(f.urls))
	if f.urlsFile != "" {
		b, err := os.ReadFile(f.urlsFile)
		if err != nil {
			return nil, usageErrorf("netio bench: --urls: %v", unwrapPath(err))
		}
		for line := range strings.Lines(string(b)) {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				list = append(list, line)
			}
		}
		if len(list) == 0 {
			return nil, usageErrorf("netio bench: --urls %s: no URLs in it", f.urlsFile)
		}
	}
	for _, u := range list {
		if _, err := baseURL(u); err != nil {
			return nil, usageErrorf("netio bench: --url %q: %v", u, err)
		}
	}
	return list, nil
}

// checkReachable dials every host the bench will fetch from, so that a
// typo fails now, with exit status 2, before anything is written.
func (f *benchFlags) checkReachable(ctx context.Context, pages []string) error {
	hosts := map[string]bool{}
	for _, s := range append(slices.Clone(pages), f.target) {
		if s == "" {
			continue
		}
		u, _ := baseURL(s)
		hosts[hostPort(u)] = true
	}
	for host := range hosts {
		d := net.Dialer{Timeout: 3 * time.Second}
		c, err := d.DialContext(ctx, "tcp", host)
		if err != nil {
			return usageErrorf("netio bench: cannot reach %s: %v", host, unwrapNet(err))
		}
		c.Close()
	}
	return nil
}

func hostPort(u *url.URL) string {
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "80")
	}
	return u.Host
}

// unwrapNet shortens "dial tcp 127.0.0.1:1: connect: connection refused"
// to "connection refused".
func unwrapNet(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return unwrapNet(op.Err)
	}
	var sys *os.SyscallError
	if errors.As(err, &sys) {
		return sys.Err
	}
	return err
}

// unwrapPath drops the repetition of the path in an *os.PathError.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// intList is a comma-separated list of integers flag.
type intList []int

func (l *intList) String() string { return joinList(*l, strconv.Itoa) }
func (l *intList) Set(s string) error {
	return setList(s, (*[]int)(l), func(p string) (int, error) {
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0, fmt.Errorf("want whole numbers such as 1,10,100, got %q", p)
		}
		return n, nil
	})
}

// floatList is a comma-separated list of numbers flag.
type floatList []float64

func (l *floatList) String() string {
	return joinList(*l, func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) })
}
func (l *floatList) Set(s string) error {
	return setList(s, (*[]float64)(l), func(p string) (float64, error) {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0, fmt.Errorf("want numbers such as 100,1000, got %q", p)
		}
		return v, nil
	})
}

// durationList is a comma-separated list of durations flag.
type durationList []time.Duration

func (l *durationList) String() string { return joinList(*l, time.Duration.String) }
func (l *durationList) Set(s string) error {
	return setList(s, (*[]time.Duration)(l), func(p string) (time.Duration, error) {
		d, err := time.ParseDuration(p)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("want durations such as 0,10ms,50ms, got %q", p)
		}
		return d, nil
	})
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// setList parses a comma-separated list; a flag given again replaces it.
func setList[T any](s string, into *[]T, parse func(string) (T, error)) error {
	var out []T
	for p := range strings.SplitSeq(s, ",") {
		v, err := parse(strings.TrimSpace(p))
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	*into = out
	return nil
}

func joinList[T any](l []T, format func(T) string) string {
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = format(v)
	}
	return strings.Join(parts, ",")
}

// childCommand makes the command of a bench child: this same binary.
func childCommand(ctx context.Context) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.CommandContext(ctx, exe, benchChildCommand)
}

// benchChildCommand is the hidden command of a bench child process; it is
// not for people, so "netio help" does not list it.
const benchChildCommand = "bench-child"

// runBenchChild is the hidden command a bench child runs: a Spec on
// standard input, Messages on standard output.
func runBenchChild(ctx context.Context, stdout, _ io.Writer, _ []string) error {
	return bench.RunChild(ctx, os.Stdin, stdout)
}

// startServer starts the mock server in a process of its own. The server
// stops when its standard input closes: when stop closes it, or when this
// process dies in any way at all, so that no server outlives its bench.
// Its own process group keeps a Ctrl-C at the terminal from reaching it
// before the children that use it have stopped.
func startServer(seed int64) (base string, stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(exe, "serve", "--addr", "127.0.0.1:0", "--seed", strconv.FormatInt(seed, 10), "--stop-on-stdin-eof")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	proc, err := serverproc.Start(cmd) // its stdin is the lifeline --stop-on-stdin-eof watches
	if err != nil {
		return "", nil, err
	}
	return proc.URL, func() { proc.Close() }, nil
}
