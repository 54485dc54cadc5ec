package mockserver

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"time"
)

// The goroutine engine (EngineGoroutines): an HTTP/1.1 server on plain TCP
// connections, one goroutine per connection. It also serves the
// connections the event loop hands over (adopt). Go's runtime parks a
// goroutine that waits (on a timer or a socket) without holding an OS
// thread, so 10,000 waiting connections cost 10,000 small stacks and
// nothing else: the read buffer is lent to a connection only while it
// reads a request head, and a response is written straight from the
// pre-rendered page.

// conn is one client connection.
type conn struct {
	nc        *net.TCPConn
	br        *bufio.Reader // nil between requests, unless the client pipelined
	timer     *time.Timer   // for pause, and for Close to end one (wakePause)
	deadline  time.Time     // the read deadline readHead or hang set last
	wdeadline time.Time     // the write deadline armWrite set last
	draws                   // the random source of its requests
}

// draws is a connection's random source, reseeded for each request: see
// random.
type draws struct {
	pcg *rand.PCG
	rnd *rand.Rand
}

// random returns the random source, reseeded: the same numbers as
// rand.New(rand.NewPCG(seed, stream)), without allocating.
func (d *draws) random(seed, stream uint64) *rand.Rand {
	if d.rnd == nil {
		d.pcg = rand.NewPCG(seed, stream)
		d.rnd = rand.New(d.pcg)
		return d.rnd
	}
	d.pcg.Seed(seed, stream)
	return d.rnd
}

// setReadDeadline sets the read deadline and remembers it.
func (c *conn) setReadDeadline(t time.Time) {
	c.nc.SetReadDeadline(t)
	c.deadline = t
}

// interruptRead makes a blocked read return at once (idle keep-alive
// connections, hangs), without disturbing a write in progress.
func (c *conn) interruptRead() { c.nc.SetReadDeadline(time.Unix(1, 0)) }

func (c *conn) close() { c.nc.Close() }

// reset closes the connection with an RST instead of a FIN: with a linger
// time of zero the kernel drops unsent data and resets the peer.
func (c *conn) reset() {
	c.nc.SetLinger(0)
	c.nc.Close()
}

