//go:build linux

package strategies

import (
	"context"
	"net"
	"net/netip"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Epoll is the article's select/poll loop without a library: one goroutine,
// the caller's, does all the I/O for up to Config.Concurrency requests at
// once, on non-blocking sockets watched by one epoll instance.
//
// Each turn of the loop asks the kernel "which sockets are ready?"
// (epoll_wait), then does, for each ready socket, only what cannot block:
// finish a connect, write what the socket will take, read what has arrived
// and feed it to the incremental parser. What a request has done so far
// lives in its conn and exchange, because no stack remembers it between
// turns. Read this file next to the article's asyncore dispatcher:
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
	epfd    int
	wake    int                // an eventfd: writing to it wakes epoll_wait, for cancellation
	conns   map[int]*conn      // by file descriptor
	idle    map[string][]*conn // keep-alive connections by address
	buf     []byte             // the one read buffer: data is parsed before the next read
	queue   timeoutQueue       // the deadlines of the batch running now, in start order (reused: one Timeout for all)
	noWait2 bool               // epoll_pwait2 is unavailable: arrivals wait in whole milliseconds
}

// connState is what a connection is waiting for.
type connState int

const (
	stateConnecting connState = iota // a non-blocking connect in progress: wait until writable
	stateWriting                     // request bytes left to write: wait until writable
	stateReading                     // the response: wait until readable
	stateIdle                        // kept alive, no request: watched only to notice a close
)

// conn is one socket and the request it carries.
type conn struct {
	fd       int
	addr     string
	state    connState
	events   uint32 // the epoll interest registered now
	out      []byte // request bytes not yet written
	reused   bool   // whether the request went on a kept-alive connection
	exchange exchange
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
	e := &Epoll{cfg: cfg, epfd: epfd, wake: wake, conns: map[int]*conn{}, idle: map[string][]*conn{}, buf: make([]byte, 64<<10)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake)}); err != nil {
		e.Close()
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return e, nil
}

// Close closes the kept-alive connections and the epoll instance. Call it
// after Fetch has returned.
func (e *Epoll) Close() error {
	for fd := range e.conns {
		unix.Close(fd)
	}
	clear(e.conns)
	clear(e.idle)
	unix.Close(e.wake)
	return unix.Close(e.epfd)
}

// batch is one Fetch's bookkeeping.
type batch struct {
	ctx     context.Context
	jobs    []Job
	targets []*target
	done    func(Result)
	next    int     // the next job to start
	left    int     // jobs without a result yet
	active  []*conn // by job: the connection carrying it, or nil
}

// timeout is a job's deadline. Every job has the same Timeout, so deadlines
// come in the order jobs start, and a FIFO queue is the whole timer wheel.
type timeout struct {
	job      int
	deadline time.Time
}

// timeoutQueue is that FIFO. Its array is kept from batch to batch and
// compacted as it drains, so it holds about Concurrency entries, and a
// request costs no allocation.
type timeoutQueue struct {
	items []timeout
	head  int // items[head:] are queued
}

func (q *timeoutQueue) reset() { q.items, q.head = q.items[:0], 0 }

