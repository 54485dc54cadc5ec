// Command lessonsoak runs every lesson's --quick run many times and counts,
// lesson by lesson, how often its claims held, how often the machine could
// not judge one (inconclusive), how often one failed (NO) and how often the
// lesson could not run at all: the evidence that a lesson's claims are not
// flipped by noise. With --busy a thread of its own spins for the whole
// soak, as `yes > /dev/null` would, so that the lessons run with one of the
// machine's cores taken. `make lessons-soak N=20 [BUSY=1]` runs it.
//
// The lessons are run round-robin (each lesson once, then again), so that
// a slow spell of the machine falls on all of them, not on one. For each
// claim it prints the range of the values measured, so that a claim that
// held every time but near its bound shows it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	log.SetFlags(0)
	ok, err := run(os.Stdout, os.Stderr, os.Args[1:])
	if err != nil {
		log.Fatalf("lessonsoak: %v", err)
	}
	if !ok {
		os.Exit(1)
	}
}

// run soaks the lessons as args say and prints the counts to stdout, the
// progress to stderr; it reports whether every run held (or was
// inconclusive).
func run(stdout, stderr io.Writer, args []string) (bool, error) {
	fs := flag.NewFlagSet("lessonsoak", flag.ContinueOnError)
	netio := fs.String("netio", "bin/netio", "netio binary")
	n := fs.Int("n", 20, "runs of each lesson")
	busy := fs.Bool("busy", false, "keep one core busy with a spinning thread for the whole soak (as yes > /dev/null)")
	only := fs.String("lessons", "", "comma-separated lessons to soak (default: all)")
	limit := fs.Duration("timeout", 2*time.Minute, "longest one lesson run may take before it counts as could not run")
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	if *n < 1 {
		return false, errors.New("--n must be at least 1")
	}
	names, err := lessonNames(*netio, *only)
	if err != nil {
		return false, err
	}
	state := "quiet (nothing else started)"
	if *busy {
		go spin()
		state = "one core held by a spinning thread"
	}
	fmt.Fprintf(stdout, "lessonsoak: %d runs of %d lessons, --quick, %d cores, %s, %s\n\n", *n, len(names), runtime.NumCPU(), state, time.Now().UTC().Format(time.RFC3339))
	tallies := make(map[string]*tally, len(names))
	for _, name := range names {
		tallies[name] = &tally{claims: map[string]*claimRange{}}
	}
	start := time.Now()
	for i := range *n {
		for _, name := range names {
			tallies[name].add(runLesson(*netio, name, *limit))
		}
		fmt.Fprintf(stderr, "round %d of %d done (%s)\n", i+1, *n, time.Since(start).Round(time.Second))
	}
	return report(stdout, names, tallies), nil
}

// lessonNames asks netio for its lessons, or takes the ones named.
func lessonNames(netio, only string) ([]string, error) {
	out, err := exec.Command(netio, "demo", "--names").Output()
	if err != nil {
		return nil, fmt.Errorf("%s demo --names: %w (make build first)", netio, err)
	}
	all := strings.Fields(string(out))
	if only == "" {
		return all, nil
	}
	names := strings.Split(only, ",")
	for _, name := range names {
		if !slices.Contains(all, name) {
			return nil, fmt.Errorf("unknown lesson %q (valid: %s)", name, strings.Join(all, ", "))
		}
	}
	return names, nil
}

// spin keeps a thread of its own busy until the process ends.
func spin() {
	runtime.LockOSThread()
	for x := 0; ; x++ {
		_ = x
	}
}

// outcome is one run of a lesson.
type outcome int

// The outcomes of a run, as netio demo NAME --quick reports them.
const (
	held         outcome = iota // exit 0, every claim held
	inconclusive                // exit 0, a claim the machine could not judge
	failed                      // exit 1, a claim said NO
	broke                       // any other end: the lesson could not run
)

// lessonRun is what one run of a lesson printed and how it ended.
type lessonRun struct {
	outcome outcome
	claims  []claim
	output  string
}

// claim is one claim of a run, as printed in three lines (--width 40 makes
// every claims table too wide, so netio prints each claim so).
type claim struct {
	mark, statement, predicted, measured string
}

