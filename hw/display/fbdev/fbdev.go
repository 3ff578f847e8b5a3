// Package fbdev draws on a Linux framebuffer device (/dev/fbN), such as one
// that fbtft or panel-mipi-dbi exposes for an SPI panel. It writes RGB565 or
// 32-bit XRGB pixels at the device's line length with positioned writes.
package fbdev

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Bitfield is one colour channel's place in a pixel.
type Bitfield struct {
	Offset, Length uint32
}

// Format is the framebuffer's geometry and pixel layout.
type Format struct {
	Width, Height      int // visible pixels
	LineLength         int // bytes per line
	BitsPerPixel       int // 16 or 32
	Red, Green, Blue   Bitfield
	XOffset, YOffset   int // visible area in the virtual framebuffer
	XVirtual, YVirtual int // virtual size (0: same as visible)
}

// RGB565 returns the usual 16-bit format for a w×h framebuffer.
func RGB565(w, h int) Format {
	return Format{Width: w, Height: h, LineLength: w * 2, BitsPerPixel: 16,
		Red: Bitfield{11, 5}, Green: Bitfield{5, 6}, Blue: Bitfield{0, 5}}
}

// XRGB8888 returns the usual 32-bit format for a w×h framebuffer.
func XRGB8888(w, h int) Format {
	return Format{Width: w, Height: h, LineLength: w * 4, BitsPerPixel: 32,
		Red: Bitfield{16, 8}, Green: Bitfield{8, 8}, Blue: Bitfield{0, 8}}
}

// Validate reports a format this package cannot draw on.
func (f Format) Validate() error {
	if f.Width <= 0 || f.Height <= 0 || f.Width > 1<<14 || f.Height > 1<<14 {
		return fmt.Errorf("fbdev: bad size %dx%d", f.Width, f.Height)
	}
	if f.BitsPerPixel != 16 && f.BitsPerPixel != 32 {
		return fmt.Errorf("fbdev: %d bits per pixel: want 16 or 32", f.BitsPerPixel)
	}
	if f.XOffset < 0 || f.YOffset < 0 || f.XOffset > 1<<14 || f.YOffset > 1<<15 {
		return fmt.Errorf("fbdev: bad offset %d,%d", f.XOffset, f.YOffset)
	}
	if f.LineLength < (f.XOffset+f.Width)*f.BitsPerPixel/8 {
		return fmt.Errorf("fbdev: line length %d too short for %d pixels of %d bits", f.LineLength, f.XOffset+f.Width, f.BitsPerPixel)
	}
	for _, b := range []Bitfield{f.Red, f.Green, f.Blue} {
		if b.Length == 0 || b.Length > 8 || int(b.Offset+b.Length) > f.BitsPerPixel {
			return fmt.Errorf("fbdev: bad colour bitfield %+v for %d bits per pixel", b, f.BitsPerPixel)
		}
	}
	return nil
}

// FB is a framebuffer Panel.
type FB struct {
	mu        sync.Mutex
	w         io.WriterAt
	c         io.Closer
	f         Format
	line      []byte
	backlight string // sysfs backlight directory, or ""
	maxBright int
}

// New returns a framebuffer drawing through w in format f. Tests pass an
// in-memory io.WriterAt; Open passes the device file.
func New(w io.WriterAt, f Format) (*FB, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &FB{w: w, f: f}, nil
}

// Format returns the framebuffer's format.
func (fb *FB) Format() Format { return fb.f }

// Bounds implements display.Panel.
func (fb *FB) Bounds() image.Rectangle { return image.Rect(0, 0, fb.f.Width, fb.f.Height) }

func (fb *FB) pixel(c color.RGBA) uint32 {
	ch := func(v uint8, b Bitfield) uint32 { return uint32(v>>(8-b.Length)) << b.Offset }
	return ch(c.R, fb.f.Red) | ch(c.G, fb.f.Green) | ch(c.B, fb.f.Blue)
}

// Draw implements display.Panel: each row of r is encoded and written at its
// offset (line length × row + pixel size × column), little-endian as the
// kernel stores pixels.
func (fb *FB) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	orig := r.Min
	r = r.Intersect(fb.Bounds())
	sp = sp.Add(r.Min.Sub(orig))
	if r.Empty() {
		return nil
	}
	bpp := fb.f.BitsPerPixel / 8
	n := r.Dx() * bpp
	if cap(fb.line) < n {
		fb.line = make([]byte, n)
	}
	line := fb.line[:n]
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			c := color.RGBAModel.Convert(src.At(sp.X+x, sp.Y+y)).(color.RGBA)
			v := fb.pixel(c)
			if bpp == 2 {
				line[x*2], line[x*2+1] = byte(v), byte(v>>8)
			} else {
				line[x*4], line[x*4+1], line[x*4+2], line[x*4+3] = byte(v), byte(v>>8), byte(v>>16), 0xff
			}
		}
		off := int64(r.Min.Y+y+fb.f.YOffset)*int64(fb.f.LineLength) + int64(r.Min.X+fb.f.XOffset)*int64(bpp)
		if _, err := fb.w.WriteAt(line, off); err != nil {
			return fmt.Errorf("fbdev: write row %d: %w", r.Min.Y+y, err)
		}
	}
	return nil
}

// SetBacklight implements display.Panel through a sysfs backlight (see
// UseBacklight); without one it does nothing.
func (fb *FB) SetBacklight(level uint8) error {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if fb.backlight == "" {
		return nil
	}
	v := int(level) * fb.maxBright / 255
	if level > 0 && v == 0 {
		v = 1
	}
	if err := os.WriteFile(filepath.Join(fb.backlight, "brightness"), []byte(strconv.Itoa(v)), 0); err != nil {
		return fmt.Errorf("fbdev: backlight: %w", err)
	}
	return nil
}

// UseBacklight makes SetBacklight write to a sysfs backlight directory such
// as /sys/class/backlight/soc:backlight.
func (fb *FB) UseBacklight(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "max_brightness"))
	if err != nil {
		return fmt.Errorf("fbdev: backlight: %w", err)
	}
	m, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || m <= 0 {
		return fmt.Errorf("fbdev: backlight %s: bad max_brightness %q", dir, strings.TrimSpace(string(b)))
	}
	fb.mu.Lock()
	defer fb.mu.Unlock()
	fb.backlight, fb.maxBright = dir, m
	return nil
}

// Close closes the device opened by Open.
func (fb *FB) Close() error {
	if fb.c == nil {
		return nil
	}
	return fb.c.Close()
}
