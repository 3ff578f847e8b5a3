package flow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/store"
)

// Pay runs a payment for the cash register and blocks until it ends. progress, when not
// nil, gets the payment at every change (for intermediate status). Cancelling ctx is the
// register's abort: the payment is cancelled at the provider and Pay returns what really
// happened, which may still be paid.
//
// When the engine stops first, Pay returns at once with the payment as last known (nil
// when it was never started) and ErrStopped.
//
// A paid payment from the register is not committed until Confirm; Unconfirmed (or a
// restart before Confirm) reverses it where the provider can and flags it otherwise.
func (e *Engine) Pay(ctx context.Context, amount money.Amount, progress func(*store.Payment)) (*store.Payment, error) {
	ch := make(chan *store.Payment, 16)
	var id string
	var err error
	if derr := e.do(context.Background(), func() {
		if e.recovering || e.ui.busy() {
			err = ErrBusy
			return
		}
		if err = e.checkAmount(amount); err != nil {
			return
		}
		if !e.online[e.order[0]] {
			e.lastPing[e.order[0]] = time.Time{} // pinged again at once
			e.ui.offline(e.order[0])
			err = ErrOffline
			return
		}
		t, nerr := e.newPayment(amount, e.order[0], "ecr")
		if nerr != nil {
			err = nerr
			return
		}
		t.p.ECR = store.ECRPending
		if err = e.save(t.p); err != nil {
			return
		}
		id = t.p.ID
		e.waiters[id] = append(e.waiters[id], ch)
		e.ui.foreground(t)
		e.ask(t)
	}); derr != nil {
		return nil, derr
	}
	if err != nil {
		return nil, err
	}
	return e.awaitPayment(ctx, id, ch, progress)
}

// awaitPayment follows register payment id through the updates on ch until it ends, is
// given up, or the engine stops; cancelling ctx asks the engine to cancel it (once).
func (e *Engine) awaitPayment(ctx context.Context, id string, ch <-chan *store.Payment, progress func(*store.Payment)) (*store.Payment, error) {
	aborted := false
	done := ctx.Done()
	var last *store.Payment
	for {
		select {
		case p, ok := <-ch:
			if !ok {
				switch {
				case last != nil && last.State.Final():
					return last, nil
				case last != nil && last.State != store.StateNew:
					return last, ErrStopped // the engine stopped while it was open
				}
				return nil, ErrNotStored
			}
			last = p
			if progress != nil {
				progress(p)
			}
			if p.State.Final() || p.Abandon != store.AbandonNone {
				return p, nil
			}
		case <-e.done:
			for { // what the engine reported before it stopped
				select {
				case p, ok := <-ch:
					if ok {
						last = p
						continue
					}
				default:
				}
				break
			}
			if last != nil && last.State.Final() {
				return last, nil
			}
			return last, ErrStopped
		case <-done:
			done = nil
			if !aborted {
				aborted = true
				e.post(context.Background(), func() {
					if t := e.tracks[id]; t != nil {
						e.cancel(t)
					}
				})
			}
		}
	}
}

// Confirm records that the register acknowledged the result of payment id.
func (e *Engine) Confirm(ctx context.Context, id string) error {
	var err error
	if derr := e.do(ctx, func() {
		var p *store.Payment
		if err = e.st.View(func(tx *store.Tx) (err error) { p, err = tx.Payment(id); return }); err != nil {
			return
		}
		if t := e.tracks[id]; t != nil {
			p = t.p // the live record
		}
		if p.ECR != store.ECRPending {
			return
		}
		p.ECR = store.ECRConfirmed
		held := e.heldJobs(id, true)
		err = e.commit(p, func(tx *store.Tx) error { return releaseJobs(tx, held, e.now()) })
	}); derr != nil {
		return derr
	}
	return err
}

// Unconfirmed records that the register never acknowledged the result of payment id (the
// link died, or it answered "goods not issued"). A paid payment is reversed where the
// provider can; otherwise it is flagged on screen, on a slip and in the store.
func (e *Engine) Unconfirmed(ctx context.Context, id string) error {
	var err error
	if derr := e.do(ctx, func() {
		var p *store.Payment
		if err = e.st.View(func(tx *store.Tx) (err error) { p, err = tx.Payment(id); return }); err != nil {
			return
		}
		e.unconfirmed(p)
	}); derr != nil {
		return derr
	}
	return err
}

func (e *Engine) unconfirmed(p *store.Payment) {
	if p.ECR != store.ECRPending {
		return
	}
	p.ECR = store.ECRUnconfirmed
	if p.State != store.StatePaid {
		e.save(p)
		return
	}
	p.Unconfirmed = true
	job := newJob(jobPayment, p.ID, string(receiptKind(p)), e.now())
	// The sale receipt held for the register's answer is replaced by the slip, in the
	// same transaction: a crash either way prints one of them, never both.
	held := e.heldJobs(p.ID, false)
	if err := e.commit(p, func(tx *store.Tx) error { return dropJobs(tx, held) }, job); err != nil {
		return
	}
	e.forgetJobs(held)
	if t := e.tracks[p.ID]; t != nil {
		t.p = p
	}
	e.log.Warn("paid, not confirmed to register", "payment", p.ID, "amount", p.Amount.String())
	reversed := false
	if rf, ok := e.providers[p.Provider].(driver.Refunder); ok && !rf.RefundNeedsDestination() {
		if _, err := e.newRefund(p, 0, ""); err == nil {
			reversed = true
		} else {
			e.log.Error("reverse unconfirmed payment", "payment", p.ID, "err", err)
		}
	}
	u := e.ui
	line := u.t("ui.check_customer")
	if reversed {
		line = u.t("ui.reversal_sent", u.brand(p.Provider))
	}
	u.notice(u.t("screen.unconfirmed"), u.t("ui.amount_receipt", u.money(p.Amount), fmtReceipt(p.Receipt)), line)
}

