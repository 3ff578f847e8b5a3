// Package mipidbi drives MIPI DBI type C (4-wire SPI with a D/C line) display
// controllers such as the ST7789 and the ILI9341: command framing, reset,
// windowed RGB565 writes in chunks and the backlight. The st7789 and ili9341
// packages supply the controller specifics (init sequence, MADCTL table).
package mipidbi

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"sync"
	"time"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// Command bytes shared by MIPI DCS controllers.
const (
	SWRESET = 0x01 // software reset
	SLPIN   = 0x10 // sleep in
	SLPOUT  = 0x11 // sleep out
	NORON   = 0x13 // normal display mode on
	INVOFF  = 0x20 // display inversion off
	INVON   = 0x21 // display inversion on
	DISPOFF = 0x28 // display off
	DISPON  = 0x29 // display on
	CASET   = 0x2A // column address set
	RASET   = 0x2B // row (page) address set; PASET on the ILI9341
	RAMWR   = 0x2C // memory write
	MADCTL  = 0x36 // memory data access control
	COLMOD  = 0x3A // interface pixel format
)

// MADCTL bits.
const (
	MY  = 0x80 // row address order (mirror Y)
	MX  = 0x40 // column address order (mirror X)
	MV  = 0x20 // row/column exchange
	ML  = 0x10 // vertical refresh order
	BGR = 0x08 // BGR colour filter order
	MH  = 0x04 // horizontal refresh order
)

// DefaultMaxTx is the default largest SPI transfer, matching the usual spidev
// bufsiz of 4096 bytes.
const DefaultMaxTx = 4096

// Cmd is one step of an init sequence: a command, its parameters and the time
// to wait after it.
type Cmd struct {
	Op    byte
	Data  []byte
	Delay time.Duration
}

// Config describes one controller and panel. The st7789 and ili9341 packages
// fill it in from their Opts.
type Config struct {
	Name                 string              // driver name for errors, e.g. "st7789"
	MemWidth, MemHeight  int                 // controller memory in native orientation, e.g. 240×320
	Width, Height        int                 // visible panel in native orientation
	ColOffset, RowOffset int                 // where the panel sits in memory (native orientation)
	Rotation             int                 // 0, 90, 180 or 270 degrees
	MADCTL               [4]byte             // MADCTL per rotation 0, 90, 180, 270, without BGR
	BGR                  bool                // set the MADCTL BGR bit
	Init                 []Cmd               // sequence after reset; a MADCTL entry gets the rotation's value
	MaxTx                int                 // largest SPI transfer in bytes; 0 means DefaultMaxTx
	Sleep                func(time.Duration) // nil means time.Sleep
	BacklightFreq        physic.Frequency    // PWM frequency for dimming; 0 means 1 kHz
}

// Dev is a MIPI DBI display. It implements periph's display.Drawer
// (String, Halt, ColorModel, Bounds, Draw) and terminald's display.Panel
// (Bounds, Draw, SetBacklight).
type Dev struct {
	mu         sync.Mutex
	c          spi.Conn
	dc, rst    gpio.PinOut
	bl         gpio.PinOut
	cfg        Config
	madctl     byte
	w, h       int // logical size after rotation
	xoff, yoff int // address offsets after rotation
	buf        []byte
	dcHigh     bool
	dcKnown    bool
	bytes      int64
	// The column and row ranges last sent (CASET, RASET parameters); the
	// controller keeps them, so a window on the same columns or rows skips
	// that command. Forgotten after init, a raw Command and any error.
	caset, raset [4]byte
	winKnown     bool
	// Scratch for a command's byte and parameters: kept here so that sending
	// a command allocates nothing (a QR screen's change is hundreds of windows).
	op  [1]byte
	par []byte
}

// rotationGeometry returns the logical size and address offsets for a rotation, given
// the MADCTL value and the panel's place in controller memory.
func rotationGeometry(cfg *Config, m byte) (w, h, xoff, yoff int) {
	colCounter := cfg.ColOffset
	if m&MX != 0 {
		colCounter = cfg.MemWidth - cfg.ColOffset - cfg.Width
	}
	rowCounter := cfg.RowOffset
	if m&MY != 0 {
		rowCounter = cfg.MemHeight - cfg.RowOffset - cfg.Height
	}
	if m&MV != 0 {
		return cfg.Height, cfg.Width, rowCounter, colCounter
	}
	return cfg.Width, cfg.Height, colCounter, rowCounter
}

