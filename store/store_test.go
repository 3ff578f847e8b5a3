package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/terminald/terminald/money"
	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func pay(id string, st State, at time.Time) *Payment {
	return &Payment{ID: id, Provider: "acountpay", Amount: money.New(1234, "EUR"), State: st, CreatedAt: at, UpdatedAt: at}
}

func put(t testing.TB, s *Store, ps ...*Payment) {
	t.Helper()
	if err := s.Update(func(tx *Tx) error {
		for _, p := range ps {
			if err := tx.PutPayment(p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// reportEOD records an end of day at 'at', as flow does.
func reportEOD(t testing.TB, s *Store, at time.Time) {
	t.Helper()
	v, _ := at.MarshalText()
	if err := s.Update(func(tx *Tx) error { return tx.SetMeta("eod", v) }); err != nil {
		t.Fatal(err)
	}
}

func openIDs(t *testing.T, s *Store) []string {
	t.Helper()
	var ids []string
	s.View(func(tx *Tx) error {
		ps, err := tx.OpenPayments()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		return nil
	})
	return ids
}

func TestOpenIndexFollowsState(t *testing.T) {
	s := openTemp(t)
	p := pay("T1-000001", StateCreating, t0)
	put(t, s, p, pay("T1-000002", StatePaid, t0))
	if got := openIDs(t, s); fmt.Sprint(got) != "[T1-000001]" {
		t.Fatalf("open = %v, want only the creating payment", got)
	}
	p.State = StatePaid
	put(t, s, p)
	if got := openIDs(t, s); len(got) != 0 {
		t.Fatalf("open after paid = %v, want none", got)
	}
	// A cancelled payment watched for a late answer stays open until the window ends.
	p.State = StateCancelled
	p.WatchUntil = t0.Add(24 * time.Hour)
	put(t, s, p)
	if got := openIDs(t, s); len(got) != 1 {
		t.Fatalf("watched payment not in open index: %v", got)
	}
}

func TestFailedTransactionLeavesNothing(t *testing.T) {
	s := openTemp(t)
	boom := errors.New("boom")
	err := s.Update(func(tx *Tx) error {
		if err := tx.PutPayment(pay("T1-000001", StatePaid, t0)); err != nil {
			return err
		}
		if err := tx.Enqueue(&Job{Kind: "print", Ref: "T1-000001"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	s.View(func(tx *Tx) error {
		if _, err := tx.Payment("T1-000001"); !errors.Is(err, ErrNotFound) {
			t.Errorf("payment survived a rolled back transaction: %v", err)
		}
		if jobs, _ := tx.Jobs(); len(jobs) != 0 {
			t.Errorf("job survived a rolled back transaction: %v", jobs)
		}
		return nil
	})
}

func TestCountersSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var a, b uint64
	s.Update(func(tx *Tx) error { a, _ = tx.Next("receipt"); a, _ = tx.Next("receipt"); return nil })
	s.Close()
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Update(func(tx *Tx) error { b, _ = tx.Next("receipt"); return nil })
	if a != 2 || b != 3 {
		t.Fatalf("receipt counter = %d then %d after reopen, want 2 then 3", a, b)
	}
}

func TestLockTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(path, &Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
}

func TestOutbox(t *testing.T) {
	s := openTemp(t)
	s.Update(func(tx *Tx) error {
		tx.Enqueue(&Job{Kind: "print", Ref: "a"})
		return tx.Enqueue(&Job{Kind: "cancel", Ref: "b"})
	})
	var jobs []*Job
	s.View(func(tx *Tx) error { jobs, _ = tx.Jobs(); return nil })
	if len(jobs) != 2 || jobs[0].Kind != "print" || jobs[1].Kind != "cancel" || jobs[0].ID == jobs[1].ID {
		t.Fatalf("jobs = %+v", jobs)
	}
	s.Update(func(tx *Tx) error { return tx.DeleteJob(jobs[0].ID) })
	s.View(func(tx *Tx) error { jobs, _ = tx.Jobs(); return nil })
	if len(jobs) != 1 || jobs[0].Ref != "b" {
		t.Fatalf("after delete jobs = %+v", jobs)
	}
}

func TestReceiptsAndSettled(t *testing.T) {
	s := openTemp(t)
	p := pay("T1-000001", StatePaid, t0)
	p.Receipt, p.SettledAt = 7, t0.Add(time.Minute)
	q := pay("T1-000002", StatePaid, t0)
	q.Receipt, q.SettledAt = 8, t0.Add(time.Hour)
	put(t, s, p, q)
	s.View(func(tx *Tx) error {
		kind, id, err := tx.ByReceipt(8)
		if err != nil || kind != "p" || id != "T1-000002" {
			t.Errorf("ByReceipt(8) = %s %s %v", kind, id, err)
		}
		var got []string
		tx.Settled(t0.Add(30*time.Minute), func(p *Payment) error { got = append(got, p.ID); return nil })
		if fmt.Sprint(got) != "[T1-000002]" {
			t.Errorf("settled since +30m = %v", got)
		}
		return nil
	})
}

func TestPrune(t *testing.T) {
	s := openTemp(t)
	old := pay("T1-000001", StatePaid, t0)
	old.Receipt = 1
	oldOpen := pay("T1-000002", StateAwaiting, t0)
	recent := pay("T1-000003", StatePaid, t0.Add(48*time.Hour))
	watched := pay("T1-000004", StateCancelled, t0)
	watched.WatchUntil = t0.Add(100 * time.Hour)
	put(t, s, old, oldOpen, recent, watched)
	reportEOD(t, s, t0.Add(time.Hour))
	n, err := s.Prune(t0.Add(24 * time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	s.View(func(tx *Tx) error {
		if _, err := tx.Payment("T1-000001"); !errors.Is(err, ErrNotFound) {
			t.Error("old final payment not pruned")
		}
		if _, _, err := tx.ByReceipt(1); !errors.Is(err, ErrNotFound) {
			t.Error("receipt index of pruned payment left behind")
		}
		for _, id := range []string{"T1-000002", "T1-000003", "T1-000004"} {
			if _, err := tx.Payment(id); err != nil {
				t.Errorf("%s pruned: %v", id, err)
			}
		}
		return nil
	})
}

// A version-1 database (before the receipt and settled indexes) is migrated on open and
// its indexes are built from the stored payments.
func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pay("T1-000001", StatePaid, t0)
	p.Receipt, p.SettledAt = 5, t0
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := migrations[0](tx); err != nil {
			return err
		}
		tx.Bucket(bMeta).Put(kSchema, u64(1))
		data := []byte(`{"id":"T1-000001","provider":"acountpay","amount":{"minor":1234,"currency":"EUR"},"state":"paid","receipt":5,"settled_at":"2026-11-21T10:00:00Z","created_at":"2026-11-21T10:00:00Z","updated_at":"2026-11-21T10:00:00Z"}`)
		return tx.Bucket(bPaymentsV2).Put([]byte(p.ID), data)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.View(func(tx *Tx) error {
		if v := schemaOf(tx.tx); v != SchemaVersion {
			t.Errorf("schema after open = %d, want %d", v, SchemaVersion)
		}
		if _, id, err := tx.ByReceipt(5); err != nil || id != p.ID {
			t.Errorf("receipt index not built by migration: %s %v", id, err)
		}
		n := 0
		tx.Settled(time.Time{}, func(*Payment) error { n++; return nil })
		if n != 1 {
			t.Errorf("settled index has %d entries, want 1", n)
		}
		return nil
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kSchema, u64(SchemaVersion+1)) })
	s.Close()
	if _, err := Open(path, nil); err == nil {
		t.Fatal("Open accepted a database from a newer terminald")
	}
}

func BenchmarkCommitTransition(b *testing.B) {
	s := openTemp(b)
	p := pay("T1-000001", StateCreating, t0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.State = StateAwaiting
		if i%2 == 1 {
			p.State = StateCreating
		}
		if err := s.Update(func(tx *Tx) error { return tx.PutPayment(p) }); err != nil {
			b.Fatal(err)
		}
	}
}

// A version-2 database keeps the engine's control state as string keys in Data; the
// migration moves them to typed fields and leaves the provider's own keys where they are.
func TestMigrateControlStateFromV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Records as schema 2 wrote them.
	recs := map[string]string{
		"T1-000001": `{"id":"T1-000001","provider":"acountpay","amount":{"minor":1234,"currency":"EUR"},"state":"cancelling","source":"ecr","data":{"cancel":"sent","abandon":"restart","ecr":"pending","expiry":"checked","request_id":"r-1"},"created_at":"2026-11-21T10:00:00Z","updated_at":"2026-11-21T10:00:00Z"}`,
		"T1-000002": `{"id":"T1-000002","provider":"cryptogw","amount":{"minor":1000,"currency":"EUR"},"state":"paid","data":{"decision":"accepted"},"settled":{"minor":900,"currency":"EUR"},"receipt":7,"settled_at":"2026-11-21T10:00:00Z","created_at":"2026-11-21T10:00:00Z","updated_at":"2026-11-21T10:00:00Z"}`,
		"T1-000003": `{"id":"T1-000003","provider":"accrue","amount":{"minor":500,"currency":"EUR"},"state":"awaiting","data":{"method":"Scan","code":"W-1"},"created_at":"2026-11-21T10:00:00Z","updated_at":"2026-11-21T10:00:00Z"}`,
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, m := range migrations[:2] {
			if _, err := m(tx); err != nil {
				return err
			}
		}
		tx.Bucket(bMeta).Put(kSchema, u64(2))
		for id, rec := range recs {
			if err := tx.Bucket(bPaymentsV2).Put([]byte(id), []byte(rec)); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	get := func(id string) *Payment {
		var p *Payment
		if err := s.View(func(tx *Tx) (err error) { p, err = tx.Payment(id); return }); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := get("T1-000001")
	if p.Cancel != CancelSent || p.Abandon != AbandonRestart || p.ECR != ECRPending || !p.ExpiryChecked || p.Decision != DecisionNone {
		t.Errorf("control state not lifted: %+v", p)
	}
	if len(p.Data) != 1 || p.Data["request_id"] != "r-1" {
		t.Errorf("data after migration = %v, want only the provider's key", p.Data)
	}
	p = get("T1-000002")
	if p.Decision != DecisionAccepted || p.Data != nil || p.Paid().Minor != 900 || p.Receipt != 7 {
		t.Errorf("underpaid payment after migration: %+v", p)
	}
	p = get("T1-000003")
	if p.Cancel != CancelNone || p.Abandon != AbandonNone || p.ECR != ECRNone || p.ExpiryChecked ||
		p.Data["method"] != "Scan" || p.Data["code"] != "W-1" {
		t.Errorf("payment without control state changed: %+v", p)
	}
	s.View(func(tx *Tx) error {
		if v := schemaOf(tx.tx); v != SchemaVersion {
			t.Errorf("schema after open = %d, want %d", v, SchemaVersion)
		}
		return nil
	})
}
