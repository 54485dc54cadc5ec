package strategies_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netio-lab/netio/internal/leaktest"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// The conformance table: every registered strategy runs every case, against
// real sockets. A new strategy gets all of these by registering itself.
var conformance = []strategyCase{
	{"temperatures of 100 pages", testTemperatures},
	{"empty batch", testEmptyBatch},
	{"second batch on the same fetcher", testReuse},
	{"404 is http-status", testNotFound},
	{"connection closed before response is eof", testServerCloses},
	{"nothing listening is refused", testRefused},
	{"per-request timeout", testTimeout},
	{"page without reading is no-temperature", testNoTemperature},
	{"body over the limit is too-large", testTooLarge},
	{"cancel mid-batch returns promptly", testCancel},
	{"keep-alive: a warm batch dials nothing", testKeepAlive},
	{"every body framing and split is read whole", testDelivery},
	{"every server fault is classified", testFaults},
	{"two servers: connections reused per address", testTwoServers},
	{"one at a time: a job that ends its connection hands on its turn", testTurnHandedOn},
	{"every request names its page, host and client", testRequestHeaders},
	{"close twice: the second does nothing", testCloseTwice},
	{"a batch read by index: every job asked for, none over and over", testJobsReadByIndex},
	{"lanes: each request on one, one request at a time", testLanes},
	{"OnStart announces each request, on its lane, before its done", testOnStart},
}

func TestConformance(t *testing.T) { runEveryStrategy(t, conformance) }

// strategyCase is one row of a table every strategy runs.
type strategyCase struct {
	name string
	run  func(t *testing.T, info strategies.Info)
}

// runEveryStrategy runs every case with every registered strategy, each
// checked afterwards for leaked goroutines and file descriptors.
func runEveryStrategy(t *testing.T, cases []strategyCase) {
	for _, info := range strategies.All() {
		for _, c := range cases {
			t.Run(fmt.Sprintf("strategy=%s/%s", info.Name, c.name), func(t *testing.T) {
				skipIfUnavailable(t, info)
				// Cleanups run last-in first-out: this one runs after
				// the servers the case started have been closed.
				t.Cleanup(func() { goleak.VerifyNone(t, leaktest.Options...) })
				fds := openFDs(t)
				t.Cleanup(func() { checkFDs(t, fds) })
				c.run(t, info)
			})
		}
	}
}

// skipIfUnavailable skips the test, saying why, where the strategy cannot
// run on this system (epoll off Linux, uring without io_uring): never
// silently.
func skipIfUnavailable(t *testing.T, info strategies.Info) {
	t.Helper()
	if err := info.Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
}

// collector gathers results from done, which strategies may call from many
// goroutines, and checks that each index is delivered exactly once.
type collector struct {
	mu      sync.Mutex
	results []strategies.Result
	seen    []int
}

func newCollector(n int) *collector {
	return &collector{results: make([]strategies.Result, n), seen: make([]int, n)}
}

func (c *collector) done(r strategies.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.results[r.Index] = r
	c.seen[r.Index]++
}

// check fails the test unless every job got exactly one well-formed result.
func (c *collector) check(t *testing.T) []strategies.Result {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range c.seen {
		if n != 1 {
			t.Fatalf("job %d: done called %d times; want 1", i, n)
		}
		r := c.results[i]
		if r.Start.IsZero() || r.End.Before(r.Start) {
			t.Errorf("job %d: start %v, end %v; want end at or after a set start", i, r.Start, r.End)
		}
		if (r.Class == strategies.ClassOK) != (r.Err == nil) {
			t.Errorf("job %d: class %q with error %v; want class ok exactly when error is nil", i, r.Class, r.Err)
		}
	}
	return c.results
}

// fetch builds the strategy, runs one batch and closes it again.
func fetch(t *testing.T, info strategies.Info, cfg strategies.Config, ctx context.Context, jobs []strategies.Job) ([]strategies.Result, error) {
	t.Helper()
	f, err := info.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer f.Close()
	c := newCollector(len(jobs))
	err = f.Fetch(ctx, strategies.JobList(jobs), c.done)
	return c.check(t), err
}

