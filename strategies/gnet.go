package strategies

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// Gnet fetches with a gnet v2 client: a few event loops (Config.Loops, one
// by default) do all the reading and writing.
//
// This is the article's Twisted: the framework owns the loop and calls the
// handler back (OnTraffic when data arrived, OnClose at the end), and the
// handler must never block, because the loop it runs on serves every
// connection. Per-connection state (the parser, the temperature scanner)
// lives in the connection's context, as a Twisted protocol keeps it in its
// attributes. When a response is complete, the handler reports it (done is
// called on the loop) and sends the next job's request on the same
// connection at once: the loop drives the batch, as a reactor does.
//
// gnet cannot connect without blocking (its Dial does a blocking net.Dial,
// then waits for OnOpen on the loop), so a few dialer goroutines open
// connections off the loop; after that, connections are kept alive and
// reused. gnet has no socket deadlines: its ticker checks timeouts.
//
// An open workload (jobs with At) cannot let the loops drive the batch: a
// loop that finished a request would have to hold the next job until its
// At, and gnet's ticker is far too coarse for that. So in an open batch the
// caller's goroutine paces: it claims each job at its At, once fewer than
// Concurrency are in flight, and a connection that finishes a request is
// parked for the pacer to reuse.
//
// Config.Gauge counts gnet's goroutines (one per loop and the ticker) from
// NewGnet to Close, and the dialers while a batch runs.
type Gnet struct {
	cfg     Config
	client  *gnet.Client
	handler *gnetHandler
	engine  int64                  // the goroutines gnet runs from Start to Stop: loops and ticker
	idleMu  sync.Mutex             // loops and the caller both park and take connections
	idle    map[string][]*gnetConn // kept-alive connections by address
	targets urlCache[*target]
	closed  atomic.Bool
}

// gnetConnState is where a connection's request stands.
type gnetConnState int

const (
	gnetIdle     gnetConnState = iota // no request: just opened, parked for reuse, or about to close
	gnetQueued                        // carries a job whose request is not written yet (see gnetLoop)
	gnetSent                          // the request is written: the response is due
	gnetTimedOut                      // the ticker closed it past its deadline: OnClose reports the timeout
	gnetClosed                        // OnClose has run
)

// gnetConn is one connection's state. Its fields are touched only on the
// loop that owns the connection: the caller and the dialers reach them
// through runnables executed there.
type gnetConn struct {
	conn   gnet.Conn // set in OnOpen, before the connection is used
	loop   *gnetLoop // the loop's own state, set in OnOpen
	addr   string
	state  gnetConnState
	x      exchange
	batch  *gnetBatch
	reused bool // the request went on a kept-alive connection

	// deadline (Unix nanoseconds, 0 for none) and deadlineJob are read by
	// the ticker's goroutine, hence atomics: no lock on a request's path.
	deadline    atomic.Int64
	deadlineJob atomic.Int64
}

// busy reports whether the connection carries a request: exactly one
// settle will end it.
func (gc *gnetConn) busy() bool {
	return gc.state == gnetQueued || gc.state == gnetSent || gc.state == gnetTimedOut
}

// gnetBatch is one Fetch, shared by the caller, the dialers and the loops.
// It holds nothing per job: a job is read from jobs when it is claimed,
// and travels as a gnetClaim from then on.
type gnetBatch struct {
	g          *Gnet
	ctx        context.Context
	jobs       Jobs
	n          int // jobs.Len()
	makeTarget func(string) (*target, bool)
	done       func(Result)
	next       atomic.Int64 // the next job to claim
	left       atomic.Int64
	finished   chan struct{}  // closed when every job is reported
	dials      chan gnetClaim // jobs waiting for a fresh connection
	// slots, in an open batch only, holds a token per job in flight: pace
	// sends one before it claims a job, and release takes it back when
	// the job ends. Nil in a closed batch, where the loops claim.
	slots chan struct{}
	lanes lanePool // the in-flight slots claims take, for Result.Lane
}

