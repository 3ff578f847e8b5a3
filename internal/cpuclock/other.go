//go:build !unix

package cpuclock

import "time"

// Now returns 0, false: this platform's CPU time is not read.
func Now() (time.Duration, bool) { return 0, false }
