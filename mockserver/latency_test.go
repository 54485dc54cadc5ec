package mockserver

import (
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"sort"
	"testing"
	"time"
)

func ms(n float64) Duration { return Duration(n * float64(time.Millisecond)) }

// sample draws n delays and returns them sorted, in milliseconds.
func sample(d Delay, n int) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(d.draw(r, time.Hour)) / float64(time.Millisecond)
	}
	slices.Sort(out)
	return out
}

func quantile(sorted []float64, q float64) float64 { return sorted[int(q*float64(len(sorted)-1))] }

func TestDistributions(t *testing.T) {
	const n = 50000
	near := func(got, want, rel float64) bool { return math.Abs(got-want) <= rel*want }
	tests := []struct {
		name  string
		delay Delay
		check func(s []float64) bool
	}{
		{"fixed", Delay{Latency: ms(50)}, func(s []float64) bool { return s[0] == 50 && s[n-1] == 50 }},
		{"uniform", Delay{Dist: "uniform", Latency: ms(50), Jitter: ms(10)}, func(s []float64) bool {
			return s[0] >= 40 && s[n-1] <= 60 && near(quantile(s, 0.5), 50, 0.02) && near(quantile(s, 0.9), 58, 0.02)
		}},
		{"jitter alone means uniform", Delay{Latency: ms(50), Jitter: ms(10)}, func(s []float64) bool { return s[0] >= 40 && s[0] < 41 }},
		{"normal", Delay{Dist: "normal", Latency: ms(100), Jitter: ms(20)}, func(s []float64) bool {
			return near(quantile(s, 0.5), 100, 0.02) && near(quantile(s, 0.8413), 120, 0.03)
		}},
		{"normal is clipped at zero", Delay{Dist: "normal", Latency: ms(5), Jitter: ms(20)}, func(s []float64) bool { return s[0] == 0 }},
		{"lognormal median and p99", Delay{Dist: "lognormal", Latency: ms(50), P99: ms(200)}, func(s []float64) bool {
			return near(quantile(s, 0.5), 50, 0.03) && near(quantile(s, 0.99), 200, 0.08)
		}},
		{"pareto median and p99", Delay{Dist: "pareto", Latency: ms(20), P99: ms(500)}, func(s []float64) bool {
			return near(quantile(s, 0.5), 20, 0.03) && near(quantile(s, 0.99), 500, 0.1) && s[0] > 0
		}},
		{"pareto cap", Delay{Dist: "pareto", Latency: ms(20), P99: ms(500), Cap: ms(300)}, func(s []float64) bool {
			return s[n-1] == 300 && quantile(s, 0.98) < 300
		}},
		{"two-level: one in a hundred slow", Delay{Dist: "two-level", Latency: ms(10), Jitter: ms(5), Slow: ms(1000), SlowShare: 0.01}, func(s []float64) bool {
			slow := n - sort.SearchFloat64s(s, 1000)
			return s[0] >= 5 && quantile(s, 0.98) <= 15 && s[n-1] == 1000 && slow > n/100*8/10 && slow < n/100*12/10 &&
				near(quantile(s, 0.5), 10, 0.03)
		}},
	}
	for _, tt := range tests {
		if err := tt.delay.validate("delay"); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		s := sample(tt.delay, n)
		if !tt.check(s) {
			t.Errorf("%s: min %.2f p50 %.2f p90 %.2f p99 %.2f max %.2f ms: outside what was asked",
				tt.name, s[0], quantile(s, 0.5), quantile(s, 0.9), quantile(s, 0.99), s[n-1])
		}
	}
}

func TestDelayCappedByServer(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	if got := (Delay{Latency: ms(5000)}).draw(r, time.Second); got != time.Second {
		t.Errorf("5 s delay under a 1 s server cap drew %v; want 1s", got)
	}
}

