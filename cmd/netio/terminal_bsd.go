//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package main

import "golang.org/x/sys/unix"

// The termios requests of the BSDs and macOS (Linux names them TCGETS,
// TCSETS).
const (
	getTermios = unix.TIOCGETA
	setTermios = unix.TIOCSETA
)
