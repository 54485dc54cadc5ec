// Command servebench measures the mock server against its capacity and
// accuracy targets with wrk, a client none of us wrote, and prints the
// figures with the targets beside them. `make serve-bench` runs it.
//
//  1. throughput with no delay: netio serve vs a plain net/http server
//     (internal/cmd/hellohttp), wrk -t2 -c64, alternated, median of 3;
//  2. 10,000 connections each held by a 1 s delay: wrk -t2 -c10000,
//     socket errors, and the server's peak RSS (VmHWM);
//  3. injected-latency accuracy: 50 ms fixed, wrk -t2 -c1000 --latency.
//
// Each server runs in its own process, so that RSS and CPU are its own.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netio-lab/netio/internal/benchutil"
)

func main() {
	netio := flag.String("netio", "bin/netio", "netio binary")
	hello := flag.String("hello", "bin/hellohttp", "hellohttp binary")
	duration := flag.Duration("d", 5*time.Second, "length of each throughput run")
	rounds := flag.Int("rounds", 3, "alternated throughput rounds")
	flag.Parse()
	log.SetFlags(0)
	if _, err := exec.LookPath("wrk"); err != nil {
		log.Fatal("servebench: wrk is not installed (apt-get install wrk)")
	}
	fmt.Printf("servebench: %d cores, %s\n\n", runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))
	throughput(*netio, *hello, *duration, *rounds)
	tenThousand(*netio)
	accuracy(*netio)
}

// server is a child process serving on a free loopback port.
type server struct {
	cmd  *exec.Cmd
	addr string
}

func startServer(bin string, args ...string) *server {
	addr, err := benchutil.FreeAddr()
	if err != nil {
		log.Fatal("servebench: ", err)
	}
	cmd := exec.Command(bin, append(args, "--addr", addr)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatalf("servebench: start %s: %v", bin, err)
	}
	if err := benchutil.WaitListening(addr); err != nil {
		log.Fatalf("servebench: %s: %v", bin, err)
	}
	return &server{cmd, addr}
}

// peakRSS is the process's high-water resident set size, in MB.
func (s *server) peakRSS() float64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(data)
	if m == nil {
		return 0
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return float64(kb) / 1024
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
}

// wrkResult is what servebench reads of wrk's report.
type wrkResult struct {
	rps          float64
	requests     int
	socketErrors string
	non2xx       int
	p50, p99     float64 // ms, with --latency
	out          string
}

func wrk(args ...string) wrkResult {
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		log.Fatalf("servebench: wrk %v: %v\n%s", args, err, out)
	}
	s := string(out)
	r := wrkResult{out: s}
	r.rps, _ = strconv.ParseFloat(benchutil.Find(s, `Requests/sec:\s+([\d.]+)`), 64)
	r.requests, _ = strconv.Atoi(benchutil.Find(s, `(\d+) requests in`))
	r.socketErrors = benchutil.Find(s, `Socket errors: (.*)`)
	r.non2xx, _ = strconv.Atoi(benchutil.Find(s, `Non-2xx or 3xx responses: (\d+)`))
	r.p50 = millis(benchutil.Find(s, `\s50%\s+(\S+)`))
	r.p99 = millis(benchutil.Find(s, `\s99%\s+(\S+)`))
	return r
}

// millis reads wrk's "51.27ms", "1.05s" or "950.00us".
func millis(v string) float64 {
	for _, u := range []struct {
		suffix string
		scale  float64
	}{{"ms", 1}, {"us", 0.001}, {"s", 1000}, {"m", 60000}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			f, _ := strconv.ParseFloat(n, 64)
			return f * u.scale
		}
	}
	return 0
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

const page = "/weather/current/KNYC.html"

func throughput(netio, hello string, d time.Duration, rounds int) {
	mock := startServer(netio, "serve")
	defer mock.stop()
	plain := startServer(hello)
	defer plain.stop()
	dur := fmt.Sprintf("%ds", int(d.Seconds()))
	var ours, theirs []float64
	for range rounds {
		ours = append(ours, wrk("-t2", "-c64", "-d"+dur, "http://"+mock.addr+page).rps)
		theirs = append(theirs, wrk("-t2", "-c64", "-d"+dur, "http://"+plain.addr+"/").rps)
	}
	ratio := median(ours) / median(theirs)
	fmt.Printf("1. throughput, no delay, wrk -t2 -c64, alternated, median of %d\n", rounds)
	fmt.Printf("   netio serve     %8.0f req/s  %v\n", median(ours), rounded(ours))
	fmt.Printf("   net/http hello  %8.0f req/s  %v\n", median(theirs), rounded(theirs))
	fmt.Printf("   ratio %.2f (target >= 1.00)  %s\n\n", ratio, verdict(ratio >= 1))
}

func rounded(xs []float64) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x)
	}
	return out
}

func tenThousand(netio string) {
	mock := startServer(netio, "serve", "--latency", "1s", "--max-conns", "16384")
	defer mock.stop()
	r := wrk("-t2", "-c10000", "-d6s", "--timeout", "5s", "http://"+mock.addr+page)
	rss := mock.peakRSS()
	ok := r.socketErrors == "" && r.non2xx == 0 && r.requests >= 40000
	fmt.Printf("2. 10,000 connections, 1 s delay each, wrk -t2 -c10000 -d6s\n")
	fmt.Printf("   %d requests (each connection completes one a second; wrk does not count those cut off at the end), socket errors: %s, non-2xx: %d  %s\n",
		r.requests, orNone(r.socketErrors), r.non2xx, verdict(ok))
	fmt.Printf("   server peak RSS %.0f MB (target < 200 MB)  %s\n\n", rss, verdict(rss > 0 && rss < 200))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func accuracy(netio string) {
	mock := startServer(netio, "serve", "--latency", "50ms")
	defer mock.stop()
	r := wrk("-t2", "-c1000", "-d10s", "--latency", "http://"+mock.addr+page)
	fmt.Printf("3. latency accuracy, 50 ms fixed, wrk -t2 -c1000 -d10s --latency\n")
	fmt.Printf("   p50 %.2f ms (target 49.5-53)  %s\n", r.p50, verdict(r.p50 >= 49.5 && r.p50 <= 53))
	fmt.Printf("   p99 %.2f ms (target <= 75)    %s\n", r.p99, verdict(r.p99 > 0 && r.p99 <= 75))
}
