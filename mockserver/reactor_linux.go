//go:build linux

package mockserver

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netio-lab/netio/internal/rawio"
)

// The event-loop engine (EngineEpoll): the server's twin of the epoll
// strategy. One goroutine accepts connections, reads requests, keeps every
// wait as an entry in a timer heap and writes responses when their time
// comes, all on non-blocking sockets watched by one epoll instance.
//
// Why the server has one: it shares the machine's cores with the client it
// measures. A goroutine per connection costs a wake-up from the runtime's
// poller, a read that comes back empty, a timer and a park for every
// request: about 24 µs of CPU on this project's 2-core VM in the large
// run. The loop does a read and a write and keeps its waits in a heap: 14–16
// µs, two thirds of it the kernel's loopback TCP (docs/mockserver.md).
//
// It serves only plain answers (answer.plain): a whole request in one read,
// a delay, one whole response. Anything else is handed, with the bytes
// read so far or the answer already decided, to a goroutine that serves the
// connection from then on (Server.adopt): the goroutine engine already
// knows how to split, pace, fault and queue, and none of that is on a
// benchmark's hot path.

// epollAvailable reports whether EngineEpoll can run here.
const epollAvailable = true

// reactor is the event loop and everything it owns. Only its goroutine
// touches it, apart from stop.
type reactor struct {
	s         *Server
	poller    rawio.Poller // the epoll instance; poller.FD is its descriptor
	wake      int          // an eventfd: stop writes to it
	lfd       int          // the listener's socket, owned by s.listener
	listening bool         // lfd is in the epoll set: false while MaxConns connections are open
	retry     time.Duration
	conns     map[int]*rconn
	replies   replyHeap // connections whose response waits for its delay, earliest first
	idle      idleList  // connections waiting for a request, longest idle first
	stalled   idleList  // connections whose response waits for the client to take it, longest first
	in        []byte    // the read buffer, maxRequestLine long: see adopt
	out       []byte    // the write buffer
	src       bytes.Reader
	br        *bufio.Reader // reads a request head out of in
	events    []unix.EpollEvent
	epoch     time.Time // the loop's clock reads time since epoch

	mu     sync.Mutex // orders stop's wake-up before exit's close of r.wake
	exited bool
	err    error // why the loop ended early, if it did: Close returns it
}

// rstate is what an event-loop connection is doing.
type rstate int

const (
	rReading rstate = iota // waiting for a request
	rWaiting               // a request's delay is running
	rWriting               // a response the socket did not take at once
	rGone                  // closed or handed off
)

// rconn is one connection of the event loop.
type rconn struct {
	fd       int
	state    rstate
	events   uint32        // the epoll interest registered now
	lastUsed time.Duration // when it last finished a response (or was accepted)
	reply    answer        // the answer waiting for its delay (rWaiting)
	due      time.Duration // when reply is due (rWaiting); when the client's time to take rest is up (rWriting)
	rest     []byte        // what the socket has not taken yet (rWriting)
	more     bool          // whether it serves another request after rest
	draws

	heapIndex          int       // its place in the reply heap, or -1
	idlePrev, idleNext *rconn    // its neighbours in the idle or stalled list
	list               *idleList // the list it is in, or nil
}

// newReactor sets up the loop on the server's listener.
func newReactor(s *Server) (*reactor, error) {
	r := &reactor{s: s, conns: map[int]*rconn{}, in: make([]byte, maxRequestLine), out: make([]byte, 0, 4096),
		events: make([]unix.EpollEvent, 256), epoch: time.Now(), listening: true}
	r.br = bufio.NewReaderSize(&r.src, maxRequestLine)
	raw, err := s.listener.(*net.TCPListener).SyscallConn()
	if err == nil {
		err = raw.Control(func(fd uintptr) { r.lfd = int(fd) })
	}
	if err != nil {
		return nil, fmt.Errorf("mockserver: listener socket: %w", err)
	}
	if r.poller.FD, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, fmt.Errorf("mockserver: %w", os.NewSyscallError("epoll_create1", err))
	}
	if r.wake, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		unix.Close(r.poller.FD)
		return nil, fmt.Errorf("mockserver: %w", os.NewSyscallError("eventfd", err))
	}
	for _, fd := range []int{r.wake, r.lfd} {
		if err := unix.EpollCtl(r.poller.FD, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			r.closeFDs()
			return nil, fmt.Errorf("mockserver: %w", os.NewSyscallError("epoll_ctl", err))
		}
	}
	return r, nil
}

// closeFDs closes the epoll instance and the wake-up eventfd.
func (r *reactor) closeFDs() {
	unix.Close(r.wake)
	unix.Close(r.poller.FD)
}

