//go:build linux

package bench_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/internal/leaktest"
	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
)

// Hostile clients (issue 22): a mock server held by clients that never
// read, that send a header byte a second, or that send nothing at all must
// still serve a bench as well as it did alone, and end each of those
// connections by its own limits (docs/mockserver.md, "Hostile clients").
const (
	pipeliners = 50    // pipeline requests and never read
	slowloris  = 1_000 // a header byte a second
	idlers     = 2_000 // connect and send nothing

	// hostileLimit is the server's HeaderTimeout, IdleTimeout and
	// WriteTimeout in this test (defaults 10 s, 2 min, 10 s), and each is
	// checked at this value. Every hostile connection must outlast the
	// bench beside it: the bench takes 9 s (four passes of an ideal 2 s,
	// and two child processes to start), 9.2 s with -race and a core
	// taken by another process; the pipeliners' write clocks begin up to
	// 2.5 s before the server's quiet, and the bench starts 1.5 s after
	// it. 20 s leaves room for a machine half as fast again.
	hostileLimit = 20 * time.Second

	// closeMargin is how late after its limit a hostile connection may be
	// seen closed: the server's timers, a thousand connections ended in
	// the same instant, and the readers here waking, on a loaded machine.
	closeMargin = 2 * time.Second

	// hostileRSSBound bounds the mock server's peak resident memory until
	// the hostile connections have gone: it measured 26 MB built plainly,
	// and 113–124 MB built with -race, whose shadow memory grows with what
	// the process touches.
	hostileRSSBound     = 40 << 20
	hostileRSSBoundRace = 160 << 20
)

