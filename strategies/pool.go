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
}

// NewPool returns a Pool fetcher. Close it to drop its keep-alive
// connections.
func NewPool(cfg Config) *Pool {
	return &Pool{client: newHTTPClient(cfg, cfg.concurrency()), workers: cfg.concurrency()}
}

// Fetch starts the workers, hands them the jobs one by one and waits until
// they are done. done is called from the workers, concurrently, and, for
// jobs never handed out because ctx ended, from the caller's goroutine.
func (p *Pool) Fetch(ctx context.Context, jobs []Job, done func(Result)) error {
	next := make(chan int) // unbuffered: a job is handed over only to an idle worker
	var wg sync.WaitGroup
	for range min(p.workers, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				done(p.client.fetch(ctx, i, jobs[i]))
			}
		})
	}
	feed(ctx, next, len(jobs), done)
	wg.Wait()
	return ctx.Err()
}

// feed sends job indexes to the workers until all are handed out or ctx
// ends, then closes next so that the workers return. The jobs never handed
// out are reported canceled. FastHTTP's crew is fed the same way.
func feed(ctx context.Context, next chan<- int, count int, done func(Result)) {
	defer close(next)
	for i := range count {
		select {
		case next <- i:
		case <-ctx.Done():
			cancelFrom(ctx, i, count, done)
			return
		}
	}
}

// Close drops the idle keep-alive connections.
func (p *Pool) Close() error { return p.client.Close() }
