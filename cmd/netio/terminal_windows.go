package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// keyMode has the console on in deliver each key as it is pressed,
// without Enter and without an echo, while Ctrl-C still interrupts
// (ENABLE_PROCESSED_INPUT stays on). restore puts the console back.
func keyMode(in *os.File) (restore func(), err error) {
	h := windows.Handle(in.Fd())
	var saved uint32
	if err := windows.GetConsoleMode(h, &saved); err != nil {
		return nil, err
	}
	if err := windows.SetConsoleMode(h, saved&^(windows.ENABLE_LINE_INPUT|windows.ENABLE_ECHO_INPUT)); err != nil {
		return nil, err
	}
	return func() { windows.SetConsoleMode(h, saved) }, nil
}

// ansiOutput turns on the console's handling of ANSI escapes (Windows 10
// and later), which the live view moves the cursor with; a console that
// cannot is left as it is.
func ansiOutput(out *os.File) {
	h := windows.Handle(out.Fd())
	var mode uint32
	if windows.GetConsoleMode(h, &mode) == nil {
		windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING)
	}
}
