package mockserver_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
)

// TestModelPath: GET /model on the serving port is the admin API's GET
// /config, byte for byte, follows a PUT, and draws nothing from the
// stations' seeded sequences.
func TestModelPath(t *testing.T) {
	model := mockserver.Model{
		Delay:    mockserver.Delay{Dist: "lognormal", Latency: ms(20), P99: ms(100)},
		Faults:   map[string]float64{"reset": 0.01},
		Stations: map[string]mockserver.Override{"RJTT": {Delay: ptr(fixed(300 * time.Millisecond))}},
	}
	srv := start(t, mockserver.Config{Seed: 5, AdminAddr: "127.0.0.1:0", Model: model})
	status, hdr, body := get(t, srv.URL()+mockserver.ModelPath)
	if status != 200 || hdr.Get("Content-Type") != "application/json" || hdr.Get("Server-Timing") != "delay;dur=0.000" {
		t.Fatalf("GET %s: %d, %q, %q; want 200, JSON, no delay", mockserver.ModelPath, status, hdr.Get("Content-Type"), hdr.Get("Server-Timing"))
	}
	got, err := mockserver.DecodeModel(strings.NewReader(body))
	if err != nil || !reflect.DeepEqual(got, srv.Model()) {
		t.Errorf("GET %s = %+v, %v; want the model in force, %+v", mockserver.ModelPath, got, err, srv.Model())
	}
	if _, config := do(t, "GET", srv.AdminURL()+"/config", ""); body != config {
		t.Errorf("GET %s:\n%s\nGET /config on the admin port:\n%s\nwant the same", mockserver.ModelPath, body, config)
	}
	if _, withQuery := do(t, "GET", srv.URL()+mockserver.ModelPath+"?latency=1s&fault=reset", ""); withQuery != body {
		t.Errorf("GET %s with a page's query = %s; want the model, the query ignored", mockserver.ModelPath, withQuery)
	}
	if status, _ := do(t, "PUT", srv.AdminURL()+"/config", `{"delay": {"latency": "7ms"}}`); status != 200 {
		t.Fatalf("PUT /config: %d", status)
	}
	if _, _, after := get(t, srv.URL()+mockserver.ModelPath); !strings.Contains(after, `"latency": "7ms"`) || strings.Contains(after, "lognormal") {
		t.Errorf("GET %s after a PUT = %s; want the new model", mockserver.ModelPath, after)
	}
	if status, _ := do(t, "PUT", srv.URL()+mockserver.ModelPath, `{}`); status != 405 {
		t.Errorf("PUT %s: %d; want 405: the serving port only reads the model", mockserver.ModelPath, status)
	}
}

// TestModelPathDrawsNothing: a client that reads the model first meets
// the same seeded delays as one that does not.
func TestModelPathDrawsNothing(t *testing.T) {
	cfg := mockserver.Config{Seed: 9, Model: mockserver.Model{Delay: mockserver.Delay{Dist: "uniform", Latency: ms(10), Jitter: ms(5)}}}
	delays := func(readModel bool) []time.Duration {
		srv := start(t, cfg)
		if readModel {
			get(t, srv.URL()+mockserver.ModelPath)
		}
		var out []time.Duration
		for range 5 {
			_, injected := timed(t, srv.PageURL("EGLC"))
			out = append(out, injected)
		}
		return out
	}
	if plain, after := delays(false), delays(true); !reflect.DeepEqual(plain, after) {
		t.Errorf("delays %v, and %v after GET %s; want the same", plain, after, mockserver.ModelPath)
	}
}