func validPin(p gpio.PinOut) bool {
	return p != nil && p != gpio.INVALID
}

// Connect connects to port p at frequency f and SPI mode, then resets and initialises
// the controller as New does. cfg.Name prefixes the errors. A zero f is an error.
func Connect(p spi.Port, f physic.Frequency, mode spi.Mode, dc, rst, bl gpio.PinOut, cfg Config) (*Dev, error) {
	if p == nil {
		return nil, fmt.Errorf("%s: nil SPI port", cfg.Name)
	}
	if f <= 0 {
		return nil, fmt.Errorf("%s: SPI frequency %v", cfg.Name, f)
	}
	c, err := p.Connect(f, mode, 8)
	if err != nil {
		return nil, fmt.Errorf("%s: connect: %w", cfg.Name, err)
	}
	return New(c, dc, rst, bl, cfg)
}

// New runs the reset and init sequence on c and returns the device. dc is
// required; rst and bl may be nil (software reset only; no backlight control).
func New(c spi.Conn, dc, rst, bl gpio.PinOut, cfg Config) (*Dev, error) {
	if c == nil {
		return nil, fmt.Errorf("%s: nil SPI connection", cfg.Name)
	}
	if !validPin(dc) {
		return nil, fmt.Errorf("%s: the D/C pin is required", cfg.Name)
	}
	if !validPin(rst) {
		rst = nil
	}
	if !validPin(bl) {
		bl = nil
	}
	ri := -1
	switch cfg.Rotation {
	case 0:
		ri = 0
	case 90:
		ri = 1
	case 180:
		ri = 2
	case 270:
		ri = 3
	}
	if ri < 0 {
		return nil, fmt.Errorf("%s: rotation %d: want 0, 90, 180 or 270", cfg.Name, cfg.Rotation)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.ColOffset < 0 || cfg.RowOffset < 0 ||
		cfg.ColOffset+cfg.Width > cfg.MemWidth || cfg.RowOffset+cfg.Height > cfg.MemHeight {
		return nil, fmt.Errorf("%s: panel %dx%d at offset %d,%d does not fit controller memory %dx%d",
			cfg.Name, cfg.Width, cfg.Height, cfg.ColOffset, cfg.RowOffset, cfg.MemWidth, cfg.MemHeight)
	}
	if cfg.MaxTx == 0 {
		cfg.MaxTx = DefaultMaxTx
	}
	if cfg.MaxTx < 4 {
		return nil, fmt.Errorf("%s: MaxTx %d is too small", cfg.Name, cfg.MaxTx)
	}
	cfg.MaxTx &^= 1 // whole RGB565 pixels per transfer
	if cfg.Sleep == nil {
		cfg.Sleep = time.Sleep
	}
	if cfg.BacklightFreq == 0 {
		cfg.BacklightFreq = physic.KiloHertz
	}
	d := &Dev{c: c, dc: dc, rst: rst, bl: bl, cfg: cfg}
	d.madctl = cfg.MADCTL[ri]
	if cfg.BGR {
		d.madctl |= BGR
	}
	d.w, d.h, d.xoff, d.yoff = rotationGeometry(&d.cfg, d.madctl)
	if err := d.init(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Dev) init() error {
	d.winKnown = false
	if d.rst != nil {
		for _, step := range []struct {
			l gpio.Level
			t time.Duration
		}{{gpio.High, time.Millisecond}, {gpio.Low, 20 * time.Microsecond}, {gpio.High, 120 * time.Millisecond}} {
			if err := d.rst.Out(step.l); err != nil {
				return fmt.Errorf("%s: reset pin: %w", d.cfg.Name, err)
			}
			d.cfg.Sleep(step.t)
		}
	}
	for _, c := range d.cfg.Init {
		data := c.Data
		if c.Op == MADCTL {
			data = []byte{d.madctl}
		}
		if err := d.command(c.Op, data...); err != nil {
			return err
		}
		if c.Delay > 0 {
			d.cfg.Sleep(c.Delay)
		}
	}
	return nil
}

func (d *Dev) setDC(high bool) error {
	if d.dcKnown && d.dcHigh == high {
		return nil
	}
	l := gpio.Low
	if high {
		l = gpio.High
	}
	if err := d.dc.Out(l); err != nil {
		return fmt.Errorf("%s: D/C pin: %w", d.cfg.Name, err)
	}
	d.dcHigh, d.dcKnown = high, true
	return nil
}

func (d *Dev) tx(w []byte) error {
	if err := d.c.Tx(w, nil); err != nil {
		return fmt.Errorf("%s: spi write: %w", d.cfg.Name, err)
	}
	d.bytes += int64(len(w))
	return nil
}

// command sends one command byte with D/C low and its parameters with D/C high.
func (d *Dev) command(op byte, params ...byte) error {
	if err := d.setDC(false); err != nil {
		return err
	}
	d.op[0] = op
	if err := d.tx(d.op[:]); err != nil {
		return err
	}
	if len(params) == 0 {
		return nil
	}
	if err := d.setDC(true); err != nil {
		return err
	}
	d.par = append(d.par[:0], params...)
	return d.tx(d.par)
}

// Command sends a raw command with parameters, for controller features this
// package does not wrap.
func (d *Dev) Command(op byte, params ...byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.winKnown = false
	return d.command(op, params...)
}

// Bounds returns the logical display area after rotation, at the origin.
func (d *Dev) Bounds() image.Rectangle {
	return image.Rect(0, 0, d.w, d.h)
}

// MADCTL returns the MADCTL value in use (rotation and colour order).
func (d *Dev) MADCTL() byte { return d.madctl }

// BytesSent returns the number of bytes sent over SPI since New.
func (d *Dev) BytesSent() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bytes
}

// window sets the address window (end inclusive) and starts a memory write.
// A column or row range equal to the one last sent is not sent again (the
// controller keeps it), which makes a window 6 bytes instead of 11 when
// rectangles share their rows or columns.
func (d *Dev) window(r image.Rectangle) error {
	x0, x1 := r.Min.X+d.xoff, r.Max.X-1+d.xoff
	y0, y1 := r.Min.Y+d.yoff, r.Max.Y-1+d.yoff
	cs := [4]byte{byte(x0 >> 8), byte(x0), byte(x1 >> 8), byte(x1)}
	rs := [4]byte{byte(y0 >> 8), byte(y0), byte(y1 >> 8), byte(y1)}
	known := d.winKnown
	d.winKnown = false // until every command went out
	if !known || cs != d.caset {
		if err := d.command(CASET, cs[:]...); err != nil {
			return err
		}
	}
	if !known || rs != d.raset {
		if err := d.command(RASET, rs[:]...); err != nil {
			return err
		}
	}
	if err := d.command(RAMWR); err != nil {
		return err
	}
	d.caset, d.raset, d.winKnown = cs, rs, true
	return nil
}

// Draw copies src, starting at sp, into rectangle r of the display, clipped to
// Bounds. Pixels go as big-endian RGB565 in transfers of at most MaxTx bytes.
func (d *Dev) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	orig := r.Min
	r = r.Intersect(d.Bounds())
	sp = sp.Add(r.Min.Sub(orig))
	// Clip to the source too.
	sr := image.Rectangle{Min: sp, Max: sp.Add(r.Size())}.Intersect(src.Bounds())
	r = image.Rectangle{Min: r.Min.Add(sr.Min.Sub(sp)), Max: r.Min.Add(sr.Max.Sub(sp))}
	sp = sr.Min
	if r.Empty() {
		return nil
	}
	if err := d.window(r); err != nil {
		return err
	}
	if err := d.setDC(true); err != nil {
		return err
	}
	if cap(d.buf) < d.cfg.MaxTx {
		d.buf = make([]byte, 0, d.cfg.MaxTx)
	}
	if rgba, ok := src.(*image.RGBA); ok {
		return d.pixelsRGBA(r, rgba, sp)
	}
	buf := d.buf[:0]
	for y := 0; y < r.Dy(); y++ {
		sy := sp.Y + y
		for x := 0; x < r.Dx(); x++ {
			sx := sp.X + x
			c := color.RGBAModel.Convert(src.At(sx, sy)).(color.RGBA)
			v := RGB565(c.R, c.G, c.B)
			buf = append(buf, byte(v>>8), byte(v))
			if len(buf) >= d.cfg.MaxTx {
				if err := d.tx(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
	}
	if len(buf) > 0 {
		return d.tx(buf)
	}
	return nil
}

// pixelsRGBA sends the pixels of src from sp for window r (clipped to src) as
// Draw does for any image, reading src's rows directly: the renderer's frames
// are *image.RGBA, and a QR screen's change is hundreds of small windows. D/C
// is high.
func (d *Dev) pixelsRGBA(r image.Rectangle, src *image.RGBA, sp image.Point) error {
	buf := d.buf[:d.cfg.MaxTx] // MaxTx is even: whole pixels per transfer
	n, w := 0, 4*r.Dx()
	for y := 0; y < r.Dy(); y++ {
		i := src.PixOffset(sp.X, sp.Y+y)
		row := src.Pix[i : i+w : i+w]
		for ; len(row) >= 4; row = row[4:] {
			v := RGB565(row[0], row[1], row[2])
			buf[n], buf[n+1] = byte(v>>8), byte(v)
			if n += 2; n == len(buf) {
				if err := d.tx(buf); err != nil {
					return err
				}
				n = 0
			}
		}
	}
	if n > 0 {
		return d.tx(buf[:n])
	}
	return nil
}

// Color565 is one pixel as the controller stores it: RGB565, red in the top
// five bits. It implements color.Color.
type Color565 uint16

// RGBA expands the 5- and 6-bit channels to 16 bits (the top bits repeated
// in the low ones, so 0x1F is full intensity), alpha opaque.
func (c Color565) RGBA() (r, g, b, a uint32) {
	r5, g6, b5 := uint32(c>>11)&0x1F, uint32(c>>5)&0x3F, uint32(c)&0x1F
	r8, g8, b8 := r5<<3|r5>>2, g6<<2|g6>>4, b5<<3|b5>>2
	return r8 * 0x101, g8 * 0x101, b8 * 0x101, 0xFFFF
}

// toColor565 converts any colour the way Draw does: to 8-bit RGBA
// (premultiplied, as image.RGBA holds it), then truncated to RGB565.
func toColor565(c color.Color) color.Color {
	if c, ok := c.(Color565); ok {
		return c
	}
	p := color.RGBAModel.Convert(c).(color.RGBA)
	return Color565(RGB565(p.R, p.G, p.B))
}

// ColorModel returns the controller's native colour model: every colour
// converts to the Color565 that Draw sends for it.
func (d *Dev) ColorModel() color.Model { return color.ModelFunc(toColor565) }

var _ display.Drawer = (*Dev)(nil)

// RGB565 packs 8-bit channels into RGB565.
func RGB565(r, g, b uint8) uint16 {
	return uint16(r&0xF8)<<8 | uint16(g&0xFC)<<3 | uint16(b>>3)
}

// SetBacklight sets the backlight: 0 is off, 255 full. Levels in between use
// PWM when the pin supports it, else the backlight is simply on. Without a
// backlight pin it does nothing.
func (d *Dev) SetBacklight(level uint8) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.bl == nil {
		return nil
	}
	var err error
	switch level {
	case 0:
		err = d.bl.Out(gpio.Low)
	case 255:
		err = d.bl.Out(gpio.High)
	default:
		duty := gpio.Duty(int64(level) * int64(gpio.DutyMax) / 255)
		if perr := d.bl.PWM(duty, d.cfg.BacklightFreq); perr != nil {
			err = d.bl.Out(gpio.High)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: backlight: %w", d.cfg.Name, err)
	}
	return nil
}

// Sleep puts the controller to sleep (display off, SLPIN) or wakes it.
func (d *Dev) Sleep(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if on {
		if err := d.command(DISPOFF); err != nil {
			return err
		}
		err := d.command(SLPIN)
		d.cfg.Sleep(5 * time.Millisecond)
		return err
	}
	if err := d.command(SLPOUT); err != nil {
		return err
	}
	d.cfg.Sleep(120 * time.Millisecond)
	return d.command(DISPON)
}

// Halt turns the backlight and the display off.
func (d *Dev) Halt() error {
	return errors.Join(d.SetBacklight(0), d.Sleep(true))
}

// String names the driver.
func (d *Dev) String() string {
	return fmt.Sprintf("%s{%dx%d rot %d}", d.cfg.Name, d.w, d.h, d.cfg.Rotation)
}
