//go:build !linux

package mockserver

import "errors"

// epollAvailable reports whether EngineEpoll can run here: it needs Linux.
const epollAvailable = false

// reactor is EngineEpoll's event loop, which this system cannot run;
// Config.validate refuses EngineEpoll before newReactor is called.
type reactor struct{ err error }

func newReactor(*Server) (*reactor, error) {
	return nil, errors.New("mockserver: engine epoll needs Linux")
}

func (*reactor) run()  {}
func (*reactor) stop() {}
