package strategies

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// userAgent is sent with every request: some real weather services refuse
// requests without one.
const userAgent = "netio (+https://github.com/netio-lab/netio)"

// httpClient is the net/http machinery shared by the goroutine strategies
// (sequential, perrequest, pool, errgroup). They all fetch a page the same
// way, through fetch, so that a difference between them is a difference in
// scheduling and nothing else.
type httpClient struct {
	transport *http.Transport
	cfg       Config
	bufs      sync.Pool // *bytes.Buffer, reused across requests
	urls      urlCache[parsedURL]
	header    http.Header
}

// newHTTPClient builds a keep-alive transport whose idle pool can hold one
// connection per request in flight, so that a warm batch reuses every
// connection instead of dialing afresh.
//
// idle is the most idle connections kept per host between requests.
func newHTTPClient(cfg Config, idle int) *httpClient {
	t := &http.Transport{
		DialContext:            countingDialer(cfg.Gauge, cfg.Timeout),
		MaxIdleConns:           0,    // no limit across hosts: a batch may alternate between servers
		MaxIdleConnsPerHost:    idle, // the default, 2, would close most connections after each batch
		IdleConnTimeout:        90 * time.Second,
		DisableCompression:     true, // measure the bytes the server sent, not a gzip round trip
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      false, // plain HTTP/1.1: one request per connection at a time
	}
	// One header map for every request: RoundTrip only reads it.
	header := http.Header{"User-Agent": {userAgent}}
	return &httpClient{transport: t, cfg: cfg, header: header}
}

// fetch performs one job on a lane (Result.Lane: what carries it) and
// returns its Result, hedged if Config.HedgeAfter says so. It blocks until the response has been read,
// the per-request Timeout has passed or ctx ends.
func (c *httpClient) fetch(ctx context.Context, index, lane int, job Job) Result {
	start := time.Now()
	c.cfg.started(index, lane, start)
	var res Result
	if c.cfg.HedgeAfter > 0 {
		res = c.hedged(ctx, index, job)
	} else {
		res = c.attempt(ctx, index, job)
	}
	res.Start, res.Lane = start, lane // the caller has waited since OnStart
	return res
}

// attempt sends the job's request once.
func (c *httpClient) attempt(ctx context.Context, index int, job Job) Result {
	res := Result{Index: index, Start: time.Now()}
	if ctx.Err() != nil {
		return finish(ctx, res, ctx.Err())
	}
	u, err := c.parseURL(job.URL)
	if err != nil {
		return finish(ctx, res, err)
	}
	// The per-request Timeout is a deadline on the connection, set when the
	// request gets one (the dialer is bounded by Timeout too), rather than
	// a context.WithTimeout per request: that context's timer, its
	// registration with the batch context and net/http's watching of it
	// were a tenth of a request's CPU with a thousand in flight (pool at
	// N=10k, 50 ms, C=1000: 42 → 38 µs per request, efficiency +0.01–0.02
	// in alternated runs). The deadline stays on the connection when it
	// goes back to the idle pool; the next request moves it. A connection
	// left idle past it is closed by net/http and dialed again later:
	// keep-alive lasts at most Timeout of idleness.
	var conn net.Conn
	deadline := time.Time{}
	if c.cfg.Timeout > 0 {
		deadline = res.Start.Add(c.cfg.Timeout)
	}
	reqCtx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			conn = info.Conn
			if !deadline.IsZero() {
				conn.SetDeadline(deadline)
			}
		},
	})
	req := (&http.Request{
		Method: http.MethodGet, URL: u, Host: u.Host, Header: c.header,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}).WithContext(reqCtx)
	// RoundTrip rather than http.Client.Do: no redirects, no cookies, one
	// request on the wire per job.
	resp, err := c.transport.RoundTrip(req)
	if err != nil {
		return finish(ctx, res, withSocketError(err, conn))
	}
	res.Status = resp.StatusCode
	return c.readBody(ctx, res, resp, conn)
}

// parsedURL is a job's URL as RoundTrip takes it, or why it cannot be.
type parsedURL struct {
	u   *url.URL
	err error
}

// parseURL parses a job's URL once per client: url.Parse and the header
// map http.NewRequest builds were a twentieth of a request's CPU, spent
// again on every page of a batch that cycles through the same few. The
// *url.URL is shared: RoundTrip does not modify its request.
func (c *httpClient) parseURL(raw string) (*url.URL, error) {
	p := c.urls.get(raw, func(raw string) (parsedURL, bool) {
		u, err := parseHTTPURL(raw)
		return parsedURL{u, err}, true // a URL that does not parse never will
	})
	return p.u, p.err
}

// countingDialer dials for the transport and counts, on gauge, the
// goroutines net/http runs for the connection, which no caller of
// RoundTrip sees: the one that dials (Transport.startDialConnForLocked), for
// as long as the dial takes, and then the two that serve the connection
// (persistConn's readLoop and writeLoop) until it is closed.
func countingDialer(gauge *Gauge, timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dialer := &net.Dialer{Timeout: cmp.Or(timeout, 30*time.Second), KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		gauge.Add(1) // we run on the dialing goroutine
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			gauge.Add(-1)
			return nil, err
		}
		// The dialer's 1 becomes the loops' 2 in one step, so the figure
		// never shows all three: the dialer ends moments after the loops
		// start.
		gauge.Add(1)
		return &recordingConn{Conn: c, gauge: gauge}, nil
	}
}

// recordingConn remembers the last error its socket reported. net/http
// often reports a connection reset by the server as "unexpected EOF" or a
// malformed response; the socket's own error says what really happened.
//
// It also ends the count of the connection's two goroutines on gauge when
// it is first closed: closing is what makes net/http's loops return.
type recordingConn struct {
	net.Conn
	last   atomic.Pointer[error]
	gauge  *Gauge
	closed atomic.Bool
}

