package mockserver

// The event loop's two queues (reactor_linux.go). Each connection is in
// each at most once, and leaves it when it closes, so neither holds more
// entries than there are connections.

// replyHeap holds the connections whose response waits for its delay,
// ordered by when it is due (rconn.due): a min-heap, because delays are
// drawn per request and do not come due in the order they began. Each
// connection knows its place (heapIndex), so one that closes mid-wait
// leaves at once. (container/heap would box every entry in an interface:
// an allocation per request.)
type replyHeap []*rconn

// first returns the connection due first, or nil.
func (h replyHeap) first() *rconn {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}

func (h *replyHeap) push(c *rconn) {
	c.heapIndex = len(*h)
	*h = append(*h, c)
	h.up(c.heapIndex)
}

// pop removes the connection due first.
func (h *replyHeap) pop() { h.remove((*h)[0]) }

// remove takes c out of the heap, if it is in it.
func (h *replyHeap) remove(c *rconn) {
	i := c.heapIndex
	if i < 0 {
		return
	}
	last := len(*h) - 1
	h.swap(i, last)
	(*h)[last] = nil
	*h = (*h)[:last]
	c.heapIndex = -1
	if i < last {
		h.down(i)
		h.up(i)
	}
}

func (h replyHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex, h[j].heapIndex = i, j
}

func (h replyHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].due <= h[i].due {
			return
		}
		h.swap(parent, i)
		i = parent
	}
}

func (h replyHeap) down(i int) {
	for {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && h[l].due < h[small].due {
			small = l
		}
		if r < len(h) && h[r].due < h[small].due {
			small = r
		}
		if small == i {
			return
		}
		h.swap(i, small)
		i = small
	}
}

// idleList holds the connections waiting for a request, in the order they
// began to wait (rconn.lastUsed). IdleTimeout is the same for all, so the
// first to time out is always the first of the list: a doubly linked list
// is the whole timer wheel. The connections whose response waits for the
// client to take it are a list of the same kind, for WriteTimeout; a
// connection is in one list at most (rconn.list).
type idleList struct{ head, tail *rconn }

func (l *idleList) first() *rconn { return l.head }

// pushBack adds c, which has just begun to wait, at the end. It must not
// be in another list.
func (l *idleList) pushBack(c *rconn) {
	if c.list == l {
		l.remove(c)
	}
	c.list, c.idlePrev, c.idleNext = l, l.tail, nil
	if l.tail != nil {
		l.tail.idleNext = c
	} else {
		l.head = c
	}
	l.tail = c
}

// remove takes c out of the list, if it is in it.
func (l *idleList) remove(c *rconn) {
	if c.list != l {
		return
	}
	if c.idlePrev != nil {
		c.idlePrev.idleNext = c.idleNext
	} else {
		l.head = c.idleNext
	}
	if c.idleNext != nil {
		c.idleNext.idlePrev = c.idlePrev
	} else {
		l.tail = c.idlePrev
	}
	c.list, c.idlePrev, c.idleNext = nil, nil, nil
}
