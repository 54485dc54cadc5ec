package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/netio-lab/netio/lessons"
	"github.com/netio-lab/netio/report"
	"github.com/netio-lab/netio/results"
)

const demoSynopsis = `netio demo [NAME] [--quick] [--no-pause] [--svg FILE] [--width N]

With no NAME, lists the lessons. With one, runs it: the setup and a question
to predict, a pause for Enter (on a terminal, unless --no-pause), the
experiment on a mock server started for it, a timeline that fills in as the
requests finish (a row per lane: what carried each request), then the
measured numbers beside the predicted ones and a short explanation.

On a terminal the timeline is drawn live, in colour unless NO_COLOR is set:
a request is a bar of '-' that grows while it waits and becomes '=' with an
end mark ('>' ok, 'x' failed) when it completes; q stops the lesson, Ctrl-C
interrupts it. Otherwise the final picture is printed once, in plain ASCII.
--quick runs the lesson at small sizes and exits 1 if a claim does not
hold (CI runs every lesson so); a claim this machine cannot judge (no free
second core, say) is marked ? with the reason, and exits 0. Lessons and
teachers' notes: docs/lessons/.`

func runDemo(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("demo")
	quick := fs.Bool("quick", false, "small sizes; exit 1 if the lesson's claim does not hold")
	noPause := fs.Bool("no-pause", false, "do not wait for Enter before the experiment")
	svg := fs.String("svg", "", "save the final timeline to this SVG `file`")
	width := fs.Int("width", 80, "columns of the timeline: at most the terminal's, or the live view's lines wrap")
	namesOnly := fs.Bool("names", false, "list the lessons' names only, one per line (for scripts)")
	names, help, err := parse(fs, args)
	switch {
	case err != nil:
		return err
	case help:
		printHelp(stdout, fs, demoSynopsis)
		return nil
	case *namesOnly:
		fmt.Fprintln(stdout, strings.Join(lessonNames(), "\n"))
		return nil
	case len(names) == 0:
		listLessons(stdout)
		return nil
	case len(names) > 1:
		return usageErrorf("netio demo: one lesson at a time, got %d", len(names))
	case *width < 40:
		return usageErrorf("netio demo: --width must be at least 40, got %d", *width)
	}
	lesson, ok := lessons.Lookup(names[0])
	if !ok {
		return usageErrorf("netio demo: unknown lesson %q (valid: %s)", names[0], strings.Join(lessonNames(), ", "))
	}
	if *svg != "" {
		if err := results.CheckWritable(*svg); err != nil {
			return usageErrorf("netio demo: --svg: %v", strings.TrimPrefix(err.Error(), "results: "))
		}
	}
	return demo(ctx, stdout, lesson, demoSettings{quick: *quick, pause: !*noPause && isTerminal(os.Stdin), svg: *svg, width: *width})
}

type demoSettings struct {
	quick, pause bool
	svg          string
	width        int
}

func listLessons(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LESSON\tTAKES\tWHAT IT SHOWS")
	for _, l := range lessons.All() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", l.Name, l.Duration, l.Summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRun one: netio demo NAME (--quick for a short run that checks its claim).")
}

func lessonNames() []string {
	var names []string
	for _, l := range lessons.All() {
		names = append(names, l.Name)
	}
	return names
}

