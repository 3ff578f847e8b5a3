package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultPruneBatch is how many payments one prune transaction examines: about 6 ms of
// write lock here, well under 100 ms on a Cortex-A53, so a payment's commit never waits long.
const DefaultPruneBatch = 64

var kPruneCursor = []byte("prune:cursor") // sequence number of the last payment examined

// PruneBatch examines up to batch payments (DefaultPruneBatch when ≤ 0), oldest first,
// from where the previous batch stopped (a cursor kept in the database, so a crash or a
// restart resumes), and deletes in the same transaction the ones that may go. It returns
// how many it deleted and whether the run has more to examine; a run ends at the first
// payment created at or after cutoff, and the next run starts again from the oldest.
//
// A payment is kept when it is still open or watched, was updated at or after cutoff, has
// a refund that is not final or was updated at or after cutoff, has an outbox job (its
// own or a refund's: an unprinted receipt), or settled (or had a refund accepted) after the
// last end-of-day (meta "eod"; none yet: every paid payment is kept) — end of day still
// has to report it.
func (s *Store) PruneBatch(cutoff time.Time, batch int) (pruned int, more bool, err error) {
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	err = s.db.Update(func(btx *bolt.Tx) error {
		t := &Tx{btx}
		if t.migrating() {
			return nil // MigrateHistory first: the history is not in sequence order yet
		}
		meta := btx.Bucket(bMeta)
		var eod time.Time
		reported := false
		if v := t.Meta("eod"); v != nil {
			reported = eod.UnmarshalText(v) == nil
		}
		jobs := map[string]bool{}
		if err := btx.Bucket(bOutbox).ForEach(func(_, v []byte) error {
			var j struct {
				Ref string `json:"ref"`
			}
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			jobs[j.Ref] = true
			return nil
		}); err != nil {
			return fmt.Errorf("store: prune: outbox: %w", err)
		}
		unreported := func(at time.Time) bool { return !at.IsZero() && (!reported || !at.Before(eod)) }

		c := btx.Bucket(bPay).Cursor()
		k, v := c.First()
		if cur := meta.Get(kPruneCursor); cur != nil {
			k, v = c.Seek(u64(be64(cur) + 1))
		}
		type victim struct {
			seq     uint64
			p       *Payment
			refunds []*Refund
		}
		var victims []victim
		var last uint64
		n := 0
		for ; k != nil && n < batch; k, v = c.Next() {
			n++
			seq := be64(k)
			p := new(Payment)
			if err := decodePayment(v, p); err != nil {
				return fmt.Errorf("store: prune: payment sequence %d: %w", seq, err)
			}
			if !p.CreatedAt.Before(cutoff) {
				k = nil // newer ones follow: this run is over
				break
			}
			last = seq
			if p.Open(cutoff) || !p.UpdatedAt.Before(cutoff) || jobs[p.ID] || unreported(p.SettledAt) {
				continue
			}
			refunds, err := t.RefundsOf(p.ID)
			if err != nil {
				return fmt.Errorf("store: prune: %w", err)
			}
			keep := false
			for _, r := range refunds {
				keep = keep || !r.State.Final() || !r.UpdatedAt.Before(cutoff) || jobs[r.ID] || unreported(r.AcceptedAt)
			}
			if !keep {
				victims = append(victims, victim{seq, p, refunds})
			}
		}
		for _, vi := range victims {
			if err := t.deletePayment(vi.seq, vi.p, vi.refunds); err != nil {
				return fmt.Errorf("store: prune: payment %s: %w", vi.p.ID, err)
			}
		}
		pruned = len(victims)
		if err := t.trimHours(); err != nil {
			return fmt.Errorf("store: prune: hour index: %w", err)
		}
		if k == nil {
			more = false
			return meta.Delete(kPruneCursor)
		}
		more = true
		return meta.Put(kPruneCursor, u64(last))
	})
	if err != nil {
		return 0, false, err
	}
	return pruned, more, nil
}

