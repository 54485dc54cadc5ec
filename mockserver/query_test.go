package mockserver

import (
	"math/rand/v2"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestApplyQuery(t *testing.T) {
	d := Delay{Dist: "lognormal", Latency: ms(10), P99: ms(100), Cap: ms(500)}
	b := Body{}
	forced, err := applyQuery("latency=80ms&fault=status:429&chunked=1&split=pieces:3&t=123", &d, &b, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if d != (Delay{Latency: ms(80), Cap: ms(500)}) || b.Encoding != "chunked" || b.Split != "pieces:3" || forced != (fault{FaultStatus, 429}) {
		t.Errorf("got delay %+v body %+v fault %+v", d, b, forced)
	}
	for _, q := range []string{
		"latency=soon", "latency=2m", "fault=explode", "rate=-1", "dist=zipf", "split=x", "chunked=maybe", "body=gzip", "%zz",
		"chunked=1&body=close", "latency=1ms&latency=2ms", "rate=1&chunks=2",
	} {
		d, b := Delay{Latency: ms(7)}, Body{Rate: 9}
		if _, err := applyQuery(q, &d, &b, time.Minute); err == nil {
			t.Errorf("?%s accepted; want an error", q)
		} else if d != (Delay{Latency: ms(7)}) || b != (Body{Rate: 9}) {
			t.Errorf("?%s: refused, but changed the delay to %+v and the body to %+v", q, d, b)
		}
	}
	// The query's pacing against the server's: the error says which is which.
	for _, tt := range []struct {
		q     string
		model Body
		want  string
	}{
		{"rate=2000", Body{Chunks: 4}, "rate=2000 and the server's chunks=4"},
		{"chunks=4", Body{Rate: 2000}, "chunks=4 and the server's rate=2000"},
	} {
		d, b := Delay{}, tt.model
		if _, err := applyQuery(tt.q, &d, &b, time.Minute); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("?%s over %+v: error %v; want one that says %q", tt.q, tt.model, err, tt.want)
		}
	}
}

// TestPageURLRoundTrip: the URL PageURL builds for some Overrides, read by
// the server, asks for what the Overrides say, on top of the server's own
// settings (here a lognormal delay and a chunked body in two writes).
func TestPageURLRoundTrip(t *testing.T) {
	modelDelay := Delay{Dist: "lognormal", Latency: ms(10), P99: ms(100), Cap: ms(500)}
	modelBody := Body{Encoding: "chunked", Chunks: 2, ChunkPause: ms(1)}
	tests := []struct {
		o     Overrides
		query string
		delay Delay
		body  Body
		fault fault
	}{
		{Overrides{}, "", modelDelay, modelBody, fault{}},
		{Overrides{Latency: 5 * time.Millisecond}, "latency=5ms", Delay{Latency: ms(5), Cap: ms(500)}, modelBody, fault{}},
		{Overrides{Latency: 1500 * time.Microsecond}, "latency=1.5ms", Delay{Latency: ms(1.5), Cap: ms(500)}, modelBody, fault{}},
		{Overrides{Latency: -1}, "latency=0s", Delay{Cap: ms(500)}, modelBody, fault{}},
		{Overrides{Latency: 20 * time.Millisecond, Dist: "pareto", P99: time.Second, Cap: 2 * time.Second},
			"latency=20ms&dist=pareto&p99=1s&cap=2s", Delay{Dist: "pareto", Latency: ms(20), P99: ms(1000), Cap: ms(2000)}, modelBody, fault{}},
		// Latency with a jitter sets no distribution of its own: the server's stays.
		{Overrides{Latency: 30 * time.Millisecond, Jitter: 5 * time.Millisecond},
			"latency=30ms&jitter=5ms", Delay{Dist: "lognormal", Latency: ms(30), Jitter: ms(5), P99: ms(100), Cap: ms(500)}, modelBody, fault{}},
		{Overrides{Latency: 30 * time.Millisecond, Dist: "uniform", Jitter: 5 * time.Millisecond},
			"latency=30ms&dist=uniform&jitter=5ms", Delay{Dist: "uniform", Latency: ms(30), Jitter: ms(5), P99: ms(100), Cap: ms(500)}, modelBody, fault{}},
		{Overrides{Latency: 10 * time.Millisecond, Dist: "two-level", Slow: time.Second, SlowShare: 0.01},
			"latency=10ms&dist=two-level&slow=1s&slow-share=0.01", Delay{Dist: "two-level", Latency: ms(10), P99: ms(100), Cap: ms(500), Slow: ms(1000), SlowShare: 0.01}, modelBody, fault{}},
		{Overrides{Dist: "normal", Jitter: -1, Cap: -1},
			"dist=normal&jitter=0s&cap=0s", Delay{Dist: "normal", Latency: ms(10), P99: ms(100)}, modelBody, fault{}},
		{Overrides{Fault: "status:429"}, "fault=status:429", modelDelay, modelBody, fault{FaultStatus, 429}},
		{Overrides{Fault: "reset-mid-body"}, "fault=reset-mid-body", modelDelay, modelBody, fault{FaultResetMidBody, 0}},
		{Overrides{Encoding: "close", Split: "pieces:3:1ms"},
			"body=close&split=pieces:3:1ms", modelDelay, Body{Encoding: "close", Chunks: 2, ChunkPause: ms(1), Split: "pieces:3:1ms"}, fault{}},
		{Overrides{Encoding: "length", Chunks: 4, ChunkPause: 500 * time.Microsecond},
			"body=length&chunks=4&chunk-pause=500%C2%B5s", modelDelay, Body{Encoding: "length", Chunks: 4, ChunkPause: ms(0.5)}, fault{}},
		// The server's two chunks would contradict the rate: Chunks: -1 sends chunks=0.
		{Overrides{Rate: 2000, Chunks: -1, ChunkPause: -1},
			"chunks=0&chunk-pause=0s&rate=2000", modelDelay, Body{Encoding: "chunked", Rate: 2000}, fault{}},
		{Overrides{
			Latency: time.Millisecond, Dist: "normal", Jitter: time.Millisecond, P99: 2 * time.Millisecond, Cap: time.Second,
			Fault: "no-temperature", Encoding: "chunked", Chunks: 3, ChunkPause: time.Millisecond, Rate: -1, Split: "header-body:5ms",
		},
			"latency=1ms&dist=normal&jitter=1ms&p99=2ms&cap=1s&fault=no-temperature&body=chunked&chunks=3&chunk-pause=1ms&rate=0&split=header-body:5ms",
			Delay{Dist: "normal", Latency: ms(1), Jitter: ms(1), P99: ms(2), Cap: ms(1000)},
			Body{Encoding: "chunked", Chunks: 3, ChunkPause: ms(1), Split: "header-body:5ms"}, fault{FaultNoTemperature, 0}},
	}
	for _, tt := range tests {
		got := PageURL("http://127.0.0.1:8080/", "knyc", tt.o)
		want := "http://127.0.0.1:8080/weather/current/KNYC.html"
		if tt.query != "" {
			want += "?" + tt.query
		}
		if got != want {
			t.Errorf("PageURL(%+v) = %s; want %s", tt.o, got, want)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("PageURL(%+v) = %s: %v", tt.o, got, err)
		}
		d, b := modelDelay, modelBody
		forced, err := applyQuery(u.RawQuery, &d, &b, time.Minute)
		if err != nil || d != tt.delay || b != tt.body || forced != tt.fault {
			t.Errorf("%+v: the server read delay %+v, body %+v, fault %+v, error %v; want %+v, %+v, %+v",
				tt.o, d, b, forced, err, tt.delay, tt.body, tt.fault)
		}
	}
}

// TestQueryNames: the server reads every name of queryOrder, and PageURL
// writes every field of Overrides, each under a name of queryOrder.
func TestQueryNames(t *testing.T) {
	sample := map[string]string{
		paramLatency: "1ms", paramTTFB: "1ms", paramDist: "normal", paramJitter: "1ms", paramP99: "1ms", paramCap: "1ms",
		paramFault: "reset", paramChunked: "1", paramBody: "close", paramChunks: "2", paramChunkPause: "1ms", paramRate: "1",
		paramSplit: "pieces:2", paramSlow: "1s", paramSlowShare: "0.01",
	}
	for _, name := range queryOrder {
		var s setting
		if err := s.read(name, sample[name]); err != nil || s == (setting{}) {
			t.Errorf("%s=%s: read %+v, %v; want a change", name, sample[name], s, err)
		}
	}
	v := reflect.ValueOf(&Overrides{}).Elem()
	for i := range v.NumField() {
		var o Overrides
		f := reflect.ValueOf(&o).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Float64:
			f.SetFloat(0.5)
		default:
			f.SetInt(1)
		}
		name, _, _ := strings.Cut(o.query(), "=")
		if !slices.Contains(queryOrder[:], name) {
			t.Errorf("Overrides.%s: query %q; want one parameter of queryOrder", v.Type().Field(i).Name, o.query())
		}
	}
}

