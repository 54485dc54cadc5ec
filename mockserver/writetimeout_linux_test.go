//go:build linux

package mockserver_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
)

// TestEpollEngineWriteTimeout: a client that sends one request at a time,
// each a whole plain request, and never reads stays on the event loop
// until a response no longer fits in the socket's buffers; WriteTimeout
// after that response's write began, the loop closes the connection. The
// client then reads the responses that went out, the last one cut short,
// and the server's close.
func TestEpollEngineWriteTimeout(t *testing.T) {
	const writeTimeout = 300 * time.Millisecond
	srv := epollServer(t, mockserver.Config{WriteTimeout: writeTimeout})
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Requests one at a time, as in TestEpollEnginePartialWrites, until a
	// response stays half-written (in flight).
	var lastSent time.Time
	for sent := 1; ; sent++ {
		if sent > 2000 {
			t.Fatal("2,000 responses left unread, and the server's send buffer never filled")
		}
		sendGet(t, c, "/stations")
		lastSent = time.Now()
		if !waitUntil(100*time.Millisecond, func() bool { return srv.Stats().Requests >= int64(sent) }) {
			break
		}
	}
	if !waitUntil(writeTimeout+2*time.Second, func() bool { return srv.Stats().ConnsOpen == 0 }) {
		t.Fatalf("the connection is open %v after its last request; want it closed after WriteTimeout %v", time.Since(lastSent), writeTimeout)
	}
	// The stuck write began after the last request was sent.
	if took := time.Since(lastSent); took < writeTimeout {
		t.Errorf("closed %v after the last request; want at least WriteTimeout %v", took, writeTimeout)
	}
	if st := srv.Stats(); st.HandedOff != 0 || st.InFlight != 0 {
		t.Errorf("handed off %d, in flight %d; want the loop to have served and ended the connection itself", st.HandedOff, st.InFlight)
	}
	got, _, err := readUntilEnd(c, 5*time.Second)
	if !errors.Is(err, io.EOF) || strings.HasSuffix(string(got), "]\n") {
		t.Errorf("read %d bytes, ending %q, then %v; want responses, the last cut short, then EOF", len(got), got[max(0, len(got)-10):], err)
	}
}
