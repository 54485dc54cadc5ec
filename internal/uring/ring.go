//go:build linux

// Package uring is a small io_uring ring on raw system calls, for the
// uring fetch strategy: two queues in memory shared with the kernel. The
// program writes requests ("connect this socket", "send these bytes",
// "receive into this buffer") as entries of the submission queue, one
// io_uring_enter hands the kernel any number of them, and the kernel
// writes an entry to the completion queue as each one is done, with its
// result. Nothing here waits for a socket to be ready: the kernel does the
// I/O itself (docs/strategies/uring.md).
//
// Only what netio needs is here; liburing (axboe/liburing) is the
// reference for the layouts. No io_uring Go module is served to this
// project, and a short ring that a student can read is the point, as the
// epoll strategy's raw loop is.
//
//	submission queue (we fill, kernel consumes)   completion queue (kernel fills, we consume)
//	  head ──► [sqe][sqe][sqe] ◄── tail            head ──► [cqe][cqe] ◄── tail
//	  moved by the kernel      moved by us         moved by us       moved by the kernel
//
// Each side only moves its own index, and reads the other's with an atomic
// load (acquire) and publishes its own with an atomic store (release), so
// that an entry is written before the index that hands it over.
package uring

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ring is one io_uring instance. It is not safe for concurrent use: one
// goroutine owns it, as one goroutine owns an epoll loop.
type Ring struct {
	fd    int
	rings []byte // the SQ and CQ rings, one mapping (IORING_FEAT_SINGLE_MMAP)
	sqMem []byte // the submission queue entries
	sq    submissionQueue
	cq    completionQueue
	// Wait's argument to the kernel, here on the heap so that its address
	// stays put while the kernel reads it (a stack may move).
	waitArg geteventsArg
	waitTS  unix.Timespec
}

// submissionQueue is the SQ ring: an array of indexes into sqes, which the
// kernel consumes from head to tail.
type submissionQueue struct {
	head, tail *uint32 // shared: the kernel moves head, we move tail
	mask       uint32
	entries    uint32
	array      []uint32 // the ring proper: indexes of SQEs, in order
	sqes       []SQE
	filled     uint32 // our tail, ahead of *tail by the entries not yet published
}

// completionQueue is the CQ ring, which we consume from head to tail.
type completionQueue struct {
	head, tail *uint32 // shared: the kernel moves tail, we move head
	mask       uint32
	cqes       []CQE
}

// params is struct io_uring_params, 120 bytes.
type params struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sqOff                                                                  sqringOffsets
	cqOff                                                                  cqringOffsets
}

// sqringOffsets is struct io_sqring_offsets: where each field of the SQ
// ring is in the mapping.
type sqringOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

// cqringOffsets is struct io_cqring_offsets.
type cqringOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

// Setup flags and features this package uses (linux/io_uring.h).
const (
	SetupCQSize        = 1 << 3  // params.cqEntries is the CQ's size
	SetupSubmitAll     = 1 << 7  // keep submitting after an entry fails
	SetupCoopTaskrun   = 1 << 8  // no interrupt when a completion is ready: it waits for our next enter
	SetupSingleIssuer  = 1 << 12 // one thread submits
	SetupDeferTaskrun  = 1 << 13 // complete work only when we enter to wait (needs SingleIssuer)
	featSingleMmap     = 1 << 0
	featExtArg         = 1 << 8
	offSQRing          = 0
	offSQEs            = 0x10000000
	enterGetEvents     = 1 << 0
	enterExtArg        = 1 << 3
	sqeSize, cqeSize   = 64, 16
	paramsSize         = 120
	geteventsArgSize   = 24
	maxEnterRetryEINTR = 100
)

// Setup creates a ring with room for entries submissions (a power of two,
// rounded up by the kernel) and cqEntries completions, with the given
// setup flags (SetupCQSize is added). It needs Linux 5.11: one mapping for
// both rings, and timeouts on the wait (IORING_FEAT_EXT_ARG).
func Setup(entries, cqEntries uint32, flags uint32) (*Ring, error) {
	p := params{flags: flags | SetupCQSize, cqEntries: cqEntries}
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, os.NewSyscallError("io_uring_setup", errno)
	}
	r := &Ring{fd: int(fd)}
	if p.features&featSingleMmap == 0 || p.features&featExtArg == 0 {
		r.Close()
		return nil, errors.New("uring: the kernel lacks IORING_FEAT_SINGLE_MMAP or IORING_FEAT_EXT_ARG (Linux 5.11)")
	}
	if err := r.mapRings(&p); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// mapRings maps the rings and the SQEs and points the queues into them.
