package lessons

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// TestFailureClaimsCatchMisclassification feeds the failures lesson's
// check made-up batches: the right classes within the timeout hold; a
// misclassified fault, or a wait past the timeout, does not.
func TestFailureClaimsCatchMisclassification(t *testing.T) {
	timeout := 300 * time.Millisecond
	right := func() batch {
		b := batch{Wall: timeout + 5*time.Millisecond}
		for _, f := range failurePages {
			b.Results = append(b.Results, strategies.Result{Class: strategies.Class(f.class)})
		}
		return b
	}
	holds := func(cs []Claim) bool { return Outcome{Claims: cs}.Holds() }
	if cs := failureClaims("pool", right(), timeout); !holds(cs) {
		t.Errorf("right classes in time: %+v; want the claims to hold", cs)
	}
	wrong := right()
	wrong.Results[0].Class = strategies.ClassEOF // the reset, called eof
	if holds(failureClaims("pool", wrong, timeout)) {
		t.Error("a reset classified eof by pool passed; want the claim to fail")
	}
	if !holds(failureClaims("fasthttp", wrong, timeout)) {
		t.Error("fasthttp's reset as eof failed; want it predicted (its client hides the reset)")
	}
	slow := right()
	slow.Wall = 3 * timeout
	if holds(failureClaims("pool", slow, timeout)) {
		t.Error("a batch that waited three timeouts passed; want the bound to fail")
	}
}

// TestOneLoopClaimsCatchTheWrongCounts feeds the one-loop lesson's check
// made-up peaks: an event loop with several goroutines, or a goroutine
// strategy with fewer than one per connection, must fail it.
func TestOneLoopClaimsCatchTheWrongCounts(t *testing.T) {
	cases := []struct {
		strategy   string
		goroutines int64
		holds      bool
	}{
		{"epoll", 1, true},
		{"epoll", 3, false},
		{"gnet", 6, true},
		{"gnet", 400, false},
		{"pool", 1200, true},
		{"pool", 50, false},
		{"perrequest", 399, false},
	}
	for _, c := range cases {
		got := oneLoopClaim(c.strategy, 400, harness.Peaks{Goroutines: c.goroutines, Threads: 8}, 1000)
		if holds := got.Verdict == Holds; holds != c.holds {
			t.Errorf("%s with %d goroutines at C=400: holds %v; want %v", c.strategy, c.goroutines, holds, c.holds)
		}
	}
}

// TestLessonsShowWhatTheyCanWithoutAStrategy makes epoll unavailable, as
// it is off Linux: the lessons that name it still run the others, say
// what was left out and why, and hold.
func TestLessonsShowWhatTheyCanWithoutAStrategy(t *testing.T) {
	real := newFetcher
	t.Cleanup(func() { newFetcher = real })
	newFetcher = func(info strategies.Info, cfg strategies.Config) (strategies.Fetcher, error) {
		if info.Name == "epoll" {
			return nil, &strategies.UnavailableError{Strategy: "epoll", Reason: "available on Linux only"}
		}
		return real(info, cfg)
	}
	noEpoll := []string{"pool-size", "tail-at-scale", "not-parallelism"}
	for _, l := range All() {
		t.Run(l.Name, func(t *testing.T) {
			if slices.Contains(noEpoll, l.Name) {
				t.Skipf("skipping: %s runs no epoll, so there is nothing to leave out (TestEveryLessonHoldsQuick runs it)", l.Name)
			}
			out, err := l.Run(context.Background(), Options{Quick: true}, nil)
			if err != nil {
				t.Fatalf("got %v; want the lesson to run without epoll", err)
			}
			if !out.Holds() {
				t.Errorf("claims %+v; want them to hold without epoll", out.Claims)
			}
			for _, c := range out.Claims {
				if strings.HasPrefix(c.Statement, "epoll") && (c.Verdict != Inconclusive || c.Why != "available on Linux only" || c.Measured != "-") {
					t.Errorf("claim %+v measured epoll, which could not run; want it inconclusive, saying why", c)
				}
			}
		})
	}
}

// TestParallelClaims feeds not-parallelism's check made-up rounds: one P
// waiting on four pages at once in one page's time, keeping at most one
// core busy with the CPU steps, and two Ps keeping more than one busy,
// hold; a batch that waited one page at a time, one P that kept two cores
// busy, or two Ps that kept one, fail; and where two spinning goroutines
// got no second core, the two-P claim is inconclusive, not failed.
func TestParallelClaims(t *testing.T) {
	cases := []struct {
		name     string
		inFlight int
		wait     time.Duration
		one, two float64
		free     float64
		verdicts [4]Verdict
	}{
		{"a quiet 2-core machine", 4, 101 * time.Millisecond, 1.0, 1.95, 1.97, [4]Verdict{Holds, Holds, Holds, Holds}},
		{"a second core half free", 4, 102 * time.Millisecond, 1.0, 1.7, 1.62, [4]Verdict{Holds, Holds, Holds, Holds}},
		{"yes holding a core, steps on 1.3", 4, 103 * time.Millisecond, 1.0, 1.33, 1.34, [4]Verdict{Holds, Holds, Holds, Holds}},
		{"yes holding a core, steps on 1.15", 4, 103 * time.Millisecond, 1.0, 1.15, 1.2, [4]Verdict{Holds, Holds, Holds, Inconclusive}},
		{"sequential: one page at a time", 1, 400 * time.Millisecond, 1.0, 1.0, 1.96, [4]Verdict{Fails, Fails, Holds, Fails}},
		{"one P busy on two cores", 4, 101 * time.Millisecond, 1.6, 1.95, 1.97, [4]Verdict{Holds, Holds, Fails, Holds}},
		{"no second core to give", 4, 101 * time.Millisecond, 1.0, 1.02, 1.05, [4]Verdict{Holds, Holds, Holds, Inconclusive}},
	}
	for _, c := range cases {
		m := parallelRun{
			walls:    map[string][]time.Duration{"io/1": {c.wait, c.wait, c.wait}},
			inFlight: map[string][]int{"io/1": {c.inFlight, c.inFlight, c.inFlight}},
			cores:    map[string][]float64{"cpu/1": {c.one, c.one, c.one}, "cpu/2": {c.two, c.two, c.two}},
			free:     []float64{c.free, c.free, c.free},
		}
		for i, claim := range m.claims() {
			if claim.Verdict != c.verdicts[i] {
				t.Errorf("%s: %q measured %s: verdict %s; want %s", c.name, claim.Statement, claim.Measured, claim.Verdict.Mark(), c.verdicts[i].Mark())
			}
		}
	}
}

