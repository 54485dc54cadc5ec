//go:build linux

package strategies

import (
	"context"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netio-lab/netio/internal/rawio"
)

// Epoll is the article's select/poll loop without a library: one goroutine,
// the caller's, does all the I/O for up to Config.Concurrency requests at
// once, on non-blocking sockets watched by one epoll instance.
//
// Each turn of the loop asks the kernel "which sockets are ready?"
// (epoll_wait), then does, for each ready socket, only what cannot block:
// finish a connect, write what the socket will take, read what has arrived
// and feed it to the incremental parser. What a request has done so far
// lives in its epollConn and exchange, because no stack remembers it
// between turns. Read this file next to the article's asyncore dispatcher:
// handleEvent is its handle_read and handle_write.
//
// Connections are kept alive and reused across jobs and batches; Close
// closes them.
//
// In an open workload the loop is also the clock: a job whose At has not
// come stays unstarted, and epoll_wait sleeps no longer than until its At.
//
// Config.Gauge counts one goroutine for the loop, although Fetch runs it on
// the caller's goroutine and starts none: the figure then says what the
// strategy is about, "one goroutine does all the I/O", where the net/http
// strategies count only the goroutines they start. A cancellation adds
// the goroutine that wakes the loop, while it runs.
type Epoll struct {
	cfg     Config
	poller  rawio.Poller // the epoll instance; poller.FD is its descriptor
	wake    int          // an eventfd: writing to it wakes epoll_wait, for cancellation
	conns   map[int]*epollConn
	idle    idlePool[*epollConn] // keep-alive connections by address
	targets urlCache[*target]
	buf     []byte   // the one read buffer: data is parsed before the next read
	lanes   lanePool // the open connections' numbers, for Result.Lane
	closed  bool
	// wait is poller.Wait; a test puts a failing one in its place.
	wait func(events []unix.EpollEvent, timeout time.Duration) (int, error)
}

// epollConnState is what a connection is waiting for.
type epollConnState int

const (
	epollConnecting epollConnState = iota // a non-blocking connect in progress: wait until writable
	epollWriting                          // request bytes left to write: wait until writable
	epollReading                          // the response: wait until readable
	epollIdle                             // kept alive, no request: watched only to notice a close
)

// epollConn is one socket and the request it carries.
type epollConn struct {
	fd       int
	addr     string
	state    epollConnState
	events   uint32 // the epoll interest registered now
	out      []byte // request bytes not yet written
	reused   bool   // whether the request went on a kept-alive connection
	exchange exchange

	// While it carries a request, the connection is in its batch's
	// flights, with the request's deadline (zero: none).
	flight[epollConn]
}

// NewEpoll creates the epoll instance. Close releases it.
func NewEpoll(cfg Config) (*Epoll, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	e := &Epoll{cfg: cfg, poller: rawio.Poller{FD: epfd}, wake: wake, conns: map[int]*epollConn{}, idle: idlePool[*epollConn]{}, buf: make([]byte, 64<<10)}
	e.wait = e.poller.Wait
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake)}); err != nil {
		e.Close()
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return e, nil
}

// Close closes the kept-alive connections and the epoll instance. Call it
// after Fetch has returned. A second Close does nothing: the descriptor
// numbers may belong to other files by then.
func (e *Epoll) Close() error {
	if e.closed || e.conns == nil { // closed already, or a zero Epoll
		return nil
	}
	e.closed = true
	for fd := range e.conns {
		unix.Close(fd)
	}
	clear(e.conns)
	clear(e.idle)
	unix.Close(e.wake)
	return unix.Close(e.poller.FD)
}

// epollBatch is one Fetch's bookkeeping (see loopBatch).
type epollBatch struct {
	loopBatch[epollConn]
}

