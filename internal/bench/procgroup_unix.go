//go:build unix

package bench

import (
	"os"
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own: a Ctrl-C at the
// terminal goes to the terminal's group, and must reach the parent alone,
// which stops its children in order.
func ownGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// terminate asks the child to stop (SIGTERM): it closes its connections
// and exits.
func terminate(p *os.Process) { p.Signal(syscall.SIGTERM) }

// killGroup kills the child's whole group (ownGroup made the child its
// leader): the child, and anything it started.
func killGroup(p *os.Process) { syscall.Kill(-p.Pid, syscall.SIGKILL) }
