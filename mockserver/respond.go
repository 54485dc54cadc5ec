package mockserver

import (
	"encoding/json"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
)

// handle answers one request and reports whether the connection may serve
// another.
func (s *Server) handle(c *conn, req request) bool {
	s.stats.begin()
	defer s.stats.end()
	return s.carryOut(c, s.decide(&c.draws, req))
}

// answer is what the server decided to do with one request, before doing
// it: the response, how its body goes out, the delay before it, and the
// fault that spoils it, if one was drawn. Deciding draws from the station's
// random sequence, so it happens exactly once per request, whichever engine
// then carries the answer out.
type answer struct {
	r        response
	body     Body
	page     bool          // a station page: it waits, in the queue if there is one
	wait     time.Duration // the injected delay
	queue    chan struct{} // the model's queue, or nil
	fault    fault
	hasFault bool
}

// plain reports whether the answer is a wait and then one whole response,
// with no queue and no fault: the event loop serves these itself.
func (a *answer) plain() bool {
	return !a.hasFault && a.queue == nil && a.body.whole()
}

// decide works out the answer to a request: which page, what delay, what
// fault. It draws the delay and the fault from d, seeded for the station's
// next request.
func (s *Server) decide(d *draws, req request) answer {
	a := answer{r: response{keepAlive: req.keepAlive && !s.isClosing(), head: req.method == "HEAD", http10: req.http10}}
	r := &a.r
	switch {
	case req.method != "GET" && req.method != "HEAD":
		r.status, r.contentType, r.body = 405, "text/plain; charset=utf-8", []byte("mockserver: only GET and HEAD\n")
		r.extra = append(r.extra, "Allow: GET, HEAD")
	case req.path == "/stations":
		r.status, r.contentType, r.body = 200, "application/json", stationsJSONBody
	case req.path == ModelPath:
		r.status, r.contentType, r.body = 200, "application/json", modelJSON(s.model.Load().Model)
	case req.path == "/":
		r.status, r.contentType, r.body = 200, "text/html; charset=utf-8", indexBody
	default:
		if icao, kind, ok := stationFromPath(req.path); ok {
			s.decidePage(d, req, &a, pageKey{icao, kind})
			break
		}
		r.status, r.contentType, r.body = 404, "text/html; charset=utf-8", notFoundPage(req.path)
	}
	return a
}

// decidePage works out the answer for a station page: the delay and the
// fault, drawn in that order, and the page itself.
func (s *Server) decidePage(d *draws, req request, a *answer, key pageKey) {
	m := s.model.Load()
	delay := m.delayFor(key.icao)
	a.body = m.Body
	forced, err := s.queries.apply(req.query, &delay, &a.body, s.cfg.MaxDelay)
	if err != nil {
		a.r.status, a.r.contentType, a.r.body = 400, "text/plain; charset=utf-8", []byte("mockserver: "+err.Error()+"\n")
		a.body = Body{}
		return
	}
	rnd := d.random(s.seq.seeds(key.icao))
	a.page, a.queue = true, m.queue
	a.wait = delay.draw(rnd, s.cfg.MaxDelay)
	a.fault, a.hasFault = m.faultsFor(key.icao).pick(rnd)
	if forced.kind != "" {
		a.fault, a.hasFault = forced, true
	}
	p, found := s.pages[key]
	switch {
	case !found:
		a.r.status, a.r.contentType, a.r.body = 404, "text/html; charset=utf-8", notFoundPage(req.path)
	case a.hasFault && a.fault.kind == FaultNoTemperature:
		a.r.status, a.r.contentType, a.r.body = 200, p.contentType, p.noTemp
	default:
		a.r.status, a.r.contentType, a.r.body = 200, p.contentType, p.body
	}
}

// carryOut waits as the answer says (in the queue, then the delay) and
// delivers it on a goroutine's connection. It reports whether the
// connection may serve another request.
func (s *Server) carryOut(c *conn, a answer) bool {
	if a.page {
		queued, ok := s.queue(c, a.queue, a.wait)
		if !ok {
			return s.sendClosing(c, a.r)
		}
		s.stats.delay(queued + a.wait)
		a.r.queued, a.r.delay = queued, a.wait
	}
	if a.hasFault {
		s.stats.fault(a.fault.kind)
		return s.sendFault(c, a.r, a.body, a.fault)
	}
	return s.send(c, a.r, a.body)
}

// queue holds the request in the model's queue, if there is one, for its
// turn and then for its delay: at most QueueServers requests are in service
// at once. Without a queue it just waits the delay. It returns the time
// spent queueing, and false if the server began to close meanwhile.
func (s *Server) queue(c *conn, queue chan struct{}, wait time.Duration) (time.Duration, bool) {
	if queue == nil {
		return 0, s.pause(c, wait)
	}
	start := time.Now()
	select {
	case queue <- struct{}{}:
	case <-s.closing:
		return time.Since(start), false
	}
	queued := time.Since(start)
	ok := s.pause(c, wait)
	<-queue
	return queued, ok
}

// appendServerTiming adds the Server-Timing line that tells the client how
// long the server waited on purpose, so that it can tell injected latency
// from its own overhead.
func appendServerTiming(b []byte, queued, delay time.Duration) []byte {
	ms := func(b []byte, d time.Duration) []byte {
		return strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 3, 64)
	}
	b = append(b, "Server-Timing: "...)
	if queued > 0 {
		b = append(ms(append(b, "queue;dur="...), queued), ", "...)
	}
	return append(ms(append(b, "delay;dur="...), delay), "\r\n"...)
}

