package mockserver_test

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netio-lab/netio/internal/leaktest"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, leaktest.Options...) }

// engine is the engine the tests run the server on, where they do not pick
// one; TestGoroutineEngine runs them all again with -engine goroutines.
var engine = flag.String("engine", "", "mockserver engine for the tests: epoll or goroutines (empty: Start's default)")

// startRaw starts a server on the engine under test.
func startRaw(cfg mockserver.Config) (*mockserver.Server, error) {
	cfg.Engine = cmp.Or(cfg.Engine, *engine)
	return mockserver.Start(cfg)
}

func start(t *testing.T, cfg mockserver.Config) *mockserver.Server {
	t.Helper()
	srv, err := startRaw(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

// get fetches a URL with a client of its own and returns status, header and
// body; the connection is closed afterwards so nothing outlives the test.
func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func TestPagesAgreeWithGroundTruth(t *testing.T) {
	srv := start(t, mockserver.Config{Seed: 11})
	for _, st := range mockserver.Stations() {
		for _, path := range []string{mockserver.HTMLPath(st.ICAO), mockserver.TXTPath(st.ICAO)} {
			status, hdr, body := get(t, srv.URL()+path)
			want, ok := srv.ExpectedTemperature(srv.URL() + path)
			got, found := strategies.ParseTemperature([]byte(body))
			if status != 200 || !ok || !found || got != want {
				t.Errorf("%s: status %d, page says %v (found %v), ground truth %v (ok %v)", path, status, got, found, want, ok)
			}
			if !strings.Contains(body, st.ICAO) || !strings.Contains(body, st.Name) {
				t.Errorf("%s: page does not name the station", path)
			}
			if hdr.Get("Content-Length") != strconv.Itoa(len(body)) {
				t.Errorf("%s: Content-Length %q for %d bytes", path, hdr.Get("Content-Length"), len(body))
			}
		}
	}
}

func TestDecodedRecordFieldOrder(t *testing.T) {
	srv := start(t, mockserver.Config{Seed: 5})
	_, _, body := get(t, srv.URL()+mockserver.TXTPath("KNYC"))
	lines := strings.Split(strings.TrimSpace(body), "\n")
	first := regexp.MustCompile(`^New York City, Central Park, NY, United States \(KNYC\) 40-47N 073-58W \d+M$`)
	if !first.MatchString(lines[0]) {
		t.Errorf("first line %q; want the station headline and position", lines[0])
	}
	if !regexp.MustCompile(` / \d{4}\.\d\d\.\d\d \d{4} UTC$`).MatchString(lines[1]) {
		t.Errorf("second line %q; want local and UTC time", lines[1])
	}
	order := []string{"Wind:", "Visibility:", "Sky conditions:", "Temperature:", "Dew Point:", "Relative Humidity:", "Pressure (altimeter):", "ob: KNYC ", "cycle:"}
	at := 0
	for _, line := range lines[2:] {
		if at < len(order) && strings.HasPrefix(line, order[at]) {
			at++
		}
	}
	if at != len(order) {
		t.Errorf("record lacks %q in order:\n%s", order[at], body)
	}
	if !regexp.MustCompile(`(?m)^Temperature: -?\d+\.\d F \(-?\d+\.\d C\)$`).MatchString(body) {
		t.Errorf("a US station reports tenths: %s", body)
	}
}

func TestNotFound(t *testing.T) {
	srv := start(t, mockserver.Config{})
	for _, path := range []string{"/weather/current/ZZZZ.html", "/data/observations/metar/decoded/QQQQ.TXT", "/weather/current/KNYC.htm", "/nothing"} {
		status, _, body := get(t, srv.URL()+path)
		if status != http.StatusNotFound {
			t.Errorf("%s: status %d; want 404", path, status)
		}
		if _, found := strategies.ParseTemperature([]byte(body)); found {
			t.Errorf("%s: the 404 page holds a temperature", path)
		}
	}
}

func TestStationsJSON(t *testing.T) {
	srv := start(t, mockserver.Config{})
	status, hdr, body := get(t, srv.URL()+"/stations")
	var list []struct {
		ICAO string `json:"icao"`
		City string `json:"city"`
		HTML string `json:"html"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, type %q, decode error %v", status, hdr.Get("Content-Type"), err)
	}
	if hdr.Get("Server-Timing") != "delay;dur=0.000" {
		t.Errorf("/stations: Server-Timing %q; want every response to say what was injected", hdr.Get("Server-Timing"))
	}
	if len(list) != len(mockserver.Stations()) || list[0].HTML != mockserver.HTMLPath(list[0].ICAO) {
		t.Errorf("got %d entries, first %+v; want the whole catalogue with paths", len(list), list[0])
	}
}

func TestDefaultAddressIsLoopback(t *testing.T) {
	srv := start(t, mockserver.Config{})
	if !strings.HasPrefix(srv.Addr(), "127.0.0.1:") {
		t.Errorf("Addr() = %s; want 127.0.0.1:port", srv.Addr())
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []mockserver.Config{
		{Model: mockserver.Model{Delay: fixed(-time.Second)}},
		{Model: mockserver.Model{Delay: mockserver.Delay{Dist: "uniform", Jitter: -1}}},
		{Model: mockserver.Model{Stations: map[string]mockserver.Override{"KNYC": {Delay: ptr(fixed(-1))}}}},
		{Model: mockserver.Model{Stations: map[string]mockserver.Override{"XXXX": {}}}},
		{Model: mockserver.Model{Faults: map[string]float64{"explode": 0.1}}},
		{MaxConns: -1},
		{Addr: "127.0.0.1:notaport"},
		{Engine: "threads"},
	} {
		if srv, err := mockserver.Start(cfg); err == nil {
			srv.Close()
			t.Errorf("Start(%+v) succeeded; want an error", cfg)
		} else if !strings.HasPrefix(err.Error(), "mockserver: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}

// timed fetches a page and returns how long it took and the injected delay
// the server reported in Server-Timing.
func timed(t *testing.T, url string) (elapsed, injected time.Duration) {
	t.Helper()
	start := time.Now()
	status, hdr, _ := get(t, url)
	elapsed = time.Since(start)
	if status != 200 {
		t.Fatalf("GET %s: status %d", url, status)
	}
	var ms float64
	if _, err := fmt.Sscanf(hdr.Get("Server-Timing"), "delay;dur=%g", &ms); err != nil {
		t.Fatalf("Server-Timing %q: %v", hdr.Get("Server-Timing"), err)
	}
	return elapsed, time.Duration(ms * float64(time.Millisecond))
}

func TestLatencyIsApplied(t *testing.T) {
	const latency = 100 * time.Millisecond
	srv := start(t, mockserver.Config{Model: mockserver.Model{
		Delay:    fixed(latency),
		Stations: map[string]mockserver.Override{"rjtt": {Delay: ptr(fixed(200 * time.Millisecond))}},
	}})
	tests := []struct {
		url  string
		want time.Duration
	}{
		{srv.PageURL("EGLC"), latency},
		{srv.PageURL("RJTT"), 200 * time.Millisecond},                  // per-station override
		{srv.PageURL("RJTT") + "?latency=30ms", 30 * time.Millisecond}, // the query beats both
		{srv.URL() + mockserver.TXTPath("KNYC") + "?latency=0s", 0},
	}
	for _, tt := range tests {
		elapsed, injected := timed(t, tt.url)
		// Loose upper bound: CI machines are noisy. The lower bound is exact.
		if injected != tt.want || elapsed < tt.want || elapsed > tt.want+300*time.Millisecond {
			t.Errorf("%s: took %v, Server-Timing %v; want about %v", tt.url, elapsed, injected, tt.want)
		}
	}
}

func TestJitterIsBoundedAndReproducible(t *testing.T) {
	cfg := mockserver.Config{Seed: 3, Model: mockserver.Model{Delay: mockserver.Delay{Dist: "uniform", Latency: ms(20), Jitter: ms(10)}}}
	draw := func() []time.Duration {
		srv := start(t, cfg)
		var got []time.Duration
		for range 15 {
			_, injected := timed(t, srv.PageURL("EGLC"))
			got = append(got, injected)
		}
		return got
	}
	first, second := draw(), draw()
	distinct := map[time.Duration]bool{}
	for i, d := range first {
		if d < 10*time.Millisecond || d > 30*time.Millisecond {
			t.Errorf("delay %d = %v; want within 20ms ± 10ms", i, d)
		}
		if d != second[i] {
			t.Errorf("delay %d: %v then %v with the same seed; want the same", i, d, second[i])
		}
		distinct[d] = true
	}
	if len(distinct) < 5 {
		t.Errorf("only %d distinct delays in 15: %v; want jitter", len(distinct), first)
	}
}

func TestBadLatencyQuery(t *testing.T) {
	srv := start(t, mockserver.Config{MaxDelay: time.Second})
	for _, q := range []string{"?latency=soon", "?latency=-5ms", "?latency=2s"} {
		status, _, body := get(t, srv.PageURL("KNYC")+q)
		if status != http.StatusBadRequest || !strings.Contains(body, "latency") {
			t.Errorf("%s: status %d body %q; want 400 naming latency", q, status, body)
		}
	}
}

func TestCloseCutsWaitsShort(t *testing.T) {
	srv, err := startRaw(mockserver.Config{Model: mockserver.Model{Delay: fixed(10 * time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		timing string
	}
	answers := make(chan answer, 1)
	go func() {
		tr := &http.Transport{DisableKeepAlives: true}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get(srv.PageURL("KNYC"))
		if err != nil {
			answers <- answer{}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answers <- answer{resp.StatusCode, resp.Header.Get("Server-Timing")}
	}()
	time.Sleep(100 * time.Millisecond) // let the request reach its wait
	begin := time.Now()
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	got := <-answers
	if got.status != http.StatusServiceUnavailable {
		t.Errorf("waiting request got %d; want 503", got.status)
	}
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("Close took %v; want it to cut the 10 s wait short", took)
	}
	// The wait was cut short: it is neither reported nor counted.
	if got.timing != "delay;dur=0.000" {
		t.Errorf("Server-Timing %q; want delay;dur=0.000", got.timing)
	}
	if st := srv.Stats(); st.DelaySamples != 0 || st.BytesSent == 0 || st.InFlight != 0 {
		t.Errorf("after Close: %d delays counted, %d bytes sent, %d in flight; want 0, some, 0", st.DelaySamples, st.BytesSent, st.InFlight)
	}
}

func fixed(d time.Duration) mockserver.Delay {
	return mockserver.Delay{Latency: mockserver.Duration(d)}
}

func ms(n int) mockserver.Duration { return mockserver.Duration(time.Duration(n) * time.Millisecond) }

func ptr[T any](v T) *T { return &v }
