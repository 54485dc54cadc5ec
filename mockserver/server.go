// Package mockserver is a mock of the old NOAA weather site: the server the
// strategies fetch from, so that a run depends on nothing outside the machine
// and every answer can be checked.
//
// It serves, for every station of a committed catalogue of real stations:
//
//	/weather/current/{ICAO}.html                an HTML current-conditions page
//	/data/observations/metar/decoded/{ICAO}.TXT the decoded METAR record
//	/stations                                   the catalogue as JSON
//
// Observations are made up, but reproducibly: the same seed gives the same
// temperature for a station (Observe and ExpectedTemperature are the ground
// truth), and every figure on a page agrees with the others.
//
// What makes it a test instrument is the Model: a seeded delay before each
// response drawn from a distribution (latency.go), bodies framed and paced
// in every way HTTP/1.1 allows and split across TCP writes (delivery.go),
// faults from error statuses to connection resets (faults.go), and a queue
// that makes delays grow with load. Each page request may override any of it
// in its query string (?latency=80ms&fault=reset). An optional admin API
// shows and changes the model while the server runs (admin.go).
//
// The server speaks HTTP/1.1 itself, on plain TCP connections, because
// faults such as a reset in mid-body or a status line cut in two need
// byte-level control of the socket, and because it must hold 10,000 waiting
// connections in little memory. Two engines serve them (Config.Engine): an
// epoll event loop for plain requests (reactor_linux.go), which hands any
// connection that needs more to a goroutine of its own (engine.go).
// docs/mockserver.md says how those choices were measured.
package mockserver

import (
	"bufio"
	"cmp"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Config says how to run a Server. The zero value serves on a free port of
// 127.0.0.1 with seed 0, no delay, no faults and no admin API.
type Config struct {
	// Addr is the host:port to listen on. Empty means "127.0.0.1:0", a free
	// loopback port. Any other interface must be named explicitly.
	Addr string
	// Seed picks the observations and every random draw (delays, faults).
	Seed int64
	// Model is the initial behaviour; the admin API may replace it.
	Model Model

	// MaxConns bounds the connections open at once; past it the server stops
	// accepting until one closes. Zero means DefaultMaxConns.
	MaxConns int
	// MaxDelay caps every injected delay, whatever the model or a query asks.
	// Zero means DefaultMaxDelay.
	MaxDelay time.Duration
	// MaxHang caps how long a hang fault holds a connection. Zero means
	// DefaultMaxHang.
	MaxHang time.Duration
	// HeaderTimeout bounds the time to read a request's head once its first
	// byte arrived. Zero means DefaultHeaderTimeout.
	HeaderTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection may wait for its
	// next request. Zero means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// WriteTimeout bounds how long a client may leave a response untaken:
	// a write (a whole response, or one piece of a paced or split one)
	// that the client has not taken within WriteTimeout of its start
	// closes the connection. It ends a client that sends requests and
	// never reads their answers. Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration

	// Engine says how connections are served: EngineEpoll or
	// EngineGoroutines. Empty means EngineEpoll where the system has epoll
	// (Linux), EngineGoroutines elsewhere.
	Engine string

	// AdminAddr, if set, serves the admin API there (GET/PUT /config,
	// GET /stats). It must be a loopback address unless AdminAllowRemote.
	AdminAddr        string
	AdminAllowRemote bool
}

// Defaults for the zero fields of Config.
const (
	DefaultMaxConns      = 16384
	DefaultMaxDelay      = time.Minute
	DefaultMaxHang       = 30 * time.Second
	DefaultHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout   = 2 * time.Minute
	DefaultWriteTimeout  = 10 * time.Second
)

// The engines that serve connections.
//
// EngineGoroutines serves each connection on a goroutine of its own, which
// reads a request, sleeps through its delay and writes the response: the
// plainest code, and every behaviour of the model is written that way.
//
// EngineEpoll serves connections from one event loop on a Linux epoll
// instance, as the epoll strategy fetches: the waits are entries in a timer
// heap, not sleeping goroutines. It serves plain answers itself (a delay,
// then one whole response: what a benchmark asks for), and hands a
// connection to a goroutine of its own, for good, as soon as one of its
// requests needs more: a fault, a split, paced or chunked body, the queue,
// a head that arrived in pieces, a request body, pipelining. The server
// shares the machine with the client it measures, and the loop spends
// 14–16 µs of CPU per request where goroutines spend about 24
// (docs/mockserver.md).
const (
	EngineEpoll      = "epoll"
	EngineGoroutines = "goroutines"
)

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	c.MaxConns = cmp.Or(c.MaxConns, DefaultMaxConns)
	c.MaxDelay = cmp.Or(c.MaxDelay, DefaultMaxDelay)
	c.MaxHang = cmp.Or(c.MaxHang, DefaultMaxHang)
	c.HeaderTimeout = cmp.Or(c.HeaderTimeout, DefaultHeaderTimeout)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, DefaultIdleTimeout)
	c.WriteTimeout = cmp.Or(c.WriteTimeout, DefaultWriteTimeout)
	if c.Engine == "" {
		c.Engine = EngineGoroutines
		if epollAvailable {
			c.Engine = EngineEpoll
		}
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.MaxConns < 0:
		return fmt.Errorf("mockserver: negative MaxConns %d", c.MaxConns)
	case c.MaxDelay < 0, c.MaxHang < 0, c.HeaderTimeout < 0, c.IdleTimeout < 0, c.WriteTimeout < 0:
		return fmt.Errorf("mockserver: negative limit in %+v", c)
	case c.Engine != "" && c.Engine != EngineEpoll && c.Engine != EngineGoroutines:
		return fmt.Errorf("mockserver: unknown engine %q (valid: %s, %s)", c.Engine, EngineEpoll, EngineGoroutines)
	case c.Engine == EngineEpoll && !epollAvailable:
		return fmt.Errorf("mockserver: engine %s needs Linux; use %s", EngineEpoll, EngineGoroutines)
	}
	if err := c.Model.Validate(); err != nil {
		return fmt.Errorf("mockserver: %w", err)
	}
	return nil
}

