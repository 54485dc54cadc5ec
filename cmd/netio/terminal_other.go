//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package main

import (
	"errors"
	"os"
)

// keyMode is not available here: the live view then takes no keys, and
// Ctrl-C alone stops a lesson.
func keyMode(*os.File) (restore func(), err error) {
	return nil, errors.New("no key input on this system")
}

func ansiOutput(*os.File) {}
