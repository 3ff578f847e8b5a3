package flow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// newPayment commits a new payment for amount at provider prov: state new, or creating
// when prov asks nothing before its create call.
func (e *Engine) newPayment(amount money.Amount, prov, source string) (*track, error) {
	if e.closing {
		return nil, ErrClosing
	}
	if _, ok := e.providers[prov]; !ok {
		return nil, fmt.Errorf("flow: unknown provider %q", prov)
	}
	var rnd [3]byte
	rand.Read(rnd[:])
	now := e.now()
	p := &store.Payment{
		Provider: prov, Amount: amount, State: store.StateNew, Source: source,
		CreatedAt: now, UpdatedAt: now, ClockSynced: e.cfg.ClockSynced(),
	}
	if _, asks := e.providers[prov].(driver.Asker); !asks {
		// No input steps: start follows at once, so this commit is already the create
		// intent (start's own commit then has nothing to write). One fsync less between
		// OK and the QR; a crash before the call leaves a creating payment, which
		// recovery asks the provider about, as after a crash during the call.
		p.State = store.StateCreating
	}
	err := e.st.Update(func(tx *store.Tx) error {
		seq, err := tx.Next("payment")
		if err != nil {
			return err
		}
		n, err := tx.Next("trace")
		if err != nil {
			return err
		}
		p.Trace = traceNumber(n)
		p.ID = fmt.Sprintf("%s-%06d-%s", e.cfg.TerminalID, seq, hex.EncodeToString(rnd[:]))
		return tx.PutPayment(p)
	})
	if err != nil {
		return nil, fmt.Errorf("flow: store new payment: %w", err)
	}
	t := &track{p: p, saved: p.Clone()}
	e.tracks[p.ID] = t
	e.log.Info("payment created", "payment", p.ID, "amount", amount.String(), "provider", prov, "source", source)
	return t, nil
}

// ask runs the provider's input steps, then starts the payment.
func (e *Engine) ask(t *track) {
	asker, ok := e.providers[t.p.Provider].(driver.Asker)
	if !ok {
		e.start(t)
		return
	}
	t.busy = true
	p := e.view(t.p)
	e.spawn(func() {
		ctx, cancel := context.WithTimeout(e.ctx, e.cfg.CallTimeout)
		step, err := asker.NextStep(ctx, p)
		cancel()
		e.post(e.ctx, func() {
			t.busy = false
			if t.p.State != store.StateNew {
				return // cancelled meanwhile
			}
			e.noteReachability(t.p.Provider, err)
			if err != nil {
				if e.rideOut(t, err) {
					// A fault is not an answer: nothing was sent for the payment yet, so
					// the step is asked again on the polling schedule; the screen says so.
					e.log.Warn("input step: provider did not answer; asking again", "payment", t.p.ID, "err", err)
					t.askAgain = true
					e.ui.show()
					return
				}
				e.finish(t, store.StateFailed, driver.CashierMessage(err))
				return
			}
			t.calm()
			if step == nil {
				e.start(t)
				return
			}
			e.ui.stepAsked(step)
		})
	})
}

// answer records the answer to a provider's step (into the provider's data, under the
// step's key). It is not committed on its own: nothing is sent for the payment before
// start, whose commit (the create intent) carries the answers; a payment interrupted
// during its steps is cancelled at recovery without them. The error is always nil (kept
// for the caller, which asks for the next step).
func (e *Engine) answer(t *track, step *driver.Step, value string) error {
	if t.p.Data == nil {
		t.p.Data = map[string]string{}
	}
	t.p.Data[step.Key] = value
	if step.Scan || step.Text {
		t.p.Customer = value
	}
	return nil
}

// faultWindow is how long a payment rides out transient faults (driver.ErrUnreachable: no
// answer, a reset, 5xx, 429, garbage) where nothing of it is at the provider yet: its
// input steps (NextStep) and a create sent again after a check found the provider never
// got it. Within the window the call is repeated on the polling schedule (Retry-After
// honoured) and the screen says the provider is not answering; the sale fails only after
// the window, or at once on an answer that refuses it. A create whose outcome is unknown
// is not bound by it: it stays creating and checking until the provider answers.
const faultWindow = 60 * time.Second