// gnetClaim is a job that has started: its index, when it started, and
// where it goes.
type gnetClaim struct {
	job    int
	start  time.Time
	target *target
	// lane is the job's in-flight slot (Result.Lane), from its claim to its
	// report. Not its connection: a job claimed waits for a dialer, and
	// a job whose kept-alive connection was closed goes again on a new
	// one, so a connection's number would have two requests at once.
	lane int
}

// NewGnet starts the gnet client and its event loops. Close stops them.
func NewGnet(cfg Config) (*Gnet, error) {
	h := &gnetHandler{conns: map[*gnetConn]struct{}{}, loops: map[gnet.EventLoop]*gnetLoop{}}
	loops := max(1, cfg.Loops)
	// The loops are not locked to OS threads (gnet.WithLockOSThread): gnet
	// yields (runtime.Gosched) whenever a poll finds nothing, and a locked
	// goroutine that yields hands its thread's P to another thread and
	// sleeps until it is woken again. Unlocked, one loop on two shared cores
	// made 1–3 % more requests a second with a third fewer context switches
	// (peercompare, alternated rounds).
	client, err := gnet.NewClient(h,
		gnet.WithNumEventLoop(loops),
		gnet.WithTicker(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogger(silentLogger{}), // gnet's own logs stay out of the user's terminal
	)
	if err != nil {
		return nil, fmt.Errorf("strategies: gnet: %w", err)
	}
	if err := client.Start(); err != nil { // fails before it starts any goroutine
		return nil, fmt.Errorf("strategies: gnet: start: %w", err)
	}
	g := &Gnet{cfg: cfg, client: client, handler: h, engine: int64(loops) + 1, idle: map[string][]*gnetConn{}}
	cfg.Gauge.Add(g.engine)
	return g, nil
}

// Close stops the event loops, which closes every connection. It blocks
// until the loops and the ticker have returned. Call it after Fetch has
// returned; a second Close does nothing.
func (g *Gnet) Close() error {
	if g.client == nil || g.closed.Swap(true) { // a zero Gnet, or closed already
		return nil
	}
	g.idleMu.Lock()
	clear(g.idle)
	g.idleMu.Unlock()
	err := g.client.Stop()
	g.cfg.Gauge.Add(-g.engine)
	return err
}

// Fetch starts Concurrency requests and waits while the loops carry the
// batch; in an open batch it starts each job at its At instead (see pace).
// done is called on the event loops (and, for jobs that never got a
// connection, on the dialers and the caller), concurrently: it must not block.
func (g *Gnet) Fetch(ctx context.Context, jobs Jobs, done func(Result)) error {
	mustBeMade(g.client != nil, "Gnet")
	n := jobs.Len()
	if n == 0 {
		return ctx.Err()
	}
	prepareTargets(ctx, &g.targets, jobs)
	inFlight := min(g.cfg.concurrency(), n)
	b := &gnetBatch{
		g: g, ctx: ctx, jobs: jobs, n: n, makeTarget: makeTarget(ctx), done: done, finished: make(chan struct{}),
		dials: make(chan gnetClaim, inFlight), // room for every job in flight: a loop never waits to queue one
	}
	b.left.Store(int64(n))
	if hasArrivals(jobs) {
		b.slots = make(chan struct{}, inFlight)
	}
	var dialers sync.WaitGroup
	for range min(g.cfg.concurrency(), 4) {
		g.cfg.Gauge.Go(&dialers, b.dialLoop)
	}
	if b.slots != nil {
		b.pace()
	} else {
		for range inFlight {
			if c, ok := b.claim(); ok {
				b.start(c, nil)
			}
		}
	}
	select {
	case <-b.finished:
	case <-ctx.Done():
		b.abort()
		<-b.finished
	}
	close(b.dials)
	dialers.Wait()
	return ctx.Err()
}

// pace starts an open batch's jobs in order, on the caller's goroutine:
// each once its At has come and fewer than Concurrency are in flight. It
// returns when every job has started or ctx has ended. Only pace claims
// jobs in an open batch, so none starts early, and the wait is a timer per
// job, as precise as the runtime's.
func (b *gnetBatch) pace() {
	var pace pacer
	defer pace.stop()
	for i := 0; i < b.n; i++ { // i is the next job to claim: nobody else claims
		if pace.wait(b.ctx, b.jobs.Job(i).At) != nil {
			return
		}
		select {
		case b.slots <- struct{}{}: // blocks while Concurrency jobs are in flight
		case <-b.ctx.Done():
			return
		}
		c, ok := b.claim()
		if !ok {
			return // ctx ended
		}
		b.start(c, nil)
	}
}

// release hands on the turn of a job that ended without passing its
// connection a next job (the connection closed, the dial failed, the URL
// was bad). In an open batch that frees the job's slot for pace; it never
// blocks (it runs on the loops): the job held a slot, so one is there to
// take. In a closed batch the turn goes to the next job at once, on an
// idle or a new connection; otherwise every such end would shrink the
// window for good, and a batch whose connections all closed would stall.
// Jobs with a bad URL are reported in a loop, not by recursion, so a run
// of them cannot grow the stack.
func (b *gnetBatch) release() {
	if b.slots != nil {
		select {
		case <-b.slots:
		default:
		}
		return
	}
	for {
		c, ok := b.claim()
		if !ok {
			return
		}
		if err := c.target.err; err != nil {
			b.report(finish(b.ctx, Result{Index: c.job, Start: c.start, Lane: c.lane}, err))
			continue
		}
		b.start(c, nil)
		return
	}
}

// fail reports a claimed job that never reached a connection's loop, and
// hands on its turn.
func (b *gnetBatch) fail(c gnetClaim, err error) {
	b.report(finish(b.ctx, Result{Index: c.job, Start: c.start, Lane: c.lane}, err))
	b.release()
}

// lost ends a claimed job whose connection closed before its request was
// written: a kept-alive connection the server had closed meanwhile, so the
// job goes again on a fresh one, as net/http does; a fresh connection that
// closed so soon is a failure.
func (b *gnetBatch) lost(c gnetClaim, reused bool) {
	if reused && b.ctx.Err() == nil {
		b.dials <- c
		return
	}
	b.fail(c, io.EOF)
}

// claim takes the next job, if any is left and the batch goes on.
func (b *gnetBatch) claim() (gnetClaim, bool) {
	if b.ctx.Err() != nil {
		return gnetClaim{}, false
	}
	job := int(b.next.Add(1)) - 1
	if job >= b.n {
		return gnetClaim{}, false
	}
	c := gnetClaim{job: job, start: time.Now(), target: b.g.targets.get(b.jobs.Job(job).URL, b.makeTarget), lane: b.lanes.take()}
	b.g.cfg.started(c.job, c.lane, c.start)
	return c, true
}

// start sends a claimed job on gc (a connection that just finished a
// request, on its own loop), on a kept-alive connection, or via a dialer.
func (b *gnetBatch) start(c gnetClaim, gc *gnetConn) {
	t := c.target
	if t.err != nil {
		if gc != nil {
			b.g.park(gc) // still good for the next job
		}
		b.fail(c, t.err)
		return
	}
	if gc != nil {
		if gc.addr == t.addr {
			if b.sendOnLoop(gc, c, true) {
				gc.loop.later(gc) // with the turn's other writes: see gnetLoop
			}
			return
		}
		b.g.park(gc) // kept for a later job to its own address
	}
	if idle := b.g.takeIdle(t.addr); idle != nil {
		b.send(idle, c, true)
		return
	}
	b.dials <- c
}

// dialLoop opens connections off the loops (gnet's Dial blocks until the
// loop has run OnOpen) and sends each its job.
func (b *gnetBatch) dialLoop() {
	for c := range b.dials {
		if b.ctx.Err() != nil {
			b.fail(c, b.ctx.Err())
			continue
		}
		gc, err := b.dial(c)
		if err != nil {
			b.fail(c, err)
			continue
		}
		b.send(gc, c, false)
	}
}

// dial connects for a job, bounded by the batch's context and the job's
// timeout, then hands the socket to gnet. gnet's own Dial would do a plain
// net.Dial that neither can stop.
func (b *gnetBatch) dial(c gnetClaim) (*gnetConn, error) {
	ctx := b.ctx
	if timeout := b.g.cfg.Timeout; timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, c.start.Add(timeout))
		defer cancel()
	}
	gc := &gnetConn{addr: c.target.addr}
	nc, err := new(net.Dialer).DialContext(ctx, "tcp", gc.addr)
	if err != nil {
		return nil, err
	}
	conn, err := b.g.client.EnrollContext(nc, gc) // returns after OnOpen has set gc.conn; closes nc (gnet dups it)
	switch {
	case err != nil:
		return nil, err
	case conn == nil || gc.conn == nil:
		return nil, errors.New("strategies: gnet: the connection was not registered with a loop")
	}
	return gc, nil
}

