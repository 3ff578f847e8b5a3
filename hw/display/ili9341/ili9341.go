// Package ili9341 drives Ilitek ILI9341 TFT controllers (240×320) over 4-wire
// SPI.
package ili9341

import (
	"time"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/terminald/terminald/hw/display/mipidbi"
)

// ILI9341-specific commands.
const (
	PASET    = mipidbi.RASET // page address set
	PWCTR1   = 0xC0          // power control 1
	PWCTR2   = 0xC1          // power control 2
	VMCTR1   = 0xC5          // VCOM control 1
	VMCTR2   = 0xC7          // VCOM control 2
	VSCRSADD = 0x37          // vertical scrolling start address
	FRMCTR1  = 0xB1          // frame rate control (normal mode)
	DFUNCTR  = 0xB6          // display function control
	GAMMASET = 0x26          // gamma curve select
	GMCTRP1  = 0xE0          // positive gamma correction
	GMCTRN1  = 0xE1          // negative gamma correction
)

// MADCTL values for rotations 0, 90, 180 and 270 (content turned clockwise on
// the panel). ILI9341 modules mount the glass mirrored in X, hence MX at 0°.
var madctl = [4]byte{mipidbi.MX, mipidbi.MV, mipidbi.MY, mipidbi.MX | mipidbi.MY | mipidbi.MV}

// DefaultFrequency is the SPI clock used when Opts.Frequency is zero.
const DefaultFrequency = 32 * physic.MegaHertz

// Opts configures the panel. The zero value is the common 240×320 module:
// BGR colour order, no inversion, rotation 0.
type Opts struct {
	Rotation  int                 // 0, 90, 180 or 270
	RGB       bool                // panel has RGB colour order (most modules are BGR)
	Invert    bool                // send INVON (some IPS modules)
	Frequency physic.Frequency    // SPI clock; 0 means DefaultFrequency
	Mode      spi.Mode            // SPI mode
	MaxTx     int                 // largest SPI transfer; 0 means 4096 (spidev bufsiz)
	Sleep     func(time.Duration) // nil means time.Sleep; tests inject a no-op
}

// Dev is an ILI9341 display; see mipidbi.Dev for its methods.
type Dev = mipidbi.Dev

// Dev is a periph display.Drawer (String, Halt, ColorModel, Bounds, Draw).
var _ display.Drawer = (*Dev)(nil)

// InitSequence returns the commands sent after the reset pulse. MADCTL's
// parameter is replaced by the rotation's value.
func InitSequence(invert bool) []mipidbi.Cmd {
	inv := byte(mipidbi.INVOFF)
	if invert {
		inv = mipidbi.INVON
	}
	return []mipidbi.Cmd{
		{Op: mipidbi.SWRESET, Delay: 150 * time.Millisecond},
		{Op: 0xEF, Data: []byte{0x03, 0x80, 0x02}},
		{Op: 0xCF, Data: []byte{0x00, 0xC1, 0x30}},             // power control B
		{Op: 0xED, Data: []byte{0x64, 0x03, 0x12, 0x81}},       // power on sequence
		{Op: 0xE8, Data: []byte{0x85, 0x00, 0x78}},             // driver timing A
		{Op: 0xCB, Data: []byte{0x39, 0x2C, 0x00, 0x34, 0x02}}, // power control A
		{Op: 0xF7, Data: []byte{0x20}},                         // pump ratio
		{Op: 0xEA, Data: []byte{0x00, 0x00}},                   // driver timing B
		{Op: PWCTR1, Data: []byte{0x23}},
		{Op: PWCTR2, Data: []byte{0x10}},
		{Op: VMCTR1, Data: []byte{0x3E, 0x28}},
		{Op: VMCTR2, Data: []byte{0x86}},
		{Op: mipidbi.MADCTL, Data: []byte{0}},
		{Op: VSCRSADD, Data: []byte{0x00}},
		{Op: mipidbi.COLMOD, Data: []byte{0x55}},
		{Op: FRMCTR1, Data: []byte{0x00, 0x18}},
		{Op: DFUNCTR, Data: []byte{0x08, 0x82, 0x27}},
		{Op: 0xF2, Data: []byte{0x00}}, // 3-gamma off
		{Op: GAMMASET, Data: []byte{0x01}},
		{Op: GMCTRP1, Data: []byte{0x0F, 0x31, 0x2B, 0x0C, 0x0E, 0x08, 0x4E, 0xF1, 0x37, 0x07, 0x10, 0x03, 0x0E, 0x09, 0x00}},
		{Op: GMCTRN1, Data: []byte{0x00, 0x0E, 0x14, 0x03, 0x11, 0x07, 0x31, 0xC1, 0x48, 0x08, 0x0F, 0x0C, 0x31, 0x36, 0x0F}},
		{Op: inv},
		{Op: mipidbi.SLPOUT, Delay: 120 * time.Millisecond},
		{Op: mipidbi.NORON, Delay: 10 * time.Millisecond},
		{Op: mipidbi.DISPON, Delay: 20 * time.Millisecond},
	}
}

// Config returns the mipidbi configuration for opts (nil means defaults).
func Config(opts *Opts) mipidbi.Config {
	var o Opts
	if opts != nil {
		o = *opts
	}
	return mipidbi.Config{
		Name: "ili9341", MemWidth: 240, MemHeight: 320, Width: 240, Height: 320,
		Rotation: o.Rotation, MADCTL: madctl, BGR: !o.RGB,
		Init: InitSequence(o.Invert), MaxTx: o.MaxTx, Sleep: o.Sleep,
	}
}

// New connects to p, resets the controller (hardware reset when rst is not
// nil, then SWRESET) and initialises it. dc is required; bl may be nil.
func New(p spi.Port, dc, rst, bl gpio.PinOut, opts *Opts) (*Dev, error) {
	f, mode := DefaultFrequency, spi.Mode0
	if opts != nil {
		if opts.Frequency != 0 {
			f = opts.Frequency
		}
		mode = opts.Mode
	}
	return mipidbi.Connect(p, f, mode, dc, rst, bl, Config(opts))
}
