package lessons

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// partialReads is the article's "are we still in the header?": a read
// returns whatever bytes have arrived, not a whole response, so an event
// loop that cannot wait for the rest must remember where each response
// stands between reads. The mock server cuts three pages where it hurts;
// the event loop's reads are shown one by one with the parser's state
// after each, and every strategy must still find the same temperatures.
var partialReads = Lesson{
	Name:     "partial-reads",
	Summary:  "responses cut mid-header, after the header, in pieces: each read and where the parser stands",
	Duration: 7 * time.Second,
	Setup: "The server sends London's page in two writes 300 ms apart, cut in the middle of a " +
		"header line; New York's in two, cut just after the header; Tokyo's in six pieces, 150 ms " +
		"apart. The event loop (epoll) fetches all three at once and hands each read to its HTTP " +
		"parser; we list every read it made and where the parser stood after it. Then every other " +
		"strategy fetches the same three pages.",
	Question: "How many reads will each page take, where will the parser be after London's first " +
		"read, and will every strategy find the same temperatures?",
	Explain: "A read returns the bytes that have arrived, not a message: London's first read stopped " +
		"in the middle of a header line. The event loop cannot wait for the rest, other connections " +
		"are ready, so it feeds what it has to the parser, which keeps its place (the article's " +
		"'still in the header?' flag, here a state: header, body, complete) and carries on at the " +
		"next read. The goroutine strategies get the same pieces, but a goroutine that needs more " +
		"bytes blocks in Read inside net/http, and its stack remembers where it was: the state an " +
		"event loop must keep by hand.",
	run: runPartialReads,
}

// cutPage is one of the lesson's pages and how the server cuts it.
type cutPage struct {
	page
	split string // mockserver.Overrides.Split
	cut   string // how a person would say it
}

// partialPages cuts the three pages with writes pause apart (Tokyo's
// pieces half as far).
func partialPages(pause time.Duration) []cutPage {
	return []cutPage{
		{page{icao: "EGLC", city: "London"}, fmt.Sprintf("mid-header:%s", pause), "cut mid-header"},
		{page{icao: "KNYC", city: "New York"}, fmt.Sprintf("header-body:%s", pause), "cut after the header"},
		{page{icao: "RJTT", city: "Tokyo"}, fmt.Sprintf("pieces:%d:%s", tokyoPieces, pause/2), fmt.Sprintf("in %d pieces", tokyoPieces)},
	}
}

const tokyoPieces = 6

func runPartialReads(ctx context.Context, o Options, live func([]Timeline)) (Outcome, error) {
	pause := 300 * time.Millisecond
	if o.Quick { // pauses this long still keep each write its own read on a loaded machine
		pause = 100 * time.Millisecond
	}
	srv, err := startServer()
	if err != nil {
		return Outcome{}, err
	}
	defer srv.Close()
	pages := partialPages(pause)
	js := make(strategies.JobList, len(pages))
	for i, p := range pages {
		js[i] = strategies.Job{Name: p.city, URL: mockserver.PageURL(srv.URL(), p.icao, mockserver.Overrides{Split: p.split})}
	}
	loops, others := []string{"epoll", "gnet"}, otherStrategies("epoll", "gnet")
	if o.Strategies != nil {
		loops, others = o.Strategies[:1], o.Strategies[1:]
	}
	b := &board{live: live}
	var out Outcome
	watched, err := watchReads(ctx, b, loops, js, &out, o.Quick)
	if err != nil {
		return Outcome{}, err
	}
	if watched.loop != "" {
		out.Notes = readTable(watched, pages)
		out.Claims = append(out.Claims, readClaims(watched, pages)...)
	}
	claim, err := sameTemperatures(ctx, b, append(loops, others...), srv, js)
	if err != nil {
		return Outcome{}, err
	}
	out.Claims = append(out.Claims, claim)
	out.Timelines = b.snapshot()
	return out, nil
}

// otherStrategies is every registered strategy but the ones named.
func otherStrategies(except ...string) []string {
	var names []string
	for _, info := range strategies.All() {
		if !slices.Contains(except, info.Name) {
			names = append(names, info.Name)
		}
	}
	return names
}

// watched is the event loop's batch and every read it made.
type watched struct {
	loop  string
	batch batch
	start time.Time // the batch's first request's start: the reads' zero
	reads []strategies.ReadStep
}

