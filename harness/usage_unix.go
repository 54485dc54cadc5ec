//go:build unix

package harness

import (
	"syscall"
	"time"
)

// processUsage reads what the OS counts for the process: CPU, context
// switches and peak memory, from one getrusage(RUSAGE_SELF) call, which
// counts every thread of the process, the exited ones included.
func processUsage() Usage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // cannot fail for RUSAGE_SELF and a valid pointer
	return Usage{
		UserCPU:          time.Duration(ru.Utime.Nano()),
		SysCPU:           time.Duration(ru.Stime.Nano()),
		CtxSwMeasured:    true,
		VoluntaryCtxSw:   ru.Nvcsw,
		InvoluntaryCtxSw: ru.Nivcsw,
		MaxRSSBytes:      ru.Maxrss * 1024, // Linux reports KiB
	}
}
