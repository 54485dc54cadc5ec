//go:build windows

package harness

import (
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// processUsage reads what Windows counts for the process: CPU from
// GetProcessTimes, peak memory from the process's memory counters. Windows
// keeps no count of a process's context switches (only per live thread,
// through NtQuerySystemInformation), so they are not measured: Usage says
// so rather than report a zero. The calls on the current process's
// pseudo-handle do not fail in practice; if one did, its figures stay 0,
// as a failed getrusage leaves them on Unix.
func processUsage() Usage {
	var u Usage
	var creation, exit, kernel, user windows.Filetime
	if windows.GetProcessTimes(windows.CurrentProcess(), &creation, &exit, &kernel, &user) == nil {
		// Windows charges CPU time by clock ticks (commonly 15.6 ms): read
		// CPU per request from long passes.
		u.UserCPU, u.SysCPU = filetimeDuration(user), filetimeDuration(kernel)
	}
	u.MaxRSSBytes = peakWorkingSet()
	return u
}

// filetimeDuration reads a FILETIME that holds a duration, in 100 ns
// units. (Filetime.Nanoseconds is for dates: it subtracts the 1601 epoch.)
func filetimeDuration(ft windows.Filetime) time.Duration {
	return time.Duration(uint64(ft.HighDateTime)<<32|uint64(ft.LowDateTime)) * 100
}

// processMemoryCounters is PSAPI's PROCESS_MEMORY_COUNTERS.
type processMemoryCounters struct {
	cb                         uint32
	PageFaultCount             uint32
	PeakWorkingSetSize         uintptr
	WorkingSetSize             uintptr
	QuotaPeakPagedPoolUsage    uintptr
	QuotaPagedPoolUsage        uintptr
	QuotaPeakNonPagedPoolUsage uintptr
	QuotaNonPagedPoolUsage     uintptr
	PagefileUsage              uintptr
	PeakPagefileUsage          uintptr
}

// getProcessMemoryInfo is PSAPI's GetProcessMemoryInfo: x/sys/windows
// (v0.50.0) wraps other PSAPI calls but not this one. psapi.dll is loaded
// from the system folder only, on the first call.
var getProcessMemoryInfo = windows.NewLazySystemDLL("psapi.dll").NewProc("GetProcessMemoryInfo")

// peakWorkingSet is the process's peak working set in bytes: the most
// physical memory it has held, Windows' equivalent of getrusage's maxrss.
// 0 if the call fails.
func peakWorkingSet() int64 {
	if getProcessMemoryInfo.Find() != nil { // Call would panic
		return 0
	}
	c := processMemoryCounters{cb: uint32(unsafe.Sizeof(processMemoryCounters{}))}
	ok, _, _ := getProcessMemoryInfo.Call(uintptr(windows.CurrentProcess()), uintptr(unsafe.Pointer(&c)), uintptr(c.cb))
	if ok == 0 {
		return 0
	}
	return int64(c.PeakWorkingSetSize)
}
