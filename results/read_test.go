package results_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netio-lab/netio/results"
)

func TestReadDirRefusesBadFiles(t *testing.T) {
	good, err := json.Marshal(results.File{Version: results.Version, Runs: []results.Run{{Point: results.Point{Strategy: "pool"}, OK: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		content []byte // nil: no run.json at all
		want    string // in the error
	}{
		{"missing", nil, "no run.json"},
		{"truncated", good[:len(good)/2], "truncated"},
		{"not json", []byte("hello"), "not valid JSON"},
		{"future version", []byte(`{"version": 99}`), "version 99"},
		{"no version", []byte(`{}`), "version 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.content != nil {
				os.WriteFile(filepath.Join(dir, "run.json"), c.content, 0o644)
			}
			_, err := results.ReadDir(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v; want one line containing %q", err, c.want)
			}
		})
	}
}

func TestReadDirSummarizesVersion1(t *testing.T) {
	dir := t.TempDir()
	v1 := `{"version": 1, "runs": [{"strategy": "epoll", "mode": "closed", "n": 10, "throughput_rps": 100, "repetition": 1},
		{"strategy": "epoll", "mode": "closed", "n": 10, "throughput_rps": 300, "repetition": 2}], "summary": [{"strategy": "epoll", "throughput_rps": {"median": 1}}]}`
	os.WriteFile(filepath.Join(dir, "run.json"), []byte(v1), 0o644)
	f, err := results.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Summary) != 1 || f.Summary[0].Metrics["throughput_rps"].Median != 200 {
		t.Errorf("summary %+v; want one point with median 200 req/s, worked out from the runs", f.Summary)
	}
}
