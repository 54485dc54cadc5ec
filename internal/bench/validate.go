package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
	"github.com/netio-lab/netio/strategies"
)

// Flags are `netio bench`'s command line, parsed but not yet checked: the
// plan's settings as the flags give them (lists where a sweep is allowed,
// Segment and StartAt as typed), and Given, the names of the flags given
// on the command line, for the settings whose default means something.
// Check checks them all before anything starts and makes the Plan.
type Flags struct {
	Strategy    string // "all", or names separated by commas
	N           []int
	Concurrency []int
	GOMAXPROCS  []int
	Latency     []time.Duration
	Dist        string
	Jitter      time.Duration
	P99         time.Duration
	Slow        time.Duration
	SlowShare   float64
	HedgeAfter  time.Duration
	Segment     string // "I/N", or empty for the whole run
	StartAt     string // an RFC 3339 time, or empty
	Mode        string
	Rate        []float64
	Duration    time.Duration
	Count       int
	Timeout     time.Duration
	Seed        int64
	Target      string
	URLs        []string
	URLsFile    string // a file of URLs, one per line ("#" begins a comment)
	// JSON is the file run.json is copied to ("-": standard output), which
	// must be writable before a run is spent on it.
	JSON          string
	CPUProfileDir string
	Given         map[string]bool // by flag name, without dashes: "latency"
}

// FlagError is a mistake on the command line, found before anything
// started: the command exits with its usage status. Msg is the message
// alone, for the command to put its name before.
type FlagError struct{ Msg string }

func (e *FlagError) Error() string { return "bench: " + e.Msg }

func flagErrorf(format string, args ...any) error {
	return &FlagError{fmt.Sprintf(format, args...)}
}

// delayFlagNames are the flags that set the delay the bench asks of the
// server; given with --target, they override its own model.
var delayFlagNames = []string{"latency", "dist", "jitter", "p99", "slow", "slow-share"}

// Check checks every flag before anything starts, and makes the plan.
// leftOut says, a line each, which strategies "all" left out because this
// system cannot run them. Its errors are *FlagError.
//
// With a Target and no delay flag, the plan asks for no delay: the
// server's own model applies (Plan.TargetModel). Any delay flag given with
// a Target overrides that model for every page, --latency's default
// included.
func (f Flags) Check() (p Plan, leftOut []string, err error) {
	infos, leftOut, err := f.validate()
	if err != nil {
		return Plan{}, nil, err
	}
	urls, err := f.pageURLs()
	if err != nil {
		return Plan{}, nil, err
	}
	p = Plan{
		Mode: f.Mode, N: f.N, Concurrency: f.Concurrency, GOMAXPROCS: f.GOMAXPROCS, Rate: f.Rate, Duration: f.Duration,
		Count: f.Count, Timeout: f.Timeout, Seed: f.Seed, Target: f.Target, URLs: urls, CPUProfileDir: f.CPUProfileDir,
		Latency: f.Latency, Dist: f.Dist, Jitter: f.Jitter, P99: f.P99, Slow: f.Slow, SlowShare: f.SlowShare,
		HedgeAfter: f.HedgeAfter,
	}
	p.Segment, _ = parseSegment(f.Segment) // checked by validate
	p.StartAt, _ = parseStartAt(f.StartAt)
	for _, info := range infos {
		p.Strategies = append(p.Strategies, info.Name)
	}
	if f.Target != "" {
		p.DelayFlags = f.delayFlags()
		if len(p.DelayFlags) == 0 {
			p.Latency = nil // the server's own model
		}
	}
	return p, leftOut, nil
}

// delayFlags are the delay flags given, as typed: "--latency".
func (f Flags) delayFlags() []string {
	var given []string
	for _, name := range delayFlagNames {
		if f.Given[name] {
			given = append(given, "--"+name)
		}
	}
	return given
}

