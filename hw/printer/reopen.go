package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/terminald/terminald/hw/reopen"
	"github.com/terminald/terminald/receipt"
)

// ErrAbsent is matched (errors.Is) by the errors of a Reopening printer that is not
// connected (not plugged in, powered off, or not opened yet).
var ErrAbsent = reopen.ErrAbsent

// Reopening is a printer that may be absent at start and may be unplugged later: Run
// opens it with backoff while it is absent and reopens it after an I/O error that says
// the device went away. Meanwhile Print and Status fail with ErrAbsent, so the caller
// keeps its receipts queued (the flow's outbox) and prints them once it is back.
type Reopening struct {
	port *reopen.Port[*Printer]
}

// NewReopening returns a printer that Run opens with open (OpenSerial or OpenUSB with
// their settings). o names the device, sets the backoff and receives state changes.
func NewReopening(o reopen.Options, open func() (*Printer, error)) *Reopening {
	return &Reopening{port: reopen.NewPort(o, func(context.Context) (*Printer, error) { return open() })}
}

// Run keeps the printer open until ctx ends; it returns ctx.Err().
func (r *Reopening) Run(ctx context.Context) error { return r.port.Run(ctx) }

// State is the printer connection's state (opening, open, missing).
func (r *Reopening) State() reopen.State { return r.port.State() }

// Print prints on the connected printer; an error that means the device went away
// makes Run reopen it.
func (r *Reopening) Print(ctx context.Context, rc receipt.Receipt) error {
	p, err := r.port.Get()
	if err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	err = p.Print(ctx, rc)
	r.check(p, err)
	return err
}

// Beep sounds the connected printer's buzzer (Printer.Beep).
func (r *Reopening) Beep(ctx context.Context, times, units int) error {
	p, err := r.port.Get()
	if err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	err = p.Beep(ctx, times, units)
	r.check(p, err)
	return err
}

// Status asks the connected printer for its status; absent, it fails with ErrAbsent.
func (r *Reopening) Status(ctx context.Context) (Status, error) {
	p, err := r.port.Get()
	if err != nil {
		return Status{}, fmt.Errorf("printer: %w", err)
	}
	s, err := p.Status(ctx)
	r.check(p, err)
	return s, err
}

func (r *Reopening) check(p *Printer, err error) {
	if gone(err) {
		r.port.Fail(p, err)
	}
}

// gone reports whether err says the device node is no longer usable (unplugged USB
// printer, vanished tty), as opposed to a printer that is there but not ready.
func gone(err error) bool {
	for _, e := range []error{syscall.ENODEV, syscall.ENXIO, syscall.EIO, syscall.EBADF, os.ErrClosed, io.ErrClosedPipe} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

var _ Device = (*Reopening)(nil)
