//go:build linux

package strategies

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/netio-lab/netio/internal/uring"
)

// URing is the article's asynchronous I/O, as Linux's io_uring does it:
// one goroutine, the caller's, asks the kernel to perform the connects,
// sends and receives of up to Config.Concurrency requests, and the kernel
// reports each one done.
//
// The difference from Epoll is who does the I/O. epoll answers "which
// sockets are ready?", and the loop then makes every read and write
// itself, a system call each. Here the loop writes what it wants into a
// submission queue shared with the kernel ("connect this socket, then send
// this request, then receive into this buffer", linked so that each waits
// for the one before), one io_uring_enter hands over everything queued
// since the last, and the kernel writes a completion for each operation
// into a second queue: the bytes are already in the connection's buffer
// when the loop hears of them. A turn of the loop is one system call,
// whatever the number of requests it starts and finishes
// (docs/strategies/uring.md).
//
// Each connection owns a receive buffer. While a receive is in flight the
// buffer is the kernel's, so a connection is closed or reused only after
// its receive's completion has come, and Fetch returns only once every
// operation it submitted has completed: a cancelled or timed-out request
// is cancelled in the ring (an async cancel), and its completion awaited.
//
// Where io_uring is missing or forbidden (an old kernel, a container's
// seccomp profile, kernel.io_uring_disabled), NewURing returns an
// *UnavailableError saying why.
type URing struct {
	cfg     Config
	ring    *uring.Ring
	wake    int          // an eventfd with a read always in flight: a write to it ends the wait, for cancellation
	wakeBuf []byte       // that read's buffer
	conns   []*uringConn // by slot, the number in their operations' user data; nil: free
	free    []int        // free slots
	idle    idlePool[*uringConn]
	targets urlCache[*target]
	lanes   lanePool
	broken  error // the ring failed in an earlier batch: every later Fetch fails with it
	closed  bool
}

// uringConnState is what a connection has in the ring.
type uringConnState int

const (
	uringIdle       uringConnState = iota // kept alive, nothing in the ring
	uringExchanging                       // a request: [connect →] send → receive, or a further receive, in the ring
	uringCanceling                        // its operations cancelled (timeout, end of the batch): awaiting the receive's completion
	uringAbandoned                        // the ring failed with the request in it: reported, and left as it is until Close
)

// uringConn is one socket, its receive buffer and the request it carries.
type uringConn struct {
	fd       int
	slot     int
	seq      uint32 // the request's number on this slot: completions of an earlier one are recognized and ignored
	addr     string
	sa       [unix.SizeofSockaddrInet6]byte // the address a connect reads: the kernel copies it when it takes the entry
	saLen    uint32
	buf      []byte // the receive buffer; the kernel's while a receive is in flight
	state    uringConnState
	reused   bool  // whether the request went on a kept-alive connection
	cause    error // why the request was cancelled (a timeout, the batch's end)
	exchange exchange
	flight[uringConn]
}

// The kinds of operation, in the low byte of a completion's user data;
// above it the connection's slot, and above that the request's seq.
const (
	opWake    = 1 // the eventfd read
	opConnect = 2
	opSend    = 3
	opRecv    = 4
	opCancel  = 5
)

func userData(kind uint64, c *uringConn) uint64 {
	return uint64(c.seq)<<40 | uint64(c.slot)<<8 | kind
}

// uringRecvBuffer is each connection's receive buffer: a mock page and its
// header fit twice over, nginx's default page four times.
const uringRecvBuffer = 4 << 10

