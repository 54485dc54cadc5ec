package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
	"github.com/netio-lab/netio/strategies"
)

// benchRun is one `netio bench` after its flags were checked.
type benchRun struct {
	flags          benchFlags
	infos          []strategies.Info
	stdout, stderr io.Writer
	folder         *results.Folder // the staging folder; Commit or Abort it
}

// run starts the server if needed, measures every point, and writes the
// results, also when interrupted (the completed runs are kept).
func (b *benchRun) run(ctx context.Context, pages []string) error {
	base, stop, err := b.server()
	if err != nil {
		b.folder.Abort()
		return err
	}
	defer stop()
	specs := b.plan(base, pages)
	file := results.File{
		Version: results.Version,
		Env:     results.ReadEnv(),
		Command: os.Args,
		Settings: results.Settings{
			Target: cmp.Or(b.flags.target, "embedded"), Seed: b.flags.seed,
			Count: b.flags.count, Timeout: b.flags.timeout.String(),
		},
		Runs:     []results.Run{},
		Failures: []results.Failure{},
	}
	if b.flags.fetchesURLs() {
		file.Settings.Target = "urls"
	}
	bar := newProgressBar(b.stderr, b.flags.quiet, len(specs))
	runner := bench.Runner{Command: childCommand, Silence: b.flags.silence(), OnProgress: bar.update}
	for i, spec := range specs {
		if b.flags.profileDir != "" {
			spec.CPUProfile = filepath.Join(b.flags.profileDir, profileName(i, spec))
		}
		bar.start(i, spec.Label())
		runs, failure, err := runner.Run(ctx, spec)
		file.Runs = append(file.Runs, runs...)
		if failure != nil {
			file.Failures = append(file.Failures, *failure)
		}
		if err != nil {
			file.Interrupted = true
			break
		}
		if testHookPointDone != nil {
			testHookPointDone(i)
		}
	}
	bar.finish()
	return b.report(file, len(specs))
}

// profileName names a point's CPU profile: its place in the plan and the
// point's settings, such as 03-pool-c1000-n10000-fixed:50ms.pprof.
func profileName(i int, s bench.Spec) string {
	name := fmt.Sprintf("%02d-%s-c%d-p%d", i+1, s.Strategy, s.Concurrency, s.GOMAXPROCS)
	if s.Mode == results.ModeOpen {
		name += fmt.Sprintf("-rate%g", s.Rate)
	} else {
		name += fmt.Sprintf("-n%d", s.N)
	}
	return strings.NewReplacer(":", "", "/", "").Replace(name+"-"+s.LatencyModel) + ".pprof"
}

// testHookPointDone, when set by a test, is called after each point.
var testHookPointDone func(point int)

// server returns the base URL of the mock server, starting one in its own
// process unless --target or --url names a server.
func (b *benchRun) server() (base string, stop func(), err error) {
	switch {
	case b.flags.target != "":
		return strings.TrimSuffix(b.flags.target, "/"), func() {}, nil
	case b.flags.fetchesURLs():
		return "", func() {}, nil
	}
	base, stop, err = startServer(b.flags.seed)
	if err != nil {
		return "", nil, fmt.Errorf("netio bench: starting the mock server: %w", err)
	}
	return base, stop, nil
}

// plan lists the points to measure: every strategy at every combination of
// the swept settings, strategies outermost so that a reader sees one
// strategy's curve together.
func (b *benchRun) plan(base string, pages []string) []bench.Spec {
	settings := b.flags.settings(base, pages)
	specs := make([]bench.Spec, 0, len(b.infos)*len(settings))
	for _, info := range b.infos {
		for _, s := range settings {
			s.Strategy = info.Name
			specs = append(specs, s)
		}
	}
	return specs
}

