//go:build unix

package benchutil

import (
	"os"
	"syscall"
)

// ctxSwitches is the context switches, voluntary and involuntary, of a
// finished child, from its rusage.
func ctxSwitches(st *os.ProcessState) (n int64, measured bool) {
	ru, ok := st.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	return ru.Nvcsw + ru.Nivcsw, true
}
