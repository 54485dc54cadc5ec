package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netio-lab/netio/internal/leaktest"
	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// asNetioEnv, when set, makes this test binary netio itself, for a test
// that needs netio in a process of its own (to interrupt it).
const asNetioEnv = "NETIO_TEST_AS_NETIO"

func TestMain(m *testing.M) {
	serverproc.MaybeServe() // a lesson's mock server in a process of its own, as in main
	// netio bench re-executes its own binary for the mock server and for
	// each child: under test that binary is this one, which then acts as
	// netio for those commands.
	_, asNetio := os.LookupEnv(asNetioEnv)
	if len(os.Args) > 1 && (asNetio || os.Args[1] == "serve" || os.Args[1] == benchChildCommand) {
		os.Exit(exitCode(os.Stderr, run(os.Stdout, os.Stderr, os.Args[1:])))
	}
	// signal.NotifyContext in run leaves the runtime's signal watcher behind
	// once used; it belongs to the process, not to a test.
	goleak.VerifyTestMain(m, append(leaktest.Options, goleak.IgnoreTopFunction("os/signal.signal_recv"))...)
}

// runCmd runs the command line and returns stdout, stderr and exit status,
// as the process would see them.
func runCmd(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = exitCode(&errOut, run(&out, &errOut, args))
	return out.String(), errOut.String(), code
}

var (
	tempLine  = regexp.MustCompile(`^In (.+), it is now (-?\d+(?:\.\d+)?) degrees\.$`)
	totalLine = regexp.MustCompile(`^Fetched (\d+) pages? in (\S+) with (\S+)\.$`)
)

func TestWeatherDefault(t *testing.T) {
	stdout, stderr, code := runCmd("weather")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines; want 3 stations and a total:\n%s", len(lines), stdout)
	}
	want := map[string]string{"New York": "KNYC", "London": "EGLC", "Tokyo": "RJTT"}
	var order []string
	for _, line := range lines[:3] {
		m := tempLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %q does not read 'In CITY, it is now N degrees.'", line)
		}
		obs, _ := mockserver.Observe(1, want[m[1]])
		if m[2] != strategies.FormatTemperature(obs.TempF) {
			t.Errorf("%s: printed %s degrees; the page says %v", m[1], m[2], obs.TempF)
		}
		order = append(order, m[1])
	}
	// The embedded server delays London least and Tokyo most, so a
	// concurrent strategy prints them out of input order.
	if got := strings.Join(order, ", "); got != "London, New York, Tokyo" {
		t.Errorf("completion order %s; want London, New York, Tokyo", got)
	}
	if m := totalLine.FindStringSubmatch(lines[3]); m == nil || m[1] != "3" || m[3] != "perrequest" {
		t.Errorf("last line %q; want the total for 3 pages with perrequest", lines[3])
	}
}

// TestWeatherSequentialVersusConcurrent is the article's point, measured:
// three 200 ms waits add up one after another, and overlap when concurrent.
func TestWeatherSequentialVersusConcurrent(t *testing.T) {
	elapsed := func(strategy string) time.Duration {
		start := time.Now()
		stdout, stderr, code := runCmd("weather", "--strategy", strategy, "--latency", "200ms")
		if code != 0 || strings.Count(stdout, "it is now") != 3 {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", strategy, code, stdout, stderr)
		}
		return time.Since(start)
	}
	if d := elapsed("sequential"); d < 600*time.Millisecond {
		t.Errorf("sequential took %v; want at least 600ms (3 × 200ms)", d)
	}
	if d := elapsed("perrequest"); d >= 400*time.Millisecond {
		t.Errorf("perrequest took %v; want under 400ms (the waits overlap)", d)
	}
}

func TestWeatherEveryStrategy(t *testing.T) {
	for _, name := range strategies.Names() {
		stdout, stderr, code := runCmd("weather", "--strategy="+name, "--latency=1ms", "--concurrency", "2", "KNYC", "WSSS", "SLLP")
		if code != 0 || strings.Count(stdout, "it is now") != 3 || !strings.Contains(stdout, "with "+name+".") {
			t.Errorf("%s: exit %d, stderr %q, stdout:\n%s", name, code, stderr, stdout)
		}
	}
}

