// Package emulator models an ST7789 or ILI9341 display controller and its
// panel in memory. It implements spi.Port and spi.Conn plus gpio.PinOut pins
// for D/C and RST, so the real drivers can be pointed at it, and decodes the
// command and pixel stream as the controller would.
package emulator

import (
	"fmt"
	"image"
	"image/color"
	"sync"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// Controller selects the controller being modelled.
type Controller int

// Supported controllers.
const (
	ST7789 Controller = iota
	ILI9341
)

func (c Controller) String() string {
	if c == ILI9341 {
		return "ili9341"
	}
	return "st7789"
}

// Opts describes the controller and the glass behind it.
type Opts struct {
	Controller           Controller
	Width, Height        int  // visible glass in native (portrait) orientation; 0 means 240×320
	ColOffset, RowOffset int  // glass position in controller memory
	Rotation             int  // how the viewer holds the panel; Image turns the glass back by this
	BGRPanel             bool // glass has BGR subpixels: colours are right only with MADCTL BGR set
	InvertedPanel        bool // IPS glass: colours are right only with INVON
	MirrorX              bool // glass columns run opposite to memory columns (ILI9341 modules)
}

// DefaultOpts returns the glass that the drivers' zero Opts expect: an IPS
// RGB panel for the ST7789, a BGR panel mirrored in X for the ILI9341.
func DefaultOpts(c Controller) Opts {
	if c == ILI9341 {
		return Opts{Controller: c, Width: 240, Height: 320, BGRPanel: true, MirrorX: true}
	}
	return Opts{Controller: c, Width: 240, Height: 320, InvertedPanel: true}
}

// State is the controller's register state.
type State struct {
	MADCTL    byte
	COLMOD    byte
	Inverted  bool
	Sleeping  bool
	DisplayOn bool
	Column    [2]int // CASET start, end (inclusive)
	Page      [2]int // RASET/PASET start, end (inclusive)
}

// Stats counts what the controller received.
type Stats struct {
	Bytes     int64 // every byte over SPI
	Transfers int64 // SPI transfers (Tx calls, packets): on a board, one spidev ioctl each
	Commands  int64 // command bytes (D/C low)
	Pixels    int64 // pixels written to memory (inside or outside the glass)
	Resets    int64 // hardware and software resets
}

const (
	memW = 240
	memH = 320
)

// Panel is the emulated controller and glass.
type Panel struct {
	mu    sync.Mutex
	opts  Opts
	mem   []uint16
	st    State
	dc    gpio.Level
	rst   gpio.Level
	cmd   byte
	args  []byte
	pix   []byte // partial pixel bytes
	cx    int
	cy    int
	stats Stats
}

// New returns an emulated panel; nil opts means DefaultOpts(ST7789).
func New(opts *Opts) (*Panel, error) {
	o := DefaultOpts(ST7789)
	if opts != nil {
		o = *opts
	}
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = 240, 320
	}
	if o.Width <= 0 || o.Height <= 0 || o.ColOffset < 0 || o.RowOffset < 0 ||
		o.ColOffset+o.Width > memW || o.RowOffset+o.Height > memH {
		return nil, fmt.Errorf("emulator: glass %dx%d at %d,%d does not fit memory %dx%d",
			o.Width, o.Height, o.ColOffset, o.RowOffset, memW, memH)
	}
	switch o.Rotation {
	case 0, 90, 180, 270:
	default:
		return nil, fmt.Errorf("emulator: rotation %d: want 0, 90, 180 or 270", o.Rotation)
	}
	p := &Panel{opts: o, mem: make([]uint16, memW*memH), rst: gpio.High}
	p.reset()
	return p, nil
}

// reset puts the registers in their power-on state; p.mu must be held.
func (p *Panel) reset() {
	p.st = State{COLMOD: 0x66, Sleeping: true, Column: [2]int{0, memW - 1}, Page: [2]int{0, memH - 1}}
	p.cmd = 0
	p.args = p.args[:0]
	p.pix = p.pix[:0]
	p.stats.Resets++
}

// String implements spi.Port.
func (p *Panel) String() string { return "emulator(" + p.opts.Controller.String() + ")" }

// Connect implements spi.Port. The emulator accepts any clock and mode with
// 8 bits per word.
func (p *Panel) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	if bits != 8 {
		return nil, fmt.Errorf("emulator: %d bits per word: want 8", bits)
	}
	return p, nil
}

