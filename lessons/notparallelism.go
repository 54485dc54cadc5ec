package lessons

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// notParallelism is Rob Pike's "concurrency is not parallelism": a
// program that waits on many pages at once needs no second core to do
// it, since waiting takes none; a program that computes on every page
// does. GOMAXPROCS, the number of goroutines Go runs at once, is the knob.
var notParallelism = Lesson{
	Name:     "not-parallelism",
	Summary:  "GOMAXPROCS 1 against 2: waiting needs no core, computing does",
	Duration: 5 * time.Second,
	Setup: "Four pages, 100 ms each, fetched all at once (perrequest: a goroutine each), first " +
		"with GOMAXPROCS=1 (Go runs one goroutine at a time), then with 2. Then the same with a " +
		"CPU-heavy step on each page, on the goroutine that fetched it: the article's regular " +
		"expression run over the page again and again, about 100 ms of CPU a page, standing in " +
		"for real work (templates, JSON, compression). Each is run three times, alternating, and " +
		"the medians compared.",
	Question: "Which of the two batches will take longer with one core than with two, and by how much?",
	Explain: "Waiting is not work: the four goroutines park while the server takes its 100 ms, and " +
		"one core is as good as two at waiting, so the fan-out takes one page's time either way. " +
		"That is concurrency, the article's point: many things in progress, few running. The CPU " +
		"step is work: with one core the four steps take turns, with two they run two at a time, " +
		"so the batch takes 100 ms plus four steps against 100 ms plus two. That is parallelism, " +
		"and only cores give it. Go multiplexes goroutines on GOMAXPROCS threads: an I/O-bound " +
		"program gains nothing from more, a CPU-bound one gains up to the number of cores.",
	run: runNotParallelism,
}

// Sizes of not-parallelism: four pages keep its four timelines (a row per
// goroutine) on one 80×24 screen.
const (
	parallelPages = 4
	parallelDelay = 100 * time.Millisecond
	parallelWork  = 100 * time.Millisecond // of CPU per page, on this machine, in this build
	parallelRound = 3                      // rounds of the four batches; the claims take medians
)

