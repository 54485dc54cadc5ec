package strategies

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// Gnet fetches with a gnet v2 client: a few event loops (Config.Loops, one
// by default, on a locked OS thread each) do all the reading and writing,
// and the caller's goroutine coordinates: it hands requests to the loops and
// collects what they report.
//
// This is the article's Twisted: the framework owns the loop and calls the
// handler back (OnTraffic for data, OnClose for the end), and the handler
// must never block, because the loop it runs on serves every connection.
// Per-connection state (the parser, the temperature scanner) lives in the
// connection's context, as a Twisted protocol keeps it in its attributes.
//
// gnet cannot connect without blocking (its Dial does a blocking net.Dial,
// then waits for OnOpen), so a few dialer goroutines open connections off
// the loop and the coordinator reuses them (keep-alive) for later requests.
// gnet has no socket deadlines: timeouts are checked by its ticker.
type Gnet struct {
	cfg     Config
	client  *gnet.Client
	handler *gnetHandler
	idle    map[string][]*gnetConn // kept-alive connections by address; the coordinator's
}

// gnetConn is one connection's state. Only the loop that owns the
// connection touches the fields below mu-less: the coordinator reaches them
// through runnables executed on that loop.
type gnetConn struct {
	conn     gnet.Conn
	addr     string
	x        exchange
	busy     bool // a request is out; exactly one event will report it
	reused   bool // the request went on a kept-alive connection
	closed   bool // OnClose has run
	timedOut bool // closed by the ticker
	events   chan<- gnetEvent
	ctx      context.Context
}

// gnetEvent is what a loop or a dialer tells the coordinator.
type gnetEvent struct {
	job    int
	conn   *gnetConn // nil: the dial failed
	dialed bool      // a fresh connection for job, not yet used
	result Result
	keep   bool // the connection may carry another request
	retry  bool // a kept-alive connection failed before any response byte: send again on a fresh one
	err    error
}