// validate checks every flag but the URLs', and returns the strategies to
// measure in teaching order.
func (f Flags) validate() (infos []strategies.Info, leftOut []string, err error) {
	infos, leftOut, err = f.strategies()
	if err != nil {
		return nil, nil, err
	}
	given := f.Given
	checks := []struct {
		bad bool
		msg string
	}{
		{slices.ContainsFunc(f.N, func(n int) bool { return n <= 0 }), "--n must be at least 1"},
		{slices.ContainsFunc(f.Concurrency, func(c int) bool { return c <= 0 }), "--concurrency must be at least 1"},
		{slices.ContainsFunc(f.GOMAXPROCS, func(p int) bool { return p <= 0 }), "--gomaxprocs must be at least 1"},
		{f.Count <= 0, "--count must be at least 1"},
		{f.Timeout <= 0, "--timeout must be positive"},
		{f.HedgeAfter < 0, "--hedge-after must not be negative"},
		{f.HedgeAfter > 0 && f.HedgeAfter >= f.Timeout, fmt.Sprintf("--hedge-after (%v) must be shorter than --timeout (%v)", f.HedgeAfter, f.Timeout)},
		{f.Mode != results.ModeClosed && f.Mode != results.ModeOpen, fmt.Sprintf("--mode must be closed or open, got %q", f.Mode)},
		{given["rate"] && f.Mode != results.ModeOpen, "--rate needs --mode open"},
		{given["duration"] && f.Mode != results.ModeOpen, "--duration needs --mode open"},
		{f.Mode == results.ModeOpen && len(f.Rate) == 0, "--mode open needs --rate"},
		{slices.ContainsFunc(f.Rate, func(r float64) bool { return !(r > 0) || math.IsInf(r, 0) }), "--rate must be a positive number"},
		{f.Mode == results.ModeOpen && f.Duration <= 0, "--duration must be positive"},
		{f.Mode == results.ModeOpen && slices.ContainsFunc(f.Rate, func(r float64) bool { return r*f.Duration.Seconds() > maxOpenRequests }),
			fmt.Sprintf("--rate × --duration makes more than %d requests a pass: lower one of them", maxOpenRequests)},
		{f.Mode == results.ModeOpen && slices.ContainsFunc(f.Rate, func(r float64) bool { return harness.Open{Rate: r, Duration: f.Duration}.Count() == 0 }),
			"--rate × --duration makes no request: raise one of them"},
		{hasDuplicate(f.N) || hasDuplicate(f.Concurrency) || hasDuplicate(f.GOMAXPROCS) || hasDuplicate(f.Latency) || hasDuplicate(f.Rate), "a list (--n, --concurrency, --gomaxprocs, --latency, --rate) names a value twice"},
		{given["n"] && f.Mode == results.ModeOpen, "--n is for --mode closed: an open run makes rate × duration requests"},
		{f.Target != "" && f.fetchesURLs(), "--target and --url/--urls exclude each other"},
		{f.fetchesURLs() && (given["latency"] || given["dist"]), "--latency and --dist need the mock server: not with --url"},
		{(given["slow"] || given["slow-share"]) && f.Dist != "two-level", "--slow and --slow-share are for --dist two-level"},
	}
	for _, c := range checks {
		if c.bad {
			return nil, nil, flagErrorf("%s", c.msg)
		}
	}
	if err := f.validateSplit(len(infos)); err != nil {
		return nil, nil, err
	}
	if f.HedgeAfter > 0 {
		if cannot := notHedging(infos); len(cannot) > 0 {
			return nil, nil, flagErrorf("--hedge-after: %s cannot hedge (those that can: %s)", strings.Join(cannot, ", "), strings.Join(HedgingStrategies(), ", "))
		}
	}
	delay := Plan{Dist: f.Dist, Jitter: f.Jitter, P99: f.P99, Slow: f.Slow, SlowShare: f.SlowShare}.Delay
	for _, l := range f.Latency {
		m := mockserver.Model{Delay: delay(l)}
		if err := m.Validate(); err != nil {
			return nil, nil, flagErrorf("%v", FlagNamed(err))
		}
		if l > mockserver.DefaultMaxDelay {
			return nil, nil, flagErrorf("--latency must be at most %v, got %v", mockserver.DefaultMaxDelay, l)
		}
	}
	if f.Target != "" {
		if _, err := CheckURL(f.Target); err != nil {
			return nil, nil, flagErrorf("--target: %v", err)
		}
	}
	if f.JSON != "" && f.JSON != "-" {
		if err := results.CheckWritable(f.JSON); err != nil {
			return nil, nil, flagErrorf("--json %s: %v", f.JSON, strings.TrimPrefix(err.Error(), "results: "))
		}
	}
	return infos, leftOut, nil
}

