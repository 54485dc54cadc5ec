package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/netio-lab/netio/results"
)

// Runner starts one child process per point and collects its runs.
type Runner struct {
	// Command makes the child's command: `netio bench-child`, usually
	// os.Executable() with that argument.
	Command func(ctx context.Context) *exec.Cmd
	// Silence is how long a child may go without a message before it is
	// taken for hung and killed. Zero means a minute.
	Silence time.Duration
	// OnProgress, if not nil, hears each progress message.
	OnProgress func(Progress)
}

// stderrTail is how much of a failed child's stderr a Failure keeps.
const stderrTail = 2048

// Run measures spec in a fresh child and returns the runs it completed. A
// child that fails (exits non-zero, says error, goes silent, or breaks the
// protocol) yields a Failure next to the runs it finished before. When ctx
// ends the child is stopped and Run returns ctx's error with the completed
// runs.
func (r Runner) Run(ctx context.Context, spec Spec) ([]results.Run, *results.Failure, error) {
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
	var stderr tailBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fail("%v", err), nil
	}
	if err := cmd.Start(); err != nil {
		return nil, fail("starting the child: %v", err), nil
	}
	c := collector{onProgress: r.OnProgress}
	lines := c.read(stdout)
	why := r.watch(ctx, lines)
	if why != "" {
		cmd.Process.Signal(syscall.SIGTERM) // lets the child close its connections
		time.AfterFunc(2*time.Second, kill)
	}
	for range lines { // drain, so that the reader ends
	}
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return c.runs, nil, ctx.Err()
	case why != "":
		return c.runs, withStderr(fail("%s", why), &stderr), nil
	case c.err != "":
		return c.runs, withStderr(fail("%s", c.err), &stderr), nil
	case waitErr != nil:
		return c.runs, withStderr(fail("child %v", waitErr), &stderr), nil
	case len(c.runs) != spec.Count:
		return c.runs, withStderr(fail("child reported %d of %d runs", len(c.runs), spec.Count), &stderr), nil
	}
	return c.runs, nil, nil
}

// watch waits for the child's messages to end. It returns why the child
// must be stopped early: ctx ended, or the child fell silent.
func (r Runner) watch(ctx context.Context, lines <-chan struct{}) string {
	silence := r.Silence
	if silence <= 0 {
		silence = time.Minute
	}
	timer := time.NewTimer(silence)
	defer timer.Stop()
	for {
		select {
		case _, open := <-lines:
			if !open {
				return ""
			}
			timer.Reset(silence)
		case <-timer.C:
			return fmt.Sprintf("child hung: no word from it for %v", silence)
		case <-ctx.Done():
			return "interrupted"
		}
	}
}

func withStderr(f *results.Failure, stderr *tailBuffer) *results.Failure {
	f.Stderr = stderr.String()
	return f
}

// collector decodes the child's messages.
type collector struct {
	onProgress func(Progress)
	runs       []results.Run // written by the reading goroutine; read after its channel closes
	err        string
}

// read decodes stdout line by line on a goroutine, and ticks the returned
// channel once per message; the channel closes at the end of stdout.
func (c *collector) read(stdout interface{ Read([]byte) (int, error) }) <-chan struct{} {
	ticks := make(chan struct{})
	go func() {
		defer close(ticks)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 64<<20) // a run with its timeline is one long line
		for sc.Scan() {
			c.handle(sc.Bytes())
			ticks <- struct{}{}
		}
		if err := sc.Err(); err != nil && c.err == "" {
			c.err = "reading the child: " + err.Error()
		}
	}()
	return ticks
}

func (c *collector) handle(line []byte) {
	var m Message
	if err := json.Unmarshal(line, &m); err != nil {
		if c.err == "" {
			c.err = fmt.Sprintf("child broke the protocol: %q", truncate(string(line), 200))
		}
		return
	}
	switch {
	case m.Error != "":
		c.err = m.Error
	case m.Run != nil:
		c.runs = append(c.runs, *m.Run)
	case m.Progress != nil && c.onProgress != nil:
		c.onProgress(*m.Progress)
	}
}

// tailBuffer keeps the last stderrTail bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - stderrTail; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
