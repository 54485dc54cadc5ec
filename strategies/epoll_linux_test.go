//go:build linux

package strategies

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netio-lab/netio/mockserver"
)

// TestEpollWaitFailureEndsEveryJob: when epoll_wait fails mid-batch, Fetch
// still calls done once for every job (in flight or not started yet),
// closes the connections those jobs had, and returns the error; the
// fetcher is left with no connection half used for the next batch.
func TestEpollWaitFailureEndsEveryJob(t *testing.T) {
	srv, err := mockserver.Start(mockserver.Config{Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(300 * time.Millisecond)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	e, err := NewEpoll(Config{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	waits := 0
	e.wait = func(events []unix.EpollEvent, timeout time.Duration) (int, error) {
		if waits++; waits > 1 { // the first turn started four jobs; the next wait fails
			return 0, unix.EBADF
		}
		return e.poller.Wait(events, timeout)
	}
	jobs := make(JobList, 10)
	for i := range jobs {
		jobs[i] = Job{URL: srv.PageURL("EGLC")}
	}
	var mu sync.Mutex
	seen := map[int]int{}
	err = e.Fetch(context.Background(), jobs, func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		seen[r.Index]++
		if r.OK() || !errors.Is(r.Err, unix.EBADF) {
			t.Errorf("job %d: class %q err %v; want the epoll_wait error", r.Index, r.Class, r.Err)
		}
	})
	var sys *os.SyscallError
	if !errors.As(err, &sys) || sys.Syscall != "epoll_wait" || !errors.Is(err, unix.EBADF) {
		t.Errorf("Fetch = %v; want the epoll_wait error", err)
	}
	for i := range jobs {
		if seen[i] != 1 {
			t.Errorf("job %d: done called %d times; want 1", i, seen[i])
		}
	}
	if n := len(e.conns); n != 0 {
		t.Errorf("%d connections left open after the failed batch; want 0", n)
	}
}

// TestEpollFlightsOrder: the flights list keeps its connections in
// deadline order, whatever order they come and go in, so that its front
// is always the next request to time out.
func TestEpollFlightsOrder(t *testing.T) {
	base := time.Now()
	conn := func(ms int) *epollConn {
		c := &epollConn{fd: ms}
		c.deadline = base.Add(time.Duration(ms) * time.Millisecond)
		return c
	}
	l := flights[epollConn]{of: func(c *epollConn) *flight[epollConn] { return &c.flight }}
	c10, c20, c30, c15 := conn(10), conn(20), conn(30), conn(15)
	for _, c := range []*epollConn{c10, c20, c30, c15} { // c15 is a retry: it keeps an earlier deadline
		l.insert(c)
	}
	order := func() []int {
		var got []int
		for c := l.front; c != nil; c = c.next {
			got = append(got, c.fd)
		}
		for c, i := l.back, len(got)-1; c != nil; c, i = c.prev, i-1 { // the back links agree
			if i < 0 || got[i] != c.fd {
				t.Fatalf("walking back from the back: %d at %d; forward order %v", c.fd, i, got)
			}
		}
		return got
	}
	if got := fmt.Sprint(order()); got != "[10 15 20 30]" {
		t.Fatalf("after four inserts: %s; want [10 15 20 30]", got)
	}
	l.remove(c10)
	l.remove(c30)
	l.remove(c30) // not in the list any more: nothing happens
	if got := fmt.Sprint(order()); got != "[15 20]" {
		t.Fatalf("after removing the front and the back: %s; want [15 20]", got)
	}
	l.insert(conn(5))
	if got := fmt.Sprint(order()); got != "[5 15 20]" {
		t.Fatalf("a retry earlier than all: %s; want [5 15 20]", got)
	}
}