func (q *timeoutQueue) push(t timeout) {
	if q.head > 0 && q.head >= len(q.items)/2 { // half is spent: slide the rest down
		n := copy(q.items, q.items[q.head:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, t)
}

// first returns the earliest deadline, if any.
func (q *timeoutQueue) first() (timeout, bool) {
	if q.head == len(q.items) {
		return timeout{}, false
	}
	return q.items[q.head], true
}

func (q *timeoutQueue) pop() { q.head++ }

// Fetch runs the loop until every job has a result, starting each job no
// sooner than its At. done is called on the caller's goroutine, from inside
// the loop: if it blocks, every request waits.
func (e *Epoll) Fetch(ctx context.Context, jobs []Job, done func(Result)) error {
	e.cfg.Gauge.Add(1) // the caller's goroutine, which runs the loop
	defer e.cfg.Gauge.Add(-1)
	e.queue.reset()
	b := &batch{ctx: ctx, jobs: jobs, targets: prepareTargets(ctx, jobs), done: done, left: len(jobs), active: make([]*conn, len(jobs))}
	// A wake-up under way must finish before Close may close e.wake.
	defer onCancel(ctx, e.cfg.Gauge, func() { unix.Write(e.wake, []byte{1, 0, 0, 0, 0, 0, 0, 0}) })()
	events := make([]unix.EpollEvent, 256)
	for b.left > 0 {
		if ctx.Err() != nil {
			e.abort(b)
			break
		}
		e.startJobs(b)
		e.expire(b, time.Now())
		if b.left == 0 {
			break
		}
		timeout, arrival := e.waitTimeout(b)
		n, err := e.wait(events, timeout, arrival)
		if err != nil && err != unix.EINTR {
			return os.NewSyscallError("epoll_wait", err)
		}
		for _, ev := range events[:max(n, 0)] {
			e.handleEvent(b, int(ev.Fd), ev.Events)
		}
	}
	return ctx.Err()
}

// startJobs starts jobs, in order, while fewer than Concurrency are in
// flight and the next one is due.
func (e *Epoll) startJobs(b *batch) {
	for e.hasRoom(b) {
		if at := b.jobs[b.next].At; !at.IsZero() && time.Now().Before(at) {
			return // not due yet: waitTimeout wakes the loop at its At
		}
		job := b.next
		b.next++
		now := time.Now() // the job's start, and its deadline's: one clock reading for both
		if e.cfg.Timeout > 0 {
			e.queue.push(timeout{job, now.Add(e.cfg.Timeout)})
		}
		e.start(b, job, false, now)
	}
}

// hasRoom reports whether a job is left to start and the window has room
// for it: fewer than Concurrency started jobs are unfinished.
func (e *Epoll) hasRoom(b *batch) bool {
	return b.next < len(b.jobs) && len(b.jobs)-b.left+e.cfg.concurrency() > b.next
}

// start sends a job on a kept-alive connection to its address, or on a new
// one. fresh forbids reuse (a retry after a kept-alive connection failed).
// began is when the job started: a retry keeps the first attempt's, so
// that its latency, like its deadline, counts from there.
func (e *Epoll) start(b *batch, job int, fresh bool, began time.Time) {
	t := b.targets[job]
	if t.err != nil {
		b.finish(Result{Index: job, Start: began}, t.err)
		return
	}
	var c *conn
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
	c.exchange.begin(job, began, e.cfg.maxBodyBytes())
	c.out = t.request
	b.active[job] = c
	if c.state == stateIdle {
		c.state = stateWriting
		e.write(b, c)
	}
}

// dial opens a non-blocking socket and starts connecting; the loop learns
// the outcome when the socket becomes writable.
func (e *Epoll) dial(addr string) (*conn, error) {
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
	c := &conn{fd: fd, addr: addr, state: stateConnecting, events: unix.EPOLLOUT}
	if err := unix.EpollCtl(e.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: c.events, Fd: int32(fd)}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	e.conns[fd] = c
	return c, nil
}

// takeIdle returns a kept-alive connection to addr, if there is one.
func (e *Epoll) takeIdle(addr string) *conn {
	list := e.idle[addr]
	if len(list) == 0 {
		return nil
	}
	c := list[len(list)-1]
	e.idle[addr] = list[:len(list)-1]
	c.reused = true
	return c
}

// handleEvent does what the readiness of one socket allows.
func (e *Epoll) handleEvent(b *batch, fd int, events uint32) {
	if fd == e.wake {
		unix.Read(e.wake, e.buf[:8]) // the context ended: the loop's next turn aborts
		return
	}
	c := e.conns[fd]
	if c == nil {
		return
	}
	switch c.state {
	case stateConnecting:
		e.connected(b, c)
	case stateWriting:
		e.write(b, c)
	case stateReading:
		e.read(b, c)
	case stateIdle: // the server closed a kept-alive connection (or sent garbage)
		e.drop(c)
	}
}

// connected checks how a non-blocking connect ended, then writes.
func (e *Epoll) connected(b *batch, c *conn) {
	errno, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && errno != 0 {
		err = unix.Errno(errno)
	}
	if err != nil {
		e.fail(b, c, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)})
		return
	}
	c.state = stateWriting
	e.write(b, c)
}

