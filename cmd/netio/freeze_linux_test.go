package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/results"
)

// The freeze test (wrk2's coordinated-omission demonstration, made a
// test): the mock server, `netio serve` in a process of its own, is
// stopped with SIGSTOP for freezeFor in the middle of a measured pass, and
// the latencies netio reports must say so. In an open run at R arrivals a
// second for D, the arrivals of the freeze, a share F/D of them, wait for
// its end, their latencies spread evenly over (0, F]: the q-th percentile,
// for q above 1 − F/D, is F − (1 − q)·D. Here (400/s, 10 s, F = 2 s) p90
// is 1,000 ms and p99 1,900 ms. A client that measured from each
// request's actual start instead of its intended one (coordinated
// omission) would report 2 s for the few requests in flight at the freeze
// (at most one per worker or connection) and milliseconds for the rest,
// those that waited in the client: p99 of a few ms.
//
// Each test runs bench.Run, the library behind `netio bench`, with this
// binary as `netio bench-child` and as `netio serve` (TestMain), exactly
// the processes a user's `netio bench --target URL` runs.
const (
	freezeFor      = 2 * time.Second
	freezeRate     = 400
	freezeDuration = 10 * time.Second
	freezeAt       = 4 * time.Second // into the measured pass's schedule: from 4 s to 6 s of 10
	freezeLatency  = time.Millisecond
)

// freezeStrategies are measured under the freeze: a net/http strategy and
// an event loop.
var freezeStrategies = []string{"pool", "epoll"}

// TestFreezeOpen stops the server from 4 s to 6 s of an open run's
// measured pass (400/s for 10 s, 1 ms pages), for pool and for epoll, each
// in its child, and checks that p90 is within 15 % of 1,000 ms and p99
// within 10 % of 1,900 ms, that the run's series shows no completion while
// the server is stopped and a burst when it resumes, and that every answer
// is right.
//
// The freeze is timed by the plan's timetable rather than by watching the
// child: with StartAt, an open run's pass p has its first arrival at
// StartAt + p·(Duration + PassGap) (Spec.PassStart), so the measured pass,
// the one after the cold pass, begins at a time known before the child
// starts, to the child's timer.
//
// The two strategies run at once, each against a server of its own, their
// timetables freezeStagger apart: the test lasts one cold pass, the gap,
// one measured pass and the stagger (about 25 s), not two of each, and
// neither freeze lands on the other strategy. Nor does one client's drain,
// when its server resumes and the 800 requests of the freeze complete
// together, compete with the other's: the drain is what the formula leaves
// out (it takes the requests to complete the moment the server resumes),
// and it is slowest where the client is slow. Under -race a net/http
// client takes 40–90 ms longer to drain its backlog than epoll, which
// shows in p90 (the 400th request from the top waits behind some 380
// others): with both freezes at once, pool's p90 reached 1,161 ms beside
// a busy core; apart, as here, at most 1,127 ms beside one and 1,138 ms
// beside two (docs/results.md, "Proof: the freeze test").
//
// Concurrency 20 rather than netio bench's 100 keeps the drain short too:
// during the freeze every worker holds a request on a connection of its
// own, and 100 of them (98 dialed while the server is stopped) cost the
// resumed server and the client more than 20 (pool under -race, 3 runs
// each: p90 1,090–1,120 ms against 1,066–1,083 ms); at 400/s and 1 ms
// pages one or two are busy.
func TestFreezeOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the freeze test (25 s) in -short mode")
	}
	start := time.Now().Add(500 * time.Millisecond) // room for the children to start; a cold pass that begins late only catches up
	runs := make([]*results.Run, len(freezeStrategies))
	freezes := make([]freezeTimes, len(freezeStrategies))
	var wg sync.WaitGroup
	for i, name := range freezeStrategies {
		srv := startFreezable(t)
		at := start.Add(time.Duration(i) * freezeStagger)
		wg.Go(func() { runs[i], freezes[i] = srv.openFrozen(t, name, at) })
	}
	wg.Wait()
	for i, name := range freezeStrategies {
		r, fz := runs[i], freezes[i]
		if r == nil {
			continue
		}
		t.Logf("%s: p50 %.1f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms; %d late; server stopped %v, from %v to %v into the measured pass",
			name, r.LatencyMS.P50, r.LatencyMS.P90, r.LatencyMS.P99, r.LatencyMS.Max, r.Late,
			fz.frozen().Round(time.Millisecond), fz.stoppedAt, fz.resumedAt)
		checkAnswers(t, name, r, freezeRate*int(freezeDuration/time.Second))
		if p90, w := r.LatencyMS.P90, freezePercentile(0.90, fz.frozen()); p90 < w*0.85 || p90 > w*1.15 {
			t.Errorf("%s: p90 %.0f ms; want %.0f ms ± 15 %%", name, p90, w)
		}
		if p99, w := r.LatencyMS.P99, freezePercentile(0.99, fz.frozen()); p99 < w*0.90 || p99 > w*1.10 {
			t.Errorf("%s: p99 %.0f ms; want %.0f ms ± 10 %%", name, p99, w)
		}
		checkGap(t, name, r, fz)
	}
}

