package mockserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
)

// do sends one admin request and returns status and body.
func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAdminAPI(t *testing.T) {
	srv := start(t, mockserver.Config{AdminAddr: "127.0.0.1:0", Model: mockserver.Model{Faults: map[string]float64{"status:500": 0}}})
	admin := srv.AdminURL()
	if admin == "" {
		t.Fatal("no admin URL")
	}

	status, body := do(t, "PUT", admin+"/config", `{"delay": {"latency": "60ms"}, "faults": {"no-temperature": 1}}`)
	if status != 200 || !strings.Contains(body, `"60ms"`) {
		t.Fatalf("PUT /config: %d %s", status, body)
	}
	_, hdr, page := get(t, srv.PageURL("KNYC"))
	if hdr.Get("Server-Timing") != "delay;dur=60.000" || strings.Contains(page, "Temperature:") {
		t.Errorf("after PUT: Server-Timing %q, page with temperature %v; want the new model", hdr.Get("Server-Timing"), strings.Contains(page, "Temperature:"))
	}

	for _, bad := range []struct{ body, names string }{
		{`{"delay": {"latncy": "5ms"}}`, "latncy"},
		{`{"delay": {"dist": "zipf"}}`, "delay.dist"},
		{`{"faults": {"reset": 3}}`, "faults.reset"},
		{`{"delay": {"latency": "soon"}}`, "soon"},
	} {
		status, body := do(t, "PUT", admin+"/config", bad.body)
		if status != 400 || !strings.Contains(body, bad.names) {
			t.Errorf("PUT %s: %d %q; want 400 naming %s", bad.body, status, body, bad.names)
		}
	}
	if status, body := do(t, "GET", admin+"/config", ""); status != 200 || !strings.Contains(body, `"60ms"`) {
		t.Errorf("a bad PUT changed the model: %s", body)
	}

	settle(srv)
	status, body = do(t, "GET", admin+"/stats", "")
	var st mockserver.Stats
	if err := json.Unmarshal([]byte(body), &st); err != nil || status != 200 {
		t.Fatalf("GET /stats: %d %v", status, err)
	}
	if st.Requests < 1 || st.Faults["no-temperature"] != 1 || st.ConnsAccepted < 1 || st.BytesSent == 0 || st.DelayMS.P50 < 59 || st.DelayMS.Max > 70 {
		t.Errorf("stats %+v; want the request, its fault, its bytes and a 60 ms delay", st)
	}
}

func TestAdminRefusesNonLoopback(t *testing.T) {
	if srv, err := mockserver.Start(mockserver.Config{AdminAddr: "0.0.0.0:0"}); err == nil {
		srv.Close()
		t.Fatal("admin API started on 0.0.0.0 without AdminAllowRemote")
	}
}

func TestStatsCountInFlight(t *testing.T) {
	srv := start(t, mockserver.Config{Model: mockserver.Model{Delay: fixed(300 * time.Millisecond)}})
	done := make(chan struct{})
	for range 3 {
		go func() {
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			if resp, err := (&http.Client{Transport: tr}).Get(srv.PageURL("KNYC")); err == nil {
				resp.Body.Close()
			}
			done <- struct{}{}
		}()
	}
	time.Sleep(150 * time.Millisecond)
	now := srv.Stats()
	for range 3 {
		<-done
	}
	after := settle(srv)
	if now.InFlight != 3 || after.InFlight != 0 || after.PeakInFlight != 3 || after.Requests != 3 {
		t.Errorf("in flight %d then %d, peak %d, requests %d; want 3, 0, 3, 3", now.InFlight, after.InFlight, after.PeakInFlight, after.Requests)
	}
}

func TestLoadProfile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(text), 0o644)
		return path
	}
	yamlPath := write("slow-tokyo.yaml", `
seed: 7
max_hang: 5s
delay: {dist: lognormal, latency: 40ms, p99: 250ms}
body: {encoding: chunked, split: "header-body:10ms"}
faults: {reset: 0.01, "status:503": 0.02}
queue_servers: 8
stations:
  RJTT: {delay: {latency: 300ms}}
`)
	jsonPath := write("same.json", `{"seed": 7, "max_hang": "5s", "delay": {"dist": "lognormal", "latency": "40ms", "p99": "250ms"},
		"body": {"encoding": "chunked", "split": "header-body:10ms"}, "faults": {"reset": 0.01, "status:503": 0.02},
		"queue_servers": 8, "stations": {"RJTT": {"delay": {"latency": "300ms"}}}}`)
	y, err := mockserver.LoadProfile(yamlPath)
	if err != nil {
		t.Fatal(err)
	}
	j, err := mockserver.LoadProfile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	yj, _ := json.Marshal(y)
	jj, _ := json.Marshal(j)
	if string(yj) != string(jj) {
		t.Errorf("YAML and JSON of one profile differ:\n%s\n%s", yj, jj)
	}
	if *y.Seed != 7 || y.MaxHang.D() != 5*time.Second || y.Delay.P99.D() != 250*time.Millisecond ||
		y.Stations["RJTT"].Delay.Latency.D() != 300*time.Millisecond || y.QueueServers != 8 {
		t.Errorf("profile read as %s", yj)
	}

	for _, bad := range []struct{ name, text, names string }{
		{"typo.yaml", "delay: {latncy: 5ms}", "latncy"},
		{"dist.json", `{"delay": {"dist": "zipf"}}`, "delay.dist"},
		{"station.yaml", "stations: {QQQQ: {}}", "QQQQ"},
		{"fault.yaml", "faults: {explode: 0.1}", "explode"},
		{"syntax.json", `{"delay": `, "syntax.json"},
		{"profile.toml", "seed = 1", ".toml"},
	} {
		_, err := mockserver.LoadProfile(write(bad.name, bad.text))
		if err == nil || !strings.Contains(err.Error(), bad.names) {
			t.Errorf("%s: %v; want an error naming %s", bad.name, err, bad.names)
		}
	}
}

// settle waits (up to a second) until the server has no request in flight,
// and returns its stats. A client may read its response a moment before the
// server's handler has returned and counted it.
func settle(srv *mockserver.Server) mockserver.Stats {
	st := srv.Stats()
	for deadline := time.Now().Add(time.Second); st.InFlight != 0 && time.Now().Before(deadline); st = srv.Stats() {
		time.Sleep(5 * time.Millisecond)
	}
	return st
}
