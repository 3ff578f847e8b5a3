package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/terminald/terminald/money"
)

// history writes n paid payments a minute apart from t0 (ids H-000001…), reported by an
// end of day after the last one.
func history(t testing.TB, s *Store, n int) []*Payment {
	t.Helper()
	var ps []*Payment
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Minute)
		p := pay(fmt.Sprintf("H-%06d", i+1), StatePaid, at)
		p.SettledAt = at
		ps = append(ps, p)
	}
	for i := 0; i < n; i += 500 {
		put(t, s, ps[i:min(i+500, n)]...)
	}
	reportEOD(t, s, t0.Add(time.Duration(n)*time.Minute))
	return ps
}

func countPayments(t testing.TB, s *Store) int {
	t.Helper()
	n := 0
	s.View(func(tx *Tx) error { return tx.Payments(func(*Payment) bool { n++; return true }) })
	return n
}

// Opening a database with a prune backlog prunes nothing and recovery reads only the open
// index: start-up does not wait for history.
func TestPruneBacklogDoesNotDelayOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	history(t, s, 3000)
	put(t, s, pay("OPEN-1", StateAwaiting, t0), pay("OPEN-2", StateCancelling, t0))
	s.Close()

	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := openIDs(t, s); fmt.Sprint(got) != "[OPEN-1 OPEN-2]" {
		t.Fatalf("recovery read %v, want the two open payments", got)
	}
	if n := countPayments(t, s); n != 3002 {
		t.Fatalf("after open %d payments, want 3002: start-up must not prune", n)
	}
}

// A crash between prune batches: after reopening, the next batch goes on from the cursor
// (it does not examine again what the first batches kept), and a run that reaches the
// end starts the next one from the oldest again.
func TestPruneResumesAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps := history(t, s, 1000)
	// Every tenth payment has a receipt still to print: it is kept.
	s.Update(func(tx *Tx) error {
		for i := 0; i < len(ps); i += 10 {
			if err := tx.Enqueue(&Job{Kind: "print", Ref: ps[i].ID}); err != nil {
				return err
			}
		}
		return nil
	})
	cutoff := t0.Add(2000 * time.Minute)
	for range 2 {
		n, more, err := s.PruneBatch(cutoff, 100)
		if err != nil || n != 90 || !more {
			t.Fatalf("batch = %d, %v, %v; want 90 pruned and more", n, more, err)
		}
	}
	s.Close() // the crash

	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	total := 180
	for batches := 0; ; batches++ {
		n, more, err := s.PruneBatch(cutoff, 100)
		if err != nil {
			t.Fatal(err)
		}
		if more && n != 90 {
			t.Fatalf("batch after reopen pruned %d, want 90: it did not resume from the cursor", n)
		}
		total += n
		if !more || batches > 20 {
			break
		}
	}
	if total != 900 || countPayments(t, s) != 100 {
		t.Fatalf("pruned %d, %d left; want 900 and the 100 with jobs", total, countPayments(t, s))
	}
	// The next run starts from the oldest: once the jobs are done, the rest goes.
	s.Update(func(tx *Tx) error {
		jobs, _ := tx.Jobs()
		for _, j := range jobs {
			tx.DeleteJob(j.ID)
		}
		return nil
	})
	if n, err := s.Prune(cutoff); err != nil || n != 100 {
		t.Fatalf("second run pruned %d, %v; want 100", n, err)
	}
	s.View(func(tx *Tx) error {
		if k, _ := tx.tx.Bucket(bHours).Cursor().First(); k != nil {
			t.Error("hour index entries left for pruned payments")
		}
		return nil
	})
}

