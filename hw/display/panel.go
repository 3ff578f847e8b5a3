// Package display shows terminald's screens on a panel: it renders a
// screen.Screen, sends only the rectangles that changed since the last frame
// and manages the backlight. Backends implement Panel: the SPI drivers in
// st7789 and ili9341, the Linux framebuffer in fbdev, and Memory for tests
// and the simulator.
package display

import (
	"image"
	"image/draw"
	"sync"
)

// Panel is a display backend.
type Panel interface {
	// Bounds returns the drawable area; Min is normally the origin.
	Bounds() image.Rectangle
	// Draw copies src starting at sp into rectangle r of the panel.
	Draw(r image.Rectangle, src image.Image, sp image.Point) error
	// SetBacklight sets the brightness: 0 off, 255 full.
	SetBacklight(level uint8) error
}

// Memory is a Panel backed by an in-memory RGBA image: the simulator's
// framebuffer and a test double. It is safe for concurrent use.
type Memory struct {
	mu    sync.Mutex
	img   *image.RGBA
	level uint8
	draws int
	px    int64
}

// NewMemory returns a black w×h Memory panel with the backlight off.
func NewMemory(w, h int) *Memory {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 0xff
	}
	return &Memory{img: img}
}

// Bounds implements Panel.
func (m *Memory) Bounds() image.Rectangle { return m.img.Bounds() }

// Draw implements Panel.
func (m *Memory) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r = r.Intersect(m.img.Bounds())
	draw.Draw(m.img, r, src, sp, draw.Src)
	m.draws++
	m.px += int64(r.Dx() * r.Dy())
	return nil
}

// SetBacklight implements Panel.
func (m *Memory) SetBacklight(level uint8) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.level = level
	return nil
}

// Backlight returns the last level set.
func (m *Memory) Backlight() uint8 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.level
}

// Snapshot returns a copy of the panel's content.
func (m *Memory) Snapshot() *image.RGBA {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := image.NewRGBA(m.img.Rect)
	copy(c.Pix, m.img.Pix)
	return c
}

// Draws returns how many Draw calls and pixels the panel received.
func (m *Memory) Draws() (calls int, pixels int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.draws, m.px
}
