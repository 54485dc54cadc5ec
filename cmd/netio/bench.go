package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

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
own. A --target server's own delay model applies, read from the server and
recorded, unless a delay flag (--latency, --dist, …) overrides it. Each
strategy, at each point of a sweep, runs in a fresh child process: a cold
pass (connections opened inside it, not counted), then --count measured
passes. Sweeps take lists: --concurrency 1,10,100,1000.

Results go to a new folder under --out: run.json (every figure; see
docs/results.md) and bench.txt (Go benchmark format: benchstat a/bench.txt
b/bench.txt), and the report drawn from them: report.html (one file, offline)
and report.md with its charts (see netio report). Ctrl-C stops the point
under way and keeps the completed ones.`

// benchFlags are the bench command's flags: the plan's (bench.Flags,
// checked by bench), then what only the command does with the results.
type benchFlags struct {
	bench.Flags
	out      string
	quiet    bool
	noReport bool
}

func (f *benchFlags) register(fs *flag.FlagSet) {
	b := &f.Flags
	b.N, b.Concurrency, b.Latency = []int{1000}, []int{100}, []time.Duration{5 * time.Millisecond}
	fs.StringVar(&b.Strategy, "strategy", "all", "strategies to measure: all, or `a,b,…` of "+strings.Join(strategies.Names(), ", "))
	fs.Var((*intList)(&b.N), "n", "requests per pass, closed mode (`list`: a sweep)")
	fs.Var((*intList)(&b.Concurrency), "concurrency", "requests in flight at most (`list`: a sweep); ignored by sequential and perrequest")
	fs.Var((*intList)(&b.GOMAXPROCS), "gomaxprocs", "GOMAXPROCS of each child (`list`: a sweep, such as 1,2); default: Go's, this machine's cores")
	fs.Var((*durationList)(&b.Latency), "latency", "injected delay per page (`list`: a sweep): fixed value, or the centre/median of --dist; with --target, the server's own model unless a delay flag is given")
	fs.StringVar(&b.Dist, "dist", "fixed", "delay distribution: "+strings.Join(mockserver.Distributions, ", "))
	fs.DurationVar(&b.Jitter, "jitter", 0, "uniform half-width or normal standard deviation, with --dist")
	fs.DurationVar(&b.P99, "p99", 0, "99th percentile of the delay, for --dist lognormal or pareto")
	fs.DurationVar(&b.Slow, "slow", 0, "the slow pages' delay, for --dist two-level")
	fs.Float64Var(&b.SlowShare, "slow-share", 0, "the `share` of slow pages, 0 to 1, for --dist two-level (0.01: one in a hundred)")
	fs.DurationVar(&b.HedgeAfter, "hedge-after", 0, "send a second copy of a request not answered after this long, and take the first answer (the net/http strategies: "+strings.Join(bench.HedgingStrategies(), ", ")+")")
	fs.StringVar(&b.Segment, "segment", "", "run share `I/N` of the bench (0 ≤ I < N), for a run split over N machines against one --target: closed, a share of --concurrency and the requests through it; open, every N-th arrival of the one schedule (netio merge puts the shares together)")
	fs.StringVar(&b.StartAt, "start-at", "", "begin at this `time` (RFC 3339, such as 2026-12-04T12:00:00Z), so that the shares on several machines run together; one point only, and --count 1 in closed mode")
	fs.StringVar(&b.Mode, "mode", results.ModeClosed, "workload: closed (N requests, C at once) or open (--rate arrivals per second for --duration)")
	fs.Var((*floatList)(&b.Rate), "rate", "arrivals per second, open mode (`list`: a sweep)")
	fs.DurationVar(&b.Duration, "duration", 5*time.Second, "how long arrivals go on, open mode")
	fs.IntVar(&b.Count, "count", 3, "measured repetitions per point, after a cold pass")
	fs.DurationVar(&b.Timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.Int64Var(&b.Seed, "seed", 1, "the mock server's seed (with --target: the seed that server was started with)")
	fs.StringVar(&b.Target, "target", "", "base `URL` of a running netio mock server, instead of starting one; its own delay model applies (read from its /model) unless a delay flag is given")
	fs.Var((*stringList)(&b.URLs), "url", "fetch this `URL` from any HTTP/1.1 server (repeatable; N requests in all, cycling)")
	fs.StringVar(&b.URLsFile, "urls", "", "`file` of URLs to fetch, one per line, like --url")
	fs.StringVar(&f.out, "out", filepath.Join("results", "runs"), "`folder` under which each bench writes a new folder of results")
	fs.StringVar(&b.JSON, "json", "", "also write run.json to this `file` (- for standard output)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fs.BoolVar(&f.noReport, "no-report", false, "do not write report.html and report.md into the run's folder")
	fs.StringVar(&b.CPUProfileDir, "cpuprofile", "", "write a CPU profile of each point's measured passes into this `folder` (go tool pprof FILE)")
}

func runBench(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	var f benchFlags
	fs := newFlagSet("bench")
	f.register(fs)
	if helped, err := parseFlagsOnly(fs, args, stdout, benchSynopsis); helped || err != nil {
		return err
	}
	f.Given = givenFlags(fs)
	plan, leftOut, err := f.Check()
	if err != nil {
		return benchUsage(err)
	}
	for _, why := range leftOut {
		fmt.Fprintln(stderr, "netio bench: "+why)
	}
	if err := plan.CheckReachable(ctx); err != nil {
		return benchUsage(err)
	}
	if f.CPUProfileDir != "" {
		if err := os.MkdirAll(f.CPUProfileDir, 0o755); err != nil {
			return usageErrorf("netio bench: --cpuprofile: %v", bench.UnwrapPath(err))
		}
	}
	folder, err := results.Prepare(f.out)
	if err != nil {
		return usageErrorf("netio bench: --out %q: %v", f.out, bench.UnwrapPath(err))
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
	return f.report(stdout, folder, file, infosOf(plan.Strategies))
}

// benchUsage makes the library's mistake on the command line (a
// *bench.FlagError) a usage error of the command: one line, exit status 2.
func benchUsage(err error) error {
	var fe *bench.FlagError
	if errors.As(err, &fe) {
		return usageErrorf("netio bench: %s", fe.Msg)
	}
	return fmt.Errorf("netio bench: %w", err)
}

// infosOf looks up the strategies the plan names (all registered: the
// plan was checked).
func infosOf(names []string) []strategies.Info {
	var infos []strategies.Info
	for _, name := range names {
		if info, err := strategies.Lookup(name); err == nil {
			infos = append(infos, info)
		}
	}
	return infos
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
	if f.JSON != "-" {
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
	if f.JSON == "-" {
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
	switch f.JSON {
	case "":
		return nil
	case "-":
		return results.WriteJSON(stdout, file)
	}
	fill := func(w io.Writer) error { return results.WriteJSON(w, file) }
	if err := results.WriteFileAtomic(f.JSON, fill); err != nil {
		return fmt.Errorf("netio bench: --json: %w", bench.UnwrapPath(err))
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
