//go:build linux

package uring_test

import (
	"errors"
	"net"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/netio-lab/netio/internal/uring"
)

// newRing sets a ring up, or skips the test saying why io_uring is not
// there (a container that forbids it, an old kernel).
func newRing(t *testing.T, entries uint32) *uring.Ring {
	t.Helper()
	r, err := uring.Setup(entries, 2*entries, 0)
	if err != nil {
		if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
			t.Skipf("skipping: io_uring is not available here: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// socketPair is a connected pair of stream sockets.
func socketPair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

// reap waits for n completions and returns them by user data.
func reap(t *testing.T, r *uring.Ring, n int) map[uint64]uring.CQE {
	t.Helper()
	got := map[uint64]uring.CQE{}
	for deadline := time.Now().Add(5 * time.Second); len(got) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d completions after 5 s: %v", len(got), n, got)
		}
		if err := r.Wait(100 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		r.Completions(func(c *uring.CQE) { got[c.UserData] = *c })
	}
	return got
}

// TestSendThenReceiveLinked: a send and a receive linked in one
// submission; the send, marked skip-success, posts nothing, the receive
// posts the bytes.
func TestSendThenReceiveLinked(t *testing.T) {
	r := newRing(t, 8)
	a, b := socketPair(t)
	msg, buf := []byte("GET / HTTP/1.1\r\n\r\n"), make([]byte, 64)
	send := r.SQE()
	send.PrepSend(a, msg, uring.MsgWaitAll)
	send.Flags, send.UserData = uring.Link|uring.SkipSuccess, 1
	recv := r.SQE()
	recv.PrepRecv(b, buf)
	recv.UserData = 2
	if p := r.Pending(); p != 2 {
		t.Fatalf("%d pending; want 2", p)
	}
	got := reap(t, r, 1)
	if c, ok := got[2]; !ok || int(c.Res) != len(msg) || string(buf[:c.Res]) != string(msg) {
		t.Errorf("completions %v, buffer %q; want one for the receive with the %d bytes sent", got, buf, len(msg))
	}
	if _, ok := got[1]; ok {
		t.Error("the send posted a completion; want none on success (SkipSuccess)")
	}
}

// TestCancelByFD: a receive that nothing will satisfy ends with
// ECANCELED when its descriptor's operations are canceled.
func TestCancelByFD(t *testing.T) {
	r := newRing(t, 8)
	_, b := socketPair(t)
	buf := make([]byte, 16)
	recv := r.SQE()
	recv.PrepRecv(b, buf)
	recv.UserData = 7
	if err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	cancel := r.SQE()
	cancel.PrepCancelFD(b)
	cancel.UserData = 8
	got := reap(t, r, 2)
	if c := got[7]; c.Res != -int32(unix.ECANCELED) {
		t.Errorf("receive ended with %d; want -ECANCELED (%d)", c.Res, -int32(unix.ECANCELED))
	}
	if c := got[8]; c.Res != 1 {
		t.Errorf("cancel reported %d; want 1 operation canceled", c.Res)
	}
}

// TestFullQueue: SQE returns nil when every entry is filled and not yet
// consumed, and room again once they are submitted.
func TestFullQueue(t *testing.T) {
	r := newRing(t, 4)
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for i := range 4 {
		e := r.SQE()
		if e == nil {
			t.Fatalf("entry %d: nil; want room for 4", i)
		}
		e.PrepCancel(uint64(100 + i)) // nothing to cancel: each ends with ENOENT
		e.UserData = uint64(i)
	}
	if r.SQE() != nil {
		t.Fatal("a fifth entry in a ring of 4; want nil")
	}
	got := reap(t, r, 4)
	for i := range 4 {
		if got[uint64(i)].Res != -int32(unix.ENOENT) {
			t.Errorf("cancel %d: %d; want -ENOENT", i, got[uint64(i)].Res)
		}
	}
	if r.SQE() == nil {
		t.Error("no entry after the four were submitted")
	}
}

// TestWaitTimesOut: a wait with nothing in flight returns after its
// timeout, without error.
func TestWaitTimesOut(t *testing.T) {
	r := newRing(t, 4)
	start := time.Now()
	if err := r.Wait(20 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 20*time.Millisecond || waited > 2*time.Second {
		t.Errorf("waited %v; want the 20 ms timeout", waited)
	}
}

// TestFailedLinkPostsOneCompletion: connect, send and receive linked, the
// first two skip-success. When the connect fails (nothing listens), its
// completion is the chain's only one: the kernel posts none for the send
// and receive linked after it. The uring strategy counts on it.
func TestFailedLinkPostsOneCompletion(t *testing.T) {
	r := newRing(t, 8)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	sa := &unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: [4]byte{127, 0, 0, 1}, Port: uint16(port>>8 | port<<8&0xff00)}
	buf := make([]byte, 64)
	connect := r.SQE()
	connect.PrepConnect(fd, unsafe.Pointer(sa), unix.SizeofSockaddrInet4)
	connect.Flags, connect.UserData = uring.Link|uring.SkipSuccess, 1
	send := r.SQE()
	send.PrepSend(fd, []byte("GET / HTTP/1.1\r\n\r\n"), uring.MsgWaitAll)
	send.Flags, send.UserData = uring.Link|uring.SkipSuccess, 2
	recv := r.SQE()
	recv.PrepRecv(fd, buf)
	recv.UserData = 3
	got := reap(t, r, 1)
	time.Sleep(50 * time.Millisecond)
	r.Wait(0)
	r.Completions(func(c *uring.CQE) { got[c.UserData] = *c })
	if len(got) != 1 || got[1].Res != -int32(unix.ECONNREFUSED) {
		t.Errorf("completions %v; want the connect's alone, with -ECONNREFUSED", got)
	}
	runtime.KeepAlive(sa)
}