// settings is every combination of the swept settings, as specs without a
// strategy. The pages are made once per latency: with the mock server, the
// latency travels in each page's query.
func (f *benchFlags) settings(base string, pages []string) []bench.Spec {
	var out []bench.Spec
	for _, l := range f.latency {
		s := bench.Spec{
			Mode: f.mode, Duration: f.duration, Count: f.count, Timeout: f.timeout,
			Pages: pages, Seed: f.seed, Truth: !f.fetchesURLs(), AnyPage: f.fetchesURLs(),
		}
		s.LatencyModel, s.FixedLatency = f.latencyModel(l)
		if !f.fetchesURLs() {
			s.Pages = stationPages(base, f.latencyQuery(l))
		}
		for _, c := range f.concurrency {
			for _, w := range f.workloads() {
				for _, procs := range f.gomaxprocs() {
					s.Concurrency, s.N, s.Rate, s.GOMAXPROCS = c, w.n, w.rate, procs
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// gomaxprocs is the sweep over the children's GOMAXPROCS: by default this
// process's, which the children would take anyway (cores, or $GOMAXPROCS).
func (f *benchFlags) gomaxprocs() []int {
	if len(f.procs) == 0 {
		return []int{runtime.GOMAXPROCS(0)}
	}
	return f.procs
}

type workload struct {
	n    int
	rate float64
}

// workloads is the sweep over N (closed) or rate (open).
func (f *benchFlags) workloads() []workload {
	var ws []workload
	if f.mode == results.ModeOpen {
		for _, r := range f.rate {
			ws = append(ws, workload{rate: r})
		}
		return ws
	}
	for _, n := range f.n {
		ws = append(ws, workload{n: n})
	}
	return ws
}

// stationPages is every catalogue station's HTML page with the query.
func stationPages(base, query string) []string {
	var urls []string
	for _, st := range mockserver.Stations() {
		urls = append(urls, base+mockserver.HTMLPath(st.ICAO)+query)
	}
	return urls
}

// report writes the results folder and prints the table. An interrupted
// bench still writes what it completed, then reports the interrupt.
func (b *benchRun) report(file results.File, points int) error {
	file.Summary = results.Summarize(file.Runs)
	if len(file.Runs) == 0 && len(file.Failures) == 0 {
		b.folder.Abort()
		return context.Canceled
	}
	dir, err := b.folder.Commit(b.folderName(file.Env.Date), file)
	if err != nil {
		return fmt.Errorf("netio bench: %w", err)
	}
	if b.flags.jsonFile != "-" {
		results.WriteTable(b.stdout, file)
		printNotes(b.stdout, b.infos)
		fmt.Fprintf(b.stdout, "\nResults in %s (run.json, bench.txt)\n", dir)
	}
	if err := b.writeJSON(file); err != nil {
		return err
	}
	switch {
	case file.Interrupted:
		fmt.Fprintf(b.stderr, "netio bench: kept %d completed runs in %s\n", len(file.Runs), dir)
		return context.Canceled
	case len(file.Failures) > 0:
		return fmt.Errorf("netio bench: %d of %d points failed (see the table and run.json)", len(file.Failures), points)
	}
	return nil
}

// writeJSON writes run.json to --json, if given.
func (b *benchRun) writeJSON(file results.File) error {
	switch b.flags.jsonFile {
	case "":
		return nil
	case "-":
		return results.WriteJSON(b.stdout, file)
	}
	fill := func(w io.Writer) error { return results.WriteJSON(w, file) }
	if err := results.WriteFileAtomic(b.flags.jsonFile, fill); err != nil {
		return fmt.Errorf("netio bench: --json: %w", unwrapPath(err))
	}
	return nil
}

// folderName is the results folder's name: when (the env's RFC 3339
// date), and what: the strategy when there is one, else "bench".
func (b *benchRun) folderName(date string) string {
	t, err := time.Parse(time.RFC3339, date)
	if err != nil {
		t = time.Now().UTC()
	}
	what := "bench"
	if len(b.infos) == 1 {
		what = b.infos[0].Name
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

// progressBar draws one line on a terminal: which point, how far.
type progressBar struct {
	w      io.Writer // nil: no bar
	points int
	index  int
	label  string
}

// newProgressBar draws on w only when it is a terminal and quiet is off.
func newProgressBar(w io.Writer, quiet bool, points int) *progressBar {
	if quiet || !isTerminal(w) {
		return &progressBar{}
	}
	return &progressBar{w: w, points: points}
}

func (p *progressBar) start(i int, label string) {
	p.index, p.label = i, label
	p.update(bench.Progress{})
}

// update is called from the runner's reading goroutine, one call at a time.
func (p *progressBar) update(pr bench.Progress) {
	if p.w == nil {
		return
	}
	const width = 24
	filled := 0
	if pr.Total > 0 {
		filled = int(min(pr.Done, pr.Total) * width / pr.Total)
	}
	fmt.Fprintf(p.w, "\r\033[K[%d/%d] %s [%s%s]", p.index+1, p.points, p.label, strings.Repeat("#", filled), strings.Repeat(".", width-filled))
}

func (p *progressBar) finish() {
	if p.w != nil {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
