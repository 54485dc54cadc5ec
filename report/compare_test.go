package report_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netio-lab/netio/report"
	"github.com/netio-lab/netio/results"
)

// changed writes a copy of the fixture in which change has altered every
// run, and returns its folder.
func changed(t *testing.T, change func(*results.Run)) string {
	t.Helper()
	f := load(t, fixture)[0]
	for i := range f.Runs {
		change(&f.Runs[i])
	}
	f.Summary = results.Summarize(f.Runs)
	dir := t.TempDir()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "run.json"), b, 0o644)
	return dir
}

// compareRows runs a comparison of newer against the fixture and returns
// the rows of its Markdown table, split into cells.
func compareRows(t *testing.T, newer string) [][]string {
	t.Helper()
	out := t.TempDir()
	if _, err := report.WriteComparison(out, []string{fixture, newer}, load(t, fixture, newer)); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, report.CompareMarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, line := range strings.Split(string(md), "\n") {
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) == 7 && !strings.Contains(line, "---") && strings.TrimSpace(cells[0]) != "strategy" {
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			rows = append(rows, cells)
		}
	}
	if len(rows) == 0 {
		t.Fatalf("no rows in compare.md:\n%s", md)
	}
	return rows
}

func TestCompareIdenticalRunsIsUnchangedEverywhere(t *testing.T) {
	for _, row := range compareRows(t, fixture) {
		if row[5] != "~" {
			t.Errorf("%v: change %q; want ~ for identical runs", row, row[5])
		}
	}
}

func TestCompareFlagsTheStrategyThatGotFaster(t *testing.T) {
	faster := changed(t, func(r *results.Run) {
		if r.Strategy == "pool" {
			r.ThroughputRPS *= 2
		}
	})
	flagged := 0
	for _, row := range compareRows(t, faster) {
		strategy, metric, change := row[0], row[2], row[5]
		if strategy == "pool" && metric == "REQ/S" {
			flagged++
			if !strings.HasPrefix(change, "+100.00%") || !strings.Contains(change, "better") {
				t.Errorf("%v: change %q; want +100.00%% (better), significant", row, change)
			}
			continue
		}
		if change != "~" {
			t.Errorf("%v: change %q; want ~: nothing else changed", row, change)
		}
	}
	if flagged != 2 {
		t.Errorf("%d pool req/s rows; want 2, one per concurrency", flagged)
	}
}

func TestCompareNeedsACommonPoint(t *testing.T) {
	other := changed(t, func(r *results.Run) { r.Concurrency += 1000 })
	_, err := report.WriteComparison(t.TempDir(), []string{fixture, other}, load(t, fixture, other))
	if err == nil || !strings.Contains(err.Error(), "no point in common") {
		t.Errorf("got %v; want an error saying the runs share no point", err)
	}
}