// rideOut reports whether t's call that ended in err is to be repeated rather than end
// the sale: err is a transient fault and t's faults began less than faultWindow ago. It
// schedules the repeat (t.nextCheck).
func (e *Engine) rideOut(t *track, err error) bool {
	if !isFault(err) {
		return false
	}
	now := e.now()
	if t.faultSince.IsZero() {
		t.faultSince = now
	}
	if now.Sub(t.faultSince) >= faultWindow {
		e.log.Warn("provider did not answer within the fault window", "payment", t.p.ID, "window", faultWindow, "err", err)
		return false
	}
	e.schedule(t, err)
	return true
}

// calm records that t's provider answered: the next fault opens a new fault window.
func (t *track) calm() {
	t.faultSince = time.Time{}
	t.askAgain = false
	t.interval = 0
}

// begin commits a new payment of a at provider prov; ErrOffline when prov is not
// reachable (it is pinged again at once).
func (e *Engine) begin(a money.Amount, prov, source string) (*track, error) {
	if !e.online[prov] {
		e.lastPing[prov] = time.Time{}
		return nil, ErrOffline
	}
	return e.newPayment(a, prov, source)
}

// start commits the create intent and calls the provider.
func (e *Engine) start(t *track) {
	t.p.State = store.StateCreating
	if err := e.save(t.p); err != nil {
		t.p.State = store.StateNew // nothing was sent: the intent is not on disk
		e.storageError(t, err)
		return
	}
	e.ui.waiting(t)
	e.call(t, "start", e.providers[t.p.Provider].Start, func(u driver.Update, err error) {
		if a := driver.AttentionOf(err); a != "" {
			// The provider has the payment but a person must look (an amount that
			// differs): keep it open, flagged and on screen, and ask again.
			u.Remote, u.Attention, u.Detail = driver.RemotePending, a, "Needs attention: "+a
			e.apply(t, u)
			return
		}
		if err != nil && !errors.Is(err, driver.ErrUnreachable) {
			e.finish(t, store.StateFailed, driver.CashierMessage(err))
			return
		}
		if err != nil {
			// Unknown outcome (a fault, not an answer): the provider may or may not have
			// the payment. Ask it (Check finds it by its reference) and continue from its
			// answer; meanwhile the payment stays on screen as "checking", never failed.
			e.log.Warn("create: outcome unknown; asking the provider", "payment", t.p.ID, "err", err)
			if t.faultSince.IsZero() {
				t.faultSince = e.now()
			}
			t.p.Checking = true
			t.interval = 0
			e.schedule(t, err)
			e.save(t.p)
			e.ui.show()
			e.notify(t)
			return
		}
		e.apply(t, u)
	})
}

// storageError stops a payment whose state could not be committed: nothing more is sent
// for it, and the cashier sees why.
func (e *Engine) storageError(t *track, err error) {
	delete(e.tracks, t.p.ID)
	e.ui.storageError(t, err)
	for _, w := range e.waiters[t.p.ID] {
		close(w) // the register gets an error: nothing was sent
	}
	delete(e.waiters, t.p.ID)
}

// check asks the provider for t's state.
func (e *Engine) check(t *track) {
	e.call(t, "check", e.providers[t.p.Provider].Check, func(u driver.Update, err error) {
		if err != nil {
			e.schedule(t, err)
			if a := driver.AttentionOf(err); a != "" {
				e.flagged(t, a)
				return
			}
			if !errors.Is(err, driver.ErrUnreachable) {
				e.log.Warn("check failed", "payment", t.p.ID, "err", err)
			}
			e.ui.show()
			return
		}
		e.apply(t, u)
	})
}

