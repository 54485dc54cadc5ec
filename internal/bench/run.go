package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/results"
)

// Options are how Run reaches what lies outside the library: the commands
// it starts, and who hears how far it has got.
type Options struct {
	// Child makes the command of one point's child process, `netio
	// bench-child`, which RunChild serves.
	Child func(ctx context.Context) *exec.Cmd
	// Server makes the command of the mock server for a plan without
	// Target or URLs: one that serves on a free loopback port, prints its
	// URL, and stops when its standard input closes (`netio serve --addr
	// 127.0.0.1:0 --seed N --stop-on-stdin-eof`), so that it never
	// outlives the bench, however the bench ends.
	Server func(seed int64) *exec.Cmd
	// Command is the command line the results record.
	Command []string
	// Progress, if not nil, hears where the bench is: when a point starts,
	// and as its child finishes requests. It is called from one goroutine
	// at a time.
	Progress func(Status)
}

// Status is where a bench is.
type Status struct {
	Point, Points int    // the point being measured, from 0, and how many there are
	Label         string // the point, for a person: "epoll c=100 n=1000 fixed:5ms"
	Progress             // the requests its child has finished, of all it will make
}

// Run measures every point of p, each in a fresh child process, and
// returns the result file: the environment, the settings, every run, a
// summary per point, and the points whose child failed. A failed point is
// recorded and the others still run.
//
// When ctx ends, Run stops the child in flight and returns the file of the
// points completed so far, marked Interrupted, with ctx's error: a point
// cut short leaves none of its runs behind, so that every point in the
// file has all its repetitions. Run returns only once the child and the
// mock server it started have exited.
func Run(ctx context.Context, p Plan, opt Options) (results.File, error) {
	base, stop, err := p.server(opt)
	if err != nil {
		return results.File{}, err
	}
	defer stop()
	p = p.withTargetModel(ctx, base)
	file := p.newFile(opt.Command)
	points := p.Points(base)
	report := opt.Progress
	if report == nil {
		report = func(Status) {}
	}
	var status Status
	runner := Runner{Command: opt.Child, Silence: p.silence(), OnProgress: func(pr Progress) {
		status.Progress = pr
		report(status)
	}}
	for i, spec := range points {
		if p.CPUProfileDir != "" {
			spec.CPUProfile = filepath.Join(p.CPUProfileDir, ProfileName(i, spec))
		}
		status = Status{Point: i, Points: len(points), Label: spec.Label()}
		report(status)
		runs, failure, err := runner.Run(ctx, spec)
		if err != nil && ctx.Err() == nil {
			return file, err // the runner could not run at all
		}
		if err != nil { // interrupted: a point cut short is left out, one that had ended is kept
			if len(runs) == spec.Count {
				file.Runs = append(file.Runs, runs...)
			}
			file.Interrupted = true
			break
		}
		file.Runs = append(file.Runs, runs...)
		if failure != nil {
			file.Failures = append(file.Failures, *failure)
		}
	}
	file.Summary = results.Summarize(file.Runs)
	if file.Interrupted {
		return file, ctx.Err()
	}
	return file, nil
}

// newFile is the result file before any run: what was measured where.
func (p Plan) newFile(command []string) results.File {
	target := cmp.Or(p.Target, "embedded")
	if p.fetchesURLs() {
		target = "urls"
	}
	settings := results.Settings{Target: target, Seed: p.Seed, Count: p.Count, Timeout: p.Timeout.String(), HedgeAfter: hedgeAfter(p.HedgeAfter)}
	settings.LatencySource, settings.LatencyOverride = p.latencySource()
	if !p.Segment.Whole() {
		settings.Segment = &results.Segment{Index: p.Segment.Index, Of: p.Segment.Of}
	}
	if !p.StartAt.IsZero() {
		settings.StartAt = p.StartAt.UTC().Format(time.RFC3339Nano)
	}
	return results.File{
		Version:  results.Version,
		Env:      results.ReadEnv(),
		Command:  command,
		Settings: settings,
		Runs:     []results.Run{},
		Summary:  []results.Summary{},
		Failures: []results.Failure{},
	}
}

// server returns the base URL of the mock server, starting one in a
// process of its own unless the plan names a server (Target) or fetches
// URLs. stop stops what it started, and waits for it to exit.
func (p Plan) server(opt Options) (base string, stop func(), err error) {
	switch {
	case p.Target != "":
		return p.Target, func() {}, nil
	case p.fetchesURLs():
		return "", func() {}, nil
	case opt.Server == nil:
		return "", nil, errors.New("bench: Options.Server is nil, and the plan needs the mock server")
	}
	cmd := opt.Server(p.Seed)
	// A group of its own: a Ctrl-C at the terminal must not stop the
	// server before the children that use it have stopped.
	ownGroup(cmd)
	proc, err := serverproc.Start(cmd) // its stdin is the lifeline that stops it
	if err != nil {
		return "", nil, fmt.Errorf("bench: starting the mock server: %w", err)
	}
	return proc.URL, func() { proc.Close() }, nil
}

// silence is how long a child may report no finished request before it
// is taken for hung: a request's timeout, the longest gap between two
// arrivals in open mode, and room for a slow start.
func (p Plan) silence() time.Duration {
	s := p.Timeout + 30*time.Second
	if p.Mode == results.ModeOpen && len(p.Rate) > 0 {
		s += time.Duration(float64(time.Second) / slices.Min(p.Rate))
	}
	return s
}

// hedgeAfter is --hedge-after for the record: empty without hedging.
func hedgeAfter(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return d.String()
}
