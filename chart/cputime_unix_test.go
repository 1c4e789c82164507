//go:build unix

package chart

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used (user + system). The
// benchmark reports it per render because wall time on a shared machine
// mostly measures the neighbours.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