// demo runs one lesson and prints it.
func demo(ctx context.Context, stdout io.Writer, l lessons.Lesson, s demoSettings) error {
	fmt.Fprintf(stdout, "%s\n\n%s\n\n%s\n", l.Name, wrap(l.Setup, s.width), wrap("Predict: "+l.Question, s.width))
	if s.pause {
		fmt.Fprint(stdout, "\nPress Enter to run it.")
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	fmt.Fprintln(stdout)
	tty := isTerminal(stdout)
	color := tty && os.Getenv("NO_COLOR") == ""
	var view *liveView
	if tty {
		rows := 0
		if f, ok := stdout.(*os.File); ok {
			ansiOutput(f)
			if cols, height, err := term.GetSize(int(f.Fd())); err == nil {
				s.width, rows = min(s.width, cols), height // a wrapped line would throw the redrawing off
			}
		}
		view = newLiveView(stdout, s.width, rows, color)
		defer view.clear()
	}
	ctx, quit := context.WithCancelCause(ctx)
	defer quit(nil)
	if tty && isTerminal(os.Stdin) {
		if restore, err := keyMode(os.Stdin); err == nil {
			defer restore() // on every return, Ctrl-C's included: the terminal as it was
			go readQuitKey(os.Stdin, quit)
			fmt.Fprintln(stdout, "(q stops the lesson)")
		}
	}
	out, err := l.Run(ctx, lessons.Options{Quick: s.quick}, view.draw)
	switch {
	case err != nil && errors.Is(context.Cause(ctx), errQuitKey):
		view.clear()
		return quitLesson(stdout, l.Name, s.quick)
	case err != nil && ctx.Err() != nil:
		return interruptedf("netio demo %s: interrupted", l.Name)
	case err != nil:
		return fmt.Errorf("netio demo %s: %w", l.Name, err)
	}
	if view != nil {
		view.clear()
	}
	lessons.Render(stdout, out.Timelines, s.width, color)
	if len(out.Notes) > 0 {
		fmt.Fprintf(stdout, "\n%s\n", strings.Join(out.Notes, "\n"))
	}
	printClaims(stdout, out.Claims, s.width)
	for _, line := range out.Inconclusive() {
		fmt.Fprintf(stdout, "\n%s\n", wrap(line, s.width))
	}
	fmt.Fprintf(stdout, "\n%s\n", wrap(l.Explain, s.width))
	if s.svg != "" {
		if err := saveTimelineSVG(s.svg, out.Timelines); err != nil {
			return fmt.Errorf("netio demo: --svg: %w", err)
		}
		fmt.Fprintf(stdout, "\nTimeline: %s\n", s.svg)
	}
	if s.quick && !out.Holds() {
		return errors.New("netio demo " + l.Name + ": the lesson's claim did not hold (see the table)")
	}
	return nil
}

// errQuitKey is the cause of a lesson stopped by its q key.
var errQuitKey = errors.New("q pressed")

// readQuitKey reads keys from in, in cbreak mode, and stops the lesson at
// q. It returns when in fails; otherwise it waits for a key until the
// process ends (a read of a terminal cannot be cancelled), which is when
// the command has returned.
func readQuitKey(in io.Reader, quit context.CancelCauseFunc) {
	key := make([]byte, 1)
	for {
		if _, err := in.Read(key); err != nil {
			return
		}
		if key[0] == 'q' || key[0] == 'Q' {
			quit(errQuitKey)
			return
		}
	}
}

// quitLesson ends a lesson stopped with q: a line saying so, and exit 0,
// as a pager quits; with --quick, exit 1, since the claim was not checked.
func quitLesson(stdout io.Writer, name string, quick bool) error {
	if quick {
		return fmt.Errorf("netio demo %s: stopped with q before its claim was checked", name)
	}
	fmt.Fprintf(stdout, "netio demo %s: stopped with q.\n", name)
	return nil
}

// printClaims prints the claims as a table, or, when the table would be
// wider than width columns, each claim in three lines.
func printClaims(w io.Writer, claims []lessons.Claim, width int) {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tCLAIM\tPREDICTED\tMEASURED")
	for _, c := range claims {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", holdMark(c), c.Statement, c.Predicted, c.Measured)
	}
	tw.Flush()
	if widest(b.String()) <= width {
		fmt.Fprintf(w, "\n%s", b.String())
		return
	}
	for _, c := range claims {
		fmt.Fprintf(w, "\n%s  %s\n    predicted: %s\n    measured:  %s\n", holdMark(c), c.Statement, c.Predicted, c.Measured)
	}
}

func holdMark(c lessons.Claim) string { return c.Verdict.Mark() }

// widest is the width of text's longest line, in runes.
func widest(text string) int {
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		n = max(n, len([]rune(line)))
	}
	return n
}

