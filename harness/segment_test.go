package harness_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/netio-lab/netio/harness"
	"github.com/netio-lab/netio/strategies"
)

// TestSegmentsPartitionTheWhole: the shares of a workload, closed or open,
// together hold every job of the whole exactly once, each with the whole's
// page and, open, its arrival time; open shares' counts differ by one at
// most.
func TestSegmentsPartitionTheWhole(t *testing.T) {
	pages := []strategies.Job{{Name: "a", URL: "http://x/a"}, {Name: "b", URL: "http://x/b"}, {Name: "c", URL: "http://x/c"}}
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	open := harness.Open{Rate: 700, Duration: time.Second}
	for _, of := range []int{1, 2, 3, 7} {
		for name, whole := range map[string]strategies.Jobs{
			"closed": harness.Cycle{Pages: pages, N: 100},
			"open":   open.Jobs(start, pages),
		} {
			t.Run(fmt.Sprintf("%s/of=%d", name, of), func(t *testing.T) {
				seen := map[string]int{}
				for i := range whole.Len() {
					j := whole.Job(i)
					seen[fmt.Sprint(j.URL, j.At.UnixNano())]++
				}
				sizes := []int{}
				for index := range of {
					seg := harness.Segment{Index: index, Of: of}
					var share strategies.Jobs = harness.Cycle{Pages: pages, N: 100, Segment: seg, Concurrency: 30}
					if name == "open" {
						o := open
						o.Segment = seg
						share = o.Jobs(start, pages)
					}
					sizes = append(sizes, share.Len())
					for k := range share.Len() {
						j := share.Job(k)
						seen[fmt.Sprint(j.URL, j.At.UnixNano())]--
					}
				}
				for key, n := range seen {
					if n != 0 {
						t.Fatalf("job %s: in the whole minus in the shares = %d; want 0", key, n)
					}
				}
				for _, n := range sizes { // open: within one; closed shares are balanced by rounds instead (below)
					if name == "closed" {
						break
					}
					if n < sizes[len(sizes)-1] || n > sizes[0] || sizes[0]-n > 1 {
						t.Errorf("share sizes %v; want them within one of each other, the first the largest", sizes)
					}
				}
			})
		}
	}
}

func TestSegmentValidate(t *testing.T) {
	for _, s := range []harness.Segment{{0, 1}, {0, 3}, {2, 3}} {
		if err := s.Validate(); err != nil {
			t.Errorf("%v: %v; want valid", s, err)
		}
	}
	for _, s := range []harness.Segment{{3, 2}, {0, 0}, {-1, 2}, {2, 2}} {
		if err := s.Validate(); err == nil {
			t.Errorf("%v valid; want an error", s)
		}
	}
}

// TestClosedSharesNeedNoMoreRoundsThanTheWhole: a closed share's requests
// and concurrency, dealt by slots, never take more rounds (⌈N/C⌉) than the
// whole's, and the shares' requests and concurrencies add up to the
// whole's, for every split of every small workload.
func TestClosedSharesNeedNoMoreRoundsThanTheWhole(t *testing.T) {
	for n := 1; n <= 60; n++ {
		for c := 1; c <= 20; c++ {
			for of := 1; of <= min(n, c); of++ {
				sumN, sumC := 0, 0
				for i := range of {
					s := harness.Segment{Index: i, Of: of}
					ni, ci := s.ClosedLen(n, c), s.Len(c)
					sumN, sumC = sumN+ni, sumC+ci
					if ci < 1 || ni < 1 || (ni+ci-1)/ci > (n+c-1)/c {
						t.Fatalf("n=%d c=%d share %d/%d: %d requests on %d connections, %d rounds; the whole needs %d",
							n, c, i, of, ni, ci, (ni+ci-1)/max(ci, 1), (n+c-1)/c)
					}
					seen := map[int]bool{}
					for k := range ni {
						g := s.ClosedGlobal(k, c)
						if g >= n || seen[g] || g%c%of != i {
							t.Fatalf("n=%d c=%d share %d/%d: job %d is the whole's %d; want a new one below %d in the share's slots", n, c, i, of, k, g, n)
						}
						seen[g] = true
					}
				}
				if sumN != n || sumC != c {
					t.Fatalf("n=%d c=%d in %d: shares add up to %d requests, %d connections", n, c, of, sumN, sumC)
				}
			}
		}
	}
}