// stop makes the loop answer its waits 503, close its connections and
// return; it blocks until the loop has returned. The server must be
// marked closing first.
func (r *reactor) stop() {
	r.mu.Lock()
	if !r.exited { // else r.wake is closed, and its number may be another file's now
		unix.Write(r.wake, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	}
	r.mu.Unlock()
	<-r.s.acceptDone
}

// exit releases the loop's descriptors as it returns.
func (r *reactor) exit() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closeFDs()
	r.exited = true
}

// now is the loop's clock: monotonic time since the loop began.
func (r *reactor) now() time.Duration { return time.Since(r.epoch) }

// run is the loop. Each turn waits for the sockets that are ready or the
// next deadline, handles what is ready, then sends the responses whose
// delay is over and closes the connections idle too long, or whose client
// has left a response untaken too long. It runs on a
// goroutine of its own until stop, or an epoll error (kept for Close to
// return); on the way out it closes its connections and descriptors, then
// acceptDone.
func (r *reactor) run() {
	defer close(r.s.acceptDone)
	defer r.exit()
	for {
		// Timed to the nanosecond: a delay rounded up to whole
		// milliseconds would be added to every response.
		n, err := r.poller.Wait(r.events, r.timeout())
		if err != nil && err != unix.EINTR {
			// Not expected of a valid epoll instance: stop serving rather
			// than spin. Close returns the error.
			r.err = fmt.Errorf("mockserver: event loop: %w", os.NewSyscallError("epoll_pwait", err))
			r.shutdown()
			return
		}
		now := r.now()
		for _, ev := range r.events[:max(n, 0)] {
			switch fd := int(ev.Fd); fd {
			case r.wake:
				r.shutdown()
				return
			case r.lfd:
				r.accept(now)
			default:
				if c := r.conns[fd]; c != nil {
					r.handle(c, ev.Events, now)
				}
			}
		}
		r.sendDue(now)
		r.closeIdle(now)
		r.closeStalled(now)
		r.listen(now)
	}
}

// timeout is how long the next wait may last: until the next response,
// idle or write deadline, or a little while if accepting is paused (a
// connection served by a goroutine may close meanwhile); -1 for no limit.
func (r *reactor) timeout() time.Duration {
	wait := time.Duration(-1)
	now := r.now()
	until := func(t time.Duration) {
		if wait < 0 || t-now < wait {
			wait = max(t-now, 0)
		}
	}
	if c := r.replies.first(); c != nil {
		until(c.due)
	}
	if c := r.idle.first(); c != nil {
		until(c.lastUsed + r.s.cfg.IdleTimeout)
	}
	if c := r.stalled.first(); c != nil {
		until(c.due)
	}
	if !r.listening && (wait < 0 || wait > 10*time.Millisecond) {
		wait = 10 * time.Millisecond
	}
	return wait
}

// accept takes the connections waiting in the listener's backlog, while
// fewer than MaxConns are open (goroutines' connections included).
func (r *reactor) accept(now time.Duration) {
	for {
		if r.s.stats.connsOpen.Load() >= int64(r.s.cfg.MaxConns) {
			r.pauseListening(now, 0)
			return
		}
		fd, _, errno := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(r.lfd), 0, 0, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		switch errno {
		case 0:
			r.add(int(fd), now)
		case unix.EAGAIN, unix.EINTR, unix.ECONNABORTED:
			return
		default:
			// Out of file descriptors, say: stop accepting for 5 ms (then
			// the loop's 10 ms re-check), where the goroutine engine
			// backs off from 5 ms to a second.
			r.pauseListening(now, 5*time.Millisecond)
			return
		}
	}
}

// add starts watching a new connection.
func (r *reactor) add(fd int, now time.Duration) {
	// Split writes rely on TCP_NODELAY (engine.go says why); the goroutine
	// that may adopt this socket inherits it.
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	setKeepAlive(fd)
	if err := unix.EpollCtl(r.poller.FD, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
		unix.Close(fd)
		return
	}
	c := &rconn{fd: fd, events: unix.EPOLLIN, lastUsed: now, heapIndex: -1}
	r.conns[fd] = c
	r.s.stats.connsAccepted.Add(1)
	r.s.stats.connsOpen.Add(1)
	r.idle.pushBack(c)
}

// setKeepAlive turns on TCP keep-alive probes as Go's Accept does (idle 15
// s, then every 15 s, 9 tries), so that a peer that vanished is noticed
// by either engine alike.
func setKeepAlive(fd int) {
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 15)
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 15)
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 9)
}

// pauseListening stops accepting until a connection closes, and for at
// least retry.
func (r *reactor) pauseListening(now, retry time.Duration) {
	if r.listening {
		unix.EpollCtl(r.poller.FD, unix.EPOLL_CTL_DEL, r.lfd, nil)
		r.listening = false
	}
	r.retry = now + retry
}

