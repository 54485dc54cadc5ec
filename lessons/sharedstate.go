package lessons

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sharedState is the article's shared counter: callbacks that count the
// pages done. On an event loop every callback runs on the one loop
// goroutine, one after another, so a plain variable is safe. With a
// goroutine per request the callbacks run at once, and a plain counter
// loses updates; an atomic add or a mutex mends it.
var sharedState = Lesson{
	Name:     "shared-state",
	Summary:  "a page counter without a lock: safe on the event loop, losing updates with goroutines; atomic and mutex mend it",
	Duration: time.Second,
	Setup: "Each page's done callback adds one to a counter shared by all of them. We fetch 200 " +
		"pages four ways: epoll with a plain int, perrequest (a goroutine each) with the same plain " +
		"int, then perrequest with an atomic counter and with a mutex. The plain increment reads the " +
		"counter, yields (runtime.Gosched, standing for any preemption between the read and the " +
		"write: it widens a window that is always there), then writes it back plus one.",
	Question: "What will each counter read after 200 pages?",
	Explain: "epoll's callbacks all run on its one goroutine, so they never overlap and the plain " +
		"counter is exact: the article's point that an event loop needs no locks. perrequest's " +
		"callbacks run on 200 goroutines at once: two read the same value and both write it back " +
		"plus one, and an update is lost. That is a data race; build with -race (go run -race " +
		"./cmd/netio demo shared-state) and the race detector reports it. An atomic add, or a " +
		"mutex around the read and the write, makes the increment one step no one can interleave.",
	run: runSharedState,
}

// racyAdd is the unsynchronized increment, its window widened.
func racyAdd(counter *int) {
	v := *counter
	runtime.Gosched()
	*counter = v + 1
}

func runSharedState(ctx context.Context, o Options, live func([]Timeline)) (Outcome, error) {
	n := 200
	if o.Quick {
		n = 100
	}
	srv, err := startServer()
	if err != nil {
		return Outcome{}, err
	}
	defer srv.Close()
	// One delay for all: the answers, and so the callbacks, come together.
	pages := stationPages(n, 20*time.Millisecond)
	loop, goroutines := "epoll", "perrequest"
	if o.Strategies != nil {
		loop, goroutines = o.Strategies[0], o.Strategies[1]
	}
	b := &board{live: live}
	var out Outcome
	// The racy runs are left out of a -race test binary: the race detector
	// would fail the test it finds them in, which is its job.
	racyAllowed := !(raceBuild && testing.Testing())

	if racyAllowed || loop == "epoll" {
		plain := 0
		_, err := b.fetchWith(ctx, loop, 4, jobs(srv, pages), fetchOptions{onDone: func() { racyAdd(&plain) }})
		switch {
		case unavailable(err, &out):
		case err != nil:
			return Outcome{}, err
		default:
			out.Claims = append(out.Claims, NumberClaim(loop+", a plain int: no update lost", Exactly(float64(n), "", 0), float64(plain), ""))
		}
	}
	if racyAllowed {
		plain := 0
		if _, err := b.fetchWith(ctx, goroutines, n, jobs(srv, pages), fetchOptions{onDone: func() { racyAdd(&plain) }, offBoard: true}); err != nil {
			return Outcome{}, err
		}
		out.Claims = append(out.Claims, NumberClaim(goroutines+", a plain int: updates lost", AtMost(float64(n-1), "", 0), float64(plain), ""))
	} else {
		out.Claims = append(out.Claims, LeftOut(goroutines+", a plain int: left out", "a -race test binary would fail on its data race"))
	}
	var atomicCount atomic.Int64
	if _, err := b.fetchWith(ctx, goroutines, n, jobs(srv, pages), fetchOptions{onDone: func() { atomicCount.Add(1) }, offBoard: true}); err != nil {
		return Outcome{}, err
	}
	out.Claims = append(out.Claims, NumberClaim(goroutines+", atomic.Int64: exact", Exactly(float64(n), "", 0), float64(atomicCount.Load()), ""))
	var mu sync.Mutex
	locked := 0
	if _, err := b.fetchWith(ctx, goroutines, n, jobs(srv, pages), fetchOptions{onDone: func() { mu.Lock(); racyAdd(&locked); mu.Unlock() }, offBoard: true}); err != nil {
		return Outcome{}, err
	}
	out.Claims = append(out.Claims, NumberClaim(goroutines+", a mutex around it: exact", Exactly(float64(n), "", 0), float64(locked), ""))
	out.Timelines = b.snapshot()
	return out, nil
}
