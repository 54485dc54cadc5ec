//go:build !linux

package strategies

import (
	"context"
	"errors"
)

// URing is the io_uring strategy; io_uring exists only on Linux.
// Elsewhere NewURing says so, and the rest of netio still builds and runs.
type URing struct{}

// NewURing reports that the strategy is unavailable on this system.
func NewURing(Config) (*URing, error) {
	return nil, &UnavailableError{Strategy: "uring", Reason: "io_uring is Linux's: available on Linux only"}
}

// Fetch is never reached: NewURing fails.
func (*URing) Fetch(context.Context, Jobs, func(Result)) error {
	return errors.New("strategies: uring is available on Linux only")
}

// Close does nothing.
func (*URing) Close() error { return nil }