// send hands a job to a connection from outside its loop.
func (b *gnetBatch) send(gc *gnetConn, c gnetClaim, reused bool) {
	err := gc.conn.EventLoop().Execute(b.ctx, gnet.RunnableFunc(func(context.Context) error {
		if b.sendOnLoop(gc, c, reused) {
			gc.write()
		}
		return nil
	}))
	if err != nil { // the engine is stopping
		b.fail(c, err)
	}
}

// sendOnLoop readies gc to carry a job; it runs on the connection's loop.
// It reports whether the request is to be written: false when the
// connection had closed (the job is lost, see lost) or the batch is
// canceled (closing the connection reports the job).
func (b *gnetBatch) sendOnLoop(gc *gnetConn, c gnetClaim, reused bool) bool {
	if gc.state == gnetClosed {
		b.lost(c, reused)
		return false
	}
	gc.x.begin(c.job, c.target, c.start, b.g.cfg.maxBodyBytes())
	gc.x.lane, gc.x.onRead = c.lane, b.g.cfg.OnRead
	gc.batch, gc.reused, gc.state = b, reused, gnetQueued
	if b.g.cfg.Timeout > 0 {
		gc.deadlineJob.Store(int64(c.job))
		gc.deadline.Store(c.start.Add(b.g.cfg.Timeout).UnixNano())
	}
	if b.ctx.Err() != nil { // canceled meanwhile: abort may have missed this connection
		gc.conn.Close() // OnClose reports the job canceled
		return false
	}
	return true
}

