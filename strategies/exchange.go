package strategies

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/netio-lab/netio/strategies/internal/httpparse"
)

// This file holds what the event-loop strategies (epoll, gnet) share: the
// request bytes they write, and the per-request state they keep between
// reads, because in an event loop no goroutine's stack remembers it.

// target is a job's URL made ready for a raw client: where to connect, and
// the bytes to write. Jobs with the same URL share one (see urlCache).
type target struct {
	addr    string // resolved "ip:port"
	request []byte
	err     error // the job cannot be sent at all (bad URL, unknown host)
}

// prepareAhead is how many of a batch's first jobs prepareTargets makes
// targets for before the loop starts.
const prepareAhead = 1024

// prepareTargets readies a batch's targets: it forgets the URLs whose host
// failed to resolve in an earlier batch (they are tried again, once), then
// makes the targets of the batch's first jobs, which resolves their hosts:
// DNS blocks, and an event loop must not. A batch that cycles through its
// pages names them all there, so the loop only looks its targets up. A
// URL first seen later in a batch is made on the loop, which then blocks
// once for it if its host is a name to look up.
func prepareTargets(ctx context.Context, cache *urlCache[*target], jobs Jobs) {
	cache.forget(func(t *target) bool { return t.err != nil })
	mk := makeTarget(ctx)
	for i := range min(jobs.Len(), prepareAhead) {
		cache.get(jobs.Job(i).URL, mk)
	}
}

// makeTarget returns the function a urlCache calls to make a URL's
// target. A failure is kept too, for the rest of the batch (a host that
// does not resolve costs one lookup, not one per job), unless the batch's
// context ended it.
func makeTarget(ctx context.Context) func(rawURL string) (*target, bool) {
	return func(rawURL string) (*target, bool) {
		t := newTarget(ctx, rawURL)
		return t, t.err == nil || ctx.Err() == nil
	}
}

// newTarget makes the target for one URL, resolving its host.
func newTarget(ctx context.Context, rawURL string) *target {
	u, err := parseHTTPURL(rawURL)
	if err != nil {
		return &target{err: err}
	}
	hostPort := u.Host
	if u.Port() == "" {
		hostPort = net.JoinHostPort(u.Hostname(), "80")
	}
	addr, err := resolve(ctx, hostPort)
	if err != nil {
		return &target{err: err}
	}
	return &target{addr: addr, request: fmt.Appendf(nil, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n\r\n",
		u.RequestURI(), u.Host, userAgent)}
}

// parseHTTPURL parses a job's URL and checks it is one every strategy can
// fetch: http, with a host.
func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("strategies: unsupported URL %q: want http://host/path", raw)
	}
	return u, nil
}

// resolve turns host:port into ip:port, preferring IPv4.
func resolve(ctx context.Context, hostPort string) (string, error) {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); ip != nil {
		return net.JoinHostPort(ip.String(), port), nil
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
	if err != nil {
		return "", err
	}
	best := ips[0]
	for _, ip := range ips {
		if ip.To4() != nil {
			best = ip
			break
		}
	}
	return net.JoinHostPort(best.String(), port), nil
}

// lanePool numbers the connections of an event-loop strategy for
// Result.Lane. A closed connection's number goes back to the pool and to
// the next connection opened, so that a run's lanes stay within the
// connections open at once however often they are redialed. The zero
// value is ready; gnet takes and frees numbers from several loops, hence
// the lock (taken once per connection, not per request).
type lanePool struct {
	mu   sync.Mutex
	free []int
	next int
}

// take returns a free number, from 1.
func (p *lanePool) take() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		lane := p.free[n-1]
		p.free = p.free[:n-1]
		return lane
	}
	p.next++
	return p.next
}

// give returns a number to the pool.
func (p *lanePool) give(lane int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, lane)
}

// exchange is one request's state in an event loop: where its response
// stands, and the page processing so far. It is reused for the next
// request on the same connection.
type exchange struct {
	lane     int // the connection's number (Result.Lane), set when it is opened
	job      int
	target   *target // where the job goes, for a retry
	start    time.Time
	parser   httpparse.Parser
	scanner  TemperatureScanner
	received bool           // whether any response byte arrived (a reused connection's failure before that may be retried)
	onRead   func(ReadStep) // Config.OnRead, or nil
}

// begin readies the exchange for a job.
func (x *exchange) begin(job int, t *target, start time.Time, maxBody int64) {
	x.job, x.target, x.start, x.received = job, t, start, false
	x.scanner.Reset()
	if x.parser.Body == nil {
		x.parser.Body = func(b []byte) { x.scanner.Write(b) }
	}
	x.parser.Reset()
	x.parser.MaxBodyBytes = maxBody
}

// feed parses bytes read from the connection. It reports whether the
// response is complete, and then whether the connection may carry the next
// request: the server allows it and sent nothing past the response.
func (x *exchange) feed(data []byte) (done, keep bool, err error) {
	x.received = x.received || len(data) > 0
	n, err := x.parser.Feed(data)
	if x.onRead != nil {
		x.onRead(ReadStep{Index: x.job, Lane: x.lane, At: time.Now(), Bytes: len(data), Part: x.parser.Part(), BodyBytes: x.parser.BodyBytes})
	}
	done = x.parser.Done()
	return done, done && n == len(data) && x.parser.KeepAlive, err
}

// result is the job's Result once the response ended (err nil) or failed.
func (x *exchange) result(ctx context.Context, err error) Result {
	res := Result{Index: x.job, Start: x.start, Status: x.parser.Status, Bytes: x.parser.BodyBytes, Lane: x.lane}
	switch {
	case err != nil:
		return finish(ctx, res, err)
	case res.Status != 200:
		return finish(ctx, res, &StatusError{Code: res.Status})
	}
	temp, ok := x.scanner.Temperature()
	return pageResult(ctx, res, temp, ok)
}

