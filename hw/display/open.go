package display

import (
	"fmt"
	"io"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"

	"github.com/terminald/terminald/hw/display/fbdev"
	"github.com/terminald/terminald/hw/display/ili9341"
	"github.com/terminald/terminald/hw/display/mipidbi"
	"github.com/terminald/terminald/hw/display/st7789"
	"github.com/terminald/terminald/hw/gpiopin"
)

// Config selects and wires a display backend; it maps onto the [display]
// section of the configuration file.
type Config struct {
	Driver    string // "st7789", "ili9341" or "fbdev"
	SPI       string // SPI port, e.g. "/dev/spidev0.0"; "" is the first one
	DC        string // D/C pin, e.g. "GPIO25" (required for SPI panels)
	Reset     string // reset pin, e.g. "GPIO27"; "" for none
	Backlight string // backlight pin, e.g. "GPIO18"; "" for none

	Width, Height        int              // native panel size (st7789; 0 means 240×320)
	ColOffset, RowOffset int              // panel position in controller memory (st7789)
	Rotation             int              // 0, 90, 180, 270
	BGR                  bool             // st7789: BGR panel
	RGB                  bool             // ili9341: RGB panel
	Invert               bool             // ili9341: INVON
	NoInvert             bool             // st7789: INVOFF
	Frequency            physic.Frequency // SPI clock; 0 means the driver's default
	Mode3                bool             // SPI mode 3 (ST7789 boards without CS)
	MaxTx                int              // largest SPI transfer; 0 means 4096

	Framebuffer    string // fbdev device, e.g. "/dev/fb1"
	BacklightSysfs string // fbdev: /sys/class/backlight/NAME, optional
}

// PanelCloser is a Panel that holds open devices.
type PanelCloser interface {
	Panel
	io.Closer
}

type spiPanel struct {
	*mipidbi.Dev
	port spi.PortCloser
}

func (p *spiPanel) Close() error {
	err := p.Dev.Halt()
	if cerr := p.port.Close(); err == nil {
		err = cerr
	}
	return err
}

// pinByName looks up a GPIO; what names the config key for the error.
func pinByName(what, name string) (gpio.PinOut, error) {
	if name == "" {
		return nil, nil
	}
	return gpiopin.ByName("display: "+what+" pin", name)
}

// Open initialises the host drivers and opens the configured panel. It is the
// only code here that touches device paths.
func Open(cfg Config) (PanelCloser, error) {
	driver := strings.ToLower(cfg.Driver)
	if driver == "fbdev" {
		fb, err := fbdev.Open(cfg.Framebuffer)
		if err != nil {
			return nil, err
		}
		if cfg.BacklightSysfs != "" {
			if err := fb.UseBacklight(cfg.BacklightSysfs); err != nil {
				fb.Close()
				return nil, err
			}
		}
		return fb, nil
	}
	if driver != "st7789" && driver != "ili9341" {
		return nil, fmt.Errorf("display: unknown driver %q: want st7789, ili9341 or fbdev", cfg.Driver)
	}
	if cfg.DC == "" {
		return nil, fmt.Errorf("display: %s needs a D/C pin (dc = \"GPIO25\")", driver)
	}
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("display: host init: %w", err)
	}
	dc, err := pinByName("D/C", cfg.DC)
	if err != nil {
		return nil, err
	}
	rst, err := pinByName("reset", cfg.Reset)
	if err != nil {
		return nil, err
	}
	bl, err := pinByName("backlight", cfg.Backlight)
	if err != nil {
		return nil, err
	}
	port, err := spireg.Open(cfg.SPI)
	if err != nil {
		return nil, fmt.Errorf("display: open SPI %q: %w", cfg.SPI, err)
	}
	mode := spi.Mode0
	if cfg.Mode3 {
		mode = spi.Mode3
	}
	var dev *mipidbi.Dev
	if driver == "st7789" {
		dev, err = st7789.New(port, dc, rst, bl, &st7789.Opts{
			Width: cfg.Width, Height: cfg.Height, ColOffset: cfg.ColOffset, RowOffset: cfg.RowOffset,
			Rotation: cfg.Rotation, BGR: cfg.BGR, NoInvert: cfg.NoInvert,
			Frequency: cfg.Frequency, Mode: mode, MaxTx: cfg.MaxTx, Sleep: time.Sleep,
		})
	} else {
		dev, err = ili9341.New(port, dc, rst, bl, &ili9341.Opts{
			Rotation: cfg.Rotation, RGB: cfg.RGB, Invert: cfg.Invert,
			Frequency: cfg.Frequency, Mode: mode, MaxTx: cfg.MaxTx, Sleep: time.Sleep,
		})
	}
	if err != nil {
		port.Close()
		return nil, fmt.Errorf("display: %w", err)
	}
	return &spiPanel{Dev: dev, port: port}, nil
}
