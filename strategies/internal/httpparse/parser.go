// Package httpparse is an incremental HTTP/1.1 response parser for the
// event-loop strategies: it is fed bytes as they arrive, in pieces of any
// size, and keeps its place between calls.
//
// It is the article's "are we still in the header?" flag, grown up. An event
// loop reads whatever the socket has: half a status line, the end of the
// headers and the start of the body in one read, a body in many. The parser
// remembers where it was, so the loop never waits for "the rest".
//
// It handles the status line, headers (names in any case; obsolete folded
// lines are joined), Content-Length bodies, chunked bodies (with chunk
// extensions and trailers), close-delimited bodies, 1xx interim responses
// (skipped), and keep-alive versus Connection: close. Only responses to GET
// are expected, so a HEAD's bodiless answer is not handled.
package httpparse

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// The errors of a response that cannot be parsed. Every *Error wraps one of
// them, so errors.Is(err, ErrMalformed) says "the server spoke badly".
var (
	ErrMalformed     = errors.New("httpparse: malformed response")
	ErrBodyTooLarge  = errors.New("httpparse: body larger than the limit")
	ErrUnexpectedEOF = errors.New("httpparse: connection closed before the response ended")
)

// Error is a parse failure: where it happened and what was wrong.
type Error struct {
	Where  string // "status line", "header", "chunk size", ...
	Detail string
	Err    error // ErrMalformed, ErrBodyTooLarge or ErrUnexpectedEOF
}

func (e *Error) Error() string { return fmt.Sprintf("%v: %s: %s", e.Err, e.Where, e.Detail) }
func (e *Error) Unwrap() error { return e.Err }

func malformed(where, format string, args ...any) error {
	return &Error{where, fmt.Sprintf(format, args...), ErrMalformed}
}

// DefaultMaxHeaderBytes bounds the status line and headers of a response.
const DefaultMaxHeaderBytes = 64 << 10

// state is where the parser is in a response.
type state int

const (
	inHeader    state = iota // collecting the status line and headers
	inBody                   // Content-Length body
	inChunkSize              // reading a chunk-size line
	inChunkData              // inside a chunk
	inChunkEnd               // the CRLF after a chunk's data
	inTrailer                // trailers after the last chunk
	untilClose               // close-delimited body
	complete                 // the response has ended
)

