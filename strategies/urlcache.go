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
// keep true are remembered: a failure (an unknown host, say) is tried again
// next time rather than stored.
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