// sendClosing answers a request whose wait was cut short by Close.
func (s *Server) sendClosing(c *conn, r response) bool {
	r.status, r.contentType, r.body = 503, "text/plain; charset=utf-8", []byte("mockserver: shutting down\n")
	r.keepAlive = false
	s.send(c, r, Body{})
	return false
}

// send delivers a response the ordinary way. It reports whether the
// connection may serve another request: the response went out whole, and
// neither side asked to close (a close-delimited body always closes).
func (s *Server) send(c *conn, r response, body Body) bool {
	if body.whole() {
		return s.sendWhole(c, r)
	}
	p := r.plan(body, s.cfg.MaxDelay)
	return s.deliver(c, p, -1) == nil && p.keepAlive
}

// sendWhole sends a response framed by its length in one write, from a
// pooled buffer: the common case, taken by nearly every request of a
// benchmark, so it costs no allocation (plan's segments cost six).
func (s *Server) sendWhole(c *conn, r response) bool {
	buf := s.writeBufs.Get().(*[]byte)
	defer s.writeBufs.Put(buf)
	b := r.appendWhole((*buf)[:0])
	if cap(b) <= 64<<10 {
		*buf = b // keep a grown buffer for the next response, unless it is huge
	}
	err := s.write(c, b)
	return err == nil && r.keepAlive
}

// appendWhole appends the response framed by its length: headers and
// body, ready for one write.
func (r response) appendWhole(b []byte) []byte {
	b = r.appendHeader(b, "length")
	if !r.head {
		b = append(b, r.body...)
	}
	return b
}

// sendFault delivers a response spoiled by a fault; the connection is not
// used again afterwards, except after a status fault or a no-temperature
// page, which are well-formed responses.
func (s *Server) sendFault(c *conn, r response, body Body, f fault) bool {
	switch f.kind {
	case FaultStatus:
		r.status, r.contentType = f.code, "text/html; charset=utf-8"
		r.body = fmt.Appendf(nil, "<html><body><h1>%d %s</h1></body></html>\n", f.code, statusText(f.code))
		if f.code == 429 || f.code == 503 {
			r.extra = append(r.extra, "Retry-After: 1")
		}
		return s.send(c, r, body)
	case FaultNoTemperature:
		return s.send(c, r, body)
	case FaultReset:
		c.reset()
	case FaultHang:
		s.hang(c)
	case FaultMalformed:
		msg := "HTTP/1.1 OK 200 mock\r\nContent-Type: text/plain\r\n\r\nthe status line above is broken on purpose\n"
		if r.head {
			msg = msg[:strings.Index(msg, "\r\n\r\n")+4] // broken, but still no body
		}
		s.write(c, []byte(msg))
	case FaultHugeHeader:
		r.extra = append(r.extra, hugeHeaders()...)
		r.keepAlive = false
		s.send(c, r, body)
	case FaultSlowClose:
		// A close-delimited body: the client cannot know the page has ended
		// until the connection closes, and the close comes late.
		body.Encoding, r.keepAlive = "close", false
		if s.send(c, r, body) {
			s.pause(c, min(slowClose, s.cfg.MaxHang))
		}
	case FaultTruncate, FaultResetMidBody, FaultHangMidBody:
		r.keepAlive = false
		p := r.plan(body, s.cfg.MaxDelay)
		if s.deliver(c, p, p.headerLen+p.bodyLen/2) != nil {
			return false
		}
		switch f.kind {
		case FaultResetMidBody:
			c.reset()
		case FaultHangMidBody:
			s.hang(c)
		}
	}
	return false
}

// slowClose is how late a slow-close fault closes the connection.
const slowClose = 2 * time.Second

// hugeHeaders is 70 KiB of headers: more than clients accept (64 KiB is a
// common limit, and net/http's default is 1 MiB: raise it or lower yours).
func hugeHeaders() []string {
	pad := strings.Repeat("x", 1000)
	h := make([]string, 70)
	for i := range h {
		h[i] = fmt.Sprintf("X-Padding-%02d: %s", i, pad)
	}
	return h
}

// stationsJSONBody and indexBody are rendered once.
var (
	stationsJSONBody = renderStations()
	indexBody        = renderIndex()
)

// renderStations lists the catalogue, with each station's two page paths.
func renderStations() []byte {
	type entry struct {
		Station
		HTML string `json:"html"`
		TXT  string `json:"txt"`
	}
	list := make([]entry, len(catalogue))
	for i, st := range catalogue {
		list[i] = entry{st, HTMLPath(st.ICAO), TXTPath(st.ICAO)}
	}
	body, _ := json.MarshalIndent(list, "", "  ") // cannot fail: plain structs
	return append(body, '\n')
}

// renderIndex is a plain page of links, for a person with a browser or curl.
func renderIndex() []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><title>netio mock NOAA server</title></head>\n<body>\n<h1>Current conditions</h1>\n<ul>\n")
	for _, st := range catalogue {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a> (<a href=\"%s\">text</a>)</li>\n",
			HTMLPath(st.ICAO), html.EscapeString(st.headline()), TXTPath(st.ICAO))
	}
	b.WriteString("</ul>\n<p><a href=\"/stations\">/stations</a> lists the catalogue as JSON; <a href=\"" + ModelPath + "\">" + ModelPath + "</a> is the model in force.</p>\n</body></html>\n")
	return []byte(b.String())
}
