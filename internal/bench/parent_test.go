package bench_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/results"
)

// TestRunnerChildOutcomes runs a Runner against each kind of child, from the
// real one to every way of failing, and checks what Run makes of it. The
// children are this test binary (see fakeChild in main_test.go).
func TestRunnerChildOutcomes(t *testing.T) {
	spec := closedSpec("pool", weatherPages(t))
	// The silence limit of the children that go silent: long enough for a
	// -race child on a busy machine to start and say its first word (300
	// ms was not, in a CI run beside other packages' tests), short enough
	// to keep the test quick.
	const silence = 1500 * time.Millisecond
	tests := []struct {
		mode     string
		silence  time.Duration // Runner.Silence; zero is the Runner's default
		runs     int
		failure  string // in Failure.Error; empty: no failure
		stderr   string // in Failure.Stderr
		progress bool   // the child reports progress before it ends
		within   time.Duration
	}{
		{mode: "ok", runs: 2, progress: true, within: 20 * time.Second},
		{mode: "crash", failure: "exit status 3", stderr: "out of cheese", progress: true, within: 10 * time.Second},
		{mode: "hang", silence: silence, failure: "hung", progress: true, within: 8 * time.Second},
		{mode: "heartbeat", silence: silence, failure: "hung", progress: true, within: 8 * time.Second},
		{mode: "chatter", silence: silence, failure: "protocol", within: 8 * time.Second},
		// Ignoring SIGTERM buys the child only the parent's grace before a kill.
		{mode: "stubborn", silence: silence, failure: "hung", progress: true, within: 9 * time.Second},
		// Closing stdout is not finishing: the child is still silent.
		{mode: "mute", silence: silence, failure: "hung", progress: true, within: 7 * time.Second},
		{mode: "garbage", failure: "protocol", within: 10 * time.Second},
		{mode: "error", failure: "boom", within: 10 * time.Second},
		{mode: "short", runs: 1, failure: "1 of 2", within: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel() // the children mostly wait: no CPU is fought over
			var progress atomic.Int64
			r, child := fakeRunner(tt.mode, tt.silence)
			r.OnProgress = func(bench.Progress) { progress.Add(1) }
			runs, failure, err := runWithin(t, context.Background(), r, spec, child, tt.within)
			if err != nil {
				t.Fatalf("Run error %v; want nil (a failing child is a Failure)", err)
			}
			if len(runs) != tt.runs {
				t.Errorf("%d runs; want %d", len(runs), tt.runs)
			}
			checkFailure(t, failure, spec.Point(), tt.failure, tt.stderr)
			if got := progress.Load(); tt.progress && got == 0 {
				t.Errorf("OnProgress heard nothing; want the child's progress")
			}
			checkReaped(t, child)
		})
	}
}

// TestRunnerRealChildRuns checks that the runs a real child sends arrive
// whole: every request verified against the ground truth.
func TestRunnerRealChildRuns(t *testing.T) {
	spec := closedSpec("epoll", weatherPages(t))
	r, child := fakeRunner("ok", 0)
	runs, failure, err := runWithin(t, context.Background(), r, spec, child, 20*time.Second)
	if err != nil || failure != nil {
		t.Fatalf("Run: failure %+v, error %v; want neither", failure, err)
	}
	for i, run := range runs {
		if run.Repetition != i+1 || run.OK != spec.N || run.Verified != spec.N || run.Strategy != "epoll" {
			t.Errorf("run %d: repetition %d, ok %d, verified %d, strategy %q; want %d, %d verified, epoll",
				i, run.Repetition, run.OK, run.Verified, run.Strategy, i+1, spec.N)
		}
	}
}