// write writes the request of the job the connection carries; it runs on
// the loop.
func (gc *gnetConn) write() {
	gc.state = gnetSent
	if _, err := gc.conn.Write(gc.x.target.request); err != nil {
		gc.settle(err, false)
		gc.conn.Close()
	}
}

// gnetLoop is one event loop's own state, touched only on that loop.
//
// When a response completes, the next request on that connection is not
// written at once but queued, and the queue is written in one go after the
// loop has handled the events of its poll: reads first, then writes, as
// wrk and the epoll strategy do. Written one by one between reads, each
// request woke the server for itself, and on two shared cores the server
// then took the CPU back after every write: 5–6 % fewer requests a second
// than with the writes together (measured, peercompare, 2 cores).
//
// gnet has no "end of turn" hook, so the flush is a task: Execute queues
// it and wakes the loop (an eventfd), and gnet runs its tasks after the
// events of each poll; the wake-up is seen by the next poll, so the flush
// comes after that poll's events too.
type gnetLoop struct {
	loop    gnet.EventLoop
	pending []*gnetConn // connections whose request waits for the flush
	flush   gnet.Runnable
}

func newGnetLoop(el gnet.EventLoop) *gnetLoop {
	l := &gnetLoop{loop: el}
	l.flush = gnet.RunnableFunc(func(context.Context) error { l.writePending(); return nil })
	return l
}