// runLesson runs netio demo NAME --quick once, for at most limit. Its
// outcome comes from the exit status and the marks of its claims (a '?'
// is a claim this machine could not judge), not from the wrapped prose.
func runLesson(netio, name string, limit time.Duration) lessonRun {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, netio, "demo", name, "--quick", "--no-pause", "--width", "40")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	r := lessonRun{claims: parseClaims(out.String()), output: out.String()}
	unjudged := slices.ContainsFunc(r.claims, func(c claim) bool { return c.mark == "?" })
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.outcome, r.output = broke, r.output+fmt.Sprintf("\n(lessonsoak: killed after %v)", limit)
	case err == nil && unjudged:
		r.outcome = inconclusive
	case err == nil:
		r.outcome = held
	case errors.As(err, &exit) && exit.ExitCode() == 1 && slices.ContainsFunc(r.claims, func(c claim) bool { return c.mark == "NO" }):
		r.outcome = failed
	default:
		r.outcome = broke
	}
	return r
}

// claimLine is a claim's first line: its mark and statement.
var claimLine = regexp.MustCompile(`^(ok|NO|\?)  (.+)$`)

// parseClaims reads the claims a run printed.
func parseClaims(out string) []claim {
	var claims []claim
	sc := bufio.NewScanner(strings.NewReader(out))
	var cur *claim
	for sc.Scan() {
		line := sc.Text()
		if m := claimLine.FindStringSubmatch(line); m != nil {
			claims = append(claims, claim{mark: m[1], statement: m[2]})
			cur = &claims[len(claims)-1]
			continue
		}
		if cur == nil {
			continue
		}
		if v, ok := strings.CutPrefix(line, "    predicted: "); ok {
			cur.predicted = v
		} else if v, ok := strings.CutPrefix(line, "    measured:  "); ok {
			cur.measured = v
			cur = nil
		}
	}
	return claims
}

// tally counts a lesson's runs.
type tally struct {
	counts    [4]int
	firstBad  string // the output of the first run that did not hold
	claims    map[string]*claimRange
	statement []string // in the order first seen
}

// claimRange is the measurements of one claim over the runs.
type claimRange struct {
	predicted string
	lo, hi    float64
	numbers   int
	texts     []string // a text claim's distinct measurements
	marks     map[string]int
}

func (t *tally) add(r lessonRun) {
	t.counts[r.outcome]++
	if (r.outcome == failed || r.outcome == broke) && t.firstBad == "" {
		t.firstBad = r.output
	}
	for _, c := range r.claims {
		cr, ok := t.claims[c.statement]
		if !ok {
			cr = &claimRange{predicted: c.predicted, marks: map[string]int{}}
			t.claims[c.statement] = cr
			t.statement = append(t.statement, c.statement)
		}
		cr.marks[c.mark]++
		if v, ok := leadingNumber(c.measured); ok {
			if cr.numbers == 0 || v < cr.lo {
				cr.lo = v
			}
			if cr.numbers == 0 || v > cr.hi {
				cr.hi = v
			}
			cr.numbers++
		} else if !slices.Contains(cr.texts, c.measured) {
			cr.texts = append(cr.texts, c.measured)
		}
	}
}

var number = regexp.MustCompile(`^-?[0-9]+(?:\.[0-9]+)?`)

func leadingNumber(s string) (float64, bool) {
	m := number.FindString(s)
	if m == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(m, 64)
	return v, err == nil
}

// report prints the counts per lesson, each claim's range, and the output
// of each lesson's first bad run; it returns whether every run was good.
func report(w io.Writer, names []string, tallies map[string]*tally) bool {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LESSON\tHELD\tINCONCLUSIVE\tNO\tCOULD NOT RUN")
	good := true
	for _, name := range names {
		t := tallies[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", name, t.counts[held], t.counts[inconclusive], t.counts[failed], t.counts[broke])
		good = good && t.counts[failed] == 0 && t.counts[broke] == 0
	}
	tw.Flush()
	fmt.Fprintln(w, "\nEach claim: ok / ? / NO, and the range measured (the leading number of its measured column).")
	for _, name := range names {
		t := tallies[name]
		fmt.Fprintf(w, "\n%s\n", name)
		for _, s := range t.statement {
			cr := t.claims[s]
			span := strings.Join(cr.texts, " | ")
			if cr.numbers > 0 {
				span = fmt.Sprintf("%g – %g", cr.lo, cr.hi)
			}
			fmt.Fprintf(w, "  %2d/%2d/%2d  %s: predicted %s; measured %s\n", cr.marks["ok"], cr.marks["?"], cr.marks["NO"], s, cr.predicted, span)
		}
	}
	for _, name := range names {
		if bad := tallies[name].firstBad; bad != "" {
			fmt.Fprintf(w, "\n--- %s: the first run that did not hold ---\n%s\n", name, lastLines(bad, 40))
		}
	}
	return good
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