// freezeStagger separates the strategies' timetables in TestFreezeOpen:
// more than a freeze and the drain after it.
const freezeStagger = 3 * time.Second

// freezePercentile is the q-th percentile of an open run's latency, in
// ms, under a freeze of F (the one measured, 2 s and the few ms the
// signals take): F − (1 − q)·D, for q above 1 − F/D.
func freezePercentile(q float64, frozen time.Duration) float64 {
	return (frozen - time.Duration((1-q)*float64(freezeDuration))).Seconds() * 1000
}

// openFrozen runs an open bench of strategy name against s (400/s for
// 10 s, 1 ms pages, one measured pass after the cold one, the cold pass's
// first arrival at start), and stops s from 4 s to 6 s of the measured
// pass. It returns the bench's run (nil, and the test marked failed, if
// there is none) and the freeze.
func (s freezable) openFrozen(t *testing.T, name string, start time.Time) (*results.Run, freezeTimes) {
	plan := bench.Plan{
		Strategies: []string{name}, Mode: results.ModeOpen, Rate: []float64{freezeRate}, Duration: freezeDuration,
		Concurrency: []int{20}, Latency: []time.Duration{freezeLatency}, Count: 1, Timeout: 10 * time.Second,
		Seed: 1, Target: s.url, StartAt: start,
	}
	var (
		file results.File
		err  error
		wg   sync.WaitGroup
	)
	wg.Go(func() { file, err = bench.Run(context.Background(), plan, bench.Options{Child: quietChild}) })
	measured := start.Add(freezeDuration + bench.PassGap) // the second pass's first arrival
	fz := s.freeze(measured.Add(freezeAt), freezeFor)
	wg.Wait()
	fz.stoppedAt, fz.resumedAt = fz.stopped.Sub(measured).Round(time.Millisecond), fz.resumed.Sub(measured).Round(time.Millisecond)
	return onlyRun(t, name, file, err), fz
}