// listen resumes accepting once there is room again.
func (r *reactor) listen(now time.Duration) {
	if r.listening || now < r.retry || r.s.stats.connsOpen.Load() >= int64(r.s.cfg.MaxConns) {
		return
	}
	if unix.EpollCtl(r.poller.FD, unix.EPOLL_CTL_ADD, r.lfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(r.lfd)}) == nil {
		r.listening = true
	}
}

// handle acts on a ready connection according to what it is doing.
func (r *reactor) handle(c *rconn, events uint32, now time.Duration) {
	switch c.state {
	case rReading:
		r.read(c, now)
	case rWaiting:
		r.interrupted(c, events)
	case rWriting:
		r.write(c, now)
	}
}

// read reads a request and decides its answer: sent at once, kept until
// its delay is over, or handed to a goroutine with the connection.
func (r *reactor) read(c *rconn, now time.Duration) {
	n, err := rawio.Read(c.fd, r.in)
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		return
	case err != nil || n == 0: // reset, or closed by the client
		r.close(c)
		return
	}
	r.idle.remove(c) // busy now, or handed off
	req, ok := r.parse(r.in[:n])
	if !ok {
		r.handOff(c, bytes.Clone(r.in[:n]), nil)
		return
	}
	r.s.stats.begin()
	a := r.s.decide(&c.draws, req)
	if !a.plain() {
		pending := a // a copy escapes to the goroutine; a itself stays on the stack
		r.handOff(c, nil, &pending)
		return
	}
	if a.wait <= 0 {
		r.reply(c, &a, now)
		return
	}
	c.reply, c.due, c.state = a, now+a.wait, rWaiting
	r.replies.push(c)
}

// reply sends an answer whose delay is over; the delay is counted only
// now, as the goroutine engine counts it, so that Close, which cuts waits
// short, leaves it out.
func (r *reactor) reply(c *rconn, a *answer, now time.Duration) {
	if a.page {
		r.s.stats.delay(a.wait)
		a.r.delay = a.wait
	}
	r.send(c, &a.r, now)
}

// parse reads the request in b, if b holds exactly one whole request head
// and nothing more: no body, nothing pipelined after it. Anything else the
// goroutine engine reads, refuses or waits for.
func (r *reactor) parse(b []byte) (request, bool) {
	if !headComplete(b) {
		return request{}, false
	}
	r.src.Reset(b)
	r.br.Reset(&r.src)
	req, err := readRequest(r.br)
	if err != nil || req.bodyLen > 0 || r.br.Buffered() > 0 || r.src.Len() > 0 {
		return request{}, false
	}
	return req, true
}

// interrupted handles an event on a connection whose response is waiting
// for its delay. A reset drops the wait. Anything else (the client's next
// request, sent early, or its FIN: it may have shut down only its sending
// side, and still read) waits in the socket until this response has gone:
// the connection stops watching for input till then, as a goroutine asleep
// in its delay does not read either.
func (r *reactor) interrupted(c *rconn, events uint32) {
	if events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
		r.s.stats.end()
		r.close(c)
		return
	}
	r.watch(c, 0)
}

// sendDue sends the responses whose delay is over.
func (r *reactor) sendDue(now time.Duration) {
	for c := r.replies.first(); c != nil && c.due <= now; c = r.replies.first() {
		r.replies.pop()
		r.reply(c, &c.reply, now)
		c.reply = answer{} // let go of the body
	}
}

// send writes a whole response. What the socket does not take at once is
// kept and written when it is writable again, if the client takes it
// within WriteTimeout (closeStalled).
func (r *reactor) send(c *rconn, resp *response, now time.Duration) {
	r.out = resp.appendWhole(r.out[:0])
	n, err := rawio.Write(c.fd, r.out)
	if err != nil && err != unix.EAGAIN {
		r.s.stats.end()
		r.close(c)
		return
	}
	r.s.stats.bytesSent.Add(int64(n))
	c.more = resp.keepAlive
	if n < len(r.out) {
		c.rest = append(c.rest[:0], r.out[n:]...)
		c.state, c.due = rWriting, now+r.s.cfg.WriteTimeout
		r.stalled.pushBack(c)
		r.watch(c, unix.EPOLLOUT)
		return
	}
	r.finish(c, now)
	if cap(r.out) > 64<<10 {
		r.out = make([]byte, 0, 4096) // do not keep a huge response's buffer
	}
}

// write writes more of a response the socket did not take at once.
func (r *reactor) write(c *rconn, now time.Duration) {
	n, err := rawio.Write(c.fd, c.rest)
	if err == unix.EAGAIN {
		return
	}
	if err != nil {
		r.s.stats.end()
		r.close(c)
		return
	}
	r.s.stats.bytesSent.Add(int64(n))
	if c.rest = c.rest[n:]; len(c.rest) == 0 {
		c.rest = nil
		r.stalled.remove(c)
		r.finish(c, now)
	}
}

