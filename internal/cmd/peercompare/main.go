// Command peercompare measures the event-loop strategies against peers none
// of us wrote, in the same minute, against the same server:
//
//  1. zero latency, keep-alive, 64 connections, against nginx (two workers,
//     nothing pinned, serving a station page): epoll and gnet against
//     `wrk -t1 -c64`, fasthttp against `bombardier -c 64`; requests per
//     second and client CPU per request (user+sys, getrusage), alternated,
//     median of the rounds;
//  2. N=10,000 at 50 ms fixed latency, C=1,000, against `netio serve` in its
//     own process: wall time over the ideal ⌈N/C⌉·50 ms, cold (connections
//     opened inside the run) and warm (the second batch).
//
// Every client runs in a fresh process for each round: the peers as
// themselves, each strategy as `netio bench-child`, through the runner
// netio bench uses (internal/bench: a fresh process, a cold pass, then the
// measured passes). The servers are child processes too. `make
// peer-compare` runs it.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/internal/benchutil"
	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
)

func main() {
	netio := flag.String("netio", "bin/netio", "netio binary, for the mock server and the strategies' bench children")
	bombardier := flag.String("bombardier", "bombardier", "bombardier binary")
	rounds := flag.Int("rounds", 5, "alternated rounds in part 1, warm passes in part 2 (medians of them)")
	d := flag.Duration("d", 5*time.Second, "length of each peer's throughput run")
	n := flag.Int("n", 400_000, "requests of each strategy's throughput pass (about -d at 80–100k req/s)")
	part := flag.String("part", "all", "what to run: throughput, latency or all")
	target := flag.String("url", "", "part 1 against this page of a server already running, instead of starting nginx")
	loops := flag.Int("gnet-loops", 1, "event loops of the gnet strategy (strategies.Config.Loops)")
	engine := flag.String("engine", "", "part 2: the mock server's --engine (epoll or goroutines; empty: its default)")
	only := flag.String("only", "", "comma-separated clients to run in part 1 (wrk, epoll, gnet, bombardier, fasthttp, uring); all when empty")
	flag.Parse()
	log.SetFlags(0)
	children = childRunner{netio: *netio, loops: *loops}
	for _, tool := range []string{"wrk", "nginx", *bombardier} {
		if _, err := exec.LookPath(tool); err != nil {
			log.Fatalf("peercompare: %s not found (apt-get install wrk nginx-light; go install github.com/codesenberg/bombardier@v1.2.6)", tool)
		}
	}
	fmt.Printf("peercompare: %s, GOMAXPROCS %d\n\n", time.Now().UTC().Format(time.RFC3339), runtime.GOMAXPROCS(0))
	if *part == "all" || *part == "throughput" {
		throughput(*bombardier, *rounds, *d, *n, *only, *target)
	}
	if *part == "all" || *part == "latency" {
		latency(*netio, *rounds, *engine)
	}
}

// children runs the strategies' bench children.
var children childRunner

// run is one measured run: requests per second, and CPU time and context
// switches per request. CtxSwMeasured is false where the system counts no
// context switches per process (Windows): CtxSw is then 0 and shows "n/a".
type run struct {
	RPS, CPUus, CtxSw float64
	CtxSwMeasured     bool
}

// perRequest turns a run's totals into a run.
func perRequest(requests int, elapsed time.Duration, cost benchutil.Cost) run {
	n := float64(requests)
	return run{n / elapsed.Seconds(), float64(cost.CPU.Microseconds()) / n, float64(cost.CtxSw) / n, cost.CtxSwMeasured}
}

