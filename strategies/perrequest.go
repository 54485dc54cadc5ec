package strategies

import (
	"context"
	"sync"
)

// PerRequest starts one goroutine for every job, all at once: the article's
// thread-per-request, with goroutines in place of threads. Nothing bounds the
// number in flight, so N jobs mean N goroutines and up to N connections.
//
// Config.Concurrency does not apply. Every connection it opened is kept for
// the next batch (up to perRequestIdle), so that a warm batch dials none.
//
// In an open workload a job's goroutine starts at the job's At, as a
// thread-per-request server starts one when a request arrives: the
// goroutines alive are those of the requests in flight, not of the batch.
type PerRequest struct {
	client *httpClient
	gauge  *Gauge
}

// perRequestIdle bounds the idle connections PerRequest keeps: far more
// than this machine's file limit allows at once anyway.
const perRequestIdle = 1 << 16

// NewPerRequest returns a PerRequest fetcher. Close it to drop its
// keep-alive connections.
func NewPerRequest(cfg Config) *PerRequest {
	return &PerRequest{client: newHTTPClient(cfg, perRequestIdle), gauge: cfg.Gauge}
}

// Fetch starts a goroutine per job, each at the job's At, and waits for all
// of them. done is called from those goroutines, concurrently, and, for
// jobs never started because ctx ended, from the caller's goroutine.
func (p *PerRequest) Fetch(ctx context.Context, jobs Jobs, done func(Result)) error {
	mustBeMade(p.client != nil, "PerRequest")
	var wg sync.WaitGroup
	startEach(ctx, jobs, done, func(i int, job Job) {
		p.gauge.Go(&wg, func() { done(p.client.fetch(ctx, i, i+1, job)) })
	})
	wg.Wait()
	return ctx.Err()
}

// Close drops the idle keep-alive connections.
func (p *PerRequest) Close() error { return p.client.Close() }