// NewGnet starts the gnet client and its event loops. Close stops them.
func NewGnet(cfg Config) (*Gnet, error) {
	loops := max(1, cfg.Loops)
	h := &gnetHandler{}
	client, err := gnet.NewClient(h,
		gnet.WithNumEventLoop(loops),
		gnet.WithLockOSThread(true), // one loop per thread: measured faster here (RESEARCH §5)
		gnet.WithTicker(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogger(silentLogger{}), // gnet's own logs stay out of the user's terminal
	)
	if err != nil {
		return nil, fmt.Errorf("strategies: gnet: %w", err)
	}
	if err := client.Start(); err != nil {
		return nil, fmt.Errorf("strategies: gnet: start: %w", err)
	}
	return &Gnet{cfg: cfg, client: client, handler: h, idle: map[string][]*gnetConn{}}, nil
}

// Close stops the event loops, which closes every connection. Call it after
// Fetch has returned.
func (g *Gnet) Close() error {
	clear(g.idle)
	return g.client.Stop()
}

// gnetBatch is one Fetch's coordination state, owned by the caller's goroutine.
type gnetBatch struct {
	ctx     context.Context
	targets []target
	done    func(Result)
	events  chan gnetEvent
	dials   chan int    // jobs waiting for a fresh connection
	active  []*gnetConn // by job
	started []time.Time // by job, for results of jobs that never got a connection
	left    int
}

// Fetch coordinates the batch: it starts up to Concurrency requests, and
// reports each result as the loops send it. done is called on the caller's
// goroutine.
func (g *Gnet) Fetch(ctx context.Context, jobs []Job, done func(Result)) error {
	if len(jobs) == 0 {
		return ctx.Err()
	}
	c := g.cfg.concurrency()
	b := &gnetBatch{
		ctx: ctx, targets: prepareTargets(ctx, jobs), done: done,
		events: make(chan gnetEvent, c+len(jobs)), // room for every event: a loop never waits on us
		dials:  make(chan int, len(jobs)),
		active: make([]*gnetConn, len(jobs)), started: make([]time.Time, len(jobs)), left: len(jobs),
	}
	var dialers sync.WaitGroup
	for range min(c, 4) {
		dialers.Go(func() { g.dialLoop(b) })
	}
	defer func() { close(b.dials); dialers.Wait() }()

	next := 0
	for b.left > 0 {
		for ; next < len(jobs) && next-(len(jobs)-b.left) < c; next++ {
			g.start(b, next)
		}
		select {
		case ev := <-b.events:
			g.handle(b, ev)
		case <-ctx.Done():
			g.abort(b, next)
			return ctx.Err()
		}
	}
	return ctx.Err()
}

// start sends a job on a kept-alive connection, or asks a dialer for one.
func (g *Gnet) start(b *gnetBatch, job int) {
	b.started[job] = time.Now()
	t := b.targets[job]
	if t.err != nil {
		b.report(finish(b.ctx, Result{Index: job, Start: b.started[job]}, t.err))
		return
	}
	if list := g.idle[t.addr]; len(list) > 0 {
		gc := list[len(list)-1]
		g.idle[t.addr] = list[:len(list)-1]
		g.send(b, gc, job, true)
		return
	}
	b.dials <- job
}

// dialLoop opens connections for jobs, off the event loops: gnet's Dial
// blocks until the loop has run OnOpen.
func (g *Gnet) dialLoop(b *gnetBatch) {
	for job := range b.dials {
		if b.ctx.Err() != nil {
			b.events <- gnetEvent{job: job, err: b.ctx.Err()}
			continue
		}
		gc := &gnetConn{addr: b.targets[job].addr}
		conn, err := g.client.DialContext("tcp", gc.addr, gc)
		if err != nil {
			b.events <- gnetEvent{job: job, err: err}
			continue
		}
		gc.conn = conn
		b.events <- gnetEvent{job: job, conn: gc, dialed: true}
	}
}

// send hands a request to the connection's loop. Everything that touches
// the connection's state runs there, so no lock is needed.
func (g *Gnet) send(b *gnetBatch, gc *gnetConn, job int, reused bool) {
	b.active[job] = gc
	if g.cfg.Timeout > 0 {
		g.handler.deadline(gc, job, b.started[job].Add(g.cfg.Timeout))
	}
	req, start, maxBody := b.targets[job].request, b.started[job], g.cfg.maxBodyBytes()
	err := gc.conn.EventLoop().Execute(b.ctx, gnet.RunnableFunc(func(context.Context) error {
		gc.x.begin(job, maxBody)
		gc.x.start = start
		gc.busy, gc.reused, gc.timedOut, gc.events, gc.ctx = true, reused, false, b.events, b.ctx
		if gc.closed {
			gc.report(gnetEvent{err: io.EOF})
			return nil
		}
		if _, err := gc.conn.Write(req); err != nil {
			gc.report(gnetEvent{err: err})
			gc.conn.Close()
		}
		return nil
	}))
	if err != nil { // the engine is shutting down
		b.active[job] = nil
		b.report(finish(b.ctx, Result{Index: job, Start: b.started[job]}, err))
	}
}

// handle acts on one event.
func (g *Gnet) handle(b *gnetBatch, ev gnetEvent) {
	switch {
	case ev.dialed:
		g.send(b, ev.conn, ev.job, false)
	case ev.conn == nil && ev.err != nil && b.active[ev.job] == nil: // the dial failed
		b.report(finish(b.ctx, Result{Index: ev.job, Start: b.started[ev.job]}, ev.err))
	case b.active[ev.job] != ev.conn: // a report for a job already settled (canceled)
	case ev.retry:
		b.active[ev.job] = nil
		b.dials <- ev.job
	default:
		b.active[ev.job] = nil
		g.handler.settled(ev.conn)
		if ev.keep {
			g.idle[ev.conn.addr] = append(g.idle[ev.conn.addr], ev.conn)
		}
		b.report(ev.result)
	}
}

// abort reports every unfinished job as canceled and closes the
// connections that carried them.
func (g *Gnet) abort(b *gnetBatch, next int) {
	for job, gc := range b.active {
		if gc != nil {
			gc.conn.Close()
			b.active[job] = nil
			b.report(finish(b.ctx, Result{Index: job, Start: b.started[job]}, b.ctx.Err()))
		}
	}
	g.handler.forget(b)
	cancelFrom(b.ctx, next, len(b.targets), b.report)
	// Jobs that were waiting for a dialer when ctx ended are reported as
	// they come back: drain until every job has its result.
	for b.left > 0 {
		ev := <-b.events
		if ev.dialed {
			ev.conn.conn.Close()
		}
		if ev.conn == nil || ev.dialed {
			b.report(finish(b.ctx, Result{Index: ev.job, Start: b.started[ev.job]}, b.ctx.Err()))
		}
	}
}

func (b *gnetBatch) report(r Result) {
	b.left--
	b.done(r)
}

// report sends the connection's one event for its request (on the loop).
func (gc *gnetConn) report(ev gnetEvent) {
	if !gc.busy {
		return
	}
	gc.busy = false
	ev.job, ev.conn = gc.x.job, gc
	if ev.err != nil && gc.reused && !gc.x.received && !gc.timedOut && gc.ctx.Err() == nil {
		ev.retry = true
	}
	if !ev.retry {
		ev.result = gc.x.result(gc.ctx, ev.err)
	}
	gc.events <- ev
}

// gnetHandler is called back by the event loops. No method may block.
type gnetHandler struct {
	gnet.BuiltinEventEngine

	mu        sync.Mutex // guards deadlines: the ticker runs on its own goroutine
	deadlines map[*gnetConn]gnetDeadline
}

type gnetDeadline struct {
	job int
	at  time.Time
}

func (h *gnetHandler) deadline(gc *gnetConn, job int, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.deadlines == nil {
		h.deadlines = map[*gnetConn]gnetDeadline{}
	}
	h.deadlines[gc] = gnetDeadline{job, at}
}

func (h *gnetHandler) settled(gc *gnetConn) {
	h.mu.Lock()
	delete(h.deadlines, gc)
	h.mu.Unlock()
}

// forget drops every deadline: the batch was canceled.
func (h *gnetHandler) forget(*gnetBatch) {
	h.mu.Lock()
	clear(h.deadlines)
	h.mu.Unlock()
}

// OnTraffic feeds what arrived to the connection's parser. Bytes it does not
// consume stay buffered by gnet for the next call: the article's partial
// read, handled by the framework.
func (h *gnetHandler) OnTraffic(c gnet.Conn) gnet.Action {
	gc, _ := c.Context().(*gnetConn)
	data, _ := c.Peek(-1) // points into the loop's buffer: the parser copies what it keeps
	if gc == nil || !gc.busy {
		c.Discard(-1) // data on an idle connection: the server misbehaves; the next request will see the close
		return gnet.Close
	}
	used, done, err := gc.x.feed(data)
	c.Discard(len(data))
	switch {
	case err != nil:
		gc.report(gnetEvent{err: err})
		return gnet.Close
	case done:
		keep := used == len(data) && gc.x.parser.KeepAlive
		gc.report(gnetEvent{keep: keep})
		if !keep {
			return gnet.Close
		}
	}
	return gnet.None
}

// OnClose reports a request the connection was still carrying: the end of
// a close-delimited body, or a failure.
func (h *gnetHandler) OnClose(c gnet.Conn, err error) gnet.Action {
	gc, _ := c.Context().(*gnetConn)
	if gc == nil {
		return gnet.None
	}
	gc.closed = true
	switch {
	case !gc.busy:
	case gc.timedOut:
		gc.report(gnetEvent{err: os.ErrDeadlineExceeded})
	case err == nil || errors.Is(err, io.EOF):
		if perr := gc.x.parser.EOF(); perr != nil {
			gc.report(gnetEvent{err: perr})
		} else {
			gc.report(gnetEvent{})
		}
	default:
		gc.report(gnetEvent{err: err})
	}
	return gnet.None
}

// OnTick closes the connections whose request has passed its deadline. It
// runs on its own goroutine, so it only reads the deadlines (under the lock)
// and asks each connection's loop to do the rest.
func (h *gnetHandler) OnTick() (time.Duration, gnet.Action) {
	now := time.Now()
	h.mu.Lock()
	var expired []*gnetConn
	var jobs []int
	for gc, d := range h.deadlines {
		if !d.at.After(now) {
			expired = append(expired, gc)
			jobs = append(jobs, d.job)
			delete(h.deadlines, gc)
		}
	}
	h.mu.Unlock()
	for i, gc := range expired {
		job := jobs[i]
		gc.conn.EventLoop().Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			if gc.busy && gc.x.job == job {
				gc.timedOut = true
				gc.conn.Close()
			}
			return nil
		}))
	}
	return 5 * time.Millisecond, gnet.None // never 0: that would spin a core (RESEARCH §1)
}

// silentLogger drops gnet's log lines.
type silentLogger struct{}

func (silentLogger) Debugf(string, ...any) {}
func (silentLogger) Infof(string, ...any)  {}
func (silentLogger) Warnf(string, ...any)  {}
func (silentLogger) Errorf(string, ...any) {}
func (silentLogger) Fatalf(string, ...any) {}
