package strategies

import (
	"context"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestURingTimeoutLandsBetweenSteps: a request whose deadline passes in
// the turn that queued it is cancelled together with its connect, before
// the kernel has put the connect anywhere a cancel can reach; the cancel
// finds nothing, and must be sent again until it lands, or the request
// would wait forever. (A review found Fetch still running 6 s on.)
func TestURingTimeoutLandsBetweenSteps(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	u, err := NewURing(Config{Timeout: time.Microsecond})
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	defer u.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []Result
	start := time.Now()
	err = u.Fetch(ctx, JobList{{Name: "void", URL: "http://" + ln.Addr().String() + "/"}}, func(r Result) { got = append(got, r) })
	if took := time.Since(start); err != nil || len(got) != 1 || got[0].Class != ClassTimeout || took > 5*time.Second {
		t.Errorf("Fetch: %v after %v, results %+v; want one timeout, at once", err, took, got)
	}
}

// TestURingWakeLeftOverIsDrained: a wake-up an earlier batch's end beat to
// its read (the eventfd's count left at 1) must not stand in for the next
// batch's: cancelled 20 ms in, the next batch returns at once, not at the
// loop's one-second wait.
func TestURingWakeLeftOverIsDrained(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	u, err := NewURing(Config{})
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	defer u.Close()
	if _, err := writeWake(u); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	u.Fetch(ctx, JobList{{Name: "void", URL: "http://" + ln.Addr().String() + "/"}}, func(Result) {})
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("Fetch returned %v after its start, cancelled at 20 ms; want at once", took)
	}
}

// writeWake leaves a wake-up in the eventfd, as a batch's end can.
func writeWake(u *URing) (int, error) { return unix.Write(u.wake, []byte{1, 0, 0, 0, 0, 0, 0, 0}) }
