package lessons

import (
	"context"
	"fmt"
	"time"

	"github.com/netio-lab/netio/mockserver"
)

// poolSize is Little's law: requests in flight = throughput × latency, so
// a pool of C workers against pages of latency L completes C/L a second —
// until the server cannot serve more than K at once, where adding workers
// only adds waiting.
var poolSize = Lesson{
	Name:     "pool-size",
	Summary:  "Little's law: C workers against 100 ms pages give C/0.1 s req/s, until the server's limit K",
	Duration: 3 * time.Second,
	Setup: "A pool of C workers fetches pages that each take 100 ms. The server serves at most " +
		"K = 4 requests at once (a queue of 4 servers: the others wait their turn). We try " +
		"C = 1, 2, 4, 8 and 16, each worker fetching the same number of pages.",
	Question: "How many pages a second will each pool size fetch? Where does it stop growing?",
	Explain: "Little's law says in flight = throughput × latency. With C workers and 100 ms pages, " +
		"C requests are in flight, so throughput is C / 0.1 s: 10, 20, 40 pages a second. Past C = K " +
		"the server holds only K in service; the extra workers' requests wait in its queue, latency " +
		"grows with C, and throughput stays at K / 0.1 s = 40. The knee sits at C = K: size a pool " +
		"to what the other side can serve, not to what the client can start.",
	run: runPoolSize,
}

func runPoolSize(ctx context.Context, o Options, live func([]Timeline)) (Outcome, error) {
	const servers = 4
	latency := 100 * time.Millisecond
	perWorker := 4
	sizes := []int{1, 2, 4, 8, 16}
	if o.Quick {
		latency, perWorker, sizes = 50*time.Millisecond, 3, []int{1, 4, 8}
	}
	srv, err := startServerWith(mockserver.Model{QueueServers: servers})
	if err != nil {
		return Outcome{}, err
	}
	defer srv.Close()
	strategy := "pool"
	if o.Strategies != nil {
		strategy = o.Strategies[0]
	}
	b := &board{live: live}
	var out Outcome
	for _, c := range sizes {
		pages := stationPages(c*perWorker, latency)
		// Only the knee's neighbours on the screen: 16 lanes would not fit.
		onBoard := c == servers || c == 2*servers
		got, err := b.fetchWith(ctx, strategy, c, jobs(srv, pages), fetchOptions{offBoard: !onBoard})
		if err != nil {
			return Outcome{}, err
		}
		if err := failedPages(fmt.Sprintf("pool-size: C = %d", c), got.Results, o.Quick); err != nil {
			return Outcome{}, err
		}
		out.Claims = append(out.Claims, poolSizeClaim(c, servers, latency, len(pages), got.Wall))
	}
	for i := range b.timelines {
		b.timelines[i].Title = fmt.Sprintf("%s, C = %d", b.timelines[i].Title, []int{servers, 2 * servers}[i])
	}
	out.Timelines = b.snapshot()
	return out, nil
}

// poolSizeClaim checks one pool size's rate against min(C, K) / L. No run
// can beat it (each of the server's K slots serves a page per L at most),
// so the bound's top is the law itself; its bottom, a quarter lower,
// leaves room for the connections opened in the run and a busy machine.
func poolSizeClaim(c, servers int, latency time.Duration, pages int, wall time.Duration) Claim {
	ideal := float64(min(c, servers)) / latency.Seconds()
	return NumberClaim(fmt.Sprintf("C = %2d: min(C, K) / L", c),
		Within(ideal*0.75, ideal, "/s", 0).Because(fmt.Sprintf("at most %d / %s", min(c, servers), msString(latency))), float64(pages)/wall.Seconds(), "")
}
