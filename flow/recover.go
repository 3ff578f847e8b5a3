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
	var newest *track
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
		if p.Source == "ecr" && !p.State.Final() {
			// The register that asked for it is gone with the restart.
			p.Abandon = store.AbandonRestart
		}
		if p.State == store.StateAwaiting && p.Abandon == store.AbandonNone && (newest == nil || p.CreatedAt.After(newest.p.CreatedAt)) {
			newest = t
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
	if newest != nil && e.tracks[newest.p.ID] != nil && newest.p.State == store.StateAwaiting {
		e.ui.resume(newest)
	}
	for _, t := range e.tracks {
		if t != newest && t.p.State == store.StateAwaiting {
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
