package flow

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/store"
)

// newRefund commits a refund of minor units of payment p (pending) and sends it.
func (e *Engine) newRefund(p *store.Payment, minor int64, dest string) (*store.Refund, error) {
	rf, ok := e.providers[p.Provider].(driver.Refunder)
	if !ok {
		return nil, because(ErrNotRefundable, "%s payments cannot be refunded from the terminal: refund in the provider's back office", p.Provider)
	}
	if p.State != store.StatePaid {
		return nil, because(ErrNotPaid, "payment %s is %s, only paid payments can be refunded", p.ID, p.State)
	}
	if rf.RefundNeedsDestination() && dest == "" {
		return nil, fmt.Errorf("a %s refund needs a destination address", p.Provider)
	}
	var r *store.Refund
	err := e.st.Update(func(tx *store.Tx) error {
		cur, err := tx.Payment(p.ID)
		if err != nil {
			return err
		}
		others, err := tx.RefundsOf(p.ID)
		if err != nil {
			return err
		}
		left := leftToRefund(cur, others).Minor
		if minor == 0 {
			minor = left
		}
		if minor <= 0 || minor > left {
			return because(ErrRefundTooLarge, "refund of %s asked, %s left to refund on %s",
				money.New(minor, cur.Amount.Currency), money.New(left, cur.Amount.Currency), p.ID)
		}
		n, err := tx.Next("refund")
		if err != nil {
			return err
		}
		now := e.now()
		r = &store.Refund{ID: fmt.Sprintf("%s-R%d", p.ID, n), PaymentID: p.ID, Amount: money.New(minor, cur.Amount.Currency),
			State: store.RefundPending, Destination: dest, CreatedAt: now, UpdatedAt: now}
		return tx.PutRefund(r)
	})
	if err != nil {
		return nil, err
	}
	e.log.Info("refund created", "refund", r.ID, "payment", p.ID, "amount", r.Amount.String())
	e.refunds[r.ID] = &rtrack{r: r}
	e.tickRefunds(e.now())
	return r, nil
}

// tickRefunds sends pending refunds and follows accepted ones: oldest first, and one at
// a time for each payment, so a provider sees a payment's refunds in the order they
// were asked.
func (e *Engine) tickRefunds(now time.Time) {
	open := make([]*rtrack, 0, len(e.refunds))
	busy := map[string]bool{}
	for _, rt := range e.refunds {
		open = append(open, rt)
		if rt.busy {
			busy[rt.r.PaymentID] = true
		}
	}
	sort.Slice(open, func(i, j int) bool {
		a, b := open[i].r, open[j].r
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.ID < b.ID
	})
	for _, rt := range open {
		if rt.busy || busy[rt.r.PaymentID] {
			continue
		}
		if now.Before(rt.next) {
			if rt.r.State == store.RefundPending {
				// Not sent yet and waiting for its retry: a later refund of the same
				// payment waits behind it, so the provider sees them in the order asked.
				busy[rt.r.PaymentID] = true
			}
			continue
		}
		busy[rt.r.PaymentID] = true
		var p *store.Payment
		if err := e.st.View(func(tx *store.Tx) (err error) { p, err = tx.Payment(rt.r.PaymentID); return }); err != nil {
			e.log.Error("refund without its payment", "refund", rt.r.ID, "err", err)
			continue
		}
		rf, ok := e.providers[p.Provider].(driver.Refunder)
		if !ok {
			continue
		}
		rt.busy = true
		r := *rt.r
		r.Data = cloneData(rt.r.Data)
		pv, rv := e.view(p), refundView(&r)
		pv.StopRequested = nil // a refund is not a payment in flight
		e.spawn(func() {
			ctx, cancel := context.WithTimeout(e.ctx, e.cfg.CallTimeout)
			var u driver.RefundUpdate
			var err error
			if r.State == store.RefundPending {
				u, err = rf.Refund(ctx, pv, rv, func(x *driver.Refund) error {
					r.ProviderID, r.Data = x.ProviderID, cloneData(x.Data)
					return e.st.Update(func(tx *store.Tx) error { return tx.PutRefund(&r) })
				})
			} else {
				u, err = rf.CheckRefund(ctx, pv, rv)
			}
			cancel()
			e.post(e.ctx, func() {
				if e.ctx.Err() != nil {
					return // stopping: not an answer (see call); the refund is asked again at the next start
				}
				e.refunded(rt, &r, u, err)
			})
		})
	}
}

