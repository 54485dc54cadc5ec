// Package strategies holds netio's interchangeable ways of fetching many web
// pages at once, all behind one small interface, Fetcher.
//
// Each strategy is a different answer to the question the article asks: while
// one request waits on the network, how does the program get on with the
// others? The answers run from "it does not" (sequential) through "one thread
// of control per request" (perrequest), "a fixed crew of workers" (pool) and
// "one per request, but only so many at once" (errgroup), to the event loops
// added later (epoll, gnet, fasthttp).
//
// Every strategy does the same work per page, so that they differ only in
// scheduling: send a GET, read the response, and "process the page" with
// ParseTemperature. Results are data: a failed request is a Result with a
// Class, never a panic or a log line.
//
// The registry (All, Lookup) lists every strategy once, in teaching order.
// A new strategy goes in its own file here and one line in registry.go.
//
// A strategy is made by its constructor (NewPool, NewEpoll, …) or by the
// registry (Info.New), never as a zero value: the zero value of a strategy
// type holds no client, no loop and no connection, and its Fetch panics
// saying so. Close may be called on any value, any number of times.
//
// A batch is a Jobs: a length and a way to get job i. A strategy asks for a
// job when it starts it and keeps nothing per job, so a batch of ten
// million requests costs the memory of its description, not of its jobs
// (docs/results.md, "Memory"). JobList is the easy form for a few pages.
package strategies

import (
	"context"
	"io"
	"time"
)

// Jobs is a batch of pages to fetch, read by index: Job(i) for i from 0 to
// Len()-1. Job must return the same job for the same index every time and
// be safe to call from several goroutines at once. Jobs with an At come
// in At order, after any without (see Job.At).
type Jobs interface {
	Len() int
	Job(i int) Job
}

// JobList is a batch held in a slice: the easy form for the weather
// reader's handful of pages.
type JobList []Job

// Len is the number of jobs.
func (l JobList) Len() int { return len(l) }

// Job returns job i.
func (l JobList) Job(i int) Job { return l[i] }

// Job is one page to fetch.
type Job struct {
	// Name is what a person calls the place, such as "London". It is only
	// carried through, for printing.
	Name string
	// URL is the absolute http:// URL of the page.
	URL string
	// At, when not zero, is the job's intended start (an open workload's
	// arrival time): the strategy does not start the job before At. Jobs
	// are in At order. The zero value starts the job as soon as the
	// strategy can (a closed workload).
	At time.Time
}

// Result is what became of one Job.
type Result struct {
	// Index is the index of the Job in the batch given to Fetch.
	Index int
	// Status is the HTTP status code, or 0 when no response arrived.
	Status int
	// Bytes counts the body bytes received (headers not included). For a
	// body over Config.MaxBodyBytes it is MaxBodyBytes+1: reading stops there.
	Bytes int64
	// Temperature is the reading found on the page by ParseTemperature;
	// it is meaningful only when HasTemperature is true.
	Temperature float64
	// HasTemperature reports whether the page held a reading.
	HasTemperature bool
	// Start and End bracket the request. They come from time.Now and so carry
	// the monotonic clock: End.Sub(Start) is immune to wall-clock changes.
	Start, End time.Time
	// Lane is what carried the request, numbered from 1 within the
	// Fetcher: the worker (pool, fasthttp), the goroutine slot (errgroup),
	// the request's own goroutine (perrequest: its index + 1), the one
	// caller (sequential: 1), the connection (epoll: numbered among those
	// open at once, a closed connection's number reused) or the in-flight
	// slot (gnet, whose requests wait for a dialer before they have a
	// connection). It
	// is 0 for a request that never got one: canceled before it started,
	// or failed before a connection existed. A timeline draws a row per
	// lane.
	Lane int
	// Hedged reports that a second copy of the request was sent, because
	// the first had not answered after Config.HedgeAfter: an extra
	// request the server saw.
	Hedged bool
	// Class says what kind of failure this was; ClassOK on success.
	Class Class
	// Err is the underlying error; nil on success.
	Err error
}

// OK reports whether the page was fetched and a temperature found on it.
func (r Result) OK() bool { return r.Class == ClassOK }

// Latency is the time from the start of the request to its end.
func (r Result) Latency() time.Duration { return r.End.Sub(r.Start) }

// Fetcher fetches a batch of pages with a strategy's own concurrency.
//
// Fetch calls done exactly once for every job, in whatever order the jobs
// complete. done may be called from several goroutines at once and must not
// block: like a callback in an event loop, a slow done stalls the fetching
// (and in the event-loop strategies, every other request with it). Fetch
// returns only after every call to done has returned.
//
// Fetch returns nil when every job got a result, failed or not. If ctx is
// canceled it returns promptly with ctx's error, after calling done with
// ClassCanceled for every job that had not finished. If the strategy's own
// machinery fails (epoll_wait, say), it calls done for every job left,
// failed with that error, and returns it. In every case done has been
// called once for every job.
//
// A Fetcher may be used for several batches, one after another. Close
// releases what it holds (connections, event loops); call it after the
// last Fetch has returned. A second Close does nothing and returns nil.
type Fetcher interface {
	Fetch(ctx context.Context, jobs Jobs, done func(Result)) error
	io.Closer
}

