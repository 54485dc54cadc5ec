package serverproc

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"time"
)

// TestServeStopsWhenOrphaned runs the child's side in this process: the
// end of stdin, which is how a child learns that its parent died, stops
// the server with status 0. (The signal path is TestCloseStopsServer's.)
func TestServeStopsWhenOrphaned(t *testing.T) {
	stdin, parent := io.Pipe()
	out, stdout := io.Pipe()
	var stderr strings.Builder
	status := make(chan int, 1)
	go func() {
		status <- serve(`{"Seed": 3}`, stdin, stdout, &stderr)
		stdout.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !urlPattern.MatchString(line) || !strings.HasPrefix(line, "netio mock NOAA server on http://") {
		t.Fatalf("first line %q, %v; want netio mock NOAA server on http://host:port", line, err)
	}
	go io.Copy(io.Discard, out)
	parent.Close()
	select {
	case code := <-status:
		if code != 0 {
			t.Errorf("serve returned %d (stderr %q); want 0", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve still running 5 s after its stdin ended")
	}
}

func TestServeBadConfig(t *testing.T) {
	tests := []struct {
		name, spec string
		code       int
		want       string // in stderr
	}{
		{"not-json", "{seed", 2, envConfig},
		{"bad-model", `{"Model": {"delay": {"dist": "zipf"}}}`, 1, "mockserver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := serve(tt.spec, strings.NewReader(""), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) || stdout.Len() > 0 {
				t.Errorf("serve(%s) = %d, stdout %q, stderr %q; want %d, nothing, a message naming %s", tt.spec, code, stdout.String(), stderr.String(), tt.code, tt.want)
			}
		})
	}
}
