package mockserver_test

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
)

// TestWriteTimeoutEndsPipelinerThatNeverReads: a client that pipelines
// requests and never reads their answers fills the socket's buffers, and
// the server's write that no longer fits waits for it. WriteTimeout ends
// that wait and closes the connection; the client, still writing, sees a
// reset. Both ways of writing a response are checked: whole, in one write
// (sendWhole), and cut into writes (deliver). On the event loop, the
// pipelined requests hand the connection to a goroutine, so the cases
// test the goroutine's writes on either engine (the loop's own is
// TestEpollEngineWriteTimeout).
func TestWriteTimeoutEndsPipelinerThatNeverReads(t *testing.T) {
	const writeTimeout = 300 * time.Millisecond
	for _, path := range []string{"/stations", mockserver.HTMLPath("KNYC") + "?chunked=1&chunks=2"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			srv := start(t, mockserver.Config{WriteTimeout: writeTimeout})
			c, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			begin := time.Now()
			lastProgress, err := pipelineUntilClosed(c, path, 10*time.Second)
			closed := time.Since(begin)
			if err == nil || isTimeout(err) {
				t.Fatalf("the connection was still open %v after the client's writes stopped going through (%v); want it closed after WriteTimeout %v", closed-lastProgress, err, writeTimeout)
			}
			// The server's write began to wait before the client's last
			// request went through, and at least WriteTimeout after the
			// first (less the deadline's slack of a 64th).
			if late := closed - lastProgress; late > writeTimeout+time.Second {
				t.Errorf("closed %v after the client's last progress; want at most WriteTimeout %v (and a second's margin)", late, writeTimeout)
			}
			if closed < writeTimeout*63/64 {
				t.Errorf("closed after %v; want at least WriteTimeout %v", closed, writeTimeout)
			}
			if !waitUntil(5*time.Second, func() bool { return srv.Stats().ConnsOpen == 0 }) {
				t.Errorf("the server counts %d connections open; want 0", srv.Stats().ConnsOpen)
			}
			t.Logf("requests written until %v, closed at %v: %v", lastProgress.Round(time.Millisecond), closed.Round(time.Millisecond), err)
		})
	}
}

// pipelineUntilClosed writes requests for path to c as fast as c takes
// them, never reading, until a write fails for another reason than its
// deadline, or for d. It returns when its last write made progress, from
// its start, and the error that ended it (nil after d).
func pipelineUntilClosed(c net.Conn, path string, d time.Duration) (lastProgress time.Duration, err error) {
	req := "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n"
	batch := []byte(strings.Repeat(req, 16))
	rest := batch
	begin := time.Now()
	for time.Since(begin) < d {
		c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := c.Write(rest)
		if n > 0 {
			lastProgress = time.Since(begin)
		}
		if err != nil && !isTimeout(err) {
			return lastProgress, err
		}
		// A write cut off by its deadline went through in part: the rest
		// goes next, or the server would read a broken request and
		// refuse it, which is not what is tested.
		if rest = rest[n:]; len(rest) == 0 {
			rest = batch
		}
	}
	return lastProgress, nil
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

func TestNegativeWriteTimeoutRefused(t *testing.T) {
	if srv, err := mockserver.Start(mockserver.Config{WriteTimeout: -time.Second}); err == nil {
		srv.Close()
		t.Error("Start with WriteTimeout -1s succeeded; want an error")
	}
}

// waitUntil polls cond for up to d and reports whether it came true.
func waitUntil(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}
