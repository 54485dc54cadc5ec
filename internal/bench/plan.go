package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/netio-lab/netio/harness"
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
	// one server serves a whole latency sweep. With a Target and no
	// Latency, the page URLs ask for no delay: the server's own model
	// applies, and TargetModel records it.
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

	// TargetModel is the Target server's own model, for a plan that asks
	// for no delay (a Target and no Latency): what the record says the
	// delay was, and the ideal time where it is fixed. Run reads it from
	// the server (ReadModel) when it is nil; nil after that is a server
	// that could not say ("unknown").
	TargetModel *mockserver.Model
	// DelayFlags name the delay flags given with a Target ("--latency",
	// "--dist"), for the record of what overrode the server's own model;
	// empty with a Target and Latency, the record says "--latency".
	DelayFlags []string

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

// serverDelay reports whether the plan leaves the delay to the server:
// a Target and no Latency (or URLs, whose server is not netio's).
func (p Plan) serverDelay() bool {
	return p.fetchesURLs() || (p.Target != "" && len(p.Latency) == 0)
}

// latencySource says where the plan's latency models come from, for the
// record (results.Settings): the flags, or the server; and, when flags
// override a Target's own model, which.
func (p Plan) latencySource() (source, override string) {
	switch {
	case p.serverDelay():
		return results.LatencyFromServer, ""
	case p.Target != "" && len(p.DelayFlags) == 0:
		return results.LatencyFromFlags, "--latency"
	case p.Target != "":
		return results.LatencyFromFlags, strings.Join(p.DelayFlags, ", ")
	}
	return results.LatencyFromFlags, ""
}

// withTargetModel returns the plan with the Target's own model read from
// the server at base, when the plan leaves the delay to it and was given
// none; a server that cannot say leaves it nil ("unknown").
func (p Plan) withTargetModel(ctx context.Context, base string) Plan {
	if p.fetchesURLs() || !p.serverDelay() || p.TargetModel != nil {
		return p
	}
	if m, err := ReadModel(ctx, base); err == nil {
		p.TargetModel = &m
	}
	return p
}

// modelTimeout bounds ReadModel: the model is a small page served at once.
const modelTimeout = 5 * time.Second

// ReadModel reads the model in force from the netio mock server at base
// (GET mockserver.ModelPath on its serving port). It fails for a server
// that is not netio's, or one too old to say.
func ReadModel(ctx context.Context, base string) (mockserver.Model, error) {
	ctx, cancel := context.WithTimeout(ctx, modelTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+mockserver.ModelPath, nil)
	if err != nil {
		return mockserver.Model{}, fmt.Errorf("bench: reading the server's model: %w", err)
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return mockserver.Model{}, fmt.Errorf("bench: reading the server's model: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		return mockserver.Model{}, fmt.Errorf("bench: reading the server's model: %s answers %s, %q", mockserver.ModelPath, resp.Status, resp.Header.Get("Content-Type"))
	}
	m, err := mockserver.DecodeModel(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return mockserver.Model{}, fmt.Errorf("bench: reading the server's model: %s", strings.TrimPrefix(err.Error(), "mockserver: "))
	}
	return m, nil
}

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
// strategy. The pages are made once per delay.
func (p Plan) settings(base string) []Spec {
	var out []Spec
	for _, d := range p.delays() {
		s := Spec{
			Mode: p.Mode, Duration: p.Duration, Count: p.Count, Timeout: p.Timeout, HedgeAfter: p.HedgeAfter, Loops: p.Loops,
			Segment: p.Segment, StartAt: p.StartAt,
			Pages: p.URLs, Seed: p.Seed, Truth: !p.fetchesURLs(), AnyPage: p.fetchesURLs(),
			LatencyModel: d.model, FixedLatency: d.fixed,
		}
		if !p.fetchesURLs() {
			s.Pages = stationPages(base, d.overrides)
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

// delay is one value of the latency sweep: its name for the record, its
// fixed value (negative unless fixed and known), and what the page URLs
// ask of the server for it.
type delay struct {
	model     string
	fixed     time.Duration
	overrides mockserver.Overrides
}

// delays is the latency sweep: with URLs, one point of unknown delay; with
// a Target and no Latency, one point of the server's own model, asking for
// nothing; else one point per Latency, each asked of the server.
func (p Plan) delays() []delay {
	switch {
	case p.fetchesURLs():
		return []delay{{model: "unknown", fixed: -1}}
	case p.serverDelay():
		model, fixed := describeModel(p.TargetModel)
		return []delay{{model: model, fixed: fixed}}
	}
	latencies := p.Latency
	if len(latencies) == 0 {
		latencies = []time.Duration{0}
	}
	var out []delay
	for _, l := range latencies {
		model, fixed := describeDelay(p.Delay(l))
		out = append(out, delay{model: model, fixed: fixed, overrides: p.overrides(l)})
	}
	return out
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

// describeDelay names a delay distribution for the record, and gives its
// fixed value when it is fixed (else -1): "fixed:5ms",
// "uniform:20ms:jitter:5ms", "lognormal:20ms:p99:200ms",
// "two-level:50ms:jitter:25ms:slow:1s:share:0.01"; ":cap:D" follows a
// capped one.
func describeDelay(d mockserver.Delay) (string, time.Duration) {
	l, fixed := d.Latency.D(), time.Duration(-1)
	var name string
	switch dist := d.DistName(); dist {
	case "fixed":
		name, fixed = "fixed:"+l.String(), l
	case "lognormal", "pareto":
		name = fmt.Sprintf("%s:%v:p99:%v", dist, l, d.P99.D())
	case "two-level":
		name = fmt.Sprintf("two-level:%v:jitter:%v:slow:%v:share:%g", l, d.Jitter.D(), d.Slow.D(), d.SlowShare)
	default:
		name = fmt.Sprintf("%s:%v:jitter:%v", dist, l, d.Jitter.D())
	}
	if d.Cap > 0 {
		name += ":cap:" + d.Cap.D().String()
		if fixed >= 0 {
			fixed = min(fixed, d.Cap.D())
		}
	}
	return name, fixed
}

// describeModel names a server's own delay for the record: its Delay's
// name, then "+queue:N" when requests queue for N slots first and
// "+stations" when some stations have a delay of their own; either makes
// the delay one that no single fixed value describes. A nil model is
// "unknown".
func describeModel(m *mockserver.Model) (string, time.Duration) {
	if m == nil {
		return "unknown", -1
	}
	name, fixed := describeDelay(m.Delay)
	if m.QueueServers > 0 {
		name, fixed = fmt.Sprintf("%s+queue:%d", name, m.QueueServers), -1
	}
	for _, o := range m.Stations {
		if o.Delay != nil {
			name, fixed = name+"+stations", -1
			break
		}
	}
	return name, fixed
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
