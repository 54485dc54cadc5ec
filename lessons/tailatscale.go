package lessons

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
	"github.com/netio-lab/netio/strategies"
)

// tailAtScale is Dean and Barroso's "The Tail at Scale" (CACM, 2013): a
// query that fans out to many servers and waits for all of them is as slow
// as the slowest, so a rare slow answer becomes a common slow query; and
// a hedged request, a second copy sent once the first is later than
// nearly all answers, takes the rare slowness away for a few extra
// requests.
var tailAtScale = Lesson{
	Name:     "tail-at-scale",
	Summary:  "a query waits for 100 pages, 1 page in 100 is slow; then hedged requests after the p95",
	Duration: 22 * time.Second,
	Setup: "Each query fetches 100 pages at once (perrequest: a goroutine each) and is done when " +
		"the last arrives. The server answers a page in 50 ms ± 25 ms, except one page in a hundred, " +
		"drawn at random, which takes 1 s (--quick: 25 ms and 0.8 s). A query starts every 50 ms, " +
		"200 in all. Then the same again with hedging: a page not back after the 95th percentile of " +
		"the first run's page times is asked for a second time, and whichever copy answers first is taken.",
	Question: "What share of the queries will be slow, without hedging and with it? How many " +
		"extra requests will hedging cost?",
	Explain: "A query is slow if any of its 100 pages is: 1 − 0.99^100 ≈ 63 % of them, though only " +
		"1 % of pages are slow. The fan-out turns the page's p99 into the query's median. Hedging " +
		"asks again only for the pages later than 95 % of pages, at most 5 % more requests, and a " +
		"query stays slow only if a page and its copy are both slow: 1 − 0.9999^100 ≈ 1 % of queries. " +
		"So the query p90 falls to about the hedge delay plus a fast page, while the p99 sits exactly " +
		"on the edge: run it twice and it flips between fast and slow. Real systems send the copy to " +
		"another replica, and a third copy buys the p99. Goroutines make hedging cheap to write: a " +
		"timer and a second goroutine.",
	run: runTailAtScale,
}

// tailSizes are a run's numbers.
type tailSizes struct {
	fast, slow time.Duration // most pages ± fast/2; one in a hundred slow
	queries    int
	every      time.Duration // a query starts every so often, however many are still running
	fanOut     int           // pages per query
}

const slowShare = 0.01 // of pages

// sizesOfTail: queries arrive at a steady rate rather than a few at a time
// in closed loops, so that their bursts of 100 requests do not pile up on
// two cores; piled up, they had queued fast pages for 50-100 ms and made
// the p95 the hedge waits for a measure of the machine, not of the server.
// The quick rate, 1,250 pages a second, keeps a -race build (about 400 µs
// of CPU a page, client and server) on a loaded 2-core machine below half
// a core: at 4,000 a second the hedges themselves made pages late, which
// were hedged in turn, and the run collapsed.
func sizesOfTail(quick bool) tailSizes {
	if quick { // fewer queries: the shares' margins below allow for it
		return tailSizes{fast: 25 * time.Millisecond, slow: 800 * time.Millisecond, queries: 40, every: 80 * time.Millisecond, fanOut: 100}
	}
	return tailSizes{fast: 50 * time.Millisecond, slow: time.Second, queries: 200, every: 50 * time.Millisecond, fanOut: 100}
}

func runTailAtScale(ctx context.Context, o Options, live func([]Timeline)) (Outcome, error) {
	s := sizesOfTail(o.Quick)
	srv, err := startServerWith(mockserverTwoLevel(s))
	if err != nil {
		return Outcome{}, err
	}
	defer srv.Close()
	name := "perrequest"
	if o.Strategies != nil {
		name = o.Strategies[0]
	}
	b := &board{live: live}
	plain, err := runQueries(ctx, b, name, srv, s, 0, o.Quick)
	if err != nil {
		return Outcome{}, err
	}
	after := percentile(plain.pages, 0.95)
	hedged, err := runQueries(ctx, b, name, srv, s, after, o.Quick)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Timelines: b.snapshot(), Notes: tailTable(s, plain, hedged, after), Claims: tailClaims(s, plain, hedged)}, nil
}

// mockserverTwoLevel is the server's model: most pages fast ± half of
// it, one in a hundred slow.
func mockserverTwoLevel(s tailSizes) mockserver.Model {
	return mockserver.Model{Delay: mockserver.Delay{Dist: "two-level",
		Latency: mockserver.Duration(s.fast), Jitter: mockserver.Duration(s.fast / 2),
		Slow: mockserver.Duration(s.slow), SlowShare: slowShare}}
}

// queryRun is what a run of queries measured.
type queryRun struct {
	queries  []time.Duration // each query's time, to its last page
	pages    []time.Duration // each page's time
	requests int             // pages asked for, hedges included
}