// refundRetryMax caps the interval between the attempts of a refund the provider did not
// take yet (unreachable, or refused for a reason that may pass).
const refundRetryMax = 5 * time.Minute

// refundBackoff sets rt's next attempt after a failed one: PollMin first, doubling up to
// refundRetryMax, spread by jitter and never sooner than the provider's Retry-After.
func (e *Engine) refundBackoff(rt *rtrack, err error) time.Duration {
	if rt.interval < e.cfg.PollMin {
		rt.interval = e.cfg.PollMin
	} else {
		rt.interval = min(rt.interval*2, max(refundRetryMax, e.cfg.PollMin))
	}
	d := jitter(rt.interval)
	if ra := driver.RetryAfter(err); ra > d {
		d = ra
	}
	rt.next = e.now().Add(d)
	return d
}

func (e *Engine) refunded(rt *rtrack, r *store.Refund, u driver.RefundUpdate, err error) {
	rt.busy = false
	old := rt.r
	rt.r = r
	if err != nil {
		d := e.refundBackoff(rt, err)
		if !errors.Is(err, driver.ErrUnreachable) {
			if reason := driver.CashierMessage(err); reason != old.Reason {
				r.Reason = reason
				e.update("refund reason", func(tx *store.Tx) error { return tx.PutRefund(r) })
			}
		}
		e.log.Warn("refund not accepted yet; retrying", "refund", r.ID, "err", err, "retry_in", d)
		return
	}
	prev := r.State
	if u.ProviderID != "" {
		r.ProviderID = u.ProviderID
	}
	r.Detail = orText(u.Detail, r.Detail)
	r.Reason = u.Reason
	r.State = store.RefundState(u.State)
	r.UpdatedAt = e.now()
	var jobs []*store.Job
	printNow := prev == store.RefundPending && r.State != store.RefundPending
	changed := r.State != prev || r.ProviderID != old.ProviderID || r.Detail != old.Detail || r.Reason != old.Reason
	if !changed {
		// An answer that changes nothing is not written (an accepted refund followed for
		// days would otherwise commit at every check); follow it less often.
		rt.interval = min(max(rt.interval*2, e.cfg.PollMax), max(e.cfg.WatchPollMax, e.cfg.PollMax))
		rt.next = e.now().Add(jitter(rt.interval))
		return
	}
	if printNow && r.State != store.RefundFailed {
		r.AcceptedAt = r.UpdatedAt
	}
	err = e.st.Update(func(tx *store.Tx) error {
		if printNow {
			n, err := nextReceipt(tx)
			if err != nil {
				return err
			}
			r.Receipt = n
			jobs = append(jobs, newJob(jobRefund, r.ID, string(receipt.Refund), r.UpdatedAt))
		}
		if r.State == store.RefundDone || r.State == store.RefundSent && prev == store.RefundPending {
			p, err := tx.Payment(r.PaymentID)
			if err != nil {
				return err
			}
			if prev == store.RefundPending {
				p.Refunded += r.Amount.Minor
				p.UpdatedAt = r.UpdatedAt
				if err := tx.PutPayment(p); err != nil {
					return err
				}
			}
		}
		for _, j := range jobs {
			if err := tx.Enqueue(j); err != nil {
				return err
			}
		}
		return tx.PutRefund(r)
	})
	if err != nil {
		e.log.Error("store commit failed", "refund", r.ID, "err", err)
		return
	}
	e.jobs = append(e.jobs, jobs...)
	e.log.Info("refund update", "refund", r.ID, "state", r.State, "detail", r.Detail)
	if r.State.Final() {
		delete(e.refunds, r.ID)
		return
	}
	// Accepted, not final: followed from PollMax (whatever the retries before reached),
	// doubling while nothing changes.
	rt.interval = e.cfg.PollMax
	rt.next = e.now().Add(jitter(rt.interval))
}
