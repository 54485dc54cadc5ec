package harness_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/netio-lab/netio/harness"
)

// The probes must measure something real: each case makes the process do
// one thing and checks that the matching figure moved.

func TestSamplerSeesManyGoroutines(t *testing.T) {
	s := harness.StartSampler(time.Millisecond)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 500 {
		wg.Go(func() { <-release })
	}
	time.Sleep(20 * time.Millisecond) // several samples while all 500 wait
	close(release)
	wg.Wait()
	goroutines, threads := s.Stop()
	if goroutines < 500 || threads < 1 {
		t.Errorf("peak goroutines %d, threads %d; want at least 500 and 1", goroutines, threads)
	}
}

func TestUsageCountsGoroutinesCreated(t *testing.T) {
	before := harness.ReadUsage()
	var wg sync.WaitGroup
	for range 300 {
		wg.Go(func() {})
	}
	wg.Wait()
	if got := harness.ReadUsage().Since(before).GoroutinesCreated; got < 300 {
		t.Errorf("%d goroutines created; want at least 300", got)
	}
}

func TestUsageSeesWaitingAsVoluntarySwitches(t *testing.T) {
	before := harness.ReadUsage()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for range 50 { // each read blocks in the kernel until the write: the thread sleeps
		go func() { time.Sleep(time.Millisecond); w.Write([]byte{1}) }()
		r.Read(make([]byte, 1))
	}
	if got := harness.ReadUsage().Since(before).VoluntaryCtxSw; got <= 0 {
		t.Errorf("%d voluntary context switches after 50 sleeps; want some", got)
	}
}

var sink uint64

// TestUsageSeesBusyLoopAsUserCPU spins until ReadUsage shows 100 ms of
// user CPU more than before. The loop is bounded by wall time far longer
// than that, not by 100 ms of wall time: with the other test packages
// running beside it (go test ./... on two cores), 100 ms of wall time can
// be much less than 100 ms of CPU, and the test would flake.
func TestUsageSeesBusyLoopAsUserCPU(t *testing.T) {
	before := harness.ReadUsage()
	var u harness.Usage
	for start := time.Now(); time.Since(start) < 10*time.Second; {
		for i := range 100000 {
			sink += uint64(i) * 2654435761
		}
		if u = harness.ReadUsage().Since(before); u.UserCPU >= 100*time.Millisecond {
			break
		}
	}
	if u.UserCPU < 100*time.Millisecond {
		t.Errorf("user CPU %v after 10 s of a busy loop; want 100 ms of it at least", u.UserCPU)
	}
	if u.MaxRSSBytes <= 0 {
		t.Errorf("max RSS %d; want the process's peak", u.MaxRSSBytes)
	}
}

func TestUsageCountsAllocations(t *testing.T) {
	before := harness.ReadUsage()
	keep := make([][]byte, 0, 10000)
	for range 10000 {
		keep = append(keep, make([]byte, 1024))
	}
	// The runtime flushes its per-P counts now and then: the figures may lag
	// by a few objects, so ask for 90 %.
	u := harness.ReadUsage().Since(before)
	if u.Allocs < 9000 || u.AllocBytes < 9000*1024 || len(keep) != 10000 {
		t.Errorf("%d allocations, %d bytes after 10,000 of 1 KiB; want at least 90 %% of them", u.Allocs, u.AllocBytes)
	}
}