// validateSplit checks --segment and --start-at: a share that exists and
// gets at least one request and one connection, a time that is readable
// and not so far gone that the whole run would be late, and one point
// (strategies × values of the swept settings) to start at it.
func (f Flags) validateSplit(strategyCount int) error {
	seg, err := parseSegment(f.Segment)
	if err != nil {
		return flagErrorf("--segment %s: %v", f.Segment, err)
	}
	counts := f.N
	if f.Mode == results.ModeOpen {
		counts = nil
		for _, r := range f.Rate {
			counts = append(counts, harness.Open{Rate: r, Duration: f.Duration}.Count())
		}
	}
	// Every share, not only this one, must get a connection and a request:
	// the other shares are this command on other machines.
	switch {
	case f.Segment != "" && f.Target == "" && !f.fetchesURLs():
		return flagErrorf("--segment needs --target (or --url): every share must measure the one server")
	case !seg.Whole() && slices.ContainsFunc(f.Concurrency, func(c int) bool { return c < seg.Of }):
		return flagErrorf("--segment %s: --concurrency must be at least %d, a connection for each share", f.Segment, seg.Of)
	case !seg.Whole() && slices.ContainsFunc(counts, func(n int) bool { return n < seg.Of }):
		return flagErrorf("--segment %s: each share needs a request: a pass of at least %d", f.Segment, seg.Of)
	}
	if f.StartAt == "" {
		return nil
	}
	at, err := parseStartAt(f.StartAt)
	if err != nil {
		return flagErrorf("--start-at %s: want an RFC 3339 time, such as 2026-12-04T12:00:00Z", f.StartAt)
	}
	if f.Mode == results.ModeClosed && f.Count > 1 {
		return flagErrorf("--start-at in closed mode takes --count 1: closed passes last as long as they take, so later ones would drift apart between machines (open mode keeps a timetable)")
	}
	if points := strategyCount * len(f.Latency) * len(f.Concurrency) * max(1, len(f.GOMAXPROCS)) * len(counts); points != 1 {
		return flagErrorf("--start-at runs one point (one strategy, one value of each setting); this bench has %d", points)
	}
	// How far in the past the time may be: an open run's whole timetable,
	// or, closed, a minute of clocks that disagree and pods that start slowly.
	run := time.Minute
	if f.Mode == results.ModeOpen {
		run = time.Duration(f.Count+1) * (f.Duration + PassGap)
	}
	if late := time.Since(at); late > run {
		return flagErrorf("--start-at %s is %v in the past, more than the run (%v): every pass would be late", f.StartAt, late.Round(time.Second), run)
	}
	return nil
}

// parseSegment reads --segment I/N; empty is the whole run.
func parseSegment(s string) (harness.Segment, error) {
	if s == "" {
		return harness.Segment{}, nil
	}
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(i)
	of, err2 := strconv.Atoi(n)
	seg := harness.Segment{Index: index, Of: of}
	if !ok || err1 != nil || err2 != nil || seg.Validate() != nil {
		return seg, errors.New("want I/N, the I-th of N shares, with N ≥ 1 and 0 ≤ I < N")
	}
	return seg, nil
}

// parseStartAt reads --start-at; empty is now.
func parseStartAt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// HedgingStrategies names the strategies that honour --hedge-after.
func HedgingStrategies() []string {
	var names []string
	for _, info := range strategies.All() {
		if info.Hedges {
			names = append(names, info.Name)
		}
	}
	return names
}

// notHedging names the strategies of infos that do not hedge.
func notHedging(infos []strategies.Info) []string {
	var names []string
	for _, info := range infos {
		if !info.Hedges {
			names = append(names, info.Name)
		}
	}
	return names
}

// fetchesURLs reports whether the bench fetches --url/--urls pages rather
// than the mock server's.
func (f Flags) fetchesURLs() bool { return len(f.URLs) > 0 || f.URLsFile != "" }

// maxOpenRequests bounds an open pass: a typo such as --rate 1e12 must be
// an error, not a run that would go on for days.
const maxOpenRequests = 100_000_000

func hasDuplicate[T comparable](list []T) bool {
	seen := map[T]bool{}
	for _, v := range list {
		if seen[v] {
			return true
		}
		seen[v] = true
	}
	return false
}

// strategies resolves --strategy; a name given twice is a mistake.
//
// "all" leaves out the strategies this system cannot run, and returns why
// (the command says so once the flags are all checked); a strategy named
// that cannot run is a mistake.
func (f Flags) strategies() (infos []strategies.Info, leftOut []string, err error) {
	if f.Strategy == "all" {
		for _, info := range strategies.All() {
			if err := info.Available(); err != nil {
				leftOut = append(leftOut, fmt.Sprintf("leaving %s out: %s", info.Name, strings.TrimPrefix(err.Error(), "strategies: ")))
				continue
			}
			infos = append(infos, info)
		}
		return infos, leftOut, nil
	}
	for name := range strings.SplitSeq(f.Strategy, ",") {
		info, err := strategies.Lookup(strings.TrimSpace(name))
		if err != nil {
			return nil, nil, flagErrorf("unknown strategy %q (valid: all, %s)", name, strings.Join(strategies.Names(), ", "))
		}
		if slices.ContainsFunc(infos, func(i strategies.Info) bool { return i.Name == info.Name }) {
			return nil, nil, flagErrorf("--strategy names %s twice", info.Name)
		}
		if err := info.Available(); err != nil {
			return nil, nil, flagErrorf("%s", strings.TrimPrefix(err.Error(), "strategies: "))
		}
		infos = append(infos, info)
	}
	return infos, nil, nil
}

