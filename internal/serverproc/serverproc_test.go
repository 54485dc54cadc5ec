package serverproc_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netio-lab/netio/internal/leaktest"
	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
)

func TestMain(m *testing.M) {
	serverproc.MaybeServe()
	// The child's side, tested in this process, listens for signals; the
	// runtime's signal watcher then stays for the life of the process.
	goleak.VerifyTestMain(m, append(leaktest.Options, goleak.IgnoreTopFunction("os/signal.signal_recv"))...)
}

// startMock starts a mock server in a child process that the test closes,
// failing the test if it had stopped by itself.
func startMock(t *testing.T, cfg mockserver.Config) *serverproc.Proc {
	t.Helper()
	p, err := serverproc.StartMock(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// TestStartMockServes checks that the child serves the configuration it
// was given: the seed decides the page (the same as a server in this
// process makes), the model the delay.
func TestStartMockServes(t *testing.T) {
	tests := []struct {
		name string
		cfg  mockserver.Config
	}{
		{"seed=7", mockserver.Config{Seed: 7}},
		{"seed=8/latency=60ms", mockserver.Config{Seed: 8, Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(60 * time.Millisecond)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startMock(t, tt.cfg)
			local, err := mockserver.Start(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer local.Close()

			start := time.Now()
			got := get(t, p.URL+mockserver.HTMLPath("KNYC"))
			took := time.Since(start)
			if want := get(t, local.PageURL("KNYC")); !bytes.Equal(got, want) {
				t.Errorf("child's page:\n%s\nwant the same as in process:\n%s", got, want)
			}
			if latency := tt.cfg.Model.Delay.Latency.D(); took < latency {
				t.Errorf("GET took %v; want at least the model's %v", took, latency)
			}
		})
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, %v; want 200", url, resp.StatusCode, err)
	}
	return body
}

func TestCloseStopsServer(t *testing.T) {
	p, err := serverproc.StartMock(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v; want nil", err)
	}
	select {
	case <-p.Exited():
	default:
		t.Error("Exited not closed after Close returned")
	}
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Errorf("dial %s after Close succeeded; want refused", u.Host)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v; want nil again", err)
	}
}

func TestStartFails(t *testing.T) {
	defer serverproc.SetTimeouts(500*time.Millisecond, time.Second)()
	tests := []struct {
		name string
		cmd  *exec.Cmd
		want []string // in the error
	}{
		{"false", exec.Command("false"), []string{"false exited before printing its URL", "exit status 1"}},
		{"stderr", exec.Command("sh", "-c", "echo oops >&2; exit 3"), []string{"exit status 3", "stderr: oops"}},
		{"no-url", exec.Command("sh", "-c", "echo listening on port 80; echo stuck >&2; exec sleep 30"), []string{"no http://host:port URL within 500ms", "stuck"}},
		{"missing", exec.Command("/nonexistent/server"), []string{"start server", "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := serverproc.Start(tt.cmd)
			if err == nil {
				p.Close()
				t.Fatal("Start succeeded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestStartRefusesStdout(t *testing.T) {
	cmd := exec.Command("true")
	cmd.Stdout = io.Discard
	if _, err := serverproc.Start(cmd); err == nil || !strings.Contains(err.Error(), "Stdout") {
		t.Errorf("Start with Stdout set: %v; want an error about it", err)
	}
}

// TestCloseReports checks what Close says about a child that did not stop
// as asked: one that died by itself, and one that ignored the interrupt.
func TestCloseReports(t *testing.T) {
	defer serverproc.SetTimeouts(5*time.Second, 300*time.Millisecond)()
	tests := []struct {
		name   string
		script string
		want   []string
	}{
		{"crashed", "echo http://127.0.0.1:1; echo panic: boom >&2; exit 4", []string{"exited before Close", "exit status 4", "panic: boom"}},
		{"deaf", "trap '' INT TERM; echo http://127.0.0.1:1; exec sleep 30", []string{"killed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			cmd := exec.Command("sh", "-c", tt.script)
			cmd.Stderr = &stderr
			p, err := serverproc.Start(cmd)
			if err != nil {
				t.Fatal(err)
			}
			if p.URL != "http://127.0.0.1:1" {
				t.Errorf("URL = %q; want http://127.0.0.1:1", p.URL)
			}
			if tt.name == "crashed" {
				<-p.Exited() // Close must find it gone
			}
			err = p.Close()
			if err == nil {
				t.Fatal("Close: nil; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Close: %q does not mention %q", err, w)
				}
			}
			if tt.name == "crashed" {
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 4 {
					t.Errorf("Close: %v; want it to wrap exit status 4", err)
				}
				if !strings.Contains(stderr.String(), "boom") {
					t.Errorf("cmd.Stderr got %q; want a copy of the child's stderr", stderr.String())
				}
			}
		})
	}
}