// TestHostileClients measures a verified bench (pool and epoll, 5,000
// requests) on a mock server in a process of its own, first undisturbed,
// then beside 50 connections that pipeline requests and never read, 1,000
// slowloris connections and 2,000 idle ones. The bench starts once the
// pipeliners have stalled (the socket buffers between them and the server
// are full) and the others are in place: from then on they must cost the
// server nothing. Every answer must be verified both times, the efficiency
// within 10 % of the undisturbed run's, the server's peak RSS under a
// bound, every hostile connection ended by the server within its limit,
// and nothing left open on either side. Last, a flood whose client reads
// its answers must leave the bench at least half its efficiency.
func TestHostileClients(t *testing.T) {
	if testing.Short() {
		t.Skip("about 36 s (39 s with -race): three benches, two floods, and the server's limits to wait out")
	}
	begin := time.Now()
	defer goleak.VerifyNone(t, append(slices.Clip(leaktest.Options), goleak.IgnoreCurrent())...)
	fds0 := fdCount(t, os.Getpid())

	srv, err := serverproc.StartMock(mockserver.Config{Seed: serverSeed,
		HeaderTimeout: hostileLimit, IdleTimeout: hostileLimit, WriteTimeout: hostileLimit})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pid := srv.Pid()
	serverFDs := fdCount(t, pid) // the listener's and the loop's: the server's baseline

	// 20 ms pages, 50 at once: a pass's ideal is 100 rounds of 20 ms, 2 s.
	// Each request's own CPU (tens of µs built plainly, a few hundred with
	// -race, client and server together) is then small beside the 20 ms it
	// waits, and at 2,500 requests a second the two processes need less
	// than the one core a loaded 2-core machine may have left, so the
	// efficiency is the injected delay's, near 1, and a 10 % loss can only
	// be the hostile clients'. (At 100 at once, pool with -race and a core
	// taken measured 0.70 and 0.74 in two runs: the client's CPU, not the
	// delay, set the pace. At 50: 0.92 and 0.90.)
	plan := bench.Plan{Strategies: []string{"pool", "epoll"}, Mode: results.ModeClosed, N: []int{5_000}, Concurrency: []int{50},
		Latency: []time.Duration{20 * time.Millisecond}, Count: 1, Timeout: 10 * time.Second, Seed: serverSeed, Target: srv.URL}
	cpu0, calm0 := cpuTime(t, pid), time.Now()
	calm := runVerified(t, plan, "undisturbed")
	calmCPU, calmWall := cpuTime(t, pid)-cpu0, time.Since(calm0)
	if !eventually(5*time.Second, func() bool { return fdCount(t, pid) == serverFDs }) {
		t.Fatalf("the server has %d descriptors open after the bench; want %d, as before it", fdCount(t, pid), serverFDs)
	}

	h := newHostiles(t, srv.URL)
	defer h.closeAll()

	// The flood: pipeliners write requests as fast as the server takes
	// them, until the buffers between them and the server are full.
	cpu1, flood0 := cpuTime(t, pid), time.Now()
	h.startPipeliners(t)
	flood := h.waitStalled(t, pid, flood0, cpu1, 60*time.Second)
	t.Logf("flood: %d pipeliners stalled after %v; the server meanwhile used %v of CPU (%.2f cores), and then %v in %v; kernel TCP memory %s, server RSS %d MB",
		pipeliners, flood.wall.Round(time.Millisecond), flood.cpu, flood.cpu.Seconds()/flood.wall.Seconds(), flood.quietCPU, stallQuiet, tcpMem(t), rss(t, pid, "VmRSS")>>20)

	h.openIdlers(t)
	h.openSlowloris(t)
	if n := h.ended(); n > 0 {
		t.Fatalf("%d hostile connections ended before the bench began: %s", n, h.summary())
	}
	t.Logf("every hostile connection in place: server RSS %d MB, %d descriptors", rss(t, pid, "VmRSS")>>20, fdCount(t, pid))
	cpu2, held0 := cpuTime(t, pid), time.Now()
	loud := runVerified(t, plan, "beside the hostile clients")
	heldCPU, heldWall := cpuTime(t, pid)-cpu2, time.Since(held0)
	if n := h.ended(); n > 0 {
		t.Errorf("%d hostile connections ended before the bench did, so it did not run beside them all (it took %v): %s",
			n, heldWall.Round(time.Millisecond), h.summary())
	}
	t.Logf("bench beside them: %v, the server used %v of CPU (undisturbed: %v in %v); peak RSS so far %d MB",
		heldWall.Round(time.Millisecond), heldCPU, calmCPU, calmWall.Round(time.Millisecond), rss(t, pid, "VmHWM")>>20)

	for i, r := range loud {
		if ratio := *r.Efficiency / *calm[i].Efficiency; ratio < 0.9 {
			t.Errorf("%s: efficiency %.3f beside the hostile clients, %.3f undisturbed (%.2f×); want at least 0.9×",
				r.Strategy, *r.Efficiency, *calm[i].Efficiency, ratio)
		} else {
			t.Logf("%s: efficiency %.3f beside the hostile clients, %.3f undisturbed (%.2f×)", r.Strategy, *r.Efficiency, *calm[i].Efficiency, ratio)
		}
	}

	// Each class ends by the server's own limit, measured from when the
	// client can tell it began: the connection (idle), the first header
	// byte (slowloris), the start of the server's quiet (its stuck writes
	// began before it).
	h.waitAllEnded(t, hostileLimit+closeMargin+5*time.Second)
	h.checkEnds(t)
	bound := int64(hostileRSSBound)
	if raceEnabled() {
		bound = hostileRSSBoundRace
	}
	if rss := rss(t, pid, "VmHWM"); rss > bound {
		t.Errorf("the mock server's peak RSS is %d MB; want under %d MB", rss>>20, bound>>20)
	} else {
		t.Logf("the mock server's peak RSS with the hostile clients: %d MB (bound %d MB)", rss>>20, bound>>20)
	}
	h.closeAll()

	// A flood whose client reads the answers does not stall: it is load
	// like any other, and the server takes it a request at a time. The
	// bench's epoll point runs beside 50 such connections: every answer
	// verified, and at least half the undisturbed efficiency (0.86×
	// measured built plainly, 0.72–0.84× with -race; 0.22× when each
	// pipelined answer did not yield, and the flood's goroutines kept the
	// event loop from the processors for whole time slices).
	reading := startReadingFlood(t, srv.URL)
	defer reading.stop()
	cpu3, busy0 := cpuTime(t, pid), time.Now()
	busyPlan := plan
	busyPlan.Strategies = []string{"epoll"}
	busy := runVerified(t, busyPlan, "beside a flood that reads")
	busyCPU, busyWall := cpuTime(t, pid)-cpu3, time.Since(busy0)
	answered := reading.stop()
	ratio := *busy[0].Efficiency / *calm[1].Efficiency
	t.Logf("beside a flood that reads: epoll's efficiency %.3f, %.3f undisturbed (%.2f×); the flood got %d answers in %v (%.0f a second) against the bench's %d; the server used %.2f cores, peak RSS %d MB",
		*busy[0].Efficiency, *calm[1].Efficiency, ratio, answered, busyWall.Round(time.Millisecond), float64(answered)/busyWall.Seconds(),
		2*busy[0].N, busyCPU.Seconds()/busyWall.Seconds(), rss(t, pid, "VmHWM")>>20)
	if ratio < 0.5 {
		t.Errorf("epoll's efficiency beside a flood that reads is %.2f× the undisturbed one; want at least 0.5×: the flood's connections must take turns with the event loop", ratio)
	}

	if !eventually(5*time.Second, func() bool { return fdCount(t, pid) == serverFDs }) {
		t.Errorf("the server has %d descriptors open; want %d, as before the hostile clients", fdCount(t, pid), serverFDs)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("closing the mock server: %v", err)
	}
	if !eventually(5*time.Second, func() bool { return fdCount(t, os.Getpid()) == fds0 }) {
		t.Errorf("this process has %d descriptors open; want %d, as before the test", fdCount(t, os.Getpid()), fds0)
	}
	t.Logf("took %v", time.Since(begin).Round(100*time.Millisecond))
}

