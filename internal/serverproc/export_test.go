package serverproc

import "time"

// SetTimeouts shortens Start's and Close's waits for a test and returns
// the function that restores them.
func SetTimeouts(start, close time.Duration) (restore func()) {
	oldStart, oldClose := startTimeout, closeTimeout
	startTimeout, closeTimeout = start, close
	return func() { startTimeout, closeTimeout = oldStart, oldClose }
}