// flights is a batch's requests in flight in an event loop (epoll, uring):
// the connections carrying one, in the order of their deadlines. Every job
// has the same Timeout, so a job started later has a later deadline and
// goes at the back: the front's deadline is the earliest, and the list is
// the loop's whole timer wheel. It is linked through the connections
// themselves (each embeds a flight), so starting and ending a request
// costs no allocation, and the list never holds more than Concurrency
// connections, however many jobs the batch has.
type flights[C any] struct {
	front, back *C
	of          func(*C) *flight[C] // the connection's flight
}

// flight is a connection's place in its batch's flights.
type flight[C any] struct {
	deadline   time.Time // the request's; zero: none
	prev, next *C
	flying     bool
}

// insert adds c in deadline order: at the back, but for a retry, which
// keeps its first attempt's deadline and walks back to its place.
func (l *flights[C]) insert(c *C) {
	f := l.of(c)
	after := l.back
	for after != nil && l.of(after).deadline.After(f.deadline) {
		after = l.of(after).prev
	}
	f.prev, f.flying = after, true
	if after == nil {
		f.next, l.front = l.front, c
	} else {
		f.next, l.of(after).next = l.of(after).next, c
	}
	if f.next == nil {
		l.back = c
	} else {
		l.of(f.next).prev = c
	}
}

// remove takes c out, if it is in.
func (l *flights[C]) remove(c *C) {
	f := l.of(c)
	if !f.flying {
		return
	}
	if f.prev == nil {
		l.front = f.next
	} else {
		l.of(f.prev).next = f.next
	}
	if f.next == nil {
		l.back = f.prev
	} else {
		l.of(f.next).prev = f.prev
	}
	f.prev, f.next, f.flying = nil, nil, false
}

// idlePool is an event loop's kept-alive connections, by the address they
// are connected to. The last one kept is the first reused.
type idlePool[C comparable] map[string][]C

// put keeps c, idle, for its address.
func (p idlePool[C]) put(addr string, c C) { p[addr] = append(p[addr], c) }

// take returns a kept-alive connection to addr, if there is one, and takes
// it out of the pool.
func (p idlePool[C]) take(addr string) (c C, ok bool) {
	list := p[addr]
	if len(list) == 0 {
		return c, false
	}
	c = list[len(list)-1]
	p[addr] = list[:len(list)-1]
	return c, true
}

// remove takes c out of the pool, if it is there (a kept-alive connection
// the server has closed).
func (p idlePool[C]) remove(addr string, c C) {
	list := p[addr]
	for i, x := range list {
		if x == c {
			p[addr] = append(list[:i], list[i+1:]...)
			return
		}
	}
}

// loopBatch is one Fetch's bookkeeping in an event loop (epoll, uring),
// over connections of type C. It holds nothing per job: a job is read from
// jobs when it starts, and only the jobs in flight (at most Concurrency)
// are anywhere, in flights.
type loopBatch[C any] struct {
	ctx     context.Context
	jobs    Jobs
	done    func(Result)
	next    int // the next job to start
	left    int // jobs without a result yet
	flights flights[C]
}

// newLoopBatch starts a batch's bookkeeping; flight finds a connection's
// place in the flights.
func newLoopBatch[C any](ctx context.Context, jobs Jobs, done func(Result), flight func(*C) *flight[C]) loopBatch[C] {
	return loopBatch[C]{ctx: ctx, jobs: jobs, done: done, left: jobs.Len(), flights: flights[C]{of: flight}}
}

// hasRoom reports whether a job is left to start and the window has room
// for it: fewer than concurrency started jobs are unfinished.
func (b *loopBatch[C]) hasRoom(concurrency int) bool {
	return b.next < b.jobs.Len() && b.jobs.Len()-b.left+concurrency > b.next
}

// due returns the next job to start, if the window has room for it and
// its At has come.
func (b *loopBatch[C]) due(concurrency int) (index int, job Job, ok bool) {
	if !b.hasRoom(concurrency) {
		return 0, Job{}, false
	}
	job = b.jobs.Job(b.next)
	if !job.At.IsZero() && time.Now().Before(job.At) {
		return 0, Job{}, false // not due yet: waitTimeout ends the wait at its At
	}
	b.next++
	return b.next - 1, job, true
}

// waitTimeout is how long the loop may sleep: until the next deadline,
// until the next job's At if the window has room to start it, and never
// more than a second (a blocking wait with no end would hold the runtime's
// attention, and a finite one costs nothing).
func (b *loopBatch[C]) waitTimeout(concurrency int) time.Duration {
	wait := time.Second
	if c := b.flights.front; c != nil {
		if d := b.flights.of(c).deadline; !d.IsZero() {
			wait = min(wait, time.Until(d))
		}
	}
	if b.hasRoom(concurrency) {
		if at := b.jobs.Job(b.next).At; !at.IsZero() {
			wait = min(wait, time.Until(at))
		}
	}
	return max(wait, 0)
}

// failUnstarted reports every job not started yet, failed with err.
func (b *loopBatch[C]) failUnstarted(err error) {
	for ; b.next < b.jobs.Len(); b.next++ {
		b.finish(Result{Index: b.next, Start: time.Now()}, err)
	}
}

// finish reports a job that never got a connection.
func (b *loopBatch[C]) finish(res Result, err error) { b.report(finish(b.ctx, res, err)) }

// report hands a result to done and counts it.
func (b *loopBatch[C]) report(r Result) {
	b.left--
	b.done(r)
}
