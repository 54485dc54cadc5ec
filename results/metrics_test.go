package results_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"

	"github.com/netio-lab/netio/results"
)

func TestMetricsAreComplete(t *testing.T) {
	names, units, titles := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, m := range results.Metrics {
		t.Run(fmt.Sprintf("%d-%s", i, m.Name), func(t *testing.T) {
			if m.Name == "" || m.Title == "" || m.Unit == "" || m.Format == "" || m.Value == nil {
				t.Errorf("%+v; want a name, title, unit, format and Value", m)
			}
			if m.Better != results.Higher && m.Better != results.Lower {
				t.Errorf("better %q; want %q or %q", m.Better, results.Higher, results.Lower)
			}
			// benchstat's own assumption for the units it knows (ns/op,
			// B/op, MB/s…) must not contradict the table.
			_, tidy := benchunit.Tidy(1, m.Unit)
			if builtin := (benchfmt.UnitMetadataMap{}).GetBetter(tidy); builtin != 0 && (builtin > 0) != (m.Better == results.Higher) {
				t.Errorf("better=%s; benchstat assumes the opposite for %s", m.Better, m.Unit)
			}
			// benchfmt reads a unit up to the next space.
			if strings.ContainsAny(m.Unit, " \t") {
				t.Errorf("unit %q has a space", m.Unit)
			}
			if names[m.Name] || units[m.Unit] || titles[m.Title] {
				t.Errorf("name %q, unit %q or title %q is not unique", m.Name, m.Unit, m.Title)
			}
			names[m.Name], units[m.Unit], titles[m.Title] = true, true, true
			if m.PlusMinus && !m.Column {
				t.Error("PlusMinus without a Column")
			}
			// A zero Run has nil pointers: only optional metrics may be missing.
			if _, ok := m.Value(results.Run{}); ok == m.Optional {
				t.Errorf("Value of a zero run reports %v; want %v (optional %v)", ok, !m.Optional, m.Optional)
			}
		})
	}
}

// distinct is a run whose figures all differ, so that a metric reading the
// wrong field shows.
func distinct() results.Run {
	f := func(v float64) *float64 { return &v }
	return results.Run{
		Point:  results.Point{Strategy: "pool", Mode: results.ModeClosed, N: 1000, Concurrency: 10, GOMAXPROCS: 2, LatencyModel: "fixed:5ms"},
		Failed: 3, Mismatched: 4, WallS: 0.5, IdealS: f(0.25), Efficiency: f(0.5), EfficiencyCold: f(0.4), WallColdS: 0.625,
		ThroughputRPS: 2000, LatencyMS: results.LatencyMS{P50: 5.1, P90: 6.2, P99: 7.3, P999: 8.4, Max: 9.5},
		GoroutinesPeak: 11, GoroutinesProcessPeak: 12, GoroutinesCreated: 13, ThreadsPeak: 14,
		CtxSwVoluntary: 15, CtxSwInvoluntary: 16, CtxSwPerReq: 0.031, CPUUserS: 0.17, CPUSysS: 0.18, CPUMicrosPerReq: 350,
		AllocBytesPerReq: 4096, AllocsPerReq: 19.5, MaxRSSBytes: 20 << 20, BytesReceived: 21, Hedged: 22, HedgeAfterMS: f(40),
	}
}

func TestMetricsReadTheirFigure(t *testing.T) {
	r := distinct()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	// Metrics named after no Run field derive their figure.
	derived := map[string]float64{"wall_ns_per_req": 500e3, "p50_ms": 5.1, "p99_ms": 7.3, "max_rss_mb": float64(20<<20) / 1e6, "hedged_pct": 2.2}
	for _, m := range results.Metrics {
		got, _ := m.Value(r)
		want, ok := derived[m.Name]
		if field, isField := fields[m.Name].(float64); isField {
			want, ok = field, true
		}
		if !ok {
			t.Errorf("%s: not a field of Run; add the figure it derives to this test", m.Name)
		} else if got != want {
			t.Errorf("%s: %v; want %v", m.Name, got, want)
		}
	}
}

