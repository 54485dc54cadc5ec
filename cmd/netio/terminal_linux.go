package main

import "golang.org/x/sys/unix"

// The termios requests of Linux (the BSDs name them TIOCGETA, TIOCSETA).
const (
	getTermios = unix.TCGETS
	setTermios = unix.TCSETS
)
