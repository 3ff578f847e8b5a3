package keypad

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sync"
	"syscall"
	"time"
)

// Default reconnect backoff of Device.
const (
	DefaultMinBackoff = 250 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
)

// Device is a supervised evdev input device. Run opens it, reads events and,
// when the device goes away (unplug: read error ENODEV, or any other read
// error), reopens it with exponential backoff until it is back. The daemon
// keeps running while a keypad or scanner is unplugged.
type Device struct {
	// Path is the device node, e.g. /dev/input/by-id/usb-…-event-kbd.
	// The by-id path survives replugging into another port.
	Path string
	// Open opens Path. Nil means OpenEvdev (open and grab exclusively).
	// Tests inject byte streams here.
	Open func(path string) (io.ReadCloser, error)
	// RecordSize is the size of struct input_event: 0 means NativeEventSize;
	// 16 or 24 force a layout.
	RecordSize int
	// MinBackoff and MaxBackoff bound the wait between reopen attempts;
	// zero means DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives connect, unplug and replug messages; nil discards.
	Logger *slog.Logger
}

// Run reads events from the device and passes each to handle until ctx is
// cancelled; then it closes the device and returns ctx.Err(). It returns
// another error only for a configuration mistake (no path, bad record size).
func (d *Device) Run(ctx context.Context, handle func(InputEvent)) error {
	if d.Path == "" {
		return errors.New("evdev: no device path configured")
	}
	size := d.RecordSize
	if size == 0 {
		size = NativeEventSize
	}
	if size != 16 && size != 24 {
		return fmt.Errorf("evdev %s: record size %d, want 16 or 24", d.Path, size)
	}
	open := d.Open
	if open == nil {
		open = OpenEvdev
	}
	minB, maxB := d.MinBackoff, d.MaxBackoff
	if minB <= 0 {
		minB = DefaultMinBackoff
	}
	if maxB < minB {
		maxB = max(DefaultMaxBackoff, minB)
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("device", d.Path)

	backoff := minB
	lastProblem := ""
	connected := false // connected at least once: next open is a replug
	problem := func(msg string, err error) {
		// Log a problem once per change, not once per retry.
		if s := msg + err.Error(); s != lastProblem {
			lastProblem = s
			log.Warn(msg, "err", err, "retry", backoff)
		} else {
			log.Debug(msg, "err", err, "retry", backoff)
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := open(d.Path)
		if err != nil {
			problem(openProblem(err), err)
		} else {
			if connected {
				log.Info("input device back (replugged)")
			} else {
				log.Info("input device opened")
			}
			connected = true
			lastProblem = ""
			backoff = minB
			err = readAll(ctx, rc, size, handle)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			problem(readProblem(err), err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, maxB)
	}
}

func openProblem(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENODEV):
		return "input device not present, waiting for it"
	case errors.Is(err, fs.ErrPermission):
		return "input device not accessible: add the daemon user to group input"
	case errors.Is(err, syscall.EBUSY):
		return "input device grabbed by another process"
	}
	return "cannot open input device, retrying"
}

func readProblem(err error) string {
	if errors.Is(err, syscall.ENODEV) {
		return "input device unplugged, waiting for it to come back"
	}
	return "input device read failed, reopening"
}

// readAll decodes events from rc until a read error or ctx is cancelled.
// It always closes rc; cancellation closes rc to unblock a pending read.
func readAll(ctx context.Context, rc io.ReadCloser, size int, handle func(InputEvent)) error {
	var once sync.Once
	closeRC := func() { once.Do(func() { _ = rc.Close() }) }
	stop := context.AfterFunc(ctx, closeRC)
	defer func() {
		stop()
		closeRC()
	}()
	dec, err := NewDecoderSize(rc, size)
	if err != nil {
		return err
	}
	for {
		ev, err := dec.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("evdev: device stream ended: %w", err)
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		handle(ev)
	}
}
