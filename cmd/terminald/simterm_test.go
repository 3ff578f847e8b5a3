//go:build sim

package main

import (
	"strings"
	"testing"
)

// The drawing region takes the rows a QR needs at one pixel per module (23 for the
// largest code) and leaves the rest of a tall window to receipts and logs.
func TestSimTermFootRows(t *testing.T) {
	for _, tc := range []struct{ rows, h, want int }{
		{24, 320, 23}, // 80x24: the code alone, one row left for output
		{60, 320, 32}, // the whole 240x320 display at 5 px per half block
		{40, 320, 30}, // a quarter of the window for output
		{10, 320, 9},  // never the whole window
		{60, 240, 24}, // a 240-pixel-high display needs less
	} {
		if got := footRows(tc.rows, tc.h); got != tc.want {
			t.Errorf("footRows(%d, %d) = %d, want %d", tc.rows, tc.h, got, tc.want)
		}
	}
}

// The text beside the picture wraps at spaces and never passes its width.
func TestSimTermWrap(t *testing.T) {
	got := wrap("Scan the wallet code shown by the customer", 12)
	for _, l := range got {
		if len([]rune(l)) > 12 {
			t.Errorf("line %q is wider than 12", l)
		}
	}
	if j := strings.Join(got, " "); j != "Scan the wallet code shown by the customer" {
		t.Errorf("wrapped text reads %q", j)
	}
}