func TestDelayValidate(t *testing.T) {
	bad := []Delay{
		{Dist: "gamma"},
		{Latency: -1},
		{Dist: "lognormal", Latency: ms(50)},           // no p99
		{Dist: "pareto", Latency: ms(50), P99: ms(40)}, // p99 below the median
		{Dist: "lognormal", P99: ms(40)},               // no median
		{Dist: "two-level", Latency: ms(10), Slow: ms(5), SlowShare: 0.01},                 // slow below fast
		{Dist: "two-level", Latency: ms(10), Jitter: ms(5), Slow: ms(12), SlowShare: 0.01}, // slow inside the fast band
		{Dist: "two-level", Latency: ms(10), Slow: ms(100)},                                // no share
		{Dist: "two-level", Latency: ms(10), Slow: ms(100), SlowShare: 1},                  // every page slow: not two levels
		{Dist: "uniform", Latency: ms(5), Jitter: ms(-1)},                                  // negative jitter
	}
	for _, d := range bad {
		if err := d.validate("delay"); err == nil {
			t.Errorf("%+v validated; want an error", d)
		}
	}
}

func TestSequenceIsPerStationAndReproducible(t *testing.T) {
	d := Delay{Dist: "lognormal", Latency: ms(10), P99: ms(100)}
	draws := func(order []string) map[string][]time.Duration {
		seq := newSequence(9)
		out := map[string][]time.Duration{}
		for _, code := range order {
			out[code] = append(out[code], d.draw(seq.next(code), time.Hour))
		}
		return out
	}
	a := draws([]string{"KNYC", "KNYC", "EGLC", "KNYC", "EGLC"})
	b := draws([]string{"EGLC", "KNYC", "EGLC", "KNYC", "KNYC"}) // another interleaving
	if !slices.Equal(a["KNYC"], b["KNYC"]) || !slices.Equal(a["EGLC"], b["EGLC"]) {
		t.Errorf("per-station draws depend on interleaving: %v vs %v", a, b)
	}
	if a["KNYC"][0] == a["KNYC"][1] {
		t.Errorf("two requests drew the same delay %v", a["KNYC"][0])
	}
	other := newSequence(10)
	if d.draw(other.next("KNYC"), time.Hour) == a["KNYC"][0] {
		t.Error("seeds 9 and 10 drew the same first delay")
	}
}

func TestServerTimingHeader(t *testing.T) {
	tests := []struct {
		queued, delay time.Duration
		want          string
	}{
		{0, 0, "Server-Timing: delay;dur=0.000\r\n"},
		{0, 50 * time.Millisecond, "Server-Timing: delay;dur=50.000\r\n"},
		{1500 * time.Microsecond, 1234567 * time.Nanosecond, "Server-Timing: queue;dur=1.500, delay;dur=1.235\r\n"},
	}
	for _, tt := range tests {
		if got := string(appendServerTiming([]byte("x"), tt.queued, tt.delay)); got != "x"+tt.want {
			t.Errorf("appendServerTiming(%v, %v) = %q; want %q", tt.queued, tt.delay, got, "x"+tt.want)
		}
	}
}

func TestResponseHeader(t *testing.T) {
	r := response{status: 200, contentType: "text/html", body: make([]byte, 1234), keepAlive: true, extra: []string{"X-A: 1"}}
	// The Date line changes each second: compare the rest.
	got := regexp.MustCompile(`Date: [^\r]+`).ReplaceAllString(string(string(r.appendHeader(nil, "length"))), "Date: D")
	want := "HTTP/1.1 200 OK\r\nDate: D\r\nContent-Type: text/html\r\nContent-Length: 1234\r\nServer-Timing: delay;dur=0.000\r\nX-A: 1\r\n\r\n"
	if got != want {
		t.Errorf("header:\n%q\nwant\n%q", got, want)
	}
}

// next is the random source of the next request for a station, as the
// server's conn.random gives it.
func (s *sequence) next(icao string) *rand.Rand { return rand.New(rand.NewPCG(s.seeds(icao))) }