// write writes what the socket takes of the request; the rest waits for the
// next writable event. A partial write is normal, not an error.
func (e *Epoll) write(b *batch, c *conn) {
	for len(c.out) > 0 {
		n, err := rawWrite(c.fd, c.out)
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
	c.state = stateReading
	e.watch(c, unix.EPOLLIN)
}

// read reads once (level-triggered: if more is waiting, epoll says so again
// next turn) and feeds the parser.
func (e *Epoll) read(b *batch, c *conn) {
	n, err := rawRead(c.fd, e.buf)
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
func (e *Epoll) complete(b *batch, c *conn, keep bool) {
	job := c.exchange.job
	b.active[job] = nil
	b.report(c.exchange.result(b.ctx, nil))
	if !keep {
		e.drop(c)
		return
	}
	c.state, c.reused = stateIdle, false
	e.watch(c, unix.EPOLLIN)
	e.idle[c.addr] = append(e.idle[c.addr], c)
}

// fail ends the connection's job with err, unless the job may be retried:
// a kept-alive connection the server had closed before our request reached
// it fails with no response byte, and the request goes again on a fresh one,
// as net/http does. A fresh connection is not reused, so a job is retried
// at most once.
func (e *Epoll) fail(b *batch, c *conn, err error) {
	job := c.exchange.job
	e.drop(c)
	b.active[job] = nil
	if c.reused && !c.exchange.received && b.ctx.Err() == nil {
		e.start(b, job, true, c.exchange.start)
		return
	}
	b.report(c.exchange.result(b.ctx, err))
}

// drop closes a connection and forgets it (closing the socket also removes
// it from the epoll set).
func (e *Epoll) drop(c *conn) {
	if c.state == stateIdle {
		list := e.idle[c.addr]
		for i, x := range list {
			if x == c {
				e.idle[c.addr] = append(list[:i], list[i+1:]...)
				break
			}
		}
	}
	delete(e.conns, c.fd)
	unix.Close(c.fd)
}

// watch changes what the loop waits for on a connection.
func (e *Epoll) watch(c *conn, events uint32) {
	if c.events == events {
		return
	}
	c.events = events
	unix.EpollCtl(e.epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: events, Fd: int32(c.fd)})
}

// expire fails the jobs whose deadline has passed.
func (e *Epoll) expire(b *batch, now time.Time) {
	for {
		t, ok := e.queue.first()
		if !ok || t.deadline.After(now) {
			return
		}
		e.queue.pop()
		job := t.job
		if c := b.active[job]; c != nil {
			c.reused = false // a timeout is final: no retry
			e.fail(b, c, os.ErrDeadlineExceeded)
		}
	}
}

// waitTimeout is how long epoll_wait may sleep: until the next deadline,
// until the next job's At if the window has room to start it, and never
// more than a second (a blocking wait with no end would hold the runtime's
// attention, and a finite one costs nothing). arrival reports that the
// next At is what bounds it, so the wait must be precise.
func (e *Epoll) waitTimeout(b *batch) (wait time.Duration, arrival bool) {
	wait = time.Second
	if t, ok := e.queue.first(); ok {
		wait = min(wait, time.Until(t.deadline))
	}
	if e.hasRoom(b) && !b.jobs[b.next].At.IsZero() {
		if d := time.Until(b.jobs[b.next].At); d < wait {
			wait, arrival = d, true
		}
	}
	return max(wait, 0), arrival
}

// abort ends every unfinished job as canceled when the context ends.
func (e *Epoll) abort(b *batch) {
	for job, c := range b.active {
		if c != nil {
			e.drop(c)
			b.active[job] = nil
			b.report(c.exchange.result(b.ctx, b.ctx.Err()))
		}
	}
	cancelFrom(b.ctx, b.next, len(b.jobs), b.report)
	b.next = len(b.jobs)
}

// finish reports a job that never got a connection.
func (b *batch) finish(res Result, err error) { b.report(finish(b.ctx, res, err)) }

// report hands a result to done and counts it.
func (b *batch) report(r Result) {
	b.left--
	b.done(r)
}

// rawRead and rawWrite call read(2) and write(2) without telling the Go
// scheduler: on a non-blocking socket they never block, so the bookkeeping
// of a blocking system call (handing the thread's P to another thread and
// back) is pure cost, about 1.5 µs a request here (RESEARCH §5).
func rawRead(fd int, p []byte) (int, error) {
	n, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

func rawWrite(fd int, p []byte) (int, error) {
	n, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// wait asks epoll for ready sockets, sleeping at most timeout. Under load
// some are nearly always ready, so it first polls without blocking, through
// a raw system call that skips the scheduler's bookkeeping; only when
// nothing is ready does it block, through the ordinary call that lets the
// runtime use the thread's P meanwhile (a raw blocking wait would hold it,
// and stall the GC).
//
// epoll_wait counts in whole milliseconds, rounded up here so that a
// deadline is never missed. Waiting for an arrival, that could start a job
// up to a millisecond late, enough for an open workload's report to count
// it late: arrival waits go through epoll_pwait2, which counts in
// nanoseconds (Linux 5.11; older kernels fall back to milliseconds).
func (e *Epoll) wait(events []unix.EpollEvent, timeout time.Duration, arrival bool) (int, error) {
	// First a raw poll that cannot block (epoll_pwait with no signal mask
	// is epoll_wait, which arm64 lacks).
	n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(e.epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if errno == 0 && n > 0 {
		return int(n), nil
	}
	if arrival && !e.noWait2 {
		n, err := e.pwait2(events, timeout)
		if err != unix.ENOSYS && err != unix.EPERM { // EPERM: a seccomp filter that does not know it
			return n, err
		}
		e.noWait2 = true
	}
	return unix.EpollWait(e.epfd, events, int((timeout+time.Millisecond-1)/time.Millisecond))
}

// pwait2 is epoll_pwait2 with no signal mask; x/sys/unix has no wrapper.
func (e *Epoll) pwait2(events []unix.EpollEvent, timeout time.Duration) (int, error) {
	ts := unix.NsecToTimespec(int64(timeout))
	n, _, errno := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(e.epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), uintptr(unsafe.Pointer(&ts)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