// NewURing sets up the ring: room for two submissions and four
// completions per request in flight (a turn that has more queued submits
// them as the queue fills). Close releases it.
func NewURing(cfg Config) (*URing, error) {
	if why := uringDisabled(); why != "" {
		return nil, &UnavailableError{Strategy: "uring", Reason: why}
	}
	c := uint32(cfg.concurrency())
	entries := min(max(2*c, 64), 4096)
	cqEntries := min(max(4*c, 2*entries), 65536)
	// COOP_TASKRUN: the kernel does not interrupt the loop to post a
	// completion, it posts them when the loop enters to wait, which it does
	// every turn anyway. It came in Linux 5.19, with the receive's
	// PollFirst and the cancel by descriptor this strategy needs: a kernel
	// that refuses it is too old.
	ring, err := uring.Setup(entries, cqEntries, uring.SetupSubmitAll|uring.SetupCoopTaskrun)
	if errors.Is(err, unix.EINVAL) {
		return nil, &UnavailableError{Strategy: "uring", Reason: "this kernel's io_uring is too old: the strategy needs Linux 5.19"}
	}
	if err != nil {
		return nil, uringSetupError(err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK) // non-blocking: Fetch drains it
	if err != nil {
		ring.Close()
		return nil, os.NewSyscallError("eventfd", err)
	}
	return &URing{cfg: cfg, ring: ring, wake: wake, wakeBuf: make([]byte, 8), idle: idlePool[*uringConn]{}}, nil
}

// uringDisabled reads kernel.io_uring_disabled (Linux 6.6): 2 forbids
// io_uring to every process, 1 to those outside a group (many containers).
func uringDisabled() string {
	b, err := os.ReadFile("/proc/sys/kernel/io_uring_disabled")
	if err != nil {
		return "" // older kernels have no such setting
	}
	switch strings.TrimSpace(string(b)) {
	case "2":
		return "io_uring is disabled on this system (kernel.io_uring_disabled = 2)"
	}
	return "" // 1 allows some processes: io_uring_setup says whether this one
}

// uringSetupError turns a failed io_uring_setup into the reason the
// strategy is unavailable, where it is a matter of the system.
func uringSetupError(err error) error {
	switch {
	case errors.Is(err, unix.ENOSYS):
		return &UnavailableError{Strategy: "uring", Reason: "this kernel has no io_uring (the strategy needs Linux 5.19)"}
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return &UnavailableError{Strategy: "uring", Reason: "io_uring is forbidden here (a seccomp profile, or kernel.io_uring_disabled): " + err.Error()}
	case strings.Contains(err.Error(), "lacks IORING_FEAT"):
		return &UnavailableError{Strategy: "uring", Reason: err.Error()}
	}
	return err
}

// Close closes the kept-alive connections, the eventfd and the ring. Call
// it after Fetch has returned, which leaves nothing in the ring. A second
// Close does nothing.
func (u *URing) Close() error {
	if u.closed || u.ring == nil {
		return nil
	}
	u.closed = true
	for _, c := range u.conns {
		if c != nil {
			unix.Close(c.fd)
		}
	}
	clear(u.conns)
	clear(u.idle)
	unix.Close(u.wake)
	return u.ring.Close()
}

// uringBatch is one Fetch's bookkeeping (see loopBatch).
type uringBatch struct {
	loopBatch[uringConn]
	inRing    int        // operations whose completion is still to come: requests' last ones, cancels, the wake read
	aborted   error      // the batch's context ended: nothing more starts
	failures  error      // the ring itself failed
	recancel  []recancel // cancels that found nothing yet: sent again next turn
	wakeArmed bool       // the wake read is in the ring
}

// Fetch runs the loop until every job has a result and every operation it
// submitted has completed. Jobs start in order, each no sooner than its
// At; done is called on the caller's goroutine, from inside the loop: if
// it blocks, every request waits.
func (u *URing) Fetch(ctx context.Context, jobs Jobs, done func(Result)) error {
	mustBeMade(u.ring != nil, "URing")
	u.cfg.Gauge.Add(1) // the caller's goroutine, which runs the loop
	defer u.cfg.Gauge.Add(-1)
	b := &uringBatch{loopBatch: newLoopBatch(ctx, jobs, done, func(c *uringConn) *flight[uringConn] { return &c.flight })}
	if u.broken != nil { // an earlier batch's ring failed: what it left in the ring cannot be told apart
		b.failUnstarted(u.broken)
		return u.broken
	}
	prepareTargets(ctx, &u.targets, jobs)
	unix.Read(u.wake, u.wakeBuf) // a wake-up an earlier batch's end beat to the read: not this batch's
	u.armWake(b)
	stopWake := onCancel(ctx, u.cfg.Gauge, func() { unix.Write(u.wake, []byte{1, 0, 0, 0, 0, 0, 0, 0}) })
	for b.left > 0 && b.failures == nil {
		u.turn(b)
	}
	stopWake()
	u.disarmWake(b)
	for b.inRing > 0 && b.failures == nil { // the wake read, and whatever a failure left
		u.reap(b, time.Second)
	}
	if b.failures != nil {
		return b.failures
	}
	return ctx.Err()
}

// turn is one turn of the loop: start what is due, cancel what is late,
// then one system call submits all of it and waits for a completion, and
// each completion is handled.
func (u *URing) turn(b *uringBatch) {
	if b.ctx.Err() != nil && b.aborted == nil {
		u.abort(b, b.ctx.Err())
	}
	if b.aborted == nil {
		u.startJobs(b)
	}
	u.expire(b, time.Now())
	u.cancelAgain(b)
	if b.left == 0 || b.failures != nil {
		return
	}
	wait := b.waitTimeout(u.cfg.concurrency())
	if len(b.recancel) > 0 {
		wait = min(wait, time.Millisecond)
	}
	u.reap(b, wait)
}

// reap submits what is queued, waits up to timeout for a completion, and
// handles every completion there is.
func (u *URing) reap(b *uringBatch, timeout time.Duration) {
	if err := u.ring.Wait(timeout); err != nil {
		u.fail(b, err)
		return
	}
	u.ring.Completions(func(cqe *uring.CQE) { u.complete(b, cqe.UserData, cqe.Res) })
}

// fail ends the batch when the ring itself fails (not expected of a valid
// ring): every job still due gets its result, failed with err: those in
// flight, those being cancelled, those not started. The fetcher is broken
// from then on (its ring may hold operations no batch can tell apart), and
// its connections stay in their slots, sockets open, so that the buffers
// of receives still in the ring stay referenced until Close.
func (u *URing) fail(b *uringBatch, err error) {
	if b.failures != nil {
		return
	}
	b.failures, u.broken = err, err
	for c := b.flights.front; c != nil; c = b.flights.front {
		b.flights.remove(c)
		c.state = uringAbandoned
		b.report(c.exchange.result(b.ctx, err))
	}
	for _, c := range u.conns {
		if c != nil && c.state == uringCanceling {
			c.state = uringAbandoned // reported here, never again
			b.report(c.exchange.result(b.ctx, err))
		}
	}
	b.failUnstarted(err)
}

// sqe returns a free submission entry, submitting what is queued when the
// queue is full. If the ring fails, the batch ends (fail) and the entry
// returned is a throwaway that goes nowhere.
func (u *URing) sqe(b *uringBatch) *uring.SQE {
	if e := u.ring.SQE(); e != nil && b.failures == nil {
		return e
	}
	if b.failures == nil {
		if err := u.ring.Submit(); err != nil {
			u.fail(b, err)
		} else if e := u.ring.SQE(); e != nil {
			return e
		} else {
			u.fail(b, errors.New("strategies: uring: no submission entry free after a submit"))
		}
	}
	return &uring.SQE{}
}

// room makes room for n entries in the submission queue, submitting what
// is queued if it lacks it.
func (u *URing) room(b *uringBatch, n uint32) {
	if u.ring.Free() >= n || b.failures != nil {
		return
	}
	if err := u.ring.Submit(); err != nil {
		u.fail(b, err)
	}
}

// armWake queues the read of the eventfd that cancellation writes to.
func (u *URing) armWake(b *uringBatch) {
	e := u.sqe(b)
	e.PrepRead(u.wake, u.wakeBuf)
	e.UserData = opWake
	b.inRing++
	b.wakeArmed = true
}

// disarmWake cancels the wake read, if it is still in the ring; its
// completion, and the cancel's, are reaped before Fetch returns.
func (u *URing) disarmWake(b *uringBatch) {
	if !b.wakeArmed {
		return
	}
	e := u.sqe(b)
	e.PrepCancel(opWake)
	e.UserData = opCancel // slot 0, request 0: no connection's
	b.inRing++
}

// startJobs starts jobs, in order, while fewer than Concurrency are in
// flight and the next one is due.
func (u *URing) startJobs(b *uringBatch) {
	for i, job, ok := b.due(u.cfg.concurrency()); ok; i, job, ok = b.due(u.cfg.concurrency()) {
		u.start(b, i, u.targets.get(job.URL, makeTarget(b.ctx)), false, time.Now())
	}
}

// start queues job on a kept-alive connection to its target's address, or
// on a new one: [connect →] send → receive, linked, submitted together
// with everything else of this turn. fresh forbids reuse (a retry after a
// kept-alive connection turned out closed); began is when the job
// started, and its deadline counts from it.
func (u *URing) start(b *uringBatch, job int, t *target, fresh bool, began time.Time) {
	if t.err != nil {
		b.finish(Result{Index: job, Start: began}, t.err)
		return
	}
	var c *uringConn
	if !fresh {
		c = u.takeIdle(t.addr)
	}
	connect := c == nil
	if connect {
		var err error
		if c, err = u.dial(t.addr); err != nil {
			b.finish(Result{Index: job, Start: began}, err)
			return
		}
	}
	c.seq++
	c.exchange.begin(job, t, began, u.cfg.maxBodyBytes())
	u.cfg.started(job, c.exchange.lane, began)
	c.state, c.cause = uringExchanging, nil
	c.deadline = time.Time{}
	if u.cfg.Timeout > 0 {
		c.deadline = began.Add(u.cfg.Timeout)
	}
	b.flights.insert(c)
	u.room(b, 3) // the chain is submitted whole, or its parts run unlinked
	if connect {
		e := u.sqe(b)
		e.PrepConnect(c.fd, unsafe.Pointer(&c.sa[0]), c.saLen)
		e.Flags, e.UserData = uring.Link|uring.SkipSuccess, userData(opConnect, c)
	}
	e := u.sqe(b)
	e.PrepSend(c.fd, t.request, uring.MsgWaitAll)
	e.Flags, e.UserData = uring.Link|uring.SkipSuccess, userData(opSend, c)
	u.receive(b, c).IOPrio = uring.PollFirst // the answer cannot be there before the request has gone
}

// receive queues a receive into the connection's buffer.
func (u *URing) receive(b *uringBatch, c *uringConn) *uring.SQE {
	e := u.sqe(b)
	e.PrepRecv(c.fd, c.buf)
	e.UserData = userData(opRecv, c)
	b.inRing++
	return e
}

// dial makes a socket for addr and a slot for it; the connect itself goes
// into the ring, linked before the request's send.
func (u *URing) dial(addr string) (*uringConn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	c := &uringConn{addr: addr, buf: make([]byte, uringRecvBuffer)}
	family := c.setAddress(ap)
	// A blocking socket: io_uring tries each operation without blocking
	// and waits for readiness itself. On a non-blocking one, a connect
	// that the kernel hands to a worker thread ends at once with
	// EINPROGRESS, as connect(2) would.
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", err)}
	}
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) // send each request at once
	c.fd = fd
	c.exchange.lane = u.lanes.take()
	c.exchange.onRead = u.cfg.OnRead
	if n := len(u.free); n > 0 {
		c.slot, u.free = u.free[n-1], u.free[:n-1]
		u.conns[c.slot] = c
	} else {
		c.slot = len(u.conns)
		u.conns = append(u.conns, c)
	}
	return c, nil
}

