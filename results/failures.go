package results

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// FailureLine says in one line how a batch's requests failed, however many
// did: how many of how many, by class (the commonest first), and the first
// failure's error, so that thirty timeouts read as one line and not thirty
// (a lesson's error, a bench's note under its table):
//
//	31 of 4000 pages failed (timeout 30, reset 1); first: timeout: … i/o timeout
func FailureLine(failed, of int, noun string, byClass map[string]int, first string) string {
	classes := slices.SortedFunc(maps.Keys(byClass), func(a, b string) int {
		return cmp.Or(byClass[b]-byClass[a], strings.Compare(a, b))
	})
	parts := make([]string, len(classes))
	for i, c := range classes {
		parts[i] = fmt.Sprintf("%s %d", c, byClass[c])
	}
	line := fmt.Sprintf("%d of %d %s failed", failed, of, noun)
	if len(parts) > 0 {
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	if first != "" {
		line += "; first: " + oneLine(first)
	}
	return line
}

// oneLine folds a message that spans lines (an error quoting a server's
// answer, errors joined by errors.Join) into one.
func oneLine(msg string) string {
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "\r\n", "\n")
	return strings.ReplaceAll(msg, "\n", " | ")
}
