package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/terminald/terminald/store"
)

// recover loads every unfinished payment, refund and outbox job and reconciles each open
// payment with its provider before the terminal accepts new work. It runs the event loop
// while it waits, because providers commit their progress through the loop.
func (e *Engine) recover(ctx context.Context) error {
	e.recovering = true
	defer func() { e.recovering = false }()
	var open []*store.Payment
	var refunds []*store.Refund
	err := e.st.View(func(tx *store.Tx) error {
		var err error
		if open, err = tx.OpenPayments(); err != nil {
			return err
		}
		if refunds, err = tx.OpenRefunds(); err != nil {
			return err
		}
		e.jobs, err = tx.Jobs()
		return err
	})
	if err != nil {
		return fmt.Errorf("flow: recovery: %w", err)
	}
	now := e.now()
	for _, r := range refunds {
		e.refunds[r.ID] = &rtrack{r: r}
	}
	pending := 0
	// The one payment whose customer may still be at the counter: the newest keypad
	// payment whose QR was on screen. It is shown again and goes on.
	var newest *store.Payment
	for _, p := range open {
		if p.State == store.StateAwaiting && p.Source != "ecr" && p.Abandon == store.AbandonNone &&
			(newest == nil || p.CreatedAt.After(newest.CreatedAt)) {
			newest = p
		}
	}
	var resume *track
	for _, p := range open {
		t := &track{p: p, saved: p.Clone()}
		if _, ok := e.providers[p.Provider]; !ok {
			e.log.Error("open payment for a provider that is not configured; left as it is", "payment", p.ID, "provider", p.Provider)
			continue
		}
		e.tracks[p.ID] = t
		if p.State == store.StateNew {
			// Never reached a provider: nothing to reconcile.
			e.finish(t, store.StateCancelled, "Interrupted")
			continue
		}
		if p == newest {
			resume = t
		} else if !p.State.Final() && p.Abandon == store.AbandonNone {
			// Same crash, same outcome, whatever the provider: nobody waits for this
			// one any more (its register is gone, it was being created, or another
			// was on screen). Abandoned before it is asked, so the provider moves no
			// money on (driver.Payment.CancelRequested): already captured, it is kept
			// and printed; else it is released at the provider and a slip printed.
			p.Abandon = store.AbandonRestart
			if err := e.save(p); err != nil {
				return fmt.Errorf("flow: recovery: %w", err)
			}
		}
		pending++
		e.check(t)
		t.foreground = false
	}
	e.log.Info("recovery: reconciling", "open_payments", pending, "open_refunds", len(refunds), "outbox_jobs", len(e.jobs))
	if err := e.awaitChecks(ctx, pending); err != nil {
		return err
	}
	if err := e.recoverUnacknowledged(now); err != nil {
		return err
	}
	// Every open payment whose check finished is now in a known state.
	if resume != nil && e.tracks[resume.p.ID] != nil && resume.p.State == store.StateAwaiting {
		e.ui.resume(resume)
	}
	for _, t := range e.tracks {
		if t != resume && t.p.State == store.StateAwaiting {
			// Nobody is in front of the terminal for these any more.
			t.p.Abandon = store.AbandonRestart
			e.cancel(t)
		}
	}
	e.log.Info("recovery done", "open_payments", len(e.tracks), "took", time.Since(now).Round(time.Millisecond))
	return nil
}

// recoverUnacknowledged finds register payments confirmed paid but never acknowledged by
// their register (settled within the watch window) and handles them as unconfirmed.
func (e *Engine) recoverUnacknowledged(now time.Time) error {
	// Collected first: unconfirmed writes, and a write inside a read transaction
	// deadlocks bbolt.
	var unacked []*store.Payment
	err := e.st.View(func(tx *store.Tx) error {
		return tx.Settled(now.Add(-e.cfg.WatchWindow), func(p *store.Payment) error {
			if p.Source == "ecr" && p.ECR == store.ECRPending && !p.Unconfirmed {
				unacked = append(unacked, p.Clone())
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("flow: recovery: %w", err)
	}
	for _, p := range unacked {
		e.unconfirmed(p)
	}
	return nil
}

// awaitChecks runs the event loop until none of the pending recovery checks is under way
// any more (providers commit their progress through the loop).
func (e *Engine) awaitChecks(ctx context.Context, pending int) error {
	for pending > 0 {
		done := pending
		for _, t := range e.tracks {
			if t.busy {
				done--
			}
		}
		if done == pending {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case fn := <-e.events:
			fn()
		}
	}
	return nil
}