// deletePayment removes payment seq, its refunds and every index entry of both. A receipt
// index entry goes only if it still names this payment (receipt numbers are reused).
func (t *Tx) deletePayment(seq uint64, p *Payment, refunds []*Refund) error {
	receipts := t.tx.Bucket(bReceipts)
	dropReceipt := func(n uint64, ref string) error {
		if n != 0 && bytes.Equal(receipts.Get(u64(n)), []byte(ref)) {
			return receipts.Delete(u64(n))
		}
		return nil
	}
	for _, r := range refunds {
		if err := dropReceipt(r.Receipt, "r:"+r.ID); err != nil {
			return err
		}
		for _, del := range []struct {
			b []byte
			k []byte
		}{{bRefunds, []byte(r.ID)}, {bOpenRefunds, []byte(r.ID)}, {bRefundsOf, refundOfKey(p.ID, r.ID)}} {
			if err := t.tx.Bucket(del.b).Delete(del.k); err != nil {
				return err
			}
		}
	}
	if err := dropReceipt(p.Receipt, "p:"+p.ID); err != nil {
		return err
	}
	if !p.SettledAt.IsZero() {
		if err := t.tx.Bucket(bSettled).Delete(settledKey(p.SettledAt, seq)); err != nil {
			return err
		}
	}
	for _, del := range []struct {
		b []byte
		k []byte
	}{{bState, stateKey(p.State, seq)}, {bOpen, u64(seq)}, {bPayID, []byte(p.ID)}, {bPay, u64(seq)}} {
		if err := t.bucket(del.b).Delete(del.k); err != nil {
			return err
		}
	}
	return nil
}

// trimHours drops the hour index entries whose payments are all gone.
func (t *Tx) trimHours() error {
	first, _ := t.tx.Bucket(bPay).Cursor().First()
	oldest := be64(first)
	c := t.tx.Bucket(bHours).Cursor()
	for k, v := c.First(); k != nil && len(v) == 16 && (first == nil || be64(v[8:]) < oldest); k, v = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// Prune runs PruneBatch until the run is over and returns how many payments it deleted.
// It is for tools and tests: the daemon uses a Pruner, which yields between batches.
func (s *Store) Prune(cutoff time.Time) (int, error) {
	total := 0
	for {
		n, more, err := s.PruneBatch(cutoff, 0)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// Pruner removes old payments in the background, after the terminal is ready: bounded
// batches (one transaction of at most Batch payments each), a pause between batches so
// payments' commits never wait behind it for long, a cursor in the database so a crash
// resumes where it stopped. Start-up never waits for it.
type Pruner struct {
	Store     *Store
	Retention time.Duration    // final payments last updated longer ago than this go
	Now       func() time.Time // the wall clock
	// Trusted reports whether the wall clock can be trusted (synced); a run waits until
	// it is. Nil: always.
	Trusted func() bool
	Batch   int           // payments per transaction; DefaultPruneBatch when 0
	Pause   time.Duration // between batches, at least as long as the batch took; 20 ms when 0
	Every   time.Duration // between runs; 6 h when 0
	Log     *slog.Logger  // nil: slog.Default()
	// afterBatch is called after each batch (tests).
	afterBatch func(pruned int)
}

// Run moves a schema-2 history left by Open (Store.MigrateHistory), then prunes now and
// then every p.Every until ctx ends. It returns ctx's error.
func (p *Pruner) Run(ctx context.Context) error {
	every := p.Every
	if every <= 0 {
		every = 6 * time.Hour
	}
	pause := p.Pause
	if pause <= 0 {
		pause = 20 * time.Millisecond
	}
	// A schema-2 history left for after READY moves first (pruning walks the sequence
	// order); it needs no trusted clock.
	if err := p.Store.MigrateHistory(ctx, pause); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.log().Error("migrate history", "err", err)
	}
	for {
		wait := every
		if p.Trusted == nil || p.Trusted() {
			if _, err := p.RunOnce(ctx); err != nil && ctx.Err() == nil {
				p.log().Error("prune", "err", err)
			}
		} else {
			wait = min(every, time.Minute) // look again soon: the clock syncs after boot
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// RunOnce prunes one run to its end (or until ctx ends) and returns how many payments it
// deleted.
func (p *Pruner) RunOnce(ctx context.Context) (int, error) {
	pause := p.Pause
	if pause <= 0 {
		pause = 20 * time.Millisecond
	}
	cutoff := p.Now().Add(-p.Retention)
	total := 0
	for {
		start := time.Now()
		n, more, err := p.Store.PruneBatch(cutoff, p.Batch)
		took := time.Since(start)
		total += n
		if err != nil {
			return total, err
		}
		if p.afterBatch != nil {
			p.afterBatch(n)
		}
		if !more {
			if total > 0 {
				p.log().Info("pruned old payments", "count", total, "before", cutoff)
			}
			return total, nil
		}
		// Yield at least as long as the batch held the write lock: payments get the
		// lock at least half the time, also when commits are slow (a big freelist).
		if err := sleep(ctx, max(pause, took)); err != nil {
			return total, err
		}
	}
}

func (p *Pruner) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
