// Package rawio is the system-call layer of netio's two epoll loops, the
// epoll fetch strategy and the mock server's event-loop engine: read(2)
// and write(2) on non-blocking sockets, and epoll waits timed to the
// nanosecond. It exists on Linux only.
//
// Both loops call the kernel tens of thousands of times a second, so both
// skip what the Go runtime does around an ordinary system call when the
// call cannot block (see docs/strategies/epoll.md, "System calls"):
// syscall.Syscall tells the scheduler the thread may block, and the
// scheduler may hand the thread's P to another thread meanwhile and take
// it back after, about 1.5 µs a request here. A raw call on a
// non-blocking socket returns at once, so that bookkeeping is pure cost.
package rawio

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Read is read(2) on a non-blocking descriptor, as a raw system call. It
// returns unix.EAGAIN when nothing is there to read; 0 bytes and no error
// mean the peer closed.
func Read(fd int, p []byte) (int, error) { return raw(unix.SYS_READ, fd, p) }

// Write is write(2) on a non-blocking descriptor, as a raw system call. It
// returns unix.EAGAIN when the socket takes nothing now; a short count is
// normal (the socket's buffer is full), not an error.
func Write(fd int, p []byte) (int, error) { return raw(unix.SYS_WRITE, fd, p) }

func raw(call uintptr, fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, errno := unix.RawSyscall(call, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// Poller waits on one epoll instance. Its zero value is not usable: set
// FD to the instance's descriptor (unix.EpollCreate1). Not safe for
// concurrent use: a loop owns its poller.
type Poller struct {
	FD      int
	noWait2 bool // epoll_pwait2 is missing: waits are rounded up to whole milliseconds
}

// Wait fills events with the descriptors that are ready, waiting up to
// timeout for one to be (a negative timeout waits for as long as it
// takes, zero not at all). It returns how many it filled.
//
// It first polls without waiting, through a raw system call that the
// scheduler does not see: under load something is nearly always ready.
// Only when nothing is does it block, through an ordinary system call
// that lets the runtime use the thread's P meanwhile; a raw blocking wait
// would hold the P, and stall the garbage collector with it. (The raw poll
// is epoll_pwait with no signal mask, which is epoll_wait: arm64 has no
// plain epoll_wait.)
//
// The blocking wait is epoll_pwait2 (Linux 5.11), whose timeout counts in
// nanoseconds. epoll_wait counts whole milliseconds: a response's delay, or
// an open workload's next arrival, rounded up by up to a millisecond would
// be measured as the server's or the client's lateness. On an older kernel
// (or under a seccomp filter that refuses it with EPERM) Wait falls back
// to epoll_wait, rounding up so that no deadline is missed.
func (p *Poller) Wait(events []unix.EpollEvent, timeout time.Duration) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(p.FD), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	if n > 0 || timeout == 0 {
		return int(n), nil
	}
	if !p.noWait2 {
		n, err := p.pwait2(events, timeout)
		if err != unix.ENOSYS && err != unix.EPERM {
			return n, err
		}
		p.noWait2 = true
	}
	ms := -1
	if timeout > 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	return unix.EpollWait(p.FD, events, ms)
}

// pwait2 is epoll_pwait2 with no signal mask; x/sys/unix has no wrapper.
func (p *Poller) pwait2(events []unix.EpollEvent, timeout time.Duration) (int, error) {
	var ts *unix.Timespec
	if timeout > 0 {
		t := unix.NsecToTimespec(int64(timeout))
		ts = &t
	}
	n, _, errno := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(p.FD), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), uintptr(unsafe.Pointer(ts)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
