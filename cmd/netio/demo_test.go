package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/lessons"
	"github.com/netio-lab/netio/results"
)

func TestDemoListsTheLessons(t *testing.T) {
	stdout, _, code := runCmd("demo")
	if code != 0 || !strings.Contains(stdout, "waiting") {
		t.Errorf("exit %d, stdout %q; want 0 and the lessons listed", code, stdout)
	}
}

// TestDemoClaimsTableWhenItFits: with room, the claims are a table.
func TestDemoClaimsTableWhenItFits(t *testing.T) {
	stdout, stderr, code := runCmd("demo", "waiting", "--quick", "--no-pause", "--width", "140")
	if code != 0 || !strings.Contains(stdout, "PREDICTED") || !strings.Contains(stdout, "MEASURED") || strings.Contains(stdout, "predicted: ") {
		t.Errorf("exit %d, stderr %q; want the claims as a table (PREDICTED, MEASURED columns):\n%s", code, stderr, stdout)
	}
}

func TestDemoUnknownLesson(t *testing.T) {
	stdout, stderr, code := runCmd("demo", "wating")
	if code != 2 || !strings.Contains(stderr, `unknown lesson "wating" (valid: waiting`) || stdout != "" || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line listing the valid lessons", code, stdout, stderr)
	}
}

// TestDemoQuickRunsAndSavesItsTimeline runs a lesson as CI does and checks
// the plain-text picture (stdout is not a terminal here) and the SVG.
func TestDemoQuickRunsAndSavesItsTimeline(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "waiting.svg")
	stdout, stderr, code := runCmd("demo", "waiting", "--quick", "--no-pause", "--svg", svg)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"Predict:", "caller 1", "connection 3", "predicted: ", "measured: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for line := range strings.SplitSeq(stdout, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("a line of %d columns; want at most 80 (--width's default): %q", n, line)
		}
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Error("escape sequences in output that is not a terminal; want plain ASCII")
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, new(struct {
		XMLName xml.Name `xml:"svg"`
	})); err != nil {
		t.Errorf("--svg: not an SVG document: %v", err)
	}
}

// TestLiveViewGrowsWaitingBars: with no report from the lesson, the view
// still redraws every 100 ms while a request waits, its bar longer each
// time; once every batch has ended, it stops.
func TestLiveViewGrowsWaitingBars(t *testing.T) {
	var buf bytes.Buffer
	v := newLiveView(&buf, 60, 0, false)
	v.draw([]lessons.Timeline{{Title: "pool", Lanes: "worker", Names: []string{"Tokyo"}, NowMS: 10,
		Running: []results.Span{{Index: 0, Lane: 1, StartMS: 0}}}})
	time.Sleep(450 * time.Millisecond)
	v.clear()
	var bars []int
	for frame := range strings.SplitSeq(buf.String(), "pool: running") {
		if _, row, ok := strings.Cut(frame, "worker 1"); ok {
			bars = append(bars, strings.Count(row, "-"))
		}
	}
	if len(bars) < 3 || bars[len(bars)-1] <= bars[0] {
		t.Errorf("frames' waiting bars %v; want at least 3 frames, the bar growing", bars)
	}
}

// TestLiveViewClipsTallFrames: a frame taller than the terminal shows its
// last rows under a line saying how many are hidden, so that the cursor
// can always move back up over it.
func TestLiveViewClipsTallFrames(t *testing.T) {
	var buf bytes.Buffer
	v := newLiveView(&buf, 60, 10, false)
	tl := lessons.Timeline{Title: "pool", Lanes: "worker", EndMS: 100}
	for i := range 20 {
		tl.Names = append(tl.Names, "Tokyo")
		tl.Spans = append(tl.Spans, results.Span{Index: i, Lane: i + 1, EndMS: 100, Class: "ok"})
	}
	v.draw([]lessons.Timeline{tl})
	v.mu.Lock()
	lines := v.lines
	v.mu.Unlock()
	v.clear()
	// 22 rows (a heading, 20 workers, the axis) on 10: a line for the 15
	// hidden ones, then the last 7; a row left above and one below.
	if out := buf.String(); lines != 8 || !strings.Contains(out, "(15 rows above, shown at the end)") || !strings.Contains(out, "worker 15 ") || strings.Contains(out, "worker 14 ") {
		t.Errorf("frame of %d lines:\n%s\nwant 8: a line for the 15 hidden rows, then workers 15-20 and the axis", lines, out)
	}
}