func TestWeatherErrorLines(t *testing.T) {
	stdout, _, code := runCmd("weather", "--latency", "0s", "ZZZZ")
	lines := strings.Split(stdout, "\n")
	if code != 0 || len(lines) < 2 {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	head := regexp.MustCompile(`^Error getting information for ZZZZ \( URL: http://127\.0\.0\.1:\d+/weather/current/ZZZZ\.html \):$`)
	if !head.MatchString(lines[0]) || lines[1] != "http-status: HTTP status 404 Not Found" {
		t.Errorf("got %q, %q; want the error line, then the classified error", lines[0], lines[1])
	}
}

func TestWeatherNoTemperatureLine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html>Temperature: sensor offline</html>")
	}))
	defer srv.Close()
	stdout, _, code := runCmd("weather", "--target", srv.URL, "EGLC")
	want := "No temperature reading at URL: " + srv.URL + "/weather/current/EGLC.html\n"
	if code != 0 || !strings.HasPrefix(stdout, want) {
		t.Errorf("exit %d, stdout %q; want it to start %q", code, stdout, want)
	}
}

func TestWeatherTarget(t *testing.T) {
	srv, err := mockserver.Start(mockserver.Config{Seed: 99})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	stdout, _, code := runCmd("weather", "--target", srv.URL()+"/", "--latency", "10ms", "rjtt")
	obs, _ := mockserver.Observe(99, "RJTT")
	want := fmt.Sprintf("In Tokyo, it is now %s degrees.\n", strategies.FormatTemperature(obs.TempF))
	if code != 0 || !strings.HasPrefix(stdout, want) {
		t.Errorf("exit %d, stdout %q; want it to start %q", code, stdout, want)
	}
}

func TestUsageErrors(t *testing.T) {
	badProfile := writeFile(t, "bad.yaml", "delay: {latncy: 5ms}\n")
	tests := []struct {
		name string
		args []string
		want []string // substrings of the one-line error
	}{
		{"unknown strategy", []string{"weather", "--strategy", "threads"}, append([]string{`unknown strategy "threads"`}, strategies.Names()...)},
		{"bad duration", []string{"weather", "--latency", "fast"}, []string{"--latency", `"fast"`}},
		{"negative latency", []string{"weather", "--latency", "-1s"}, []string{"--latency"}},
		{"bad timeout", []string{"weather", "--timeout", "1 hour"}, []string{"--timeout"}},
		{"zero concurrency", []string{"weather", "--concurrency", "0"}, []string{"--concurrency"}},
		{"bad station", []string{"weather", "NEWYORK"}, []string{`"NEWYORK"`}},
		{"bad target", []string{"weather", "--target", "ftp://x"}, []string{"--target"}},
		{"unknown flag", []string{"weather", "--fast"}, []string{"--fast"}},
		{"latency past the server's cap", []string{"weather", "--latency", "2m"}, []string{"--latency"}},
		{"target port out of range", []string{"weather", "--target", "http://localhost:99999"}, []string{"--target"}},
		{"flag after --", []string{"weather", "--", "KNYC", "--latency", "5ms"}, []string{`"--latency"`}},
		{"serve port out of range", []string{"serve", "--addr", "127.0.0.1:99999"}, []string{"--addr"}},
		{"serve unknown distribution", []string{"serve", "--dist", "gamma"}, []string{`"gamma"`, "lognormal", "pareto"}},
		{"serve unknown fault", []string{"serve", "--fault", "explode=0.1"}, []string{`"explode"`, "reset", "hang-mid-body"}},
		{"serve bad fault syntax", []string{"serve", "--fault", "reset"}, []string{"KIND=PROB"}},
		{"serve fault probability", []string{"serve", "--fault", "reset=2"}, []string{"--fault", "between 0 and 1"}},
		{"serve lognormal without p99", []string{"serve", "--dist", "lognormal", "--latency", "50ms"}, []string{"p99"}},
		{"serve bad split", []string{"serve", "--split", "thirds"}, []string{"--split", "pieces"}},
		{"serve bad body", []string{"serve", "--body", "gzip"}, []string{"--body", "chunked"}},
		{"serve missing profile", []string{"serve", "--profile", "/nonexistent/p.json"}, []string{"/nonexistent/p.json"}},
		{"serve bad profile field", []string{"serve", "--profile", badProfile}, []string{"bad.yaml", "latncy"}},
		{"serve admin not loopback", []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "0.0.0.0:0"}, []string{"loopback"}},
		{"unknown command", []string{"fetch"}, []string{`"fetch"`, "weather", "serve", "strategies"}},
		{"serve bad addr", []string{"serve", "--addr", "8080"}, []string{"--addr"}},
		{"serve bad jitter", []string{"serve", "--jitter", "-5ms"}, []string{"--jitter"}},
		{"strategies takes no arguments", []string{"strategies", "pool"}, []string{`"pool"`}},
	}
	for _, tt := range tests {
		stdout, stderr, code := runCmd(tt.args...)
		if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2, one line on stderr, nothing else", tt.name, code, stdout, stderr)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: error %q does not mention %q", tt.name, stderr, w)
			}
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"weather", "--help"}, {"help", "serve"}, {"strategies", "-h"}} {
		stdout, stderr, code := runCmd(args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "Usage") {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want usage on stdout, exit 0", args, code, stderr, stdout)
		}
	}
	if _, stderr, code := runCmd(); code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "netio help") {
		t.Errorf("no arguments: exit %d, stderr %q; want one line pointing to help and exit 2", code, stderr)
	}
}

