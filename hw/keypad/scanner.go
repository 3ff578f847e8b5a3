package keypad

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
)

// Scanner defaults.
const (
	DefaultMaxCodeLen  = 512
	DefaultScannerIdle = 500 * time.Millisecond
)

// Errors reported by Assembler.Feed when it drops a code. They never carry
// the code's characters: a scanned code may be a payment token.
var (
	// ErrCodeTooLong: the code exceeded the maximum length.
	ErrCodeTooLong = errors.New("scanner: code too long")
	// ErrUnknownKey: the scanner typed a key the layout does not map.
	ErrUnknownKey = errors.New("scanner: key not in keyboard layout")
	// ErrIdle: a partial code was left unfinished longer than the idle
	// timeout and was discarded.
	ErrIdle = errors.New("scanner: partial code timed out")
)

// Assembler turns the key events of a USB barcode scanner (a HID keyboard)
// into codes: it tracks Shift, AltGr and CapsLock, maps keys through Layout
// and ends a code at Enter. The zero value uses LayoutUS,
// DefaultMaxCodeLen and DefaultScannerIdle.
type Assembler struct {
	Layout Layout        // keyboard layout set in the scanner
	MaxLen int           // maximum code length in characters
	Idle   time.Duration // a partial code older than this is discarded

	buf        []rune
	last       time.Time
	discarding bool // the current code was dropped; skip to Enter
	lshift     bool
	rshift     bool
	altGr      bool
	ctrl       bool
	caps       bool
}

// Feed processes one evdev event seen at time now. It returns a complete
// code when Enter ends a non-empty one. It returns an error (wrapping
// ErrCodeTooLong, ErrUnknownKey or ErrIdle) when it drops a code; after
// ErrCodeTooLong and ErrUnknownKey the rest of that code, up to Enter, is
// skipped. Feed never returns both a code and an error.
func (a *Assembler) Feed(ev InputEvent, now time.Time) (string, error) {
	if ev.Type != EvKey {
		return "", nil
	}
	down := ev.Value != ValueRelease
	switch ev.Code {
	case codeLeftShift:
		a.lshift = down
		return "", nil
	case codeRightShift:
		a.rshift = down
		return "", nil
	case codeRightAlt:
		a.altGr = down
		return "", nil
	case codeLeftCtrl, codeRightCtrl:
		a.ctrl = down
		return "", nil
	}
	// Characters come from presses only: a scanner never holds a key long
	// enough to auto-repeat, and a repeat would corrupt the code.
	if ev.Value != ValuePress {
		return "", nil
	}
	if ev.Code == codeCapsLock {
		a.caps = !a.caps
		return "", nil
	}
	var err error
	if a.pending() && !a.last.IsZero() && now.Sub(a.last) > a.idle() {
		if !a.discarding {
			err = fmt.Errorf("%w: %d characters discarded after %v without Enter", ErrIdle, len(a.buf), a.idle())
		}
		a.reset()
	}
	a.last = now
	if ev.Code == codeEnter || ev.Code == codeKPEnter {
		code := string(a.buf)
		dropped := a.discarding
		a.reset()
		if dropped || code == "" {
			return "", err
		}
		return code, err
	}
	if a.discarding {
		return "", err
	}
	shift := a.lshift || a.rshift
	r, ok := a.Layout.Rune(ev.Code, shift, a.altGr)
	if ok && a.caps && unicode.IsLetter(r) {
		if shift {
			r = unicode.ToLower(r)
		} else {
			r = unicode.ToUpper(r)
		}
	}
	if !ok || a.ctrl {
		e := fmt.Errorf("%w: key code %d (shift=%t altgr=%t ctrl=%t) in layout %s; code dropped",
			ErrUnknownKey, ev.Code, shift, a.altGr, a.ctrl, a.layoutName())
		a.drop()
		return "", errors.Join(err, e)
	}
	if len(a.buf) >= a.maxLen() {
		e := fmt.Errorf("%w: more than %d characters; code dropped (raise the maximum or check the scanner's suffix setting)",
			ErrCodeTooLong, a.maxLen())
		a.drop()
		return "", errors.Join(err, e)
	}
	a.buf = append(a.buf, r)
	return "", err
}

func (a *Assembler) pending() bool { return len(a.buf) > 0 || a.discarding }

func (a *Assembler) reset() {
	a.buf = a.buf[:0]
	a.discarding = false
}

func (a *Assembler) drop() {
	a.buf = a.buf[:0]
	a.discarding = true
}

func (a *Assembler) idle() time.Duration {
	if a.Idle > 0 {
		return a.Idle
	}
	return DefaultScannerIdle
}

func (a *Assembler) maxLen() int {
	if a.MaxLen > 0 {
		return a.MaxLen
	}
	return DefaultMaxCodeLen
}

func (a *Assembler) layoutName() string {
	if a.Layout == "" {
		return string(LayoutUS)
	}
	return string(a.Layout)
}

// Scanner is a USB barcode scanner in keyboard (HID) mode, read through
// evdev as its own device (its /dev/input/by-id path in the configuration).
// Scanned codes are delivered as Event{Code: …}.
type Scanner struct {
	Device Device        // the scanner's evdev device; Device.Logger logs dropped codes
	Layout Layout        // keyboard layout set in the scanner; "" = US
	MaxLen int           // maximum code length; 0 = DefaultMaxCodeLen
	Idle   time.Duration // partial-code timeout; 0 = DefaultScannerIdle
	// Now returns the current time; nil means time.Now. Tests inject it.
	Now func() time.Time
}

// Run delivers scanned codes to handle until ctx is cancelled, surviving
// unplug and replug of the scanner. It returns ctx.Err() or a configuration
// error.
func (s *Scanner) Run(ctx context.Context, handle func(Event)) error {
	if _, err := ParseLayout(string(s.Layout)); err != nil {
		return err
	}
	log := s.Device.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := s.Now
	if now == nil {
		now = time.Now
	}
	a := &Assembler{Layout: s.Layout, MaxLen: s.MaxLen, Idle: s.Idle}
	return s.Device.Run(ctx, func(ev InputEvent) {
		code, err := a.Feed(ev, now())
		if err != nil {
			if errors.Is(err, ErrIdle) && !errors.Is(err, ErrCodeTooLong) && !errors.Is(err, ErrUnknownKey) {
				log.Warn("barcode scanner: partial code discarded", "device", s.Device.Path, "err", err)
			} else {
				log.Error("barcode scanner: code dropped", "device", s.Device.Path, "err", err)
			}
		}
		if code = strings.TrimSpace(code); code != "" {
			handle(Event{Code: code})
		}
	})
}