func startServer(t *testing.T, cfg mockserver.Config) *mockserver.Server {
	t.Helper()
	srv, err := mockserver.Start(cfg)
	if err != nil {
		t.Fatalf("mockserver.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// stationJobs makes n jobs cycling through the catalogue, alternating the
// HTML page and the decoded text record.
func stationJobs(base string, n int, query string) []strategies.Job {
	stations := mockserver.Stations()
	jobs := make([]strategies.Job, n)
	for i := range jobs {
		st := stations[i%len(stations)]
		path := mockserver.HTMLPath(st.ICAO)
		if i%2 == 1 {
			path = mockserver.TXTPath(st.ICAO)
		}
		jobs[i] = strategies.Job{Name: st.City, URL: base + path + query}
	}
	return jobs
}

func testTemperatures(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 7, Model: mockserver.Model{Delay: mockserver.Delay{Dist: "uniform", Latency: mockserver.Duration(5 * time.Millisecond), Jitter: mockserver.Duration(3 * time.Millisecond)}}})
	jobs := stationJobs(srv.URL(), 100, "")
	results, err := fetch(t, info, strategies.Config{Concurrency: 8}, context.Background(), jobs)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	for i, r := range results {
		want, ok := srv.ExpectedTemperature(jobs[i].URL)
		if !ok {
			t.Fatalf("no ground truth for %s", jobs[i].URL)
		}
		if r.Class != strategies.ClassOK || r.Status != 200 || r.Bytes == 0 || !r.HasTemperature || r.Temperature != want {
			t.Errorf("%s: class %q status %d bytes %d temperature %v (has %v); want ok 200 >0 %v",
				jobs[i].URL, r.Class, r.Status, r.Bytes, r.Temperature, r.HasTemperature, want)
		}
	}
}

func testEmptyBatch(t *testing.T, info strategies.Info) {
	if _, err := fetch(t, info, strategies.Config{}, context.Background(), nil); err != nil {
		t.Errorf("Fetch(no jobs) = %v; want nil", err)
	}
}

func testReuse(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 3})
	f, err := info.New(strategies.Config{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for batch := range 2 {
		jobs := stationJobs(srv.URL(), 12, "")
		c := newCollector(len(jobs))
		if err := f.Fetch(context.Background(), strategies.JobList(jobs), c.done); err != nil {
			t.Fatalf("batch %d: Fetch: %v", batch, err)
		}
		for i, r := range c.check(t) {
			if !r.OK() {
				t.Errorf("batch %d job %d: %v %v; want ok", batch, i, r.Class, r.Err)
			}
		}
	}
}

func testNotFound(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{})
	jobs := []strategies.Job{
		{Name: "Nowhere", URL: srv.URL() + mockserver.HTMLPath("ZZZZ")},
		{Name: "London", URL: srv.PageURL("EGLC")},
	}
	results, _ := fetch(t, info, strategies.Config{}, context.Background(), jobs)
	var status *strategies.StatusError
	if r := results[0]; r.Class != strategies.ClassHTTPStatus || r.Status != 404 || !errors.As(r.Err, &status) || status.Code != 404 {
		t.Errorf("unknown station: class %q status %d err %v; want http-status 404", r.Class, r.Status, r.Err)
	}
	if !results[1].OK() {
		t.Errorf("a 404 in the batch spoiled a good page: %v %v", results[1].Class, results[1].Err)
	}
}

// closingServer accepts connections, reads the request and closes without
// answering. Reading first matters: closing with unread bytes sends a reset,
// not the end-of-file this case is about.
func closingServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(conn)
			for line, err := r.ReadString('\n'); err == nil && line != "\r\n"; line, err = r.ReadString('\n') {
			}
			conn.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

func testServerCloses(t *testing.T, info strategies.Info) {
	base := closingServer(t)
	results, _ := fetch(t, info, strategies.Config{}, context.Background(), []strategies.Job{{Name: "Closer", URL: base + "/weather/current/KNYC.html"}})
	if r := results[0]; r.Class != strategies.ClassEOF || r.Status != 0 {
		t.Errorf("class %q status %d err %v; want eof and no status", r.Class, r.Status, r.Err)
	}
}

func testRefused(t *testing.T, info strategies.Info) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	results, _ := fetch(t, info, strategies.Config{}, context.Background(), []strategies.Job{{Name: "Void", URL: "http://" + addr + "/"}})
	if r := results[0]; r.Class != strategies.ClassRefused {
		t.Errorf("class %q err %v; want refused", r.Class, r.Err)
	}
}

