package lessons

import (
	"context"
	"errors"
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
		if got.Holds != c.holds {
			t.Errorf("%s with %d goroutines at C=400: holds %v; want %v", c.strategy, c.goroutines, got.Holds, c.holds)
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
				if strings.HasPrefix(c.Statement, "epoll") && c.Measured != "available on Linux only" {
					t.Errorf("claim %+v measured epoll, which could not run", c)
				}
			}
		})
	}
}

// TestParallelClaims feeds not-parallelism's check made-up medians: with
// two free cores the CPU step 1.6× slower on one core holds, 1.1× does
// not; with one free core (another program busy, or a one-core machine)
// the prediction is ≈ 1×, and 1.6× does not hold; waiting 1.5× slower on
// one core fails either way.
func TestParallelClaims(t *testing.T) {
	cases := []struct {
		io1, io2, cpu1, cpu2 time.Duration
		free                 float64
		holds                bool
	}{
		{101, 100, 480, 300, 1.95, true},
		{101, 100, 330, 300, 1.95, false},
		{150, 100, 480, 300, 1.95, false},
		{101, 100, 500, 490, 1.02, true},
		{101, 100, 480, 300, 1.02, false},
		{101, 100, 461, 382, 1.55, true}, // a CI run with yes > /dev/null holding a core
	}
	for _, c := range cases {
		walls := map[string]time.Duration{"io/1": c.io1, "io/2": c.io2, "cpu/1": c.cpu1, "cpu/2": c.cpu2}
		got := Outcome{Claims: parallelClaims(func(k string) time.Duration { return walls[k] * time.Millisecond }, c.free)}
		if got.Holds() != c.holds {
			t.Errorf("%+v: claims %+v; want holds %v", c, got.Claims, c.holds)
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
