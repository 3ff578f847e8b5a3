package clock_test

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/terminald/terminald/clock"
)

// At start the daemon restores the time of its last run, so receipts
// printed before NTP syncs are never dated earlier than that; at shutdown
// it saves the time again.
func Example() {
	state := "/var/lib/terminald"
	fakeBoot := time.Unix(0, 0) // a Pi without RTC boots at 1970
	c := &clock.Clock{
		NowFunc:    func() time.Time { return fakeBoot },
		SyncedFunc: func() (bool, error) { return false, nil },
	}
	_ = c.Restore(filepath.Join(state, "clock")) // missing on first boot
	if ok, _ := c.Synced(); !ok {
		fmt.Println("clock not synchronised: expiry checks wait")
	}
	// ... run; at shutdown: c.Save(filepath.Join(state, "clock"))
	// Output: clock not synchronised: expiry checks wait
}
