// Package screen holds what the terminal shows: a small model of each screen the flow
// can put up, independent of the display hardware that draws it.
package screen

import "time"

// Kind names a screen.
type Kind string

// The screens of the terminal.
const (
	Idle      Kind = "idle"      // merchant name, status line
	Amount    Kind = "amount"    // amount entry as typed
	Choose    Kind = "choose"    // pick one of Options (provider, crypto currency, admin menu)
	Input     Kind = "input"     // customer input: scan a wallet code, key a phone number
	Wait      Kind = "wait"      // please wait (talking to the provider)
	QR        Kind = "qr"        // QR code with amount, provider and countdown
	Paid      Kind = "paid"      // payment received
	Failed    Kind = "failed"    // payment refused or failed, Reason says why
	Expired   Kind = "expired"   // customer did not pay in time
	Cancelled Kind = "cancelled" // cancelled
	Decision  Kind = "decision"  // cashier decides (underpayment: accept or cancel)
	Offline   Kind = "offline"   // provider unreachable, new payments refused
	Message   Kind = "message"   // any other notice (admin results, printer problems)
	Admin     Kind = "admin"     // admin menu
)

// Screen is one full screen's content. The zero value of a field means "not shown".
type Screen struct {
	Kind     Kind
	Title    string    // headline, e.g. merchant name or "Pay 12.34 EUR"
	Amount   string    // formatted amount with currency, e.g. "12.34 EUR"
	Provider string    // provider display name
	QR       string    // payload to draw as a QR code
	Deadline time.Time // countdown target (QR screen)
	Lines    []string  // body text, one entry a line
	Options  []string  // choices, numbered from 1 on the keypad
	Status   Status    // status bar
	Hint     string    // key hint, e.g. "OK = accept  X = cancel"
	Words    Words     // the renderer's own texts in the screen's language
}

// Words are the texts the renderer draws itself, in the language of the rest of the
// screen; an empty field draws the English word.
type Words struct {
	Online     string // status bar: network up ("Online")
	Offline    string // status bar: network down ("Offline")
	Printer    string // status bar: the printer's label and state ("Printer ok")
	QRTooLarge string // in place of a QR code that does not fit ("QR too large for this display")
	NoQR       string // in place of a missing QR code ("No QR code")
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Status is the at-a-glance status bar: network, printer and clock.
type Status struct {
	Online   bool
	Printer  string // "ok", "paper out", "cover open", "offline", "unknown"
	Terminal string // terminal id
}