func testTimeout(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{})
	const timeout = 100 * time.Millisecond
	jobs := stationJobs(srv.URL(), 3, "?latency=5s")
	results, err := fetch(t, info, strategies.Config{Timeout: timeout}, context.Background(), jobs)
	if err != nil {
		t.Fatalf("Fetch: %v; want nil (a timeout is a result, not a failed batch)", err)
	}
	for i, r := range results {
		if r.Class != strategies.ClassTimeout || r.Latency() < timeout || r.Latency() > timeout+time.Second {
			t.Errorf("job %d: class %q after %v; want timeout after about %v", i, r.Class, r.Latency(), timeout)
		}
	}
}

func testNoTemperature(t *testing.T, info strategies.Info) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body>Temperature: missing (sensor fault)</body></html>")
	}))
	defer srv.Close()
	results, _ := fetch(t, info, strategies.Config{}, context.Background(), []strategies.Job{{Name: "Broken", URL: srv.URL}})
	if r := results[0]; r.Class != strategies.ClassNoTemperature || r.Status != 200 || r.HasTemperature {
		t.Errorf("class %q status %d has %v; want no-temperature 200 false", r.Class, r.Status, r.HasTemperature)
	}
}

func testTooLarge(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{})
	results, _ := fetch(t, info, strategies.Config{MaxBodyBytes: 100}, context.Background(), stationJobs(srv.URL(), 1, ""))
	if r := results[0]; r.Class != strategies.ClassTooLarge {
		t.Errorf("class %q err %v; want too-large", r.Class, r.Err)
	}
}

func testCancel(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(5 * time.Second)}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jobs := stationJobs(srv.URL(), 20, "")
	var canceledAt time.Time
	time.AfterFunc(100*time.Millisecond, func() { canceledAt = time.Now(); cancel() })
	results, err := fetch(t, info, strategies.Config{Concurrency: 4}, ctx, jobs)
	returned := time.Since(canceledAt)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch = %v; want context.Canceled", err)
	}
	// The contract is 100 ms; the margin is for loaded CI machines. A
	// strategy that waited for the server would take 5 s.
	if returned > 300*time.Millisecond {
		t.Errorf("Fetch returned %v after cancel; want promptly", returned)
	}
	for i, r := range results {
		if r.Class != strategies.ClassCanceled {
			t.Errorf("job %d: class %q err %v; want canceled", i, r.Class, r.Err)
		}
	}
}

func testKeepAlive(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(20 * time.Millisecond)}}})
	f, err := info.New(strategies.Config{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	jobs := stationJobs(srv.URL(), 12, "")
	cold := newCollector(len(jobs))
	f.Fetch(context.Background(), strategies.JobList(jobs), cold.done)
	opened := srv.Stats().ConnsAccepted
	warm := newCollector(len(jobs))
	f.Fetch(context.Background(), strategies.JobList(jobs), warm.done)
	if again := srv.Stats().ConnsAccepted - opened; again != 0 || opened == 0 {
		t.Errorf("cold batch opened %d connections, warm batch %d more; want some, then none", opened, again)
	}
}

func testDelivery(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 5, MaxHang: 100 * time.Millisecond})
	f, err := info.New(strategies.Config{Concurrency: 4, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, query := range []string{
		"?chunked=true", "?body=close", "?split=header-body:10ms", "?split=mid-header:10ms",
		"?split=pieces:7:3ms", "?chunks=5&chunk-pause=3ms", "?chunked=1&chunks=4&chunk-pause=2ms",
		"?rate=100000", "?fault=slow-close",
	} {
		jobs := stationJobs(srv.URL(), 4, query)
		c := newCollector(len(jobs))
		f.Fetch(context.Background(), strategies.JobList(jobs), c.done)
		for i, r := range c.check(t) {
			want, _ := srv.ExpectedTemperature(jobs[i].URL)
			if !r.OK() || r.Temperature != want {
				t.Errorf("%s: class %q err %v temperature %v; want ok with %v", jobs[i].URL, r.Class, r.Err, r.Temperature, want)
			}
		}
	}
}

func testFaults(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 6, MaxHang: 5 * time.Second})
	const timeout = 300 * time.Millisecond
	f, err := info.New(strategies.Config{Concurrency: 4, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		fault string
		want  strategies.Class
	}{
		{"reset", strategies.ClassReset},
		{"reset-mid-body", strategies.ClassReset},
		{"truncate", strategies.ClassEOF},
		{"malformed", strategies.ClassMalformed},
		{"huge-header", strategies.ClassMalformed},
		{"hang", strategies.ClassTimeout},
		{"hang-mid-body", strategies.ClassTimeout},
		{"status:503", strategies.ClassHTTPStatus},
		{"status:429", strategies.ClassHTTPStatus},
		{"no-temperature", strategies.ClassNoTemperature},
	}
	for _, tt := range tests {
		if info.Name == "fasthttp" && tt.fault == "reset" {
			// fasthttp turns any error on a response's first byte into
			// "server closed the connection" (see fasthttpError): the
			// reset is lost inside the library.
			tt.want = strategies.ClassEOF
		}
		jobs := stationJobs(srv.URL(), 2, "?fault="+tt.fault)
		c := newCollector(len(jobs))
		f.Fetch(context.Background(), strategies.JobList(jobs), c.done)
		for _, r := range c.check(t) {
			// A job ends within its timeout; the margin is for loaded CI machines.
			if r.Class != tt.want || r.Latency() > timeout+500*time.Millisecond {
				t.Errorf("fault %s: class %q (err %v) after %v; want %q within the timeout", tt.fault, r.Class, r.Err, r.Latency(), tt.want)
			}
		}
	}
}

