package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netio-lab/netio/report"
	"github.com/netio-lab/netio/results"
)

var update = flag.Bool("update", false, "rewrite the golden files from this run's output")

// fixture is a committed run (three strategies, a concurrency sweep 1,10,
// five repetitions each), its timelines cut to 60 requests a pass.
const fixture = "testdata/base"

func load(t *testing.T, dirs ...string) []results.File {
	t.Helper()
	files, err := report.Load(dirs)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func writeReport(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	path, err := report.Write(out, []string{fixture}, load(t, fixture))
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(out, report.HTMLFile) {
		t.Fatalf("Write returned %s; want %s", path, filepath.Join(out, report.HTMLFile))
	}
	return out
}

func TestMarkdownGolden(t *testing.T) {
	out := writeReport(t)
	got, err := os.ReadFile(filepath.Join(out, report.MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.md.golden")
	if *update {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report.md differs from %s (run with -update if the change is meant):\n%s", golden, got)
	}
}

// TestChartsAreSVGWithEveryStrategy parses every chart the Markdown names
// as XML and looks in its text for every strategy of the fixture: each
// chart draws one series (line, dot or lane chart) per strategy, named.
func TestChartsAreSVGWithEveryStrategy(t *testing.T) {
	out := writeReport(t)
	md, _ := os.ReadFile(filepath.Join(out, report.MarkdownFile))
	charts := []string{"throughput.svg", "percentiles.svg", "resources.svg", "efficiency.svg", "timeline.svg"}
	for _, c := range charts {
		if !bytes.Contains(md, []byte("]("+c+")")) {
			t.Errorf("report.md does not show %s", c)
		}
		b, err := os.ReadFile(filepath.Join(out, c))
		if err != nil {
			t.Fatal(err)
		}
		texts := svgTexts(t, c, b)
		for _, s := range []string{"sequential", "pool", "epoll"} {
			if !strings.Contains(texts, s) {
				t.Errorf("%s: no series named %s in its text %q", c, s, texts)
			}
		}
	}
}

// svgTexts decodes an SVG document and returns the text of its elements.
func svgTexts(t *testing.T, name string, b []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var texts []string
	root := ""
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("%s: not XML: %v", name, err)
			}
			break
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
		case xml.CharData:
			texts = append(texts, strings.TrimSpace(string(tok)))
		}
	}
	if root != "svg" {
		t.Fatalf("%s: root element %q; want svg", name, root)
	}
	return strings.Join(texts, " ")
}

func TestHTMLIsSelfContained(t *testing.T) {
	out := writeReport(t)
	b, err := os.ReadFile(filepath.Join(out, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	// An SVG's namespace names are identifiers, never fetched.
	for _, ns := range []string{`xmlns="http://www.w3.org/2000/svg"`, `xmlns:xlink="http://www.w3.org/1999/xlink"`} {
		b = bytes.ReplaceAll(b, []byte(ns), nil)
	}
	for _, ref := range []string{"<script", "<link", "src=", "@import", "url(", "http://", "https://"} {
		if i := bytes.Index(b, []byte(ref)); i >= 0 {
			t.Errorf("report.html holds %q (…%s…): it must need nothing from outside", ref, b[max(0, i-40):min(len(b), i+40)])
		}
	}
	if n := bytes.Count(b, []byte(`<figure class="chart"`)); n != 5 {
		t.Errorf("%d charts in report.html; want 5", n)
	}
	if len(b) > 3<<20 {
		t.Errorf("report.html is %d bytes; want under 3 MB", len(b))
	}
}

func TestWriteLeavesNothingWhenItCannotWrite(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o644)
	_, err := report.Write(filepath.Join(blocker, "out"), []string{fixture}, load(t, fixture))
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v; want a one-line error", err)
	}
}

func TestTraceHasATrackPerLane(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.json")
	files := load(t, fixture)
	if err := report.WriteTrace(path, files); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	var trace struct {
		TraceEvents []struct {
			Name string  `json:"name"`
			Ph   string  `json:"ph"`
			Ts   float64 `json:"ts"`
			Dur  float64 `json:"dur"`
			Pid  int     `json:"pid"`
			Tid  int     `json:"tid"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(b, &trace); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, f := range files {
		for _, r := range f.Runs {
			want += len(r.Timeline)
		}
	}
	slices, lanes := 0, map[[2]int]bool{}
	for _, e := range trace.TraceEvents {
		switch e.Ph {
		case "X":
			slices++
			if e.Dur <= 0 {
				t.Fatalf("slice %+v has no duration", e)
			}
		case "M":
			if e.Name == "thread_name" {
				lanes[[2]int{e.Pid, e.Tid}] = true
			}
		}
	}
	if slices != want {
		t.Errorf("%d request slices; want %d, one per span", slices, want)
	}
	// The fixture's pool at C=10 is runs 16–20 (sequential's 10 come
	// first, then pool's five at C=1): each has its ten workers as tracks.
	for pid := 16; pid <= 20; pid++ {
		for lane := 1; lane <= 10; lane++ {
			if !lanes[[2]int{pid, lane}] {
				t.Errorf("run %d (pool, C=10): no track for worker %d", pid, lane)
			}
		}
	}
}

// TestMergedRunNamesItsShares: the report of a merged run (netio merge)
// says which shares it was made from, where they ran, and each share's
// rate and goroutines, whose sums the table shows.
func TestMergedRunNamesItsShares(t *testing.T) {
	base := load(t, fixture)[0]
	var shares []results.File
	for i := range 2 {
		f := base
		f.Settings.Segment = &results.Segment{Index: i, Of: 2}
		f.Env.Host = fmt.Sprintf("gen%d", i+1)
		f.Runs = nil
		for _, r := range base.Runs {
			if r.StartedAt == "" {
				r.StartedAt = "2026-12-04T12:00:00Z"
			}
			f.Runs = append(f.Runs, r)
		}
		f.Failures, f.Interrupted = nil, false
		shares = append(shares, f)
	}
	merged, err := results.Merge(shares, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	path, err := report.Write(out, []string{out}, []results.File{merged})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"Merged from 2 shares", "0/2 on gen1", "1/2 on gen2", "goroutines"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