// watchReads fetches the pages with the first of loops that runs here,
// recording each read.
func watchReads(ctx context.Context, b *board, loops []string, js strategies.JobList, out *Outcome, quick bool) (watched, error) {
	for _, loop := range loops {
		var mu sync.Mutex
		w := watched{loop: loop}
		onRead := func(s strategies.ReadStep) { mu.Lock(); w.reads = append(w.reads, s); mu.Unlock() }
		got, err := b.fetchWith(ctx, loop, len(js), js, fetchOptions{onRead: onRead})
		if unavailable(err, out) {
			continue
		}
		if err != nil {
			return watched{}, err
		}
		if err := failedPages("partial-reads: "+loop, got.Results, quick); err != nil {
			return watched{}, err
		}
		w.batch, w.start = got, got.Results[0].Start
		for _, r := range got.Results {
			w.start = minTime(w.start, r.Start)
		}
		return w, nil
	}
	return watched{}, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// readTable lists the reads in the order the loop made them.
func readTable(w watched, pages []cutPage) []string {
	lines := []string{fmt.Sprintf("Every read %s made, in order, and the parser's state after it:", w.loop),
		"   at ms  conn  page        bytes  parser now in"}
	for _, s := range w.reads {
		lines = append(lines, fmt.Sprintf("  %6.0f  %4d  %-10s  %5d  %s",
			float64(s.At.Sub(w.start).Microseconds())/1000, s.Lane, pages[s.Index].city, s.Bytes, s.Part))
	}
	return lines
}

// readsOf is the reads of one job, in order.
func readsOf(w watched, job int) []strategies.ReadStep {
	var steps []strategies.ReadStep
	for _, s := range w.reads {
		if s.Index == job {
			steps = append(steps, s)
		}
	}
	return steps
}

// readClaims checks each page's reads: London's first read ends inside the
// header, New York's with the head whole and none of the body, Tokyo's
// pieces a read each (at least half of them: a loaded machine may be late
// to read and find two pieces waiting).
func readClaims(w watched, pages []cutPage) []Claim {
	var claims []Claim
	for i, p := range pages {
		steps := readsOf(w, i)
		statement := fmt.Sprintf("%s: %s, %s", w.loop, p.city, p.cut)
		switch i {
		case 0:
			claims = append(claims, TextClaim(statement+": the 1st read ends in", "header", firstRead(steps)))
		case 1:
			claims = append(claims, TextClaim(statement+": the 1st read ends in", "body, 0 B of it", firstRead(steps)))
		default:
			claims = append(claims, NumberClaim(statement+": reads", Within(tokyoPieces/2, tokyoPieces, "reads", 0).Because("a read a piece; fewer if two wait together"), float64(len(steps)), ""))
		}
	}
	return claims
}

// firstRead says where a page's first read left the parser: "header",
// "body, 0 B of it", "complete", or "no reads seen".
func firstRead(steps []strategies.ReadStep) string {
	if len(steps) == 0 {
		return "no reads seen"
	}
	if steps[0].Part == "body" {
		return fmt.Sprintf("body, %d B of it", steps[0].BodyBytes)
	}
	return steps[0].Part
}

// sameTemperatures fetches the pages with every strategy named and checks
// each found what the server wrote on each page.
func sameTemperatures(ctx context.Context, b *board, names []string, srv *mockserver.Server, js strategies.JobList) (Claim, error) {
	var want []string
	for _, j := range js {
		t, _ := srv.ExpectedTemperature(j.URL)
		want = append(want, fmt.Sprintf("%s %g", j.Name, t))
	}
	right, ran := 0, 0
	var wrong []string
	for _, name := range names {
		got, err := b.fetchWith(ctx, name, len(js), js, fetchOptions{offBoard: true})
		var u *strategies.UnavailableError
		if errors.As(err, &u) {
			continue // said in its own claim when it was the watched loop; here, simply not counted
		}
		if err != nil {
			return Claim{}, err
		}
		ran++
		if allRight(got, srv, js) {
			right++
		} else {
			wrong = append(wrong, name)
		}
	}
	detail := ""
	if len(wrong) > 0 {
		detail = "(wrong: " + strings.Join(wrong, ", ") + ")"
	}
	return NumberClaim("every strategy reads the same temperatures (°F)", Exactly(float64(max(ran, 1)), "strategies", 0).Because(strings.Join(want, ", ")), float64(right), detail), nil
}

// allRight reports whether every page of a batch was read and its
// temperature is the server's.
func allRight(got batch, srv *mockserver.Server, js strategies.JobList) bool {
	for i, r := range got.Results {
		want, _ := srv.ExpectedTemperature(js[i].URL)
		if !r.OK() || r.Temperature != want {
			return false
		}
	}
	return true
}