func runNotParallelism(ctx context.Context, o Options, live func([]Timeline)) (Outcome, error) {
	// The server's goroutine engine: the epoll engine's loop waits in a
	// blocking system call, which holds the one P of GOMAXPROCS=1 until
	// Go's sysmon takes it back (it sleeps up to 10 ms when idle), and made
	// waiting 15 % slower on one core for the server's sake.
	srv, err := mockserver.Start(mockserver.Config{Seed: 1, Engine: mockserver.EngineGoroutines})
	if err != nil {
		return Outcome{}, fmt.Errorf("lessons: start the mock server: %w", err)
	}
	defer srv.Close()
	pages := stationPages(parallelPages, parallelDelay)
	work, err := calibrateWork(ctx, jobs(srv, pages[:1])[0].URL, parallelWork)
	if err != nil {
		return Outcome{}, err
	}
	name := "perrequest"
	if o.Strategies != nil {
		name = o.Strategies[0]
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	b := &board{live: live}
	walls := map[string][]time.Duration{} // by batch: "io/1", "cpu/2"…
	for round := range parallelRound {
		for _, kind := range []string{"io", "cpu"} {
			for _, procs := range []int{1, 2} {
				runtime.GOMAXPROCS(procs)
				opt := fetchOptions{offBoard: round > 0, strategy: name} // the first round is drawn, the others measured
				if kind == "cpu" {
					opt.work = work
				}
				title := fmt.Sprintf("%s, GOMAXPROCS=%d, %s", name, procs, map[string]string{"io": "waiting only", "cpu": "CPU step"}[kind])
				got, err := b.fetchWith(ctx, title, parallelPages, jobs(srv, pages), opt)
				if err != nil {
					return Outcome{}, err
				}
				key := fmt.Sprintf("%s/%d", kind, procs)
				walls[key] = append(walls[key], got.Wall)
			}
		}
	}
	med := func(key string) time.Duration { return slices.Sorted(slices.Values(walls[key]))[len(walls[key])/2] }
	runtime.GOMAXPROCS(2)
	free := freeCores(work)
	return Outcome{
		Timelines: b.snapshot(),
		Notes:     append(parallelNotes(med), freeNote(free)...),
		Claims:    parallelClaims(med, free),
	}, nil
}

// parallelNotes lists the four medians.
func parallelNotes(med func(string) time.Duration) []string {
	return []string{
		fmt.Sprintf("median of %d rounds     GOMAXPROCS=1  GOMAXPROCS=2", parallelRound),
		fmt.Sprintf("waiting only            %12s  %12s", msString(med("io/1")), msString(med("io/2"))),
		fmt.Sprintf("with the CPU step       %12s  %12s", msString(med("cpu/1")), msString(med("cpu/2"))),
	}
}

// parallelClaims: waiting takes the same time on one core as on two; the
// CPU step takes L + 4w on one core and L + 4w/f on the f cores the
// machine had free (f measured side by side, between 1 and 2): 1.67× for
// L = w on two free cores, about 1× where another program holds the
// second core or the machine has one. The margins: 25 % for the I/O
// batch, whose only CPU is the client's and the server's few hundred
// microseconds a page; for the CPU batch at least half the predicted
// gain, less 0.05 (1.28× on two free cores, above the I/O batch's noise),
// and at most 0.3 over the prediction.
func parallelClaims(med func(string) time.Duration, free float64) []Claim {
	ratio := func(kind string) float64 { return float64(med(kind+"/1")) / float64(med(kind+"/2")) }
	io, cpu := ratio("io"), ratio("cpu")
	cores := min(max(free, 1), 2)
	work := float64(parallelPages * parallelWork)
	predicted := (float64(parallelDelay) + work) / (float64(parallelDelay) + work/cores)
	return []Claim{
		{Statement: "waiting only: one core against two", Predicted: "≈ 1× (waiting takes no core)",
			Measured: fmt.Sprintf("%.2f×", io), Holds: io <= 1.25},
		{Statement: "CPU step: one core against two", Predicted: fmt.Sprintf("≈ %.2f× = (L + 4w) / (L + 4w/%.1f)", predicted, cores),
			Measured: fmt.Sprintf("%.2f×", cpu), Holds: cpu >= 1+0.5*(predicted-1)-0.05 && cpu <= predicted+0.3},
	}
}

// freeCores runs two CPU steps one after the other, then side by side (at
// GOMAXPROCS=2), and returns how much faster side by side was: about 2
// where a second core was free, about 1 where another program held it or
// the machine has one.
func freeCores(work func()) float64 {
	start := time.Now()
	work()
	work()
	serial := time.Since(start)
	start = time.Now()
	var wg sync.WaitGroup
	wg.Go(work)
	wg.Go(work)
	wg.Wait()
	return float64(serial) / float64(time.Since(start))
}

// freeNote says what freeCores found, for the class.
func freeNote(free float64) []string {
	return []string{
		fmt.Sprintf("Two CPU steps side by side ran %.2f× as fast as one after the other", free),
		"(about 2×: a second core was free; about 1×: one core, or another program busy).",
	}
}

// calibrateWork fetches the page at url once and returns the CPU step: the
// article's pattern run over that page as many times as take about d on
// this machine, in this build (the race detector makes it several times
// slower), timed on one goroutine before the batches.
func calibrateWork(ctx context.Context, url string, d time.Duration) (func(), error) {
	page, err := fetchPage(ctx, url)
	if err != nil {
		return nil, err
	}
	pattern := regexp.MustCompile(strategies.TemperaturePattern)
	pass := func() {
		if pattern.FindSubmatchIndex(page) == nil {
			panic("lessons: not-parallelism: no temperature on the page")
		}
	}
	n, start := 0, time.Now()
	for time.Since(start) < 20*time.Millisecond {
		pass()
		n++
	}
	passes := max(1, int(float64(n)*float64(d)/float64(time.Since(start))))
	return func() {
		for range passes {
			pass()
		}
	}, nil
}

// fetchPage gets one page's body.
func fetchPage(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("lessons: %w", err)
	}
	t := &http.Transport{}
	defer t.CloseIdleConnections() // no idle connection outlives the lesson
	resp, err := (&http.Client{Transport: t}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("lessons: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("lessons: %w", err)
	}
	return body, nil
}
