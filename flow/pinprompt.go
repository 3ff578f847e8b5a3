package flow

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/terminald/terminald/pin"
	"github.com/terminald/terminald/screen"
)

// The manager PIN on the terminal.
//
// The admin menu opens without the PIN, so that a cashier can reprint the last receipt
// (a customer asking for a lost slip). Every other entry — reprint of an older receipt,
// refund, end of day — asks for the manager PIN first; once it is right it holds for the
// rest of this visit of the menu (until the menu is left or its prompt times out).
//
// The PIN is typed masked (one '*' a digit). A wrong PIN says how many tries are left; too
// many wrong ones lock the PIN for a while (package pin: the count and the lock survive a
// restart), and the PIN screen shows the time left and takes no PIN until then. The PIN
// screen is a prompt like every other: it ends PromptTimeout after the last key.
//
// Without a PIN configured (Config.PIN nil) the menu is open as before; Status and the
// start-up log warn about it.

// PINGuard checks the manager PIN: package pin's *pin.Guard. Check returns nil for the
// right PIN, an error wrapping pin.ErrWrong (a *pin.WrongError with the tries left) for a
// wrong one, a *pin.LockedError while locked; State reports the lock without trying a PIN.
type PINGuard interface {
	Check(pin string) error
	State() (pin.State, error)
}

var _ PINGuard = (*pin.Guard)(nil)

// Modes of the counter screens (kept apart from ui.go's list).
const (
	modePIN     mode = 100 + iota // typing the manager PIN
	modeConfirm                   // confirming a money move
)

// counter is the ui's state for the manager PIN, the confirmation before money moves and
// the results the cashier must acknowledge.
type counter struct {
	pin    pinPrompt
	pinGen int // numbers the PIN screens, so a late check answers only its own
	conf   confirmation
	refund refundDraft
	attn   attention
}

// pinPrompt is the PIN screen's state.
type pinPrompt struct {
	what     string    // the entry the PIN opens, e.g. "Refund" (in the shop's language)
	digits   string    // typed so far, never shown
	msg      string    // last outcome, in the shop's language: "Wrong PIN, 2 tries left"
	busy     bool      // the PIN is being checked (argon2id takes ~50 ms)
	locked   time.Time // no PIN is taken before then
	then     func()    // runs once the PIN is right
	unlocked bool      // the PIN was right during this visit of the admin menu
	gen      int       // this screen's number (counter.pinGen)
}

// withPIN runs then (from the admin menu) once the manager PIN is entered: at once when
// no PIN is configured or it was entered earlier in this visit of the menu. Cancel on
// the PIN screen goes back to the menu. then runs in modeAdmin and may change the step.
func (u *ui) withPIN(what string, then func()) {
	if u.e.cfg.PIN == nil || u.pin.unlocked {
		then()
		return
	}
	u.pinGen++
	u.pin = pinPrompt{what: what, then: then, gen: u.pinGen}
	if st, err := u.e.cfg.PIN.State(); err == nil && u.e.now().Before(st.LockedUntil) {
		u.pin.locked = st.LockedUntil
	}
	u.mode = modePIN
	u.armPrompt()
}

// pinKey takes a key on the PIN screen.
func (u *ui) pinKey(k Key) {
	p := &u.pin
	if p.busy {
		return
	}
	if k == KeyCancel {
		u.backToMenu()
		return
	}
	if u.e.now().Before(p.locked) {
		return // locked: only Cancel, or the prompt's timeout, leaves
	}
	switch {
	case k >= '0' && k <= '9':
		if len(p.digits) < 12 {
			p.digits += string(rune(k))
		}
		p.msg = ""
	case k == KeyClear && p.digits != "":
		p.digits = p.digits[:len(p.digits)-1]
	case k == KeyOK && pin.Valid(p.digits) != nil:
		p.msg, p.digits = u.t("ui.pin_digits"), ""
	case k == KeyOK:
		u.checkPIN(p.digits)
		p.digits = ""
	}
	u.show()
}

// checkPIN checks typed off the Run goroutine (argon2id is slow on purpose) and acts on
// the outcome on it.
func (u *ui) checkPIN(typed string) {
	e := u.e
	u.pin.busy = true
	guard, gen := e.cfg.PIN, u.pin.gen
	e.spawn(func() {
		err := guard.Check(typed)
		e.post(e.ctx, func() { u.pinChecked(gen, err) })
	})
}

func (u *ui) pinChecked(gen int, err error) {
	p := &u.pin
	if u.mode != modePIN || p.gen != gen {
		return // the prompt ended (timeout) while the PIN was checked
	}
	p.busy = false
	var wrong *pin.WrongError
	var locked *pin.LockedError
	switch {
	case err == nil:
		u.e.log.Info("manager PIN entered", "for", p.what)
		p.unlocked = true
		u.mode = modeAdmin
		u.admin.step, u.text = "menu", ""
		p.then()
	case errors.As(err, &locked):
		u.e.log.Warn("manager PIN locked after wrong tries", "until", locked.Until)
		p.locked, p.msg = locked.Until, ""
	case errors.As(err, &wrong):
		u.e.log.Warn("wrong manager PIN", "for", p.what, "tries_left", wrong.Left)
		p.msg = u.t("ui.pin_wrong", wrong.Left)
		if wrong.Left == 1 {
			p.msg = u.t("ui.pin_wrong_one")
		}
	default:
		u.e.log.Error("manager PIN check failed", "err", err)
		p.msg = u.t("ui.pin_check_failed")
	}
	u.armPrompt()
	u.show()
}

// backToMenu returns from a PIN or confirmation screen to the admin menu.
func (u *ui) backToMenu() {
	u.mode = modeAdmin
	u.admin.step, u.text = "menu", ""
	u.armPrompt()
	u.show()
}

// pinScreen draws the PIN screen: the entry it opens, the typed digits masked, the last
// outcome; while locked, the time left instead.
func (u *ui) pinScreen() screen.Screen {
	p := u.pin
	s := screen.Screen{Kind: screen.Input, Title: u.t("screen.pin"), Lines: []string{p.what}}
	if left := p.locked.Sub(u.e.now()); left > 0 {
		s.Lines = append(s.Lines, u.t("ui.pin_locked"), u.t("ui.try_again_in", clockTime(left)))
		s.Hint = u.keyHint(use(KeyCancel, "back"))
		return s
	}
	switch {
	case p.busy:
		s.Lines = append(s.Lines, strings.Repeat("*", 4), u.t("ui.checking"))
	default:
		s.Lines = append(s.Lines, orText(strings.Repeat("*", len(p.digits)), "-"))
		s.Lines = append(s.Lines, nonEmpty(p.msg)...)
	}
	s.Hint = u.keyHint(use(KeyOK, "enter"), use(KeyCancel, "back"))
	return s
}

// clockTime writes d as minutes and seconds, rounded up: "4:59", "60:00".
func clockTime(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

// NoPINWarning is the warning (start-up log, Status) when no manager PIN is configured.
const NoPINWarning = "no manager PIN configured (admin.manager_pin_hash, terminald set-pin): refunds, reprints of older receipts and end of day are open to anyone at the keypad"

// warnings lists what Status and the start-up log warn about.
func (e *Engine) warnings() []string {
	if e.cfg.PIN == nil {
		return []string{NoPINWarning}
	}
	return nil
}