// cancel asks the provider to cancel t (cashier, register or abandon).
func (e *Engine) cancel(t *track) {
	switch t.p.State {
	case store.StateNew:
		e.finish(t, store.StateCancelled, "Cancelled")
		return
	case store.StateCreating, store.StateAwaiting:
	default:
		if t.p.State != store.StateCancelling {
			return
		}
	}
	t.p.Cancel = store.CancelRequested
	if t.p.State != store.StateCreating {
		t.p.State = store.StateCancelling
	}
	if err := e.save(t.p); err != nil {
		return
	}
	if t.p.State == store.StateCreating && t.p.Checking && t.foreground {
		// The create's outcome is still being asked: the cashier need not wait for
		// it. The cancel is sent once the provider answers.
		e.ui.cancelPending(t)
	}
	if t.busy {
		return // picked up when the call under way returns (see apply)
	}
	if t.p.State == store.StateCreating {
		return
	}
	e.ui.show()
	e.call(t, "cancel", e.providers[t.p.Provider].Cancel, func(u driver.Update, err error) {
		switch {
		case err == nil:
			if u.Remote == driver.RemotePending {
				// Accepted but not final yet: keep asking, do not send it again.
				t.p.Cancel = store.CancelSent
				t.interval = 0
				e.schedule(t, nil)
				e.apply(t, u)
				return
			}
			e.apply(t, u)
		case errors.Is(err, driver.ErrPaymentInProgress):
			t.p.Cancel = store.CancelNone
			t.p.State = store.StateAwaiting
			t.note, t.noteUntil = "Cannot cancel: payment in progress", e.now().Add(e.cfg.ResultHold)
			e.save(t.p)
			t.nextCheck = time.Time{}
			e.ui.show()
		case errors.Is(err, driver.ErrUnreachable):
			// Still cancelling; the cancel is asked again in the background.
			e.schedule(t, err)
			e.ui.cancelPending(t)
		case errors.Is(err, driver.ErrCannotCancel):
			// No cancel at this provider: the customer may have paid already. One last
			// look tells what really happened (a register's abort must report it).
			e.call(t, "check", e.providers[t.p.Provider].Check, func(u driver.Update, err error) {
				if err == nil && u.Remote == driver.RemotePaid {
					t.p.Cancel = store.CancelNone // the cancel never took effect
					e.apply(t, u)
					return
				}
				// Abandon locally and watch for a late payment.
				e.finish(t, store.StateCancelled, "Cancelled")
			})
		default:
			// Refused: abandon locally and watch for a late payment.
			e.finish(t, store.StateCancelled, "Cancelled")
		}
	})
}

// accept takes an underpayment as it stands (the cashier's decision).
func (e *Engine) accept(t *track) {
	d, ok := e.providers[t.p.Provider].(driver.Decider)
	if !ok {
		return
	}
	t.p.Decision = store.DecisionAccepted
	if err := e.save(t.p); err != nil {
		return
	}
	e.ui.decision(true)
	if t.busy {
		// A status check is under way: accept as soon as it is back, never drop the key.
		t.acceptPending = true
		return
	}
	t.acceptPending = false
	e.call(t, "accept", d.Accept, func(u driver.Update, err error) {
		if err != nil {
			t.note, t.noteUntil = "Accept failed: "+driver.CashierMessage(err), e.now().Add(e.cfg.ResultHold)
			e.ui.decision(false)
			return
		}
		if u.Remote == driver.RemoteUnderpaid {
			u.Remote = driver.RemotePending
		}
		e.apply(t, u)
	})
}

// decline cancels an underpaid payment (the cashier's decision).
func (e *Engine) decline(t *track) {
	t.p.Decision = store.DecisionCancelled
	e.cancel(t)
}

// maxStarts bounds how often a create is sent again after a check found that the
// provider never got it, beyond those sent within the fault window.
const maxStarts = 3

// mayResend reports whether t's create may be sent again (same reference) after a check
// found the provider never got it: within the fault window of t's first fault, or at
// most maxStarts times.
func (e *Engine) mayResend(t *track) bool {
	if t.starts < maxStarts {
		return true
	}
	return !t.faultSince.IsZero() && e.now().Sub(t.faultSince) < faultWindow
}