// setAddress writes ap as the raw socket address a connect reads, and
// returns its family.
func (c *uringConn) setAddress(ap netip.AddrPort) int {
	port := ap.Port()
	if ap.Addr().Is4() || ap.Addr().Is4In6() {
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&c.sa[0]))
		sa.Family, sa.Addr = unix.AF_INET, ap.Addr().Unmap().As4()
		putPort(&sa.Port, port)
		c.saLen = unix.SizeofSockaddrInet4
		return unix.AF_INET
	}
	sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&c.sa[0]))
	sa.Family, sa.Addr = unix.AF_INET6, ap.Addr().As16()
	putPort(&sa.Port, port)
	c.saLen = unix.SizeofSockaddrInet6
	return unix.AF_INET6
}

// putPort writes a port in network byte order, whatever the machine's.
func putPort(field *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(field))
	b[0], b[1] = byte(port>>8), byte(port)
}

// takeIdle returns a kept-alive connection to addr, if there is one.
func (u *URing) takeIdle(addr string) *uringConn {
	c, ok := u.idle.take(addr)
	if ok {
		c.reused = true
	}
	return c
}

// complete handles one completion.
func (u *URing) complete(b *uringBatch, ud uint64, res int32) {
	kind, slot, seq := ud&0xff, int(ud>>8&0xffffffff), uint32(ud>>40)
	mine := slot < len(u.conns) && u.conns[slot] != nil && u.conns[slot].seq&0xffffff == seq
	switch kind {
	case opWake:
		b.inRing--
		b.wakeArmed = false
		if res > 0 && b.ctx.Err() == nil && b.left > 0 { // a wake-up meant for an earlier batch: keep watching
			u.armWake(b)
		}
		return
	case opCancel:
		b.inRing--
		// A cancel by descriptor that found nothing (res 0): the request's
		// operations were between their steps, not yet where a cancel can
		// reach them. Try again next turn, until one lands.
		if res <= 0 && mine && u.conns[slot].state == uringCanceling {
			b.recancel = append(b.recancel, recancel{u.conns[slot], u.conns[slot].seq})
		}
		return
	}
	if !mine {
		return // not expected: every request's operations end with one completion
	}
	c := u.conns[slot]
	b.inRing-- // the request's last completion: see below
	switch {
	case kind == opRecv:
		u.received(b, c, res)
	case c.state == uringCanceling:
		u.end(b, c, c.cause)
	default:
		// A linked connect or send failed (they post a completion only
		// then, uring.SkipSuccess), and the operations linked after it
		// post none: the receive never ran, and this completion ends the
		// request.
		u.end(b, c, linkError(kind, res))
	}
}