func TestSummaryHasEveryMetric(t *testing.T) {
	a, b := distinct(), distinct()
	b.Repetition, b.ThroughputRPS, b.Failed = 2, 3000, 5
	noIdeal := distinct()
	noIdeal.Concurrency, noIdeal.IdealS, noIdeal.Efficiency, noIdeal.EfficiencyCold, noIdeal.HedgeAfterMS = 20, nil, nil, nil, nil
	sums := results.Summarize([]results.Run{a, b, noIdeal})
	if len(sums) != 2 {
		t.Fatalf("%d summaries; want 2", len(sums))
	}
	for _, m := range results.Metrics {
		va, _ := m.Value(a)
		vb, _ := m.Value(b)
		want := results.Spread{Median: (va + vb) / 2, Min: min(va, vb), Max: max(va, vb)}
		if got, ok := sums[0].Metrics[m.Name]; !ok || got != want {
			t.Errorf("%s: %+v (%v); want %+v", m.Name, got, ok, want)
		}
		if _, ok := sums[1].Metrics[m.Name]; ok == m.Optional {
			t.Errorf("%s without an ideal: present %v; want %v", m.Name, ok, !m.Optional)
		}
	}
	if len(sums[0].Metrics) != len(results.Metrics) {
		t.Errorf("%d metrics in the summary; want the table's %d", len(sums[0].Metrics), len(results.Metrics))
	}
	if sums[0].Failed != 8 || sums[0].Mismatched != 8 {
		t.Errorf("failed %d, mismatched %d; want the sums 8, 8", sums[0].Failed, sums[0].Mismatched)
	}
}

func TestOutputsShowEveryMetric(t *testing.T) {
	r := distinct()
	r.Repetition = 1
	file := results.File{Settings: results.Settings{Count: 1}, Runs: []results.Run{r}}
	file.Summary = results.Summarize(file.Runs)
	var table, bench bytes.Buffer
	if err := results.WriteTable(&table, file); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteBenchText(&bench, file); err != nil {
		t.Fatal(err)
	}
	// The terminal table: columns are at least two spaces apart, and the
	// titles and cells have single spaces at most.
	lines := strings.Split(table.String(), "\n")
	columns := regexp.MustCompile(`\s{2,}`)
	head, row := columns.Split(strings.TrimSpace(lines[2]), -1), columns.Split(strings.TrimSpace(lines[3]), -1)
	cells := map[string]string{}
	for i, title := range head {
		cells[title] = row[i]
	}
	// bench.txt: the run's line is "BenchmarkFetch/… iterations value unit…".
	fields := strings.Fields(bench.String()[strings.LastIndex(bench.String(), "BenchmarkFetch"):])
	values := map[string]string{}
	for i := 2; i+1 < len(fields); i += 2 {
		values[fields[i+1]] = fields[i]
	}
	for _, m := range results.Metrics {
		v, _ := m.Value(r)
		cell, inTable := cells[m.Title]
		if want := fmt.Sprintf(m.Format, v); inTable != m.Column || m.Column && cell != want {
			t.Errorf("%s: table column %q: %v, cell %q; want %v, %q\n%s", m.Name, m.Title, inTable, cell, m.Column, want, table.String())
		}
		if got, err := strconv.ParseFloat(values[m.Unit], 64); err != nil || math.Abs(got-v) > 1e-5*math.Abs(v) { // six digits are written
			t.Errorf("%s: bench.txt has %q %s; want %v\n%s", m.Name, values[m.Unit], m.Unit, v, bench.String())
		}
		if !strings.Contains(bench.String(), "Unit "+m.Unit+" better="+string(m.Better)+"\n") {
			t.Errorf("%s: bench.txt lacks its Unit line:\n%s", m.Name, bench.String())
		}
	}
}
