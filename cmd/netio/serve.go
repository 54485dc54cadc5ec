package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
)

const serveSynopsis = `netio serve [flags]

Runs the mock NOAA server until interrupted (Ctrl-C). Pages:
  /weather/current/{ICAO}.html                 current conditions, HTML
  /data/observations/metar/decoded/{ICAO}.TXT  decoded METAR record, text
  /stations                                    the station catalogue, JSON

Each page waits for a delay drawn from --dist before its first byte, then is
delivered as the body flags say, unless a fault is drawn. A page request can
override any of it with the flag names as query parameters, for itself only:
  /weather/current/EGLC.html?latency=80ms&fault=reset&split=pieces:4:10ms

A --profile file (JSON or YAML) holds the same settings plus per-station
overrides; flags given on the command line win over it. See docs/mockserver.md.`

// serveFlags are the serve command's flags; model fields are applied over
// the profile only when given on the command line.
type serveFlags struct {
	cfg         mockserver.Config
	profile     string
	latency     time.Duration
	jitter      time.Duration
	p99         time.Duration
	slow        time.Duration
	slowShare   float64
	cap         time.Duration
	dist        string
	chunked     bool
	encoding    string
	rate        int
	chunks      int
	chunkPause  time.Duration
	split       string
	queue       int
	faults      faultFlags
	adminRemote bool
	stopOnEOF   bool
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.cfg.Addr, "addr", "127.0.0.1:8080", "`host:port` to listen on (loopback unless you name another interface)")
	fs.Int64Var(&f.cfg.Seed, "seed", 1, "seed of the observations, delays and faults")
	fs.StringVar(&f.profile, "profile", "", "JSON or YAML `file` with any of these settings and per-station overrides")
	fs.StringVar(&f.dist, "dist", "", "delay distribution: "+strings.Join(mockserver.Distributions, ", ")+" (default fixed, or uniform with --jitter)")
	fs.DurationVar(&f.latency, "latency", 0, "delay before the first byte: fixed value, uniform centre, normal mean, lognormal or pareto median")
	fs.DurationVar(&f.latency, "ttfb", 0, "the same as --latency: the delay is the time to first byte")
	fs.DurationVar(&f.jitter, "jitter", 0, "uniform half-width, or normal standard deviation")
	fs.DurationVar(&f.p99, "p99", 0, "99th percentile of the delay, for lognormal and pareto")
	fs.DurationVar(&f.slow, "slow", 0, "two-level: the slow pages' delay")
	fs.Float64Var(&f.slowShare, "slow-share", 0, "two-level: the `share` of pages that are slow, from 0 to 1 (0.01: one in a hundred)")
	fs.DurationVar(&f.cap, "cap", 0, "no delay longer than this (0: --max-delay)")
	fs.BoolVar(&f.chunked, "chunked", false, "send bodies with Transfer-Encoding: chunked (same as --body chunked)")
	fs.StringVar(&f.encoding, "body", "length", "body framing: length, chunked or close (close-delimited)")
	fs.IntVar(&f.rate, "rate", 0, "pace bodies at this many `bytes/s` (0: at once)")
	fs.IntVar(&f.chunks, "chunks", 0, "send each body in this many writes, --chunk-pause apart")
	fs.DurationVar(&f.chunkPause, "chunk-pause", 0, "pause between body writes with --chunks")
	fs.StringVar(&f.split, "split", "", "cut responses into TCP writes: header-body[:PAUSE], mid-header[:PAUSE], pieces:N[:PAUSE]")
	fs.Var(&f.faults, "fault", "inject a fault with a probability, `KIND=PROB` (repeatable); kinds: "+strings.Join(mockserver.FaultKinds, ", ")+" (status:CODE for a given status)")
	fs.IntVar(&f.queue, "queue", 0, "serve at most `N` pages at once, queueing the rest (1: a serial server; 0: no queue)")
	fs.IntVar(&f.cfg.MaxConns, "max-conns", mockserver.DefaultMaxConns, "most connections open at once")
	fs.DurationVar(&f.cfg.MaxDelay, "max-delay", mockserver.DefaultMaxDelay, "longest delay any model or query may inject")
	fs.DurationVar(&f.cfg.MaxHang, "max-hang", mockserver.DefaultMaxHang, "longest a hang fault holds a connection")
	fs.DurationVar(&f.cfg.HeaderTimeout, "header-timeout", mockserver.DefaultHeaderTimeout, "time a client has to send a request's headers")
	fs.DurationVar(&f.cfg.IdleTimeout, "idle-timeout", mockserver.DefaultIdleTimeout, "time a keep-alive connection may wait for its next request")
	fs.DurationVar(&f.cfg.WriteTimeout, "write-timeout", mockserver.DefaultWriteTimeout, "time a client has to take a response (each write of it) before the connection is closed")
	fs.StringVar(&f.cfg.Engine, "engine", "", "`engine` that serves connections: "+mockserver.EngineEpoll+" (one event loop; Linux) or "+mockserver.EngineGoroutines+" (one per connection); default epoll where available")
	fs.StringVar(&f.cfg.AdminAddr, "admin-addr", "", "serve the admin API (GET/PUT /config, GET /stats) on this `host:port`")
	fs.BoolVar(&f.adminRemote, "admin-allow-remote", false, "allow --admin-addr on a non-loopback interface")
	fs.BoolVar(&f.stopOnEOF, "stop-on-stdin-eof", false, "also stop when standard input closes: for a parent process (netio bench) that must not leave the server behind")
}

