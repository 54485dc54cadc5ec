package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/netio-lab/netio/internal/tail"
	"github.com/netio-lab/netio/results"
)

// Runner starts one child process per point and collects its runs.
type Runner struct {
	// Command makes the child's command: `netio bench-child`, usually
	// os.Executable() with that argument.
	Command func(ctx context.Context) *exec.Cmd
	// Silence is how long a child may go without news (a request finished,
	// a run, an error) before it is taken for hung and stopped. Progress
	// messages that count nothing new do not count as news: they show the
	// child alive, not working. Zero means a minute.
	Silence time.Duration
	// OnProgress, if not nil, hears each progress message.
	OnProgress func(Progress)
}

// stderrTail is how much of a failed child's stderr a Failure keeps.
const stderrTail = 2048

// Run measures spec in a fresh child and returns the runs it completed. It
// blocks until the child has exited. A child that fails (exits non-zero,
// says error, goes silent, or breaks the protocol) yields a Failure next
// to the runs it finished before. When ctx ends the child is stopped and
// Run returns ctx's error with the completed runs.
//
// The child gets a process group of its own, so that a Ctrl-C at the
// terminal reaches only the parent, which stops the child itself: first
// politely (SIGTERM), then, two seconds later, for good (on Windows, which
// has no SIGTERM to send, for good at once: procgroup_windows.go).
func (r Runner) Run(ctx context.Context, spec Spec) ([]results.Run, *results.Failure, error) {
	if r.Command == nil {
		return nil, nil, errors.New("bench: Runner.Command is nil")
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	fail := func(format string, args ...any) *results.Failure {
		return &results.Failure{Point: spec.Point(), Error: fmt.Sprintf(format, args...)}
	}
	input, err := json.Marshal(spec)
	if err != nil {
		return nil, fail("encoding the spec: %v", err), nil
	}
	childCtx, kill := context.WithCancel(context.Background()) // ended by Run, not by ctx: the child is stopped politely first
	defer kill()
	cmd := r.Command(childCtx)
	cmd.Stdin = bytes.NewReader(input)
	ownGroup(cmd) // procgroup_unix.go, procgroup_windows.go
	stderr := tail.Buffer{Max: stderrTail}
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fail("%v", err), nil
	}
	if err := cmd.Start(); err != nil {
		return nil, fail("starting the child: %v", err), nil
	}
	c := collector{onProgress: r.OnProgress}
	ticks, exited := c.read(stdout, cmd.Wait)
	var killLater *time.Timer
	why, waitErr := r.watch(ctx, ticks, exited, func() {
		terminate(cmd.Process) // lets the child close its connections
		killLater = time.AfterFunc(2*time.Second, func() {
			// The whole group, whatever Command made: a child that ignores
			// SIGTERM, and anything it started, must not outlive the bench.
			killGroup(cmd.Process)
			kill()
		})
	})
	if killLater != nil {
		killLater.Stop()
	}
	switch {
	case ctx.Err() != nil:
		return c.runs, nil, ctx.Err()
	case c.err != "": // what the child said, or how it broke the protocol, says more than its silence
		return c.runs, withStderr(fail("%s", c.err), &stderr), nil
	case why != "":
		return c.runs, withStderr(fail("%s", why), &stderr), nil
	case waitErr != nil:
		return c.runs, withStderr(fail("child %v", waitErr), &stderr), nil
	case len(c.runs) != spec.Count:
		return c.runs, withStderr(fail("child reported %d of %d runs", len(c.runs), spec.Count), &stderr), nil
	}
	return c.runs, nil, nil
}

// watch follows the child until it has exited, and returns why it was
// stopped early ("" if it was not) and its exit error. It stops the child,
// with stop, when ctx ends or when the child falls silent for r.Silence,
// whether it is still writing or has closed its stdout and lingers.
func (r Runner) watch(ctx context.Context, ticks <-chan struct{}, exited <-chan error, stop func()) (why string, waitErr error) {
	silence := r.Silence
	if silence <= 0 {
		silence = time.Minute
	}
	timer := time.NewTimer(silence)
	defer timer.Stop()
	done := ctx.Done()
	for {
		select {
		case <-ticks:
			timer.Reset(silence)
		case err := <-exited:
			return why, err
		case <-timer.C:
			if why == "" {
				why = fmt.Sprintf("child hung: no word from it for %v", silence)
				stop()
			}
		case <-done:
			done = nil // stop once; keep waiting for the exit
			if why == "" {
				why = "interrupted"
				stop()
			}
		}
	}
}

func withStderr(f *results.Failure, stderr *tail.Buffer) *results.Failure {
	f.Stderr = stderr.String()
	return f
}

// collector decodes the child's messages. Its fields are written by the
// reading goroutine and read only after it has sent the exit.
type collector struct {
	onProgress func(Progress)
	runs       []results.Run
	err        string
	lastDone   int64 // the highest progress count so far
}

// read decodes stdout line by line on a goroutine and ticks the returned
// channel once per message. At the end of stdout it discards whatever
// else comes (a child must never block on a full pipe), calls wait (as
// exec.Cmd requires, only after the last read) and sends its result on
// exited.
func (c *collector) read(stdout io.Reader, wait func() error) (ticks <-chan struct{}, exited <-chan error) {
	tick, exit := make(chan struct{}), make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 64<<20) // a run with its timeline is one long line
		for sc.Scan() {
			if c.handle(sc.Bytes()) {
				tick <- struct{}{}
			}
		}
		if err := sc.Err(); err != nil && c.err == "" {
			c.err = "reading the child: " + err.Error()
		}
		io.Copy(io.Discard, stdout)
		exit <- wait()
	}()
	return tick, exit
}

// handle decodes one line and reports whether it was news: a run, an
// error, or progress that counts more requests than before. A line that is
// not a message is not news: a stuck child that keeps printing must not
// keep the watchdog at bay.
func (c *collector) handle(line []byte) (news bool) {
	var m Message
	if err := json.Unmarshal(line, &m); err != nil {
		if c.err == "" {
			c.err = fmt.Sprintf("child broke the protocol: %q", truncate(string(line), 200))
		}
		return false
	}
	switch {
	case m.Error != "":
		c.err = m.Error
	case m.Run != nil:
		c.runs = append(c.runs, *m.Run)
	case m.Progress != nil:
		if c.onProgress != nil {
			c.onProgress(*m.Progress)
		}
		if m.Progress.Done <= c.lastDone {
			return false
		}
		c.lastDone = m.Progress.Done
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
