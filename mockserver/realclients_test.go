package mockserver_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// Real clients that none of us wrote. .ci/run installs them; a developer
// without them is told so (a skip with the reason), and CI never skips.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed, and CI must run this test: .ci/run installs it", name)
		}
		t.Skipf("%s is not installed (apt-get install %s); CI installs it and runs this test", name, name)
	}
	return path
}

func TestCurlReadsTheGroundTruth(t *testing.T) {
	curl := needTool(t, "curl")
	srv := start(t, mockserver.Config{Seed: 12})
	for _, path := range []string{mockserver.HTMLPath("KNYC"), mockserver.TXTPath("NZSP") + "?chunked=1&split=mid-header:5ms"} {
		out, err := exec.Command(curl, "--silent", "--show-error", "--fail", srv.URL()+path).Output()
		if err != nil {
			t.Fatalf("curl %s: %v", path, err)
		}
		got, found := strategies.ParseTemperature(out)
		want, _ := srv.ExpectedTemperature(srv.URL() + path)
		if !found || got != want {
			t.Errorf("curl %s: temperature %v (found %v); want %v", path, got, found, want)
		}
	}
}

func TestWrkGetsOnly2xx(t *testing.T) {
	wrk := needTool(t, "wrk")
	srv := start(t, mockserver.Config{Model: mockserver.Model{Delay: mockserver.Delay{Latency: mockserver.Duration(time.Millisecond), Jitter: mockserver.Duration(time.Millisecond)}}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wrk, "-t2", "-c32", "-d3s", srv.PageURL("EGLC")).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(\d+) requests in`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no request count in wrk's output:\n%s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	if n < 100 || regexp.MustCompile(`Non-2xx|Socket errors`).Match(out) {
		t.Errorf("wrk made %d requests; want many, with no errors or non-2xx:\n%s", n, out)
	}
	if st := settle(srv); st.Requests < int64(n) {
		t.Errorf("server counted %d requests; wrk completed %d", st.Requests, n)
	}
}
