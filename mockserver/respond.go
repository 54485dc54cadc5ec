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
	r := response{keepAlive: req.keepAlive && !s.isClosing(), head: req.method == "HEAD", http10: req.http10}
	switch {
	case req.method != "GET" && req.method != "HEAD":
		r.status, r.contentType, r.body = 405, "text/plain; charset=utf-8", []byte("mockserver: only GET and HEAD\n")
		r.extra = append(r.extra, "Allow: GET, HEAD")
	case req.path == "/stations":
		r.status, r.contentType, r.body = 200, "application/json", stationsJSONBody
	case req.path == "/":
		r.status, r.contentType, r.body = 200, "text/html; charset=utf-8", indexBody
	default:
		if icao, kind, ok := stationFromPath(req.path); ok {
			return s.servePage(c, req, r, pageKey{icao, kind})
		}
		r.status, r.contentType, r.body = 404, "text/html; charset=utf-8", notFoundPage(req.path)
	}
	return s.send(c, r, Body{})
}

// servePage answers a station page: it draws the delay and the fault, waits
// (in the queue, then the delay), and delivers the page as the model says.
func (s *Server) servePage(c *conn, req request, r response, key pageKey) bool {
	m := s.model.Load()
	icao := key.icao
	delay := m.delayFor(icao)
	body := m.Body
	forced, err := applyQuery(req.query, &delay, &body, s.cfg.MaxDelay)
	if err != nil {
		r.status, r.contentType, r.body = 400, "text/plain; charset=utf-8", []byte("mockserver: "+err.Error()+"\n")
		return s.send(c, r, Body{})
	}
	rnd := c.random(s.seq.seeds(icao))
	wait := delay.draw(rnd, s.cfg.MaxDelay)
	f, hasFault := m.faultsFor(icao).pick(rnd)
	if forced != nil {
		f, hasFault = *forced, true
	}

	queued, ok := s.queue(c, m, wait)
	if !ok {
		return s.sendClosing(c, r)
	}
	s.stats.delay(queued + wait)
	r.queued, r.delay = queued, wait

	p, found := s.pages[key]
	switch {
	case !found:
		r.status, r.contentType, r.body = 404, "text/html; charset=utf-8", notFoundPage(req.path)
	case hasFault && f.kind == FaultNoTemperature:
		r.status, r.contentType, r.body = 200, p.contentType, p.noTemp
	default:
		r.status, r.contentType, r.body = 200, p.contentType, p.body
	}
	if hasFault {
		s.stats.fault(f.kind)
		return s.sendFault(c, r, body, f)
	}
	return s.send(c, r, body)
}

// queue holds the request in the model's queue, if there is one, for its
// turn and then for its delay: at most QueueServers requests are in service
// at once. Without a queue it just waits the delay. It returns the time
// spent queueing, and false if the server began to close meanwhile.
func (s *Server) queue(c *conn, m *compiled, wait time.Duration) (time.Duration, bool) {
	if m.queue == nil {
		return 0, s.pause(c, wait)
	}
	start := time.Now()
	select {
	case m.queue <- struct{}{}:
	case <-s.closing:
		return time.Since(start), false
	}
	queued := time.Since(start)
	ok := s.pause(c, wait)
	<-m.queue
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
	b := r.appendHeader((*buf)[:0], "length")
	if !r.head {
		b = append(b, r.body...)
	}
	if cap(b) <= 64<<10 {
		*buf = b // keep a grown buffer for the next response, unless it is huge
	}
	err := s.write(c, b)
	return err == nil && r.keepAlive
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
		s.write(c, []byte("HTTP/1.1 OK 200 mock\r\nContent-Type: text/plain\r\n\r\nthe status line above is broken on purpose\n"))
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
	b.WriteString("</ul>\n<p><a href=\"/stations\">/stations</a> lists the catalogue as JSON.</p>\n</body></html>\n")
	return []byte(b.String())
}