// TestFreezeClosed stops the server for 2 s in the middle of a closed
// run's measured pass (2,000 requests, 2 at once, 1 ms pages: at least
// 1 s undisturbed), pool then epoll. A closed client waits with the
// server, so the freeze shows only in the requests it caught, as the
// pass's max latency (≥ 2 s), and in its wall time (≥ the ideal
// ⌈N/C⌉·1 ms + 2 s, since no request progresses while the server is
// stopped): lower bounds, which a busy machine can only raise.
//
// A closed pass keeps no timetable: the freeze starts at the first
// progress message (every 250 ms) that counts a request of the measured
// pass, that is, more than the cold pass's N.
func TestFreezeClosed(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the freeze test in -short mode")
	}
	const n, c = 2000, 2
	srv := startFreezable(t)
	plan := bench.Plan{
		Strategies: freezeStrategies, Mode: results.ModeClosed, N: []int{n}, Concurrency: []int{c},
		Latency: []time.Duration{freezeLatency}, Count: 1, Timeout: 10 * time.Second, Seed: 1, Target: srv.url,
	}
	freezes := make([]freezeTimes, len(freezeStrategies))
	var wg sync.WaitGroup
	frozen := -1 // the last point frozen; Progress is called from one goroutine at a time
	file, err := bench.Run(context.Background(), plan, bench.Options{Child: quietChild, Progress: func(s bench.Status) {
		if s.Point > frozen && s.Done > n {
			frozen = s.Point
			wg.Go(func() { freezes[s.Point] = srv.freeze(time.Now(), freezeFor) })
		}
	}})
	wg.Wait()
	if err != nil || len(file.Failures) > 0 || len(file.Runs) != len(freezeStrategies) {
		t.Fatalf("bench: %v, failures %v, %d runs; want one run per strategy", err, file.Failures, len(file.Runs))
	}
	for i, r := range file.Runs {
		fz := freezes[i]
		t.Logf("%s: max %.0f ms, wall %.2f s (ideal %.2f s, cold pass %.2f s); server stopped %v",
			r.Strategy, r.LatencyMS.Max, r.WallS, deref(r.IdealS), r.WallColdS, fz.frozen().Round(time.Millisecond))
		checkAnswers(t, r.Strategy, &r, n)
		began, err := time.Parse(time.RFC3339Nano, r.StartedAt)
		if err != nil {
			t.Fatalf("%s: started_at %q: %v", r.Strategy, r.StartedAt, err)
		}
		ended := began.Add(time.Duration(r.WallS * float64(time.Second)))
		if fz.stopped.IsZero() || fz.stopped.Before(began) || fz.resumed.After(ended) {
			t.Fatalf("%s: the freeze (%v to %v) missed the measured pass (%v to %v)", r.Strategy,
				fz.stopped.Format(time.StampMilli), fz.resumed.Format(time.StampMilli), began.Format(time.StampMilli), ended.Format(time.StampMilli))
		}
		// Less a little for what the stop's and the resumption's signals
		// take to land.
		slack := 20 * time.Millisecond
		if longest := time.Duration(r.LatencyMS.Max * float64(time.Millisecond)); longest < freezeFor-slack {
			t.Errorf("%s: max latency %v; want at least the freeze, %v", r.Strategy, longest, freezeFor)
		}
		if r.IdealS == nil {
			t.Fatalf("%s: no ideal time; want ⌈N/C⌉·1 ms", r.Strategy)
		}
		if wall, floor := r.WallS, *r.IdealS+(freezeFor-slack).Seconds(); wall < floor {
			t.Errorf("%s: wall %.3f s; want at least the ideal %.3f s + the freeze %v", r.Strategy, wall, *r.IdealS, freezeFor)
		}
	}
}

// freezable is `netio serve` in a process of its own, which the test can
// stop and resume.
type freezable struct {
	url  string
	proc *os.Process
}

// startFreezable starts `netio serve` (this binary, by TestMain) on a free
// loopback port; the test's cleanup stops it.
func startFreezable(t *testing.T) freezable {
	t.Helper()
	cmd := netioCommand(t, nil, "serve", "--addr", "127.0.0.1:0", "--seed", "1", "--stop-on-stdin-eof")
	cmd.Env = append(cmd.Env, raceNoExitSleep())
	proc, err := serverproc.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT) // whatever happened, Close must find it running
		if err := proc.Close(); err != nil {
			t.Errorf("mock server: %v", err)
		}
	})
	return freezable{url: proc.URL, proc: cmd.Process}
}

// freezeTimes is when a freeze was made: stopped just after the stop was
// sent, resumed just before the resumption was.
type freezeTimes struct {
	stopped, resumed time.Time
	// stoppedAt and resumedAt are the same from the measured pass's
	// schedule (open runs).
	stoppedAt, resumedAt time.Duration
}

// frozen is how long the server was stopped.
func (f freezeTimes) frozen() time.Duration { return f.resumed.Sub(f.stopped) }