// readingFlood is connections that pipeline requests and read the
// answers, as fast as the server gives them.
type readingFlood struct {
	conns []net.Conn
	bytes atomic.Int64 // read, answers' bytes
	size  int          // one answer's
	wg    sync.WaitGroup
}

func startReadingFlood(t *testing.T, url string) *readingFlood {
	t.Helper()
	addr := strings.TrimPrefix(url, "http://")
	req := "GET " + mockserver.HTMLPath("KNYC") + " HTTP/1.1\r\nHost: flood\r\n\r\n"
	f := &readingFlood{size: answerSize(t, addr, req)}
	batch := []byte(strings.Repeat(req, 32))
	for range pipeliners {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		f.conns = append(f.conns, c)
		f.wg.Go(func() {
			for {
				if _, err := c.Write(batch); err != nil {
					return
				}
			}
		})
		f.wg.Go(func() {
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				f.bytes.Add(int64(n))
				if err != nil {
					return
				}
			}
		})
	}
	return f
}

// stop ends the flood and returns how many answers it read. It may be
// called again.
func (f *readingFlood) stop() int64 {
	for _, c := range f.conns {
		c.Close()
	}
	f.wg.Wait()
	return f.bytes.Load() / int64(f.size)
}

// answerSize is the size of the answer to req, head and body.
func answerSize(t *testing.T, addr, req string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, strings.Replace(req, "\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	// The same answer, less "Connection: close\r\n", which the flood's
	// keep-alive answers do not carry.
	return len(b) - len("Connection: close\r\n")
}

// runVerified runs the bench and checks that it answered every request
// right: one warm run per strategy, every answer verified, no error. It
// returns the runs in the plan's order.
func runVerified(t *testing.T, p bench.Plan, what string) []results.Run {
	t.Helper()
	file, err := bench.Run(context.Background(), p, bench.Options{Child: realChild})
	if err != nil {
		t.Fatalf("bench %s: %v", what, err)
	}
	if len(file.Failures) > 0 || len(file.Runs) != len(p.Strategies) {
		t.Fatalf("bench %s: %d runs, failures %+v; want %d runs", what, len(file.Runs), file.Failures, len(p.Strategies))
	}
	for _, r := range file.Runs {
		errs := 0
		for _, n := range r.Errors {
			errs += n
		}
		if r.OK != r.N || r.Verified != r.N || errs != 0 || r.Efficiency == nil {
			t.Fatalf("bench %s: %s: %d ok, %d verified, errors %v of %d requests; want every one ok and verified",
				what, r.Strategy, r.OK, r.Verified, r.Errors, r.N)
		}
		t.Logf("bench %s: %s: %d requests, all verified, efficiency %.3f", what, r.Strategy, r.N, *r.Efficiency)
	}
	return file.Runs
}

// hostileConn is one hostile client's connection, and when it ended.
type hostileConn struct {
	c      *net.TCPConn
	class  string
	limit  time.Duration // the server's limit for its class
	since  atomic.Int64  // when its limit's clock began, as far as the client can tell (Unix ns)
	done   chan struct{} // closed when the server ended it
	endAt  time.Time
	endErr error
}

func (hc *hostileConn) end(err error) {
	hc.endAt, hc.endErr = time.Now(), err
	close(hc.done)
}

func (hc *hostileConn) ended() bool {
	select {
	case <-hc.done:
		return true
	default:
		return false
	}
}

// hostiles are the hostile clients of a test and the goroutines that
// drive them.
type hostiles struct {
	addr  string
	conns []*hostileConn
	wg    sync.WaitGroup
	stop  chan struct{} // closed by closeAll
	once  sync.Once
}

func newHostiles(t *testing.T, url string) *hostiles {
	return &hostiles{addr: strings.TrimPrefix(url, "http://"), stop: make(chan struct{})}
}

func (h *hostiles) dial(t *testing.T, class string, limit time.Duration) *hostileConn {
	t.Helper()
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatalf("%s: %v (after %d hostile connections)", class, err, len(h.conns))
	}
	hc := &hostileConn{c: c.(*net.TCPConn), class: class, limit: limit, done: make(chan struct{})}
	hc.since.Store(time.Now().UnixNano())
	h.conns = append(h.conns, hc)
	return hc
}