func TestStrategiesCommand(t *testing.T) {
	stdout, _, code := runCmd("strategies")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 1+len(strategies.Names()) {
		t.Fatalf("exit %d, %d lines; want a header and one line per strategy:\n%s", code, len(lines), stdout)
	}
	for i, name := range strategies.Names() {
		if !strings.HasPrefix(lines[i+1], name+" ") {
			t.Errorf("line %d = %q; want strategy %s (teaching order)", i+1, lines[i+1], name)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// writeFile writes a file in the test's temporary folder, removed when it
// ends, and returns its path.
func writeFile(t *testing.T, name, text string) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		panic(err)
	}
	return path
}

// startServe runs "netio serve ARGS" until the test ends, and returns the
// first lines it printed.
func startServe(t *testing.T, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- runContext(ctx, pw, io.Discard, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	br := bufio.NewReader(pr)
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("serve printed %q, then %v", lines, err)
		}
		lines = append(lines, strings.TrimSpace(line))
		if strings.HasPrefix(line, "try: curl ") {
			go io.Copy(io.Discard, br)
			return lines
		}
	}
}

func TestServeFlagsReachTheServer(t *testing.T) {
	profile := writeFile(t, "p.json", `{"delay": {"latency": "5ms"}, "stations": {"RJTT": {"faults": {"no-temperature": 1}}}}`)
	lines := startServe(t, "--profile", profile, "--fault", "status:429=1", "--admin-addr", "127.0.0.1:0", "--latency", "20ms")
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(lines[0])
	admin := regexp.MustCompile(`admin API on (http://\S+)`).FindStringSubmatch(strings.Join(lines, "\n"))
	if base == "" || admin == nil {
		t.Fatalf("banner %q lacks the URLs", lines)
	}
	get := func(url string) (int, string, string) {
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Server-Timing"), string(body)
	}
	// The flag's fault applies everywhere but where the profile's station override says otherwise.
	if status, timing, _ := get(base + "/weather/current/KNYC.html"); status != 429 || timing != "delay;dur=20.000" {
		t.Errorf("KNYC: %d, %q; want 429 after the flag's 20ms", status, timing)
	}
	if status, _, body := get(base + "/weather/current/RJTT.html"); status != 200 || strings.Contains(body, "Temperature") {
		t.Errorf("RJTT: %d; want the profile's no-temperature page", status)
	}
	if status, _, body := get(admin[1] + "/stats"); status != 200 || !strings.Contains(body, `"status"`) {
		t.Errorf("admin /stats: %d %s", status, body)
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- runContext(ctx, pw, &stderr, []string{"serve", "--addr", "127.0.0.1:0", "--seed", "4"})
		pw.Close()
	}()
	first, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the banner: %v", err)
	}
	m := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+) \(seed 4`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("banner %q does not give the URL", first)
	}
	go io.Copy(io.Discard, pr)

	tr := &http.Transport{}
	resp, err := (&http.Client{Transport: tr}).Get(m[1] + "/weather/current/EGLC.html")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tr.CloseIdleConnections()
	obs, _ := mockserver.Observe(4, "EGLC")
	if got, _ := strategies.ParseTemperature(body); got != obs.TempF {
		t.Errorf("served %v F; want %v", got, obs.TempF)
	}

	cancel()
	if err := <-errc; err != nil || stderr.String() != "" {
		t.Errorf("serve returned %v, stderr %q; want a clean stop", err, stderr.String())
	}
}