// Fetch runs the loop until every job has a result, starting each job no
// sooner than its At. done is called on the caller's goroutine, from inside
// the loop: if it blocks, every request waits.
//
// If epoll itself fails (not expected of a valid instance), every job still
// due gets its result, failed with that error, and Fetch returns it.
func (e *Epoll) Fetch(ctx context.Context, jobs Jobs, done func(Result)) error {
	mustBeMade(e.conns != nil, "Epoll")
	e.cfg.Gauge.Add(1) // the caller's goroutine, which runs the loop
	defer e.cfg.Gauge.Add(-1)
	b := &epollBatch{newLoopBatch(ctx, jobs, done, func(c *epollConn) *flight[epollConn] { return &c.flight })}
	prepareTargets(ctx, &e.targets, jobs)
	// A wake-up under way must finish before Close may close e.wake.
	defer onCancel(ctx, e.cfg.Gauge, func() { unix.Write(e.wake, []byte{1, 0, 0, 0, 0, 0, 0, 0}) })()
	events := make([]unix.EpollEvent, 256)
	for b.left > 0 {
		if ctx.Err() != nil {
			e.abort(b, ctx.Err())
			break
		}
		e.startJobs(b)
		e.expire(b, time.Now())
		if b.left == 0 {
			break
		}
		n, err := e.wait(events, b.waitTimeout(e.cfg.concurrency()))
		if err != nil && err != unix.EINTR {
			err = os.NewSyscallError("epoll_wait", err)
			e.abort(b, err)
			return err
		}
		for _, ev := range events[:max(n, 0)] {
			e.handleEvent(b, int(ev.Fd), ev.Events)
		}
	}
	return ctx.Err()
}

// startJobs starts jobs, in order, while fewer than Concurrency are in
// flight and the next one is due.
func (e *Epoll) startJobs(b *epollBatch) {
	for i, job, ok := b.due(e.cfg.concurrency()); ok; i, job, ok = b.due(e.cfg.concurrency()) {
		e.start(b, i, e.targets.get(job.URL, makeTarget(b.ctx)), false, time.Now())
	}
}

// start sends job on a kept-alive connection to its target's address, or
// on a new one. fresh forbids reuse (a retry after a kept-alive connection
// failed). began is when the job started, and its deadline counts from
// it: a retry keeps the first attempt's, so that its latency and its
// deadline count from there.
func (e *Epoll) start(b *epollBatch, job int, t *target, fresh bool, began time.Time) {
	if t.err != nil {
		b.finish(Result{Index: job, Start: began}, t.err)
		return
	}
	var c *epollConn
	if !fresh {
		c = e.takeIdle(t.addr)
	}
	if c == nil {
		var err error
		if c, err = e.dial(t.addr); err != nil {
			b.finish(Result{Index: job, Start: began}, err)
			return
		}
	}
	c.exchange.begin(job, t, began, e.cfg.maxBodyBytes())
	e.cfg.started(job, c.exchange.lane, began)
	c.out = t.request
	c.deadline = time.Time{}
	if e.cfg.Timeout > 0 {
		c.deadline = began.Add(e.cfg.Timeout)
	}
	b.flights.insert(c)
	if c.state == epollIdle {
		c.state = epollWriting
		e.write(b, c)
	}
}

// dial opens a non-blocking socket and starts connecting; the loop learns
// the outcome when the socket becomes writable.
func (e *Epoll) dial(addr string) (*epollConn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	family, sa := unix.AF_INET, unix.Sockaddr(&unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()})
	if ap.Addr().Is6() && !ap.Addr().Is4In6() {
		family, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) // send each request at once
	if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
	}
	c := &epollConn{fd: fd, addr: addr, state: epollConnecting, events: unix.EPOLLOUT}
	if err := unix.EpollCtl(e.poller.FD, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: c.events, Fd: int32(fd)}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	e.conns[fd] = c
	c.exchange.lane = e.lanes.take()
	c.exchange.onRead = e.cfg.OnRead
	return c, nil
}

// takeIdle returns a kept-alive connection to addr, if there is one.
func (e *Epoll) takeIdle(addr string) *epollConn {
	c, ok := e.idle.take(addr)
	if ok {
		c.reused = true
	}
	return c
}

// handleEvent does what the readiness of one socket allows.
func (e *Epoll) handleEvent(b *epollBatch, fd int, events uint32) {
	if fd == e.wake {
		unix.Read(e.wake, e.buf[:8]) // the context ended: the loop's next turn aborts
		return
	}
	c := e.conns[fd]
	if c == nil {
		return
	}
	switch c.state {
	case epollConnecting:
		e.connected(b, c)
	case epollWriting:
		e.write(b, c)
	case epollReading:
		e.read(b, c)
	case epollIdle: // the server closed a kept-alive connection (or sent garbage)
		e.drop(c)
	}
}

