package lessons

import (
	"context"
	"strings"
	"time"
)

// failures shows how each strategy fails: the same five misbehaving pages
// to every strategy, and the class each failure is given. A failed
// request is data, and a timeout bounds the worst of them, a server that
// never answers.
var failures = Lesson{
	Name:     "failures",
	Summary:  "five faults (reset, hang, truncate, malformed, 503) to four strategies: each one classified, the hang cut off by the timeout",
	Duration: 4 * time.Second,
	Setup: "Five pages, each asking the server to misbehave its own way: reset the connection, " +
		"hang without a word, cut the body short, send a malformed response, answer 503. Four " +
		"strategies fetch them, all five at once, with a per-request timeout.",
	Question: "What will each strategy make of each fault, and how long will the hanging page keep it?",
	Explain: "A reset is reset, a short body eof, garbage malformed, a 503 http-status, and the " +
		"hang a timeout — the one failure that costs time, exactly the timeout, which is why a " +
		"client without one can wait forever; the others fail fast. fasthttp calls the reset eof: " +
		"its client reports any error on a response's first byte as a closed connection, so a " +
		"library can hide a failure's cause. A failure is a result like any other: recorded, " +
		"classified, never a crash.",
	run: runFailures,
}

// failurePages are the faults, with the class every strategy must give.
var failurePages = []struct {
	fault, class string
}{
	{"reset", "reset"},
	{"hang", "timeout"},
	{"truncate", "eof"},
	{"malformed", "malformed"},
	{"status:503", "http-status"},
}

func runFailures(ctx context.Context, o Options, live func([]Timeline)) (Outcome, error) {
	timeout := time.Second
	if o.Quick {
		timeout = 300 * time.Millisecond
	}
	srv, err := startServer()
	if err != nil {
		return Outcome{}, err
	}
	defer srv.Close()
	pages := make([]page, len(failurePages))
	for i, f := range failurePages {
		pages[i] = page{icao: "EGLC", city: "London", fault: f.fault}
	}
	names := []string{"pool", "epoll", "gnet", "fasthttp"}
	if o.Strategies != nil {
		names = o.Strategies
	}
	b := &board{live: live}
	var out Outcome
	for _, name := range names {
		got, err := b.fetchWith(ctx, name, len(pages), jobs(srv, pages), fetchOptions{timeout: timeout})
		if unavailable(err, &out) {
			continue
		}
		if err != nil {
			return Outcome{}, err
		}
		out.Claims = append(out.Claims, failureClaims(name, got, timeout)...)
	}
	out.Timelines = b.snapshot()
	return out, nil
}

// expectedClass is the class a strategy gives a fault. fasthttp turns any
// error on a response's first byte into "the server closed the
// connection", so the reset reaches it as an end of stream: a library can
// hide a failure's cause (docs/strategies/fasthttp.md).
func expectedClass(strategy, fault, class string) string {
	if strategy == "fasthttp" && fault == "reset" {
		return "eof"
	}
	return class
}

// failureClaims checks one strategy's batch of the five faults: each got
// the class predicted for it, and the batch took the timeout (the hang's):
// at least it, a lower bound, and at most half as long again and 100 ms
// more, for a busy machine.
func failureClaims(name string, got batch, timeout time.Duration) []Claim {
	var predicted, measured []string
	for i, r := range got.Results {
		predicted = append(predicted, expectedClass(name, failurePages[i].fault, failurePages[i].class))
		measured = append(measured, string(r.Class))
	}
	return []Claim{
		TextClaim(name+" classifies every fault", strings.Join(predicted, ", "), strings.Join(measured, ", ")),
		NumberClaim(name+" waits the timeout, not much longer",
			Within(inMS(timeout), inMS(timeout+timeout/2+100*time.Millisecond), "ms", 0).Because("the timeout, "+msString(timeout)+": the hang's"), inMS(got.Wall), ""),
	}
}
