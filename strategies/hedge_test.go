package strategies_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netio-lab/netio/strategies"
)

// firstSlowServer answers the first request for each path only after 5 s
// (or when the client gives up), and every later one at once: a hedge
// must win every race.
func firstSlowServer(t *testing.T) (url string, requests func(path string) int) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path]++
		n := seen[r.URL.Path]
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/missing") {
			http.NotFound(w, r)
			return
		}
		if n == 1 {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprint(w, "<p>46 F</p>")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func(path string) int { mu.Lock(); defer mu.Unlock(); return seen[path] }
}

// TestHedgedRequestWins: with HedgeAfter, a request still out after it is
// sent again, the copy's answer is taken, the slow first copy is canceled
// (the leak check after the tests would find it), and the result starts
// when the first copy went out.
func TestHedgedRequestWins(t *testing.T) {
	const after = 50 * time.Millisecond
	for _, info := range strategies.All() {
		if !info.Hedges {
			continue
		}
		t.Run(info.Name, func(t *testing.T) {
			base, requests := firstSlowServer(t)
			jobs := make([]strategies.Job, 4)
			for i := range jobs {
				jobs[i] = strategies.Job{Name: "London", URL: fmt.Sprintf("%s/%s/%d", base, info.Name, i)}
			}
			begin := time.Now()
			results, err := fetch(t, info, strategies.Config{Concurrency: 4, Timeout: 10 * time.Second, HedgeAfter: after}, context.Background(), jobs)
			if err != nil {
				t.Fatal(err)
			}
			if wall := time.Since(begin); wall > 3*time.Second {
				t.Errorf("took %v; want the hedges' answers, well before the first copies' 5 s", wall)
			}
			for i, r := range results {
				if !r.OK() || !r.Hedged || r.Latency() < after || requests(fmt.Sprintf("/%s/%d", info.Name, i)) != 2 {
					t.Errorf("job %d: class %s, hedged %v, latency %v, %d requests; want ok, hedged, ≥ %v, 2 requests",
						i, r.Class, r.Hedged, r.Latency(), requests(fmt.Sprintf("/%s/%d", info.Name, i)), after)
				}
			}
		})
	}
}

// TestNoHedgeWhenAnsweredInTime: a request answered, or failed, before
// HedgeAfter is sent once.
func TestNoHedgeWhenAnsweredInTime(t *testing.T) {
	base, requests := firstSlowServer(t)
	info, _ := strategies.Lookup("pool")
	jobs := []strategies.Job{{Name: "missing", URL: base + "/missing"}}
	results, err := fetch(t, info, strategies.Config{HedgeAfter: time.Second}, context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Class != strategies.ClassHTTPStatus || r.Hedged || requests("/missing") != 1 {
		t.Errorf("a 404: class %s, hedged %v, %d requests; want http-status, not hedged, 1 request", r.Class, r.Hedged, requests("/missing"))
	}
}

// TestHedgingRefusedWhereNotHonoured: a strategy without Info.Hedges
// refuses HedgeAfter, naming every strategy that hedges.
func TestHedgingRefusedWhereNotHonoured(t *testing.T) {
	var hedging []string
	for _, info := range strategies.All() {
		if info.Hedges {
			hedging = append(hedging, info.Name)
		}
	}
	for _, info := range strategies.All() {
		if info.Hedges {
			continue
		}
		f, err := info.New(strategies.Config{HedgeAfter: time.Millisecond})
		if err == nil {
			f.Close()
			t.Errorf("%s: New with HedgeAfter succeeded; want it refused", info.Name)
			continue
		}
		if !strings.Contains(err.Error(), strings.Join(hedging, ", ")) {
			t.Errorf("%s: %v; want the hedging strategies named (%s)", info.Name, err, strings.Join(hedging, ", "))
		}
	}
}