func (r *Ring) mapRings(p *params) error {
	size := max(p.sqOff.array+p.sqEntries*4, p.cqOff.cqes+p.cqEntries*cqeSize)
	var err error
	r.rings, err = unix.Mmap(r.fd, offSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return os.NewSyscallError("mmap", err)
	}
	r.sqMem, err = unix.Mmap(r.fd, offSQEs, int(p.sqEntries*sqeSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return os.NewSyscallError("mmap", err)
	}
	at := func(off uint32) unsafe.Pointer { return unsafe.Pointer(&r.rings[off]) }
	r.sq = submissionQueue{
		head: (*uint32)(at(p.sqOff.head)), tail: (*uint32)(at(p.sqOff.tail)),
		mask: *(*uint32)(at(p.sqOff.ringMask)), entries: p.sqEntries,
		array: unsafe.Slice((*uint32)(at(p.sqOff.array)), p.sqEntries),
		sqes:  unsafe.Slice((*SQE)(unsafe.Pointer(&r.sqMem[0])), p.sqEntries),
	}
	r.sq.filled = *r.sq.tail
	r.cq = completionQueue{
		head: (*uint32)(at(p.cqOff.head)), tail: (*uint32)(at(p.cqOff.tail)),
		mask: *(*uint32)(at(p.cqOff.ringMask)),
		cqes: unsafe.Slice((*CQE)(at(p.cqOff.cqes)), p.cqEntries),
	}
	return nil
}

// Close unmaps the rings and closes the ring. The kernel cancels whatever
// is still in flight; the caller must not Close with operations whose
// memory it still cares about (reap them first).
func (r *Ring) Close() error {
	if r.rings != nil {
		unix.Munmap(r.rings)
		r.rings = nil
	}
	if r.sqMem != nil {
		unix.Munmap(r.sqMem)
		r.sqMem = nil
	}
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}

// SQE returns the next free submission entry, zeroed, or nil when the
// queue is full (Submit or Enter hands the filled ones to the kernel and
// makes room). The entry is the kernel's once Submit has published it.
func (r *Ring) SQE() *SQE {
	q := &r.sq
	if q.filled-atomic.LoadUint32(q.head) >= q.entries {
		return nil
	}
	i := q.filled & q.mask
	q.array[i] = i
	q.filled++
	e := &q.sqes[i]
	*e = SQE{}
	return e
}

// Free is the number of entries that can be filled before the queue is
// full. A chain of linked entries must be submitted whole (the kernel runs
// a chain cut by the end of a submission as two), so check that it fits.
func (r *Ring) Free() uint32 { return r.sq.entries - (r.sq.filled - atomic.LoadUint32(r.sq.head)) }

// Pending is the number of entries filled and not yet submitted.
func (r *Ring) Pending() uint32 { return r.sq.filled - *r.sq.tail }

// publish makes the filled entries visible to the kernel (the store of
// the tail orders after the writes of the entries) and returns how many
// the kernel has not taken yet: the new ones, and any an earlier enter
// left (as liburing counts them), so that none is forgotten.
func (r *Ring) publish() uint32 {
	atomic.StoreUint32(r.sq.tail, r.sq.filled)
	return r.sq.filled - atomic.LoadUint32(r.sq.head)
}

// geteventsArg is struct io_uring_getevents_arg, io_uring_enter's
// extended argument: here, only the timeout of the wait.
type geteventsArg struct {
	sigmask   uint64
	sigmaskSz uint32
	minWait   uint32
	ts        uint64 // *unix.Timespec
}

// Submit hands the filled entries to the kernel without waiting for any
// to complete. It is a raw system call, unseen by the Go scheduler: a
// submission does not block (sockets are driven by the kernel's own
// polling, never by this thread), so the scheduler's hand-off around an
// ordinary call would be pure cost (see internal/rawio).
func (r *Ring) Submit() error {
	n := r.publish()
	if n == 0 {
		return nil
	}
	for range maxEnterRetryEINTR {
		taken, _, errno := unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(n), 0, 0, 0, 0)
		switch {
		case errno == unix.EINTR:
			continue
		case errno != 0:
			return enterError(errno)
		case uint32(taken) < n: // only when the kernel is out of memory: say so, the entries stay queued
			return fmt.Errorf("uring: io_uring_enter took %d of %d entries", taken, n)
		}
		return nil
	}
	return enterError(unix.EINTR)
}

// Wait submits the filled entries and waits until at least one completion
// is in the queue, or timeout has passed (at most: a negative timeout
// waits for as long as it takes). It is an ordinary system call: the
// scheduler may give this thread's P to other goroutines while it waits.
// A timeout is not an error; EINTR is retried.
func (r *Ring) Wait(timeout time.Duration) error {
	n := r.publish()
	r.waitArg = geteventsArg{}
	if timeout >= 0 {
		r.waitTS = unix.NsecToTimespec(int64(timeout))
		r.waitArg.ts = uint64(uintptr(unsafe.Pointer(&r.waitTS)))
	}
	_, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(n), 1, enterGetEvents|enterExtArg,
		uintptr(unsafe.Pointer(&r.waitArg)), geteventsArgSize)
	switch errno {
	case 0, unix.ETIME, unix.EINTR:
		return nil
	}
	return enterError(errno)
}

func enterError(errno unix.Errno) error {
	if errno == 0 {
		return nil
	}
	return os.NewSyscallError("io_uring_enter", errno)
}

// Completions calls f for each completion in the queue, oldest first, and
// then frees their slots for the kernel. f must not keep the pointer.
func (r *Ring) Completions(f func(*CQE)) int {
	q := &r.cq
	head, tail := *q.head, atomic.LoadUint32(q.tail)
	for i := head; i != tail; i++ {
		f(&q.cqes[i&q.mask])
	}
	atomic.StoreUint32(q.head, tail)
	return int(tail - head)
}

// String describes the ring, for errors and tests.
func (r *Ring) String() string {
	return fmt.Sprintf("io_uring fd %d: %d submission entries, %d completion entries", r.fd, r.sq.entries, len(r.cq.cqes))
}
