package strategies

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/netio-lab/netio/strategies/internal/httpparse"
)

// FastHTTP fetches with valyala/fasthttp's client from a fixed crew of
// worker goroutines, as load generators built on it (bombardier) do. Its
// savings are in the client itself: pooled request and response objects,
// no per-request allocations, its own HTTP parser. Config.Concurrency is
// the number of workers, each with at most one request in flight.
//
// Set up the way it must be to measure honestly (docs/strategies/fasthttp.md):
// no hidden retries (MaxIdemponentCallAttempts = 1: by default a GET whose
// read timed out is sent up to five times), enough connections for every
// worker, a wait for a free connection rather than an instant failure.
// fasthttp has no context support; cancellation closes the connections in
// use, which makes the calls in flight return at once.
//
// Config.Gauge counts the crew (and, after a cancellation, the goroutine
// that closes the connections). fasthttp runs no goroutine per connection;
// its per-client and per-host cleaners outlive the batch and are not
// counted.
type FastHTTP struct {
	cfg     Config
	client  *fasthttp.Client
	workers int
	conns   liveConns
}

// NewFastHTTP returns a FastHTTP fetcher. Close it to drop its idle
// connections.
func NewFastHTTP(cfg Config) *FastHTTP {
	f := &FastHTTP{cfg: cfg, workers: cfg.concurrency()}
	f.client = &fasthttp.Client{
		MaxConnsPerHost:           max(f.workers, fasthttp.DefaultMaxConnsPerHost),
		MaxConnWaitTimeout:        time.Minute,
		MaxIdemponentCallAttempts: 1,
		MaxResponseBodySize:       int(cfg.maxBodyBytes()),
		// Set here rather than on each request: the client adds it as it
		// is, where Header.SetUserAgent would scan it for line breaks
		// every time.
		Name: userAgent,
		// Header names are kept as they came (fasthttp still finds its own
		// headers in any case); normalizing them is work no page needs.
		// bombardier sets it too.
		DisableHeaderNamesNormalizing: true,
		// The path goes out as the job gives it, as net/http sends it.
		DisablePathNormalizing: true,
		ReadBufferSize:         64 << 10, // also the header limit, as for the other strategies
		// A plain net.Dialer: fasthttp's default dialer keeps a DNS cache
		// with a goroutine that lives as long as the process.
		DialTimeout: func(addr string, timeout time.Duration) (net.Conn, error) {
			c, err := net.DialTimeout("tcp", addr, timeout)
			if err != nil {
				return nil, err
			}
			return f.conns.add(c), nil
		},
	}
	return f
}

// Fetch runs the crew over the jobs (see runCrew) and waits for it. done
// is called from the workers, concurrently, and, for jobs never handed out
// because ctx ended, from the caller's goroutine.
func (f *FastHTTP) Fetch(ctx context.Context, jobs Jobs, done func(Result)) error {
	mustBeMade(f.client != nil, "FastHTTP")
	f.conns.open()
	// A late closeAll must finish before the next Fetch reopens.
	defer onCancel(ctx, f.cfg.Gauge, f.conns.closeAll)()
	runCrew(ctx, f.cfg.Gauge, f.workers, jobs, done, func(worker int, take func() (int, bool)) {
		f.work(ctx, worker, take, jobs, done)
	})
	return ctx.Err()
}

// work is one worker: it fetches the jobs take gives it until take says
// there are no more, reusing one request and one response object.
func (f *FastHTTP) work(ctx context.Context, worker int, take func() (int, bool), jobs Jobs, done func(Result)) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	for i, ok := take(); ok; i, ok = take() {
		done(f.fetch(ctx, i, worker, jobs.Job(i), req, resp))
	}
}

// fetch does one request, reusing the worker's request and response. The
// page is processed before the response is reused: its body lives in it.
func (f *FastHTTP) fetch(ctx context.Context, index, lane int, job Job, req *fasthttp.Request, resp *fasthttp.Response) Result {
	res := Result{Index: index, Lane: lane, Start: time.Now()}
	f.cfg.started(index, lane, res.Start)
	if ctx.Err() != nil {
		return finish(ctx, res, ctx.Err())
	}
	req.Reset()
	resp.Reset()
	req.SetRequestURI(job.URL)
	deadline := res.Start.Add(24 * time.Hour)
	if f.cfg.Timeout > 0 {
		deadline = res.Start.Add(f.cfg.Timeout)
	}
	if err := f.client.DoDeadline(req, resp, deadline); err != nil {
		return finish(ctx, res, fasthttpError(err))
	}
	res.Status = resp.StatusCode()
	body := resp.Body()
	res.Bytes = int64(len(body))
	if res.Status != 200 {
		return finish(ctx, res, &StatusError{Code: res.Status})
	}
	return processPage(ctx, res, body)
}

// fasthttpError gives fasthttp's own errors the meaning Classify knows.
//
// One thing cannot be recovered: fasthttp reports any error on the first
// byte of a response, a reset included, as the server having closed the
// connection (ResponseHeader.tryRead: "treat all other errors on the first
// byte read as EOF"), so a reset before the response is "eof" here.
func fasthttpError(err error) error {
	switch {
	case errors.Is(err, fasthttp.ErrConnectionClosed):
		return errors.Join(err, io.EOF)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return errors.Join(err, ErrTooLarge)
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout):
		return errors.Join(err, os.ErrDeadlineExceeded)
	case strings.Contains(err.Error(), "error when reading response headers"):
		return errors.Join(err, httpparse.ErrMalformed) // a broken status line or header
	}
	return err
}

// Close drops the idle connections.
func (f *FastHTTP) Close() error {
	if f.client != nil { // the zero value has none
		f.client.CloseIdleConnections()
	}
	return nil
}

// liveConns tracks the client's open connections so that a canceled batch
// can close them: the only way to stop a fasthttp call early.
type liveConns struct {
	mu     sync.Mutex
	set    map[*trackedConn]struct{}
	closed bool // canceled: connections dialed from now on are closed at once
}

type trackedConn struct {
	net.Conn
	owner *liveConns
	once  sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.owner.remove(c) })
	return c.Conn.Close()
}

func (l *liveConns) open() {
	l.mu.Lock()
	l.closed = false
	l.mu.Unlock()
}

func (l *liveConns) add(c net.Conn) net.Conn {
	t := &trackedConn{Conn: c, owner: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return t
	}
	if l.set == nil {
		l.set = map[*trackedConn]struct{}{}
	}
	l.set[t] = struct{}{}
	return t
}

func (l *liveConns) remove(c *trackedConn) {
	l.mu.Lock()
	delete(l.set, c)
	l.mu.Unlock()
}

func (l *liveConns) closeAll() {
	l.mu.Lock()
	l.closed = true
	conns := make([]*trackedConn, 0, len(l.set))
	for c := range l.set {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}