// startPipeliners opens the pipeliners: each writes requests for a page
// (no delay: the server's default) as fast as its socket takes them and
// never reads, until the server resets it.
func (h *hostiles) startPipeliners(t *testing.T) {
	req := "GET " + mockserver.HTMLPath("KNYC") + " HTTP/1.1\r\nHost: hostile\r\n\r\n"
	batch := []byte(strings.Repeat(req, 32))
	for range pipeliners {
		hc := h.dial(t, "pipeliner", hostileLimit)
		h.wg.Go(func() {
			for {
				// Once stalled, the write waits until the server's reset.
				if _, err := hc.c.Write(batch); err != nil {
					hc.end(err)
					return
				}
				hc.since.Store(time.Now().UnixNano())
			}
		})
	}
}

// stallQuiet is how long the server (process pid) must have spent next
// to nothing, and the pipeliners got no request through, for the flood to
// count as stalled. The client's side stalls first: the server still
// answers the requests in its receive buffer, which may hold megabytes,
// until its own writes stop.
const stallQuiet = time.Second

// floodStats is what the flood cost the server until it stalled.
type floodStats struct {
	wall, cpu time.Duration // from the first pipeliner to the start of the quiet
	quietCPU  time.Duration // the server's CPU in the quiet that followed
}

// waitStalled waits until the flood has stalled: no pipeliner got a
// request through, and the server used less than 2 % of a core, for
// stallQuiet. The server's writes to every pipeliner then wait, and began
// before the quiet did: that is when the pipeliners' WriteTimeout clocks
// are taken to begin, the latest they can have.
// The flood began at begin, when the server had used cpu.
func (h *hostiles) waitStalled(t *testing.T, pid int, begin time.Time, cpu time.Duration, within time.Duration) floodStats {
	t.Helper()
	type sample struct {
		at  time.Time
		cpu time.Duration
	}
	samples := []sample{{begin, cpu}}
	deadline := begin.Add(within)
	for {
		time.Sleep(100 * time.Millisecond)
		now := sample{time.Now(), cpuTime(t, pid)}
		samples = append(samples, now)
		var last int64
		for _, hc := range h.conns {
			last = max(last, hc.since.Load())
		}
		// The sample stallQuiet ago, if there is one.
		i := len(samples) - 1
		for i > 0 && now.at.Sub(samples[i].at) < stallQuiet {
			i--
		}
		if q := samples[i]; now.at.Sub(q.at) >= stallQuiet && time.Unix(0, last).Before(q.at) && now.cpu-q.cpu < stallQuiet/50 {
			for _, hc := range h.conns {
				hc.since.Store(q.at.UnixNano())
			}
			return floodStats{wall: q.at.Sub(begin), cpu: q.cpu - cpu, quietCPU: now.cpu - q.cpu}
		}
		if now.at.After(deadline) {
			t.Fatalf("the flood had not stalled after %v", within)
		}
	}
}