// Receipts of a register payment. A paid register payment's receipt (and merchant copy)
// is committed with the paid state as usual, but held (due RegisterAnswerHold later)
// while the register answers the result: Confirm makes it due at once; Unconfirmed (the
// register refused the result, e.g. 84 66, or its link died, or a restart came first)
// replaces it, in one transaction, by the "paid, not confirmed to register" slip, followed
// by the reversal's refund slip. So a sale the register refused never prints as
// approved, and a crash at any point prints exactly one of the two. If no answer comes
// within RegisterAnswerHold the receipt prints as it stands.

// holdForRegister delays jobs, the receipts of p, when p is a paid register payment
// whose register is waiting for the result now.
func (e *Engine) holdForRegister(p *store.Payment, jobs []*store.Job) {
	if p.State != store.StatePaid || p.Source != "ecr" || p.ECR != store.ECRPending || len(e.waiters[p.ID]) == 0 {
		return
	}
	until := e.now().Add(e.cfg.RegisterAnswerHold)
	for _, j := range jobs {
		j.NextAt = until
	}
}

// heldJobs returns payment id's receipt jobs not yet started: only those still held for
// the register (never tried, not due yet) when onlyHeld, else every one of them except
// an unconfirmed slip.
func (e *Engine) heldJobs(id string, onlyHeld bool) []*store.Job {
	now := e.now()
	var out []*store.Job
	for _, j := range e.jobs {
		if j.Ref != id || j.Kind != string(jobPayment) || j.Started || strings.HasPrefix(j.Arg, string(receipt.Unconfirmed)) {
			continue
		}
		if onlyHeld && (j.Attempts > 0 || !j.NextAt.After(now)) {
			continue
		}
		out = append(out, j)
	}
	return out
}

// releaseJobs makes jobs due at now.
func releaseJobs(tx *store.Tx, jobs []*store.Job, now time.Time) error {
	for _, j := range jobs {
		j.NextAt = now
		if err := tx.PutJob(j); err != nil {
			return err
		}
	}
	return nil
}

// dropJobs deletes jobs from the outbox (see forgetJobs for the engine's list).
func dropJobs(tx *store.Tx, jobs []*store.Job) error {
	for _, j := range jobs {
		if err := tx.DeleteJob(j.ID); err != nil {
			return err
		}
	}
	return nil
}

// forgetJobs removes jobs, deleted from the outbox, from the engine's list.
func (e *Engine) forgetJobs(jobs []*store.Job) {
	for _, d := range jobs {
		for i, j := range e.jobs {
			if j == d {
				e.jobs = append(e.jobs[:i], e.jobs[i+1:]...)
				break
			}
		}
	}
}

// Reverse refunds the whole payment printed with receipt number n (the register's
// reversal). It returns the payment and the refund on disk.
func (e *Engine) Reverse(ctx context.Context, n uint64) (*store.Payment, *store.Refund, error) {
	var p *store.Payment
	var r *store.Refund
	var err error
	derr := e.do(ctx, func() {
		err = e.st.View(func(tx *store.Tx) error {
			kind, id, err := tx.ByReceipt(n)
			if err != nil {
				return err
			}
			if kind != "p" {
				return fmt.Errorf("receipt %04d is a refund, not a payment", n)
			}
			p, err = tx.Payment(id)
			return err
		})
		if err != nil {
			return
		}
		switch {
		case p.State != store.StatePaid:
			err = ErrNotReversible
			return
		case p.Refunded > 0:
			err = ErrAlreadyRefunded
			return
		}
		r, err = e.newRefund(p, 0, "")
	})
	if derr != nil {
		return nil, nil, derr
	}
	return p, r, err
}

// RefundLatest refunds amount from the newest paid payment in its currency that has that
// much left to refund (among the newest 500 payments): a register's refund names no
// payment, and QR providers refund against one. It returns the payment and the refund on
// disk; ErrNothingToRefund when no payment fits.
func (e *Engine) RefundLatest(ctx context.Context, amount money.Amount) (*store.Payment, *store.Refund, error) {
	var p *store.Payment
	var r *store.Refund
	var err error
	derr := e.do(ctx, func() {
		if amount.Minor <= 0 { // zero would mean "all that is left"
			err = &AmountError{Amount: amount, Limit: money.New(1, amount.Currency), Err: ErrAmountTooSmall}
			return
		}
		n := 0
		err = e.st.View(func(tx *store.Tx) error {
			return tx.Payments(func(x *store.Payment) bool {
				n++
				if x.State == store.StatePaid && x.Amount.Currency == amount.Currency && x.Paid().Minor-x.Refunded >= amount.Minor {
					p = x
					return false
				}
				return n < 500
			})
		})
		if err != nil {
			return
		}
		if p == nil {
			err = ErrNothingToRefund
			return
		}
		r, err = e.newRefund(p, amount.Minor, "")
	})
	if derr != nil {
		return nil, nil, derr
	}
	return p, r, err
}

// WaitRefund blocks until refund id leaves the pending state (accepted or failed) or ctx
// ends, and returns it.
func (e *Engine) WaitRefund(ctx context.Context, id string) (*store.Refund, error) {
	for {
		var r *store.Refund
		err := e.st.View(func(tx *store.Tx) (err error) { r, err = tx.Refund(id); return })
		if err != nil {
			return nil, err
		}
		if r.State != store.RefundPending {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-e.done:
			return r, ErrStopped
		case <-time.After(100 * time.Millisecond):
		}
	}
}