// openFDs counts this process's open file descriptors (Linux: /proc).
func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count file descriptors here: %v", err)
	}
	return len(entries)
}

// checkFDs fails the test if more descriptors are open than before it:
// a strategy that forgets a socket (or an epoll instance) leaks one per
// batch. Closes finish asynchronously in some libraries: wait a moment.
func checkFDs(t *testing.T, before int) {
	now := openFDs(t)
	for deadline := time.Now().Add(2 * time.Second); now > before && time.Now().Before(deadline); now = openFDs(t) {
		time.Sleep(10 * time.Millisecond)
	}
	if now > before {
		t.Errorf("%d file descriptors open after the case, %d before: a leak", now, before)
	}
}

// testTwoServers alternates jobs between two servers: a strategy must reuse
// each server's connections for that server's jobs, not open one per job or
// leave them behind.
func testTwoServers(t *testing.T, info strategies.Info) {
	a, b := startServer(t, mockserver.Config{Seed: 1}), startServer(t, mockserver.Config{Seed: 1})
	const c = 2
	f, err := info.New(strategies.Config{Concurrency: c, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	jobs := make([]strategies.Job, 40)
	for i := range jobs {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		jobs[i] = strategies.Job{Name: "London", URL: srv.PageURL("EGLC")}
	}
	for range 2 {
		col := newCollector(len(jobs))
		f.Fetch(context.Background(), strategies.JobList(jobs), col.done)
		for i, r := range col.check(t) {
			if !r.OK() {
				t.Fatalf("job %d: %v %v", i, r.Class, r.Err)
			}
		}
	}
	if info.Name == "perrequest" {
		return // unbounded: it may open one per job at once
	}
	for name, srv := range map[string]*mockserver.Server{"first": a, "second": b} {
		if n := srv.Stats().ConnsAccepted; n > 2*c {
			t.Errorf("%s server accepted %d connections for 40 jobs at concurrency %d; want them reused", name, n, c)
		}
	}
}

// testTurnHandedOn runs one job at a time through every way a job can end
// without leaving a connection for the next: a closed connection, a
// refused dial, a URL that cannot be fetched, a reset. Each must pass its
// turn on; a strategy that lost the turn would stall until ctx ended and
// report the rest canceled.
func testTurnHandedOn(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 3})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	page := srv.PageURL("EGLC")
	jobs := []strategies.Job{
		{URL: page + "?body=close"}, {URL: refused}, {URL: page + "?body=close"},
		{URL: "ftp://example.invalid/"}, {URL: page + "?fault=reset"}, {URL: refused},
		{URL: "ftp://example.invalid/"}, {URL: "ftp://example.invalid/"}, {URL: page}, {URL: page + "?body=close"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	results, err := fetch(t, info, strategies.Config{Concurrency: 1, Timeout: 5 * time.Second}, ctx, jobs)
	if err != nil {
		t.Fatalf("Fetch: %v; want nil: every job can end on its own", err)
	}
	for i, r := range results {
		if r.Class == strategies.ClassCanceled {
			t.Errorf("job %d (%s): canceled; want its own end (the turn was lost)", i, jobs[i].URL)
		}
	}
	for _, i := range []int{0, 2, 8, 9} {
		if !results[i].OK() {
			t.Errorf("job %d (%s): class %q err %v; want the page", i, jobs[i].URL, results[i].Class, results[i].Err)
		}
	}
}

// testRequestHeaders checks what each strategy sends, against two servers
// in one batch, so that a request object reused for the next job cannot
// carry the previous host along.
func testRequestHeaders(t *testing.T, info strategies.Info) {
	type seen struct{ method, uri, host, agent string }
	var mu sync.Mutex
	got := map[string]seen{} // by the page asked for
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path] = seen{r.Method, r.RequestURI, r.Host, r.UserAgent()}
		mu.Unlock()
		fmt.Fprint(w, "<p>50 F</p>")
	})
	a, b := httptest.NewServer(handler), httptest.NewServer(handler)
	defer a.Close()
	defer b.Close()
	var jobs []strategies.Job
	for i := range 6 {
		base := a.URL
		if i%2 == 1 {
			base = b.URL
		}
		jobs = append(jobs, strategies.Job{Name: "x", URL: fmt.Sprintf("%s/page/%d?q=%d", base, i, i)})
	}
	fetch(t, info, strategies.Config{Concurrency: 1}, context.Background(), jobs)
	mu.Lock() // the handler wrote before it answered, but the race detector cannot see through a socket
	defer mu.Unlock()
	for i, job := range jobs {
		u, _ := url.Parse(job.URL)
		want := seen{"GET", u.RequestURI(), u.Host, "netio (+https://github.com/netio-lab/netio)"}
		if g := got[u.Path]; g != want {
			t.Errorf("job %d: server saw %+v; want %+v", i, g, want)
		}
	}
}

