package bench_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/results"
)

func msDuration(n int) mockserver.Duration {
	return mockserver.Duration(time.Duration(n) * time.Millisecond)
}

// TestPointsWithTheServersModel: a plan with a Target and no Latency asks
// for no delay, and names the server's own model; only a fixed one, the
// same for every page and not queued, has an ideal time.
func TestPointsWithTheServersModel(t *testing.T) {
	lognormal := mockserver.Delay{Dist: "lognormal", Latency: msDuration(20), P99: msDuration(100)}
	tests := []struct {
		name  string
		model *mockserver.Model
		want  string
		fixed time.Duration
	}{
		{"lognormal", &mockserver.Model{Delay: lognormal}, "lognormal:20ms:p99:100ms", -1},
		{"fixed", &mockserver.Model{Delay: mockserver.Delay{Latency: msDuration(20)}}, "fixed:20ms", 20 * time.Millisecond},
		{"none", &mockserver.Model{}, "fixed:0s", 0},
		{"uniform", &mockserver.Model{Delay: mockserver.Delay{Latency: msDuration(20), Jitter: msDuration(5)}}, "uniform:20ms:jitter:5ms", -1},
		{"two-level", &mockserver.Model{Delay: mockserver.Delay{Dist: "two-level", Latency: msDuration(50), Jitter: msDuration(25), Slow: mockserver.Duration(time.Second), SlowShare: 0.01}},
			"two-level:50ms:jitter:25ms:slow:1s:share:0.01", -1},
		{"capped", &mockserver.Model{Delay: mockserver.Delay{Latency: msDuration(20), Cap: msDuration(10)}}, "fixed:20ms:cap:10ms", 10 * time.Millisecond},
		{"queued", &mockserver.Model{Delay: mockserver.Delay{Latency: msDuration(20)}, QueueServers: 4}, "fixed:20ms+queue:4", -1},
		{"a station of its own", &mockserver.Model{Delay: mockserver.Delay{Latency: msDuration(20)},
			Stations: map[string]mockserver.Override{"RJTT": {Delay: &mockserver.Delay{Latency: msDuration(300)}}}}, "fixed:20ms+stations", -1},
		{"a station's faults only", &mockserver.Model{Delay: lognormal, Stations: map[string]mockserver.Override{"EGLC": {Faults: map[string]float64{"reset": 0.5}}}},
			"lognormal:20ms:p99:100ms", -1},
		{"unknown", nil, "unknown", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := bench.Plan{Strategies: []string{"pool"}, Mode: results.ModeClosed, N: []int{10}, Concurrency: []int{2}, Count: 1,
				Target: "http://127.0.0.1:9", TargetModel: tt.model}
			points := p.Points(p.Target)
			if len(points) != 1 {
				t.Fatalf("%d points; want one", len(points))
			}
			s := points[0]
			if s.LatencyModel != tt.want || s.FixedLatency != tt.fixed || !s.Truth {
				t.Errorf("model %s, fixed %v, truth %v; want %s, %v, true", s.LatencyModel, s.FixedLatency, s.Truth, tt.want, tt.fixed)
			}
			for _, page := range s.Pages {
				if strings.Contains(page, "?") {
					t.Fatalf("page %s asks for something; want the server's own model", page)
				}
			}
		})
	}
}

func TestReadModel(t *testing.T) {
	model := mockserver.Model{Delay: mockserver.Delay{Dist: "pareto", Latency: msDuration(20), P99: msDuration(400), Cap: mockserver.Duration(time.Second)}}
	srv, err := mockserver.Start(mockserver.Config{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	got, err := bench.ReadModel(context.Background(), srv.URL()+"/")
	if err != nil || !reflect.DeepEqual(got, model) {
		t.Errorf("ReadModel = %+v, %v; want %+v", got, err, model)
	}
	// Not a netio server: a page for every path, or a 404.
	for _, h := range []http.HandlerFunc{
		func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>hello</html>")) },
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"delay": {"latncy": "5ms"}}`))
		},
		http.NotFound,
	} {
		other := httptest.NewServer(h)
		if m, err := bench.ReadModel(context.Background(), other.URL); err == nil || !strings.HasPrefix(err.Error(), "bench: reading the server's model: ") {
			t.Errorf("ReadModel of another server = %+v, %v; want an error", m, err)
		}
		other.Close()
	}
}

// TestRunRecordsTheTargetsModel runs a plan against a mock server already
// running, asking for no delay: the runs record the server's own model
// and that it came from the server, the pages are its (all verified), and
// only the fixed model has an ideal time. Asking for a delay records the
// flags over the server's model.
func TestRunRecordsTheTargetsModel(t *testing.T) {
	tests := []struct {
		name      string
		model     mockserver.Model
		latency   []time.Duration
		want      string
		source    string
		override  string
		wantIdeal bool
		minP50    float64 // the model's delay: no page comes sooner
		maxP50    float64 // overridden: below the server's own 30 ms, which every page would wait otherwise
	}{
		{"lognormal", mockserver.Model{Delay: mockserver.Delay{Dist: "lognormal", Latency: msDuration(4), P99: msDuration(8)}}, nil,
			"lognormal:4ms:p99:8ms", results.LatencyFromServer, "", false, 3, math.Inf(1)},
		{"fixed", mockserver.Model{Delay: mockserver.Delay{Latency: msDuration(3)}}, nil, "fixed:3ms", results.LatencyFromServer, "", true, 3, math.Inf(1)},
		{"overridden", mockserver.Model{Delay: mockserver.Delay{Latency: msDuration(30)}}, []time.Duration{time.Millisecond},
			"fixed:1ms", results.LatencyFromFlags, "--latency", true, 1, 29},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := mockserver.Start(mockserver.Config{Seed: serverSeed, Model: tt.model})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			p := bench.Plan{Strategies: []string{"epoll"}, Mode: results.ModeClosed, N: []int{20}, Concurrency: []int{4}, Count: 1,
				Timeout: 5 * time.Second, Seed: serverSeed, Target: srv.URL(), Latency: tt.latency}
			file, err := bench.Run(context.Background(), p, bench.Options{Child: realChild})
			if err != nil || len(file.Runs) != 1 {
				t.Fatalf("Run = %v, %d runs", err, len(file.Runs))
			}
			r := file.Runs[0]
			if r.LatencyModel != tt.want || r.Verified != 20 || (r.IdealS != nil) != tt.wantIdeal || r.LatencyMS.P50 < tt.minP50 || r.LatencyMS.P50 > tt.maxP50 {
				t.Errorf("model %s, verified %d, ideal %v, p50 %v ms; want %s, 20, ideal %v, p50 from %v to %v ms",
					r.LatencyModel, r.Verified, r.IdealS, r.LatencyMS.P50, tt.want, tt.wantIdeal, tt.minP50, tt.maxP50)
			}
			if s := file.Settings; s.LatencySource != tt.source || s.LatencyOverride != tt.override {
				t.Errorf("latency source %q, override %q; want %q, %q", s.LatencySource, s.LatencyOverride, tt.source, tt.override)
			}
		})
	}
}
