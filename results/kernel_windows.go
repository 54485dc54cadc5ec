//go:build windows

package results

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// kernel is Windows' version, major.minor.build ("Windows 10.0.22631"). It
// comes from RtlGetVersion, which, unlike GetVersionEx, tells the truth to
// a program without a compatibility manifest (Go's binaries have none).
func kernel() string {
	v := windows.RtlGetVersion()
	return fmt.Sprintf("Windows %d.%d.%d", v.MajorVersion, v.MinorVersion, v.BuildNumber)
}