// faultFlags collects repeated --fault KIND=PROB.
type faultFlags map[string]float64

func (f *faultFlags) String() string { return "" }

func (f *faultFlags) Set(v string) error {
	kind, prob, ok := strings.Cut(v, "=")
	p, err := strconv.ParseFloat(prob, 64)
	if !ok || err != nil {
		return fmt.Errorf("want KIND=PROB, such as reset=0.01")
	}
	if *f == nil {
		*f = faultFlags{}
	}
	(*f)[kind] = p
	return nil
}

func runServe(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	var f serveFlags
	fs := newFlagSet("serve")
	f.register(fs)
	if helped, err := parseFlagsOnly(fs, args, stdout, serveSynopsis); helped || err != nil {
		return err
	}
	cfg, err := f.config(fs)
	if err != nil {
		return usageErrorf("netio serve: %s", strings.TrimPrefix(err.Error(), "mockserver: "))
	}

	if f.stopOnEOF {
		ctx = serverproc.StopOnEOF(ctx, os.Stdin)
	}
	srv, err := mockserver.Start(cfg)
	if err != nil {
		return fmt.Errorf("netio serve: %w", err)
	}
	if !isLoopback(srv.Addr()) {
		fmt.Fprintf(stderr, "netio serve: warning: listening on %s, reachable from other machines\n", srv.Addr())
	}
	m := cfg.Model
	fmt.Fprintf(stdout, "netio mock NOAA server on %s (seed %d, delay %s %v)\n", srv.URL(), cfg.Seed, m.Delay.DistName(), m.Delay.Latency.D())
	if srv.AdminURL() != "" {
		fmt.Fprintf(stdout, "admin API on %s (/config, /stats)\n", srv.AdminURL())
	}
	fmt.Fprintf(stdout, "try: curl %s\n", srv.PageURL("KNYC"))
	<-ctx.Done()
	fmt.Fprintln(stdout, "netio serve: shutting down")
	return srv.Close()
}

