package lessons

import (
	"context"
	"fmt"
	"time"
)

// blockingCallback shows the event loop's one rule: a callback runs on
// the loop, so while it blocks nothing else on the loop moves. The same
// slow callback in a pool of goroutines stalls only the worker that runs
// it.
var blockingCallback = Lesson{
	Name:     "blocking-callback",
	Summary:  "a done callback that sleeps 50 ms: the event loop stalls behind it, a pool does not",
	Duration: time.Second,
	Setup: "Eight pages, 50 ms each, all eight in flight at once. After each page arrives, " +
		"the program's done callback does 50 ms of blocking work (a sleep, standing for a slow " +
		"disk write or a lock held too long). epoll runs every callback on its one loop goroutine; " +
		"pool runs each on the worker goroutine that fetched the page.",
	Question: "How long will each strategy take for the eight pages?",
	Explain: "epoll's loop can only do one thing at a time: while a callback sleeps, no socket is " +
		"read, no other page is processed, and the eight 50 ms callbacks run end to end (the " +
		"timeline shows each bar waiting for the one before). The pool's workers sleep side by " +
		"side, so the total stays near one page plus one callback. This is why an event loop's " +
		"callbacks must never block, the article's warning: hand slow work to another goroutine.",
	run: runBlocking,
}

func runBlocking(ctx context.Context, o Options, live func([]Timeline)) (Outcome, error) {
	// Eight pages keep both timelines on one 80×24 screen.
	n, delay, slow := 8, 50*time.Millisecond, 50*time.Millisecond
	if o.Quick {
		n = 6
	}
	srv, err := startServer()
	if err != nil {
		return Outcome{}, err
	}
	defer srv.Close()
	pages := stationPages(n, delay)
	names := []string{"epoll", "pool"}
	if o.Strategies != nil {
		names = o.Strategies
	}
	b := &board{live: live}
	var out Outcome
	for i, name := range names {
		got, err := b.fetchWith(ctx, name, n, jobs(srv, pages), fetchOptions{slow: slow})
		if unavailable(err, &out) {
			continue
		}
		if err != nil {
			return Outcome{}, err
		}
		if err := failedPages("blocking-callback: "+name, got.Results, o.Quick); err != nil {
			return Outcome{}, err
		}
		out.Claims = append(out.Claims, blockingClaim(name, i == 0, n, delay, slow, got.Wall))
	}
	out.Timelines = b.snapshot()
	return out, nil
}

// blockingClaim checks one strategy's batch. The event loop (first) takes
// at least the n callbacks end to end: a lower bound, since each sleeps
// its whole time on the one loop. The pool takes about one page and one
// callback; its bound, twice that, leaves a page-and-callback's time for a
// busy machine and is still below the loop's.
func blockingClaim(name string, loop bool, n int, delay, slow time.Duration, wall time.Duration) Claim {
	if loop {
		serial := time.Duration(n) * slow
		return NumberClaim(name+" stalls behind each callback",
			AtLeast(inMS(serial), "ms", 0).Because(fmt.Sprintf("%d × %s, end to end", n, msString(slow))), inMS(wall), "")
	}
	return NumberClaim(name+" sleeps its callbacks side by side",
		AtMost(inMS(2*(delay+slow)), "ms", 0).Because("≈ "+msString(delay+slow)+": a page, then a callback"), inMS(wall), "")
}