// apply takes a provider update for t.
func (e *Engine) apply(t *track, u driver.Update) {
	p := t.p
	p.Checking = false // the provider answered
	if u.ProviderID != "" {
		p.ProviderID = u.ProviderID
	}
	if u.QR != "" {
		p.QR = u.QR
	}
	if !u.ExpiresAt.IsZero() {
		p.ExpiresAt = u.ExpiresAt
	}
	if u.Detail != "" {
		p.Detail = u.Detail
	}
	e.applyAttention(t, u)
	if len(u.Lines) == 0 && u.Remote == driver.RemotePending {
		u.Lines = t.upd.Lines // keep what the provider said at start (amount, address)
	}
	t.upd = u
	switch u.Remote {
	case driver.RemotePaid:
		e.finish(t, store.StatePaid, "")
		return
	case driver.RemoteFailed:
		e.finish(t, store.StateFailed, orText(u.Reason, "Payment failed"))
		return
	case driver.RemoteExpired:
		e.finish(t, store.StateExpired, "Expired")
		return
	case driver.RemoteCancelled:
		e.finish(t, store.StateCancelled, "Cancelled")
		return
	case driver.RemoteNotFound:
		if p.State == store.StateCreating && !t.busy && !cancelRequested(p) && !e.recovering && e.mayResend(t) {
			// The check after a create whose outcome was unknown shows the provider never
			// got it: send the same create again, with the same reference.
			t.starts++
			e.log.Info("create never reached the provider; sending it again", "payment", p.ID, "attempt", t.starts+1)
			e.start(t)
			return
		}
		if p.State == store.StateCreating || p.State == store.StateNew {
			// The provider never had it: like a payment refused while offline it ends
			// without a slip and without a receipt number (a "not paid" slip printed
			// minutes later, after the customer left, would only puzzle the cashier).
			p.State = store.StateNew
			e.finish(t, store.StateFailed, "Not received by provider")
			return
		}
		e.log.Warn("provider does not know a payment it created", "payment", p.ID)
		e.schedule(t, nil)
		return
	}
	// Pending or underpaid.
	drawn := false
	if p.State == store.StateCreating {
		p.State = store.StateAwaiting
		if p.ExpiresAt.IsZero() {
			p.ExpiresAt = e.now().Add(e.cfg.Expiry)
		}
		if p.Cancel == store.CancelNone && p.Abandon == store.AbandonNone {
			// The create's answer: the QR is drawn before the answer's commit, so the
			// customer does not wait for an fsync (issue 16). The create intent is on
			// disk with the payment's reference; a crash before the commit below leaves
			// it `creating`, and recovery asks the provider by that reference, as after a
			// crash during the create call itself. Nothing is sent on this answer
			// before it is committed: the register hears of it after (notify below).
			e.ui.changed(t)
			drawn = true
		}
	}
	if err := e.save(p); err != nil {
		return
	}
	if p.Cancel == store.CancelRequested && p.State != store.StateCancelling || p.Abandon != store.AbandonNone && !p.State.Final() {
		// A cancel was asked while a call was under way, or nobody is waiting for this
		// payment any more (created while offline, recovered register payment).
		if p.State == store.StateAwaiting {
			e.cancel(t)
			return
		}
	}
	if !t.busy && t.nextCheck.Before(e.now()) {
		// The check that brought this answer was due: the next one backs off.
		e.schedule(t, nil)
	}
	e.notify(t)
	if !drawn {
		e.ui.changed(t)
	}
}

// applyAttention records what the provider says a person must look at (u.Attention,
// the provider's latest word) and a paid amount that is not the amount asked: less is
// recorded as settled (an underpayment, flagged unless the cashier accepted it), more
// is recorded as what arrived and flagged.
func (e *Engine) applyAttention(t *track, u driver.Update) {
	p := t.p
	was := p.Attention
	p.Attention = u.Attention
	if u.Paid.Currency != "" && u.Paid != p.Amount {
		switch {
		case u.Paid.Currency != p.Amount.Currency || u.Paid.Minor <= 0:
			e.log.Error("provider reports a paid amount that does not fit the payment; ignored", "payment", p.ID, "paid", u.Paid.String())
			p.Attention = orText(p.Attention, "Paid amount not understood")
		case u.Paid.Minor < p.Amount.Minor:
			p.Settled = u.Paid
			if u.Remote == driver.RemotePaid && p.Decision != store.DecisionAccepted {
				p.Attention = orText(p.Attention, "Underpaid")
			}
		default:
			p.Settled = u.Paid
			p.Attention = orText(p.Attention, "Overpaid")
		}
	}
	if p.Attention != "" && p.Attention != was {
		e.log.Warn("payment needs attention", "payment", p.ID, "provider", p.Provider, "attention", p.Attention)
	}
}

