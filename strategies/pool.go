package strategies

import (
	"context"
	"sync"
	"sync/atomic"
)

// Pool runs a fixed crew of worker goroutines that take jobs one after
// another: the article's thread pool. Config.Concurrency is the number of
// workers (never more than the number of jobs). However many jobs there
// are, the goroutine count stays at the crew size.
type Pool struct {
	client  *httpClient
	workers int
	gauge   *Gauge
}

// NewPool returns a Pool fetcher. Close it to drop its keep-alive
// connections.
func NewPool(cfg Config) *Pool {
	return &Pool{client: newHTTPClient(cfg, cfg.concurrency()), workers: cfg.concurrency(), gauge: cfg.Gauge}
}

// Fetch runs the crew over the jobs and waits until it is done (see
// runCrew). done is called from the workers, concurrently, and, for jobs
// never handed out because ctx ended, from the caller's goroutine.
func (p *Pool) Fetch(ctx context.Context, jobs Jobs, done func(Result)) error {
	mustBeMade(p.client != nil, "Pool")
	runCrew(ctx, p.gauge, p.workers, jobs, done, func(worker int, take func() (int, bool)) {
		for i, ok := take(); ok; i, ok = take() {
			done(p.client.fetch(ctx, i, worker, jobs.Job(i)))
		}
	})
	return ctx.Err()
}

// Close drops the idle keep-alive connections.
func (p *Pool) Close() error { return p.client.Close() }

// runCrew runs work on min(workers, jobs) goroutines of their own, worker
// 1, 2, …, and waits for them. Each worker calls take for its next job index until take
// reports there is none; the jobs no worker took before ctx ended are
// reported canceled. FastHTTP's crew runs the same way.
//
// In a closed batch a worker claims the next index with an atomic add: no
// goroutine hands jobs out, so none is woken per request (a hand-off
// through a channel cost a context switch per request), and a batch of
// any size costs one counter. In an open batch (jobs with an At) feed
// hands each index out at its At instead.
func runCrew(ctx context.Context, gauge *Gauge, workers int, jobs Jobs, done func(Result), work func(worker int, take func() (int, bool))) {
	n := jobs.Len()
	var wg sync.WaitGroup
	if hasArrivals(jobs) {
		next := make(chan int) // unbuffered: a job is handed over only to an idle worker, at its At
		for w := range min(workers, n) {
			gauge.Go(&wg, func() { work(w+1, func() (int, bool) { i, ok := <-next; return i, ok }) })
		}
		feed(ctx, next, jobs, done)
		wg.Wait()
		return
	}
	var claimed atomic.Int64
	for w := range min(workers, n) {
		gauge.Go(&wg, func() {
			work(w+1, func() (int, bool) {
				if ctx.Err() != nil {
					return 0, false
				}
				i := int(claimed.Add(1) - 1)
				return i, i < n
			})
		})
	}
	wg.Wait()
	if first := int(min(claimed.Load(), int64(n))); first < n {
		cancelFrom(ctx, first, n, done)
	}
}

// feed sends job indexes to the workers until all are handed out or ctx
// ends, then closes next so that the workers return. The jobs never handed
// out are reported canceled.
//
// It blocks, on the caller's goroutine, until each job's At before handing
// it out, so the workers need no clock: a worker that takes a job starts it
// at once. A job due while every worker is busy waits for one, and starts
// late; that lateness is the measurement, not an error.
func feed(ctx context.Context, next chan<- int, jobs Jobs, done func(Result)) {
	defer close(next)
	n := jobs.Len()
	var pace pacer
	defer pace.stop()
	for i := range n {
		if pace.wait(ctx, jobs.Job(i).At) != nil {
			cancelFrom(ctx, i, n, done)
			return
		}
		select {
		case next <- i:
		case <-ctx.Done():
			cancelFrom(ctx, i, n, done)
			return
		}
	}
}