// Close closes the socket; only the first call moves the gauge, because
// net/http may close a connection from both of its loops.
func (c *recordingConn) Close() error {
	if !c.closed.Swap(true) {
		c.gauge.Add(-2)
	}
	return c.Conn.Close()
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.record(err)
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.record(err)
	return n, err
}

func (c *recordingConn) record(err error) {
	if err != nil && !errors.Is(err, io.EOF) {
		c.last.Store(&err)
	}
}

// withSocketError adds the socket's last error to err, so that Classify
// sees a reset that net/http reported as something else.
func withSocketError(err error, conn net.Conn) error {
	rc, ok := conn.(*recordingConn)
	if !ok {
		return err
	}
	if last := rc.last.Load(); last != nil && !errors.Is(err, *last) {
		return errors.Join(err, *last)
	}
	return err
}

// readBody reads resp's body, closes it and processes the page. conn is
// the connection it came on, whose socket error explains a failed read.
func (c *httpClient) readBody(ctx context.Context, res Result, resp *http.Response, conn net.Conn) Result {
	defer resp.Body.Close()
	buf := c.getBuffer()
	defer c.bufs.Put(buf)

	limit := c.cfg.maxBodyBytes()
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	res.Bytes = n
	switch {
	case err != nil:
		return finish(ctx, res, withSocketError(err, conn))
	case n > limit:
		return finish(ctx, res, ErrTooLarge)
	case resp.StatusCode != http.StatusOK:
		return finish(ctx, res, &StatusError{Code: resp.StatusCode, Status: reason(resp)})
	}
	return processPage(ctx, res, buf.Bytes())
}

// reason is the reason phrase the server sent ("Slow Down" in "503 Slow Down").
func reason(resp *http.Response) string {
	_, phrase, _ := strings.Cut(resp.Status, " ")
	return phrase
}

func (c *httpClient) getBuffer() *bytes.Buffer {
	if b, ok := c.bufs.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

// Close closes the idle keep-alive connections, which ends their count on
// Config.Gauge. It neither waits for requests in flight (call it after
// Fetch has returned: by then every connection is idle or closed) nor for
// the transport's connection goroutines, which exit moments later.
func (c *httpClient) Close() error {
	if c != nil { // a strategy's zero value has no client
		c.transport.CloseIdleConnections()
	}
	return nil
}

// processPage finishes a successful response: it looks for the temperature.
// Every strategy ends a 200 response here.
func processPage(ctx context.Context, res Result, page []byte) Result {
	temp, ok := ParseTemperature(page)
	return pageResult(ctx, res, temp, ok)
}

// pageResult finishes a 200 response whose page was read: with its
// temperature, or failing with ErrNoTemperature.
func pageResult(ctx context.Context, res Result, temp float64, ok bool) Result {
	if !ok {
		return finish(ctx, res, ErrNoTemperature)
	}
	res.Temperature, res.HasTemperature = temp, true
	return finish(ctx, res, nil)
}

// finish stamps the end time and classifies err.
func finish(ctx context.Context, res Result, err error) Result {
	res.End = time.Now()
	res.Err = err
	res.Class = Classify(ctx, err)
	return res
}

// pacer paces an open workload on one goroutine: wait blocks until each
// job's intended start. It reuses one timer for the whole batch: a timer
// per job was an open workload's one allocation per request (about 150 B),
// and its garbage kept the collector busy where a closed batch allocates
// nothing. The zero pacer is ready; stop releases its timer.
type pacer struct {
	timer *time.Timer
}

// wait blocks until at, or until ctx ends, whichever comes first; it
// returns ctx's error if ctx ended first. A zero at (a closed workload)
// returns nil at once without reading the clock, and a past one without a
// timer: starting a job as soon as possible costs nothing extra.
//
// A timer fires at its deadline or later, never before, so a Result.Start
// stamped after wait returns nil is never before at. How much later: an
// idle Go process sleeps in its network poller in whole milliseconds
// (runtime/netpoll_epoll.go), so up to a millisecond. Epoll, which owns its
// sleep, waits to the microsecond instead.
func (p *pacer) wait(ctx context.Context, at time.Time) error {
	if at.IsZero() {
		return nil
	}
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d) // since Go 1.23 a Reset timer never delivers a stale tick
	}
	select {
	case <-p.timer.C:
		return nil
	case <-ctx.Done():
		p.timer.Stop()
		return ctx.Err()
	}
}

// stop releases the timer, if the pacer made one.
func (p *pacer) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}

// cancelFrom reports every job from index first on as canceled. It is how a
// strategy accounts for the jobs it never started once ctx has ended.
func cancelFrom(ctx context.Context, first, count int, done func(Result)) {
	for i := first; i < count; i++ {
		now := time.Now()
		done(finish(ctx, Result{Index: i, Start: now}, ctx.Err()))
	}
}

// startEach calls start for the jobs in index order, each no sooner than
// its At (see pacer), until ctx ends; the jobs it never started are
// reported canceled. It is the dispatch loop of the strategies that start
// each job from the caller's goroutine: sequential runs the job inside
// start, perrequest and errgroup start a goroutine for it there.
func startEach(ctx context.Context, jobs Jobs, done func(Result), start func(i int, job Job)) {
	n := jobs.Len()
	var pace pacer
	defer pace.stop()
	for i := range n {
		job := jobs.Job(i)
		if pace.wait(ctx, job.At) != nil || ctx.Err() != nil {
			cancelFrom(ctx, i, n, done)
			return
		}
		start(i, job)
	}
}