// flagged records that a provider call answered with an error that needs a person
// (driver.Attentioner): the payment stays open, is flagged and shown, and is asked again.
func (e *Engine) flagged(t *track, reason string) {
	p := t.p
	if p.Attention != reason {
		e.log.Warn("payment needs attention", "payment", p.ID, "provider", p.Provider, "attention", reason)
	}
	p.Attention = reason
	p.Detail = "Needs attention: " + reason
	e.save(p)
	e.ui.show()
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// finish moves t to a final state: receipt number, print job and state in one commit.
func (e *Engine) finish(t *track, st store.State, reason string) {
	p := t.p
	now := e.now()
	prev := p.State
	wasAbandoned := prev.Final() && prev != store.StatePaid
	if prev == st && st.Final() && !wasAbandoned {
		return
	}
	if wasAbandoned && st != store.StatePaid {
		// The provider confirms the end of a payment we gave up on: stop watching.
		p.WatchUntil = time.Time{}
		p.Detail = orText(reason, p.Detail)
		e.save(p)
		e.untrack(t)
		return
	}
	reachedProvider := prev != store.StateNew
	p.State = st
	p.Reason = reason
	if st == store.StatePaid {
		p.SettledAt = now
		p.WatchUntil = time.Time{}
		if wasAbandoned || p.CancelAsked() {
			p.PaidLate = true
		}
	} else if reachedProvider && (st == store.StateCancelled || st == store.StateExpired) &&
		t.upd.Remote != driver.RemoteCancelled && t.upd.Remote != driver.RemoteExpired {
		// Cancelled or expired here, not confirmed by the provider: the customer may
		// still pay. Keep asking the provider for a while.
		p.WatchUntil = now.Add(e.cfg.WatchWindow)
	}
	var jobs []*store.Job
	if reachedProvider {
		kind := receiptKind(p)
		jobs = append(jobs, newJob(jobPayment, p.ID, string(kind), now))
		if e.cfg.MerchantCopy && st == store.StatePaid {
			jobs = append(jobs, newJob(jobPayment, p.ID, string(kind)+merchantCopy, now))
		}
		e.holdForRegister(p, jobs)
	}
	err := e.commit(p, func(tx *store.Tx) (err error) {
		if reachedProvider && p.Receipt == 0 {
			p.Receipt, err = nextReceipt(tx)
		}
		return err
	}, jobs...)
	if err != nil {
		p.State = prev
		return
	}
	e.cfg.Observer.PaymentFinished(p.Provider, st, p.PaidLate)
	e.log.Info("payment finished", "payment", p.ID, "state", st, "reason", reason, "late", p.PaidLate, "receipt", p.Receipt)
	if st == store.StatePaid && p.PaidLate {
		e.onLatePaid(t)
	}
	if st == store.StatePaid && p.Source == "ecr" && p.ECR == store.ECRPending && len(e.waiters[p.ID]) == 0 {
		e.unconfirmed(p) // its register is gone: nobody will acknowledge it
	}
	e.ui.finished(t)
	e.notify(t)
	if !p.Open(now) {
		e.untrack(t)
	} else {
		t.interval = 0 // watching starts at WatchPoll
		e.schedule(t, nil)
	}
}

// onLatePaid reverses a payment that arrived after the terminal gave up on it, where the
// provider can give the money back without asking the customer for anything.
func (e *Engine) onLatePaid(t *track) {
	if !e.cfg.ReverseLate {
		return
	}
	if rf, ok := e.providers[t.p.Provider].(driver.Refunder); ok && !rf.RefundNeedsDestination() {
		if _, err := e.newRefund(t.p, t.p.Amount.Minor, ""); err != nil {
			e.log.Error("reverse late payment", "payment", t.p.ID, "err", err)
		}
	}
}

func (e *Engine) untrack(t *track) {
	delete(e.tracks, t.p.ID)
	e.ui.untracked(t)
}

// notify wakes callers waiting for t (the register link).
func (e *Engine) notify(t *track) {
	ws := e.waiters[t.p.ID]
	if len(ws) == 0 {
		return
	}
	if !t.p.State.Final() && t.p.Abandon == store.AbandonNone {
		for _, w := range ws {
			select {
			case w <- t.p.Clone():
			default:
			}
		}
		return
	}
	for _, w := range ws {
		select {
		case w <- t.p.Clone():
		default:
		}
		close(w)
	}
	delete(e.waiters, t.p.ID)
}

// releaseWaiters hands every caller waiting for a payment (the register link) the
// payment as it stands and closes its channel: the engine is stopping.
func (e *Engine) releaseWaiters() {
	for id, ws := range e.waiters {
		var p *store.Payment
		if t := e.tracks[id]; t != nil {
			p = t.p.Clone()
		}
		for _, w := range ws {
			if p != nil {
				select {
				case w <- p:
				default:
				}
			}
			close(w)
		}
		delete(e.waiters, id)
	}
}

// onTick runs timers: polls, expiry, countdown redraw, result screens, the outbox.
func (e *Engine) onTick() {
	now := e.now()
	e.ticked = now
	for _, t := range e.tracks {
		p := t.p
		if t.busy {
			continue
		}
		if p.State.Final() && !p.Open(now) {
			e.commit(p, nil) // drops it from the open index (always written: UpdatedAt decides)
			e.untrack(t)
			continue
		}
		if p.State == store.StateAwaiting && !p.ExpiresAt.IsZero() && now.After(p.ExpiresAt.Add(min(5*time.Second, e.cfg.PollMax))) {
			// Ask once more, then expire locally.
			if p.ExpiryChecked {
				e.finish(t, store.StateExpired, "Expired")
				continue
			}
			p.ExpiryChecked = true
			e.check(t)
			continue
		}
		if p.State == store.StateNew {
			if t.askAgain && !now.Before(t.nextCheck) {
				t.askAgain = false
				e.ask(t)
			}
			continue
		}
		if now.Before(t.nextCheck) {
			continue
		}
		if p.State == store.StateCancelling && p.Cancel == store.CancelRequested {
			// Not yet accepted by the provider (unreachable, or before a restart): ask again.
			e.cancel(t)
			continue
		}
		e.check(t)
	}
	e.cfg.Observer.Gauges(e.inFlight(), len(e.jobs), e.printer)
	e.tickRefunds(now)
	e.tickJobs(now)
	e.pingProviders(now)
	e.ui.tick(now)
}

// pingProviders pings a provider whose call just met a fault (doubt) at once, and an
// offline one every PollMax, so that the terminal goes offline only when a ping fails too
// and comes back online by itself.
func (e *Engine) pingProviders(now time.Time) {
	for name, ok := range e.online {
		if e.pinging[name] || !e.doubt[name] && (ok || now.Sub(e.lastPing[name]) < e.cfg.PollMax) {
			continue
		}
		e.ping(name, now)
	}
}

// ping asks provider name whether it answers, in the background; the answer decides
// whether the terminal is online for it.
func (e *Engine) ping(name string, now time.Time) {
	e.pinging[name] = true
	e.doubt[name] = false
	e.lastPing[name] = now
	prov := e.providers[name]
	e.spawn(func() {
		ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
		err := prov.Ping(ctx)
		cancel()
		e.post(e.ctx, func() {
			e.pinging[name] = false
			reachable := !isFault(err)
			back := reachable && !e.online[name]
			e.setOnline(name, reachable)
			if back {
				for _, t := range e.tracks {
					if t.p.Provider == name {
						t.nextCheck = time.Time{}
					}
				}
			}
		})
	})
}
