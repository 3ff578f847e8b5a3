package cpuclock

import "testing"

// TestNowGrows checks that busy work shows as CPU time.
func TestNowGrows(t *testing.T) {
	t0, ok := Now()
	if !ok {
		t.Skip("no CPU clock on this platform")
	}
	x := 0
	for {
		for i := 0; i < 1_000_000; i++ {
			x += i
		}
		if t1, _ := Now(); t1 > t0 {
			return
		}
		if x < 0 {
			t.Fatal("overflow")
		}
	}
}
