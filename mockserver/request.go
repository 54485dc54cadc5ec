package mockserver

import (
	"bufio"
	"bytes"
	"errors"
	"strconv"
	"strings"
)

// request is what the server needs of a client's request head.
type request struct {
	method    string
	path      string
	query     string // the raw query, without "?"
	keepAlive bool   // whether the connection may serve another request after this one
	http10    bool   // the client spoke HTTP/1.0
	bodyLen   int64  // Content-Length of a request body, to be discarded
}

// Limits on what a client may send.
const (
	maxRequestLine  = 4096     // longer: 414
	maxHeaderBytes  = 16 << 10 // more in all: 431
	maxRequestBody  = 64 << 10 // a GET has no business sending more: 413
	maxLeadingCRLFs = 8        // blank lines tolerated before the request line
)

// requestError is a request the server refuses, with the status to answer.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(msg string) error { return &requestError{400, msg} }

// readRequest reads one request head from br (whose buffer must hold at
// least maxRequestLine bytes). It returns a *requestError for a request
// that reached the server but cannot be served, and the reader's error
// (io.EOF, a timeout, ...) when the connection ended or failed first.
func readRequest(br *bufio.Reader) (request, error) {
	line, err := readRequestLine(br)
	if err != nil {
		return request{}, err
	}
	req, err := parseRequestLine(line)
	if err != nil {
		return request{}, err
	}
	if err := readHeaders(br, &req, len(line)); err != nil {
		return request{}, err
	}
	return req, nil
}

// readRequestLine skips a few blank lines, as servers should, and returns
// the request line without its line ending.
func readRequestLine(br *bufio.Reader) ([]byte, error) {
	for range maxLeadingCRLFs + 1 {
		line, err := readLine(br, maxRequestLine, 414)
		if err != nil || len(line) > 0 {
			return line, err
		}
	}
	return nil, badRequest("too many blank lines before the request line")
}

// readLine returns one line without "\r\n" or "\n". The slice points into
// br's buffer: it is valid until the next read.
func readLine(br *bufio.Reader, limit, tooLong int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || len(line) > limit:
		return nil, &requestError{tooLong, "line too long"}
	case err != nil:
		return nil, err
	}
	line = line[:len(line)-1]
	return bytes.TrimSuffix(line, []byte("\r")), nil
}

// parseRequestLine reads "GET /path?query HTTP/1.1". Absolute URLs
// (http://host/path) are accepted, as HTTP/1.1 asks of servers.
func parseRequestLine(line []byte) (request, error) {
	method, rest, ok1 := bytes.Cut(line, []byte(" "))
	target, version, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 || !isToken(method) || len(target) == 0 || bytes.ContainsAny(target, " \t") {
		return request{}, badRequest("malformed request line")
	}
	var http11 bool
	switch string(version) {
	case "HTTP/1.1":
		http11 = true
	case "HTTP/1.0":
	default:
		return request{}, &requestError{505, "unsupported HTTP version"}
	}
	t := string(target)
	if after, ok := strings.CutPrefix(t, "http://"); ok {
		_, path, found := strings.Cut(after, "/")
		t = "/" + path
		if !found {
			t = "/"
		}
	}
	if !strings.HasPrefix(t, "/") {
		return request{}, badRequest("request target must be a path")
	}
	path, query, _ := strings.Cut(t, "?")
	return request{method: methodName(method), path: path, query: query, keepAlive: http11, http10: !http11}, nil
}

// methodName returns the method as a string, without allocating one for
// the methods clients send.
func methodName(m []byte) string {
	switch string(m) { // compared in place: no conversion is made
	case "GET":
		return "GET"
	case "HEAD":
		return "HEAD"
	}
	return string(m)
}

// readHeaders reads header lines up to the blank line, keeping what the
// server uses: Connection, Content-Length, Transfer-Encoding and Host.
func readHeaders(br *bufio.Reader, req *request, used int) error {
	hasHost, hasLength := false, false
	for {
		line, err := readLine(br, maxRequestLine, 431)
		if err != nil {
			return err
		}
		if used += len(line) + 2; used > maxHeaderBytes {
			return &requestError{431, "request headers too large"}
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !isToken(name) {
			return badRequest("malformed header line") // also rejects obsolete line folding
		}
		value = bytes.TrimSpace(value)
		switch { // EqualFold, not ToLower: no string made per header line
		case bytes.EqualFold(name, []byte("host")):
			hasHost = true
		case bytes.EqualFold(name, []byte("connection")):
			applyConnection(req, string(value))
		case bytes.EqualFold(name, []byte("transfer-encoding")):
			return &requestError{501, "request bodies with Transfer-Encoding are not supported"}
		case bytes.EqualFold(name, []byte("content-length")):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || (hasLength && n != req.bodyLen) {
				return badRequest("bad Content-Length")
			}
			if n > maxRequestBody {
				return &requestError{413, "request body too large"}
			}
			req.bodyLen, hasLength = n, true
		}
	}
	if !req.http10 && !hasHost {
		return badRequest("HTTP/1.1 request without Host")
	}
	return nil
}

// applyConnection reads the Connection header's tokens.
func applyConnection(req *request, value string) {
	for tok := range strings.SplitSeq(value, ",") {
		switch strings.ToLower(strings.TrimSpace(tok)) {
		case "close":
			req.keepAlive = false
		case "keep-alive":
			req.keepAlive = true
		}
	}
}

// isToken reports whether b is a non-empty HTTP token (RFC 9110 tchar).
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
