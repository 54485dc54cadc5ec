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

// Fetch starts the workers, gives them the jobs through a channel, and
// waits until they are done. done is called from the workers, concurrently,
// and, for jobs never handed out because ctx ended, from the caller's
// goroutine.
//
// A closed batch of up to maxQueued jobs is queued whole before the
// workers start, as the article's thread pool fills its queue: a worker
// then takes its next job without waking anyone, where handing jobs over
// one by one woke the caller's goroutine for every request. An open batch
// (jobs with an At), or a huge one, is handed out one by one by feed.
func (p *Pool) Fetch(ctx context.Context, jobs []Job, done func(Result)) error {
	next, queued := queue(jobs)
	var wg sync.WaitGroup
	for range min(p.workers, len(jobs)) {
		p.gauge.Go(&wg, func() {
			for i := range next {
				done(p.client.fetch(ctx, i, jobs[i]))
			}
		})
	}
	if !queued {
		feed(ctx, next, jobs, done)
	}
	wg.Wait()
	return ctx.Err()
}

// maxQueued bounds the jobs queue puts in a channel up front (8 bytes
// each): beyond it the feeder hands them out, in constant memory.
const maxQueued = 1 << 20

// queue returns a closed channel holding every job index (queued) when the
// batch is closed and small enough, or an unbuffered channel for feed to
// fill. A worker that takes a job after ctx ended gets a canceled result
// from fetch at once, so a queued batch still ends promptly on cancel.
func queue(jobs []Job) (next chan int, queued bool) {
	if hasArrivals(jobs) || len(jobs) > maxQueued {
		return make(chan int), false // unbuffered: a job is handed over only to an idle worker, at its At
	}
	next = make(chan int, len(jobs))
	for i := range jobs {
		next <- i
	}
	close(next)
	return next, true
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