// pageURLs returns the --url and --urls list, or nil for the mock server's
// pages.
func (f Flags) pageURLs() ([]string, error) {
	list := slices.Clone(f.URLs)
	if f.URLsFile != "" {
		b, err := os.ReadFile(f.URLsFile)
		if err != nil {
			return nil, flagErrorf("--urls: %v", UnwrapPath(err))
		}
		for line := range strings.Lines(string(b)) {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				list = append(list, line)
			}
		}
		if len(list) == 0 {
			return nil, flagErrorf("--urls %s: no URLs in it", f.URLsFile)
		}
	}
	for _, u := range list {
		if _, err := CheckURL(u); err != nil {
			return nil, flagErrorf("--url %q: %v", u, err)
		}
	}
	return list, nil
}

// CheckReachable dials the host of the plan's Target and of every URL, so
// that a typo fails now, before anything is written. Its error is a
// *FlagError.
func (p Plan) CheckReachable(ctx context.Context) error {
	hosts := map[string]bool{}
	for _, s := range append(slices.Clone(p.URLs), p.Target) {
		if s == "" {
			continue
		}
		u, err := CheckURL(s)
		if err != nil {
			return flagErrorf("%q: %v", s, err)
		}
		hosts[hostPort(u)] = true
	}
	for host := range hosts {
		d := net.Dialer{Timeout: 3 * time.Second}
		c, err := d.DialContext(ctx, "tcp", host)
		if err != nil {
			return flagErrorf("cannot reach %s: %v", host, unwrapNet(err))
		}
		c.Close()
	}
	return nil
}

// CheckURL checks that s is an absolute http:// URL with a host (a
// --target, a --url, netio weather's --target).
func CheckURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.Hostname() == "" || !ValidPort(u.Port(), true) {
		return nil, fmt.Errorf("want an http:// URL with a host, such as http://127.0.0.1:8080, got %q", s)
	}
	return u, nil
}

// ValidPort reports whether p is a TCP port number; "" is valid where
// the scheme's default applies (emptyOK).
func ValidPort(p string, emptyOK bool) bool {
	if p == "" {
		return emptyOK
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535
}

func hostPort(u *url.URL) string {
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "80")
	}
	return u.Host
}

// FlagNamed rewrites a mock server model's error, whose field path is the
// model's ("delay.latency: …"), with the flag that sets it ("--latency
// (delay.latency): …"), so that the message names what the user typed:
// netio serve's flags, and bench's delay flags, which have the same names.
func FlagNamed(err error) error {
	msg := err.Error()
	for _, f := range modelFlags {
		if strings.HasPrefix(msg, f.field+":") || strings.HasPrefix(msg, f.field+".") {
			return fmt.Errorf("%s (%s)%s", f.flag, f.field, strings.TrimPrefix(msg, f.field))
		}
	}
	return err
}

// modelFlags are the model's fields and the flags that set them.
var modelFlags = []struct{ field, flag string }{
	{"delay.dist", "--dist"}, {"delay.latency", "--latency"}, {"delay.jitter", "--jitter"}, {"delay.p99", "--p99"},
	{"delay.cap", "--cap"}, {"delay.slow_share", "--slow-share"}, {"delay.slow", "--slow"},
	{"body.encoding", "--body"}, {"body.rate", "--rate"}, {"body.chunks", "--chunks"}, {"body.chunk_pause", "--chunk-pause"},
	{"body.split", "--split"}, {"queue_servers", "--queue"}, {"faults", "--fault"},
}

// unwrapNet shortens "dial tcp 127.0.0.1:1: connect: connection refused"
// to "connection refused".
func unwrapNet(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return unwrapNet(op.Err)
	}
	var sys *os.SyscallError
	if errors.As(err, &sys) {
		return sys.Err
	}
	return err
}

// UnwrapPath drops the repetition of the path in an *os.PathError.
func UnwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