// openIdlers opens connections that send nothing; each waits for the
// server's close (EOF).
func (h *hostiles) openIdlers(t *testing.T) {
	for range idlers {
		hc := h.dial(t, "idle", hostileLimit)
		h.wg.Go(func() { hc.end(readToEnd(hc.c)) })
	}
}

// openSlowloris opens connections that send a request head a byte a
// second, and never finish it; each waits for the server's close.
func (h *hostiles) openSlowloris(t *testing.T) {
	head := "GET " + mockserver.HTMLPath("KNYC") + " HTTP/1.1\r\nHost: hostile\r\nX-Slow: "
	var slow []*hostileConn
	for range slowloris {
		hc := h.dial(t, "slowloris", hostileLimit)
		if _, err := hc.c.Write([]byte(head[:1])); err != nil {
			t.Fatalf("slowloris: first byte: %v", err)
		}
		hc.since.Store(time.Now().UnixNano())
		slow = append(slow, hc)
		h.wg.Go(func() { hc.end(readToEnd(hc.c)) })
	}
	h.wg.Go(func() {
		// A hundred turns a second, each for every hundredth connection:
		// a byte a second each, spread over the second as a thousand
		// clients of their own would be, not in one burst.
		const turns = 100
		tick := time.NewTicker(time.Second / turns)
		defer tick.Stop()
		for i := turns; ; i++ {
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
			b := []byte{'x'}
			if n := i / turns; n < len(head) {
				b[0] = head[n]
			}
			for j := i % turns; j < len(slow); j += turns {
				if hc := slow[j]; !hc.ended() {
					hc.c.Write(b) // a failure is the server's close, which the reader sees
				}
			}
		}
	})
}

// readToEnd reads until the connection ends and returns why: io.EOF for
// the server's close. Bytes from the server are an error: none of these
// clients sends a whole request.
func readToEnd(c net.Conn) error {
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if n > 0 {
		return fmt.Errorf("the server sent %q", buf[:n])
	}
	return err
}

func (h *hostiles) ended() int {
	n := 0
	for _, hc := range h.conns {
		if hc.ended() {
			n++
		}
	}
	return n
}

// summary counts the connections of each class that ended, and how.
func (h *hostiles) summary() string {
	type count struct{ open, ended int }
	counts := map[string]*count{}
	errs := map[string]int{}
	for _, hc := range h.conns {
		c := counts[hc.class]
		if c == nil {
			c = &count{}
			counts[hc.class] = c
		}
		if !hc.ended() {
			c.open++
			continue
		}
		c.ended++
		errs[hc.class+": "+errClass(hc.endErr)]++
	}
	var b strings.Builder
	for _, class := range []string{"pipeliner", "slowloris", "idle"} {
		if c := counts[class]; c != nil {
			fmt.Fprintf(&b, "%s %d open, %d ended; ", class, c.open, c.ended)
		}
	}
	fmt.Fprintf(&b, "how: %v", errs)
	return b.String()
}

