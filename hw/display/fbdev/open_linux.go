//go:build linux

package fbdev

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Linux framebuffer ioctls.
const (
	fbiogetVScreenInfo = 0x4600
	fbiogetFScreenInfo = 0x4602
)

type bitfield struct{ Offset, Length, MSBRight uint32 }

// varScreenInfo is struct fb_var_screeninfo.
type varScreenInfo struct {
	XRes, YRes, XResVirtual, YResVirtual, XOffset, YOffset uint32
	BitsPerPixel, Grayscale                                uint32
	Red, Green, Blue, Transp                               bitfield
	Nonstd, Activate, Height, Width, AccelFlags, Pixclock  uint32
	Left, Right, Upper, Lower, HSync, VSync                uint32
	Sync, VMode, Rotate, Colorspace                        uint32
	Reserved                                               [4]uint32
}

// fixScreenInfo is struct fb_fix_screeninfo (unsigned long as uintptr).
type fixScreenInfo struct {
	ID           [16]byte
	SmemStart    uintptr
	SmemLen      uint32
	Type         uint32
	TypeAux      uint32
	Visual       uint32
	XPanStep     uint16
	YPanStep     uint16
	YWrapStep    uint16
	LineLength   uint32
	MMIOStart    uintptr
	MMIOLen      uint32
	Accel        uint32
	Capabilities uint16
	Reserved     [2]uint16
}

func ioctl(fd uintptr, req uintptr, p unsafe.Pointer) error {
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(p)); e != 0 {
		return e
	}
	return nil
}

// Open opens a framebuffer device such as /dev/fb1 and reads its geometry
// with FBIOGET_VSCREENINFO and FBIOGET_FSCREENINFO.
func Open(path string) (*FB, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("fbdev: %w", err)
	}
	var v varScreenInfo
	var x fixScreenInfo
	if err := ioctl(f.Fd(), fbiogetVScreenInfo, unsafe.Pointer(&v)); err != nil {
		f.Close()
		return nil, fmt.Errorf("fbdev: %s: FBIOGET_VSCREENINFO: %w", path, err)
	}
	if err := ioctl(f.Fd(), fbiogetFScreenInfo, unsafe.Pointer(&x)); err != nil {
		f.Close()
		return nil, fmt.Errorf("fbdev: %s: FBIOGET_FSCREENINFO: %w", path, err)
	}
	format := Format{
		Width: int(v.XRes), Height: int(v.YRes), LineLength: int(x.LineLength),
		BitsPerPixel: int(v.BitsPerPixel),
		Red:          Bitfield{v.Red.Offset, v.Red.Length},
		Green:        Bitfield{v.Green.Offset, v.Green.Length},
		Blue:         Bitfield{v.Blue.Offset, v.Blue.Length},
		XOffset:      int(v.XOffset), YOffset: int(v.YOffset),
		XVirtual: int(v.XResVirtual), YVirtual: int(v.YResVirtual),
	}
	fb, err := New(f, format)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("fbdev: %s: %w", path, err)
	}
	fb.c = f
	return fb, nil
}
