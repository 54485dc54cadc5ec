package strategies

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/netio-lab/netio/strategies/internal/httpparse"
)

// This file holds what the event-loop strategies (epoll, gnet) share: the
// request bytes they write, and the per-request state they keep between
// reads, because in an event loop no goroutine's stack remembers it.

// target is a job made ready for a raw client: where to connect, and the
// bytes to write.
type target struct {
	addr    string // resolved "ip:port"
	request []byte
	err     error // the job cannot be sent at all (bad URL, unknown host)
}

// prepareTargets resolves every job's host once and renders its request.
// Jobs with the same URL share one target, so a batch costs a pointer per
// job. It blocks for DNS; the loop itself never does.
func prepareTargets(ctx context.Context, jobs []Job) []*target {
	resolved := map[string]target{} // by host:port; only addr and err are set
	targets := make([]*target, len(jobs))
	byURL := map[string]*target{}
	for i, job := range jobs {
		t, seen := byURL[job.URL]
		if !seen {
			t = newTarget(ctx, job.URL, resolved)
			byURL[job.URL] = t
		}
		targets[i] = t
	}
	return targets
}

// newTarget makes the target for one URL, resolving its host unless
// resolved already has it.
func newTarget(ctx context.Context, rawURL string, resolved map[string]target) *target {
	u, err := parseHTTPURL(rawURL)
	if err != nil {
		return &target{err: err}
	}
	hostPort := u.Host
	if u.Port() == "" {
		hostPort = net.JoinHostPort(u.Hostname(), "80")
	}
	r, done := resolved[hostPort]
	if !done {
		r.addr, r.err = resolve(ctx, hostPort)
		resolved[hostPort] = r
	}
	if r.err != nil {
		return &target{err: r.err}
	}
	return &target{addr: r.addr, request: fmt.Appendf(nil, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n\r\n",
		u.RequestURI(), u.Host, userAgent)}
}

// parseHTTPURL parses a job's URL and checks it is one every strategy can
// fetch: http, with a host.
func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("strategies: unsupported URL %q: want http://host/path", raw)
	}
	return u, nil
}

// resolve turns host:port into ip:port, preferring IPv4.
func resolve(ctx context.Context, hostPort string) (string, error) {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); ip != nil {
		return net.JoinHostPort(ip.String(), port), nil
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
	if err != nil {
		return "", err
	}
	best := ips[0]
	for _, ip := range ips {
		if ip.To4() != nil {
			best = ip
			break
		}
	}
	return net.JoinHostPort(best.String(), port), nil
}

// exchange is one request's state in an event loop: where its response
// stands, and the page processing so far. It is reused for the next
// request on the same connection.
type exchange struct {
	job      int
	start    time.Time
	parser   httpparse.Parser
	scanner  TemperatureScanner
	received bool // whether any response byte arrived (a reused connection's failure before that may be retried)
}

// begin readies the exchange for a job.
func (x *exchange) begin(job int, start time.Time, maxBody int64) {
	x.job, x.start, x.received = job, start, false
	x.scanner.Reset()
	if x.parser.Body == nil {
		x.parser.Body = func(b []byte) { x.scanner.Write(b) }
	}
	x.parser.Reset()
	x.parser.MaxBodyBytes = maxBody
}

// feed parses bytes read from the connection. It reports whether the
// response is complete, and then whether the connection may carry the next
// request: the server allows it and sent nothing past the response.
func (x *exchange) feed(data []byte) (done, keep bool, err error) {
	x.received = x.received || len(data) > 0
	n, err := x.parser.Feed(data)
	done = x.parser.Done()
	return done, done && n == len(data) && x.parser.KeepAlive, err
}

// result is the job's Result once the response ended (err nil) or failed.
func (x *exchange) result(ctx context.Context, err error) Result {
	res := Result{Index: x.job, Start: x.start, Status: x.parser.Status, Bytes: x.parser.BodyBytes}
	switch {
	case err != nil:
		return finish(ctx, res, err)
	case res.Status != 200:
		return finish(ctx, res, &StatusError{Code: res.Status})
	}
	temp, ok := x.scanner.Temperature()
	return pageResult(ctx, res, temp, ok)
}
