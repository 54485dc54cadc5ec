package bench

import (
	"fmt"

	"github.com/netio-lab/netio/harness"
	"runtime"
	"strings"
	"time"

	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
)

// Plan is a whole bench as its command line describes it: the strategies,
// the settings (a list where a sweep is allowed), the workload, and where
// the pages come from. The command checks its flags before it makes one;
// Points expands it into the points Run measures.
type Plan struct {
	Strategies  []string // in the order to measure them
	Mode        string   // results.ModeClosed or results.ModeOpen
	N           []int    // closed: requests per pass
	Concurrency []int
	GOMAXPROCS  []int // of each child; empty: this process's, which the children would take anyway
	Rate        []float64
	Duration    time.Duration // open: how long arrivals go on
	Count       int           // measured passes per point, after a cold one
	Timeout     time.Duration // per request
	// HedgeAfter, above zero, sends a second copy of a request not
	// answered after it (strategies.Config.HedgeAfter; the net/http
	// strategies only).
	HedgeAfter time.Duration

	// The mock server's injected delay, one point per Latency: a fixed
	// delay, or the centre or median of Dist (with Jitter, P99; see
	// mockserver.Delay). Every point's delay travels in its page URLs, so
	// one server serves a whole latency sweep.
	Latency []time.Duration
	Dist    string // "" or "fixed" for a fixed delay
	Jitter  time.Duration
	P99     time.Duration
	// Slow and SlowShare are two-level's slow pages: their delay and share.
	Slow      time.Duration
	SlowShare float64

	Seed   int64    // the mock server's seed: the ground truth of the temperatures
	Target string   // base URL of a running mock server; "" starts one (unless URLs)
	URLs   []string // pages of any HTTP/1.1 server, fetched instead of the mock server's: no ground truth, no ideal time
	Loops  int      // the gnet strategy's event loops (strategies.Config.Loops)

	// CPUProfileDir, when set, receives a CPU profile of each point's
	// measured passes (see ProfileName).
	CPUProfileDir string

	// Segment, when set, makes this bench one share of a run split over
	// several machines (netio bench --segment I/N): each point's requests
	// and concurrency, closed, or its arrivals, open, are shared out as
	// harness.Segment says, and netio merge puts the shares together.
	Segment harness.Segment
	// StartAt, when set, is when the first pass begins (closed) or when
	// the whole schedule's first arrival is (open), so that the shares on
	// several machines run together; an open run's later passes keep to
	// slots of Duration + PassGap from it.
	StartAt time.Time
}

// PassGap separates an open run's passes when they keep to a timetable
// (Plan.StartAt): room for the last requests of a pass to finish before
// the next one's first arrival. A pass that overruns makes the next one
// start late, and its late arrivals are counted.
const PassGap = time.Second

// fetchesURLs reports whether the plan fetches URLs rather than the mock
// server's pages.
func (p Plan) fetchesURLs() bool { return len(p.URLs) > 0 }

// Points lists the points to measure, with their pages on the mock server
// at base (ignored with URLs): every strategy at every combination of the
// swept settings, strategies outermost, so that a reader sees one
// strategy's curve together.
func (p Plan) Points(base string) []Spec {
	settings := p.settings(base)
	specs := make([]Spec, 0, len(p.Strategies)*len(settings))
	for _, name := range p.Strategies {
		for _, s := range settings {
			s.Strategy = name
			specs = append(specs, s)
		}
	}
	return specs
}

