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

// Errors reported by Assembler.Feed when it drops a code, each inside a
// *ScanError. They never carry the code's characters: a scanned code may be
// a payment token.
var (
	// ErrCodeTooLong: the code exceeded the maximum length.
	ErrCodeTooLong = errors.New("scanner: code too long")
	// ErrUnknownKey: the scanner typed a key that types something the
	// layout does not map (a Ctrl or Alt combination, AltGr on the US
	// layout, Backspace, Esc, an arrow key). Keys that type nothing
	// (Silent) never cause it.
	ErrUnknownKey = errors.New("scanner: key not in keyboard layout")
	// ErrIdle: a partial code was left unfinished longer than the idle
	// timeout and was discarded.
	ErrIdle = errors.New("scanner: partial code timed out")
)

// ScanError is a code the scanner typed and the Assembler dropped: the
// cashier should scan again. Err is ErrUnknownKey, ErrCodeTooLong or ErrIdle
// (match with errors.Is); the other fields say where the code broke. Error()
// shows the partial code only as its shape (letters as 'a', digits as '9',
// punctuation as typed), never its characters.
type ScanError struct {
	Err     error         // ErrUnknownKey, ErrCodeTooLong or ErrIdle
	Layout  Layout        // the configured layout
	Key     uint16        // ErrUnknownKey: the evdev key code (KEY_*) that broke the code
	Shift   bool          // ErrUnknownKey: Shift was held
	AltGr   bool          // ErrUnknownKey: AltGr (right Alt) was held
	Ctrl    bool          // ErrUnknownKey: Ctrl was held
	Alt     bool          // ErrUnknownKey: left Alt was held
	Partial string        // the characters typed before the code broke; not for logs
	Limit   int           // ErrCodeTooLong: the maximum length in characters
	Idle    time.Duration // ErrIdle: the idle timeout that ran out
}

// Error describes the drop without the code's characters.
func (e *ScanError) Error() string {
	shape := Shape(e.Partial)
	switch {
	case errors.Is(e.Err, ErrUnknownKey):
		return fmt.Sprintf("%v: key code %d (shift=%t altgr=%t ctrl=%t alt=%t) in layout %s after %d characters %q; code dropped, scan again",
			e.Err, e.Key, e.Shift, e.AltGr, e.Ctrl, e.Alt, layoutName(e.Layout), len([]rune(e.Partial)), shape)
	case errors.Is(e.Err, ErrCodeTooLong):
		return fmt.Sprintf("%v: more than %d characters %q; code dropped, scan again (raise the maximum or check the scanner's suffix setting)",
			e.Err, e.Limit, shape)
	}
	return fmt.Sprintf("%v: %d characters %q discarded after %v without Enter", e.Err, len([]rune(e.Partial)), shape, e.Idle)
}

// Unwrap returns Err, so errors.Is(err, ErrUnknownKey) works.
func (e *ScanError) Unwrap() error { return e.Err }

// Shape returns s with every letter replaced by 'a' (or 'A'), every digit by
// '9' and every other character kept: the form of a scanned code that a log
// may show (a URL stays recognisable, a token does not leak).
func Shape(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsDigit(r):
			return '9'
		case unicode.IsUpper(r):
			return 'A'
		case unicode.IsLetter(r):
			return 'a'
		}
		return r
	}, s)
}

// Assembler turns the key events of a USB barcode scanner (a HID keyboard)
// into codes: it tracks Shift, AltGr, Ctrl, Alt and CapsLock, maps keys
// through Layout (dead keys compose with the next character), skips keys
// that type nothing (Silent) and ends a code at Enter or keypad Enter. The
// zero value uses LayoutUS, DefaultMaxCodeLen and DefaultScannerIdle.
type Assembler struct {
	Layout Layout        // keyboard layout set in the scanner
	MaxLen int           // maximum code length in characters
	Idle   time.Duration // a partial code older than this is discarded

	buf        []rune
	last       time.Time
	discarding bool // the current code was dropped; skip to Enter
	dead       rune // the accent of a pending dead key, or 0
	lshift     bool
	rshift     bool
	altGr      bool
	lctrl      bool
	rctrl      bool
	alt        bool
	caps       bool
}