// linkError is the error of a failed connect or send.
func linkError(kind uint64, res int32) error {
	if res >= 0 { // a send cut short after some bytes: the kernel reports the count
		return &net.OpError{Op: "write", Net: "tcp", Err: io.ErrShortWrite}
	}
	if kind == opConnect {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", unix.Errno(-res))}
	}
	return &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("send", unix.Errno(-res))}
}

// received handles a receive's completion: res bytes in the buffer, 0
// when the server closed, or a negated errno.
func (u *URing) received(b *uringBatch, c *uringConn, res int32) {
	switch {
	case c.state == uringCanceling:
		u.end(b, c, c.cause)
	case res < 0:
		u.end(b, c, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("recv", unix.Errno(-res))})
	case res == 0: // the server closed: the end of a close-delimited body, or a failure
		if err := c.exchange.parser.EOF(); err != nil {
			u.end(b, c, err)
			return
		}
		u.finished(b, c, false)
	default:
		done, keep, err := c.exchange.feed(c.buf[:res])
		switch {
		case err != nil:
			u.end(b, c, err)
		case done:
			u.finished(b, c, keep)
		default:
			u.receive(b, c) // more of the response to come
		}
	}
}

// finished reports a complete response and keeps or closes the connection.
func (u *URing) finished(b *uringBatch, c *uringConn, keep bool) {
	b.flights.remove(c)
	b.report(c.exchange.result(b.ctx, nil))
	if !keep {
		u.drop(c)
		return
	}
	c.state, c.reused = uringIdle, false
	u.idle.put(c.addr, c)
}

