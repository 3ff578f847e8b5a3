package pin

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("4711")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "4711") {
		t.Errorf("hash %q", h)
	}
	if err := Verify(h, "4711"); err != nil {
		t.Errorf("right PIN: %v", err)
	}
	if err := Verify(h, "4712"); !errors.Is(err, ErrWrong) {
		t.Errorf("wrong PIN: %v", err)
	}
	h2, _ := Hash("4711")
	if h2 == h {
		t.Error("two hashes of one PIN are equal: no salt")
	}
	for _, bad := range []string{"", "4711", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", h[:len(h)-5] + "!!!!!", strings.Replace(h, "m=19456", "m=99999999", 1)} {
		if err := Verify(bad, "4711"); !errors.Is(err, ErrHash) {
			t.Errorf("Verify(%q) = %v, want ErrHash", bad, err)
		}
	}
	for _, bad := range []string{"", "123", "1234567890123", "12a4", "12 34"} {
		if _, err := Hash(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("Hash(%q) = %v, want ErrFormat", bad, err)
		}
	}
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// cheap is a hash with low cost, for tests about the counter, not the hash.
func cheap(t *testing.T, pin string) string {
	h, err := hashWith(pin, 64, 1)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestLockout(t *testing.T) {
	h := cheap(t, "2468")
	clk := &fakeClock{time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "pin.json")
	g := &Guard{Hash: h, MaxTries: 3, LockFor: 5 * time.Minute, MaxLock: 12 * time.Minute, Path: path, Now: clk.now}
	for i, want := range []int{2, 1} {
		err := g.Check("0000")
		var we *WrongError
		if !errors.Is(err, ErrWrong) || !errors.As(err, &we) || we.Left != want {
			t.Fatalf("wrong PIN %d: %v, want %d tries left", i+1, err, want)
		}
	}
	err := g.Check("0000")
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || !le.Until.Equal(clk.t.Add(5*time.Minute)) {
		t.Fatalf("third wrong PIN: %v, want locked for 5 minutes", err)
	}
	// Locked: even the right PIN is refused, and a restart (a new Guard on the same
	// file) does not open the lock.
	clk.t = clk.t.Add(4 * time.Minute)
	if err := g.Check("2468"); !errors.Is(err, ErrLocked) {
		t.Fatalf("right PIN while locked: %v", err)
	}
	g = &Guard{Hash: h, MaxTries: 3, LockFor: 5 * time.Minute, MaxLock: 12 * time.Minute, Path: path, Now: clk.now}
	if err := g.Check("2468"); !errors.Is(err, ErrLocked) {
		t.Fatalf("after a restart, while locked: %v", err)
	}
	// After the lock: three more wrong PINs lock for twice as long, then capped.
	clk.t = clk.t.Add(time.Minute)
	for range 3 {
		err = g.Check("1111")
	}
	if !errors.As(err, &le) || !le.Until.Equal(clk.t.Add(10*time.Minute)) {
		t.Fatalf("second lockout: %v, want 10 minutes", err)
	}
	clk.t = le.Until
	for range 3 {
		err = g.Check("1111")
	}
	if !errors.As(err, &le) || !le.Until.Equal(clk.t.Add(12*time.Minute)) {
		t.Fatalf("third lockout: %v, want the 12-minute cap", err)
	}
	// The right PIN after the lock opens it and resets the count.
	clk.t = le.Until
	if err := g.Check("2468"); err != nil {
		t.Fatalf("right PIN after the lock: %v", err)
	}
	if st, err := g.State(); err != nil || st != (State{}) {
		t.Errorf("state after the right PIN = %+v, %v; want zero", st, err)
	}
	if err := g.Check("0000"); !strings.Contains(err.Error(), "2 tries left") {
		t.Errorf("count not reset: %v", err)
	}
}

func TestLockoutInMemory(t *testing.T) {
	h := cheap(t, "2468")
	clk := &fakeClock{time.Unix(0, 0)}
	g := &Guard{Hash: h, Now: clk.now}
	for range 4 {
		if err := g.Check("9999"); !errors.Is(err, ErrWrong) {
			t.Fatal(err)
		}
	}
	if err := g.Check("9999"); !errors.Is(err, ErrLocked) {
		t.Fatalf("fifth wrong PIN: %v, want the default lockout after 5", err)
	}
	clk.t = clk.t.Add(5 * time.Minute)
	if err := g.Check("2468"); err != nil {
		t.Fatalf("after the default 5 minutes: %v", err)
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=19$m=1,t=0,p=0$$")
	f.Fuzz(func(t *testing.T, s string) {
		if ParseHash(s) == nil {
			h, _ := parse(s)
			if h.m > 1<<21 || h.t > 64 || h.t < 1 || h.p < 1 {
				t.Fatalf("accepted expensive or empty parameters %+v", h)
			}
		}
	})
}
