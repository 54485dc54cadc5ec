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
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/report"
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
b/bench.txt), and the report drawn from them: report.html (one file, offline)
and report.md with its charts (see netio report). Ctrl-C stops the point
under way and keeps the completed ones.`

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
	slow        time.Duration
	slowShare   float64
	hedgeAfter  time.Duration
	segment     string
	startAt     string
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
	noReport    bool
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
	fs.DurationVar(&f.slow, "slow", 0, "the slow pages' delay, for --dist two-level")
	fs.Float64Var(&f.slowShare, "slow-share", 0, "the `share` of slow pages, 0 to 1, for --dist two-level (0.01: one in a hundred)")
	fs.DurationVar(&f.hedgeAfter, "hedge-after", 0, "send a second copy of a request not answered after this long, and take the first answer (the net/http strategies: "+strings.Join(hedgingStrategies(), ", ")+")")
	fs.StringVar(&f.segment, "segment", "", "run share `I/N` of the bench (0 ≤ I < N), for a run split over N machines against one --target: closed, a share of --concurrency and the requests through it; open, every N-th arrival of the one schedule (netio merge puts the shares together)")
	fs.StringVar(&f.startAt, "start-at", "", "begin at this `time` (RFC 3339, such as 2026-12-04T12:00:00Z), so that the shares on several machines run together; one point only, and --count 1 in closed mode")
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
	fs.BoolVar(&f.noReport, "no-report", false, "do not write report.html and report.md into the run's folder")
	fs.StringVar(&f.profileDir, "cpuprofile", "", "write a CPU profile of each point's measured passes into this `folder` (go tool pprof FILE)")
}

func runBench(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	var f benchFlags
	fs := newFlagSet("bench")
	f.register(fs)
	if helped, err := parseFlagsOnly(fs, args, stdout, benchSynopsis); helped || err != nil {
		return err
	}
	infos, leftOut, err := f.validate(givenFlags(fs))
	if err != nil {
		return err
	}
	for _, why := range leftOut {
		fmt.Fprintln(stderr, "netio bench: "+why)
	}
	plan, err := f.plan(infos)
	if err != nil {
		return err
	}
	if err := checkReachable(ctx, append(slices.Clone(plan.URLs), plan.Target)); err != nil {
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
	opt := bench.Options{Child: childCommand, Server: serverCommand, Command: os.Args}
	var bar *bench.ProgressBar
	if !f.quiet && isTerminal(stderr) {
		bar = bench.NewProgressBar(stderr)
		opt.Progress = bar.Update
	}
	file, err := bench.Run(ctx, plan, opt)
	if bar != nil {
		bar.Finish()
	}
	if err != nil && !file.Interrupted { // the bench could not start
		folder.Abort()
		return fmt.Errorf("netio bench: %w", err)
	}
	return f.report(stdout, folder, file, infos)
}

// plan turns the checked flags into the library's plan.
func (f *benchFlags) plan(infos []strategies.Info) (bench.Plan, error) {
	urls, err := f.pageURLs()
	if err != nil {
		return bench.Plan{}, err
	}
	p := bench.Plan{
		Mode: f.mode, N: f.n, Concurrency: f.concurrency, GOMAXPROCS: f.procs, Rate: f.rate, Duration: f.duration,
		Count: f.count, Timeout: f.timeout, Seed: f.seed, Target: f.target, URLs: urls, CPUProfileDir: f.profileDir,
		Latency: []time.Duration(f.latency), Dist: f.dist, Jitter: f.jitter, P99: f.p99, Slow: f.slow, SlowShare: f.slowShare,
		HedgeAfter: f.hedgeAfter,
	}
	p.Segment, _ = parseSegment(f.segment) // checked by validate
	p.StartAt, _ = parseStartAt(f.startAt)
	for _, info := range infos {
		p.Strategies = append(p.Strategies, info.Name)
	}
	return p, nil
}

// report writes the results folder and prints the table. An interrupted
// bench still writes the points it completed, then says how many; a bench
// interrupted before its first point ended writes nothing.
func (f *benchFlags) report(stdout io.Writer, folder *results.Folder, file results.File, infos []strategies.Info) error {
	points := completedPoints(file)
	if file.Interrupted && points == 0 && len(file.Failures) == 0 {
		folder.Abort()
		return interruptedf("netio bench: interrupted before the first point was complete: nothing kept")
	}
	dir, err := folder.Commit(f.folderName(file.Env.Date, infos), file)
	if err != nil {
		return fmt.Errorf("netio bench: %w", err)
	}
	if f.jsonFile != "-" {
		results.WriteTable(stdout, file)
		printNotes(stdout, infos)
		fmt.Fprintf(stdout, "\nResults in %s (run.json, bench.txt, latency.hlog)\n", dir)
	}
	if err := f.writeJSON(stdout, file); err != nil {
		return err
	}
	if err := f.writeReport(stdout, dir, file); err != nil {
		return err
	}
	switch {
	case file.Interrupted:
		kept := count(points, "completed point")
		if len(file.Failures) > 0 {
			kept += " and " + count(len(file.Failures), "failed point")
		}
		return interruptedf("netio bench: interrupted: kept %s (%s) in %s", kept, count(len(file.Runs), "run"), dir)
	case len(file.Failures) > 0:
		return fmt.Errorf("netio bench: %d of %d points failed (see the table and run.json)", len(file.Failures), points+len(file.Failures))
	}
	return nil
}

// writeReport draws the run's report into its folder and prints the path
// of report.html, last (on stderr when stdout carries the JSON).
func (f *benchFlags) writeReport(stdout io.Writer, dir string, file results.File) error {
	if f.noReport || len(file.Runs) == 0 {
		return nil
	}
	path, err := report.Write(dir, []string{dir}, []results.File{file})
	if err != nil { // the results are safe: say so, and let the bench's own outcome decide the exit
		fmt.Fprintf(os.Stderr, "netio bench: no report (the results are in %s): %v\n", dir, err)
		return nil
	}
	w := stdout
	if f.jsonFile == "-" {
		w = os.Stderr
	}
	fmt.Fprintf(w, "Report: %s\n", path)
	return nil
}

// completedPoints counts the points that have all their runs: those
// summarized and not failed (a failed point's summary holds the runs its
// child finished before it failed).
func completedPoints(file results.File) int {
	n := 0
	for _, s := range file.Summary {
		if !slices.ContainsFunc(file.Failures, func(f results.Failure) bool { return f.Point == s.Point }) {
			n++
		}
	}
	return n
}

// count spells "1 run", "6 runs".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// writeJSON writes run.json to --json, if given.
func (f *benchFlags) writeJSON(stdout io.Writer, file results.File) error {
	switch f.jsonFile {
	case "":
		return nil
	case "-":
		return results.WriteJSON(stdout, file)
	}
	fill := func(w io.Writer) error { return results.WriteJSON(w, file) }
	if err := results.WriteFileAtomic(f.jsonFile, fill); err != nil {
		return fmt.Errorf("netio bench: --json: %w", unwrapPath(err))
	}
	return nil
}

// folderName is the results folder's name: when (the env's RFC 3339
// date), and what: the strategy when there is one, else "bench".
func (f *benchFlags) folderName(date string, infos []strategies.Info) string {
	t, err := time.Parse(time.RFC3339, date)
	if err != nil {
		t = time.Now().UTC()
	}
	what := "bench"
	if len(infos) == 1 {
		what = infos[0].Name
	}
	return t.Format("2006-01-02T150405Z") + "-" + what
}

// printNotes says which strategies ignore --concurrency.
func printNotes(w io.Writer, infos []strategies.Info) {
	for _, info := range infos {
		if strings.HasPrefix(info.Knob, "ignored") {
			fmt.Fprintf(w, "%s: --concurrency %s.\n", info.Name, info.Knob)
		}
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := file.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// validate checks every flag before anything starts, and returns the
// strategies to measure in teaching order.
func (f *benchFlags) validate(given map[string]bool) (infos []strategies.Info, leftOut []string, err error) {
	infos, leftOut, err = f.strategies()
	if err != nil {
		return nil, nil, err
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
		{f.hedgeAfter < 0, "--hedge-after must not be negative"},
		{f.hedgeAfter > 0 && f.hedgeAfter >= f.timeout, fmt.Sprintf("--hedge-after (%v) must be shorter than --timeout (%v)", f.hedgeAfter, f.timeout)},
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
		{(given["slow"] || given["slow-share"]) && f.dist != "two-level", "--slow and --slow-share are for --dist two-level"},
	}
	for _, c := range checks {
		if c.bad {
			return nil, nil, usageErrorf("netio bench: %s", c.msg)
		}
	}
	if err := f.validateSplit(len(infos)); err != nil {
		return nil, nil, err
	}
	if f.hedgeAfter > 0 {
		if cannot := notHedging(infos); len(cannot) > 0 {
			return nil, nil, usageErrorf("netio bench: --hedge-after: %s cannot hedge (those that can: %s)", strings.Join(cannot, ", "), strings.Join(hedgingStrategies(), ", "))
		}
	}
	delay := bench.Plan{Dist: f.dist, Jitter: f.jitter, P99: f.p99, Slow: f.slow, SlowShare: f.slowShare}.Delay
	for _, l := range f.latency {
		m := mockserver.Model{Delay: delay(l)}
		if err := m.Validate(); err != nil {
			return nil, nil, usageErrorf("netio bench: %v", flagNames(err))
		}
		if l > mockserver.DefaultMaxDelay {
			return nil, nil, usageErrorf("netio bench: --latency must be at most %v, got %v", mockserver.DefaultMaxDelay, l)
		}
	}
	if f.target != "" {
		if _, err := baseURL(f.target); err != nil {
			return nil, nil, usageErrorf("netio bench: --target: %v", err)
		}
	}
	if f.jsonFile != "" && f.jsonFile != "-" {
		if err := results.CheckWritable(f.jsonFile); err != nil {
			return nil, nil, usageErrorf("netio bench: --json %s: %v", f.jsonFile, strings.TrimPrefix(err.Error(), "results: "))
		}
	}
	return infos, leftOut, nil
}

// validateSplit checks --segment and --start-at: a share that exists and
// gets at least one request and one connection, a time that is readable
// and not so far gone that the whole run would be late, and one point
// (strategies × values of the swept settings) to start at it.
func (f *benchFlags) validateSplit(strategyCount int) error {
	seg, err := parseSegment(f.segment)
	if err != nil {
		return usageErrorf("netio bench: --segment %s: %v", f.segment, err)
	}
	counts := []int(f.n)
	if f.mode == results.ModeOpen {
		counts = nil
		for _, r := range f.rate {
			counts = append(counts, harness.Open{Rate: r, Duration: f.duration}.Count())
		}
	}
	// Every share, not only this one, must get a connection and a request:
	// the other shares are this command on other machines.
	switch {
	case f.segment != "" && f.target == "" && !f.fetchesURLs():
		return usageErrorf("netio bench: --segment needs --target (or --url): every share must measure the one server")
	case !seg.Whole() && slices.ContainsFunc(f.concurrency, func(c int) bool { return c < seg.Of }):
		return usageErrorf("netio bench: --segment %s: --concurrency must be at least %d, a connection for each share", f.segment, seg.Of)
	case !seg.Whole() && slices.ContainsFunc(counts, func(n int) bool { return n < seg.Of }):
		return usageErrorf("netio bench: --segment %s: each share needs a request: a pass of at least %d", f.segment, seg.Of)
	}
	if f.startAt == "" {
		return nil
	}
	at, err := parseStartAt(f.startAt)
	if err != nil {
		return usageErrorf("netio bench: --start-at %s: want an RFC 3339 time, such as 2026-12-04T12:00:00Z", f.startAt)
	}
	if f.mode == results.ModeClosed && f.count > 1 {
		return usageErrorf("netio bench: --start-at in closed mode takes --count 1: closed passes last as long as they take, so later ones would drift apart between machines (open mode keeps a timetable)")
	}
	if points := strategyCount * len(f.latency) * len(f.concurrency) * max(1, len(f.procs)) * len(counts); points != 1 {
		return usageErrorf("netio bench: --start-at runs one point (one strategy, one value of each setting); this bench has %d", points)
	}
	// How far in the past the time may be: an open run's whole timetable,
	// or, closed, a minute of clocks that disagree and pods that start slowly.
	run := time.Minute
	if f.mode == results.ModeOpen {
		run = time.Duration(f.count+1) * (f.duration + bench.PassGap)
	}
	if late := time.Since(at); late > run {
		return usageErrorf("netio bench: --start-at %s is %v in the past, more than the run (%v): every pass would be late", f.startAt, late.Round(time.Second), run)
	}
	return nil
}

// parseSegment reads --segment I/N; empty is the whole run.
func parseSegment(s string) (harness.Segment, error) {
	if s == "" {
		return harness.Segment{}, nil
	}
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(i)
	of, err2 := strconv.Atoi(n)
	seg := harness.Segment{Index: index, Of: of}
	if !ok || err1 != nil || err2 != nil || seg.Validate() != nil {
		return seg, errors.New("want I/N, the I-th of N shares, with N ≥ 1 and 0 ≤ I < N")
	}
	return seg, nil
}

// parseStartAt reads --start-at; empty is now.
func parseStartAt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// hedgingStrategies names the strategies that honour --hedge-after.
func hedgingStrategies() []string {
	var names []string
	for _, info := range strategies.All() {
		if info.Hedges {
			names = append(names, info.Name)
		}
	}
	return names
}

// notHedging names the strategies of infos that do not hedge.
func notHedging(infos []strategies.Info) []string {
	var names []string
	for _, info := range infos {
		if !info.Hedges {
			names = append(names, info.Name)
		}
	}
	return names
}

// fetchesURLs reports whether the bench fetches --url/--urls pages rather
// than the mock server's.
func (f *benchFlags) fetchesURLs() bool { return len(f.urls) > 0 || f.urlsFile != "" }

// maxOpenRequests bounds an open pass: a typo such as --rate 1e12 must be
// an error, not a run that would go on for days.
const maxOpenRequests = 100_000_000

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
//
// "all" leaves out the strategies this system cannot run, and returns why
// (the command says so once the flags are all checked); a strategy named
// that cannot run is a usage error.
func (f *benchFlags) strategies() (infos []strategies.Info, leftOut []string, err error) {
	if f.strategy == "all" {
		for _, info := range strategies.All() {
			if err := info.Available(); err != nil {
				leftOut = append(leftOut, fmt.Sprintf("leaving %s out: %s", info.Name, strings.TrimPrefix(err.Error(), "strategies: ")))
				continue
			}
			infos = append(infos, info)
		}
		return infos, leftOut, nil
	}
	for name := range strings.SplitSeq(f.strategy, ",") {
		info, err := strategies.Lookup(strings.TrimSpace(name))
		if err != nil {
			return nil, nil, usageErrorf("netio bench: unknown strategy %q (valid: all, %s)", name, strings.Join(strategies.Names(), ", "))
		}
		if slices.ContainsFunc(infos, func(i strategies.Info) bool { return i.Name == info.Name }) {
			return nil, nil, usageErrorf("netio bench: --strategy names %s twice", info.Name)
		}
		if err := info.Available(); err != nil {
			return nil, nil, usageErrorf("netio bench: %s", strings.TrimPrefix(err.Error(), "strategies: "))
		}
		infos = append(infos, info)
	}
	return infos, nil, nil
}

// pageURLs returns the --url and --urls list, or nil for the mock server's
// pages.
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

// checkReachable dials every host of the URLs (empty ones are skipped),
// so that a typo fails now, with exit status 2, before anything is written.
func checkReachable(ctx context.Context, urls []string) error {
	hosts := map[string]bool{}
	for _, s := range urls {
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

// childCommand makes the command of a bench child: this same binary.
func childCommand(ctx context.Context) *exec.Cmd {
	return exec.CommandContext(ctx, executable(), benchChildCommand)
}

// executable is this binary's path.
func executable() string {
	exe, err := os.Executable()
	if err != nil {
		return os.Args[0]
	}
	return exe
}

// benchChildCommand is the hidden command of a bench child process; it is
// not for people, so "netio help" does not list it.
const benchChildCommand = "bench-child"

// runBenchChild is the hidden command a bench child runs: a Spec on
// standard input, Messages on standard output.
func runBenchChild(ctx context.Context, stdout, _ io.Writer, _ []string) error {
	return bench.RunChild(ctx, os.Stdin, stdout)
}

// serverCommand is the command of the bench's mock server: this same
// binary's serve, on a free loopback port, stopping when its standard
// input (bench.Run's lifeline to it) closes.
func serverCommand(seed int64) *exec.Cmd {
	return exec.Command(executable(), "serve", "--addr", "127.0.0.1:0", "--seed", strconv.FormatInt(seed, 10), "--stop-on-stdin-eof")
}