// end ends the connection's request with err and closes the connection,
// unless the request may be retried: a kept-alive connection the server
// had closed before our request reached it fails with no response byte,
// and the request goes again on a fresh one, as net/http does. Its
// receive has completed: nothing of it is left in the ring.
func (u *URing) end(b *uringBatch, c *uringConn, err error) {
	u.drop(c)
	b.flights.remove(c)
	if c.reused && c.state != uringCanceling && !c.exchange.received && b.aborted == nil {
		u.start(b, c.exchange.job, c.exchange.target, true, c.exchange.start)
		return
	}
	b.report(c.exchange.result(b.ctx, err))
}

// cancel cancels the connection's operations in the ring (its receive
// ends with ECANCELED, or with what it had) and remembers why; end
// reports it when the receive's completion comes.
func (u *URing) cancel(b *uringBatch, c *uringConn, why error) {
	if c.state == uringCanceling {
		return
	}
	c.state, c.cause = uringCanceling, why
	b.flights.remove(c)
	u.cancelFD(b, c)
}

// cancelFD queues the cancel of every operation on the connection's
// socket. Its completion says how many it found: none means they were
// between steps, and complete queues it again (cancelAgain).
func (u *URing) cancelFD(b *uringBatch, c *uringConn) {
	e := u.sqe(b)
	e.PrepCancelFD(c.fd)
	e.UserData = userData(opCancel, c)
	b.inRing++
}

