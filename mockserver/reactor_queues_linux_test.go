package mockserver

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The reply heap gives connections back in the order they are due, also
// after some leave it from the middle (a client gone mid-wait).
func TestReplyHeapOrder(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var h replyHeap
	var in []*rconn
	for range 500 {
		c := &rconn{due: time.Duration(rnd.IntN(1000)), heapIndex: -1}
		h.push(c)
		in = append(in, c)
	}
	for _, c := range in[:100] { // some leave early
		h.remove(c)
		h.remove(c) // twice is harmless
	}
	var got []time.Duration
	for c := h.first(); c != nil; c = h.first() {
		h.pop()
		if c.heapIndex != -1 {
			t.Fatalf("a popped connection still has heap index %d", c.heapIndex)
		}
		got = append(got, c.due)
	}
	if len(got) != 400 || !slices.IsSorted(got) {
		t.Errorf("popped %d connections, sorted %v; want 400, sorted", len(got), slices.IsSorted(got))
	}
}

// The idle list keeps the order connections began to wait, and lets any
// of them leave.
func TestIdleListOrder(t *testing.T) {
	var l idleList
	cs := make([]*rconn, 5)
	for i := range cs {
		cs[i] = &rconn{fd: i}
		l.pushBack(cs[i])
	}
	l.remove(cs[0])   // the head
	l.remove(cs[2])   // the middle
	l.remove(cs[4])   // the tail
	l.remove(cs[4])   // twice is harmless
	l.pushBack(cs[1]) // used again: to the back
	var got []int
	for c := l.first(); c != nil; c = l.first() {
		got = append(got, c.fd)
		l.remove(c)
	}
	if want := []int{3, 1}; !slices.Equal(got, want) {
		t.Errorf("order %v; want %v", got, want)
	}
	if l.head != nil || l.tail != nil {
		t.Error("the emptied list still has a head or a tail")
	}
}