// testCloseTwice closes a fetcher that has fetched, opens a pipe (which
// takes the lowest free descriptors: those the first Close just freed),
// and closes the fetcher again. The second Close must not touch the pipe,
// nor move the goroutine gauge a second time.
func testCloseTwice(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 2})
	gauge := new(strategies.Gauge)
	f, err := info.New(strategies.Config{Concurrency: 2, Gauge: gauge})
	if err != nil {
		t.Fatal(err)
	}
	jobs := stationJobs(srv.URL(), 4, "")
	col := newCollector(len(jobs))
	if err := f.Fetch(context.Background(), strategies.JobList(jobs), col.done); err != nil {
		t.Fatal(err)
	}
	col.check(t)
	if err := f.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := f.Close(); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
	if _, err := w.Write([]byte("x")); err != nil {
		t.Errorf("a pipe opened between the two Closes: write: %v; want the second Close to leave other files alone", err)
	}
	buf := make([]byte, 1)
	if _, err := r.Read(buf); err != nil {
		t.Errorf("a pipe opened between the two Closes: read: %v", err)
	}
	waitLive(t, gauge)
}

// waitLive waits a moment for the gauge to come down to zero (some
// libraries' goroutines end just after Close) and fails if it does not,
// or goes below.
func waitLive(t *testing.T, gauge *strategies.Gauge) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); gauge.Live() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if n := gauge.Live(); n != 0 {
		t.Errorf("gauge reads %d goroutines after Close; want 0", n)
	}
}

// countingJobs is a batch that counts how often each of its jobs is asked
// for: a strategy reads a job when it starts it (and may again when it
// reports or retries it), and must not read the whole batch up front.
type countingJobs struct {
	pages []strategies.Job
	n     int
	mu    sync.Mutex
	asked map[int]int
}

func (c *countingJobs) Len() int { return c.n }

func (c *countingJobs) Job(i int) strategies.Job {
	c.mu.Lock()
	c.asked[i]++
	c.mu.Unlock()
	return c.pages[i%len(c.pages)]
}

