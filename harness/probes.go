package harness

import (
	"time"

	"github.com/netio-lab/netio/strategies"
)

// SampleInterval is how often Probes sample the process's goroutine and
// thread counts. Each sample wakes the process: at 10 ms the sampler
// tripled the context switches (28.6 against 9.9 per request) and doubled
// the CPU (677 against 316 µs per request) of a sequential client waiting
// 20 ms per page. So it samples rarely: the exact goroutine figure is the
// Gauge's, and threads are read once more at the end (Go seldom gives them
// back, so the last count is close to the peak).
const SampleInterval = 100 * time.Millisecond

// Peaks are the highest counts seen while probes ran.
type Peaks struct {
	Goroutines        int64 // the strategy's own, exactly (strategies.Gauge)
	ProcessGoroutines int64 // the whole process's, sampled: may miss short-lived ones
	Threads           int64 // OS threads of the process (Go keeps them once made)
}

// Probes watch one measured batch: the strategy's gauge, and a sampler for
// what the gauge cannot see.
type Probes struct {
	gauge   *strategies.Gauge
	sampler *Sampler
}

// StartProbes resets gauge's peak and starts sampling. gauge may be nil.
// Call Stop when the batch has returned.
func StartProbes(gauge *strategies.Gauge) *Probes {
	gauge.ResetPeak()
	return &Probes{gauge: gauge, sampler: StartSampler(SampleInterval)}
}

// Stop ends the sampling and returns the peaks. The thread peak is at least
// the count now: threads are rarely given back, so the last reading is a
// floor the sampler may have missed.
func (p *Probes) Stop() Peaks {
	goroutines, threads := p.sampler.Stop()
	return Peaks{
		Goroutines:        p.gauge.Peak(),
		ProcessGoroutines: goroutines,
		Threads:           max(threads, threadsNow()),
	}
}
