package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureRun is the report package's committed run.
var fixtureRun = filepath.Join("..", "..", "report", "testdata", "base")

func TestReportWritesIntoTheFolder(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, code := runCmd("report", fixtureRun, "--out", out)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if want := filepath.Join(out, "report.html") + "\n"; stdout != want {
		t.Errorf("stdout %q; want the report's path, %q", stdout, want)
	}
	stdout, _, code = runCmd("report", "--compare", fixtureRun, fixtureRun, "--out", out)
	if code != 0 || !strings.HasSuffix(stdout, "compare.html\n") {
		t.Errorf("--compare: exit %d, stdout %q; want 0 and compare.html's path", code, stdout)
	}
	trace := filepath.Join(out, "trace.json")
	if _, _, code := runCmd("report", "--trace", trace, fixtureRun); code != 0 {
		t.Errorf("--trace: exit %d", code)
	}
	if _, err := os.Stat(trace); err != nil {
		t.Error(err)
	}
}

func TestReportBadInput(t *testing.T) {
	empty := t.TempDir()
	bad := func(content string) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "run.json"), []byte(content), 0o644)
		return dir
	}
	full, _ := os.ReadFile(filepath.Join(fixtureRun, "run.json"))
	blocker := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(blocker, nil, 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no folder", []string{"report"}, "no run folder given"},
		{"no run.json", []string{"report", empty}, "no run.json"},
		{"unknown version", []string{"report", bad(`{"version": 7, "runs": []}`)}, "version 7"},
		{"truncated", []string{"report", bad(string(full[:len(full)/3]))}, "truncated"},
		{"out cannot be written", []string{"report", fixtureRun, "--out", filepath.Join(blocker, "out")}, "cannot create"},
		{"compare with one folder", []string{"report", "--compare", fixtureRun}, "needs a BASE folder"},
		{"unknown flag", []string{"report", "--colour", fixtureRun}, "--colour"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCmd(c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout and one line containing %q", code, stdout, stderr, c.want)
			}
		})
	}
	// A report refused leaves the folder it would have written into as it
	// was: the bad run.json alone.
	for _, c := range cases[1:4] {
		entries, _ := os.ReadDir(c.args[1])
		if len(entries) > 1 {
			t.Errorf("%s: %d files in %s after a refused report; want run.json alone at most", c.name, len(entries), c.args[1])
		}
	}
}