// later queues gc's request (gc is gnetQueued) for the flush.
func (l *gnetLoop) later(gc *gnetConn) {
	l.pending = append(l.pending, gc)
	if len(l.pending) == 1 {
		if err := l.loop.Execute(context.Background(), l.flush); err != nil {
			l.writePending() // the engine is stopping: no task will run
		}
	}
}

// writePending writes the queued requests, skipping connections that
// ended meanwhile (closed, timed out: already reported).
func (l *gnetLoop) writePending() {
	for i, gc := range l.pending {
		l.pending[i] = nil
		switch {
		case gc.state != gnetQueued:
		case gc.batch.ctx.Err() != nil:
			gc.conn.Close() // canceled while queued: OnClose reports it so
		default:
			gc.write()
		}
	}
	l.pending = l.pending[:0]
}

// settle reports the connection's request, once, and moves the batch on:
// a kept-alive connection takes the next job at once, or, in an open batch,
// is parked for pace to reuse. It runs on the loop.
func (gc *gnetConn) settle(err error, keep bool) {
	if !gc.busy() {
		return
	}
	timedOut := gc.state == gnetTimedOut
	gc.state = gnetIdle
	gc.deadline.Store(0)
	b := gc.batch
	if err != nil && gc.reused && !gc.x.received && !timedOut && b.ctx.Err() == nil {
		b.dials <- gnetClaim{gc.x.job, gc.x.start, gc.x.target, gc.x.lane} // the server had closed this kept-alive connection: again, on a fresh one
		return
	}
	result := gc.x.result(b.ctx, err)
	switch {
	case !keep:
		b.report(result)
		b.release()
	case b.slots != nil:
		b.g.park(gc) // before release, so that the job pace starts next finds it
		b.report(result)
		b.release()
	default:
		if next, ok := b.claim(); ok {
			b.report(result) // not the batch's last: next is still to come
			b.start(next, gc)
			return
		}
		// Parked before the report: the last report ends Fetch, and the
		// next batch must find this connection idle, not dial another.
		b.g.park(gc)
		b.report(result)
	}
}

// report hands a result to done and closes finished after the last. Every
// job is reported once: by whoever holds it when it ends (the claimer
// before it is sent, the connection's settle after, abort for the jobs
// never claimed).
func (b *gnetBatch) report(r Result) {
	b.done(r)
	if r.Lane > 0 {
		b.lanes.give(r.Lane)
	}
	if b.left.Add(-1) == 0 {
		close(b.finished)
	}
}

// abort ends the batch when ctx ends: no job is claimed any more, the jobs
// never claimed are reported canceled, and the connections carrying a
// request are closed, which reports theirs (OnClose) as canceled too.
func (b *gnetBatch) abort() {
	// Claiming past the end stops claim; the jobs not claimed yet are ours.
	if n := b.next.Swap(int64(b.n)); n < int64(b.n) {
		cancelFrom(b.ctx, int(n), b.n, b.report)
	}
	for _, gc := range b.g.handler.all() {
		gc.conn.EventLoop().Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			if gc.busy() && gc.batch == b {
				gc.conn.Close() // OnClose reports the request as canceled
			}
			return nil
		}))
	}
}

func (g *Gnet) takeIdle(addr string) *gnetConn {
	g.idleMu.Lock()
	defer g.idleMu.Unlock()
	list := g.idle[addr]
	if len(list) == 0 {
		return nil
	}
	g.idle[addr] = list[:len(list)-1]
	return list[len(list)-1]
}

// park keeps an idle connection for reuse; it runs on gc's loop. It lets
// go of the batch, whose jobs and callback the caller may want freed once
// Fetch has returned.
func (g *Gnet) park(gc *gnetConn) {
	gc.batch = nil
	g.idleMu.Lock()
	g.idle[gc.addr] = append(g.idle[gc.addr], gc)
	g.idleMu.Unlock()
}

