package strategies_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/netio-lab/netio/strategies"
)

// timeoutErr is a net.Error that says it timed out, as socket deadlines do.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	live := context.Background()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	opErr := func(errno error) error {
		return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", errno)}
	}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want strategies.Class
	}{
		{"success", live, nil, strategies.ClassOK},
		{"refused", live, opErr(syscall.ECONNREFUSED), strategies.ClassRefused},
		{"reset", live, opErr(syscall.ECONNRESET), strategies.ClassReset},
		{"broken pipe", live, opErr(syscall.EPIPE), strategies.ClassReset},
		{"eof", live, fmt.Errorf("get: %w", io.EOF), strategies.ClassEOF},
		{"short body", live, io.ErrUnexpectedEOF, strategies.ClassEOF},
		{"deadline", live, context.DeadlineExceeded, strategies.ClassTimeout},
		{"socket timeout", live, &net.OpError{Op: "read", Err: timeoutErr{}}, strategies.ClassTimeout},
		{"batch canceled wins over the transport's view", ended, opErr(syscall.ECONNRESET), strategies.ClassCanceled},
		{"canceled", live, context.Canceled, strategies.ClassCanceled},
		{"status", live, &strategies.StatusError{Code: 503}, strategies.ClassHTTPStatus},
		{"status even after cancel", ended, &strategies.StatusError{Code: 404}, strategies.ClassHTTPStatus},
		{"no temperature", live, strategies.ErrNoTemperature, strategies.ClassNoTemperature},
		{"too large", live, strategies.ErrTooLarge, strategies.ClassTooLarge},
		{"net/http malformed", live, errors.New(`net/http: HTTP/1.x transport connection broken: malformed HTTP response "garbage"`), strategies.ClassMalformed},
		{"headers too long", live, errors.New("net/http: server response headers exceeded 65536 bytes; aborted"), strategies.ClassMalformed},
		{"anything else", live, errors.New("no such host"), strategies.ClassOther},
	}
	for _, tt := range tests {
		if got := strategies.Classify(tt.ctx, tt.err); got != tt.want {
			t.Errorf("%s: Classify(%v) = %q; want %q", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestClassString(t *testing.T) {
	if got := strategies.ClassOK.String(); got != "ok" {
		t.Errorf("ClassOK.String() = %q; want ok", got)
	}
	for _, c := range strategies.Classes {
		if c == strategies.ClassOK || c.String() != string(c) {
			t.Errorf("Classes holds %q (String %q); want only failure classes named by their value", c, c.String())
		}
	}
}
