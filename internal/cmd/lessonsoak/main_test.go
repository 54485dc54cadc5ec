package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeNetio is a shell script standing in for netio: three lessons, one
// that holds, one with a claim this machine cannot judge (its line
// wrapped, as --width 40 wraps it), one that says NO.
const fakeNetio = `#!/bin/sh
if [ "$2" = "--names" ]; then printf 'good\nunsure\nbad\n'; exit 0; fi
case "$2" in
good) printf '\nok  pages in flight at once\n    predicted: 4 pages\n    measured:  4 pages\n' ;;
unsure) printf '\n?  cores busy\n    predicted: ≥ 1.20 cores\n    measured:  1.05 cores\n\ncores busy: inconclusive on\nthis machine: no second core\n' ;;
bad) printf '\nNO  takes the longest wait\n    predicted: 120–240 ms\n    measured:  300 ms\nnetio demo bad: the lesson'"'"'s claim did not hold (see the table)\n'; exit 1 ;;
esac
`

func TestSoakCountsEachOutcome(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("skipping: the fake netio is a shell script")
	}
	bin := filepath.Join(t.TempDir(), "netio")
	if err := os.WriteFile(bin, []byte(fakeNetio), 0o755); err != nil {
		t.Fatal(err)
	}
	var out, progress bytes.Buffer
	ok, err := run(&out, &progress, []string{"--netio", bin, "--n", "2"})
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Error("a lesson said NO, yet the soak passed")
	}
	for _, want := range []string{
		"good    2     0             0   0",
		"unsure  0     2             0   0",
		"bad     0     0             2   0",
		" 0/ 2/ 0  cores busy: predicted ≥ 1.20 cores; measured 1.05 – 1.05",
		"--- bad: the first run that did not hold ---",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(progress.String(), "round 2 of 2 done") {
		t.Errorf("progress %q; want each round reported", progress.String())
	}
}
