package printer

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/serialport"
)

// Section is the [printer] section of terminald.toml: the toml tags are the keys,
// DefaultSection the values of keys left out, Validate the check, Config what the
// Open functions take.
type Section struct {
	Driver        string        `toml:"driver"` // "serial", "usb" or "none"
	Device        string        `toml:"device"` // /dev/ttyUSB0 (serial) or /dev/usb/lp0 (usb)
	Baud          int           `toml:"baud"`
	Parity        string        `toml:"parity"` // "none", "odd", "even"
	StopBits      int           `toml:"stop_bits"`
	FlowControl   string        `toml:"flow_control"` // "none", "pace" (256-byte chunks, 20 ms apart), "xonxoff"
	Width         int           `toml:"width"`        // paper width in mm: 58 or 80
	CodePage      string        `toml:"codepage"`     // "pc858", "cp437", "wpc1252"
	NativeQR      bool          `toml:"native_qr"`    // false: QR codes as raster images
	QRModuleSize  int           `toml:"qr_module_size"`
	PartialCut    bool          `toml:"partial_cut"`
	StatusTimeout time.Duration `toml:"status_timeout"`
	Logo          string        `toml:"logo"`          // PNG file printed at the top
	MerchantCopy  bool          `toml:"merchant_copy"` // a merchant copy of each sale receipt (the flow prints it)
}

// Serial speeds a printer may be set to.
var bauds = []int{2400, 4800, 9600, 19200, 38400, 57600, 115200}

// DefaultSection returns the [printer] section before the file is read.
func DefaultSection() Section {
	return Section{Driver: "none", Baud: 19200, Parity: "none", StopBits: 1, FlowControl: "pace", Width: 58,
		CodePage: "pc858", NativeQR: true, QRModuleSize: 6, StatusTimeout: 300 * time.Millisecond}
}

// Validate reports every bad setting at once, each naming the printer.KEY and the value.
// The logo is read and converted as it will be at start.
func (s Section) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch s.Driver {
	case "none":
	case "serial", "usb":
		if s.Device == "" {
			bad("printer.device: missing (driver %q needs it)", s.Driver)
		}
	default:
		bad("printer.driver: %q: serial, usb or none", s.Driver)
	}
	paper, err := escpos.PaperFor(s.Width)
	if err != nil {
		bad("printer.width: %d: 58 or 80 (mm)", s.Width)
	}
	if _, err := escpos.ParseCodePage(s.CodePage); err != nil {
		bad("printer.codepage: %q: pc858, cp437 or wpc1252", s.CodePage)
	}
	switch s.FlowControl {
	case "none", "pace", "xonxoff":
	default:
		bad("printer.flow_control: %q: none, pace or xonxoff", s.FlowControl)
	}
	switch s.Parity {
	case "none", "odd", "even":
	default:
		bad("printer.parity: %q: none, odd or even", s.Parity)
	}
	if s.StopBits != 1 && s.StopBits != 2 {
		bad("printer.stop_bits: %d: 1 or 2", s.StopBits)
	}
	if !slices.Contains(bauds, s.Baud) {
		bad("printer.baud: %d: one of %v", s.Baud, bauds)
	}
	if s.QRModuleSize < 1 || s.QRModuleSize > 16 {
		bad("printer.qr_module_size: %d: 1 to 16 (dots)", s.QRModuleSize)
	}
	if s.StatusTimeout <= 0 {
		bad("printer.status_timeout: %q: must be a positive duration", s.StatusTimeout.String())
	}
	if s.Logo != "" && err == nil {
		if _, err := s.loadLogo(paper); err != nil {
			bad("printer.logo: %q: %v", s.Logo, err)
		}
	}
	return errors.Join(errs...)
}

// loadLogo reads the logo as a raster at most half the paper wide.
func (s Section) loadLogo(paper escpos.Paper) (*escpos.Raster, error) {
	f, err := os.Open(s.Logo)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	return LoadLogo(f, paper.Dots/2, true)
}

// Config returns the printer configuration of a validated section: layout (with the
// logo loaded), pacing and status timeout.
func (s Section) Config(log *slog.Logger) (Config, error) {
	paper, err := escpos.PaperFor(s.Width)
	if err != nil {
		return Config{}, fmt.Errorf("printer.width: %w", err)
	}
	cp, err := escpos.ParseCodePage(s.CodePage)
	if err != nil {
		return Config{}, fmt.Errorf("printer.codepage: %w", err)
	}
	layout := Layout{Paper: paper, CodePage: cp, RasterQR: !s.NativeQR, QRModuleSize: s.QRModuleSize, PartialCut: s.PartialCut}
	if s.Logo != "" {
		if layout.Logo, err = s.loadLogo(paper); err != nil {
			return Config{}, fmt.Errorf("printer.logo: %q: %w", s.Logo, err)
		}
	}
	c := Config{Layout: layout, StatusTimeout: s.StatusTimeout, Logger: log}
	switch s.FlowControl {
	case "xonxoff":
		c.Pacing.XONXOFF = true
	case "pace":
		c.Pacing.ChunkSize, c.Pacing.Pause = 256, 20*time.Millisecond
	}
	return c, nil
}

// Serial returns the serial line settings of a "serial" section.
func (s Section) Serial() serialport.Config {
	parity := map[string]serialport.Parity{"none": serialport.ParityNone, "odd": serialport.ParityOdd, "even": serialport.ParityEven}[s.Parity]
	return serialport.Config{Name: s.Device, Baud: s.Baud, Parity: parity, StopBits: s.StopBits}
}
