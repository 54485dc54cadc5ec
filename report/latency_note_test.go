package report_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netio-lab/netio/report"
	"github.com/netio-lab/netio/results"
)

// TestReportSaysWhoSetTheLatency: a --target run's report says where its
// delay came from, in report.md's notes and in report.html's table.
func TestReportSaysWhoSetTheLatency(t *testing.T) {
	tests := []struct {
		name     string
		settings results.Settings
		note     string // in both pages
		header   string // in report.html's table
	}{
		{"the server's", results.Settings{Target: "http://10.0.0.1:8080", LatencySource: results.LatencyFromServer},
			"The delay was set by the server at http://10.0.0.1:8080: its own model, ", "latency set by the server: "},
		{"overridden", results.Settings{Target: "http://10.0.0.1:8080", LatencySource: results.LatencyFromFlags, LatencyOverride: "--latency"},
			"The delay was set by --latency in every page URL, overriding the model of the server at http://10.0.0.1:8080.", "(the server&#39;s own overridden by --latency)"},
		{"own server", results.Settings{Target: "embedded", LatencySource: results.LatencyFromFlags}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := load(t, fixture)[0]
			tt.settings.Count = file.Settings.Count
			file.Settings = tt.settings
			out := t.TempDir()
			if _, err := report.Write(out, []string{fixture}, []results.File{file}); err != nil {
				t.Fatal(err)
			}
			md, _ := os.ReadFile(filepath.Join(out, report.MarkdownFile))
			html, _ := os.ReadFile(filepath.Join(out, report.HTMLFile))
			if tt.note == "" {
				if strings.Contains(string(md), "The delay was set by") {
					t.Errorf("report.md has a note on the delay for the bench's own server:\n%s", md)
				}
				return
			}
			if !strings.Contains(string(md), tt.note) || !strings.Contains(string(html), tt.header) {
				t.Errorf("report.md has the note %q: %v; report.html the header %q: %v", tt.note, strings.Contains(string(md), tt.note), tt.header, strings.Contains(string(html), tt.header))
			}
		})
	}
}
