package lessons

import (
	"context"
	"slices"
	"strings"
	"time"
)

// waiting is the article's first point: a program that waits for one page
// before it asks for the next takes the sum of the waits; one that asks
// for all of them at once, with threads or with an event loop, takes about
// the longest, and the answers come back in the order the server gives
// them, not the order they were asked.
var waiting = Lesson{
	Name:     "waiting",
	Summary:  "three pages one after another, then all at once: the sum of the waits against the longest",
	Duration: 2 * time.Second,
	Setup: "The weather reader asks for three pages: Tokyo, New York and London. The server " +
		"takes 360 ms to answer Tokyo, 240 ms for New York and 120 ms for London. We fetch them " +
		"three ways: sequential (one after another), perrequest (a goroutine each, the article's " +
		"threads) and epoll (one goroutine and an event loop, the article's select/poll).",
	Question: "How long will each way take, and in which order will the answers arrive?",
	Explain: "Sequential spends the whole time waiting, one page at a time, so its waits add up. " +
		"Perrequest and epoll have all three requests out at once and wait for them together: " +
		"the total is the longest single wait, and the answers arrive as the server sends them, " +
		"London first. Goroutines wait in the runtime's poller; the event loop waits in one " +
		"epoll_wait — the same waiting, shared, which is the article's point about both.",
	run: runWaiting,
}

// The pages, asked in this order; the server answers them in the reverse.
var waitingPages = []page{
	{icao: "RJTT", city: "Tokyo", delay: 360 * time.Millisecond},
	{icao: "KNYC", city: "New York", delay: 240 * time.Millisecond},
	{icao: "EGLC", city: "London", delay: 120 * time.Millisecond},
}

func runWaiting(ctx context.Context, o Options, live func([]Timeline)) (Outcome, error) {
	pages := slices.Clone(waitingPages)
	if o.Quick { // a third of the time, the same shape
		for i := range pages {
			pages[i].delay /= 3
		}
	}
	srv, err := startServer()
	if err != nil {
		return Outcome{}, err
	}
	defer srv.Close()
	var sum, longest time.Duration
	for _, p := range pages {
		sum, longest = sum+p.delay, max(longest, p.delay)
	}
	names := []string{"sequential", "perrequest", "epoll"}
	if o.Strategies != nil {
		names = o.Strategies
	}
	b := &board{live: live}
	var out Outcome
	for i, name := range names {
		got, err := b.fetch(ctx, name, len(pages), jobs(srv, pages))
		if unavailable(err, &out) {
			continue
		}
		if err != nil {
			return Outcome{}, err
		}
		if err := failedPages("waiting: "+name, got.Results, o.Quick); err != nil {
			return Outcome{}, err
		}
		concurrent := i > 0 // the first is the baseline; the others ask for all at once
		out.Claims = append(out.Claims, waitingClaims(name, concurrent, got, sum, longest, pages)...)
	}
	out.Timelines = b.snapshot()
	return out, nil
}

// waitingClaims checks one strategy's batch. The baseline takes at least
// the sum of the waits (a lower bound no busy machine can break: each
// page's wait is the server's) and answers in order. A concurrent one has
// all its pages in flight at once (a count), takes at least the longest
// wait and less than the sum (the gap between them, 120 ms in --quick, is
// its margin on a loaded machine), and answers in the order the server
// does, 40 ms apart in --quick.
func waitingClaims(name string, concurrent bool, b batch, sum, longest time.Duration, pages []page) []Claim {
	order := make([]string, len(b.Order))
	for i, k := range b.Order {
		order[i] = pages[k].city
	}
	arrived := strings.Join(order, ", ")
	if !concurrent {
		return []Claim{
			NumberClaim(name+" takes the sum of the waits", AtLeast(inMS(sum), "ms", 0).Because("the sum of the waits"), inMS(b.Wall), ""),
			TextClaim(name+" answers in the order asked", "Tokyo, New York, London", arrived),
		}
	}
	return []Claim{
		NumberClaim(name+" has every page in flight at once", Exactly(float64(len(pages)), "pages", 0), float64(peakInFlight(b.Results)), ""),
		NumberClaim(name+" takes about the longest wait", Within(inMS(longest), inMS(sum), "ms", 0).Because("≈ "+msString(longest)+", the longest; less than the sum"), inMS(b.Wall), ""),
		TextClaim(name+" answers as the server does", "London, New York, Tokyo", arrived),
	}
}