// connected checks how a non-blocking connect ended, then writes.
func (e *Epoll) connected(b *epollBatch, c *epollConn) {
	errno, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && errno != 0 {
		err = unix.Errno(errno)
	}
	if err != nil {
		e.fail(b, c, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)})
		return
	}
	c.state = epollWriting
	e.write(b, c)
}

// write writes what the socket takes of the request; the rest waits for the
// next writable event. A partial write is normal, not an error.
func (e *Epoll) write(b *epollBatch, c *epollConn) {
	for len(c.out) > 0 {
		n, err := rawio.Write(c.fd, c.out)
		if err == unix.EAGAIN {
			e.watch(c, unix.EPOLLOUT)
			return
		}
		if err != nil {
			e.fail(b, c, &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", err)})
			return
		}
		c.out = c.out[n:]
	}
	c.state = epollReading
	e.watch(c, unix.EPOLLIN)
}

// read reads once (level-triggered: if more is waiting, epoll says so again
// next turn) and feeds the parser.
func (e *Epoll) read(b *epollBatch, c *epollConn) {
	n, err := rawio.Read(c.fd, e.buf)
	switch {
	case err == unix.EAGAIN:
		return
	case err != nil:
		e.fail(b, c, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)})
		return
	case n == 0: // the server closed: the end of a close-delimited body, or a failure
		if err := c.exchange.parser.EOF(); err != nil {
			e.fail(b, c, err)
			return
		}
		e.complete(b, c, false)
		return
	}
	done, keep, err := c.exchange.feed(e.buf[:n])
	switch {
	case err != nil:
		e.fail(b, c, err)
	case done:
		e.complete(b, c, keep)
	}
}

// complete reports a finished response and keeps or closes the connection.
func (e *Epoll) complete(b *epollBatch, c *epollConn, keep bool) {
	b.flights.remove(c)
	b.report(c.exchange.result(b.ctx, nil))
	if !keep {
		e.drop(c)
		return
	}
	c.state, c.reused = epollIdle, false
	e.watch(c, unix.EPOLLIN)
	e.idle.put(c.addr, c)
}

// fail ends the connection's job with err, unless the job may be retried:
// a kept-alive connection the server had closed before our request reached
// it fails with no response byte, and the request goes again on a fresh one,
// as net/http does. A fresh connection is not reused, so a job is retried
// at most once.
func (e *Epoll) fail(b *epollBatch, c *epollConn, err error) {
	e.drop(c)
	b.flights.remove(c)
	if c.reused && !c.exchange.received && b.ctx.Err() == nil {
		e.start(b, c.exchange.job, c.exchange.target, true, c.exchange.start)
		return
	}
	b.report(c.exchange.result(b.ctx, err))
}

// drop closes a connection and forgets it (closing the socket also removes
// it from the epoll set).
func (e *Epoll) drop(c *epollConn) {
	if c.state == epollIdle {
		e.idle.remove(c.addr, c)
	}
	delete(e.conns, c.fd)
	unix.Close(c.fd)
	e.lanes.give(c.exchange.lane)
}

// watch changes what the loop waits for on a connection.
func (e *Epoll) watch(c *epollConn, events uint32) {
	if c.events == events {
		return
	}
	c.events = events
	unix.EpollCtl(e.poller.FD, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: events, Fd: int32(c.fd)})
}

// expire fails the requests whose deadline has passed: those at the front
// of the flights.
func (e *Epoll) expire(b *epollBatch, now time.Time) {
	for c := b.flights.front; c != nil && !c.deadline.IsZero() && !c.deadline.After(now); c = b.flights.front {
		c.reused = false // a timeout is final: no retry
		e.fail(b, c, os.ErrDeadlineExceeded)
	}
}

// abort ends every unfinished job with err, when the context ends (err is
// its error) or epoll fails: the jobs in flight lose their connections,
// the jobs not started yet are reported without one.
func (e *Epoll) abort(b *epollBatch, err error) {
	for c := b.flights.front; c != nil; c = b.flights.front {
		b.flights.remove(c)
		e.drop(c)
		b.report(c.exchange.result(b.ctx, err))
	}
	b.failUnstarted(err)
}