// Tx implements conn.Conn: w is decoded with the current D/C level; r, if
// any, reads back zeros.
func (p *Panel) Tx(w, r []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Transfers++
	p.feed(p.dc == gpio.High, w)
	clear(r)
	return nil
}

// Duplex implements conn.Conn.
func (p *Panel) Duplex() conn.Duplex { return conn.Half }

// TxPackets implements spi.Conn.
func (p *Panel) TxPackets(pk []spi.Packet) error {
	for _, x := range pk {
		if err := p.Tx(x.W, x.R); err != nil {
			return err
		}
	}
	return nil
}

// Write implements io.Writer, for drivers that use it.
func (p *Panel) Write(b []byte) (int, error) {
	return len(b), p.Tx(b, nil)
}

// Feed decodes bytes as if sent over SPI with D/C at the given level (true:
// data, false: commands).
func (p *Panel) Feed(data bool, b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.feed(data, b)
}

func (p *Panel) feed(data bool, b []byte) {
	p.stats.Bytes += int64(len(b))
	if p.rst == gpio.Low {
		return // held in reset: input ignored
	}
	if !data {
		for _, c := range b {
			p.command(c)
		}
		return
	}
	for _, v := range b {
		p.data(v)
	}
}

func (p *Panel) command(c byte) {
	p.stats.Commands++
	p.cmd = c
	p.args = p.args[:0]
	p.pix = p.pix[:0]
	switch c {
	case 0x01: // SWRESET
		p.reset()
	case 0x10:
		p.st.Sleeping = true
	case 0x11:
		p.st.Sleeping = false
	case 0x20:
		p.st.Inverted = false
	case 0x21:
		p.st.Inverted = true
	case 0x28:
		p.st.DisplayOn = false
	case 0x29:
		p.st.DisplayOn = true
	case 0x2C: // RAMWR: restart at the window origin
		p.cx, p.cy = p.st.Column[0], p.st.Page[0]
	}
}

func (p *Panel) data(v byte) {
	switch p.cmd {
	case 0x2A, 0x2B:
		p.args = append(p.args, v)
		if len(p.args) == 4 {
			s := int(p.args[0])<<8 | int(p.args[1])
			e := int(p.args[2])<<8 | int(p.args[3])
			if p.cmd == 0x2A {
				p.st.Column = [2]int{s, e}
			} else {
				p.st.Page = [2]int{s, e}
			}
		}
	case 0x36:
		if len(p.args) == 0 {
			p.st.MADCTL = v
		}
		p.args = append(p.args[:0], v)
	case 0x3A:
		if len(p.args) == 0 {
			p.st.COLMOD = v
		}
		p.args = append(p.args[:0], v)
	case 0x2C, 0x3C: // RAMWR, RAMWRC
		p.pix = append(p.pix, v)
		if p.st.COLMOD&0x07 == 0x05 {
			if len(p.pix) == 2 {
				p.pixel(uint16(p.pix[0])<<8 | uint16(p.pix[1]))
				p.pix = p.pix[:0]
			}
			return
		}
		if len(p.pix) == 3 { // 18 bits: 6 bits per channel in the top of each byte
			r, g, b := p.pix[0], p.pix[1], p.pix[2]
			p.pixel(uint16(r&0xF8)<<8 | uint16(g&0xFC)<<3 | uint16(b>>3))
			p.pix = p.pix[:0]
		}
	}
}

// pixel stores one pixel at the address counter and advances it within the
// window, wrapping to the start as the controller does.
func (p *Panel) pixel(v uint16) {
	p.stats.Pixels++
	c, r := p.cx, p.cy
	m := p.st.MADCTL
	var mx, my int
	if m&0x20 != 0 { // MV
		mx, my = r, c
	} else {
		mx, my = c, r
	}
	if m&0x40 != 0 { // MX
		mx = memW - 1 - mx
	}
	if m&0x80 != 0 { // MY
		my = memH - 1 - my
	}
	if mx >= 0 && mx < memW && my >= 0 && my < memH {
		p.mem[my*memW+mx] = v
	}
	p.cx++
	if p.cx > p.st.Column[1] || p.cx > 0xFFFF {
		p.cx = p.st.Column[0]
		p.cy++
		if p.cy > p.st.Page[1] || p.cy > 0xFFFF {
			p.cy = p.st.Page[0]
		}
	}
}

