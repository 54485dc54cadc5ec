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
	"strconv"
	"strings"
	"time"

	"github.com/netio-lab/netio/internal/benchutil"
	"github.com/netio-lab/netio/internal/serverproc"
)

func main() {
	netio := flag.String("netio", "bin/netio", "netio binary")
	hello := flag.String("hello", "bin/hellohttp", "hellohttp binary")
	duration := flag.Duration("d", 5*time.Second, "length of each throughput run")
	rounds := flag.Int("rounds", 3, "alternated throughput rounds")
	flag.StringVar(&engine, "engine", "", "the mock server's --engine (epoll or goroutines; empty: its default)")
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
	proc *serverproc.Proc
	addr string
}

// engine is --engine, which startServer passes on to netio serve.
var engine string

// startServer runs bin on a free loopback port; like netio serve, it must
// print its http:// URL.
func startServer(bin string, args ...string) *server {
	args = append(args, "--addr", "127.0.0.1:0")
	if engine != "" && args[0] == "serve" {
		args = append(args, "--engine", engine)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	proc, err := serverproc.Start(cmd)
	if err != nil {
		log.Fatal("servebench: ", err)
	}
	return &server{cmd, proc, strings.TrimPrefix(proc.URL, "http://")}
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

// stop interrupts the server and waits for it; how it exited does not
// matter here.
func (s *server) stop() { s.proc.Close() }

func wrk(args ...string) benchutil.Wrk {
	out, _, err := benchutil.Run("wrk", args...)
	if err != nil {
		log.Fatalf("servebench: %v\n%s", err, out)
	}
	return benchutil.ParseWrk(out)
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func median(xs []float64) float64 {
	return benchutil.MedianBy(xs, func(x float64) float64 { return x })
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
		ours = append(ours, wrk("-t2", "-c64", "-d"+dur, "http://"+mock.addr+page).RPS)
		theirs = append(theirs, wrk("-t2", "-c64", "-d"+dur, "http://"+plain.addr+"/").RPS)
	}
	ratio := median(ours) / median(theirs)
	fmt.Printf("1. throughput, no delay, wrk -t2 -c64, alternated, median of %d\n", rounds)
	fmt.Printf("   netio serve     %8.0f req/s  %v\n", median(ours), benchutil.Ints(ours))
	fmt.Printf("   net/http hello  %8.0f req/s  %v\n", median(theirs), benchutil.Ints(theirs))
	fmt.Printf("   ratio %.2f (target >= 1.00)  %s\n\n", ratio, verdict(ratio >= 1))
}

func tenThousand(netio string) {
	mock := startServer(netio, "serve", "--latency", "1s", "--max-conns", "16384")
	defer mock.stop()
	r := wrk("-t2", "-c10000", "-d6s", "--timeout", "5s", "http://"+mock.addr+page)
	rss := mock.peakRSS()
	ok := r.SocketErrors == "" && r.Non2xx == 0 && r.Requests >= 40000
	fmt.Printf("2. 10,000 connections, 1 s delay each, wrk -t2 -c10000 -d6s\n")
	fmt.Printf("   %d requests (each connection completes one a second; wrk does not count those cut off at the end), socket errors: %s, non-2xx: %d  %s\n",
		r.Requests, orNone(r.SocketErrors), r.Non2xx, verdict(ok))
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
	fmt.Printf("   p50 %.2f ms (target 49.5-53)  %s\n", r.P50, verdict(r.P50 >= 49.5 && r.P50 <= 53))
	fmt.Printf("   p99 %.2f ms (target <= 75)    %s\n", r.P99, verdict(r.P99 > 0 && r.P99 <= 75))
}