// settings is every combination of the swept settings, as specs without a
// strategy. The pages are made once per latency.
func (p Plan) settings(base string) []Spec {
	var out []Spec
	for _, l := range p.latencies() {
		s := Spec{
			Mode: p.Mode, Duration: p.Duration, Count: p.Count, Timeout: p.Timeout, HedgeAfter: p.HedgeAfter, Loops: p.Loops,
			Segment: p.Segment, StartAt: p.StartAt,
			Pages: p.URLs, Seed: p.Seed, Truth: !p.fetchesURLs(), AnyPage: p.fetchesURLs(),
		}
		s.LatencyModel, s.FixedLatency = p.latencyModel(l)
		if !p.fetchesURLs() {
			s.Pages = stationPages(base, p.overrides(l))
		}
		for _, c := range p.Concurrency {
			for _, w := range p.workloads() {
				for _, procs := range p.gomaxprocs() {
					s.Concurrency, s.N, s.Rate, s.GOMAXPROCS = p.Segment.Len(c), w.n, w.rate, procs
					if !p.Segment.Whole() {
						s.SplitConcurrency = c
					}
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// latencies is the latency sweep: with URLs, one point of unknown delay.
func (p Plan) latencies() []time.Duration {
	if p.fetchesURLs() || len(p.Latency) == 0 {
		return []time.Duration{0}
	}
	return p.Latency
}

func (p Plan) gomaxprocs() []int {
	if len(p.GOMAXPROCS) == 0 {
		return []int{runtime.GOMAXPROCS(0)}
	}
	return p.GOMAXPROCS
}

type workload struct {
	n    int
	rate float64
}

// workloads is the sweep over N (closed) or rate (open).
func (p Plan) workloads() []workload {
	var ws []workload
	if p.Mode == results.ModeOpen {
		for _, r := range p.Rate {
			ws = append(ws, workload{rate: r})
		}
		return ws
	}
	for _, n := range p.N {
		ws = append(ws, workload{n: n})
	}
	return ws
}

// Delay is the mock server's delay distribution for latency l.
func (p Plan) Delay(l time.Duration) mockserver.Delay {
	d := mockserver.Delay{Latency: mockserver.Duration(l), Jitter: mockserver.Duration(p.Jitter), P99: mockserver.Duration(p.P99),
		Slow: mockserver.Duration(p.Slow), SlowShare: p.SlowShare}
	if p.Dist != "fixed" {
		d.Dist = p.Dist
	}
	return d
}

// latencyModel names a delay for the record, and its fixed value when it
// is fixed (else -1): "fixed:5ms", "lognormal:20ms:p99:200ms".
func (p Plan) latencyModel(l time.Duration) (string, time.Duration) {
	switch {
	case p.fetchesURLs():
		return "unknown", -1
	case (p.Dist == "" || p.Dist == "fixed") && p.Jitter == 0:
		return "fixed:" + l.String(), l
	case p.Dist == "lognormal" || p.Dist == "pareto":
		return fmt.Sprintf("%s:%v:p99:%v", p.Dist, l, p.P99), -1
	case p.Dist == "two-level":
		return fmt.Sprintf("two-level:%v:jitter:%v:slow:%v:share:%g", l, p.Jitter, p.Slow, p.SlowShare), -1
	}
	return fmt.Sprintf("%s:%v:jitter:%v", p.Delay(l).DistName(), l, p.Jitter), -1
}

// overrides ask the mock server for exactly the delay of latency l on one
// page, whatever its own settings: every parameter of the distribution is
// sent, zeros included (a negative field sends a zero; see
// mockserver.Overrides).
func (p Plan) overrides(l time.Duration) mockserver.Overrides {
	o := mockserver.Overrides{Latency: sendZero(l)}
	if d := p.Delay(l); d.Dist != "" || p.Jitter > 0 {
		o.Dist, o.Jitter, o.P99 = d.DistName(), sendZero(p.Jitter), sendZero(p.P99)
		o.Slow, o.SlowShare = p.Slow, p.SlowShare
	}
	return o
}

// sendZero turns a zero duration into the Overrides' "send zero" (-1).
func sendZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// stationPages is every catalogue station's HTML page on the server at
// base, with the overrides.
func stationPages(base string, o mockserver.Overrides) []string {
	var urls []string
	for _, st := range mockserver.Stations() {
		urls = append(urls, mockserver.PageURL(base, st.ICAO, o))
	}
	return urls
}

// ProfileName names point i's CPU profile: its place in the plan and the
// point's settings, such as 03-pool-c1000-p2-n10000-fixed50ms.pprof.
func ProfileName(i int, s Spec) string {
	name := fmt.Sprintf("%02d-%s-c%d-p%d", i+1, s.Strategy, s.Concurrency, s.GOMAXPROCS)
	if s.Mode == results.ModeOpen {
		name += fmt.Sprintf("-rate%g", s.Rate)
	} else {
		name += fmt.Sprintf("-n%d", s.N)
	}
	return strings.NewReplacer(":", "", "/", "").Replace(name+"-"+s.LatencyModel) + ".pprof"
}