// errClass names how a connection ended, without its addresses.
func errClass(err error) string {
	switch {
	case errors.Is(err, io.EOF):
		return "EOF"
	case err == nil:
		return "nil"
	}
	msg := err.Error()
	return msg[strings.LastIndex(msg, ": ")+2:]
}

func (h *hostiles) waitAllEnded(t *testing.T, within time.Duration) {
	t.Helper()
	if !eventually(within, func() bool { return h.ended() == len(h.conns) }) {
		t.Fatalf("not every hostile connection ended within %v: %s", within, h.summary())
	}
}

// endings are the ways the server's close may reach each class of client:
// a FIN (EOF) for the idle ones; for a slowloris, a reset too when its
// byte of that second crossed the close; for a pipeliner, a reset (its
// unread requests make the close one), then a broken pipe.
var endings = map[string][]error{
	"idle":      {io.EOF},
	"slowloris": {io.EOF, syscall.ECONNRESET},
	"pipeliner": {syscall.ECONNRESET, syscall.EPIPE},
}

// checkEnds checks that each connection ended within its class's limit
// (and a margin) of when its clock began, not before the limit, and the
// way the server ends it (endings).
func (h *hostiles) checkEnds(t *testing.T) {
	t.Helper()
	type span struct {
		n        int
		min, max time.Duration
	}
	spans := map[string]*span{}
	for _, hc := range h.conns {
		took := hc.endAt.Sub(time.Unix(0, hc.since.Load()))
		s := spans[hc.class]
		if s == nil {
			s = &span{min: took, max: took}
			spans[hc.class] = s
		}
		s.n++
		s.min, s.max = min(s.min, took), max(s.max, took)
		if want := endings[hc.class]; !slices.ContainsFunc(want, func(e error) bool { return errors.Is(hc.endErr, e) }) {
			t.Errorf("%s connection ended by %v; want one of %v", hc.class, hc.endErr, want)
		}
		// The pipeliner's clock began when the server went quiet, after
		// its write began: only the upper bound is known.
		early := hc.class != "pipeliner" && took < hc.limit*63/64
		if late := took > hc.limit+closeMargin; early || late {
			t.Errorf("%s connection ended %v after its limit's clock began; want %v (+%v)", hc.class, took, hc.limit, closeMargin)
		}
	}
	for _, class := range []string{"pipeliner", "slowloris", "idle"} {
		if s := spans[class]; s != nil {
			t.Logf("%d %s connections ended %v–%v after their limit's clock began (limit %v)", s.n, class, s.min.Round(time.Millisecond), s.max.Round(time.Millisecond), h.limitOf(class))
		}
	}
}

func (h *hostiles) limitOf(class string) time.Duration {
	for _, hc := range h.conns {
		if hc.class == class {
			return hc.limit
		}
	}
	return 0
}

// closeAll closes every hostile connection and waits for the goroutines.
func (h *hostiles) closeAll() {
	h.once.Do(func() {
		close(h.stop)
		for _, hc := range h.conns {
			hc.c.Close()
		}
		h.wg.Wait()
	})
}

// raceEnabled reports whether this test binary was built with -race, and
// so the mock server's process, a copy of it.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// eventually polls cond every 10 ms for up to d.
func eventually(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// fdCount is how many descriptors process pid has open.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// cpuTime is the CPU time process pid has used, user and system
// (/proc/PID/stat, in USER_HZ ticks: 100 a second on every Linux ABI).
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // from field 3, state
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// rss is process pid's resident memory, now (field VmRSS) or at its peak
// (VmHWM), in bytes.
func rss(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %q", field, v)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// tcpMem is the memory the kernel holds for TCP sockets, machine-wide
// (/proc/net/sockstat), for the log.
func tcpMem(t *testing.T) string {
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "TCP:"); ok {
			f := strings.Fields(rest)
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "mem" {
					pages, _ := strconv.ParseInt(f[i+1], 10, 64)
					return fmt.Sprintf("%d MB", pages*int64(os.Getpagesize())>>20)
				}
			}
		}
	}
	return "unknown"
}
