package mockserver

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// stats counts what the server does. Counters are atomics; only the delay
// histogram takes a lock, for the few nanoseconds of one Record.
type stats struct {
	requests      atomic.Int64
	inFlight      atomic.Int64
	peakInFlight  atomic.Int64
	bytesSent     atomic.Int64
	connsOpen     atomic.Int64
	connsAccepted atomic.Int64
	handedOff     atomic.Int64
	faults        sync.Map // fault kind → *atomic.Int64

	mu     sync.Mutex
	delays *hdrhistogram.Histogram // injected delays, in microseconds
}

func newStats() *stats {
	return &stats{delays: hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)}
}

// Stats is the JSON of GET /stats.
type Stats struct {
	Requests      int64            `json:"requests"`       // requests answered (or failed on purpose)
	InFlight      int64            `json:"in_flight"`      // requests being handled now
	PeakInFlight  int64            `json:"peak_in_flight"` // most at once since start
	BytesSent     int64            `json:"bytes_sent"`     // response bytes written, headers included
	ConnsOpen     int64            `json:"conns_open"`     // connections open now
	ConnsAccepted int64            `json:"conns_accepted"` // connections accepted since start
	HandedOff     int64            `json:"handed_off"`     // connections the event loop handed to goroutines (Config.Engine)
	Faults        map[string]int64 `json:"faults"`         // faults injected, by kind
	DelayMS       Percentiles      `json:"delay_ms"`       // injected delays (time to first byte, queueing included)
	DelaySamples  int64            `json:"delay_samples"`  // how many delays DelayMS summarises
}

// Percentiles of a distribution, in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

func (s *stats) begin() {
	n := s.inFlight.Add(1)
	for peak := s.peakInFlight.Load(); n > peak && !s.peakInFlight.CompareAndSwap(peak, n); peak = s.peakInFlight.Load() {
	}
}

func (s *stats) end() {
	s.inFlight.Add(-1)
	s.requests.Add(1)
}

func (s *stats) fault(kind string) {
	c, ok := s.faults.Load(kind)
	if !ok { // the first of its kind: only then make a counter
		c, _ = s.faults.LoadOrStore(kind, new(atomic.Int64))
	}
	c.(*atomic.Int64).Add(1)
}

func (s *stats) delay(d time.Duration) {
	s.mu.Lock()
	s.delays.RecordValue(max(1, d.Microseconds())) // values past the hour are refused: the delay cap is lower
	s.mu.Unlock()
}

func (s *stats) snapshot() Stats {
	out := Stats{
		Requests:      s.requests.Load(),
		InFlight:      s.inFlight.Load(),
		PeakInFlight:  s.peakInFlight.Load(),
		BytesSent:     s.bytesSent.Load(),
		ConnsOpen:     s.connsOpen.Load(),
		ConnsAccepted: s.connsAccepted.Load(),
		HandedOff:     s.handedOff.Load(),
		Faults:        map[string]int64{},
	}
	s.faults.Range(func(k, v any) bool {
		out.Faults[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := func(q float64) float64 { return float64(s.delays.ValueAtQuantile(q)) / 1000 }
	out.DelaySamples = s.delays.TotalCount()
	out.DelayMS = Percentiles{P50: ms(50), P90: ms(90), P99: ms(99), P999: ms(99.9), Max: float64(s.delays.Max()) / 1000}
	return out
}
