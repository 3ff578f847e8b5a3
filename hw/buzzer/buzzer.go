// Package buzzer beeps to call the cashier to a result that needs attention (a payment
// paid after the terminal cancelled it, a flagged payment): a buzzer on a GPIO pin, or
// the receipt printer's own buzzer (ESC B n t, package printer). Section is the [buzzer]
// section of terminald.toml; GPIO and Printer implement the payment flow's Buzzer.
package buzzer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/terminald/terminald/hw/gpiopin"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/host/v3"
)

// Section is the [buzzer] section of terminald.toml: the toml tags are the keys,
// DefaultSection the values of keys left out, Validate the check.
type Section struct {
	Driver string        `toml:"driver"` // "none", "gpio" or "printer"
	Pin    string        `toml:"pin"`    // gpio: the pin driving the buzzer (high = sound), e.g. "GPIO17"
	Beeps  int           `toml:"beeps"`  // beeps per alert, 1 to 9
	Length time.Duration `toml:"length"` // each beep (and the pause after it), 50ms to 450ms; the printer's buzzer rounds to 50 ms
}

// DefaultSection returns the [buzzer] section before the file is read: no buzzer.
func DefaultSection() Section {
	return Section{Driver: "none", Beeps: 2, Length: 200 * time.Millisecond}
}

// Validate reports every bad setting at once, each naming the buzzer.KEY and the value.
func (s Section) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch s.Driver {
	case "none", "printer":
	case "gpio":
		if s.Pin == "" {
			bad("buzzer.pin: missing (driver \"gpio\" needs it, e.g. \"GPIO17\")")
		}
	default:
		bad("buzzer.driver: %q: gpio, printer or none", s.Driver)
	}
	if s.Beeps < 1 || s.Beeps > 9 {
		bad("buzzer.beeps: %d: 1 to 9", s.Beeps)
	}
	if s.Length < 50*time.Millisecond || s.Length > 450*time.Millisecond {
		bad("buzzer.length: %q: 50ms to 450ms", s.Length.String())
	}
	return errors.Join(errs...)
}

// Units is Length in the printer buzzer's 50 ms units (1 to 9), rounded.
func (s Section) Units() int {
	return min(max(int((s.Length+25*time.Millisecond)/(50*time.Millisecond)), 1), 9)
}

// Beeper is a receipt printer with a buzzer (*printer.Printer, *printer.Reopening).
type Beeper interface {
	Beep(ctx context.Context, times, units int) error
}

// Open returns the buzzer of a validated section: nil for "none"; for "gpio" it
// initialises periph.io and looks the pin up (an unknown name is an error listing the
// board's pins); for "printer" it beeps with prn, which must be a Beeper.
func Open(s Section, prn any) (interface{ Beep(context.Context) error }, error) {
	switch s.Driver {
	case "gpio":
		if _, err := host.Init(); err != nil {
			return nil, fmt.Errorf("buzzer: periph host init: %w", err)
		}
		p, err := gpiopin.ByName("buzzer.pin", s.Pin)
		if err != nil {
			return nil, err
		}
		if err := p.Out(gpio.Low); err != nil {
			return nil, fmt.Errorf("buzzer.pin %s: %w", s.Pin, err)
		}
		return &GPIO{Pin: p, Beeps: s.Beeps, Length: s.Length}, nil
	case "printer":
		b, ok := prn.(Beeper)
		if !ok {
			return nil, errors.New("buzzer.driver \"printer\": no receipt printer configured (printer.driver)")
		}
		return &Printer{Dev: b, Beeps: s.Beeps, Units: s.Units()}, nil
	}
	return nil, nil
}

// GPIO is a buzzer on a GPIO pin: level High sounds it (an active buzzer module, or a
// transistor driving one).
type GPIO struct {
	Pin    gpio.PinOut
	Beeps  int
	Length time.Duration // each beep, and the pause between beeps

	mu sync.Mutex // one alert at a time
}

// Beep sounds Beeps beeps of Length; the pin is left low, also when ctx ends early.
func (b *GPIO) Beep(ctx context.Context) (err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer func() {
		if lerr := b.Pin.Out(gpio.Low); err == nil && lerr != nil {
			err = fmt.Errorf("buzzer: %w", lerr)
		}
	}()
	for i := range max(b.Beeps, 1) {
		if i > 0 {
			if err := wait(ctx, b.Length); err != nil {
				return err
			}
		}
		if err := b.Pin.Out(gpio.High); err != nil {
			return fmt.Errorf("buzzer: %w", err)
		}
		if err := wait(ctx, b.Length); err != nil {
			return err
		}
		if err := b.Pin.Out(gpio.Low); err != nil {
			return fmt.Errorf("buzzer: %w", err)
		}
	}
	return nil
}

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("buzzer: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}

// Printer is the receipt printer's buzzer.
type Printer struct {
	Dev   Beeper
	Beeps int // 1 to 9
	Units int // each beep in 50 ms units, 1 to 9
}

// Beep sends the printer's buzzer command (ESC B n t).
func (b *Printer) Beep(ctx context.Context) error {
	return b.Dev.Beep(ctx, b.Beeps, b.Units)
}
