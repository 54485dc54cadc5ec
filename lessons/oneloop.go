package lessons

import (
	"context"
	"fmt"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// oneLoop is the C10K question: what does it cost to hold many
// connections open at once? A goroutine (or a thread) per connection costs
// one each; an event loop holds them all with one.
var oneLoop = Lesson{
	Name:     "one-loop",
	Summary:  "1,000 and 10,000 connections held open by a 1 s delay: goroutines per strategy, one for the event loop",
	Duration: 15 * time.Second,
	Setup: "The server holds every page for 1 s, and each strategy fetches C pages with all C in " +
		"flight at once, so C connections stay open together. We count the strategy's own goroutines " +
		"at their peak (exactly, as netio bench does), the process's OS threads and the bytes allocated " +
		"per connection, for C = 1,000 and 10,000. The server runs in a process of its own.",
	Question: "How many goroutines will pool, perrequest, epoll and gnet need for 10,000 connections?",
	Explain: "pool and perrequest spend a goroutine per request in flight, plus net/http's two per " +
		"connection: their count grows with C. epoll holds every connection in one epoll set and " +
		"waits on all of them with one goroutine; gnet with one per event loop and its ticker: " +
		"constant in C. Threads hardly move either way: Go parks waiting goroutines in its poller " +
		"without a thread each, which is why goroutines are cheap — but not free: their stacks and " +
		"net/http's buffers show in the bytes per connection. (The article's C10K: with a thread per " +
		"connection, 10,000 of them was the wall.)",
	run: runOneLoop,
}

func runOneLoop(ctx context.Context, o Options, live func([]Timeline)) (Outcome, error) {
	sizes, delay := []int{1000, 10000}, time.Second
	if o.Quick {
		sizes, delay = []int{100, 400}, 200*time.Millisecond
	}
	base, notes, stop, err := oneLoopServer(sizes)
	if err != nil {
		return Outcome{}, err
	}
	defer stop()
	names := []string{"pool", "perrequest", "epoll", "gnet"}
	if o.Strategies != nil {
		names = o.Strategies
	}
	out := Outcome{Notes: notes}
	for _, name := range names {
		for _, c := range sizes {
			peaks, perConn, err := holdOpen(ctx, name, c, jobsAt(base, stationPages(c, delay)), o.Quick)
			if unavailable(err, &out) {
				break
			}
			if err != nil {
				return Outcome{}, err
			}
			out.Claims = append(out.Claims, oneLoopClaim(name, c, peaks, perConn))
		}
	}
	return out, nil
}

// oneLoopServer starts the lesson's mock server in a process of its own
// (serverproc.StartMock: this binary, whose main calls MaybeServe), so
// that the client's process holds one descriptor per connection and the
// server's the other: 10,000 connections in one process would need
// 20,000, this machine's limit. Where no such process can be started (a
// binary that does not call MaybeServe), the server runs in this process
// and the largest size drops to 5,000, which a note says.
func oneLoopServer(sizes []int) (base string, notes []string, stop func(), err error) {
	if p, err := startServerProcess(mockserver.Config{Seed: 1}); err == nil {
		return p.URL, nil, func() { p.Close() }, nil
	}
	srv, err := startServer()
	if err != nil {
		return "", nil, nil, err
	}
	if last := len(sizes) - 1; sizes[last] > 5000 {
		sizes[last] = 5000
		notes = append(notes, "The server runs in this process (no process of its own could be started):",
			"5,000 connections at most, within 20,000 descriptors for both ends.")
	}
	return srv.URL(), notes, func() { srv.Close() }, nil
}

// startServerProcess starts a mock server in a process of its own; a test
// puts a failing one in its place.
var startServerProcess = serverproc.StartMock

// holdOpen fetches js with all of them in flight and returns the peaks
// and the bytes allocated per connection.
func holdOpen(ctx context.Context, name string, c int, js strategies.JobList, quick bool) (harness.Peaks, float64, error) {
	info, err := strategies.Lookup(name)
	if err != nil {
		return harness.Peaks{}, 0, fmt.Errorf("lessons: %w", err)
	}
	gauge := new(strategies.Gauge)
	f, err := newFetcher(info, strategies.Config{Concurrency: c, Timeout: 30 * time.Second, Gauge: gauge})
	if err != nil {
		return harness.Peaks{}, 0, fmt.Errorf("lessons: %s: %w", name, err)
	}
	defer f.Close()
	before := harness.ReadUsage()
	probes := harness.StartProbes(gauge)
	rep, err := harness.Run(ctx, f, js, nil)
	peaks := probes.Stop()
	if err != nil {
		return peaks, 0, err
	}
	if rep.Failed > 0 {
		return peaks, 0, fmt.Errorf("lessons: one-loop: %s at C = %d: %s (%s)", name, c, rep.FailureLine("pages"), slowMachineHint(quick))
	}
	return peaks, float64(harness.ReadUsage().Since(before).AllocBytes) / float64(c), nil
}

// oneLoopClaim checks a count: goroutine strategies need at least a
// goroutine per connection; epoll one; gnet its loops and ticker, a
// handful whatever C is.
func oneLoopClaim(name string, c int, p harness.Peaks, perConn float64) Claim {
	detail := fmt.Sprintf("(%d threads, %.1f kB alloc/conn)", p.Threads, perConn/1000)
	got := float64(p.Goroutines)
	switch name {
	case "epoll":
		return NumberClaim(fmt.Sprintf("epoll, C = %d: one goroutine", c), Exactly(1, "goroutine", 0), got, detail)
	case "gnet":
		return NumberClaim(fmt.Sprintf("gnet, C = %d: its loops and ticker", c), AtMost(16, "goroutines", 0), got, detail)
	}
	return NumberClaim(fmt.Sprintf("%s, C = %d: a goroutine per connection", name, c), AtLeast(float64(c), "goroutines", 0), got, detail)
}