// testJobsReadByIndex fetches a batch given as a Jobs, not a slice: every
// job must be asked for and get its result, and none asked for more than
// a few times (a first look before the loop, its start, a retry).
func testJobsReadByIndex(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 8})
	jobs := &countingJobs{pages: stationJobs(srv.URL(), 5, ""), n: 300, asked: map[int]int{}}
	f, err := info.New(strategies.Config{Concurrency: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	col := newCollector(jobs.n)
	if err := f.Fetch(context.Background(), jobs, col.done); err != nil {
		t.Fatal(err)
	}
	for i, r := range col.check(t) {
		if !r.OK() {
			t.Errorf("job %d: %v %v; want ok", i, r.Class, r.Err)
		}
	}
	for i := range jobs.n {
		if n := jobs.asked[i]; n < 1 || n > 3 {
			t.Errorf("job %d asked for %d times; want 1 to 3", i, n)
		}
	}
}

// testLanes checks Result.Lane: every request that ran names a lane from 1
// to the most requests the strategy keeps in flight, and no lane carries
// two requests at once.
//
// The server closes every connection after its response (body=close), and
// three batches run on one fetcher: a strategy whose lanes are its
// connections must give a closed connection's number to the next one, or
// its lanes would grow past C.
func testLanes(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 3, Model: mockserver.Model{Delay: mockserver.Delay{Dist: "uniform", Latency: mockserver.Duration(4 * time.Millisecond), Jitter: mockserver.Duration(3 * time.Millisecond)}}})
	const n, c = 60, 6
	f, err := info.New(strategies.Config{Concurrency: c})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var results []strategies.Result
	for range 3 {
		col := newCollector(n)
		if err := f.Fetch(context.Background(), strategies.JobList(stationJobs(srv.URL(), n, "?body=close")), col.done); err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		results = append(results, col.check(t)...)
	}
	most := info.InFlight(c, n)
	byLane := map[int][]strategies.Result{}
	for _, r := range results {
		if r.Class != strategies.ClassOK {
			t.Fatalf("job %d: %v; want ok", r.Index, r.Err)
		}
		if r.Lane < 1 || r.Lane > most {
			t.Fatalf("job %d: lane %d; want 1..%d", r.Index, r.Lane, most)
		}
		byLane[r.Lane] = append(byLane[r.Lane], r)
	}
	for lane, rs := range byLane {
		slices.SortFunc(rs, func(a, b strategies.Result) int { return a.Start.Compare(b.Start) })
		for k := 1; k < len(rs); k++ {
			if rs[k].Start.Before(rs[k-1].End) {
				t.Errorf("lane %d: job %d started before job %d ended", lane, rs[k].Index, rs[k-1].Index)
			}
		}
	}
	if info.Name != "sequential" && len(byLane) < 2 {
		t.Errorf("%d lane(s) used for %d jobs at concurrency %d; want several", len(byLane), n, c)
	}
}

// testOnStart checks Config.OnStart: every job is announced before its
// done, and its last announcement names the lane and start its Result
// has, so that a live view can draw each request while it waits.
func testOnStart(t *testing.T, info strategies.Info) {
	srv := startServer(t, mockserver.Config{Seed: 3, Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(2 * time.Millisecond)}}})
	const n, c = 30, 5
	var (
		mu       sync.Mutex
		starts   = map[int][]strategies.Started{}
		unstated []int // jobs done before any OnStart for them
	)
	f, err := info.New(strategies.Config{Concurrency: c, OnStart: func(s strategies.Started) {
		mu.Lock()
		defer mu.Unlock()
		starts[s.Index] = append(starts[s.Index], s)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	col := newCollector(n)
	err = f.Fetch(context.Background(), strategies.JobList(stationJobs(srv.URL(), n, "")), func(r strategies.Result) {
		mu.Lock()
		if len(starts[r.Index]) == 0 {
			unstated = append(unstated, r.Index)
		}
		mu.Unlock()
		col.done(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(unstated) > 0 {
		t.Errorf("jobs %v done before OnStart announced them", unstated)
	}
	for _, r := range col.check(t) {
		s := starts[r.Index]
		if len(s) == 0 {
			continue
		}
		last := s[len(s)-1]
		if last.Lane != r.Lane || !last.At.Equal(r.Start) || r.Lane < 1 {
			t.Errorf("job %d: started on lane %d at %v; result on lane %d from %v", r.Index, last.Lane, last.At, r.Lane, r.Start)
		}
	}
}
