package strategies

import (
	"sync"
	"sync/atomic"
)

// Gauge counts the goroutines a strategy runs, exactly, and keeps the
// highest count seen. Sampling runtime.NumGoroutine misses goroutines that
// live shorter than the sampling interval (docs/results.md, "Measuring
// inside a Go process"); a counter moved on
// every start and exit misses none.
//
// What counts: every goroutine the strategy's own code starts, plus those a
// library is known to run on its behalf (net/http dials on a goroutine of
// its own and keeps a read loop and a write loop per open connection; gnet
// runs one per event loop and a ticker). The goroutine that calls Fetch is
// not counted, whatever it does meanwhile (waits, hands out jobs, paces an
// open workload), with one exception: epoll counts it, because there it
// is the one goroutine doing all the I/O. A library's goroutines are
// counted from the event that starts them to the one that ends them (a
// dial, a Close), a moment before or after the goroutine itself, so that
// after Fetch and Close have returned Live is 0.
//
// A nil *Gauge is valid and counts nothing, so strategies call it
// unconditionally. Safe for concurrent use.
type Gauge struct {
	live, peak atomic.Int64
}

// Add moves the count by n (negative when goroutines end) and raises the
// peak if the count passed it.
func (g *Gauge) Add(n int64) {
	if g == nil {
		return
	}
	now := g.live.Add(n)
	for {
		p := g.peak.Load()
		if now <= p || g.peak.CompareAndSwap(p, now) {
			return
		}
	}
}

// Go runs f in a new goroutine tracked by wg, counting it while it runs.
func (g *Gauge) Go(wg *sync.WaitGroup, f func()) {
	g.Add(1)
	wg.Go(func() {
		defer g.Add(-1)
		f()
	})
}

// Live is the number of counted goroutines running now.
func (g *Gauge) Live() int64 {
	if g == nil {
		return 0
	}
	return g.live.Load()
}

// Peak is the highest count since the gauge was made or last reset.
func (g *Gauge) Peak() int64 {
	if g == nil {
		return 0
	}
	return g.peak.Load()
}

// ResetPeak starts a new measurement: the peak becomes the live count.
func (g *Gauge) ResetPeak() {
	if g == nil {
		return
	}
	g.peak.Store(g.live.Load())
}
