// Package mockserver is a mock of the old NOAA weather site: the server the
// strategies fetch from, so that a run depends on nothing outside the machine
// and every answer can be checked.
//
// It serves, for every station of a committed catalogue of real stations:
//
//	/weather/current/{ICAO}.html                an HTML current-conditions page
//	/data/observations/metar/decoded/{ICAO}.TXT the decoded METAR text record
//	/stations                                   the catalogue as JSON
//
// Observations are made up, but reproducibly: the same seed gives the same
// temperature for a station (see Observe and ExpectedTemperature, the ground
// truth), and every figure on a page agrees with the others.
//
// Each page request waits for an injected delay first (Config.Latency,
// Config.Jitter, per station with Config.StationLatency, or per request with
// the query ?latency=50ms). A waiting request holds only its goroutine and a
// timer: no lock, no OS thread.
package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Config says how to run a Server. The zero value serves on a free port of
// 127.0.0.1, with seed 0 and no delay.
type Config struct {
	// Addr is the host:port to listen on. Empty means "127.0.0.1:0", a free
	// loopback port. Any other interface must be named explicitly.
	Addr string
	// Seed picks the observations and the jitter draws.
	Seed int64
	// Latency is the fixed delay before each page is answered.
	Latency time.Duration
	// Jitter spreads the delay uniformly over Latency ± Jitter (never below 0).
	Jitter time.Duration
	// StationLatency replaces Latency for the stations it names (by ICAO code).
	StationLatency map[string]time.Duration
	// MaxDelay caps the delay a request may ask for with ?latency=.
	// Zero means DefaultMaxDelay.
	MaxDelay time.Duration
}

// DefaultMaxDelay is the longest delay a request may ask for by default.
const DefaultMaxDelay = time.Minute

// Server is a running mock NOAA server. Start one with Start and stop it
// with Close.
type Server struct {
	cfg      Config
	listener net.Listener
	http     *http.Server
	pages    map[string]page // by canonical path; read-only after Start
	delays   *delays
	closing  chan struct{} // closed by Close: cuts every wait short
	served   chan error    // receives http.Server.Serve's result
}

// page is a rendered body and its content type.
type page struct {
	body        []byte
	contentType string
}

// Start listens on cfg.Addr and serves in the background. It returns once
// the listener is open, so URL is valid at once.
func Start(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mockserver: listen %s: %w", cfg.Addr, err)
	}
	s := &Server{
		cfg:      cfg,
		listener: ln,
		pages:    renderAll(cfg.Seed),
		delays:   newDelays(cfg),
		closing:  make(chan struct{}),
		served:   make(chan error, 1),
	}
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second, // a client that never finishes its request cannot hold a slot forever
		MaxHeaderBytes:    64 << 10,
	}
	go func() { s.served <- s.http.Serve(ln) }()
	return s, nil
}

func (c Config) validate() error {
	switch {
	case c.Latency < 0:
		return fmt.Errorf("mockserver: negative latency %v", c.Latency)
	case c.Jitter < 0:
		return fmt.Errorf("mockserver: negative jitter %v", c.Jitter)
	case c.MaxDelay < 0:
		return fmt.Errorf("mockserver: negative maximum delay %v", c.MaxDelay)
	}
	for code, l := range c.StationLatency {
		if l < 0 {
			return fmt.Errorf("mockserver: negative latency %v for station %s", l, code)
		}
	}
	return nil
}

// renderAll renders both pages of every station once: observations depend
// only on the seed, so serving a page is a map look-up and a write.
func renderAll(seed int64) map[string]page {
	pages := make(map[string]page, 2*len(catalogue))
	for _, st := range catalogue {
		obs := observe(seed, st)
		pages[HTMLPath(st.ICAO)] = page{obs.renderHTML(), "text/html; charset=utf-8"}
		pages[TXTPath(st.ICAO)] = page{obs.renderTXT(), "text/plain; charset=utf-8"}
	}
	return pages
}

// URL is the base URL, such as "http://127.0.0.1:40123", with no slash at
// the end.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Addr is the address the server listens on, as host:port.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Seed is the seed the observations were drawn with.
func (s *Server) Seed() int64 { return s.cfg.Seed }

// PageURL is the absolute URL of a station's HTML page.
func (s *Server) PageURL(icao string) string { return s.URL() + HTMLPath(icao) }

// ExpectedTemperature is the ground truth for a page URL of this server:
// see the package-level ExpectedTemperature.
func (s *Server) ExpectedTemperature(pageURL string) (float64, bool) {
	return ExpectedTemperature(s.cfg.Seed, pageURL)
}

