package mockserver

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// response is an answer before it is framed for the wire.
type response struct {
	status      int
	contentType string
	body        []byte
	extra       []string // more header lines, "Name: value"
	// queued and delay are what the server waited on purpose, sent in a
	// Server-Timing header on every response (zero when nothing was
	// injected), so that a client can tell them from its own overhead.
	queued, delay time.Duration
	keepAlive     bool
	head          bool // a HEAD request: headers only
	http10        bool // the client spoke HTTP/1.0: no chunked bodies
}

// segment is what one write sends, after a pause. bufs go out in one
// writev, so the page is never copied.
type segment struct {
	pause time.Duration
	bufs  net.Buffers
}

// whole reports whether the body goes out in one write with the headers,
// framed by its length: not paced, chunked, cut or close-delimited.
func (b Body) whole() bool {
	return (b.Encoding == "" || b.Encoding == "length") && b.Rate == 0 && b.Chunks <= 1 && b.Split == ""
}

// plan is a response cut into timed writes.
type plan struct {
	segs      []segment
	headerLen int  // bytes of status line and headers
	bodyLen   int  // bytes of body on the wire, framing included
	keepAlive bool // whether the connection may serve another request after it
}

// split is a parsed Body.Split.
type split struct {
	mode   string // "", "header-body", "mid-header" or "pieces"
	pieces int
	pause  time.Duration
}

// defaultSplitPause is the pause of a split given without one.
const defaultSplitPause = 20 * time.Millisecond

