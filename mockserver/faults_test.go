package mockserver

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParseFault(t *testing.T) {
	good := map[string]fault{
		"reset":          {kind: FaultReset},
		"status":         {kind: FaultStatus, code: 503},
		"status:429":     {kind: FaultStatus, code: 429},
		"hang-mid-body":  {kind: FaultHangMidBody},
		"no-temperature": {kind: FaultNoTemperature},
	}
	for spec, want := range good {
		if got, err := parseFault(spec); err != nil || got != want {
			t.Errorf("parseFault(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	for _, spec := range []string{"explode", "status:200", "status:abc", "reset:1", ""} {
		_, err := parseFault(spec)
		if err == nil {
			t.Errorf("parseFault(%q) succeeded", spec)
		}
	}
	_, err := parseFault("explode")
	for _, kind := range FaultKinds {
		if !strings.Contains(err.Error(), kind) {
			t.Errorf("error %q does not list %s", err, kind)
		}
	}
}

func TestFaultTableFrequenciesAndOrder(t *testing.T) {
	table := newFaultTable(map[string]float64{"reset": 0.1, "status:500": 0.2, "hang": 0})
	r := rand.New(rand.NewPCG(3, 4))
	counts := map[string]int{}
	const n = 100000
	for range n {
		if f, ok := table.pick(r); ok {
			counts[f.String()]++
		}
	}
	for spec, want := range map[string]float64{"reset": 0.1, "status:500": 0.2, "hang": 0} {
		got := float64(counts[spec]) / n
		if got < want-0.01 || got > want+0.01 {
			t.Errorf("%s injected in %.3f of requests; want %.2f", spec, got, want)
		}
	}
	// The same draws pick the same faults whatever the map's iteration order.
	again := newFaultTable(map[string]float64{"status:500": 0.2, "hang": 0, "reset": 0.1})
	r1, r2 := rand.New(rand.NewPCG(5, 6)), rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		a, okA := table.pick(r1)
		b, okB := again.pick(r2)
		if a != b || okA != okB {
			t.Fatal("two tables of the same faults picked differently")
		}
	}
}

func TestModelValidateNamesTheField(t *testing.T) {
	tests := []struct {
		m     Model
		field string
	}{
		{Model{Faults: map[string]float64{"reset": 1.5}}, "faults.reset"},
		{Model{Faults: map[string]float64{"reset": 0.6, "hang": 0.6}}, "faults"},
		{Model{Body: Body{Encoding: "gzip"}}, "body.encoding"},
		{Model{Body: Body{Split: "pieces:1"}}, "body.split"},
		{Model{Body: Body{Rate: 10, Chunks: 3}}, "body.rate"},
		{Model{QueueServers: -1}, "queue_servers"},
		{Model{Stations: map[string]Override{"EGLC": {Delay: &Delay{Dist: "zipf"}}}}, "stations.EGLC.delay.dist"},
		{Model{Stations: map[string]Override{"QQQQ": {}}}, "stations.QQQQ"},
	}
	for _, tt := range tests {
		err := tt.m.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tt.field) {
			t.Errorf("Validate(%+v) = %v; want an error naming %s", tt.m, err, tt.field)
		}
	}
}