// cancelAgain cancels once more the requests whose cancel found nothing,
// if they are still being cancelled (the same request on the connection).
func (u *URing) cancelAgain(b *uringBatch) {
	for _, r := range b.recancel {
		if c := r.conn; c.state == uringCanceling && c.seq == r.seq && u.conns[c.slot] == c {
			u.cancelFD(b, c)
		}
	}
	b.recancel = b.recancel[:0]
}

// recancel is a request to cancel again: its connection, and its number
// on it then (a later request on the connection is not to be cancelled).
type recancel struct {
	conn *uringConn
	seq  uint32
}

// drop closes a connection whose receive is not in the ring, and frees its
// slot and lane.
func (u *URing) drop(c *uringConn) {
	if c.state == uringIdle {
		u.idle.remove(c.addr, c)
	}
	u.forget(c)
}

// forget closes the socket and frees the slot: nothing of the connection
// is in the ring any more.
func (u *URing) forget(c *uringConn) {
	unix.Close(c.fd)
	u.conns[c.slot] = nil
	u.free = append(u.free, c.slot)
	u.lanes.give(c.exchange.lane)
}

// expire cancels the requests whose deadline has passed: those at the
// front of the flights.
func (u *URing) expire(b *uringBatch, now time.Time) {
	for c := b.flights.front; c != nil && !c.deadline.IsZero() && !c.deadline.After(now); c = b.flights.front {
		u.cancel(b, c, os.ErrDeadlineExceeded)
	}
}

// abort ends the batch when its context ends: the requests in flight are
// cancelled in the ring (each reported when its receive completes), the
// jobs not started yet are reported at once.
func (u *URing) abort(b *uringBatch, err error) {
	b.aborted = err
	for c := b.flights.front; c != nil; c = b.flights.front {
		u.cancel(b, c, err)
	}
	b.failUnstarted(err)
}