// Server is a running mock NOAA server. Start one with Start and stop it
// with Close.
type Server struct {
	cfg      Config
	listener net.Listener
	pages    map[pageKey]page // read-only after Start
	seq      *sequence
	model    atomic.Pointer[compiled]
	queries  queryCache // what each page query asks for
	stats    *stats
	readers  sync.Pool // *bufio.Reader, lent to a connection while it reads a request
	// writeBufs holds *[]byte, lent to a response written whole (sendWhole).
	writeBufs sync.Pool

	closing    chan struct{} // closed by Close: cuts every wait short
	acceptDone chan struct{} // closed when the accept loop, or the event loop, has returned
	reactor    *reactor      // the event loop, with EngineEpoll
	connsMu    sync.Mutex
	conns      map[*conn]struct{}
	connsWG    sync.WaitGroup // one per connection goroutine

	admin *adminServer // nil without AdminAddr
}

// page is a station page, rendered once, with and without its temperature.
type page struct {
	body, noTemp []byte
	contentType  string
}

// Start listens on cfg.Addr (and cfg.AdminAddr) and serves in the
// background. It returns once the listeners are open, so URL is valid at
// once. The caller must Close the server.
func Start(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mockserver: listen %s: %w", cfg.Addr, err)
	}
	s := &Server{
		cfg:        cfg,
		listener:   ln,
		pages:      renderAll(cfg.Seed),
		seq:        newSequence(cfg.Seed),
		stats:      newStats(),
		closing:    make(chan struct{}),
		acceptDone: make(chan struct{}),
		conns:      make(map[*conn]struct{}),
	}
	s.readers.New = func() any { return bufio.NewReaderSize(nil, maxRequestLine) }
	s.writeBufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	s.model.Store(compile(cfg.Model))
	if cfg.AdminAddr != "" {
		if s.admin, err = startAdmin(s, cfg.AdminAddr, cfg.AdminAllowRemote); err != nil {
			ln.Close()
			return nil, err
		}
	}

	if cfg.Engine == EngineEpoll {
		if s.reactor, err = newReactor(s); err != nil {
			ln.Close()
			if s.admin != nil {
				s.admin.close()
			}
			return nil, err
		}
		go s.reactor.run()
		return s, nil
	}
	go s.acceptLoop()
	return s, nil
}