// TestOneLoopServerFallsBack: where no server process can be started, the
// server runs in this process, the largest size drops to 5,000 (two
// descriptors a connection within 20,000) and a note says so.
func TestOneLoopServerFallsBack(t *testing.T) {
	real := startServerProcess
	t.Cleanup(func() { startServerProcess = real })
	startServerProcess = func(mockserver.Config) (*serverproc.Proc, error) { return nil, errors.New("no MaybeServe") }
	sizes := []int{1000, 10000}
	base, notes, stop, err := oneLoopServer(sizes)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if sizes[1] != 5000 || len(notes) != 2 || !strings.Contains(notes[1], "5,000") || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("sizes %v, notes %q, base %q; want 1000,5000, a note, an in-process server", sizes, notes, base)
	}
}

// TestFailedPagesReadAsOneLine: a lesson whose pages time out by the
// dozen says so in one line (how many of how many, by class, the first
// error) with a hint, never every error joined.
func TestFailedPagesReadAsOneLine(t *testing.T) {
	var rs []strategies.Result
	for i := range 40 {
		r := strategies.Result{Index: i, Class: strategies.ClassOK}
		switch {
		case i < 30:
			r.Class, r.Err = strategies.ClassTimeout, fmt.Errorf("read tcp 127.0.0.1:%d: i/o timeout", 40000+i)
		case i == 30:
			r.Class, r.Err = strategies.ClassReset, errors.New("connection reset by peer")
		}
		rs = append(rs, r)
	}
	err := failedPages("tail-at-scale: perrequest, no hedging", rs, false)
	msg := fmt.Sprint(err)
	for _, want := range []string{"31 of 40 pages failed (timeout 30, reset 1)", "first: timeout: read tcp 127.0.0.1:40000: i/o timeout", "try --quick"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q; want it to say %q", msg, want)
		}
	}
	if strings.Count(msg, "i/o timeout") != 1 || strings.Contains(msg, "\n") {
		t.Errorf("error %q; want one line naming one error", msg)
	}
	if err := failedPages("waiting", rs[31:], false); err != nil {
		t.Errorf("no page failed, error %v; want nil", err)
	}
	if msg := fmt.Sprint(failedPages("waiting", rs, true)); strings.Contains(msg, "try --quick") {
		t.Errorf("--quick already: %q; want another hint", msg)
	}
}

// TestInconclusiveIsNotANo: a claim this machine cannot judge keeps the
// lesson's exit 0 and is shown with why; a failed one is a NO.
func TestInconclusiveIsNotANo(t *testing.T) {
	failing := NumberClaim("two Ps: cores busy", AtLeast(1.2, "cores", 2), 1.05, "")
	if held := NumberClaim("two Ps: cores busy", AtLeast(1.2, "cores", 2), 1.3, "").Unjudged("no second core"); held.Verdict != Holds {
		t.Errorf("a claim that held, unjudged: %s; want it to stay ok", held.Verdict.Mark())
	}
	out := Outcome{Claims: []Claim{failing.Unjudged("two spinning goroutines got 1.10 cores")}}
	if !out.Holds() || failing.Verdict != Fails {
		t.Errorf("holds %v, verdict before %s; want an inconclusive claim not to fail the lesson", out.Holds(), failing.Verdict.Mark())
	}
	if lines := out.Inconclusive(); len(lines) != 1 || lines[0] != "two Ps: cores busy: inconclusive on this machine: two spinning goroutines got 1.10 cores" {
		t.Errorf("lines %q; want the claim, and why it could not be judged", lines)
	}
	if (Outcome{Claims: []Claim{failing}}).Holds() {
		t.Error("a failed claim held the lesson; want NO")
	}
}

// TestFreeCoresIsCPUOverTime: two goroutines spinning side by side get at
// least some of a core and no more cores than the machine has, whatever
// else runs (a probe that said 0 would make not-parallelism's two-core
// claim inconclusive for good, with every other test green).
func TestFreeCoresIsCPUOverTime(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	if got := freeCores(); got < 0.3 || got > float64(runtime.NumCPU())+0.1 {
		t.Errorf("two goroutines spinning got %.2f cores; want between 0.3 and the machine's %d", got, runtime.NumCPU())
	}
}
