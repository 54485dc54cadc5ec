package strategies

import (
	"context"
	"sync"
)

// PerRequest starts one goroutine for every job, all at once: the article's
// thread-per-request, with goroutines in place of threads. Nothing bounds the
// number in flight, so N jobs mean N goroutines and up to N connections.
//
// Config.Concurrency does not limit it; it only sizes the keep-alive pool,
// so set it to the batch size to keep every connection for the next batch.
type PerRequest struct {
	client *httpClient
}

// NewPerRequest returns a PerRequest fetcher. Close it to drop its
// keep-alive connections.
func NewPerRequest(cfg Config) *PerRequest {
	return &PerRequest{client: newHTTPClient(cfg)}
}

// Fetch starts a goroutine per job and waits for all of them. done is
// called from those goroutines, concurrently.
func (p *PerRequest) Fetch(ctx context.Context, jobs []Job, done func(Result)) error {
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() { done(p.client.fetch(ctx, i, job)) })
	}
	wg.Wait()
	return ctx.Err()
}

// Close drops the idle keep-alive connections.
func (p *PerRequest) Close() error { return p.client.Close() }