// saveTimelineSVG draws the lesson's timelines with the report's Gantt
// renderer.
func saveTimelineSVG(path string, timelines []lessons.Timeline) error {
	runs := make([]results.Run, len(timelines))
	for i, tl := range timelines {
		runs[i] = results.Run{Point: results.Point{Strategy: tl.Title}, Lanes: tl.Lanes, Timeline: tl.Spans, WallS: tl.EndMS / 1000}
	}
	b, err := report.TimelineSVG(runs)
	if err != nil {
		return err
	}
	return results.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// liveView redraws the timeline in place on a terminal: it moves the
// cursor up over the last frame and writes the new one over it, line by
// line, each line cleared first, so nothing flickers (no clear screen) in
// a terminal, tmux or over SSH. A plain ANSI renderer rather than a TUI
// library: the view is one block of lines redrawn, and its one key, q, is
// read in cbreak mode (docs/lessons/README.md).
//
// A frame is drawn when the lesson reports a change (a request started or
// finished), and every 100 ms while requests are waiting, with their bars
// grown by the time since the lesson's last report.
type liveView struct {
	w     io.Writer
	width int
	rows  int // the terminal's height; 0 if unknown
	color bool

	mu     sync.Mutex
	lines  int                // lines of the last frame
	last   time.Time          // when the last frame was drawn
	latest []lessons.Timeline // the lesson's last report
	got    time.Time          // when it came
	stop   chan struct{}      // closed by clear: the ticker ends
	ticker sync.WaitGroup
	once   sync.Once // clear's work, done once
}

// newLiveView starts a view on w and its ticker. A frame taller than rows
// shows its last rows only (the cursor cannot move up past the top of the
// screen, so a taller frame could not be drawn over); 0 shows it whole.
func newLiveView(w io.Writer, width, rows int, color bool) *liveView {
	v := &liveView{w: w, width: width, rows: rows, color: color, stop: make(chan struct{})}
	v.ticker.Go(v.tick)
	return v
}

// draw takes the lesson's timelines and shows them, at most every 30 ms
// (the final frame always).
func (v *liveView) draw(timelines []lessons.Timeline) {
	if v == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.latest, v.got = timelines, time.Now()
	if time.Since(v.last) < 30*time.Millisecond && !allEnded(timelines) {
		return
	}
	v.render(timelines)
}

// tick redraws every 100 ms, the waiting bars grown to now, until clear.
func (v *liveView) tick() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
		}
		v.mu.Lock()
		if v.latest != nil && !allEnded(v.latest) {
			v.render(grown(v.latest, time.Since(v.got)))
		}
		v.mu.Unlock()
	}
}

// grown advances the clock of the timelines still running by d.
func grown(timelines []lessons.Timeline, d time.Duration) []lessons.Timeline {
	out := slices.Clone(timelines)
	for i := range out {
		if out[i].EndMS == 0 {
			out[i].NowMS += float64(d.Microseconds()) / 1000
		}
	}
	return out
}

// render writes a frame over the last one. The caller holds v.mu.
func (v *liveView) render(timelines []lessons.Timeline) {
	v.last = time.Now()
	var b strings.Builder
	lessons.Render(&b, timelines, v.width, v.color)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if keep := v.rows - 3; v.rows > 0 && len(lines) > keep+1 {
		// The latest rows, under a line that says what is hidden. Two rows
		// are left: the cursor's, below the frame, and the top one, so that
		// the frame never starts in the screen's corner, where tmux takes
		// the clearing of the screen below as "clear screen" and keeps a
		// copy of the frame in its history.
		lines = append([]string{fmt.Sprintf("(%d rows above, shown at the end)", len(lines)-keep)}, lines[len(lines)-keep:]...)
	}
	v.moveUp()
	for _, line := range lines {
		fmt.Fprintf(v.w, "\x1b[2K%s\n", line)
	}
	v.lines = len(lines)
}

// clear stops the ticker and removes the last frame, for the final
// picture to take its place. Only the first call does anything.
func (v *liveView) clear() {
	if v == nil {
		return
	}
	v.once.Do(func() {
		close(v.stop)
		v.ticker.Wait()
		v.mu.Lock()
		defer v.mu.Unlock()
		v.moveUp()
		fmt.Fprint(v.w, "\x1b[J")
		v.lines = 0
	})
}

func (v *liveView) moveUp() {
	if v.lines > 0 {
		fmt.Fprintf(v.w, "\x1b[%dA\r", v.lines)
	}
}

func allEnded(timelines []lessons.Timeline) bool {
	for _, tl := range timelines {
		if tl.EndMS == 0 {
			return false
		}
	}
	return len(timelines) > 0
}

// wrap folds text at width columns.
func wrap(text string, width int) string {
	var b strings.Builder
	col := 0
	for _, word := range strings.Fields(text) {
		if col > 0 && col+1+len([]rune(word)) > width {
			b.WriteString("\n")
			col = 0
		} else if col > 0 {
			b.WriteString(" ")
			col++
		}
		b.WriteString(word)
		col += len([]rune(word))
	}
	return b.String()
}