// Close stops the server. Waits in progress are cut short and answered 503;
// idle keep-alive connections are closed. Close blocks until every handler
// has returned, or for at most a second, after which it closes the
// remaining connections by force. It is safe to call once.
func (s *Server) Close() error {
	close(s.closing)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		s.http.Close()
	}
	if err := <-s.served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("mockserver: serve: %w", err)
	}
	return nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+htmlPrefix+"{file}", s.servePage)
	mux.HandleFunc("GET "+txtPrefix+"{file}", s.servePage)
	mux.HandleFunc("GET /stations", serveStations)
	mux.HandleFunc("GET /{$}", serveIndex)
	return mux
}

// servePage answers a station page, after the injected delay.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	override, hasOverride, err := s.latencyQuery(r)
	if err != nil {
		http.Error(w, "mockserver: "+err.Error(), http.StatusBadRequest)
		return
	}
	icao, _, _ := stationFromPath(r.URL.Path)
	delay := s.delays.next(icao, override, hasOverride)
	switch err := s.wait(r.Context(), delay); {
	case errors.Is(err, errClosing):
		w.Header().Set("Connection", "close")
		http.Error(w, "mockserver: shutting down", http.StatusServiceUnavailable)
		return
	case err != nil:
		return // the client went away: nobody to answer
	}
	w.Header().Set("Server-Timing", fmt.Sprintf("delay;dur=%.3f", float64(delay)/float64(time.Millisecond)))
	p, ok := s.pages[canonicalPath(r.URL.Path)]
	if !ok {
		writePage(w, http.StatusNotFound, page{notFoundPage(r.URL.Path), "text/html; charset=utf-8"})
		return
	}
	writePage(w, http.StatusOK, p)
}

// latencyQuery reads ?latency=D, refusing what cannot be a delay.
func (s *Server) latencyQuery(r *http.Request) (time.Duration, bool, error) {
	v := r.URL.Query().Get("latency")
	if v == "" {
		return 0, false, nil
	}
	d, err := time.ParseDuration(v)
	maxDelay := s.cfg.MaxDelay
	if maxDelay == 0 {
		maxDelay = DefaultMaxDelay
	}
	switch {
	case err != nil:
		return 0, false, fmt.Errorf("bad latency %q: want a duration such as 50ms", v)
	case d < 0 || d > maxDelay:
		return 0, false, fmt.Errorf("latency %v out of range [0, %v]", d, maxDelay)
	}
	return d, true, nil
}

// errClosing is wait's answer when Close cut the wait short.
var errClosing = errors.New("server closing")

// wait sleeps for the delay. It returns ctx's error if the client went away
// first, and errClosing if the server is closing. The goroutine parks on a
// timer: waiting costs no thread and holds no lock.
func (s *Server) wait(ctx context.Context, delay time.Duration) error {
	if delay <= 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing:
		return errClosing
	}
}

// canonicalPath maps a page path to the key its page is stored under.
func canonicalPath(path string) string {
	icao, kind, ok := stationFromPath(path)
	switch {
	case !ok:
		return path
	case kind == pageTXT:
		return TXTPath(icao)
	}
	return HTMLPath(icao)
}

func writePage(w http.ResponseWriter, status int, p page) {
	h := w.Header()
	h.Set("Content-Type", p.contentType)
	h.Set("Content-Length", strconv.Itoa(len(p.body)))
	w.WriteHeader(status)
	w.Write(p.body) // an error here is the client's going away: nothing to do
}

// serveStations lists the catalogue, with each station's two page paths.
func serveStations(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Station
		HTML string `json:"html"`
		TXT  string `json:"txt"`
	}
	list := make([]entry, len(catalogue))
	for i, st := range catalogue {
		list[i] = entry{st, HTMLPath(st.ICAO), TXTPath(st.ICAO)}
	}
	body, _ := json.MarshalIndent(list, "", "  ") // cannot fail: plain structs
	writePage(w, http.StatusOK, page{append(body, '\n'), "application/json"})
}

// serveIndex is a plain page of links, for a person with a browser or curl.
func serveIndex(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><title>netio mock NOAA server</title></head>\n<body>\n<h1>Current conditions</h1>\n<ul>\n")
	for _, st := range catalogue {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a> (<a href=\"%s\">text</a>)</li>\n",
			HTMLPath(st.ICAO), html.EscapeString(st.headline()), TXTPath(st.ICAO))
	}
	b.WriteString("</ul>\n<p><a href=\"/stations\">/stations</a> lists the catalogue as JSON.</p>\n</body></html>\n")
	writePage(w, http.StatusOK, page{[]byte(b.String()), "text/html; charset=utf-8"})
}