// Feed processes one evdev event seen at time now. It returns a complete
// code when Enter ends a non-empty one. It returns an error when it drops a
// code: a *ScanError wrapping ErrCodeTooLong, ErrUnknownKey or ErrIdle (an
// idle drop and a new drop at the same key come joined); after
// ErrCodeTooLong and ErrUnknownKey the rest of that code, up to Enter, is
// skipped. Feed never returns both a code and an error.
func (a *Assembler) Feed(ev InputEvent, now time.Time) (string, error) {
	if ev.Type != EvKey {
		return "", nil
	}
	if m := a.modifier(ev.Code); m != nil {
		*m = ev.Value != ValueRelease
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
	if Silent(ev.Code) {
		return "", nil
	}
	var err error
	if a.pending() && !a.last.IsZero() && now.Sub(a.last) > a.idle() {
		if !a.discarding {
			err = &ScanError{Err: ErrIdle, Layout: a.Layout, Partial: a.partial(), Idle: a.idle()}
		}
		a.reset()
	}
	a.last = now
	if ev.Code == codeEnter || ev.Code == codeKPEnter {
		if a.dead != 0 && !a.discarding {
			if e := a.add(a.dead); e != nil {
				a.reset()
				return "", errors.Join(err, e)
			}
		}
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
	ctrl := a.lctrl || a.rctrl
	r, ok := a.Layout.Rune(ev.Code, shift, a.altGr)
	if !ok || ctrl || a.alt {
		e := &ScanError{Err: ErrUnknownKey, Layout: a.Layout, Key: ev.Code, Shift: shift, AltGr: a.altGr,
			Ctrl: ctrl, Alt: a.alt, Partial: a.partial()}
		a.drop()
		return "", errors.Join(err, e)
	}
	if a.caps && unicode.IsLetter(r) {
		if shift {
			r = unicode.ToLower(r)
		} else {
			r = unicode.ToUpper(r)
		}
	}
	if a.Layout.Dead(ev.Code, shift, a.altGr) {
		// A dead key after a dead key: the first types its accent alone.
		prev := a.dead
		a.dead = r
		if prev != 0 {
			return "", errors.Join(err, a.add(prev))
		}
		return "", err
	}
	if acc := a.dead; acc != 0 {
		a.dead = 0
		if c, ok := Compose(acc, r); ok {
			r = c
		} else if r == ' ' {
			r = acc // dead key + Space types the accent itself
		} else if e := a.add(acc); e != nil {
			return "", errors.Join(err, e)
		}
	}
	return "", errors.Join(err, a.add(r))
}

// modifier returns the state of the modifier key code, or nil for other keys.
func (a *Assembler) modifier(code uint16) *bool {
	switch code {
	case codeLeftShift:
		return &a.lshift
	case codeRightShift:
		return &a.rshift
	case codeRightAlt:
		return &a.altGr
	case codeLeftAlt:
		return &a.alt
	case codeLeftCtrl:
		return &a.lctrl
	case codeRightCtrl:
		return &a.rctrl
	}
	return nil
}

// add appends r to the code, or drops the code when it is full.
func (a *Assembler) add(r rune) error {
	if len(a.buf) >= a.maxLen() {
		e := &ScanError{Err: ErrCodeTooLong, Layout: a.Layout, Partial: a.partial(), Limit: a.maxLen()}
		a.drop()
		return e
	}
	a.buf = append(a.buf, r)
	return nil
}

func (a *Assembler) partial() string { return string(a.buf) }

func (a *Assembler) pending() bool { return len(a.buf) > 0 || a.discarding || a.dead != 0 }

func (a *Assembler) reset() {
	a.buf = a.buf[:0]
	a.discarding = false
	a.dead = 0
}

func (a *Assembler) drop() {
	a.buf = a.buf[:0]
	a.discarding = true
	a.dead = 0
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

func layoutName(l Layout) string {
	if l == "" {
		return string(LayoutUS)
	}
	return string(l)
}

// Scanner is a USB barcode scanner in keyboard (HID) mode, read through
// evdev as its own device (its /dev/input/by-id path in the configuration).
// Scanned codes are delivered as Event{Code: …}; a code the scanner typed
// and the Assembler had to drop is delivered as Event{Err: …} with a
// *ScanError, so the flow can ask the cashier to scan again.
type Scanner struct {
	Device Device        // the scanner's evdev device; Device.Logger logs dropped codes
	Layout Layout        // keyboard layout set in the scanner; "" = US
	MaxLen int           // maximum code length; 0 = DefaultMaxCodeLen
	Idle   time.Duration // partial-code timeout; 0 = DefaultScannerIdle
	// Now returns the current time; nil means time.Now. Tests inject it.
	Now func() time.Time
}

// Run delivers scanned codes and dropped scans (Event.Err) to handle until
// ctx is cancelled, surviving unplug and replug of the scanner. Each drop is
// logged with the key that broke the code and the partial code's shape
// (Shape), never its characters. It returns ctx.Err() or a configuration
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
			attrs := []any{"device", s.Device.Path, "err", err}
			var se *ScanError
			if errors.As(err, &se) {
				attrs = append(attrs, "layout", layoutName(se.Layout), "partial", Shape(se.Partial))
				if errors.Is(se.Err, ErrUnknownKey) {
					attrs = append(attrs, "key", se.Key)
				}
			}
			if errors.Is(err, ErrIdle) && !errors.Is(err, ErrCodeTooLong) && !errors.Is(err, ErrUnknownKey) {
				log.Warn("barcode scanner: partial code discarded", attrs...)
			} else {
				log.Error("barcode scanner: code dropped", attrs...)
			}
			handle(Event{Err: err})
		}
		if code = strings.TrimSpace(code); code != "" {
			handle(Event{Code: code})
		}
	})
}
