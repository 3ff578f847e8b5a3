package flow

import (
	"context"
	"time"

	"github.com/terminald/terminald/store"
)

// Every cashier prompt ends. A prompt is any screen that waits for the cashier: amount
// entry, provider choice, a provider's step (method choice, phone number, quote
// confirmation, wallet or code scan), the underpayment decision and the admin menu with
// its inputs (manager PIN, receipt number, refund amount, refund address, the
// confirmation of a money move). Each waits PromptTimeout after it shows or after the
// last key, shown as a countdown; a register payment's prompts end at the latest
// RegisterPromptLimit after the register asked, so the register always gets its answer
// before its own timeout.
//
// When a prompt runs out:
//   - amount entry, provider choice, admin menu: back to the idle screen; nothing was
//     started.
//   - a step before the payment was sent to the provider: the payment is cancelled
//     locally ("No answer"), a register that started it gets its result (6C aborted).
//   - the underpayment decision (the payment is at the provider): it is declined, and the
//     provider-side cancel rules apply (cancel at the provider, watch for a late payment).

// promptMode reports whether m waits for the cashier.
func promptMode(m mode) bool {
	switch m {
	case modeEntry, modeProvider, modeStep, modeDecision, modeAdmin, modePIN, modeConfirm:
		return true
	}
	return false
}

// armPrompt starts (or restarts, after a key) the current prompt's timer.
func (u *ui) armPrompt() {
	now := u.e.now()
	u.promptUntil = now.Add(u.e.cfg.PromptTimeout)
	if t := u.current(); t != nil && t.p.Source == "ecr" {
		if limit := t.p.CreatedAt.Add(u.e.cfg.RegisterPromptLimit); limit.Before(u.promptUntil) {
			u.promptUntil = limit
		}
	}
}

// promptDeadline is the countdown shown on a prompt screen (zero elsewhere).
func (u *ui) promptDeadline() time.Time {
	if promptMode(u.mode) {
		return u.promptUntil
	}
	return time.Time{}
}

// promptTick ends the current prompt when its time is up; it reports whether it did.
func (u *ui) promptTick(now time.Time) bool {
	if !promptMode(u.mode) || u.promptUntil.IsZero() || now.Before(u.promptUntil) {
		return false
	}
	u.e.log.Info("prompt timed out", "mode", int(u.mode), "payment", u.pay)
	u.abandonPrompt("No answer")
	return true
}

// abandonPrompt ends the prompt on screen as if nobody will ever answer it (timeout,
// or the end of the simulator's input): see the package comment above for what happens.
func (u *ui) abandonPrompt(reason string) {
	switch u.mode {
	case modeEntry, modeProvider, modeAdmin, modePIN, modeConfirm:
		u.mode, u.digits, u.text = modeIdle, "", "" // nothing was sent (a confirmation unanswered sends nothing)
		u.show()
	case modeStep:
		t := u.current()
		if t == nil {
			u.mode = modeIdle
			u.show()
			return
		}
		u.e.unanswered(t, reason)
		if u.mode == modeStep { // not finished (already at the provider): cancel pending
			u.release(t)
			u.mode = modeIdle
		}
		u.show()
	case modeDecision:
		if t := u.current(); t != nil {
			u.e.decline(t)
		}
		u.show()
	}
}

// unanswered ends t because its prompt will not be answered: a payment not yet sent to
// its provider is cancelled locally with reason; one already sent follows the cancel
// rules of the provider.
func (e *Engine) unanswered(t *track, reason string) {
	if t.p.State == store.StateNew {
		e.finish(t, store.StateCancelled, reason)
		return
	}
	e.cancel(t)
}

// InputEnded tells the engine that no more keys will come (the simulator's stdin ended).
// The prompt on screen, and every one that shows later, ends as if it had timed out
// (reason "Input ended"); keys typed ahead answer the steps they were typed for first. A
// step that takes a scan still waits for one (up to PromptTimeout) when scans is true.
func (e *Engine) InputEnded(scans bool) {
	e.post(context.Background(), func() {
		e.ui.keysEnded, e.ui.scansLeft = true, scans
		e.ui.inputEndedTick()
	})
}

// inputEndedTick ends a prompt nobody can answer any more (see InputEnded).
func (u *ui) inputEndedTick() bool {
	if !u.keysEnded || !promptMode(u.mode) {
		return false
	}
	if u.mode == modeStep && u.step != nil && u.step.Scan && u.scansLeft {
		return false
	}
	u.e.log.Info("input ended: prompt abandoned", "mode", int(u.mode), "payment", u.pay)
	u.abandonPrompt("Input ended")
	return true
}