// renderAll renders both pages of every station once: observations depend
// only on the seed, so serving a page is a map look-up and a write.
func renderAll(seed int64) map[pageKey]page {
	pages := make(map[pageKey]page, 2*len(catalogue))
	for _, st := range catalogue {
		obs := observe(seed, st)
		pages[pageKey{st.ICAO, pageHTML}] = page{obs.renderHTML(true), obs.renderHTML(false), "text/html; charset=utf-8"}
		pages[pageKey{st.ICAO, pageTXT}] = page{obs.renderTXT(true), obs.renderTXT(false), "text/plain; charset=utf-8"}
	}
	return pages
}

// URL is the base URL, such as "http://127.0.0.1:40123", with no slash at
// the end.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Addr is the address the server listens on, as host:port.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// AdminURL is the admin API's base URL, or "" when it is not running.
func (s *Server) AdminURL() string {
	if s.admin == nil {
		return ""
	}
	return "http://" + s.admin.listener.Addr().String()
}

// Seed is the seed the observations were drawn with.
func (s *Server) Seed() int64 { return s.cfg.Seed }

// PageURL is the absolute URL of a station's HTML page: PageURL(s.URL(),
// icao, Overrides{}).
func (s *Server) PageURL(icao string) string { return PageURL(s.URL(), icao, Overrides{}) }

// ExpectedTemperature is the ground truth for a page URL of this server:
// see the package-level ExpectedTemperature.
func (s *Server) ExpectedTemperature(pageURL string) (float64, bool) {
	return ExpectedTemperature(s.cfg.Seed, pageURL)
}

// Model returns a copy of the model in force.
func (s *Server) Model() Model { return s.model.Load().Model.Clone() }

// SetModel validates m and puts it in force for the requests that start
// from now on; requests already waiting keep the model they started with.
func (s *Server) SetModel(m Model) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("mockserver: %w", err)
	}
	s.model.Store(compile(m))
	return nil
}

// Stats returns the server's counters so far.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// Close stops the server. Waits in progress are cut short and answered 503;
// hangs end; idle keep-alive connections are closed. Close blocks until
// the event loop and every connection's goroutine have returned: at once
// for idle and waiting connections; a response still being written gets
// one more write from the event loop, or at most a second on a goroutine,
// and is then cut off. Call it once.
func (s *Server) Close() error {
	close(s.closing)
	if s.reactor != nil {
		// The loop answers its waits 503 and closes its connections, then
		// returns: only then may the listener's socket, which it accepts
		// from, be closed.
		s.reactor.stop()
	}
	err := s.listener.Close()
	<-s.acceptDone
	s.eachConn((*conn).interruptRead)
	s.eachConn((*conn).wakePause)
	if !waitTimeout(&s.connsWG, time.Second) {
		s.eachConn((*conn).close)
		s.connsWG.Wait()
	}
	if s.admin != nil {
		s.admin.close()
	}
	if s.reactor != nil && s.reactor.err != nil {
		return s.reactor.err // the event loop failed before Close
	}
	if err != nil {
		return fmt.Errorf("mockserver: close: %w", err)
	}
	return nil
}

// waitTimeout waits for wg, or for d; it reports whether wg finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// compiled is a Model made ready for the hot path: faults parsed and
// ordered, the queue's slots allocated.
type compiled struct {
	Model
	faults        faultTable
	stationFaults map[string]faultTable
	queue         chan struct{} // a slot per server; nil for no queue
}

func compile(m Model) *compiled {
	m = m.Clone() // also upper-cases station codes
	c := &compiled{Model: m, faults: newFaultTable(m.Faults), stationFaults: map[string]faultTable{}}
	for code, o := range m.Stations {
		if o.Faults != nil {
			c.stationFaults[code] = newFaultTable(o.Faults)
		}
	}
	if m.QueueServers > 0 {
		c.queue = make(chan struct{}, m.QueueServers)
	}
	return c
}

// faultsFor returns the fault table for a station.
func (c *compiled) faultsFor(icao string) faultTable {
	if t, ok := c.stationFaults[icao]; ok {
		return t
	}
	return c.faults
}

// statusText is the reason phrase for a status code.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Status"
}
