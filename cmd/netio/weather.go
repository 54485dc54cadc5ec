package main

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

const weatherSynopsis = `netio weather [flags] [STATION...]

Fetches the current-conditions page of each station (ICAO codes; default
KNYC EGLC RJTT: New York, London, Tokyo) with one strategy, and prints a line
per station in the order the answers arrive, then the total time.

With no --target, a mock NOAA server is started in this process, with a
different delay per city so that the completion order differs from the input
order (unless --latency sets one delay for all).`

// defaultStations are the article's three cities.
var defaultStations = []string{"KNYC", "EGLC", "RJTT"}

// demoLatency is the embedded server's delay per station when --latency is
// not given: London answers first, Tokyo last, New York in between, so that
// a concurrent strategy prints them out of input order.
var demoLatency = map[string]time.Duration{
	"EGLC": 120 * time.Millisecond,
	"KNYC": 240 * time.Millisecond,
	"RJTT": 360 * time.Millisecond,
}

var icaoPattern = regexp.MustCompile(`^[A-Za-z0-9]{4}$`)

type weatherFlags struct {
	strategy    string
	target      string
	latency     time.Duration
	concurrency int
	timeout     time.Duration
	seed        int64
	latencySet  bool // whether --latency was given (0 is a valid delay)
}

func (f *weatherFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.strategy, "strategy", "perrequest", "fetch strategy: one of "+strings.Join(strategies.Names(), ", "))
	fs.StringVar(&f.target, "target", "", "base `URL` of a running server; empty starts the mock server in this process")
	fs.DurationVar(&f.latency, "latency", 0, "injected delay for every station (default: a different delay per city); with --target, asked of the server as ?latency=")
	fs.IntVar(&f.concurrency, "concurrency", strategies.DefaultConcurrency, "requests in flight at once, for the strategies that honour it (see netio strategies)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "per-request timeout; 0 means none")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the embedded mock server's observations")
}

func runWeather(ctx context.Context, stdout, _ io.Writer, args []string) error {
	var f weatherFlags
	fs := newFlagSet("weather")
	f.register(fs)
	codes, help, err := parse(fs, args)
	if err != nil {
		return err
	}
	if help {
		printHelp(stdout, fs, weatherSynopsis)
		return nil
	}
	f.latencySet = givenFlags(fs)["latency"]
	info, err := f.validate(codes)
	if err != nil {
		return err
	}
	if len(codes) == 0 {
		codes = defaultStations
	}

	base, stop, err := f.server(codes)
	if err != nil {
		return err
	}
	defer stop()
	fetcher, err := info.New(strategies.Config{Concurrency: f.concurrency, Timeout: f.timeout})
	if err != nil {
		return fmt.Errorf("netio weather: %w", err)
	}
	defer fetcher.Close()

	jobs := f.jobs(base, codes)
	elapsed, err := fetchAndPrint(ctx, stdout, fetcher, jobs)
	fmt.Fprintf(stdout, "Fetched %s in %v with %s.\n", pages(len(jobs)), elapsed.Round(time.Millisecond), info.Name)
	return err
}

// validate checks the flags and station codes, returning the strategy.
func (f *weatherFlags) validate(codes []string) (strategies.Info, error) {
	info, err := strategies.Lookup(f.strategy)
	if err != nil {
		return info, usageErrorf("netio weather: unknown strategy %q (valid: %s)", f.strategy, strings.Join(strategies.Names(), ", "))
	}
	switch {
	case f.concurrency <= 0:
		return info, usageErrorf("netio weather: --concurrency must be at least 1, got %d", f.concurrency)
	case f.latency < 0 || f.latency > mockserver.DefaultMaxDelay:
		return info, usageErrorf("netio weather: --latency must be between 0 and %v, got %v", mockserver.DefaultMaxDelay, f.latency)
	case f.timeout < 0:
		return info, usageErrorf("netio weather: --timeout must not be negative, got %v", f.timeout)
	}
	if f.target != "" {
		if _, err := bench.CheckURL(f.target); err != nil {
			return info, usageErrorf("netio weather: --target must be an http:// base URL, got %q", f.target)
		}
	}
	for _, c := range codes {
		if !icaoPattern.MatchString(c) {
			return info, usageErrorf("netio weather: bad station code %q: want four letters or digits, such as KNYC", c)
		}
	}
	return info, nil
}

