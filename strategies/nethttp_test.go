package strategies

import (
	"context"
	"testing"
	"time"
)

// TestPacerReusesItsTimer: pacing an open workload allocates nothing per
// job once the batch's one timer exists.
func TestPacerReusesItsTimer(t *testing.T) {
	var p pacer
	defer p.stop()
	ctx := context.Background()
	p.wait(ctx, time.Now().Add(time.Microsecond)) // makes the timer
	allocs := testing.AllocsPerRun(50, func() {
		if err := p.wait(ctx, time.Now().Add(20*time.Microsecond)); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per paced job; want 0", allocs)
	}
}