// String names the part of a response a state is in.
func (s state) String() string {
	switch s {
	case inHeader:
		return "header"
	case inBody:
		return "body"
	case inChunkSize:
		return "chunk size"
	case inChunkData:
		return "chunk data"
	case inChunkEnd:
		return "chunk end"
	case inTrailer:
		return "trailer"
	case untilClose:
		return "body until close"
	case complete:
		return "complete"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Parser parses one response at a time; Reset readies it for the next on
// the same connection. The zero value is ready, with the default limits.
// A Parser is not safe for concurrent use: an event loop owns it.
type Parser struct {
	// MaxHeaderBytes bounds the head; zero means DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxBodyBytes bounds the body; zero means no limit.
	MaxBodyBytes int64
	// Body, if set, receives the body bytes as they arrive (chunk framing
	// removed). The slice is only valid during the call: copy what you keep.
	Body func([]byte)

	// Status is the response's status code, set once the head is parsed.
	Status int
	// KeepAlive reports whether the connection may carry another request
	// after this response; set once the head is parsed.
	KeepAlive bool
	// BodyBytes counts the body bytes delivered so far.
	BodyBytes int64

	st        state
	head      []byte // the head collected so far; reused between responses
	remaining int64  // bytes left in a Content-Length body or the current chunk
	line      []byte // a partial chunk-size or trailer line
}

// Reset readies the parser for the next response, keeping its buffers and
// settings.
func (p *Parser) Reset() {
	*p = Parser{MaxHeaderBytes: p.MaxHeaderBytes, MaxBodyBytes: p.MaxBodyBytes, Body: p.Body,
		head: p.head[:0], line: p.line[:0]}
}

// Part names where the response stands: "header" until the blank line
// that ends the head, then "body" (or the chunked body's parts), then
// "complete". It is the state the article's event loop kept in a flag.
func (p *Parser) Part() string { return p.st.String() }

// Done reports whether the response has ended.
func (p *Parser) Done() bool { return p.st == complete }

// Feed parses data, the next bytes from the connection. It returns how many
// bytes it used: fewer than len(data) only when the response ended inside
// data (the rest belongs to whatever follows). After the end, Feed uses
// nothing until Reset.
func (p *Parser) Feed(data []byte) (int, error) {
	used := 0
	for used < len(data) && p.st != complete {
		n, err := p.step(data[used:])
		used += n
		if err != nil {
			return used, err
		}
	}
	return used, nil
}

// EOF tells the parser the connection has closed. It ends a close-delimited
// body; anywhere else in a response it is an error.
func (p *Parser) EOF() error {
	switch p.st {
	case untilClose:
		p.st = complete
		return nil
	case complete:
		return nil
	}
	return &Error{"body", "the connection closed first", ErrUnexpectedEOF}
}

// step makes progress in the current state and returns the bytes used.
func (p *Parser) step(data []byte) (int, error) {
	switch p.st {
	case inHeader:
		return p.feedHead(data)
	case inBody:
		n := int(min(int64(len(data)), p.remaining))
		p.remaining -= int64(n)
		if err := p.deliver(data[:n]); err != nil {
			return n, err
		}
		if p.remaining == 0 {
			p.st = complete
		}
		return n, nil
	case untilClose:
		return len(data), p.deliver(data)
	case inChunkSize, inTrailer, inChunkEnd:
		return p.feedLine(data)
	case inChunkData:
		n := int(min(int64(len(data)), p.remaining))
		p.remaining -= int64(n)
		if p.remaining == 0 {
			p.st = inChunkEnd
		}
		return n, p.deliver(data[:n])
	}
	return 0, nil
}

// deliver hands body bytes to Body, within the limit.
func (p *Parser) deliver(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	p.BodyBytes += int64(len(b))
	if p.MaxBodyBytes > 0 && p.BodyBytes > p.MaxBodyBytes {
		return &Error{"body", fmt.Sprintf("more than %d bytes", p.MaxBodyBytes), ErrBodyTooLarge}
	}
	if p.Body != nil {
		p.Body(b)
	}
	return nil
}

// feedHead collects head bytes until the blank line that ends it. It takes
// all of data, then gives back what lies past the head.
//
// A head usually arrives whole, in one read with the start of the body:
// then it is parsed where it lies, without copying the read.
func (p *Parser) feedHead(data []byte) (int, error) {
	if len(p.head) == 0 {
		if end, markLen := headEnd(data); end >= 0 {
			return p.endHead(data, end+markLen)
		}
	}
	from := max(0, len(p.head)-3) // the end marker may straddle two reads
	p.head = append(p.head, data...)
	end, markLen := headEnd(p.head[from:])
	if end < 0 {
		if len(p.head) > p.maxHeaderBytes() {
			return len(data), malformed("header", "longer than %d bytes", p.maxHeaderBytes())
		}
		return len(data), nil
	}
	kept := len(p.head) - len(data) // head bytes from earlier reads
	used, err := p.endHead(p.head, from+end+markLen)
	p.head = p.head[:0]
	return used - kept, err
}

// endHead parses the head, the first headLen bytes of buf, and returns
// headLen.
func (p *Parser) endHead(buf []byte, headLen int) (int, error) {
	if headLen > p.maxHeaderBytes() {
		return headLen, malformed("header", "longer than %d bytes", p.maxHeaderBytes())
	}
	interim, err := p.parseHead(buf[:headLen])
	if err != nil {
		return headLen, err
	}
	if interim { // a 1xx: the real response follows
		p.st = inHeader
	}
	return headLen, nil
}

func (p *Parser) maxHeaderBytes() int {
	if p.MaxHeaderBytes <= 0 {
		return DefaultMaxHeaderBytes
	}
	return p.MaxHeaderBytes
}

// headEnd finds the blank line ending a head: "\r\n\r\n", or "\n\n" from a
// lax server. It returns its index and length, or -1. It jumps from one
// newline to the next (bytes.IndexByte is vectorised): heads are a few
// hundred bytes, and most of them is not newlines.
func headEnd(b []byte) (int, int) {
	for i := 0; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1, 0
		}
		i += j
		if i+1 < len(b) && b[i+1] == '\n' {
			return i, 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i, 3
		}
	}
	return -1, 0
}

