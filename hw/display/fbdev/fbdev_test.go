package fbdev

import (
	"encoding/binary"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"
)

// mem is an io.WriterAt over a byte slice.
type mem []byte

func (m mem) WriteAt(p []byte, off int64) (int, error) {
	return copy(m[off:], p), nil
}

func TestRGB565WithPaddedLines(t *testing.T) {
	f := RGB565(10, 4)
	f.LineLength = 32 // 12 bytes of padding per line
	buf := make(mem, f.LineLength*4)
	fb, err := New(buf, f)
	if err != nil {
		t.Fatal(err)
	}
	src := image.NewUniform(color.RGBA{0xff, 0x00, 0x00, 0xff})
	if err := fb.Draw(image.Rect(2, 1, 4, 3), src, image.Point{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []image.Point{{2, 1}, {3, 1}, {2, 2}, {3, 2}} {
		off := p.Y*32 + p.X*2
		if v := binary.LittleEndian.Uint16(buf[off:]); v != 0xF800 {
			t.Errorf("pixel %v = %#04x, want 0xf800", p, v)
		}
	}
	n := 0
	for _, b := range buf {
		if b != 0 {
			n++
		}
	}
	if n != 4 { // 0xF800 little-endian: one non-zero byte per pixel
		t.Errorf("%d non-zero bytes, want 4", n)
	}
}

func TestXRGB8888(t *testing.T) {
	f := XRGB8888(4, 4)
	buf := make(mem, f.LineLength*4)
	fb, err := New(buf, f)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{0x12, 0x34, 0x56, 0xff})
	if err := fb.Draw(fb.Bounds(), img, image.Point{}); err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(buf[1*16+1*4:]); v != 0xFF123456 {
		t.Errorf("pixel = %#08x, want 0xff123456", v)
	}
	// Drawing past the edge is clipped, not an error.
	if err := fb.Draw(image.Rect(3, 3, 10, 10), img, image.Point{}); err != nil {
		t.Fatal(err)
	}
}

func TestYOffset(t *testing.T) {
	f := RGB565(2, 2)
	f.YOffset = 2 // double-buffered: visible page is the second one
	buf := make(mem, f.LineLength*4)
	fb, err := New(buf, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := fb.Draw(fb.Bounds(), image.NewUniform(color.White), image.Point{}); err != nil {
		t.Fatal(err)
	}
	if buf[0] != 0 || buf[2*4] != 0xff {
		t.Errorf("offset ignored: % x", buf)
	}
}

func TestValidate(t *testing.T) {
	bad := []Format{
		{},
		{Width: 10, Height: 10, LineLength: 20, BitsPerPixel: 24, Red: Bitfield{16, 8}, Green: Bitfield{8, 8}, Blue: Bitfield{0, 8}},
		func() Format { f := RGB565(10, 10); f.LineLength = 10; return f }(),
		func() Format { f := RGB565(10, 10); f.Red = Bitfield{12, 5}; return f }(),
	}
	for i, f := range bad {
		if _, err := New(make(mem, 10), f); err == nil {
			t.Errorf("format %d accepted: %+v", i, f)
		}
	}
}

func TestSysfsBacklight(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "max_brightness"), []byte("100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fb, _ := New(make(mem, 8), RGB565(2, 2))
	if err := fb.SetBacklight(255); err != nil {
		t.Fatal(err) // no backlight configured: nothing to do
	}
	if err := fb.UseBacklight(dir); err != nil {
		t.Fatal(err)
	}
	for level, want := range map[uint8]string{255: "100", 0: "0", 1: "1", 128: "50"} {
		if err := fb.SetBacklight(level); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "brightness"))
		if string(b) != want {
			t.Errorf("level %d wrote %q, want %q", level, b, want)
		}
	}
}

func TestOpenMissingDevice(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "fb9")); err == nil {
		t.Error("opening a missing device succeeded")
	}
}