// TestRunnerCanceled cancels Run's ctx while the child hangs: Run must stop
// the child and return ctx's error with the runs it had, not wait for the
// silence limit (a minute here).
func TestRunnerCanceled(t *testing.T) {
	spec := closedSpec("pool", weatherPages(t))
	tests := []struct {
		mode string
		runs int
	}{
		{"hang", 0},
		{"stall", 1},    // one run done before it hangs: Run keeps it
		{"stubborn", 0}, // ignores SIGTERM: killed after the parent's grace
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			canceledAt := make(chan time.Time, 1)
			r, child := fakeRunner(tt.mode, 0)
			// The child's progress comes after whatever it finished, so by
			// then the parent holds its runs.
			r.OnProgress = func(bench.Progress) {
				select {
				case canceledAt <- time.Now():
					cancel()
				default:
				}
			}
			runs, failure, err := runWithin(t, ctx, r, spec, child, 10*time.Second)
			if !errors.Is(err, context.Canceled) || failure != nil {
				t.Errorf("Run: failure %+v, error %v; want no failure, context.Canceled", failure, err)
			}
			if len(runs) != tt.runs {
				t.Errorf("%d runs; want the %d completed", len(runs), tt.runs)
			}
			select {
			case at := <-canceledAt:
				if d := time.Since(at); d > 3*time.Second {
					t.Errorf("Run returned %v after the cancel; want under 3s", d)
				}
			default:
				t.Errorf("no progress heard, so nothing canceled")
			}
			checkReaped(t, child)
		})
	}
}

// childBox keeps the command a Runner made, and a way to kill it that does
// not race with Run (cmd.Process is Run's until Wait returns).
type childBox struct {
	mu   sync.Mutex
	cmd  *exec.Cmd
	kill context.CancelFunc
}

func (b *childBox) set(cmd *exec.Cmd, kill context.CancelFunc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cmd, b.kill = cmd, kill
}

func (b *childBox) get() (*exec.Cmd, context.CancelFunc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cmd, b.kill
}

// fakeRunner returns a Runner whose children are this test binary playing
// mode, and the box where it puts each child's command.
func fakeRunner(mode string, silence time.Duration) (bench.Runner, *childBox) {
	child := new(childBox)
	r := bench.Runner{
		Silence: silence,
		Command: func(ctx context.Context) *exec.Cmd {
			// A context of our own under Run's, for runWithin to kill with:
			// exec kills the process when it ends.
			ctx, kill := context.WithCancel(ctx)
			// -test.run=^$ keeps the binary from running tests should the
			// variable ever be lost on the way.
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			// Under -race a process that exits 0 first sleeps a second
			// (GORACE atexit_sleep_ms): no use to a child that had no races.
			gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
			cmd.Env = append(os.Environ(), fakeChildEnv+"="+mode, "GORACE="+gorace)
			child.set(cmd, kill)
			return cmd
		},
	}
	return r, child
}

// runWithin calls r.Run and fails the test if it takes longer than limit.
// A Run still blocked by then has its child killed, so that the test ends
// and leaves no process behind.
func runWithin(t *testing.T, ctx context.Context, r bench.Runner, spec bench.Spec, child *childBox, limit time.Duration) ([]results.Run, *results.Failure, error) {
	t.Helper()
	type outcome struct {
		runs    []results.Run
		failure *results.Failure
		err     error
	}
	done := make(chan outcome, 1)
	go func() {
		runs, failure, err := r.Run(ctx, spec)
		done <- outcome{runs, failure, err}
	}()
	select {
	case o := <-done:
		return o.runs, o.failure, o.err
	case <-time.After(limit):
	}
	t.Errorf("Run still blocked after %v; killing its child", limit)
	if _, kill := child.get(); kill != nil {
		kill()
	}
	o := <-done
	t.Logf("after the kill Run returned failure %+v, error %v", o.failure, o.err)
	return o.runs, o.failure, o.err
}

// checkFailure checks that failure is nil when want is empty, else that it
// is of point and its Error and Stderr contain want and stderr.
func checkFailure(t *testing.T, failure *results.Failure, point results.Point, want, stderr string) {
	t.Helper()
	switch {
	case want == "" && failure != nil:
		t.Errorf("failure %+v; want none", failure)
	case want == "":
	case failure == nil:
		t.Errorf("no failure; want one with %q", want)
	default:
		if !strings.Contains(failure.Error, want) {
			t.Errorf("failure %q; want it to contain %q", failure.Error, want)
		}
		if !strings.Contains(failure.Stderr, stderr) {
			t.Errorf("failure stderr %q; want it to contain %q", failure.Stderr, stderr)
		}
		if failure.Point != point {
			t.Errorf("failure point %+v; want the spec's %+v", failure.Point, point)
		}
	}
}

// checkReaped checks that Run waited for its child: a process it did not
// wait for could still be running, or linger as a zombie.
func checkReaped(t *testing.T, child *childBox) {
	t.Helper()
	cmd, _ := child.get()
	if cmd == nil || cmd.ProcessState == nil {
		t.Errorf("child %v was not waited for; want Run to end it and wait", cmd)
	}
}