// slowShare is the share of queries slower than half the slow delay.
func (r queryRun) slowShare(s tailSizes) float64 {
	n := 0
	for _, q := range r.queries {
		if q > s.slow/2 {
			n++
		}
	}
	return float64(n) / float64(len(r.queries))
}

// runQueries starts a query every s.every, s.queries in all, each a batch
// of s.fanOut pages, hedged after hedgeAfter if it is above zero. A query
// takes a free fetcher or makes one (a Fetcher runs one batch at a time);
// each query is a bar on the row of its fetcher.
func runQueries(ctx context.Context, b *board, name string, srv *mockserver.Server, s tailSizes, hedgeAfter time.Duration, quick bool) (queryRun, error) {
	info, err := strategies.Lookup(name)
	if err != nil {
		return queryRun{}, fmt.Errorf("lessons: %w", err)
	}
	title := name + ", no hedging"
	if hedgeAfter > 0 {
		title = fmt.Sprintf("%s, hedged after %s", name, msString(hedgeAfter))
	}
	names := make([]string, s.queries)
	for i := range names {
		names[i] = fmt.Sprintf("q%d", i+1)
	}
	start := time.Now()
	row := b.add(Timeline{Title: title, Lanes: "fetcher", Names: names, Items: "queries", begun: start})
	fetchers := &fetcherPool{info: info, cfg: strategies.Config{Concurrency: s.fanOut, Timeout: 10 * s.slow, HedgeAfter: hedgeAfter}}
	defer fetchers.close()
	js := jobs(srv, stationPages(s.fanOut, 0)) // no delay asked: the server's two levels decide
	var (
		mu    sync.Mutex
		run   queryRun
		every []strategies.Result // every page of every query, to say how many failed
		errs  = make([]error, s.queries)
		wg    sync.WaitGroup
	)
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	for q := range s.queries {
		wg.Go(func() {
			began := time.Now()
			got, lane, err := fetchers.query(ctx, js)
			if errs[q] = err; err != nil {
				return
			}
			mu.Lock()
			run.add(began, got)
			every = append(every, got...)
			mu.Unlock()
			ms := func(t time.Time) float64 { return float64(t.Sub(start).Microseconds()) / 1000 }
			b.addSpan(row, results.Span{Index: q, Lane: lane, StartMS: ms(began), EndMS: ms(time.Now()), Class: "ok"})
		})
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	wg.Wait()
	b.end(row, time.Since(start))
	for _, err := range errs { // a fetcher that broke: the first says it
		if err != nil {
			return queryRun{}, err
		}
	}
	if err := failedPages("tail-at-scale: "+title, every, quick); err != nil {
		return queryRun{}, err
	}
	return run, nil
}

// add records one query's pages.
func (r *queryRun) add(began time.Time, got []strategies.Result) {
	var last time.Time
	for _, p := range got {
		r.pages = append(r.pages, p.Latency())
		r.requests++
		if p.Hedged {
			r.requests++
		}
		if p.End.After(last) {
			last = p.End
		}
	}
	r.queries = append(r.queries, last.Sub(began))
}

// fetcherPool lends fetchers to queries: a free one, warm with its
// connections, or a new one when every fetcher is busy.
type fetcherPool struct {
	info strategies.Info
	cfg  strategies.Config
	mu   sync.Mutex
	all  []strategies.Fetcher
	free []int // indexes into all
}

// query fetches one query's pages on a fetcher of the pool and returns
// them, failed ones included, with the fetcher's lane (1, 2, …).
func (p *fetcherPool) query(ctx context.Context, js strategies.JobList) ([]strategies.Result, int, error) {
	i, f, err := p.take()
	if err != nil {
		return nil, 0, err
	}
	defer p.give(i)
	got := make([]strategies.Result, len(js))
	if err := f.Fetch(ctx, js, func(r strategies.Result) { got[r.Index] = r }); err != nil {
		return nil, 0, err
	}
	return got, i + 1, nil
}

// take hands out a fetcher and its index, under the lock: p.all grows
// while other queries run.
func (p *fetcherPool) take() (int, strategies.Fetcher, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		return i, p.all[i], nil
	}
	f, err := newFetcher(p.info, p.cfg)
	if err != nil {
		return 0, nil, fmt.Errorf("lessons: %s: %w", p.info.Name, err)
	}
	p.all = append(p.all, f)
	return len(p.all) - 1, f, nil
}

func (p *fetcherPool) give(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, i)
}

// close closes every fetcher; the queries have all returned theirs.
func (p *fetcherPool) close() {
	for _, f := range p.all {
		f.Close()
	}
}

// percentile is the p-quantile of ds (nearest rank).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Sorted(slices.Values(ds))
	return sorted[min(len(sorted)-1, int(math.Ceil(p*float64(len(sorted))))-1)]
}

