package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
)

// TestPeerAgreesOnTheServersModel measures one lognormal mock server
// (median 20 ms, p99 100 ms), set up by the user, with `netio bench
// --target` and no delay flag, and with vegeta, and asks that the two
// agree on p50 and p99 within 10 %: netio measures the server's own model,
// not a default of its own, and reports it as a peer does.
//
// The peer is vegeta, as a library: like netio's open mode it sends at a
// constant rate whatever the answers do (its Attacker with a constant
// pacer), and it reports percentiles of its own (its Metrics, a t-digest),
// so the comparison is with another tool's arithmetic too. wrk, the other
// candidate, is closed-loop and cannot be held to an exact number of
// requests.
//
// Sampling noise would swamp a 10 % bound on p99: from 1,800 draws of this
// lognormal (σ = ln 5 / 2.326 = 0.69), the standard error of a p99 is
// √(0.99·0.01/1800) / f(p99) = 0.0023 / (φ(2.326) / (0.69 · 100 ms)) ≈
// 6 ms, 6 %, and of the difference of two independent ones 8.5 %: the test
// would fail one run in four. (A p50's is 2 %, 2.9 % for a difference.) So
// both tools meet the same draws: the server draws each delay from a
// source seeded by (seed, station, the request's number for that station),
// so two clients that make as many requests to each station, each against
// a fresh server of the same seed, draw the same delays. netio makes a
// cold pass and then the measured one; vegeta makes as many requests
// before its measured attack, and both go round the stations in the
// catalogue's order. What is left between the two is what each client
// adds to a request, and how each reads a percentile. The rate, 300 a
// second, keeps about 8 requests in flight: the latencies are the server's
// delays, not queueing.
func TestPeerAgreesOnTheServersModel(t *testing.T) {
	if testing.Short() {
		t.Skip("about 25 s: two servers, netio's two passes and vegeta's two attacks")
	}
	const (
		seed     = "11"
		rate     = 300
		duration = 6 * time.Second
		n        = rate * 6 // requests in a measured pass: 45 per station
	)

	// netio, on a server of its own.
	netioP50, netioP99 := func() (float64, float64) {
		srv := startLognormal(t, seed)
		defer srv.Close()
		stdout, stderr, code := runCmd("bench", "--target", srv.URL, "--seed", seed, "--strategy", "pool", "--mode", "open", "--rate", strconv.Itoa(rate),
			"--duration", duration.String(), "--concurrency", "100", "--count", "1", "--out", t.TempDir(), "--json", "-", "--no-report", "--quiet")
		if code != 0 {
			t.Fatalf("netio bench: exit %d, %s", code, stderr)
		}
		var file results.File
		if err := json.Unmarshal([]byte(stdout), &file); err != nil || len(file.Runs) != 1 {
			t.Fatalf("run.json: %v, %d runs", err, len(file.Runs))
		}
		r := file.Runs[0]
		if r.N != n || r.Verified != n || r.Failed != 0 || r.Dropped != 0 {
			t.Fatalf("netio: n %d, verified %d, failed %d, dropped %d; want %d verified", r.N, r.Verified, r.Failed, r.Dropped, n)
		}
		if r.LatencyModel != "lognormal:20ms:p99:100ms" || file.Settings.LatencySource != results.LatencyFromServer {
			t.Errorf("netio recorded latency %q from %q; want lognormal:20ms:p99:100ms from the server", r.LatencyModel, file.Settings.LatencySource)
		}
		return r.LatencyMS.P50, r.LatencyMS.P99
	}()

	// vegeta, on a fresh server of the same seed: as many requests first
	// as netio's cold pass made, then the measured attack.
	tr := &http.Transport{MaxIdleConnsPerHost: 1000}
	defer tr.CloseIdleConnections()
	srv := startLognormal(t, seed)
	defer srv.Close()
	var targets []vegeta.Target
	for _, st := range mockserver.Stations() {
		targets = append(targets, vegeta.Target{Method: "GET", URL: srv.URL + mockserver.HTMLPath(st.ICAO)})
	}
	attack := func(name string, rate int) (vegeta.Metrics, []time.Duration) {
		a := vegeta.NewAttacker(vegeta.Client(&http.Client{Transport: tr, Timeout: 10 * time.Second}), vegeta.Workers(64))
		pacer := countedPacer{vegeta.ConstantPacer{Freq: rate, Per: time.Second}, n}
		var m vegeta.Metrics
		var injected []time.Duration
		for res := range a.Attack(vegeta.NewStaticTargeter(targets...), pacer, 0, name) {
			m.Add(res)
			var ms float64
			if _, err := fmt.Sscanf(res.Headers.Get("Server-Timing"), "delay;dur=%g", &ms); err == nil {
				injected = append(injected, time.Duration(ms*float64(time.Millisecond)))
			}
		}
		m.Close()
		if m.Requests != n || m.Success != 1 {
			t.Fatalf("vegeta %s: %d requests, success %.3f, errors %v; want %d, all 200", name, m.Requests, m.Success, m.Errors, n)
		}
		return m, injected
	}
	attack("warm-up", 2000) // the draws netio's cold pass took; their pace does not matter
	m, injected := attack("measured", rate)
	vegetaP50, vegetaP99 := ms(m.Latencies.P50), ms(m.Latencies.P99)

	if len(injected) < n/2 {
		t.Fatalf("read the server's delay from %d of %d answers (Server-Timing); want most of them", len(injected), n)
	}
	slices.Sort(injected)
	t.Logf("p50 / p99: netio %.2f / %.2f ms, vegeta %.2f / %.2f ms; the server's draws %.2f / %.2f ms",
		netioP50, netioP99, vegetaP50, vegetaP99, ms(injected[len(injected)/2]), ms(injected[len(injected)*99/100]))
	for _, c := range []struct {
		name        string
		netio, peer float64
	}{{"p50", netioP50, vegetaP50}, {"p99", netioP99, vegetaP99}} {
		if math.Abs(c.netio-c.peer) > 0.10*c.peer {
			t.Errorf("%s: netio %.2f ms, vegeta %.2f ms; want them within 10 %%", c.name, c.netio, c.peer)
		}
	}
}

// countedPacer is vegeta's constant pacer, stopped after n hits: an
// exact number of requests, as netio's open mode makes.
type countedPacer struct {
	vegeta.ConstantPacer
	n uint64
}

func (p countedPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.n {
		return 0, true
	}
	return p.ConstantPacer.Pace(elapsed, hits)
}

// startLognormal starts `netio serve` in a process of its own with a
// lognormal delay: median 20 ms, p99 100 ms.
func startLognormal(t *testing.T, seed string) *serverproc.Proc {
	t.Helper()
	proc, err := serverproc.Start(netioCommand(t, nil, "serve", "--addr", "127.0.0.1:0", "--seed", seed,
		"--dist", "lognormal", "--latency", "20ms", "--p99", "100ms", "--stop-on-stdin-eof"))
	if err != nil {
		t.Fatal(err)
	}
	return proc
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