// finish ends a request whose response has gone: the connection waits for
// the next one, or closes.
func (r *reactor) finish(c *rconn, now time.Duration) {
	r.s.stats.end()
	if !c.more {
		r.close(c)
		return
	}
	c.state, c.lastUsed = rReading, now
	r.idle.pushBack(c)
	r.watch(c, unix.EPOLLIN)
}

// closeIdle closes the connections that have waited for a request longer
// than IdleTimeout: the first ones of the idle list, which is in the order
// they became idle.
func (r *reactor) closeIdle(now time.Duration) {
	for c := r.idle.first(); c != nil && c.lastUsed+r.s.cfg.IdleTimeout <= now; c = r.idle.first() {
		r.close(c)
	}
}

// closeStalled closes the connections whose client has not taken a
// response within WriteTimeout of its write: the first ones of the stalled
// list, which is in the order their writes began. A client that sends
// requests and never reads fills the socket's buffers; this is where it
// ends, as on a goroutine a write past its deadline does (armWrite).
func (r *reactor) closeStalled(now time.Duration) {
	for c := r.stalled.first(); c != nil && c.due <= now; c = r.stalled.first() {
		r.s.stats.end()
		r.close(c)
	}
}

// watch changes the events the loop watches the connection for.
func (r *reactor) watch(c *rconn, events uint32) {
	if c.events != events {
		unix.EpollCtl(r.poller.FD, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: events, Fd: int32(c.fd)})
		c.events = events
	}
}

// forget stops watching a connection and drops it from the loop's queues.
func (r *reactor) forget(c *rconn) {
	// Deleted explicitly: a socket handed off has a duplicate, and epoll
	// drops an entry by itself only when the last descriptor closes.
	unix.EpollCtl(r.poller.FD, unix.EPOLL_CTL_DEL, c.fd, nil)
	delete(r.conns, c.fd)
	r.replies.remove(c)
	r.idle.remove(c)
	r.stalled.remove(c)
	c.state, c.rest, c.reply = rGone, nil, answer{}
}

// close closes a connection.
func (r *reactor) close(c *rconn) {
	r.forget(c)
	unix.Close(c.fd)
	r.s.stats.connsOpen.Add(-1)
}

// handOff gives the connection to a goroutine, which serves it from then on
// (Server.adopt), with the bytes read from it (prefix) or the answer
// decided for its request (pending). The goroutine gets a duplicate of the
// socket, in Go's poller, and closes it; handOff closes the loop's own
// descriptor before it returns.
func (r *reactor) handOff(c *rconn, prefix []byte, pending *answer) {
	r.forget(c)
	f := os.NewFile(uintptr(c.fd), "")
	nc, err := net.FileConn(f) // a duplicate of the socket, in Go's poller
	if err != nil {
		// Out of file descriptors for the duplicate, say: the request gets
		// an answer all the same, as the goroutine engine would give it.
		// FileConn set the socket blocking before it tried (os.File.Fd
		// does): set it back, or the raw write below could block the loop.
		unix.SetNonblock(c.fd, true)
		var base response
		if pending != nil {
			base = pending.r
			r.s.stats.end()
		}
		r.answerNow(c.fd, base, 503, "mockserver: cannot serve this request now: "+err.Error()+"\n")
		r.s.stats.connsOpen.Add(-1)
		f.Close()
		return
	}
	f.Close()
	r.s.stats.handedOff.Add(1)
	r.s.adopt(nc.(*net.TCPConn), prefix, pending)
}

// answerNow writes a short plain-text response that closes the connection,
// once, without waiting: what can still be said to a client the loop must
// let go. base says how the request asked (HEAD, HTTP/1.0).
func (r *reactor) answerNow(fd int, base response, status int, text string) {
	resp := response{status: status, contentType: "text/plain; charset=utf-8", body: []byte(text), head: base.head, http10: base.http10}
	r.out = resp.appendWhole(r.out[:0])
	n, _ := rawio.Write(fd, r.out)
	r.s.stats.bytesSent.Add(int64(n))
}

// shutdown ends the loop's connections for Close: a response waiting for
// its delay is answered 503 at once, one half written gets one more try,
// and every connection is closed.
func (r *reactor) shutdown() {
	for _, c := range r.conns {
		switch c.state {
		case rWaiting:
			r.answerNow(c.fd, c.reply.r, 503, "mockserver: shutting down\n")
			r.s.stats.end()
		case rWriting:
			n, _ := rawio.Write(c.fd, c.rest)
			r.s.stats.bytesSent.Add(int64(n))
			r.s.stats.end()
		}
		r.close(c)
	}
}
