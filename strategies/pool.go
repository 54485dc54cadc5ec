package strategies

import (
	"context"
	"sync"
)

// Pool runs a fixed crew of worker goroutines that take jobs from a channel:
// the article's thread pool. Config.Concurrency is the number of workers
// (never more than the number of jobs). However many jobs there are, the
// goroutine count stays at the crew size.
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

// Fetch starts the workers, hands them the jobs one by one, each at its At,
// and waits until they are done. done is called from the workers,
// concurrently, and, for jobs never handed out because ctx ended, from the
// caller's goroutine.
func (p *Pool) Fetch(ctx context.Context, jobs []Job, done func(Result)) error {
	next := make(chan int) // unbuffered: a job is handed over only to an idle worker
	var wg sync.WaitGroup
	for range min(p.workers, len(jobs)) {
		p.gauge.Go(&wg, func() {
			for i := range next {
				done(p.client.fetch(ctx, i, jobs[i]))
			}
		})
	}
	feed(ctx, next, jobs, done)
	wg.Wait()
	return ctx.Err()
}

// feed sends job indexes to the workers until all are handed out or ctx
// ends, then closes next so that the workers return. The jobs never handed
// out are reported canceled. FastHTTP's crew is fed the same way.
//
// It blocks, on the caller's goroutine, until each job's At before handing
// it out, so the workers need no clock: a worker that takes a job starts it
// at once. A job due while every worker is busy waits for one, and starts
// late; that lateness is the measurement, not an error.
func feed(ctx context.Context, next chan<- int, jobs []Job, done func(Result)) {
	defer close(next)
	for i := range jobs {
		if waitUntil(ctx, jobs[i].At) != nil {
			cancelFrom(ctx, i, len(jobs), done)
			return
		}
		select {
		case next <- i:
		case <-ctx.Done():
			cancelFrom(ctx, i, len(jobs), done)
			return
		}
	}
}

// Close drops the idle keep-alive connections.
func (p *Pool) Close() error { return p.client.Close() }
