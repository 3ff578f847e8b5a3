//go:build unix

// Package cpuclock reads the CPU time the process has used, for benchmarks
// that must report work done rather than wall time on a machine shared with
// other load (a benchmark's ns/op grows with the load; its CPU time barely does).
package cpuclock

import (
	"syscall"
	"time"
)

// Now returns the user plus system CPU time the whole process (all threads,
// the garbage collector included) has used so far, and true; false where the
// platform cannot tell.
func Now() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