// server returns the base URL to fetch from, starting the embedded mock
// server when there is no --target. stop shuts it down.
func (f *weatherFlags) server(codes []string) (base string, stop func(), err error) {
	if f.target != "" {
		return strings.TrimSuffix(f.target, "/"), func() {}, nil
	}
	cfg := mockserver.Config{Seed: f.seed}
	cfg.Model.Delay.Latency = mockserver.Duration(f.latency)
	if !f.latencySet {
		cfg.Model.Stations = make(map[string]mockserver.Override, len(codes))
		for _, c := range codes {
			if _, ok := mockserver.LookupStation(c); ok {
				cfg.Model.Stations[c] = mockserver.Override{Delay: &mockserver.Delay{Latency: mockserver.Duration(cityDelay(c))}}
			}
		}
	}
	srv, err := mockserver.Start(cfg)
	if err != nil {
		return "", nil, fmt.Errorf("netio weather: %w", err)
	}
	return srv.URL(), func() { srv.Close() }, nil
}

// cityDelay is the embedded server's delay for a station: the demo value
// for the article's cities, else one between 100 and 400 ms picked by the
// code, so that a list of stations completes in a mixed-up order.
func cityDelay(code string) time.Duration {
	code = strings.ToUpper(code)
	if d, ok := demoLatency[code]; ok {
		return d
	}
	h := fnv.New32a()
	h.Write([]byte(code))
	return 100*time.Millisecond + time.Duration(h.Sum32()%300)*time.Millisecond
}

// jobs builds one job per station: its city name and page URL. A
// --latency for a --target server is asked of it in each page's URL.
func (f *weatherFlags) jobs(base string, codes []string) []strategies.Job {
	var o mockserver.Overrides
	if f.target != "" && f.latencySet {
		o.Latency = f.latency
		if o.Latency == 0 {
			o.Latency = -1 // ?latency=0s: no delay, whatever the server's own (see mockserver.Overrides)
		}
	}
	jobs := make([]strategies.Job, len(codes))
	for i, c := range codes {
		name := strings.ToUpper(c)
		if st, ok := mockserver.LookupStation(c); ok {
			name = st.City
		}
		jobs[i] = strategies.Job{Name: name, URL: mockserver.PageURL(base, c, o)}
	}
	return jobs
}

// fetchAndPrint runs the batch and prints each result as it arrives. The
// callback only hands the result to a channel with room for all of them, so
// it never blocks the strategy; one goroutine does the printing.
func fetchAndPrint(ctx context.Context, w io.Writer, fetcher strategies.Fetcher, jobs []strategies.Job) (time.Duration, error) {
	results := make(chan strategies.Result, len(jobs))
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		for r := range results {
			printResult(w, jobs[r.Index], r)
		}
	}()
	start := time.Now()
	err := fetcher.Fetch(ctx, strategies.JobList(jobs), func(r strategies.Result) { results <- r })
	elapsed := time.Since(start)
	close(results)
	<-printed
	return elapsed, err
}

// printResult writes the article's lines for one station.
func printResult(w io.Writer, job strategies.Job, r strategies.Result) {
	switch r.Class {
	case strategies.ClassOK:
		fmt.Fprintf(w, "In %s, it is now %s degrees.\n", job.Name, strategies.FormatTemperature(r.Temperature))
	case strategies.ClassNoTemperature:
		fmt.Fprintf(w, "No temperature reading at URL: %s\n", job.URL)
	default:
		fmt.Fprintf(w, "Error getting information for %s ( URL: %s ):\n%s: %v\n", job.Name, job.URL, r.Class, r.Err)
	}
}

func pages(n int) string {
	if n == 1 {
		return "1 page"
	}
	return fmt.Sprintf("%d pages", n)
}
