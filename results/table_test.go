package results_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netio-lab/netio/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("table differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestWriteTable(t *testing.T) {
	closed := results.File{Settings: results.Settings{Count: 2}}
	for _, c := range []int{10, 100} {
		for rep := 1; rep <= 2; rep++ {
			closed.Runs = append(closed.Runs, run("pool", c, rep, float64(1000*c+100*rep)), run("epoll", c, rep, float64(1500*c)))
		}
	}
	closed.Runs[1].Mismatched = 2
	closed.Failures = []results.Failure{{Point: closed.Runs[0].Point, Error: "child hung: no word from it for 40s", Stderr: "first\nlast words\n"}}
	closed.Summary = results.Summarize(closed.Runs)

	open := results.File{Settings: results.Settings{Count: 1}}
	r := run("gnet", 64, 1, 2000)
	r.Mode, r.Rate, r.DurationS, r.N, r.Efficiency, r.Late, r.Dropped = "open", 2000, 5, 10000, nil, 12, 3
	open.Runs = []results.Run{r}
	open.Summary = results.Summarize(open.Runs)

	for name, file := range map[string]results.File{"table-closed.golden": closed, "table-open.golden": open} {
		var buf bytes.Buffer
		if err := results.WriteTable(&buf, file); err != nil {
			t.Fatal(err)
		}
		golden(t, name, buf.Bytes())
	}
}

// TestCtxSwNotMeasuredShowsNA: a run from a system that counts no context
// switches per process (Windows) shows "n/a" and says why, never a 0 that
// reads as measured; its summary holds no ctx_switches_per_req.
func TestCtxSwNotMeasuredShowsNA(t *testing.T) {
	r := run("pool", 10, 1, 1000)
	r.CtxSwNotMeasured, r.CtxSwPerReq = true, 0
	file := results.File{Settings: results.Settings{Count: 1}, Runs: []results.Run{r}}
	file.Summary = results.Summarize(file.Runs)
	if _, ok := file.Summary[0].Metrics["ctx_switches_per_req"]; ok {
		t.Error("summary holds ctx_switches_per_req for a run that did not measure it")
	}
	var buf bytes.Buffer
	if err := results.WriteTable(&buf, file); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "n/a") || !strings.Contains(out, "CTXSW/REQ n/a: not measured") {
		t.Errorf("table does not say the context switches were not measured:\n%s", out)
	}
	measured := run("pool", 10, 1, 1000)
	file = results.File{Settings: results.Settings{Count: 1}, Runs: []results.Run{measured}}
	file.Summary = results.Summarize(file.Runs)
	buf.Reset()
	if err := results.WriteTable(&buf, file); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "not measured") {
		t.Errorf("a measured run's table says not measured:\n%s", buf.String())
	}
}

// TestHedgedLine: a bench with --hedge-after says under its table what
// share of each point's requests were sent twice; one without says nothing.
func TestHedgedLine(t *testing.T) {
	after := 40.0
	r := run("pool", 10, 1, 1000)
	r.Hedged, r.HedgeAfterMS = 25, &after
	file := results.File{Settings: results.Settings{Count: 1, HedgeAfter: "40ms"}, Runs: []results.Run{r}}
	file.Summary = results.Summarize(file.Runs)
	var buf bytes.Buffer
	if err := results.WriteTable(&buf, file); err != nil {
		t.Fatal(err)
	}
	if want := "HEDGED (a second copy after 40ms; medians, of the requests): pool 2.5 %."; !strings.Contains(buf.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, buf.String())
	}
	file.Settings.HedgeAfter = ""
	buf.Reset()
	results.WriteTable(&buf, file)
	if strings.Contains(buf.String(), "HEDGED") {
		t.Errorf("a bench without hedging mentions it:\n%s", buf.String())
	}
}
