package strategies

import "context"

// Sequential fetches one page after another on the caller's goroutine: the
// baseline that every other strategy is measured against. Its wall time is
// the sum of all the waits. It ignores Config.Concurrency.
//
// It starts no goroutine of its own: Config.Gauge counts only net/http's,
// for its one connection.
type Sequential struct {
	client *httpClient
}

// NewSequential returns a Sequential fetcher. Close it to drop its
// keep-alive connection.
func NewSequential(cfg Config) *Sequential {
	return &Sequential{client: newHTTPClient(cfg, 1)}
}

// Fetch fetches jobs in order, each no sooner than its At; done is called
// on the caller's goroutine.
func (s *Sequential) Fetch(ctx context.Context, jobs Jobs, done func(Result)) error {
	mustBeMade(s.client != nil, "Sequential")
	startEach(ctx, jobs, done, func(i int, job Job) {
		done(s.client.fetch(ctx, i, 1, job))
	})
	return ctx.Err()
}

// Close drops the idle keep-alive connection.
func (s *Sequential) Close() error { return s.client.Close() }
