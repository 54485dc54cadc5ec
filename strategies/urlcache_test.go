package strategies

import (
	"context"
	"testing"
)

// TestTargetsFailOncePerBatch: a URL whose target cannot be made (here a
// bad scheme; an unknown host goes the same way) is made once in a batch,
// not once per job, and tried again in the next batch; a target made
// while the batch's context was ending is not kept at all.
func TestTargetsFailOncePerBatch(t *testing.T) {
	var cache urlCache[*target]
	made := 0
	counting := func(ctx context.Context) func(string) (*target, bool) {
		mk := makeTarget(ctx)
		return func(u string) (*target, bool) { made++; return mk(u) }
	}
	batch := JobList{{URL: "ftp://example.invalid/"}, {URL: "ftp://example.invalid/"}, {URL: "ftp://example.invalid/"}}
	for range 2 { // two batches
		prepareTargets(context.Background(), &cache, JobList{}) // forgets the last batch's failures
		mk := counting(context.Background())
		for i := range batch.Len() {
			if tg := cache.get(batch.Job(i).URL, mk); tg.err == nil {
				t.Fatal("a target for an ftp:// URL; want its error")
			}
		}
	}
	if made != 2 {
		t.Errorf("the failing target was made %d times over two batches of three jobs; want 2", made)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	prepareTargets(ctx, &cache, JobList{})
	made = 0
	mk := counting(ctx)
	cache.get("ftp://example.invalid/", mk)
	cache.get("ftp://example.invalid/", mk)
	if made != 2 {
		t.Errorf("with the context ended, the target was made %d times for two jobs; want 2 (not kept)", made)
	}
}
