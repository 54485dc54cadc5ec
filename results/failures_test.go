package results

import (
	"strings"
	"testing"
)

// TestFailureLine: thirty failures read as one line, the commonest class
// first, with the first error folded onto it.
func TestFailureLine(t *testing.T) {
	got := FailureLine(31, 4000, "pages", map[string]int{"reset": 1, "timeout": 30}, "timeout: Get \"http://x\":\ni/o timeout")
	want := `31 of 4000 pages failed (timeout 30, reset 1); first: timeout: Get "http://x": | i/o timeout`
	if got != want {
		t.Errorf("got %q; want %q", got, want)
	}
	if got := FailureLine(2, 10, "requests", map[string]int{"eof": 1, "reset": 1}, ""); got != "2 of 10 requests failed (eof 1, reset 1)" {
		t.Errorf("ties by name, no first error: got %q", got)
	}
	if strings.Contains(FailureLine(1, 1, "pages", nil, "a\r\nb"), "\n") {
		t.Error("a line break survived")
	}
}
