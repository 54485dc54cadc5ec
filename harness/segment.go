package harness

import "fmt"

// Segment is one of Of equal shares of a workload, for running one
// workload from several machines (netio bench --segment Index/Of), so
// that the Of shares together are exactly the whole, each job in one
// share. Index counts from 0, as a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX does. The zero Segment is the whole.
//
// An open workload's share takes the arrivals Index, Index+Of, … of the
// one schedule, at the whole's times (Global). A closed workload's share
// takes a share of its concurrency, the slots Index, Index+Of, … of the
// whole's C, and the jobs that would go through those slots: job j goes
// to the share of slot j mod C (ClosedGlobal). Dealing requests and
// concurrency out each on its own would not do: N=1000, C=100 in three
// makes a share of 333 requests on 33 connections, 11 rounds where the
// whole needs 10; by slots, no share needs more rounds than the whole.
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

// ClosedLen is how many of a closed workload's n jobs, c at a time, the
// share takes: the jobs j < n whose slot j mod c is one of its own.
func (s Segment) ClosedLen(n, c int) int {
	if s.Whole() || c < 1 {
		return n
	}
	slots := s.Len(c)
	full, partial := n/c, n%c
	return full*slots + s.Len(partial)
}

// ClosedGlobal is the whole's index of the share's job k in a closed
// workload c at a time: round k/m of the share's m slots, its (k mod m)-th
// slot.
func (s Segment) ClosedGlobal(k, c int) int {
	if s.Whole() || c < 1 {
		return k
	}
	m := s.Len(c)
	return (k/m)*c + s.Index + (k%m)*s.Of
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
