//go:build linux

package uring

import "unsafe"

// SQE is a submission queue entry, struct io_uring_sqe: 64 bytes, one
// operation for the kernel to perform. The Prep methods fill one for the
// operations netio uses; UserData comes back in the operation's CQE.
type SQE struct {
	Opcode      uint8
	Flags       uint8
	IOPrio      uint16
	FD          int32
	Off         uint64 // for connect: the address's length; for a cancel by user data: unused
	Addr        uint64 // a pointer to the buffer, address or the user data to cancel
	Len         uint32
	OpFlags     uint32 // msg_flags, cancel_flags…: the operation's own flags
	UserData    uint64
	BufIndex    uint16
	Personality uint16
	SpliceFDIn  int32
	Addr3       uint64
	_           uint64
}

// CQE is a completion queue entry, struct io_uring_cqe: 16 bytes, the
// result of one operation. Res is what the system call would have
// returned: a byte count, or a negated errno.
type CQE struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// The operations netio uses (enum io_uring_op).
const (
	opRead        = 22
	opAsyncCancel = 14
	opConnect     = 16
	opSend        = 26
	opRecv        = 27
	opClose       = 19
)

// Flags of an SQE (IOSQE_*).
const (
	// Link makes the next SQE wait for this one, and fail with ECANCELED
	// if this one fails: connect, then send, then receive, submitted at
	// once.
	Link = 1 << 2
	// SkipSuccess posts no CQE when the operation succeeds, only when it
	// fails; and when it fails, the operations linked after it post none
	// (the kernel's REQ_F_SKIP_LINK_CQES). So a chain of skip-success
	// connect and send, then a receive, posts exactly one CQE: the
	// receive's, or the failed step's.
	SkipSuccess = 1 << 6
)

// Flags of an async cancel (IORING_ASYNC_CANCEL_*).
const (
	cancelAll = 1 << 0 // every operation that matches, not just the first
	cancelFD  = 1 << 1 // match on the file descriptor, not the user data
)

// PollFirst, in a send's or receive's IOPrio, skips the attempt the kernel
// would make at once and waits for readiness first: for a receive queued
// right behind its request, whose answer cannot be there yet, the attempt
// is wasted work (IORING_RECVSEND_POLL_FIRST).
const PollFirst = 1 << 0

// MsgWaitAll asks a send on a stream socket to send every byte, retrying
// inside the kernel after a short send, rather than complete short.
const MsgWaitAll = 0x100

// The memory a Prep method passes to the kernel (a buffer, an address)
// must stay where it is and stay referenced until the operation's CQE has
// come: Go heap memory held by the caller (Go's collector does not move
// heap objects), never a stack variable.

// PrepConnect fills e with a connect of the socket fd to the address at
// sa, of n bytes (a unix.RawSockaddrInet4 or Inet6).
func (e *SQE) PrepConnect(fd int, sa unsafe.Pointer, n uint32) {
	e.Opcode, e.FD, e.Addr, e.Off = opConnect, int32(fd), uint64(uintptr(sa)), uint64(n)
}

// PrepSend fills e with a send of p on fd, with msg_flags flags.
func (e *SQE) PrepSend(fd int, p []byte, flags uint32) {
	e.Opcode, e.FD, e.Addr, e.Len, e.OpFlags = opSend, int32(fd), bufAddr(p), uint32(len(p)), flags
}

// PrepRecv fills e with a receive into p from fd: it completes with the
// bytes that have arrived, at most len(p), 0 when the peer has closed.
func (e *SQE) PrepRecv(fd int, p []byte) {
	e.Opcode, e.FD, e.Addr, e.Len = opRecv, int32(fd), bufAddr(p), uint32(len(p))
}

// PrepRead fills e with a read into p from fd (an eventfd, here).
func (e *SQE) PrepRead(fd int, p []byte) {
	e.Opcode, e.FD, e.Addr, e.Len = opRead, int32(fd), bufAddr(p), uint32(len(p))
	e.Off = ^uint64(0) // -1: the file's current position, which a pipe or eventfd has none of
}

// PrepCancelFD fills e with a cancel of every operation on fd: each ends
// with ECANCELED (or its own result, if it was finishing).
func (e *SQE) PrepCancelFD(fd int) {
	e.Opcode, e.FD, e.OpFlags = opAsyncCancel, int32(fd), cancelFD|cancelAll
}

// PrepCancel fills e with a cancel of the operation whose user data is ud.
func (e *SQE) PrepCancel(ud uint64) {
	e.Opcode, e.FD, e.Addr = opAsyncCancel, -1, ud
}

// PrepClose fills e with a close of fd.
func (e *SQE) PrepClose(fd int) {
	e.Opcode, e.FD = opClose, int32(fd)
}

func bufAddr(p []byte) uint64 {
	if len(p) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&p[0])))
}