// FuzzApplyQuery: no query string makes the server panic or exceed its
// delay cap, and the order of its parameters changes nothing: the same
// parameters in reverse are refused, or read as the same request.
func FuzzApplyQuery(f *testing.F) {
	f.Add("latency=80ms&fault=reset")
	f.Add("dist=pareto&latency=20ms&p99=900ms&cap=1s&split=pieces:3:1ms&chunked=0")
	f.Add("rate=1&chunks=0&chunk-pause=1h&body=close&fault=status:429")
	f.Add("split=pieces:50:1s")
	f.Add("chunked=1&body=close")
	f.Add("chunked&body=chunked&body=chunked&ttfb=1ms&latency=1000us")
	f.Add("split=pieces:3&split=pieces:3:20ms&body=&chunked=0")
	f.Add("dist=two-level&latency=10ms&jitter=5ms&slow=1s&slow-share=0.01")
	f.Fuzz(func(t *testing.T, q string) {
		d, b := Delay{}, Body{}
		forced, err := applyQuery(q, &d, &b, time.Second)
		pairs := strings.Split(q, "&")
		slices.Reverse(pairs)
		rd, rb := Delay{}, Body{}
		rforced, rerr := applyQuery(strings.Join(pairs, "&"), &rd, &rb, time.Second)
		if (err == nil) != (rerr == nil) || (setting{d, b, forced}).canonical() != (setting{rd, rb, rforced}).canonical() {
			t.Fatalf("?%s gives %+v %+v %+v (error %v), but in reverse %+v %+v %+v (error %v)", q, d, b, forced, err, rd, rb, rforced, rerr)
		}
		if err != nil {
			return
		}
		if got := d.draw(rand.New(rand.NewPCG(1, 2)), time.Second); got < 0 || got > time.Second {
			t.Fatalf("?%s drew %v; want within [0, 1s]", q, got)
		}
		resp := response{status: 200, body: []byte("Temperature: 1 F"), keepAlive: true}
		p := resp.plan(b, time.Second)
		var total time.Duration
		for _, s := range p.segs {
			total += s.pause
		}
		if total > 3*time.Second {
			t.Fatalf("?%s plans %v of pauses; want them bounded by the delay cap", q, total)
		}
	})
}

