// Package benchutil holds the small helpers the measuring tools under
// internal/cmd share: finding a free port, waiting for a server to listen,
// running a peer and reading its report, and medians of rounds.
package benchutil

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/netio-lab/netio/strategies"
)

// FreeAddr returns a loopback address with a port nothing listens on now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// WaitListening waits up to five seconds for something to accept
// connections on addr.
func WaitListening(addr string) error {
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("nothing listening on %s after 5 s", addr)
}

// Find returns the first submatch of pattern in s, or "".
func Find(s, pattern string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

// Cost is what a finished command used: CPU time, user and system, and
// context switches, voluntary and involuntary.
type Cost struct {
	CPU time.Duration
	// CtxSwMeasured says whether CtxSw was read from the OS: the rusage of
	// a child has it on Linux and macOS, Windows counts no context switches
	// per process. Where it is false CtxSw is 0 and means nothing: show
	// "n/a".
	CtxSwMeasured bool
	CtxSw         int64
}

// Run runs a command to its end and returns its output (stdout and stderr)
// and what it cost.
func Run(name string, args ...string) (out string, cost Cost, err error) {
	cmd := exec.Command(name, args...)
	b, err := cmd.CombinedOutput()
	if err != nil {
		return string(b), Cost{}, fmt.Errorf("%s: %w", name, err)
	}
	st := cmd.ProcessState
	cost.CPU = st.UserTime() + st.SystemTime()
	cost.CtxSw, cost.CtxSwMeasured = ctxSwitches(st) // cost_unix.go, cost_windows.go
	return string(b), cost, nil
}

// Wrk is what the tools read of wrk's report.
type Wrk struct {
	RPS          float64
	Requests     int
	SocketErrors string  // "" when wrk reports none
	Non2xx       int     // non-2xx or 3xx responses
	P50, P99     float64 // ms, with --latency
}

// ParseWrk reads wrk's report.
func ParseWrk(out string) Wrk {
	var w Wrk
	w.RPS, _ = strconv.ParseFloat(Find(out, `Requests/sec:\s+([\d.]+)`), 64)
	w.Requests, _ = strconv.Atoi(Find(out, `(\d+) requests in`))
	w.SocketErrors = Find(out, `Socket errors: (.*)`)
	w.Non2xx, _ = strconv.Atoi(Find(out, `Non-2xx or 3xx responses: (\d+)`))
	w.P50 = millis(Find(out, `\s50%\s+(\S+)`))
	w.P99 = millis(Find(out, `\s99%\s+(\S+)`))
	return w
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

// MedianBy returns the middle element of xs (the upper one of an even
// count) in the order of key. xs is not changed.
func MedianBy[T any](xs []T, key func(T) float64) T {
	s := slices.Clone(xs)
	slices.SortFunc(s, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return s[len(s)/2]
}

// Ints truncates each figure, for printing the rounds of a measurement.
func Ints(xs []float64) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x)
	}
	return out
}

// FetchCounting runs one batch with f and returns how many of its requests
// failed, and Fetch's own error. done runs on many goroutines at once in
// most strategies: the count is atomic.
func FetchCounting(f strategies.Fetcher, jobs strategies.Jobs) (failed int, err error) {
	var n atomic.Int64
	err = f.Fetch(context.Background(), jobs, func(r strategies.Result) {
		if !r.OK() {
			n.Add(1)
		}
	})
	return int(n.Load()), err
}
