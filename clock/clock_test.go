package clock

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestTimexSynced(t *testing.T) {
	tests := []struct {
		name     string
		state    int
		status   int32
		maxerror int64
		want     bool
	}{
		{"ntp locked", unix.TIME_OK, unix.STA_PLL, 100_000, true},
		{"unsync bit", unix.TIME_OK, unix.STA_UNSYNC, 100_000, false},
		{"time error state", unix.TIME_ERROR, 0, 100_000, false},
		{"max error too big", unix.TIME_OK, 0, 16_000_000, false},
		{"max error just under", unix.TIME_OK, 0, 15_999_999, true},
		{"negative max error", unix.TIME_OK, 0, -1, false},
	}
	for _, tt := range tests {
		if got := timexSynced(tt.state, tt.status, tt.maxerror); got != tt.want {
			t.Errorf("%s: timexSynced = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSyncedOnThisMachine(t *testing.T) {
	// Whether the build machine is synced is unknown; the read-only call
	// itself must work without privileges.
	if _, err := Synced(); err != nil {
		t.Fatalf("Synced: %v", err)
	}
}

// fakeClock is a system clock stuck near 1970 that a test moves by hand.
type fakeClock struct {
	now    atomic.Int64 // unix nanoseconds
	synced atomic.Bool
}

func (f *fakeClock) clock() *Clock {
	return &Clock{
		NowFunc:    func() time.Time { return time.Unix(0, f.now.Load()) },
		SyncedFunc: func() (bool, error) { return f.synced.Load(), nil },
	}
}

func TestRestoreKeepsTimeFromGoingBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clock")
	lastRun := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := os.WriteFile(path, []byte(lastRun.Format(time.RFC3339Nano)+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	var f fakeClock
	f.now.Store(time.Unix(30, 0).UnixNano()) // booted at 1970
	c := f.clock()
	if got := c.Now(); got.Unix() != 30 {
		t.Fatalf("before Restore Now = %v, want the system time", got)
	}
	if err := c.Restore(path); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); !got.Equal(lastRun) {
		t.Errorf("after Restore Now = %v, want %v", got, lastRun)
	}
	f.now.Add(int64(5 * time.Second))
	if got := c.Now(); !got.Equal(lastRun.Add(5 * time.Second)) {
		t.Errorf("Now = %v, want the restored time to keep running (%v)", got, lastRun.Add(5*time.Second))
	}
	// NTP synchronises and steps the clock: the real time wins.
	real := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	f.now.Store(real.UnixNano())
	f.synced.Store(true)
	if got := c.Now(); !got.Equal(real) {
		t.Errorf("after sync Now = %v, want system time %v", got, real)
	}
}

func TestRestoreOlderTimeIsIgnored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clock")
	os.WriteFile(path, []byte("2020-01-01T00:00:00Z\n"), 0o640)
	var f fakeClock
	sys := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.now.Store(sys.UnixNano())
	c := f.clock()
	if err := c.Restore(path); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); !got.Equal(sys) {
		t.Errorf("Now = %v, want system time %v; a saved time in the past must not move it", got, sys)
	}
}

func TestRestoreMissingAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	var c Clock
	if err := c.Restore(filepath.Join(dir, "absent")); err != nil {
		t.Errorf("first boot (no saved time): %v", err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("yesterday-ish"), 0o640)
	if err := c.Restore(bad); err == nil {
		t.Error("corrupt saved time accepted")
	}
}

func TestSaveRestoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "clock")
	var f fakeClock
	shutdown := time.Date(2026, 4, 5, 6, 7, 8, 9, time.UTC)
	f.now.Store(shutdown.UnixNano())
	f.synced.Store(true)
	if err := f.clock().Save(path); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("state dir holds %d files after Save, want only the clock file", len(entries))
	}

	var boot fakeClock // next boot: 1970 again, not synced
	c := boot.clock()
	if err := c.Restore(path); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); !got.Equal(shutdown) {
		t.Errorf("after reboot Now = %v, want %v", got, shutdown)
	}
}

func TestSaveIntoMissingDir(t *testing.T) {
	var c Clock
	if err := c.Save(filepath.Join(t.TempDir(), "no", "such", "dir", "clock")); err == nil {
		t.Error("Save into a missing directory reported success")
	}
}

// FuzzRestore feeds arbitrary saved-clock files to Restore: it must not
// panic, and whatever it accepts must never move the time backwards.
func FuzzRestore(f *testing.F) {
	f.Add([]byte("2026-03-01T12:00:00Z\n"))
	f.Add([]byte("2026-03-01T12:00:00.123456789+01:00"))
	f.Add([]byte("1969-12-31T23:59:59Z"))
	f.Add([]byte(""))
	f.Add([]byte("\x00\xff"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "clock")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var fc fakeClock
		sys := time.Unix(1_000_000, 0)
		fc.now.Store(sys.UnixNano())
		c := fc.clock()
		if err := c.Restore(path); err != nil {
			return
		}
		if got := c.Now(); got.Before(sys) {
			t.Fatalf("Restore(%q) moved Now back to %v", data, got)
		}
	})
}
