package tail_test

import (
	"fmt"
	"testing"

	"github.com/netio-lab/netio/internal/tail"
)

func TestBufferKeepsTheEnd(t *testing.T) {
	tests := []struct {
		max    int
		writes []string
		want   string
	}{
		{10, []string{"short"}, "short"},
		{10, []string{"0123456789", "abc"}, "3456789abc"},
		{4, []string{"panic: boom\n", "goroutine 1\n"}, "e 1"}, // trimmed of its newline
		{8, nil, ""},
	}
	for _, tt := range tests {
		b := tail.Buffer{Max: tt.max}
		for _, w := range tt.writes {
			if n, err := fmt.Fprint(&b, w); n != len(w) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", w, n, err)
			}
		}
		if got := b.String(); got != tt.want {
			t.Errorf("max %d, writes %q: kept %q; want %q", tt.max, tt.writes, got, tt.want)
		}
	}
}