// ctxSwCell is a run's context switches per request for the table, "n/a"
// where they were not measured.
func (r run) ctxSwCell() string {
	if !r.CtxSwMeasured {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", r.CtxSw)
}

// client is one contender of part 1; key is its name for --only.
type client struct {
	key, name string
	run       func() run
}

func throughput(bombardier string, rounds int, d time.Duration, n int, only, url string) {
	if url == "" {
		var stop func()
		url, stop = startNginx()
		defer stop()
	}
	clients := pick([]client{
		{"wrk", "wrk -t1 -c64", func() run { return wrk(url, d) }},
		{"epoll", "epoll c=64", func() run { return children.throughput("epoll", url, n) }},
		{"gnet", "gnet c=64", func() run { return children.throughput("gnet", url, n) }},
		{"bombardier", "bombardier -c 64", func() run { return bomb(bombardier, url, d) }},
		{"fasthttp", "fasthttp c=64", func() run { return children.throughput("fasthttp", url, n) }},
		{"uring", "uring c=64", func() run { return children.throughput("uring", url, n) }},
	}, only)
	results := make([][]run, len(clients))
	for range rounds {
		for i, c := range clients {
			results[i] = append(results[i], c.run())
		}
	}
	med := map[string]run{}
	fmt.Printf("1. zero latency, keep-alive, 64 connections, nginx (2 workers), median of %d alternated rounds\n", rounds)
	fmt.Printf("   %-18s %10s %12s %10s   %s\n", "client", "req/s", "cpu µs/req", "ctxsw/req", "rounds (req/s)")
	for i, c := range clients {
		m := median(results[i])
		med[c.key] = m
		fmt.Printf("   %-18s %10.0f %12.1f %10s   %v\n", c.name, m.RPS, m.CPUus, m.ctxSwCell(), rpsOf(results[i]))
	}
	for _, p := range []struct {
		a, b     string
		rps, cpu float64 // the targets: at least rps× b's requests a second, at most cpu× its CPU per request
	}{{"epoll", "wrk", 1, 1}, {"gnet", "wrk", 1, 1}, {"fasthttp", "bombardier", 1, 1}, {"uring", "wrk", 1.2, 0.7}} {
		a, okA := med[p.a]
		b, okB := med[p.b]
		if okA && okB {
			fmt.Printf("   %-24s %.2f× req/s, %.2f× CPU/req (targets ≥ %.2f×, ≤ %.2f×)\n",
				p.a+" vs "+p.b+":", a.RPS/b.RPS, a.CPUus/b.CPUus, p.rps, p.cpu)
		}
	}
	fmt.Println()
}

// pick keeps the clients named in only (comma-separated), or all of them.
func pick(all []client, only string) []client {
	if only == "" {
		return all
	}
	var kept []client
	for _, key := range strings.Split(only, ",") {
		i := slices.IndexFunc(all, func(c client) bool { return c.key == key })
		if i < 0 {
			log.Fatalf("peercompare: --only: unknown client %q", key)
		}
		kept = append(kept, all[i])
	}
	return kept
}

func rpsOf(rs []run) []int {
	rps := make([]float64, len(rs))
	for i, r := range rs {
		rps[i] = r.RPS
	}
	return benchutil.Ints(rps)
}

// median takes the median of each figure on its own: the round with the
// median rate need not be the one with the median CPU. The context
// switches are measured if every round measured them.
func median(rs []run) run {
	of := func(f func(run) float64) float64 { return f(benchutil.MedianBy(rs, f)) }
	return run{
		RPS:           of(func(r run) float64 { return r.RPS }),
		CPUus:         of(func(r run) float64 { return r.CPUus }),
		CtxSw:         of(func(r run) float64 { return r.CtxSw }),
		CtxSwMeasured: !slices.ContainsFunc(rs, func(r run) bool { return !r.CtxSwMeasured }),
	}
}

// startNginx serves one station page from a temporary folder with two
// worker processes, and returns its URL.
//
// The listener has reuseport, so the kernel spreads the 64 connections
// between the workers by a hash of their addresses (about 32 each). Without
// it, whichever worker wakes first accepts them, and the split changed from
// run to run, 32/32 to 56/8, moving wrk from 75k to 96k requests a second
// (measured): the peers' medians then compared luck, not clients.
func startNginx() (string, func()) {
	dir, err := os.MkdirTemp("", "netio-nginx")
	must(err)
	os.Chmod(dir, 0o755)
	page := stationPage()
	must(os.MkdirAll(filepath.Join(dir, "www/weather/current"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "www/weather/current/KNYC.html"), page, 0o644))
	addr, err := benchutil.FreeAddr()
	must(err)
	conf := fmt.Sprintf(`worker_processes 2;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path %[1]s; proxy_temp_path %[1]s; fastcgi_temp_path %[1]s; uwsgi_temp_path %[1]s; scgi_temp_path %[1]s;
  server { listen %[2]s reuseport; root %[1]s/www; }
}
`, dir, addr)
	must(os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644))
	cmd := exec.Command("nginx", "-c", filepath.Join(dir, "nginx.conf"), "-p", dir)
	cmd.Stderr = os.Stderr
	must(cmd.Start())
	must(benchutil.WaitListening(addr))
	return "http://" + addr + "/weather/current/KNYC.html", func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		cmd.Wait()
		os.RemoveAll(dir)
	}
}

