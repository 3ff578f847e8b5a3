// Package keypad turns the terminal's input hardware into one stream of
// events: USB HID keypads and barcode scanners read through Linux evdev, GPIO
// matrix keypads read through periph.io, and a terminal (stdin) keypad for the
// simulator.
//
// Every input delivers Event values to a func(Event) handler and runs until
// its context is cancelled. Keys are runes, so a key typed on a terminal, a
// key pressed on a USB keypad and a key closed on a GPIO matrix all look the
// same to the payment flow.
package keypad

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Key is one key of the terminal's keypad. Digits are the runes '0'..'9';
// the function keys have the constants below.
type Key rune

// The keys the terminal understands.
const (
	Key0 Key = '0'
	Key1 Key = '1'
	Key2 Key = '2'
	Key3 Key = '3'
	Key4 Key = '4'
	Key5 Key = '5'
	Key6 Key = '6'
	Key7 Key = '7'
	Key8 Key = '8'
	Key9 Key = '9'
	// KeyDot is the decimal separator.
	KeyDot Key = '.'
	// KeyOK confirms (Enter).
	KeyOK Key = '\r'
	// KeyClear deletes the last digit (Backspace / Clear).
	KeyClear Key = '\b'
	// KeyCancel aborts the current step (Esc / Cancel).
	KeyCancel Key = 0x1b
	// KeyMenu opens the admin menu (F1, keypad '*', or 'A' on a 4×4 matrix).
	KeyMenu Key = 'm'
	// KeyUp scrolls up in lists.
	KeyUp Key = 'u'
	// KeyDown scrolls down in lists.
	KeyDown Key = 'd'
)

// IsDigit reports whether k is one of '0'..'9'.
func (k Key) IsDigit() bool { return k >= '0' && k <= '9' }

// Valid reports whether k is one of the keys defined by this package.
func (k Key) Valid() bool {
	switch k {
	case KeyDot, KeyOK, KeyClear, KeyCancel, KeyMenu, KeyUp, KeyDown:
		return true
	}
	return k.IsDigit()
}

// String returns a readable name of the key, for logs.
func (k Key) String() string {
	switch k {
	case KeyDot:
		return "."
	case KeyOK:
		return "OK"
	case KeyClear:
		return "Clear"
	case KeyCancel:
		return "Cancel"
	case KeyMenu:
		return "Menu"
	case KeyUp:
		return "Up"
	case KeyDown:
		return "Down"
	case 0:
		return "none"
	}
	if k.IsDigit() {
		return string(rune(k))
	}
	return fmt.Sprintf("Key(%#x)", rune(k))
}

// Event is one input: a key press (Key set, Code empty, Err nil), a scanned
// barcode (Code non-empty) or a scan the scanner typed but that could not be
// read (Err non-nil, a *ScanError; match with errors.As or errors.Is against
// ErrUnknownKey, ErrCodeTooLong, ErrIdle): the cashier should scan again.
type Event struct {
	Key  Key
	Code string // non-empty: a scanned barcode
	Err  error  // non-nil: a dropped scan
}

// String returns a short description for logs. A scanned code is shown by
// its length only: it may be a wallet or payment token.
func (e Event) String() string {
	if e.Err != nil {
		return "scan failed: " + e.Err.Error()
	}
	if e.Code != "" {
		return fmt.Sprintf("scan(%d chars)", len(e.Code))
	}
	return "key " + e.Key.String()
}

// Input is a source of events: a USB keypad, a barcode scanner, a GPIO
// matrix or the terminal. Run delivers events to handle until ctx is
// cancelled, then returns ctx.Err() (or an earlier fatal error).
type Input interface {
	Run(ctx context.Context, handle func(Event)) error
}

// RunAll runs all inputs concurrently and serialises their calls to handle,
// so handle never runs twice at once. It returns when ctx is cancelled and
// all inputs have returned, or as soon as one input fails with an error other
// than the context's: then it cancels the others and returns that error.
func RunAll(ctx context.Context, handle func(Event), inputs ...Input) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	serial := func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		handle(e)
	}
	for _, in := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := in.Run(ctx, serial)
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
