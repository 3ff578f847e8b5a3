package keypad

import (
	"errors"
	"fmt"
	"strings"
)

// Section is the [keypad] section of terminald.toml: the toml tags are the keys,
// DefaultSection the values of keys left out, Validate the check.
type Section struct {
	Driver string   `toml:"driver"` // "evdev", "matrix" or "none"
	Device string   `toml:"device"` // evdev: /dev/input/by-id/...
	Rows   []string `toml:"rows"`   // matrix: 4 row pin names
	Cols   []string `toml:"cols"`   // matrix: 3 or 4 column pin names
	Keymap string   `toml:"keymap"` // matrix: MatrixConfig.Layout; "" is Layout4x3 or Layout4x4 by the column count
	Keys   []string `toml:"keys"`   // evdev: "KEY=function" entries over DefaultKeymap (ParseKeymap)
}

// DefaultSection returns the [keypad] section before the file is read.
func DefaultSection() Section { return Section{Driver: "none"} }

// Validate reports every bad setting at once, each naming the keypad.KEY and the value.
func (s Section) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch s.Driver {
	case "none":
	case "evdev":
		if s.Device == "" {
			bad("keypad.device: missing (driver \"evdev\" needs it)")
		}
		if _, err := ParseKeymap(s.Keys); err != nil {
			errs = append(errs, err)
		}
	case "matrix":
		if len(s.Rows) != 4 || (len(s.Cols) != 3 && len(s.Cols) != 4) {
			bad("keypad.rows/cols: %d rows, %d columns: a 4x3 or 4x4 matrix needs 4 rows and 3 or 4 columns", len(s.Rows), len(s.Cols))
		} else if s.Keymap != "" {
			rows := strings.Split(s.Keymap, "/")
			ok := len(rows) == len(s.Rows)
			for _, r := range rows {
				ok = ok && len([]rune(r)) == len(s.Cols)
			}
			if !ok {
				bad("keypad.keymap: %q: need %d rows of %d keys separated by '/' for a %dx%d matrix", s.Keymap, len(s.Rows), len(s.Cols), len(s.Rows), len(s.Cols))
			}
		}
	default:
		bad("keypad.driver: %q: evdev, matrix or none", s.Driver)
	}
	if len(s.Keys) > 0 && s.Driver != "evdev" {
		bad("keypad.keys: only for driver \"evdev\" (a matrix keypad's keys are keypad.keymap)")
	}
	return errors.Join(errs...)
}

// KeyNames returns the names of the configured keypad's keys for the screens' hints (see
// Namer), nil for driver "none". The section must be valid (Validate).
func (s Section) KeyNames() Namer {
	switch s.Driver {
	case "evdev":
		if m, err := ParseKeymap(s.Keys); err == nil {
			return m
		}
		return DefaultKeymap()
	case "matrix":
		return MatrixNames(s.Keymap, len(s.Cols), nil)
	}
	return nil
}

// ScannerSection is the [scanner] section of terminald.toml: a USB barcode scanner (an
// evdev keyboard).
type ScannerSection struct {
	Device string `toml:"device"` // /dev/input/by-id/...; "" = none
	Layout string `toml:"layout"` // its keyboard layout: "us", "de", "dk"
}

// DefaultScannerSection returns the [scanner] section before the file is read.
func DefaultScannerSection() ScannerSection { return ScannerSection{Layout: "us"} }

// Validate reports a bad layout, naming scanner.layout and the value.
func (s ScannerSection) Validate() error {
	switch s.Layout {
	case "us", "de", "dk":
		return nil
	}
	return fmt.Errorf("scanner.layout: %q: us, de or dk", s.Layout)
}
