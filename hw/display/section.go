package display

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/terminald/terminald/hw/display/ili9341"
	"github.com/terminald/terminald/hw/display/mipidbi"
	"github.com/terminald/terminald/hw/display/st7789"
)

// Section is the [display] section of terminald.toml: the toml tags are the keys,
// DefaultSection the values of keys left out, Validate the check. Config and Options
// turn it into what Open and New take.
type Section struct {
	Driver         string        `toml:"driver"`   // "st7789", "ili9341", "fbdev" or "none" (an in-memory screen)
	SPIPort        string        `toml:"spi_port"` // SPI device, e.g. "/dev/spidev0.0"
	SpeedHz        int64         `toml:"speed_hz"` // SPI clock in Hz
	SPIMode3       bool          `toml:"spi_mode3"`
	MaxTx          int           `toml:"max_tx"`           // largest SPI transfer in bytes
	SPITransferGap time.Duration `toml:"spi_transfer_gap"` // bus time a transfer costs beyond its bytes (Options.TransferCost); 0: count bytes only
	DCPin          string        `toml:"dc_pin"`
	ResetPin       string        `toml:"reset_pin"`
	BacklightPin   string        `toml:"backlight_pin"`
	Width          int           `toml:"width"`  // native (portrait) panel size
	Height         int           `toml:"height"` //
	Rotation       int           `toml:"rotation"`
	OffsetX        int           `toml:"offset_x"` // st7789: panel position in controller memory
	OffsetY        int           `toml:"offset_y"`
	BGR            bool          `toml:"bgr"`
	Invert         *bool         `toml:"invert"` // nil: the driver's default (st7789 on, ili9341 off)
	Framebuffer    string        `toml:"framebuffer"`
	BacklightSysfs string        `toml:"backlight_sysfs"`
	DimAfter       time.Duration `toml:"dim_after"`   // idle time before dimming
	SleepAfter     time.Duration `toml:"sleep_after"` // idle time before the backlight goes off
}

// DefaultSection returns the [display] section before the file is read.
func DefaultSection() Section {
	return Section{Driver: "none", SPIPort: "/dev/spidev0.0", SpeedHz: 40_000_000, MaxTx: mipidbi.DefaultMaxTx,
		SPITransferGap: DefaultSPITransferGap, DCPin: "GPIO25",
		ResetPin: "GPIO27", BacklightPin: "GPIO18", Width: 240, Height: 320, Framebuffer: "/dev/fb1",
		DimAfter: 60 * time.Second, SleepAfter: 10 * time.Minute}
}

// Validate reports every bad setting at once, each naming the display.KEY and the value.
// A panel size is checked against what the chosen driver can drive.
func (s Section) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	need := func(key, v string) {
		if strings.TrimSpace(v) == "" {
			bad("display.%s: missing (driver %q needs it)", key, s.Driver)
		}
	}
	switch s.Driver {
	case "none":
		if s.Width <= 0 || s.Height <= 0 {
			bad("display.width/height: %dx%d: must be positive", s.Width, s.Height)
		}
	case "fbdev":
		need("framebuffer", s.Framebuffer)
	case "st7789", "ili9341":
		need("spi_port", s.SPIPort)
		need("dc_pin", s.DCPin)
		switch s.Rotation {
		case 0, 90, 180, 270:
		default:
			bad("display.rotation: %d: 0, 90, 180 or 270", s.Rotation)
		}
		if s.SpeedHz <= 0 || s.SpeedHz > 125_000_000 {
			bad("display.speed_hz: %d: 1 to 125000000", s.SpeedHz)
		}
		if s.MaxTx < 4 {
			bad("display.max_tx: %d: at least 4 (bytes)", s.MaxTx)
		}
		if s.SPITransferGap < 0 || s.SPITransferGap > time.Millisecond {
			bad("display.spi_transfer_gap: %q: the bus time one SPI transfer costs, from \"0s\" to \"1ms\" (default \"15us\")", s.SPITransferGap.String())
		}
		var mc mipidbi.Config
		if s.Driver == "st7789" {
			mc = st7789.Config(&st7789.Opts{Width: s.Width, Height: s.Height, ColOffset: s.OffsetX, RowOffset: s.OffsetY})
		} else {
			mc = ili9341.Config(nil)
		}
		if s.Width != mc.Width || s.Height != mc.Height || s.OffsetX != mc.ColOffset || s.OffsetY != mc.RowOffset ||
			mc.Width <= 0 || mc.Height <= 0 || mc.ColOffset < 0 || mc.RowOffset < 0 ||
			mc.ColOffset+mc.Width > mc.MemWidth || mc.RowOffset+mc.Height > mc.MemHeight {
			bad("display.width/height: %dx%d at offset %d,%d: the %s driver cannot drive it (its memory is %dx%d; give the panel's native portrait size)",
				s.Width, s.Height, s.OffsetX, s.OffsetY, s.Driver, mc.MemWidth, mc.MemHeight)
		}
	default:
		bad("display.driver: %q: st7789, ili9341, fbdev or none", s.Driver)
	}
	if s.DimAfter <= 0 {
		bad("display.dim_after: %q: must be a positive duration", s.DimAfter.String())
	}
	if s.SleepAfter <= 0 {
		bad("display.sleep_after: %q: must be a positive duration", s.SleepAfter.String())
	}
	return errors.Join(errs...)
}

// Config returns what Open takes for a panel driver (not for "none").
func (s Section) Config() Config {
	invert := s.Invert == nil || *s.Invert
	return Config{Driver: s.Driver, SPI: s.SPIPort, DC: s.DCPin, Reset: s.ResetPin, Backlight: s.BacklightPin,
		Width: s.Width, Height: s.Height, ColOffset: s.OffsetX, RowOffset: s.OffsetY, Rotation: s.Rotation, BGR: s.BGR,
		Invert: s.Driver == "ili9341" && s.Invert != nil && *s.Invert, NoInvert: s.Driver == "st7789" && !invert,
		Frequency: physic.Frequency(s.SpeedHz) * physic.Hertz, Mode3: s.SPIMode3, MaxTx: s.MaxTx,
		Framebuffer: s.Framebuffer, BacklightSysfs: s.BacklightSysfs}
}

// DefaultSPITransferGap is display.spi_transfer_gap's default: back-to-back spidev
// transfers on a Raspberry Pi leave 10.7–19.3 µs between them on the bus (chip select
// high, measured with a scope in raspberrypi/linux#4567); at 40 MHz 15 µs is 75 bytes.
const DefaultSPITransferGap = 15 * time.Microsecond

// Options returns the Screen options of the section: for an SPI panel, the transfer
// gap as bytes of wire time at the SPI clock (Options.TransferCost).
func (s Section) Options(log *slog.Logger) *Options {
	o := &Options{DimAfter: s.DimAfter, OffAfter: s.SleepAfter, Logger: log, WaitDelay: DefaultWaitDelay}
	if s.Driver == "st7789" || s.Driver == "ili9341" {
		o.TransferCost = int(s.SPITransferGap.Nanoseconds() * s.SpeedHz / 8 / 1e9)
	}
	return o
}