// stationPage renders the KNYC page the way the mock server serves it.
func stationPage() []byte {
	srv, err := mockserver.Start(mockserver.Config{Seed: 1})
	must(err)
	defer srv.Close()
	resp, err := http.Get(srv.PageURL("KNYC"))
	must(err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(err)
	return b
}

// runPeer runs a peer to its end and returns its output and cost.
func runPeer(name string, args ...string) (string, benchutil.Cost) {
	out, cost, err := benchutil.Run(name, args...)
	if err != nil {
		log.Fatalf("peercompare: %v\n%s", err, out)
	}
	return out, cost
}

func wrk(url string, d time.Duration) run {
	out, cost := runPeer("wrk", "-t1", "-c64", fmt.Sprintf("-d%ds", int(d.Seconds())), url)
	w := benchutil.ParseWrk(out)
	r := perRequest(w.Requests, d, cost)
	r.RPS = w.RPS // wrk's own clock
	return r
}

func bomb(bin, url string, d time.Duration) run {
	out, cost := runPeer(bin, "-c", "64", "-d", d.String(), "-p", "r", "-o", "j", url)
	var res struct {
		Result struct {
			Req2xx int64 `json:"req2xx"`
			RPS    struct {
				Mean float64 `json:"mean"`
			} `json:"rps"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out[max(strings.IndexByte(out, '{'), 0):]), &res); err != nil {
		log.Fatalf("peercompare: bombardier output: %v\n%s", err, out)
	}
	r := perRequest(int(res.Result.Req2xx), d, cost)
	r.RPS = res.Result.RPS.Mean // bombardier's own clock
	return r
}

// childRunner runs one strategy's measurement in a fresh `netio
// bench-child`, as netio bench does.
type childRunner struct {
	netio string
	loops int // --gnet-loops
}

// measure runs spec and returns its measured passes; a failed child ends
// the comparison.
func (c childRunner) measure(spec bench.Spec) []results.Run {
	spec.Loops, spec.Timeout = c.loops, cmp.Or(spec.Timeout, 30*time.Second)
	runner := bench.Runner{Command: func(ctx context.Context) *exec.Cmd { return exec.CommandContext(ctx, c.netio, "bench-child") }}
	runs, failure, err := runner.Run(context.Background(), spec)
	switch {
	case err != nil:
		log.Fatalf("peercompare: %s: %v", spec.Label(), err)
	case failure != nil:
		log.Fatalf("peercompare: %s: %s\n%s", spec.Label(), failure.Error, failure.Stderr)
	}
	return runs
}

// throughput is one strategy's zero-latency run at 64 in flight: a cold
// pass of n requests (connections opened), then one measured pass of n,
// whose requests per second and CPU per request (user+sys, getrusage,
// the child's own) are the figures. A peer runs without pause; a pass
// starts with 64 requests at once and ends draining its window, so passes
// are long (n is 400,000 by default, 4–5 s) to keep those edges under a
// thousandth of the time.
func (c childRunner) throughput(name, url string, n int) run {
	r := c.measure(bench.Spec{Strategy: name, Mode: results.ModeClosed, N: n, Concurrency: 64, Count: 1,
		Pages: []string{url}, LatencyModel: "unknown", FixedLatency: -1})[0]
	if r.Failed > 0 {
		log.Fatalf("peercompare: %s: %d of %d requests failed: %v", name, r.Failed, r.N, r.Errors)
	}
	return run{RPS: r.ThroughputRPS, CPUus: r.CPUMicrosPerReq, CtxSw: r.CtxSwPerReq, CtxSwMeasured: !r.CtxSwNotMeasured}
}

// The large run: N pages at 50 ms, C at once, from a mock server with
// this seed (the ground truth every answer is checked against).
const (
	largeN, largeC = 10000, 1000
	largeLatency   = 50 * time.Millisecond
	serverSeed     = 1
)

// passes is one strategy's large run: wall time over the ideal, for the
// cold pass and each warm one.
type passes struct {
	Cold   float64
	Warm   []float64
	Failed int
}

func latency(netio string, rounds int, engine string) {
	args := []string{"serve", "--addr", "127.0.0.1:0", "--seed", strconv.Itoa(serverSeed), "--latency", largeLatency.String()}
	if engine != "" {
		args = append(args, "--engine", engine)
	}
	srv, err := serverproc.Start(exec.Command(netio, args...))
	must(err)
	defer srv.Close()
	ideal := time.Duration((largeN+largeC-1)/largeC) * largeLatency
	fmt.Printf("2. N=%d, 50 ms fixed latency, C=%d, netio serve in its own process: wall / ideal (%v);\n", largeN, largeC, ideal)
	fmt.Printf("   each strategy in a fresh process: a cold pass (connections opened in it), then the median of %d warm passes\n", rounds)
	fmt.Printf("   %-12s %8s %8s   %s\n", "strategy", "cold×", "warm×", "warm passes ×")
	for _, name := range []string{"epoll", "gnet", "uring", "fasthttp", "pool", "errgroup", "perrequest"} {
		p := children.largeRun(name, srv.URL, rounds)
		warm := benchutil.MedianBy(p.Warm, func(x float64) float64 { return x })
		verdict := "PASS"
		switch {
		case name == "perrequest":
			verdict = "n/a: unbounded, it ignores C"
		case warm > 1.10 || p.Failed > 0:
			verdict = "FAIL"
		}
		fmt.Printf("   %-12s %8.3f %8.3f   %s  %s (target warm ≤ 1.100; failed %d)\n", name, p.Cold, warm, ratios(p.Warm), verdict, p.Failed)
	}
}

// largeRun is one strategy's large run against the mock server at base:
// a cold pass, then rounds warm ones, each as wall time over the ideal
// (the inverse of netio bench's efficiency).
func (c childRunner) largeRun(name, base string, rounds int) passes {
	var pages []string
	for _, st := range mockserver.Stations() {
		pages = append(pages, mockserver.PageURL(base, st.ICAO, mockserver.Overrides{}))
	}
	runs := c.measure(bench.Spec{Strategy: name, Mode: results.ModeClosed, N: largeN, Concurrency: largeC, Count: rounds,
		Pages: pages, Seed: serverSeed, Truth: true, LatencyModel: "fixed:" + largeLatency.String(), FixedLatency: largeLatency})
	p := passes{Cold: 1 / *runs[0].EfficiencyCold}
	for _, r := range runs {
		p.Warm = append(p.Warm, 1 / *r.Efficiency)
		p.Failed += r.Failed // the cold pass's are not reported
	}
	return p
}

// ratios prints ratios as [1.081 1.112 1.094].
func ratios(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.3f", x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func must(err error) {
	if err != nil {
		log.Fatal("peercompare: ", err)
	}
}