// parseSplit reads "header-body:20ms", "mid-header:20ms" or "pieces:8:5ms";
// the pause may be left out.
func parseSplit(s string) (split, error) {
	if s == "" {
		return split{}, nil
	}
	parts := strings.Split(s, ":")
	sp := split{mode: parts[0], pause: defaultSplitPause}
	args := parts[1:]
	if sp.mode == "pieces" {
		if len(args) == 0 {
			return split{}, fmt.Errorf("%q: pieces needs a count, such as pieces:8:5ms", s)
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 2 {
			return split{}, fmt.Errorf("%q: want a piece count of at least 2", s)
		}
		sp.pieces, args = n, args[1:]
	} else if sp.mode != "header-body" && sp.mode != "mid-header" {
		return split{}, fmt.Errorf("unknown split %q (valid: header-body[:PAUSE], mid-header[:PAUSE], pieces:N[:PAUSE])", s)
	}
	switch len(args) {
	case 0:
	case 1:
		d, err := time.ParseDuration(args[0])
		if err != nil || d < 0 {
			return split{}, fmt.Errorf("%q: bad pause %q", s, args[0])
		}
		sp.pause = d
	default:
		return split{}, fmt.Errorf("%q: too many parts", s)
	}
	return sp, nil
}

// plan frames the response as b says and cuts it into writes. No pause is
// longer than maxDelay, and the pacing of a body as a whole takes no longer
// than maxDelay either.
func (r response) plan(b Body, maxDelay time.Duration) plan {
	enc := b.Encoding
	switch {
	case enc == "":
		enc = "length"
	case enc == "chunked" && r.http10:
		enc = "close" // HTTP/1.0 has no chunked encoding
	}
	if enc == "close" {
		r.keepAlive = false
	}
	hdr := r.appendHeader(make([]byte, 0, 256), enc)
	parts, pauses := r.bodyParts(b, maxDelay)
	if enc == "chunked" && !r.head { // a HEAD response has no body, not even the last chunk
		parts = chunkFrame(parts)
		pauses = append(pauses, 0)[:len(parts)]
	}
	p := plan{headerLen: len(hdr), keepAlive: r.keepAlive}
	for _, part := range parts {
		p.bodyLen += len(part)
	}
	sp, _ := parseSplit(b.Split) // validated with the model
	sp.pause = min(sp.pause, maxDelay)
	if sp.pieces > 1 {
		sp.pause = min(sp.pause, maxDelay/time.Duration(sp.pieces-1)) // all the pauses together
	}
	p.segs = layout(hdr, parts, pauses, sp)
	return p
}

// layout places the header and body parts into segments. By default the
// header goes out with the first body part, in one write.
func layout(hdr []byte, parts [][]byte, pauses []time.Duration, sp split) []segment {
	segs := []segment{{bufs: net.Buffers{hdr}}}
	switch sp.mode {
	case "pieces":
		return piecesOf(append([][]byte{hdr}, parts...), sp.pieces, sp.pause)
	case "mid-header":
		cut := midLine(hdr)
		segs = []segment{{bufs: net.Buffers{hdr[:cut]}}, {pause: sp.pause, bufs: net.Buffers{hdr[cut:]}}}
	}
	for i, part := range parts {
		if i == 0 && sp.mode != "header-body" {
			last := &segs[len(segs)-1]
			last.bufs = append(last.bufs, part)
			continue
		}
		pause := pauses[i]
		if i == 0 {
			pause = sp.pause
		}
		segs = append(segs, segment{pause: pause, bufs: net.Buffers{part}})
	}
	return segs
}

// midLine is a cut point inside the header's second line (the first
// header), so that the cut falls in the middle of a line, not between lines.
func midLine(hdr []byte) int {
	start := strings.Index(string(hdr), "\r\n") + 2
	end := start + strings.Index(string(hdr[start:]), "\r\n")
	return start + (end-start)/2
}

// piecesOf cuts the concatenation of bufs into n pieces of (nearly) equal
// size, with pause before every piece but the first.
func piecesOf(bufs [][]byte, n int, pause time.Duration) []segment {
	var all []byte
	for _, b := range bufs {
		all = append(all, b...)
	}
	n = min(n, len(all))
	segs := make([]segment, n)
	for i := range n {
		lo, hi := i*len(all)/n, (i+1)*len(all)/n
		segs[i] = segment{bufs: net.Buffers{all[lo:hi]}}
		if i > 0 {
			segs[i].pause = pause
		}
	}
	return segs
}

// bodyParts cuts the body for pacing: Chunks writes ChunkPause apart, or
// small writes at Rate bytes per second, or one write. pauses[i] is the
// pause before part i.
func (r response) bodyParts(b Body, maxDelay time.Duration) ([][]byte, []time.Duration) {
	body := r.body
	if r.head || len(body) == 0 {
		return nil, nil
	}
	n, pause := 1, time.Duration(0)
	switch {
	case b.Chunks > 1:
		n = min(b.Chunks, len(body))
		pause = min(b.ChunkPause.D(), maxDelay/time.Duration(n))
	case b.Rate > 0:
		// About 50 writes a second, each paused by its own transfer time;
		// a rate too slow to finish within maxDelay is raised to finish then.
		rate := max(b.Rate, int(int64(len(body))*int64(time.Second)/int64(maxDelay))+1)
		size := max(1, rate/50)
		n = (len(body) + size - 1) / size
		pause = time.Duration(int64(size) * int64(time.Second) / int64(rate))
	}
	parts := make([][]byte, n)
	pauses := make([]time.Duration, n)
	for i := range n {
		parts[i] = body[i*len(body)/n : (i+1)*len(body)/n]
		if i > 0 {
			pauses[i] = pause
		}
	}
	return parts, pauses
}

// chunkFrame wraps each part as one HTTP chunk and appends the last chunk.
func chunkFrame(parts [][]byte) [][]byte {
	framed := make([][]byte, 0, len(parts)+1)
	for _, p := range parts {
		f := fmt.Appendf(make([]byte, 0, len(p)+12), "%x\r\n", len(p))
		f = append(append(f, p...), "\r\n"...)
		framed = append(framed, f)
	}
	if len(framed) == 0 {
		return [][]byte{[]byte("0\r\n\r\n")}
	}
	last := &framed[len(framed)-1]
	*last = append(*last, "0\r\n\r\n"...)
	return framed
}

// header renders the status line and headers for the given framing.
func (r response) appendHeader(b []byte, enc string) []byte {
	// strconv and append, not fmt: under load the server's header was a
	// twentieth of its CPU, and it shares the cores with the client measured.
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(r.status), 10)
	b = append(append(append(b, ' '), statusText(r.status)...), "\r\nDate: "...)
	b = append(append(b, httpDate()...), "\r\n"...)
	if r.contentType != "" {
		b = append(append(append(b, "Content-Type: "...), r.contentType...), "\r\n"...)
	}
	switch enc {
	case "length":
		b = append(strconv.AppendInt(append(b, "Content-Length: "...), int64(len(r.body)), 10), "\r\n"...)
	case "chunked":
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case !r.keepAlive || enc == "close":
		b = append(b, "Connection: close\r\n"...)
	case r.http10:
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	b = appendServerTiming(b, r.queued, r.delay)
	for _, h := range r.extra {
		b = append(append(b, h...), "\r\n"...)
	}
	return append(b, "\r\n"...)
}

// httpDate is the Date header's value, formatted at most once a second.
func httpDate() string {
	now := time.Now()
	if d := cachedDate.Load(); d != nil && d.sec == now.Unix() {
		return d.text
	}
	d := &dateText{now.Unix(), now.UTC().Format(http.TimeFormat)}
	cachedDate.Store(d)
	return d.text
}

type dateText struct {
	sec  int64
	text string
}

var cachedDate atomic.Pointer[dateText]

// errClosing is deliver's answer when Close cut a pause short.
var errClosing = errors.New("mockserver: server closing")

// deliver writes the plan's segments, pausing before each as planned. With
// limit ≥ 0 it stops after that many bytes (a truncated response).
func (s *Server) deliver(c *conn, p plan, limit int) error {
	sent := 0
	for _, seg := range p.segs {
		if seg.pause > 0 && !s.pause(c, seg.pause) {
			return errClosing
		}
		bufs := seg.bufs
		if limit >= 0 {
			bufs = truncate(bufs, limit-sent)
		}
		s.armWrite(c)
		n, err := bufs.WriteTo(c.nc)
		sent += int(n)
		s.stats.bytesSent.Add(n)
		if err != nil {
			return err
		}
		if limit >= 0 && sent >= limit {
			return nil
		}
	}
	return nil
}

// truncate returns the first n bytes of bufs, as a new Buffers.
func truncate(bufs net.Buffers, n int) net.Buffers {
	var out net.Buffers
	for _, b := range bufs {
		if n <= 0 {
			break
		}
		if len(b) > n {
			b = b[:n]
		}
		out = append(out, b)
		n -= len(b)
	}
	return out
}
