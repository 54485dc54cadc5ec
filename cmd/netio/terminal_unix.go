//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// keyMode puts the terminal on in into "cbreak" mode for the live view:
// each key is read as it is pressed, without Enter and without an echo,
// while Ctrl-C still sends SIGINT (ISIG stays on) and output is processed
// as before (OPOST stays on, so "\n" still returns the carriage). Raw mode
// (golang.org/x/term's MakeRaw) would turn both off. restore puts the
// terminal back as it was.
func keyMode(in *os.File) (restore func(), err error) {
	fd := int(in.Fd())
	saved, err := unix.IoctlGetTermios(fd, getTermios)
	if err != nil {
		return nil, err
	}
	cbreak := *saved
	cbreak.Lflag &^= unix.ICANON | unix.ECHO
	cbreak.Cc[unix.VMIN], cbreak.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, setTermios, &cbreak); err != nil {
		return nil, err
	}
	return func() { unix.IoctlSetTermios(fd, setTermios, saved) }, nil
}

// ansiOutput readies out for ANSI escapes: Unix terminals take them as
// they are.
func ansiOutput(*os.File) {}
