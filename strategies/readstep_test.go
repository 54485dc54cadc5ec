package strategies_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// TestOnReadShowsEachRead: the strategies that parse for themselves call
// Config.OnRead for every read, in order, with the parser's part after
// it. A page split mid-header takes at least two reads, the first of
// which leaves the parser in the header, and the last ends the response;
// the strategies that read inside an HTTP client never call it.
func TestOnReadShowsEachRead(t *testing.T) {
	srv := startServer(t, mockserver.Config{Seed: 3})
	url := mockserver.PageURL(srv.URL(), "EGLC", mockserver.Overrides{Split: "mid-header:40ms"})
	for _, info := range strategies.All() {
		t.Run(info.Name, func(t *testing.T) {
			skipIfUnavailable(t, info)
			var mu sync.Mutex
			var steps []strategies.ReadStep
			cfg := strategies.Config{Concurrency: 1, Timeout: 5 * time.Second, OnRead: func(s strategies.ReadStep) {
				mu.Lock()
				defer mu.Unlock()
				steps = append(steps, s)
			}}
			results, err := fetch(t, info, cfg, context.Background(), []strategies.Job{{Name: "London", URL: url}})
			if err != nil || !results[0].OK() {
				t.Fatalf("Fetch: %v, %+v", err, results[0])
			}
			mu.Lock()
			defer mu.Unlock()
			if !info.SeesReads {
				if len(steps) != 0 {
					t.Errorf("%d read steps from a strategy that reads inside its HTTP client; want none", len(steps))
				}
				return
			}
			if len(steps) < 2 || steps[0].Part != "header" || steps[len(steps)-1].Part != "complete" {
				t.Fatalf("read steps %+v; want ≥ 2, the first ending in the header, the last complete", steps)
			}
			total := 0
			for _, s := range steps {
				total += s.Bytes
				if s.Index != 0 || s.Lane != results[0].Lane || s.At.Before(results[0].Start) || s.At.After(results[0].End) {
					t.Errorf("step %+v: want job 0 on lane %d within the request", s, results[0].Lane)
				}
			}
			if last := steps[len(steps)-1]; last.BodyBytes != results[0].Bytes || int64(total) <= results[0].Bytes {
				t.Errorf("steps read %d bytes, %d of body; the result has %d body bytes (want equal, and the reads more: the head)", total, last.BodyBytes, results[0].Bytes)
			}
		})
	}
}