// acceptLoop accepts connections until the listener closes, holding one of
// MaxConns slots for each open connection: when they are all taken it stops
// accepting, and new clients wait in the kernel's backlog.
func (s *Server) acceptLoop() {
	defer close(s.acceptDone)
	slots := make(chan struct{}, s.cfg.MaxConns)
	backoff := 5 * time.Millisecond
	for {
		select {
		case slots <- struct{}{}:
		case <-s.closing:
			return
		}
		nc, err := s.listener.Accept()
		if err != nil {
			<-slots
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors, say: wait and try again, as net/http does.
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		c := newConn(nc.(*net.TCPConn))
		// Go sets TCP_NODELAY by default; say so, because split writes rely
		// on it: each write leaves as its own segment, without waiting to be
		// coalesced with the next.
		c.nc.SetNoDelay(true)
		s.track(c)
		s.connsWG.Go(func() {
			defer func() { <-slots }()
			defer s.untrack(c)
			s.serveConn(c)
		})
	}
}

// track counts a connection just accepted and registers it.
func (s *Server) track(c *conn) {
	s.stats.connsAccepted.Add(1)
	s.stats.connsOpen.Add(1)
	s.register(c)
}

// register adds a connection to those Close interrupts; untrack removes it
// and counts it closed.
func (s *Server) register(c *conn) {
	s.connsMu.Lock()
	s.conns[c] = struct{}{}
	s.connsMu.Unlock()
}

func (s *Server) untrack(c *conn) {
	c.close()
	s.connsMu.Lock()
	delete(s.conns, c)
	s.connsMu.Unlock()
	s.stats.connsOpen.Add(-1)
}

func (s *Server) eachConn(f func(*conn)) {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	for c := range s.conns {
		f(c)
	}
}

// adopt serves, on a goroutine of its own, a connection that the event
// loop (reactor_linux.go) accepted, counted and handed over: prefix holds
// the bytes the loop read from it but did not use (at most maxRequestLine,
// so that the first fill of the read buffer takes them all), and pending is
// an answer the loop decided but leaves to the goroutine to carry out; its
// request is already counted as begun. adopt returns at once; nc is the
// goroutine's from then on, and it closes nc when it is done (untrack).
func (s *Server) adopt(nc *net.TCPConn, prefix []byte, pending *answer) {
	c := newConn(nc)
	if len(prefix) > 0 {
		c.br = s.readers.Get().(*bufio.Reader)
		c.br.Reset(io.MultiReader(bytes.NewReader(prefix), nc))
	}
	s.register(c)
	s.connsWG.Go(func() {
		defer s.untrack(c)
		if pending != nil {
			more := s.carryOut(c, *pending)
			s.stats.end()
			if !more || s.isClosing() {
				s.releaseReader(c)
				return
			}
		}
		s.serveConn(c)
	})
}

// serveConn serves requests on one connection until either side closes it.
func (s *Server) serveConn(c *conn) {
	defer s.releaseReader(c)
	for {
		req, err := s.readHead(c)
		if err != nil {
			s.endRead(c, err)
			return
		}
		if !s.handle(c, req) || s.isClosing() {
			return
		}
		// A client that pipelines has its next request here already, so
		// nothing would make this goroutine wait: it would keep its
		// processor for a whole time slice (10 ms), answering request after
		// request, while the event loop's goroutine, woken with answers
		// due, waits for one. Yielding after each pipelined answer puts
		// the connections and the loop in turn, so that a flood of
		// pipelined requests gets the server's time one request at a time
		// (docs/mockserver.md, "Hostile clients").
		if c.br != nil {
			runtime.Gosched()
		}
	}
}

// endRead answers a request the server could not read, if it was the
// client's fault; a connection closed, reset or timed out has nobody to
// answer. (Apart from serveConn's loop: errors.As makes its target escape,
// an allocation per request if declared there.)
func (s *Server) endRead(c *conn, err error) {
	var reqErr *requestError
	if errors.As(err, &reqErr) {
		s.refuse(c, reqErr)
	}
}

// readHead waits for the next request and reads its head and body (a GET
// body is read and thrown away). The connection borrows a read buffer for
// the duration and gives it back when nothing more is buffered.
func (s *Server) readHead(c *conn) (request, error) {
	if c.br == nil {
		c.br = s.readers.Get().(*bufio.Reader)
		c.br.Reset(c.nc)
	}
	// The idle deadline moves only once it has come nearer by a 64th of
	// IdleTimeout (at most a second): setting a deadline is a timer update
	// in the runtime, and this runs once per request. So an idle
	// connection is closed between 98.4 % of IdleTimeout and IdleTimeout.
	// A deadline later than the idle one (the last request's header
	// deadline, when HeaderTimeout > IdleTimeout) is always moved back.
	idle := time.Now().Add(s.cfg.IdleTimeout)
	if ahead := idle.Sub(c.deadline); ahead < 0 || ahead > min(s.cfg.IdleTimeout/64, time.Second) {
		c.setReadDeadline(idle)
	}
	// Close marks the server closing, then cuts reads short (a deadline in
	// the past, which the line above never moves back: it only moves a
	// deadline that is too near); checking after that means one of the two
	// always stops this read.
	if s.isClosing() {
		return request{}, errClosing
	}
	if _, err := c.br.Peek(1); err != nil {
		return request{}, err
	}
	// From the first byte, the rest must come within HeaderTimeout. A head
	// that arrived whole (nearly every one) cannot keep us waiting, so the
	// deadline is set only when more must be read: a deadline costs a
	// timer update in the runtime, and this runs once per request.
	armed := false
	arm := func() {
		if !armed {
			c.setReadDeadline(time.Now().Add(s.cfg.HeaderTimeout))
			armed = true
		}
	}
	if !headBuffered(c.br) {
		arm()
	}
	req, err := readRequest(c.br)
	if err == nil && req.bodyLen > 0 {
		if int64(c.br.Buffered()) < req.bodyLen {
			arm()
		}
		_, err = c.br.Discard(int(req.bodyLen))
	}
	if err != nil {
		return request{}, err
	}
	// The read deadline is left as it is: nothing reads the connection
	// again before the next readHead (or hang) sets its own.
	if c.br.Buffered() == 0 {
		s.releaseReader(c)
	}
	return req, nil
}

// headBuffered reports whether br holds a whole request head already: a
// blank line after the request line. Blank lines before the request line
// (which readRequest skips) do not count, or "\r\n\r\n" then a stalled
// "G" would pass for a whole head and escape HeaderTimeout. A head whose
// lines end in a bare "\n" is not recognised: it only gets the deadline.
func headBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	return headComplete(b)
}