// TestQueryCacheAgreesWithApplyQuery: a remembered query gives what
// applyQuery gives, for each delay and body it is applied to, errors
// included, the first time and every time after.
func TestQueryCacheAgreesWithApplyQuery(t *testing.T) {
	var c queryCache
	bases := []struct {
		d Delay
		b Body
	}{
		{},
		{Delay{Dist: "lognormal", Latency: Duration(20 * time.Millisecond), P99: Duration(200 * time.Millisecond)}, Body{Encoding: "chunked"}},
		{Delay{}, Body{Chunks: 4}},
	}
	queries := []string{"", "latency=5ms", "dist=uniform&jitter=1ms", "chunked=1&body=close", "rate=100", "fault=reset&split=pieces:3", "latency=banana"}
	for round := range 3 {
		for _, base := range bases {
			for _, q := range queries {
				wd, wb := base.d, base.b
				wf, werr := applyQuery(q, &wd, &wb, time.Second)
				gd, gb := base.d, base.b
				gf, gerr := c.apply(q, &gd, &gb, time.Second)
				if gd != wd || gb != wb || gf != wf || (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
					t.Errorf("round %d, base %+v, ?%s: cached %+v %+v %+v %v; applyQuery %+v %+v %+v %v", round, base, q, gd, gb, gf, gerr, wd, wb, wf, werr)
				}
			}
		}
	}
}
