package harness

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// Usage is what this process has spent so far: the client's own cost, when
// the strategy runs in a process of its own (the OS counts every thread of
// the process, a mock server in it included: docs/results.md, "Measuring
// inside a Go process").
type Usage struct {
	UserCPU, SysCPU time.Duration
	// CtxSwMeasured says whether the two counts below were read from the
	// OS. getrusage gives them (Linux, macOS); Windows keeps no count of a
	// process's context switches, and there they are 0 and mean nothing:
	// whatever shows them must say "n/a", never 0.
	CtxSwMeasured     bool
	VoluntaryCtxSw    int64  // the process waited (for I/O, a lock, a timer)
	InvoluntaryCtxSw  int64  // the kernel took the CPU away
	MaxRSSBytes       int64  // peak resident memory of the process (a level, not a counter)
	GoroutinesCreated uint64 // since the process started
	AllocBytes        uint64 // heap bytes allocated since start (may lag by a few objects: per-P caches)
	Allocs            uint64 // heap objects allocated since start
}

// usageMetrics are the runtime/metrics samples ReadUsage reads.
var usageMetrics = []string{
	"/sched/goroutines-created:goroutines",
	"/gc/heap/allocs:bytes",
	"/gc/heap/allocs:objects",
}

// ReadUsage reads the process's usage now: what the OS counts (one
// getrusage call; two calls on Windows) and one runtime/metrics read, a
// few microseconds.
func ReadUsage() Usage {
	u := processUsage() // usage_unix.go, usage_windows.go
	samples := make([]metrics.Sample, len(usageMetrics))
	for i, name := range usageMetrics {
		samples[i].Name = name
	}
	metrics.Read(samples)
	u.GoroutinesCreated = samples[0].Value.Uint64()
	u.AllocBytes = samples[1].Value.Uint64()
	u.Allocs = samples[2].Value.Uint64()
	return u
}

// Since returns what was spent between before and u. MaxRSSBytes stays u's:
// a peak cannot be subtracted. The context switches are measured only if
// both ends measured them.
func (u Usage) Since(before Usage) Usage {
	return Usage{
		UserCPU:           u.UserCPU - before.UserCPU,
		SysCPU:            u.SysCPU - before.SysCPU,
		CtxSwMeasured:     u.CtxSwMeasured && before.CtxSwMeasured,
		VoluntaryCtxSw:    u.VoluntaryCtxSw - before.VoluntaryCtxSw,
		InvoluntaryCtxSw:  u.InvoluntaryCtxSw - before.InvoluntaryCtxSw,
		MaxRSSBytes:       u.MaxRSSBytes,
		GoroutinesCreated: u.GoroutinesCreated - before.GoroutinesCreated,
		AllocBytes:        u.AllocBytes - before.AllocBytes,
		Allocs:            u.Allocs - before.Allocs,
	}
}

// Sampler samples the process's goroutine and OS-thread counts in the
// background, keeping the peaks. Sampling misses goroutines that live
// shorter than the interval: it gives the process's peak roughly, not a
// strategy's exactly (docs/results.md, "Measuring inside a Go process").
type Sampler struct {
	stop chan struct{}
	wg   sync.WaitGroup

	// Written by the sampling goroutine only; read by Stop after it ends.
	peakGoroutines, peakThreads int64
}

// StartSampler starts sampling every interval until Stop.
func StartSampler(interval time.Duration) *Sampler {
	s := &Sampler{stop: make(chan struct{})}
	s.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.record(int64(runtime.NumGoroutine()), threadsNow())
			select {
			case <-t.C:
			case <-s.stop:
				return
			}
		}
	})
	return s
}

func (s *Sampler) record(goroutines, threads int64) {
	s.peakGoroutines = max(s.peakGoroutines, goroutines)
	s.peakThreads = max(s.peakThreads, threads)
}

// Stop ends the sampling, waits for the sampler to return, and reports the
// peaks seen.
func (s *Sampler) Stop() (peakGoroutines, peakThreads int64) {
	close(s.stop)
	s.wg.Wait()
	return s.peakGoroutines, s.peakThreads
}

// threadsNow is the process's OS thread count now.
func threadsNow() int64 {
	s := []metrics.Sample{{Name: "/sched/threads/total:threads"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}