// parseHead reads the status line and headers and chooses how the body is
// framed. It reports whether this was an interim (1xx) response.
func (p *Parser) parseHead(head []byte) (interim bool, err error) {
	statusLine, rest := cutLine(head)
	status, http11, err := parseStatusLine(statusLine)
	if err != nil {
		return false, err
	}
	if status >= 100 && status < 200 && status != 101 {
		return true, nil
	}
	p.Status = status
	h, err := parseHeaders(rest)
	if err != nil {
		return false, err
	}
	p.KeepAlive = http11
	if h.close {
		p.KeepAlive = false
	} else if h.keepAlive {
		p.KeepAlive = true
	}
	switch {
	case status == 204 || status == 304:
		p.st = complete
	case h.chunked:
		p.st = inChunkSize
	case h.length >= 0:
		if p.MaxBodyBytes > 0 && h.length > p.MaxBodyBytes {
			return false, &Error{"body", fmt.Sprintf("Content-Length %d is more than %d", h.length, p.MaxBodyBytes), ErrBodyTooLarge}
		}
		p.remaining, p.st = h.length, inBody
		if h.length == 0 {
			p.st = complete
		}
	default:
		p.st, p.KeepAlive = untilClose, false
	}
	return false, nil
}

// cutLine returns the first line of b, without its "\n" or "\r\n", and
// what follows it.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, rest
}

// parseStatusLine reads "HTTP/1.1 200 OK" (the reason may be empty).
func parseStatusLine(line []byte) (status int, http11 bool, err error) {
	version, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(rest) < 3 || (len(rest) > 3 && rest[3] != ' ') {
		return 0, false, malformed("status line", "%q", line)
	}
	switch string(version) {
	case "HTTP/1.1":
		http11 = true
	case "HTTP/1.0":
	default:
		return 0, false, malformed("status line", "version %q", version)
	}
	for _, c := range rest[:3] {
		if c < '0' || c > '9' {
			return 0, false, malformed("status line", "status %q", rest[:3])
		}
	}
	status = int(rest[0]-'0')*100 + int(rest[1]-'0')*10 + int(rest[2]-'0')
	if status < 100 {
		return 0, false, malformed("status line", "status %d", status)
	}
	return status, http11, nil
}

// headers is what the parser needs of a response's headers.
type headers struct {
	length           int64 // -1 when absent
	chunked          bool
	close, keepAlive bool
}

// parseHeaders reads the header lines that follow the status line, up to
// the blank line, and keeps what decides the body's framing.
func parseHeaders(b []byte) (headers, error) {
	h := headers{length: -1}
	for len(b) > 0 {
		line, rest := cutLine(b)
		if len(line) == 0 { // the blank line that ends the head
			break
		}
		// Join obsolete folded continuation lines to their header.
		for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
			var more []byte
			more, rest = cutLine(rest)
			line = append(append(bytes.Clone(line), ' '), trimOWS(more)...)
		}
		b = rest
		colon := nameEnd(line)
		if colon <= 0 {
			return h, malformed("header", "%q", line)
		}
		// Most headers are none of the three the framing depends on, and
		// their names' lengths say so before a byte is compared: a
		// response is parsed per request, so this is on the hot path.
		name := line[:colon]
		switch len(name) {
		case len("Content-Length"), len("Transfer-Encoding"), len("Connection"):
		default:
			continue
		}
		value := trimOWS(line[colon+1:])
		switch {
		case equalFold(name, "Content-Length"):
			n, ok := parseLength(value)
			if !ok || (h.length >= 0 && h.length != n) {
				return h, malformed("header", "Content-Length %q", value)
			}
			h.length = n
		case equalFold(name, "Transfer-Encoding"):
			if !equalFold(lastToken(value), "chunked") {
				return h, malformed("header", "unsupported Transfer-Encoding %q", value)
			}
			h.chunked = true
		case equalFold(name, "Connection"):
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				tok = trimOWS(tok)
				h.close = h.close || equalFold(tok, "close")
				h.keepAlive = h.keepAlive || equalFold(tok, "keep-alive")
			}
		}
	}
	return h, nil
}

