// Package clock tells terminald the time and whether that time can be
// trusted.
//
// Boards such as the Raspberry Pi have no battery-backed RTC: they boot
// near 1970 (or at the time systemd last saved) and jump to the real
// time once NTP synchronises. Receipts, token expiry and payment
// timestamps must not use a time from before the last run, and code that
// needs a trustworthy time (signing requests, expiry checks) must ask
// Synced first.
//
// Like gokrazy, terminald saves the last known time in its state
// directory at shutdown (Save) and reads it back at start (Restore).
// gokrazy then sets the system clock forward; terminald runs without
// CAP_SYS_TIME, so instead Clock.Now adds the difference to the system
// time until the kernel reports the clock synchronised. The result is a
// time that never goes backwards across restarts before sync, while the
// system clock itself is left to systemd-timesyncd or chrony (which, on
// systemd systems, also never set the clock earlier than the time they
// saved in /var/lib/systemd/timesync/clock).
package clock

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// maxError is the kernel's estimated maximum error above which the clock
// is not trusted (the kernel itself gives up at 16 s and sets STA_UNSYNC).
const maxError = 16 * time.Second

// timesyncFlag is touched by systemd-timesyncd once it synchronised the
// clock; it is the fallback when adjtimex is filtered by seccomp.
const timesyncFlag = "/run/systemd/timesync/synchronized"

// Synced reports whether the kernel considers the system clock
// synchronised to a time source: adjtimex(2) in read-only mode reports
// STA_UNSYNC clear, the state is not TIME_ERROR, and the maximum error is
// below 16 s. Where a seccomp filter denies adjtimex (systemd's
// ProtectClock=, or @clock missing from SystemCallFilter=), Synced falls
// back to systemd-timesyncd's flag file and returns the adjtimex error
// only if that is absent too.
func Synced() (bool, error) {
	var tx unix.Timex // Modes == 0: read only, needs no privilege
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		if _, serr := os.Stat(timesyncFlag); serr == nil {
			return true, nil
		}
		return false, fmt.Errorf("clock: adjtimex: %w", err)
	}
	return timexSynced(state, tx.Status, int64(tx.Maxerror)), nil // int32 on 32-bit arm
}

// timexSynced interprets adjtimex(2)'s result; maxerror is in µs.
func timexSynced(state int, status int32, maxerror int64) bool {
	if state == unix.TIME_ERROR || status&unix.STA_UNSYNC != 0 {
		return false
	}
	return maxerror >= 0 && time.Duration(maxerror)*time.Microsecond < maxError
}

// Clock is a source of time whose Now never falls behind the last known
// time before the system clock is synchronised. The zero value uses the
// system clock and Synced. A Clock is safe for concurrent use.
type Clock struct {
	// NowFunc returns the system time; nil means time.Now. Tests set it.
	NowFunc func() time.Time
	// SyncedFunc reports whether the system time is synchronised; nil
	// means the package's Synced. Tests set it.
	SyncedFunc func() (bool, error)

	mu     sync.Mutex
	offset time.Duration // added to the system time until synced
	synced bool          // latched once seen synchronised
}

func (c *Clock) sysNow() time.Time {
	if c.NowFunc != nil {
		return c.NowFunc()
	}
	return time.Now()
}

// Synced reports whether the system clock is synchronised.
func (c *Clock) Synced() (bool, error) {
	var ok bool
	var err error
	if c.SyncedFunc != nil {
		ok, err = c.SyncedFunc()
	} else {
		ok, err = Synced()
	}
	if ok {
		c.mu.Lock()
		c.synced, c.offset = true, 0
		c.mu.Unlock()
	}
	return ok, err
}

// Now returns the current time. Before the system clock is first seen
// synchronised, it is the system time moved forward to be no earlier than
// the time restored by Restore; afterwards it is the system time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	offset, synced := c.offset, c.synced
	c.mu.Unlock()
	if synced || offset == 0 {
		return c.sysNow()
	}
	if ok, _ := c.Synced(); ok {
		return c.sysNow()
	}
	return c.sysNow().Add(offset)
}

// Restore reads the time saved by Save from path and makes Now no earlier
// than it until the clock is synchronised. A missing file is not an error
// (first boot). A corrupt file is reported and ignored.
func (c *Clock) Restore(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clock: restore: %w", err)
	}
	var saved time.Time
	if err := saved.UnmarshalText(bytes.TrimSpace(b)); err != nil {
		return fmt.Errorf("clock: restore %s: bad timestamp: %w", path, err)
	}
	if ok, _ := c.Synced(); ok {
		return nil
	}
	now := c.sysNow()
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := saved.Sub(now); d > c.offset {
		c.offset = d
	}
	return nil
}

// Save writes the current time (Now) to path, atomically: a crash leaves
// the previous value. Call it at shutdown, and periodically so a power cut
// loses little.
func (c *Clock) Save(path string) error {
	text, err := c.Now().UTC().MarshalText()
	if err != nil {
		return fmt.Errorf("clock: save: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".clock-*")
	if err != nil {
		return fmt.Errorf("clock: save: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(append(text, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("clock: save %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("clock: save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("clock: save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("clock: save %s: %w", path, err)
	}
	return nil
}
