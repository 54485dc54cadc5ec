package strategies_test

import (
	"os"
	"testing"

	"github.com/netio-lab/netio/internal/serverproc"
)

// TestMain lets BenchmarkFetch run its mock servers in copies of this test
// binary: in such a copy, MaybeServe serves and exits instead of returning.
// There is no goleak check here: the conformance cases check for leaks
// case by case.
func TestMain(m *testing.M) {
	serverproc.MaybeServe()
	os.Exit(m.Run())
}
