package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// v2History writes a schema-2 database of n payments created a second apart, paid with a
// receipt and a settled time except those at the indexes in open (awaiting), and returns
// them oldest first.
func v2History(t *testing.T, path string, n int, open ...int) []*Payment {
	t.Helper()
	var ps []*Payment
	for i := range n {
		st := StatePaid
		if slices.Contains(open, i) {
			st = StateAwaiting
		}
		p := pay(flowID(uint64(1_000_000-n/2+i)), st, t0.Add(time.Duration(i)*time.Second))
		if st == StatePaid {
			p.Receipt, p.SettledAt = uint64(i%9999+1), p.CreatedAt
		} else {
			p.ExpiresAt = t0.Add(time.Duration(n+3600) * time.Second)
		}
		ps = append(ps, p)
	}
	writeV2(t, path, ps, nil)
	return ps
}

// countPay is how many payments are in the sequence-keyed layout.
func countPay(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	s.View(func(tx *Tx) error {
		return tx.tx.Bucket(bPay).ForEach(func(_, _ []byte) error { n++; return nil })
	})
	return n
}

// A schema-2 database with a long history and three payments in flight is ready (its
// open payments readable by recovery) without its history being moved: Open moves the
// three only. While the history waits, a payment of it is found by id and by receipt,
// end of day's settled list is complete, a refund's write to an old payment lands, and a
// listing gives the newest payments and says the rest is still migrating. The background
// migration stopped half-way (a crash between batches) resumes after a reopen, and at
// the end every payment is in the sequence order, newest first.
func TestReadyBeforeHistoryMigrates(t *testing.T) {
	const n = 5*historyBatch + 37
	inFlight := []int{7, n - 40, n - 3}
	path := filepath.Join(t.TempDir(), "state.db")
	ps := v2History(t, path, n, inFlight...)

	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := countPay(t, s); got != len(inFlight) {
		t.Fatalf("Open moved %d payments before READY, want only the %d in flight", got, len(inFlight))
	}
	if s.historyMoved.Load() != 0 {
		t.Fatalf("Open moved %d payments of the history", s.historyMoved.Load())
	}
	want := []string{ps[7].ID, ps[n-40].ID, ps[n-3].ID}
	if open := openIDs(t, s); !slices.Equal(open, want) {
		t.Fatalf("open payments at READY = %v, want %v", open, want)
	}
	if m, err := s.MigratingHistory(); err != nil || !m {
		t.Fatalf("MigratingHistory = %v, %v; want true", m, err)
	}
	// Reads while the history waits.
	old := ps[100]
	s.View(func(tx *Tx) error {
		p, err := tx.Payment(old.ID)
		if err != nil || p.Amount != old.Amount || p.Receipt != old.Receipt {
			t.Errorf("history payment by id = %+v, %v", p, err)
		}
		if kind, id, err := tx.ByReceipt(old.Receipt); err != nil || kind != "p" || id != old.ID {
			t.Errorf("receipt %d = %s %s, %v", old.Receipt, kind, id, err)
		}
		var settled []string
		tx.Settled(time.Time{}, func(p *Payment) error { settled = append(settled, p.ID); return nil })
		if len(settled) != n-len(inFlight) || settled[0] != ps[0].ID || settled[len(settled)-1] != ps[n-1].ID {
			t.Errorf("settled while migrating: %d payments, want %d oldest first", len(settled), n-len(inFlight))
		}
		return nil
	})
	page, err := s.List(context.Background(), Query{Receipt: old.Receipt})
	if err != nil || len(page.Payments) != 1 || page.Payments[0].ID != old.ID {
		t.Errorf("list by receipt while migrating = %v, %v", ids(page.Payments), err)
	}
	page, err = s.List(context.Background(), Query{})
	if !errors.Is(err, ErrMigrating) || !slices.Equal(ids(page.Payments), []string{ps[n-3].ID, ps[n-40].ID, ps[7].ID}) {
		t.Errorf("first page while migrating = %v, %v; want the open ones and ErrMigrating", ids(page.Payments), err)
	}
	// A refund of an old payment while it waits.
	refunded := ps[200].Clone()
	refunded.Refunded = 50
	refunded.UpdatedAt = t0.Add(time.Hour)
	put(t, s, refunded)
	s.View(func(tx *Tx) error {
		if p, err := tx.Payment(refunded.ID); err != nil || p.Refunded != refunded.Refunded {
			t.Errorf("refunded old payment reads %+v, %v", p, err)
		}
		return nil
	})
	// A new payment goes after everything.
	put(t, s, pay("T1-9999999-zzzzzz", StateAwaiting, t0.Add(-time.Hour)))

	// The background migration, stopped after two batches (as by a crash between them).
	ctx, cancel := context.WithCancel(context.Background())
	batches, moved := 0, 0
	s.afterMigrateBatch = func(m int) {
		moved += m
		if batches++; batches == 2 {
			cancel()
		}
	}
	if err := s.MigrateHistory(ctx, time.Millisecond); !errors.Is(err, context.Canceled) {
		t.Fatalf("MigrateHistory = %v, want it stopped", err)
	}
	s.Close()
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := countPay(t, s); got != len(inFlight)+1+moved {
		t.Fatalf("after the restart %d payments in sequence order, want %d", got, len(inFlight)+1+moved)
	}
	s.afterMigrateBatch = func(m int) { moved += m }
	if err := s.MigrateHistory(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if moved != n-len(inFlight) {
		t.Errorf("moved %d history payments in all, want %d (none twice)", moved, n-len(inFlight))
	}
	// Newest first: the new payment, the ones in flight at the upgrade, then the history.
	want = []string{"T1-9999999-zzzzzz", ps[n-3].ID, ps[n-40].ID, ps[7].ID}
	for i := n - 1; i >= 0; i-- {
		if !slices.Contains(inFlight, i) {
			want = append(want, ps[i].ID)
		}
	}
	var got []string
	s.View(func(tx *Tx) error {
		if tx.tx.Bucket(bPaymentsV2) != nil || tx.tx.Bucket(bMigrate) != nil || tx.migrating() {
			t.Error("migration left its old buckets or its phase")
		}
		return tx.Payments(func(p *Payment) bool { got = append(got, p.ID); return true })
	})
	if !slices.Equal(got, want) {
		t.Fatalf("order after migration: %d payments, first %v, want %d, first %v", len(got), got[:6], len(want), want[:6])
	}
	page, err = s.List(context.Background(), Query{Limit: 5, Before: Cursor(0)})
	if err != nil || len(page.Payments) != 5 {
		t.Fatalf("list after migration = %v, %v", ids(page.Payments), err)
	}
	s.View(func(tx *Tx) error {
		if p, err := tx.Payment(refunded.ID); err != nil || p.Refunded != refunded.Refunded {
			t.Errorf("refund of an old payment lost by the migration: %+v, %v", p, err)
		}
		k := 0
		tx.Settled(time.Time{}, func(p *Payment) error {
			if p.Seq == 0 {
				t.Errorf("settled %s read from the old layout after the migration", p.ID)
			}
			k++
			return nil
		})
		if k != n-len(inFlight) {
			t.Errorf("settled index has %d, want %d", k, n-len(inFlight))
		}
		return nil
	})
	// Pruning works on the migrated history (after an end of day).
	eod, _ := t0.Add(48 * time.Hour).MarshalText()
	if err := s.Update(func(tx *Tx) error { return tx.SetMeta("eod", eod) }); err != nil {
		t.Fatal(err)
	}
	if pruned, err := s.Prune(t0.Add(time.Duration(n/2) * time.Second)); err != nil || pruned == 0 {
		t.Errorf("prune after migration: %d, %v", pruned, err)
	}
}

// The daemon's Pruner moves a schema-2 history first, also while the clock is not yet
// trusted (pruning waits for that; the migration does not need it).
func TestPrunerMigratesHistoryFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	v2History(t, path, 2*historyBatch+5, 3)
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan struct{})
	s.afterMigrateBatch = func(int) {
		if m, _ := s.MigratingHistory(); !m {
			close(done)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &Pruner{Store: s, Retention: time.Hour, Now: time.Now, Trusted: func() bool { return false }, Pause: time.Millisecond}
	stopped := make(chan error)
	go func() { stopped <- p.Run(ctx) }()
	select {
	case <-done:
	case err := <-stopped:
		t.Fatalf("pruner stopped before the history moved: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("history not moved by the pruner within 30 s")
	}
	cancel()
	<-stopped
	if got := countPay(t, s); got != 2*historyBatch+5 {
		t.Errorf("%d payments in sequence order after the pruner's migration, want all", got)
	}
}
