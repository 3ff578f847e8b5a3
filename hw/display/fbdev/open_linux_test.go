//go:build linux

package fbdev

import (
	"testing"
	"unsafe"
)

// The ioctl structs must match the kernel's layout exactly.
func TestScreenInfoLayout(t *testing.T) {
	if n := unsafe.Sizeof(varScreenInfo{}); n != 160 {
		t.Errorf("fb_var_screeninfo is %d bytes, want 160", n)
	}
	want := uintptr(80)
	if unsafe.Sizeof(uintptr(0)) == 4 {
		want = 68
	}
	if n := unsafe.Sizeof(fixScreenInfo{}); n != want {
		t.Errorf("fb_fix_screeninfo is %d bytes, want %d", n, want)
	}
	if off := unsafe.Offsetof(fixScreenInfo{}.LineLength); off != 48 && unsafe.Sizeof(uintptr(0)) == 8 {
		t.Errorf("line_length at %d, want 48", off)
	}
}
