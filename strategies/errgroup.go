package strategies

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// Errgroup uses golang.org/x/sync/errgroup with SetLimit: still one
// goroutine per job, but at most Config.Concurrency of them alive at once,
// because Go blocks until a slot frees. Unlike Pool, goroutines are created
// and destroyed all the time; unlike PerRequest, their number is bounded.
//
// It deliberately uses a plain Group, not WithContext: one failed page must
// not cancel the others, because a failure is data, not an abort.
type Errgroup struct {
	client *httpClient
	limit  int
	gauge  *Gauge
}

// NewErrgroup returns an Errgroup fetcher. Close it to drop its keep-alive
// connections.
func NewErrgroup(cfg Config) *Errgroup {
	return &Errgroup{client: newHTTPClient(cfg, cfg.concurrency()), limit: cfg.concurrency(), gauge: cfg.Gauge}
}

// Fetch starts a goroutine per job, each no sooner than the job's At and at
// most limit at once, and waits for them. done is called from those
// goroutines, concurrently, and, for jobs never started because ctx ended,
// from the caller's goroutine.
func (e *Errgroup) Fetch(ctx context.Context, jobs Jobs, done func(Result)) error {
	mustBeMade(e.client != nil, "Errgroup")
	var g errgroup.Group
	g.SetLimit(e.limit)
	// The goroutine slots, for Result.Lane: errgroup lets at most limit
	// goroutines run, so a running one always finds a free slot here.
	slots := make(chan int, min(e.limit, jobs.Len()))
	for s := range cap(slots) {
		slots <- s + 1
	}
	startEach(ctx, jobs, done, func(i int, job Job) {
		g.Go(func() error { // blocks while limit goroutines are running
			// Counted from inside: counting before g.Go would count this
			// goroutine while g.Go still waits for a slot, above the limit.
			e.gauge.Add(1)
			defer e.gauge.Add(-1)
			slot := <-slots
			res := e.client.fetch(ctx, i, slot, job)
			slots <- slot
			done(res)
			return nil
		})
	})
	_ = g.Wait() // the goroutines never return an error: failures are in the results
	return ctx.Err()
}

// Close drops the idle keep-alive connections.
func (e *Errgroup) Close() error { return e.client.Close() }
