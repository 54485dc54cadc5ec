//go:build !linux

package strategies

import (
	"context"
	"errors"
)

// Epoll is the raw epoll reactor; it exists only on Linux. Elsewhere
// NewEpoll says so, and the rest of netio still builds and runs.
type Epoll struct{}

// NewEpoll reports that the strategy is unavailable on this system.
func NewEpoll(Config) (*Epoll, error) {
	return nil, &UnavailableError{Strategy: "epoll", Reason: "available on Linux only"}
}

// Fetch is never reached: NewEpoll fails.
func (*Epoll) Fetch(context.Context, Jobs, func(Result)) error {
	return errors.New("strategies: epoll is available on Linux only")
}

// Close does nothing.
func (*Epoll) Close() error { return nil }
