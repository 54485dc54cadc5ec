package results_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/netio-lab/netio/results"
)

// TestTableSaysWhoSetTheLatency: the table's first line says where the
// latency came from when it was not the bench's own flags.
func TestTableSaysWhoSetTheLatency(t *testing.T) {
	withModel := func(model string, runs ...results.Run) []results.Run {
		for i := range runs {
			runs[i].LatencyModel = model
		}
		return runs
	}
	tests := []struct {
		name     string
		settings results.Settings
		runs     []results.Run
		want     string
	}{
		{"old file", results.Settings{}, withModel("fixed:5ms", run("pool", 10, 1, 1000)), "n 1000, latency fixed:5ms; medians"},
		{"own server", results.Settings{LatencySource: results.LatencyFromFlags}, withModel("fixed:5ms", run("pool", 10, 1, 1000)), "n 1000, latency fixed:5ms; medians"},
		{"the server's", results.Settings{LatencySource: results.LatencyFromServer}, withModel("lognormal:20ms:p99:100ms", run("pool", 10, 1, 1000)),
			"n 1000, latency set by the server: lognormal:20ms:p99:100ms; medians"},
		{"unknown", results.Settings{LatencySource: results.LatencyFromServer}, withModel("unknown", run("pool", 10, 1, 1000)),
			"n 1000, latency set by the server, unknown; medians"},
		{"overridden", results.Settings{LatencySource: results.LatencyFromFlags, LatencyOverride: "--latency"}, withModel("fixed:5ms", run("pool", 10, 1, 1000)),
			"n 1000, latency fixed:5ms (the server's own overridden by --latency); medians"},
		{"overridden, swept", results.Settings{LatencySource: results.LatencyFromFlags, LatencyOverride: "--latency"},
			append(withModel("fixed:5ms", run("pool", 10, 1, 1000)), withModel("fixed:50ms", run("pool", 10, 1, 100))...),
			"n 1000, latency: the server's own overridden by --latency; medians"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.settings.Count = 1
			file := results.File{Settings: tt.settings, Runs: tt.runs, Summary: results.Summarize(tt.runs)}
			var buf bytes.Buffer
			if err := results.WriteTable(&buf, file); err != nil {
				t.Fatal(err)
			}
			if first, _, _ := strings.Cut(buf.String(), "\n"); !strings.HasSuffix(first, tt.want+" of 1 measured passes after a cold one") {
				t.Errorf("first line %q; want it to end %q", first, tt.want+" of 1 measured passes after a cold one")
			}
		})
	}
}