// Config holds the settings every strategy understands. The zero value is
// ready to use.
type Config struct {
	// Concurrency bounds how many requests are in flight at once, for the
	// strategies that honour it (see Info.Knob). Zero means
	// DefaultConcurrency.
	Concurrency int
	// Timeout bounds each request, from dial to the last body byte.
	// Zero means no per-request limit: only the context bounds it.
	Timeout time.Duration
	// MaxBodyBytes bounds the body read per page; a longer body fails with
	// ClassTooLarge. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Gauge, when not nil, counts the goroutines the strategy runs for the
	// batch, exactly (see Gauge). Nil counts nothing.
	Gauge *Gauge
	// Loops is the number of event loops, for the strategies that run
	// several (gnet). Zero means 1: on a small machine shared with the
	// server, one loop measured fastest (docs/strategies/gnet.md).
	Loops int
	// HedgeAfter, when above zero, sends a second copy of any request
	// that has not answered after this long, and takes whichever answers
	// first (Dean and Barroso's hedged request, lesson tail-at-scale).
	// Only the strategies with Info.Hedges honour it; the others refuse
	// it. Result.Hedged says which requests were sent twice.
	HedgeAfter time.Duration
	// OnRead, when set, is called by the strategies that parse responses
	// themselves (Info.SeesReads: epoll, gnet, uring) after each read from
	// a connection has been
	// fed to the parser, on the event loop's goroutine: like done, it
	// must not block. It is for watching partial reads (the lesson
	// partial-reads); the other strategies read inside their HTTP client
	// and never call it.
	OnRead func(ReadStep)
	// OnStart, when set, is called as each request starts, with its job,
	// its lane (what Result.Lane will name) and its start (Result.Start),
	// so that a live view can draw a request while it waits, not only once
	// it is done (netio demo's timelines). Every strategy calls it, from
	// its own goroutines, concurrently: like done, it must not block. A
	// request retried on a fresh connection after a kept-alive one turned
	// out closed (epoll) starts again, on its new lane.
	OnStart func(Started)
}

// Started is a request that has just started: see Config.OnStart.
type Started struct {
	Index int       // the job
	Lane  int       // what carries it (Result.Lane)
	At    time.Time // when it started (Result.Start)
}

// started calls OnStart, if set. (A pointer: it runs once a request, and
// need not copy the Config to look at one field.)
func (c *Config) started(index, lane int, at time.Time) {
	if c.OnStart != nil {
		c.OnStart(Started{Index: index, Lane: lane, At: at})
	}
}

// ReadStep is one read an event loop made from a connection, and where
// the response stood once the parser had taken it in: the article's "are
// we still in the header?", answered read by read.
type ReadStep struct {
	Index     int       // the job being read
	Lane      int       // its connection (Result.Lane)
	At        time.Time // when the read was parsed
	Bytes     int       // bytes in this read
	Part      string    // the response's part after it: "header", "body", "chunk size", …, "complete"
	BodyBytes int64     // body bytes received so far
}

// Defaults used where a Config field is zero.
const (
	DefaultConcurrency        = 64
	DefaultMaxBodyBytes int64 = 1 << 20
)

// concurrency returns the effective Concurrency.
func (c Config) concurrency() int {
	if c.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return c.Concurrency
}

// maxBodyBytes returns the effective MaxBodyBytes.
func (c Config) maxBodyBytes() int64 {
	if c.MaxBodyBytes <= 0 {
		return DefaultMaxBodyBytes
	}
	return c.MaxBodyBytes
}

// onCancel runs f on a goroutine of its own (counted on gauge) when ctx
// ends, to wake or unblock a batch. Call the returned function when the
// batch is over: it stops f from running, or waits until f has returned,
// so that nothing f touches is used after the batch.
func onCancel(ctx context.Context, gauge *Gauge, f func()) (stop func()) {
	ran := make(chan struct{})
	stopFunc := context.AfterFunc(ctx, func() {
		defer close(ran) // last: the caller may go on only once the count is down
		gauge.Add(1)
		defer gauge.Add(-1)
		f()
	})
	return func() {
		if !stopFunc() {
			<-ran
		}
	}
}

// hasArrivals reports whether the batch has intended starts: an open
// workload, which a strategy must pace. Jobs with an At come after any
// without, so the last job tells.
func hasArrivals(jobs Jobs) bool {
	n := jobs.Len()
	return n > 0 && !jobs.Job(n-1).At.IsZero()
}

// mustBeMade panics, naming the constructor, when a strategy's zero value
// is used: made is false.
func mustBeMade(made bool, name string) {
	if !made {
		panic("strategies: a zero " + name + " cannot fetch: make it with New" + name + " or the registry")
	}
}