// gnetHandler is called back by the event loops. No method may block.
type gnetHandler struct {
	gnet.BuiltinEventEngine

	mu    sync.Mutex // guards conns: loops add and drop, the ticker and abort read
	conns map[*gnetConn]struct{}
	loops map[gnet.EventLoop]*gnetLoop
}

// OnOpen registers the connection, for the ticker and for cancellation.
func (h *gnetHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if gc, ok := c.Context().(*gnetConn); ok {
		gc.conn = c // here, before the connection is shared: Dial returns after OnOpen
		h.mu.Lock()
		h.conns[gc] = struct{}{}
		gc.loop = h.loops[c.EventLoop()]
		if gc.loop == nil {
			gc.loop = newGnetLoop(c.EventLoop())
			h.loops[c.EventLoop()] = gc.loop
		}
		h.mu.Unlock()
	}
	return nil, gnet.None
}

// all returns the open connections.
func (h *gnetHandler) all() []*gnetConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := make([]*gnetConn, 0, len(h.conns))
	for gc := range h.conns {
		list = append(list, gc)
	}
	return list
}

// OnTraffic feeds what arrived to the connection's parser. gnet keeps what
// a handler does not consume for the next call; this one consumes all,
// because the parser keeps its own place: the article's partial read.
func (h *gnetHandler) OnTraffic(c gnet.Conn) gnet.Action {
	gc, _ := c.Context().(*gnetConn)
	data, _ := c.Peek(-1) // points into the loop's buffer: the parser copies what it keeps
	if gc == nil || gc.state != gnetSent {
		// Bytes nobody asked for (no request out, or ours not written
		// yet): the server misbehaves. OnClose settles a job still due.
		c.Discard(-1)
		return gnet.Close
	}
	done, keep, err := gc.x.feed(data)
	c.Discard(len(data))
	switch {
	case err != nil:
		gc.settle(err, false)
		return gnet.Close
	case done:
		gc.settle(nil, keep)
		if !keep {
			return gnet.Close
		}
	}
	return gnet.None
}

// OnClose settles a request the connection was still carrying: the end of
// a close-delimited body, or a failure.
func (h *gnetHandler) OnClose(c gnet.Conn, err error) gnet.Action {
	gc, _ := c.Context().(*gnetConn)
	if gc == nil {
		return gnet.None
	}
	h.mu.Lock()
	delete(h.conns, gc)
	h.mu.Unlock()
	switch {
	case !gc.busy():
	case gc.state == gnetTimedOut:
		gc.settle(os.ErrDeadlineExceeded, false)
	case err == nil || errors.Is(err, io.EOF):
		gc.settle(gc.x.parser.EOF(), false)
	default:
		gc.settle(err, false)
	}
	gc.state = gnetClosed
	return gnet.None
}

// OnTick closes the connections whose request has passed its deadline. It
// runs on its own goroutine, so it only reads the deadlines (atomics) and
// asks each connection's loop to do the rest.
func (h *gnetHandler) OnTick() (time.Duration, gnet.Action) {
	now := time.Now().UnixNano()
	for _, gc := range h.all() {
		d := gc.deadline.Load()
		if d == 0 || d > now || !gc.deadline.CompareAndSwap(d, 0) {
			continue
		}
		job := int(gc.deadlineJob.Load())
		gc.conn.EventLoop().Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			if gc.busy() && gc.x.job == job {
				gc.state = gnetTimedOut
				gc.conn.Close()
			}
			return nil
		}))
	}
	return 5 * time.Millisecond, gnet.None // never 0: gnet would tick again at once and spin a core (docs/strategies/gnet.md)
}

// silentLogger drops gnet's log lines.
type silentLogger struct{}

func (silentLogger) Debugf(string, ...any) {}
func (silentLogger) Infof(string, ...any)  {}
func (silentLogger) Warnf(string, ...any)  {}
func (silentLogger) Errorf(string, ...any) {}
func (silentLogger) Fatalf(string, ...any) {}