// State returns the controller's register state.
func (p *Panel) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

// Stats returns the counters.
func (p *Panel) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// ResetStats zeroes the counters.
func (p *Panel) ResetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats = Stats{}
}

// Glass returns what the glass shows in its native orientation: black while
// the display is off or asleep, colours as the panel's colour order and
// inversion make them.
func (p *Panel) Glass() *image.RGBA {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.opts
	img := image.NewRGBA(image.Rect(0, 0, o.Width, o.Height))
	if !p.st.DisplayOn || p.st.Sleeping || p.rst == gpio.Low {
		for i := 3; i < len(img.Pix); i += 4 {
			img.Pix[i] = 0xff
		}
		return img
	}
	swap := (p.st.MADCTL&0x08 != 0) != o.BGRPanel
	invert := p.st.Inverted != o.InvertedPanel
	for gy := 0; gy < o.Height; gy++ {
		for gx := 0; gx < o.Width; gx++ {
			mx := o.ColOffset + gx
			if o.MirrorX {
				mx = o.ColOffset + o.Width - 1 - gx
			}
			v := p.mem[(o.RowOffset+gy)*memW+mx]
			r, g, b := Expand565(v)
			if swap {
				r, b = b, r
			}
			if invert {
				r, g, b = ^r, ^g, ^b
			}
			i := img.PixOffset(gx, gy)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = r, g, b, 0xff
		}
	}
	return img
}

// Image returns the glass as the viewer sees it, turned back by
// Opts.Rotation: with the driver at the same rotation it equals what was drawn.
func (p *Panel) Image() *image.RGBA {
	g := p.Glass()
	w, h := g.Bounds().Dx(), g.Bounds().Dy()
	var out *image.RGBA
	switch p.opts.Rotation {
	case 90, 270:
		out = image.NewRGBA(image.Rect(0, 0, h, w))
	default:
		out = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			var gx, gy int
			switch p.opts.Rotation {
			case 0:
				gx, gy = x, y
			case 90: // content was turned clockwise onto the glass
				gx, gy = w-1-y, x
			case 180:
				gx, gy = w-1-x, h-1-y
			case 270:
				gx, gy = y, h-1-x
			}
			si := g.PixOffset(gx, gy)
			di := out.PixOffset(x, y)
			copy(out.Pix[di:di+4], g.Pix[si:si+4])
		}
	}
	return out
}

// Expand565 turns an RGB565 value into 8-bit channels.
func Expand565(v uint16) (r, g, b uint8) {
	r5, g6, b5 := uint8(v>>11), uint8(v>>5)&0x3F, uint8(v)&0x1F
	return r5<<3 | r5>>2, g6<<2 | g6>>4, b5<<3 | b5>>2
}

// Quantize returns img as the panel would show it: each pixel through RGB565
// and back. Tests compare emulator output against it.
func Quantize(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			v := uint16(c.R&0xF8)<<8 | uint16(c.G&0xFC)<<3 | uint16(c.B>>3)
			r, g, bb := Expand565(v)
			out.SetRGBA(x-b.Min.X, y-b.Min.Y, color.RGBA{r, g, bb, 0xff})
		}
	}
	return out
}

// DC returns the D/C pin: low for commands, high for data.
func (p *Panel) DC() gpio.PinOut { return &pin{p: p, name: "DC", dc: true} }

// RST returns the reset pin: low holds the controller in reset; the rising
// edge resets it.
func (p *Panel) RST() gpio.PinOut { return &pin{p: p, name: "RST"} }

type pin struct {
	p    *Panel
	name string
	dc   bool
}

func (x *pin) String() string   { return "emulator." + x.name }
func (x *pin) Halt() error      { return nil }
func (x *pin) Name() string     { return x.name }
func (x *pin) Number() int      { return -1 }
func (x *pin) Function() string { return "Out" }

func (x *pin) Out(l gpio.Level) error {
	x.p.mu.Lock()
	defer x.p.mu.Unlock()
	if x.dc {
		x.p.dc = l
		return nil
	}
	if x.p.rst == gpio.Low && l == gpio.High {
		x.p.reset()
	}
	x.p.rst = l
	return nil
}

func (x *pin) PWM(gpio.Duty, physic.Frequency) error {
	return fmt.Errorf("emulator: %s: PWM not supported", x.name)
}
