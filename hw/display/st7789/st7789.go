// Package st7789 drives Sitronix ST7789 TFT controllers (240×320 memory;
// common panels are 240×320, 240×240 and 135×240) over 4-wire SPI.
package st7789

import (
	"time"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/terminald/terminald/hw/display/mipidbi"
)

// ST7789-specific commands.
const (
	PORCTRL   = 0xB2 // porch setting
	FRCTRL2   = 0xC6 // frame rate control in normal mode
	PVGAMCTRL = 0xE0 // positive voltage gamma
	NVGAMCTRL = 0xE1 // negative voltage gamma
)

// MADCTL values for rotations 0, 90, 180 and 270 (content turned clockwise on
// the panel). Mirror/exchange conventions differ between panel makers: check
// the picture on the real panel.
var madctl = [4]byte{0, mipidbi.MX | mipidbi.MV, mipidbi.MX | mipidbi.MY, mipidbi.MY | mipidbi.MV}

// DefaultFrequency is the SPI clock used when Opts.Frequency is zero.
const DefaultFrequency = 40 * physic.MegaHertz

// Opts configures the panel. The zero value is a 240×320 IPS panel in RGB
// order with inversion on, rotation 0.
type Opts struct {
	Width, Height        int                 // panel size in native (portrait) orientation; 0 means 240×320
	ColOffset, RowOffset int                 // panel position in the 240×320 memory (native orientation)
	Rotation             int                 // 0, 90, 180 or 270
	BGR                  bool                // panel has BGR colour order
	NoInvert             bool                // send INVOFF (non-IPS panels); IPS panels need INVON
	Frequency            physic.Frequency    // SPI clock; 0 means DefaultFrequency
	Mode                 spi.Mode            // SPI mode; boards without CS often need spi.Mode3
	MaxTx                int                 // largest SPI transfer; 0 means 4096 (spidev bufsiz)
	Sleep                func(time.Duration) // nil means time.Sleep; tests inject a no-op
}

// Dev is an ST7789 display; see mipidbi.Dev for its methods.
type Dev = mipidbi.Dev

// Dev is a periph display.Drawer (String, Halt, ColorModel, Bounds, Draw).
var _ display.Drawer = (*Dev)(nil)

// InitSequence returns the commands sent after the reset pulse. MADCTL's
// parameter is replaced by the rotation's value.
func InitSequence(invert bool) []mipidbi.Cmd {
	inv := byte(mipidbi.INVON)
	if !invert {
		inv = mipidbi.INVOFF
	}
	return []mipidbi.Cmd{
		{Op: mipidbi.SWRESET, Delay: 150 * time.Millisecond},
		{Op: mipidbi.SLPOUT, Delay: 120 * time.Millisecond},
		{Op: mipidbi.COLMOD, Data: []byte{0x55}, Delay: 10 * time.Millisecond},
		{Op: mipidbi.MADCTL, Data: []byte{0}},
		{Op: PORCTRL, Data: []byte{0x0C, 0x0C, 0x00, 0x33, 0x33}},
		{Op: FRCTRL2, Data: []byte{0x0F}},
		{Op: PVGAMCTRL, Data: []byte{0xD0, 0x04, 0x0D, 0x11, 0x13, 0x2B, 0x3F, 0x54, 0x4C, 0x18, 0x0D, 0x0B, 0x1F, 0x23}},
		{Op: NVGAMCTRL, Data: []byte{0xD0, 0x04, 0x0C, 0x11, 0x13, 0x2C, 0x3F, 0x44, 0x51, 0x2F, 0x1F, 0x1F, 0x20, 0x23}},
		{Op: inv},
		{Op: mipidbi.NORON, Delay: 10 * time.Millisecond},
		{Op: mipidbi.DISPON, Delay: 10 * time.Millisecond},
	}
}

// Config returns the mipidbi configuration for opts (nil means defaults).
func Config(opts *Opts) mipidbi.Config {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = 240, 320
	}
	return mipidbi.Config{
		Name: "st7789", MemWidth: 240, MemHeight: 320,
		Width: o.Width, Height: o.Height, ColOffset: o.ColOffset, RowOffset: o.RowOffset,
		Rotation: o.Rotation, MADCTL: madctl, BGR: o.BGR,
		Init: InitSequence(!o.NoInvert), MaxTx: o.MaxTx, Sleep: o.Sleep,
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
