//go:build unix

package results

import "golang.org/x/sys/unix"

// kernel is the kernel's name and release, as uname -sr prints them
// ("Linux 6.18.0", "Darwin 24.1.0").
func kernel() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:])
}