// What end of day or a refund still needs is never pruned.
func TestPruneKeepsWhatIsStillNeeded(t *testing.T) {
	s := openTemp(t)
	old := t0
	eod := t0.Add(10 * time.Hour)
	cutoff := t0.Add(24 * time.Hour)
	mk := func(id string, st State, settled time.Time) *Payment {
		p := pay(id, st, old)
		p.SettledAt = settled
		return p
	}
	gone := mk("GONE", StatePaid, old)
	gone.Receipt = 5
	unreported := mk("UNREPORTED", StatePaid, eod.Add(time.Minute)) // settled after the last end of day
	unreported.UpdatedAt = old
	openRefund := mk("OPEN-REFUND", StatePaid, old)
	recentRefund := mk("RECENT-REFUND", StatePaid, old)
	unprinted := mk("UNPRINTED", StatePaid, old)
	reused := mk("REUSED", StatePaid, old) // its receipt number now belongs to a newer payment
	reused.Receipt = 7
	newer := pay("NEWER", StatePaid, cutoff.Add(time.Hour))
	newer.Receipt, newer.SettledAt = 7, newer.CreatedAt
	put(t, s, gone, unreported, openRefund, recentRefund, unprinted, reused, newer)
	reportEOD(t, s, eod)
	err := s.Update(func(tx *Tx) error {
		for _, r := range []*Refund{
			{ID: "OPEN-REFUND-R1", PaymentID: openRefund.ID, State: RefundSent, Amount: money.New(1, "EUR"), UpdatedAt: old},
			{ID: "RECENT-REFUND-R1", PaymentID: recentRefund.ID, State: RefundDone, Amount: money.New(1, "EUR"), UpdatedAt: old, AcceptedAt: eod.Add(time.Hour)},
		} {
			if err := tx.PutRefund(r); err != nil {
				return err
			}
		}
		return tx.Enqueue(&Job{Kind: "print", Ref: unprinted.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(cutoff)
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want GONE and REUSED only", n, err)
	}
	s.View(func(tx *Tx) error {
		for _, id := range []string{"UNREPORTED", "OPEN-REFUND", "RECENT-REFUND", "UNPRINTED", "NEWER"} {
			if _, err := tx.Payment(id); err != nil {
				t.Errorf("%s pruned: %v", id, err)
			}
		}
		if _, id, err := tx.ByReceipt(7); err != nil || id != "NEWER" {
			t.Errorf("receipt 7 = %s, %v: pruning the old holder of a reused number took the new one's entry", id, err)
		}
		if _, _, err := tx.ByReceipt(5); err == nil {
			t.Error("receipt 5 of a pruned payment still indexed")
		}
		return nil
	})
}

// The background pruner works in bounded batches and holds no transaction between them:
// a payment commits while a run is under way.
func TestPrunerBatchesYield(t *testing.T) {
	s := openTemp(t)
	history(t, s, 700)
	var batches []int
	committed := make(chan error, 1)
	p := &Pruner{Store: s, Retention: time.Hour, Now: func() time.Time { return t0.Add(10000 * time.Minute) }, Batch: 100, Pause: time.Millisecond}
	p.afterBatch = func(n int) {
		batches = append(batches, n)
		if len(batches) == 1 {
			go func() {
				committed <- s.Update(func(tx *Tx) error { return tx.PutPayment(pay("LIVE", StateCreating, t0)) })
			}()
			select {
			case err := <-committed:
				if err != nil {
					t.Error(err)
				}
			case <-time.After(10 * time.Second):
				t.Error("a payment commit waited for the pruner between batches")
			}
		}
	}
	n, err := p.RunOnce(context.Background())
	if err != nil || n != 700 {
		t.Fatalf("RunOnce = %d, %v; want 700", n, err)
	}
	for _, b := range batches {
		if b > 100 {
			t.Fatalf("a batch pruned %d > 100", b)
		}
	}
	if len(batches) < 7 {
		t.Fatalf("%d batches, want at least 7", len(batches))
	}
	if got := openIDs(t, s); fmt.Sprint(got) != "[LIVE]" {
		t.Fatalf("open = %v", got)
	}
}

// After a big prune, Compact shrinks the file, keeps every live record and index, and is
// refused while the database is open elsewhere.
func TestCompactAfterPrune(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	history(t, s, 3000)
	put(t, s, pay("OPEN-1", StateAwaiting, t0))
	if n, err := s.Prune(t0.Add(2900 * time.Minute)); err != nil || n != 2900 {
		t.Fatalf("prune = %d, %v", n, err)
	}
	if _, _, err := Compact(path, 50*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Fatalf("Compact of an open database = %v, want ErrLocked", err)
	}
	s.Close()
	before, after, err := Compact(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if after >= before/2 {
		t.Fatalf("compacted %d → %d bytes, want less than half", before, after)
	}
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := countPayments(t, s); n != 101 {
		t.Fatalf("%d payments after compaction, want 101", n)
	}
	if got := openIDs(t, s); fmt.Sprint(got) != "[OPEN-1]" {
		t.Fatalf("open index after compaction = %v", got)
	}
	page, err := s.List(context.Background(), Query{Limit: 1})
	if err != nil || len(page.Payments) != 1 || page.Payments[0].ID != "OPEN-1" {
		t.Fatalf("newest after compaction = %v, %v", ids(page.Payments), err)
	}
	// New payments still get new sequence numbers after the old ones.
	put(t, s, pay("LATER", StatePaid, t0))
	page, _ = s.List(context.Background(), Query{Limit: 1})
	if page.Payments[0].ID != "LATER" || page.Payments[0].Seq <= 3001 {
		t.Fatalf("after compaction the next payment is %v seq %d", ids(page.Payments), page.Payments[0].Seq)
	}
}
