package strategies

import (
	"sync"
	"sync/atomic"
)

// urlCache remembers what a strategy makes of a job's URL (the parsed URL
// of net/http's request, the event loops' target with its resolved address
// and request bytes), because a batch fetches the same few pages over and
// over: made once per URL, not once per request. Safe for concurrent use;
// a read is lock-free.
//
// It holds at most maxCachedURLs entries, so that a crawl of distinct URLs
// does not grow it for ever: past that, a value is made for every job.
type urlCache[T any] struct {
	m sync.Map // URL → T
	n atomic.Int64
}

// maxCachedURLs bounds a urlCache.
const maxCachedURLs = 4096

// get returns the value for url, calling newValue on a miss. Only values with
// keep true are remembered.
func (c *urlCache[T]) get(url string, newValue func(string) (v T, keep bool)) T {
	if v, ok := c.m.Load(url); ok {
		return v.(T)
	}
	v, keep := newValue(url)
	if keep && c.n.Load() < maxCachedURLs {
		if _, loaded := c.m.LoadOrStore(url, v); !loaded {
			c.n.Add(1)
		}
	}
	return v
}

// forget drops the values for which drop reports true: the event loops
// forget, before each batch, the URLs whose host failed to resolve, so
// that a failure is tried again once per batch rather than per job.
func (c *urlCache[T]) forget(drop func(T) bool) {
	c.m.Range(func(url, v any) bool {
		if drop(v.(T)) {
			c.m.Delete(url)
			c.n.Add(-1)
		}
		return true
	})
}