// freeze waits until at, stops the server (SIGSTOP), and resumes it
// (SIGCONT) d later. It blocks until the server runs again.
func (s freezable) freeze(at time.Time, d time.Duration) freezeTimes {
	time.Sleep(time.Until(at))
	var f freezeTimes
	if err := s.proc.Signal(syscall.SIGSTOP); err != nil {
		return f
	}
	f.stopped = time.Now()
	defer s.proc.Signal(syscall.SIGCONT)
	time.Sleep(d)
	f.resumed = time.Now()
	return f
}

// quietChild is `netio bench-child`, this binary, without the race
// detector's second of sleep at exit.
func quietChild(ctx context.Context) *exec.Cmd {
	cmd := childCommand(ctx)
	cmd.Env = append(os.Environ(), raceNoExitSleep())
	return cmd
}

// raceNoExitSleep keeps a -race binary from sleeping a second when it
// exits, to let late race reports out (harmless without -race).
func raceNoExitSleep() string {
	return "GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

// onlyRun is a bench's one run, or nil after reporting why there is none.
func onlyRun(t *testing.T, name string, f results.File, err error) *results.Run {
	t.Helper()
	if err != nil || len(f.Failures) > 0 || len(f.Runs) != 1 {
		t.Errorf("%s: bench: %v, failures %v, %d runs; want one run", name, err, f.Failures, len(f.Runs))
		return nil
	}
	return &f.Runs[0]
}

// checkAnswers wants every one of n requests answered, and rightly: a
// freeze delays answers, it must not lose or spoil any.
func checkAnswers(t *testing.T, name string, r *results.Run, n int) {
	t.Helper()
	if r.N != n || r.Verified != n || r.Failed != 0 || r.Mismatched != 0 || r.Dropped != 0 {
		t.Errorf("%s: n %d, verified %d, failed %d %v, mismatched %d, dropped %d; want all %d verified",
			name, r.N, r.Verified, r.Failed, r.Errors, r.Mismatched, r.Dropped, n)
	}
}

// checkGap wants the run's series to show the freeze: no request
// completes in an interval that lies wholly inside it, then the requests
// it held back complete together, in a burst.
func checkGap(t *testing.T, name string, r *results.Run, fz freezeTimes) {
	t.Helper()
	began, err := time.Parse(time.RFC3339Nano, r.StartedAt)
	if r.Series == nil || err != nil || fz.stopped.IsZero() {
		t.Errorf("%s: series %v, started_at %q (%v), freeze %+v; want a series and a freeze", name, r.Series != nil, r.StartedAt, err, fz)
		return
	}
	se := r.Series
	every := time.Duration(se.IntervalMS * float64(time.Millisecond))
	// A response that reached the client just before the stop may be
	// read, and its end stamped, a little after it on a busy machine: the
	// intervals counted as inside begin 100 ms into the freeze.
	from, to := fz.stopped.Sub(began)+100*time.Millisecond, fz.resumed.Sub(began)
	inside, steady := 0, 0
	for i, n := range se.Completions {
		lo, hi := time.Duration(i)*every, time.Duration(i+1)*every
		switch {
		case lo >= from && hi <= to:
			inside++
			if n != 0 {
				t.Errorf("%s: %d requests completed in %v–%v, while the server was stopped (%v–%v into the pass)", name, n, lo, hi, from, to)
			}
		case hi <= from:
			steady = max(steady, n)
		}
	}
	if inside == 0 {
		t.Errorf("%s: no interval of %v lies inside the freeze (%v–%v into the pass)", name, every, from, to)
	}
	// The burst: the interval in which the server resumed, or the next.
	k := int(to / every)
	burst := 0
	for i := k; i <= k+1 && i < len(se.Completions); i++ {
		burst = max(burst, se.Completions[i])
	}
	t.Logf("%s: series per %v: %d intervals inside the freeze; at most %d completions per interval before it, %d in the burst after",
		name, every, inside, steady, burst)
	if burst < 2*steady {
		t.Errorf("%s: at most %d completions in an interval after the freeze; want a burst, more than twice the %d before it", name, burst, steady)
	}
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}
