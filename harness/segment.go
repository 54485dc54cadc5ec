package harness

import "fmt"

// Segment is one of Of equal shares of a workload, for running one
// workload from several machines (netio bench --segment Index/Of): share
// Index takes the jobs Index, Index+Of, Index+2·Of, … of the whole, so
// the Of shares together are exactly the whole, each job in one share, and
// an open workload's share keeps the whole's arrival times (every Of-th
// arrival of the one schedule). Index counts from 0, as a Kubernetes
// Indexed Job's JOB_COMPLETION_INDEX does. The zero Segment is the whole.
type Segment struct {
	Index int `json:"index"`
	Of    int `json:"of"`
}

// Whole reports whether s is the whole workload, not a share of it.
func (s Segment) Whole() bool { return s.Of <= 1 }

// Len is how many of n jobs (or of n of anything shared out, such as
// concurrency) the share takes: ⌈(n − Index)/Of⌉, that is n/Of, plus one
// for the first n mod Of shares.
func (s Segment) Len(n int) int {
	if s.Whole() {
		return n
	}
	return max(0, (n-s.Index+s.Of-1)/s.Of)
}

// Global is the whole's index of the share's job k.
func (s Segment) Global(k int) int {
	if s.Whole() {
		return k
	}
	return s.Index + k*s.Of
}

// Validate checks that s names a share: 0 ≤ Index < Of.
func (s Segment) Validate() error {
	if s.Of < 1 || s.Index < 0 || s.Index >= s.Of {
		return fmt.Errorf("harness: segment %d/%d: want I/N with N ≥ 1 and 0 ≤ I < N", s.Index, s.Of)
	}
	return nil
}

// String is "I/N".
func (s Segment) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Of) }
