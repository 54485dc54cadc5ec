package strategies

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/netio-lab/netio/strategies/internal/httpparse"
)

// Class names a kind of request failure. Results are counted by Class, so
// the set is small and stable; its string values appear in result files.
type Class string

// The classes of failure, from the network up.
const (
	ClassOK            Class = ""               // page fetched, temperature found
	ClassCanceled      Class = "canceled"       // the batch's context ended first
	ClassTimeout       Class = "timeout"        // the per-request Timeout ran out
	ClassRefused       Class = "refused"        // nothing listening (ECONNREFUSED)
	ClassReset         Class = "reset"          // the peer reset the connection (RST)
	ClassEOF           Class = "eof"            // the peer closed before the response ended
	ClassMalformed     Class = "malformed"      // the response was not valid HTTP/1.1
	ClassTooLarge      Class = "too-large"      // the body passed Config.MaxBodyBytes
	ClassHTTPStatus    Class = "http-status"    // a status other than 200
	ClassNoTemperature Class = "no-temperature" // a 200 page without a reading
	ClassOther         Class = "other"          // anything else (DNS, bad URL, ...)
)

// Classes lists every failure class, for reports that want a fixed order.
var Classes = []Class{
	ClassCanceled, ClassTimeout, ClassRefused, ClassReset, ClassEOF,
	ClassMalformed, ClassTooLarge, ClassHTTPStatus, ClassNoTemperature, ClassOther,
}

// String returns the class name, "ok" for ClassOK.
func (c Class) String() string {
	if c == ClassOK {
		return "ok"
	}
	return string(c)
}

// ErrNoTemperature is the error of a page that held no temperature reading.
var ErrNoTemperature = errors.New("no temperature reading on the page")

// ErrTooLarge is the error of a body longer than Config.MaxBodyBytes.
var ErrTooLarge = errors.New("body larger than the configured maximum")

// StatusError is the error of a response whose status was not 200 OK.
type StatusError struct {
	Code   int
	Status string // the reason phrase, such as "Not Found"; may be empty
}

func (e *StatusError) Error() string {
	if e.Status == "" {
		return fmt.Sprintf("HTTP status %d", e.Code)
	}
	return fmt.Sprintf("HTTP status %d %s", e.Code, e.Status)
}

// Classify names the kind of failure err is. ctx is the batch context: a
// request that failed because ctx ended is ClassCanceled, whatever error the
// transport reported for it, because the failure was ours, not the server's.
func Classify(ctx context.Context, err error) Class {
	if err == nil {
		return ClassOK
	}
	return classifyFailure(ctx, err)
}

// classifyFailure is Classify for a non-nil error. It is apart because its
// targets for errors.As escape to the heap: on the success path, once per
// request, that allocation would be pure waste.
func classifyFailure(ctx context.Context, err error) Class {
	var status *StatusError
	var netErr net.Error
	var dnsErr *net.DNSError
	switch {
	// First the verdicts on a response that did arrive in full.
	case errors.As(err, &status):
		return ClassHTTPStatus
	case errors.Is(err, ErrNoTemperature):
		return ClassNoTemperature
	case errors.Is(err, ErrTooLarge), errors.Is(err, httpparse.ErrBodyTooLarge):
		return ClassTooLarge
	// Then the transport's failures, of which ours come first.
	case ctx != nil && ctx.Err() != nil, errors.Is(err, context.Canceled):
		return ClassCanceled
	case errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return ClassReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, httpparse.ErrUnexpectedEOF):
		return ClassEOF
	case errors.Is(err, httpparse.ErrMalformed):
		return ClassMalformed
	case errors.As(err, &dnsErr):
		return ClassOther // before isMalformed: a host name may contain any word
	case isMalformed(err):
		return ClassMalformed
	}
	return ClassOther
}

// isMalformed recognises net/http's complaints about a broken response.
// net/http does not export typed errors for these, so the text is all there
// is to go on; the event-loop strategies return typed parser errors instead.
func isMalformed(err error) bool {
	msg := err.Error()
	for _, s := range []string{"malformed", "invalid byte in chunk", "headers exceeded", "Content-Length", "transfer encoding"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// UnavailableError is what a strategy's constructor returns where the
// strategy cannot run: epoll off Linux, say. Callers that show several
// strategies (the lessons, the conformance table) leave it out and say
// why, instead of stopping.
type UnavailableError struct {
	Strategy string
	Reason   string // "available on Linux only"
}

func (e *UnavailableError) Error() string {
	return "strategies: " + e.Strategy + " is unavailable here: " + e.Reason
}
