package flow

import (
	"context"
	"time"

	"github.com/terminald/terminald/screen"
)

// Results that need the cashier's attention — a payment paid after the terminal
// cancelled it, a payment paid for another amount than asked, one a provider flagged —
// stay on screen until the cashier presses OK (other keys do nothing on them; after
// attentionHold they go anyway), with a beep where a buzzer is configured. One that
// comes while the cashier is in the middle of something (typing an amount, another
// payment, the admin menu) waits and shows once the terminal is back at its idle screen;
// a register payment that starts meanwhile puts the screen back in that queue.

// Buzzer beeps to call the cashier: a GPIO buzzer (hw/gpiopin) or the receipt printer's
// buzzer command (hw/printer). Beep returns once the beep is sent, or with ctx's error.
type Buzzer interface {
	Beep(ctx context.Context) error
}

// attention is the ui's state for the results to acknowledge.
type attention struct {
	ack     bool            // the result on screen (u.shown) waits for OK
	waiting []screen.Screen // results to acknowledge that came while the cashier was busy
}

// ackHint is the hint of a result that waits for OK.
func (u *ui) ackHint() string { return u.keyHint(use(KeyOK, "seen")) }

// beepTimeout bounds one beep (a printer's buzzer goes through the printer's queue).
const beepTimeout = 5 * time.Second

// holdForAck keeps the result or message on screen (u.shown) until OK, and beeps.
func (u *ui) holdForAck() {
	u.shown.Hint = u.ackHint()
	u.until = u.e.now().Add(attentionHold)
	u.attn.ack = true
	u.beep()
}

// alert shows s, a result to acknowledge that the cashier did not ask for (a payment
// running in the background), now when the terminal is idle or showing a plain result,
// else once it is back at its idle screen.
func (u *ui) alert(s screen.Screen) {
	if u.attn.ack || (u.mode != modeIdle && u.mode != modeResult && u.mode != modeMessage) {
		u.attn.waiting = append(u.attn.waiting, s)
		return
	}
	s.Hint = u.ackHint()
	u.hold(modeMessage, s)
	u.holdForAck()
}

// requeueAck puts a result waiting for OK back in the queue when something else must
// take the screen (a register payment, a notice): it shows again at the next idle.
func (u *ui) requeueAck() {
	if !u.attn.ack {
		return
	}
	u.attn.ack = false
	if u.mode == modeResult || u.mode == modeMessage {
		u.attn.waiting = append([]screen.Screen{u.shown}, u.attn.waiting...)
	}
}

// ackKey takes a key while a result waits for OK: OK acknowledges it, every other key is
// ignored. It reports whether it took the key.
func (u *ui) ackKey(k Key) bool {
	if !u.attn.ack || (u.mode != modeResult && u.mode != modeMessage) {
		u.attn.ack = false
		return false
	}
	if k == KeyOK {
		u.attn.ack = false
		u.mode = modeIdle
		if !u.attentionTick() {
			u.show()
		}
	}
	return true
}

// attentionTick shows the next waiting result once the terminal is idle; it reports
// whether it did.
func (u *ui) attentionTick() bool {
	if u.mode != modeIdle || u.attn.ack || len(u.attn.waiting) == 0 {
		return false
	}
	s := u.attn.waiting[0]
	u.attn.waiting = u.attn.waiting[1:]
	s.Hint = u.ackHint()
	u.hold(modeMessage, s)
	u.holdForAck()
	return true
}

// beep sounds the buzzer, if there is one, off the Run goroutine.
func (u *ui) beep() {
	e := u.e
	b := e.cfg.Buzzer
	if b == nil || e.ctx == nil {
		return
	}
	e.spawn(func() {
		ctx, cancel := context.WithTimeout(e.ctx, beepTimeout)
		defer cancel()
		if err := b.Beep(ctx); err != nil {
			e.log.Warn("buzzer", "err", err)
		}
	})
}

// receiptLine names receipt number n on a screen; empty when none was drawn.
func (u *ui) receiptLine(n uint64) string {
	if n == 0 {
		return ""
	}
	return u.t("ui.receipt", receiptNo(n))
}