// headComplete reports whether b holds a whole request head, as
// headBuffered says.
func headComplete(b []byte) bool {
	return bytes.Contains(bytes.TrimLeft(b, "\r\n"), []byte("\r\n\r\n"))
}

func (s *Server) releaseReader(c *conn) {
	if c.br != nil {
		c.br.Reset(nil)
		s.readers.Put(c.br)
		c.br = nil
	}
}

// refuse answers a request the server cannot serve, and closes.
func (s *Server) refuse(c *conn, e *requestError) {
	body := []byte("mockserver: " + e.msg + "\n")
	s.send(c, response{status: e.status, contentType: "text/plain; charset=utf-8", body: body}, Body{})
}

func (s *Server) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// pause sleeps for d; it returns false if the server began to close first.
// The goroutine parks on the connection's timer alone: waiting costs no
// thread and holds no lock, reusing the timer costs no allocation, and no
// channel is shared with the other connections (a select that also waited
// on the server's closing channel locked that one channel for every pause
// of every connection). Close wakes a pause by firing its timer
// (wakePause); a pause that starts after Close began sees isClosing.
// (Since Go 1.23 a fired timer can be Reset with no stale tick to drain.)
func (s *Server) pause(c *conn, d time.Duration) bool {
	if d <= 0 {
		return !s.isClosing()
	}
	c.timer.Reset(d)
	if s.isClosing() { // Close may have fired the timer before this Reset
		c.timer.Stop()
		return false
	}
	<-c.timer.C
	return !s.isClosing()
}

// wakePause ends the connection's pause, if it is in one: Close calls it
// after marking the server closing.
func (c *conn) wakePause() { c.timer.Reset(0) }

// newConn wraps an accepted connection, with its pause timer made (and
// stopped) up front, so that Close can fire it from another goroutine.
func newConn(nc *net.TCPConn) *conn {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &conn{nc: nc, timer: t}
}

// write sends b and counts it.
func (s *Server) write(c *conn, b []byte) error {
	s.armWrite(c)
	n, err := c.nc.Write(b)
	s.stats.bytesSent.Add(int64(n))
	return err
}

// armWrite gives the write about to begin WriteTimeout to finish: a
// client that sends requests and never reads their answers fills the
// socket's buffers, and the write that no longer fits fails at the
// deadline, which closes the connection. As with the idle deadline, the
// deadline moves only once it has come nearer by a 64th of WriteTimeout
// (at most a second), because setting one is a timer update in the
// runtime and this runs once per response: a write is cut off between
// 98.4 % of WriteTimeout and WriteTimeout after it began.
func (s *Server) armWrite(c *conn) {
	d := time.Now().Add(s.cfg.WriteTimeout)
	if ahead := d.Sub(c.wdeadline); ahead < 0 || ahead > min(s.cfg.WriteTimeout/64, time.Second) {
		c.nc.SetWriteDeadline(d)
		c.wdeadline = d
	}
}

// hang holds the connection, sending nothing, until the client closes it,
// MaxHang passes or the server closes. Whatever the client sends meanwhile
// is read and dropped, so that its close is seen.
func (s *Server) hang(c *conn) {
	c.setReadDeadline(time.Now().Add(s.cfg.MaxHang))
	if s.isClosing() {
		return
	}
	buf := make([]byte, 512)
	for {
		if _, err := c.nc.Read(buf); err != nil {
			return
		}
	}
}