// config builds the server's configuration: the profile, if any, then the
// flags given on the command line over it.
func (f *serveFlags) config(fs *flag.FlagSet) (mockserver.Config, error) {
	given := givenFlags(fs)
	cfg := f.cfg
	if f.profile != "" {
		p, err := mockserver.LoadProfile(f.profile)
		if err != nil {
			return cfg, err
		}
		applyProfile(&cfg, p, given)
	}
	f.applyModelFlags(&cfg.Model, given)
	cfg.AdminAllowRemote = f.adminRemote
	if _, port, err := net.SplitHostPort(cfg.Addr); err != nil || !bench.ValidPort(port, false) {
		return cfg, fmt.Errorf("bad --addr %q: want host:port, such as 127.0.0.1:8080", cfg.Addr)
	}
	if cfg.AdminAddr != "" && !cfg.AdminAllowRemote && !isLoopback(cfg.AdminAddr) {
		return cfg, fmt.Errorf("--admin-addr %q is not a loopback address: add --admin-allow-remote to serve the admin API there", cfg.AdminAddr)
	}
	if e := cfg.Engine; e != "" && e != mockserver.EngineEpoll && e != mockserver.EngineGoroutines {
		return cfg, fmt.Errorf("unknown --engine %q (valid: %s, %s)", e, mockserver.EngineEpoll, mockserver.EngineGoroutines)
	}
	if cfg.MaxConns < 1 || cfg.MaxDelay <= 0 || cfg.MaxHang <= 0 || cfg.HeaderTimeout <= 0 || cfg.IdleTimeout <= 0 || cfg.WriteTimeout <= 0 {
		return cfg, fmt.Errorf("--max-conns, --max-delay, --max-hang, --header-timeout, --idle-timeout and --write-timeout must be positive")
	}
	if err := cfg.Model.Validate(); err != nil {
		return cfg, fmt.Errorf("%w", bench.FlagNamed(err))
	}
	return cfg, nil
}

// applyProfile takes the profile's settings where the command line gave none.
func applyProfile(cfg *mockserver.Config, p mockserver.Profile, given map[string]bool) {
	if p.Addr != "" && !given["addr"] {
		cfg.Addr = p.Addr
	}
	if p.Seed != nil && !given["seed"] {
		cfg.Seed = *p.Seed
	}
	if p.MaxConns > 0 && !given["max-conns"] {
		cfg.MaxConns = p.MaxConns
	}
	if p.MaxDelay > 0 && !given["max-delay"] {
		cfg.MaxDelay = p.MaxDelay.D()
	}
	if p.MaxHang > 0 && !given["max-hang"] {
		cfg.MaxHang = p.MaxHang.D()
	}
	cfg.Model = p.Model
}

// applyModelFlags sets the model fields whose flags were given.
func (f *serveFlags) applyModelFlags(m *mockserver.Model, given map[string]bool) {
	d, b := &m.Delay, &m.Body
	set := map[string]func(){
		"dist":        func() { d.Dist = f.dist },
		"latency":     func() { d.Latency = mockserver.Duration(f.latency) },
		"ttfb":        func() { d.Latency = mockserver.Duration(f.latency) },
		"jitter":      func() { d.Jitter = mockserver.Duration(f.jitter) },
		"p99":         func() { d.P99 = mockserver.Duration(f.p99) },
		"cap":         func() { d.Cap = mockserver.Duration(f.cap) },
		"slow":        func() { d.Slow = mockserver.Duration(f.slow) },
		"slow-share":  func() { d.SlowShare = f.slowShare },
		"body":        func() { b.Encoding = f.encoding },
		"rate":        func() { b.Rate = f.rate },
		"chunks":      func() { b.Chunks = f.chunks },
		"chunk-pause": func() { b.ChunkPause = mockserver.Duration(f.chunkPause) },
		"split":       func() { b.Split = f.split },
		"queue":       func() { m.QueueServers = f.queue },
	}
	for name, apply := range set {
		if given[name] {
			apply()
		}
	}
	if given["chunked"] && f.chunked {
		b.Encoding = "chunked"
	}
	for kind, p := range f.faults {
		if m.Faults == nil {
			m.Faults = map[string]float64{}
		}
		m.Faults[kind] = p
	}
}

// isLoopback reports whether addr's host is a loopback address or localhost.
func isLoopback(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
