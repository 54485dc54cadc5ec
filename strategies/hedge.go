package strategies

import (
	"context"
	"sync"
	"time"
)

// hedged sends the job's request, and a second copy of it if the first has
// not answered after Config.HedgeAfter: the hedged request of Dean and
// Barroso, "The Tail at Scale" (CACM, 2013; docs/lessons/tail-at-scale.md).
// The first success wins; the other copy is canceled and waited for, so
// that nothing outlives the call. A failure waits for the other copy, if
// one was sent; a request that fails before HedgeAfter is not hedged.
// fetch sets the Result's Start to when the first copy went out.
//
// Both copies run on goroutines of their own (counted on the Gauge) while
// the caller's goroutine waits for the first answer or the hedge timer:
// simpler to follow than running the first copy on the caller's goroutine
// and racing it from a timer, for a goroutine per request that only a
// hedging run pays.
func (c *httpClient) hedged(ctx context.Context, index int, job Job) Result {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	answers := make(chan Result, 2) // room for both: the loser never blocks
	send := func() { c.cfg.Gauge.Go(&wg, func() { answers <- c.attempt(ctx, index, job) }) }
	send()
	timer := time.NewTimer(c.cfg.HedgeAfter)
	res := firstSuccess(answers, timer.C, send)
	timer.Stop()
	cancel()
	wg.Wait()
	return res
}

// firstSuccess waits for the answers: it calls send once when hedge fires
// before the first answer, and returns the first success, or the last
// failure once no copy is left out.
func firstSuccess(answers <-chan Result, hedge <-chan time.Time, send func()) Result {
	out, hedged := 1, false
	for {
		select {
		case <-hedge:
			hedge = nil // one hedge at most
			send()
			out, hedged = out+1, true
		case res := <-answers:
			out--
			if res.OK() || out == 0 {
				res.Hedged = hedged
				return res
			}
		}
	}
}