// nameEnd returns the index of the colon that ends a header's name, or -1
// when there is none or the name holds a space or a tab.
func nameEnd(line []byte) int {
	for i, c := range line {
		switch c {
		case ':':
			return i
		case ' ', '\t':
			return -1
		}
	}
	return -1
}

// lastToken is the last comma-separated token: "gzip, chunked" → "chunked".
func lastToken(v []byte) []byte {
	if i := bytes.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return trimOWS(v)
}

func equalFold(b []byte, s string) bool {
	return len(b) == len(s) && bytes.EqualFold(b, []byte(s))
}

// maxLine bounds a chunk-size or trailer line.
const maxLine = 4 << 10

// feedLine handles the line-oriented parts of a chunked body: chunk sizes,
// the CRLF after each chunk's data, and the trailers.
func (p *Parser) feedLine(data []byte) (int, error) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		if p.line = append(p.line, data...); len(p.line) > maxLine {
			return len(data), malformed("chunk", "line longer than %d bytes", maxLine)
		}
		return len(data), nil
	}
	line := append(p.line, data[:i]...)
	p.line = line[:0]
	if len(line) > maxLine { // a line that came whole, in one read, is bounded too
		return i + 1, malformed("chunk", "line longer than %d bytes", maxLine)
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	switch p.st {
	case inChunkEnd:
		if len(line) != 0 {
			return i + 1, malformed("chunk", "data longer than its size")
		}
		p.st = inChunkSize
	case inTrailer:
		if len(line) == 0 {
			p.st = complete
		}
	case inChunkSize:
		size, err := parseChunkSize(line)
		if err != nil {
			return i + 1, err
		}
		p.remaining, p.st = size, inChunkData
		if size == 0 {
			p.st = inTrailer
		}
	}
	return i + 1, nil
}

// parseChunkSize reads "1a3" or "1a3;name=value" (extensions are ignored).
func parseChunkSize(line []byte) (int64, error) {
	hex, _, _ := bytes.Cut(line, []byte(";"))
	hex = trimOWS(hex)
	if len(hex) == 0 || len(hex) > 15 || !allHex(hex) { // ParseInt would take a sign: "-1" must not pass
		return 0, malformed("chunk size", "%q", line)
	}
	n, err := strconv.ParseInt(string(hex), 16, 64)
	if err != nil {
		return 0, malformed("chunk size", "%q", line)
	}
	return n, nil
}

// allHex and allDigits check a number's text before strconv reads it:
// strconv accepts a leading sign, HTTP does not.
func allHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// parseLength reads a Content-Length: decimal digits only (no sign, no
// space), as an int64 that must not overflow. strconv.ParseInt would need
// a string, and a string made of the bytes is an allocation per response.
func parseLength(b []byte) (int64, bool) {
	if !allDigits(b) {
		return 0, false
	}
	var n int64
	for _, c := range b {
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// trimOWS trims HTTP's optional whitespace, spaces and tabs (RFC 9110,
// section 5.6.3), from both ends of b. bytes.TrimSpace also strips \v, \f,
// \r and Unicode spaces, and so read "Content-Length: 2\u00a0" as 2, where
// net/http refuses it (found by FuzzParser against net/http.ReadResponse).
func trimOWS(b []byte) []byte { return bytes.Trim(b, " \t") }