// tailTable sets the two runs' query times side by side.
func tailTable(s tailSizes, plain, hedged queryRun, after time.Duration) []string {
	line := func(label string, r queryRun) string {
		return fmt.Sprintf("%-22s %7s %7s %7s %6.1f %% %9d", label, msString(percentile(r.queries, 0.5)),
			msString(percentile(r.queries, tailQuantile)), msString(percentile(r.queries, 0.99)), 100*r.slowShare(s), r.requests)
	}
	return []string{
		fmt.Sprintf("%d queries of %d pages:    p50     p90     p99  slow      requests", len(plain.queries), s.fanOut),
		line("no hedging", plain),
		line("hedged after "+msString(after), hedged),
	}
}

// tailQuantile is the query percentile the cut is claimed at: the p90,
// so that a run of 40 queries (--quick) leaves room for the rare query
// whose page and its copy are both slow (1 − 0.9999^100 ≈ 1 % of queries:
// 0.4 of 40 on average, a Poisson count: five, which the p90 of 40 needs
// to move, come fewer than once in 10,000 runs), where the p95 of 40
// moved with three (about once in 120 runs). The server's seeded draws
// make it steadier still: 1 or 2 of the 40 hedged queries were slow in
// each of 40 soak runs, quiet and busy (docs/lessons/tail-at-scale.md).
const tailQuantile = 0.90

// tailClaims checks the shares of slow queries against 1 − 0.99^100 and
// 1 − 0.9999^100, the cut of the query p90 and hedging's cost.
//
// The slow shares are counts of queries, and the server draws each
// station's delays from a seeded sequence (docs/mockserver.md), so a run
// has about the same number of slow pages every time: the ±22 points
// around 63 % are three standard deviations of the share in 40 queries,
// more than the seeded draws leave. A query is slow past half the slow
// delay, which no busy machine adds to a fast one. The p90 cut is a ratio
// of times: its bound, 2×, is the least a p90 that is a slow page's time
// (63 % of queries are slow) falls by when the hedged p90 is below half
// the slow delay, so only a slow page can break it, not a busy machine.
func tailClaims(s tailSizes, plain, hedged queryRun) []Claim {
	fanOut := float64(s.fanOut)
	slowQueries := 1 - math.Pow(1-slowShare, fanOut)
	bothSlow := 1 - math.Pow(1-slowShare*slowShare, fanOut)
	extra := float64(hedged.requests-len(hedged.pages)) / float64(len(hedged.pages))
	pPlain, pHedged := percentile(plain.queries, tailQuantile), percentile(hedged.queries, tailQuantile)
	cut := float64(pPlain) / float64(max(pHedged, 1))
	claims := []Claim{
		NumberClaim("without hedging, slow queries", Within(100*(slowQueries-0.22), 100*(slowQueries+0.22), "%", 0).Because(fmt.Sprintf("≈ %.0f %% = 1 − 0.99^100", 100*slowQueries)),
			100*plain.slowShare(s), ""),
		NumberClaim("hedged, slow queries", AtMost(10, "%", 0).Because(fmt.Sprintf("≈ %.0f %% = 1 − 0.9999^100", 100*bothSlow)),
			100*hedged.slowShare(s), ""),
		NumberClaim("hedging cuts the query p90", AtLeast(2, "×", 1).Because("a slow page's time to a fast one's"),
			cut, fmt.Sprintf("(%s → %s)", msString(pPlain), msString(pHedged))),
		NumberClaim("hedging's extra requests", AtMost(10, "%", 1).Because("≈ 5 %: the pages later than the p95"),
			100*extra, ""),
	}
	if why := clientLag(s, plain); why != "" {
		for i := 1; i < len(claims); i++ { // hedging's claims, where they failed; the slow share without it stands
			claims[i] = claims[i].Unjudged(why)
		}
	}
	return claims
}

// clientLag says why hedging cannot be judged on this machine, or "" when
// it can, from the run without hedging, measured before hedging begins.
// Hedging sends a copy of every page later than the p95, so it needs pages
// that are late because of the server: on a machine too busy to read the
// answers when they come, fast pages are late too, each late page sends a
// copy, the copies load the machine more, and the run measures the
// machine. The sign is the median page coming back later than the
// server's slowest fast answer (fast + fast/2): the server had sent it by
// then. A machine that keeps up without hedging and not with it is not
// excused: that is hedging's own load.
func clientLag(s tailSizes, plain queryRun) string {
	slowestFast := s.fast + s.fast/2
	if p50 := percentile(plain.pages, 0.5); p50 > slowestFast {
		return fmt.Sprintf("without hedging, the median page came back after %s, where the server sends every fast page within %s: the machine was too busy to read its answers on time", msString(p50), msString(slowestFast))
	}
	return ""
}
