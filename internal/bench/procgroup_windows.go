//go:build windows

package bench

import (
	"os"
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a console process group of its own, which
// Windows starts with Ctrl-C ignored: a Ctrl-C at the console must reach
// the parent alone, which stops its children in order.
func ownGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= syscall.CREATE_NEW_PROCESS_GROUP
}

// terminate stops the child at once: Windows has no SIGTERM to ask it
// politely (os.Process.Signal sends only Kill there), and the OS closes
// its connections when it ends.
func terminate(p *os.Process) { p.Kill() }

// killGroup kills the child. Windows kills no process group: what the
// child started is not reached (netio's children start nothing).
func killGroup(p *os.Process) { p.Kill() }
