package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/terminald/terminald/money"
	bolt "go.etcd.io/bbolt"
)

// flowID is the display id flow gives a payment: terminal, counter, random.
func flowID(n uint64) string { return fmt.Sprintf("T1-%06d-a1b2c3", n) }

// newLikeFlow creates a payment the way flow does: counter, trace (six digits), id.
func newLikeFlow(t testing.TB, s *Store, at time.Time, st State) *Payment {
	t.Helper()
	p := pay("", st, at)
	err := s.Update(func(tx *Tx) error {
		seq, err := tx.Next("payment")
		if err != nil {
			return err
		}
		n, err := tx.Next("trace")
		if err != nil {
			return err
		}
		p.Trace = (n-1)%999_999 + 1
		p.ID = flowID(seq)
		if st == StatePaid {
			n, err := tx.Next("receipt")
			if err != nil {
				return err
			}
			p.Receipt = (n-1)%9999 + 1
			p.SettledAt = at
		}
		return tx.PutPayment(p)
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ids(ps []*Payment) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// Payments 999,990 … 1,000,009: the millionth id sorts before the 999,999th as text, but
// every newest-first reader follows creation order; trace numbers wrap from 999,999 to 1 and
// receipt numbers at 9999 without anything sorting by them.
func TestIDsPastAMillion(t *testing.T) {
	s := openTemp(t)
	err := s.Update(func(tx *Tx) error {
		for name, v := range map[string]uint64{"payment": 999_989, "trace": 999_989, "receipt": 9_989} {
			if err := tx.SetCounter(name, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var created []*Payment
	for i := range 20 {
		st := StatePaid
		if i%5 == 4 {
			st = StateFailed
		}
		created = append(created, newLikeFlow(t, s, t0.Add(time.Duration(i)*time.Minute), st))
	}
	if flowID(1_000_000) > flowID(999_999) {
		t.Fatal("test premise: the display ids should stop sorting at a million")
	}
	want := ids(created)
	slices.Reverse(want)

	// Payments (the listing, the register's refund search among the newest, end of day's
	// reconciliation that stops at the first old entry).
	var got []string
	stoppedAt := ""
	from := created[12].CreatedAt
	s.View(func(tx *Tx) error {
		return tx.Payments(func(p *Payment) bool {
			got = append(got, p.ID)
			if p.CreatedAt.Before(from) {
				stoppedAt = p.ID
				return false
			}
			return true
		})
	})
	if !slices.Equal(got, want[:len(got)]) || stoppedAt != created[11].ID {
		t.Fatalf("newest first = %v (stopped at %s), want %v stopping at %s", got, stoppedAt, want, created[11].ID)
	}

	// The paged listing, in pages of 7.
	got = nil
	var cur Cursor
	for pages := 0; ; pages++ {
		page, err := s.List(context.Background(), Query{Before: cur, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(page.Payments)...)
		if cur = page.Next; cur == 0 || pages > 5 {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged listing = %v, want %v", got, want)
	}

	// The state filter keeps the order too.
	page, err := s.List(context.Background(), Query{State: StateFailed})
	if err != nil {
		t.Fatal(err)
	}
	if g := ids(page.Payments); !slices.Equal(g, []string{created[19].ID, created[14].ID, created[9].ID, created[4].ID}) {
		t.Fatalf("failed payments = %v", g)
	}

	// Trace numbers wrapped from 999999 to 1 (six BCD digits, 0 is none); receipt numbers
	// to 1, 2, …: the receipt index answers with the newest payment holding a number.
	if created[9].Trace != 999_999 || created[10].Trace != 1 {
		t.Fatalf("traces around the wrap = %d, %d; want 999999, 1", created[9].Trace, created[10].Trace)
	}
	var wrapped *Payment
	for _, p := range created {
		if p.Receipt == 1 {
			wrapped = p
		}
	}
	if wrapped == nil {
		t.Fatal("test premise: receipt numbers should wrap to 1")
	}
	page, err = s.List(context.Background(), Query{Receipt: 1})
	if err != nil || len(page.Payments) != 1 || page.Payments[0].ID != wrapped.ID {
		t.Fatalf("receipt 1 = %v, %v; want %s", ids(page.Payments), err, wrapped.ID)
	}
	// End of day counts by settlement time, in time order.
	var settled []string
	s.View(func(tx *Tx) error {
		return tx.Settled(time.Time{}, func(p *Payment) error { settled = append(settled, p.ID); return nil })
	})
	var paid []string
	for _, p := range created {
		if p.State == StatePaid {
			paid = append(paid, p.ID)
		}
	}
	if !slices.Equal(settled, paid) {
		t.Fatalf("settled = %v, want %v", settled, paid)
	}
}

// writeV2 writes a schema-2 database the way terminald wrote it before sequence keys:
// payments keyed by id text (JSON), open index by id, settled index time+id → id,
// receipt index.
func writeV2(t testing.TB, path string, ps []*Payment, refunds []*Refund) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bMeta, bPaymentsV2, bOpen, bRefunds, bOpenRefunds, bOutbox, bReceipts, bSettled} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		for _, p := range ps {
			data, _ := json.Marshal(p)
			tx.Bucket(bPaymentsV2).Put([]byte(p.ID), data)
			if p.Open(p.UpdatedAt) {
				tx.Bucket(bOpen).Put([]byte(p.ID), nil)
			}
			if p.Receipt != 0 {
				tx.Bucket(bReceipts).Put(u64(p.Receipt), []byte("p:"+p.ID))
			}
			if !p.SettledAt.IsZero() {
				tx.Bucket(bSettled).Put(append(u64(uint64(p.SettledAt.UnixNano())), p.ID...), []byte(p.ID))
			}
		}
		for _, r := range refunds {
			data, _ := json.Marshal(r)
			tx.Bucket(bRefunds).Put([]byte(r.ID), data)
			if !r.State.Final() {
				tx.Bucket(bOpenRefunds).Put([]byte(r.ID), nil)
			}
		}
		return tx.Bucket(bMeta).Put(kSchema, u64(2))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A schema-2 database whose migration an earlier terminald began before READY and did not
// finish (ids across the million, their text order wrong) is finished by Open, in creation
// order, as that version would have.
func TestMigrateFromV2(t *testing.T) {
	const n = 2*migrateBatch + 500
	var ps []*Payment
	for i := range n {
		c := uint64(1_000_000 - n/2 + i)
		st := StatePaid
		if i == 7 || i == n-3 {
			st = StateAwaiting
		}
		p := pay(flowID(c), st, t0.Add(time.Duration(i)*time.Second))
		if st == StatePaid {
			p.Receipt, p.SettledAt = uint64(i%9999+1), p.CreatedAt
		}
		ps = append(ps, p)
	}
	refund := &Refund{ID: ps[5].ID + "-R1", PaymentID: ps[5].ID, Amount: money.New(100, "EUR"), State: RefundPending, CreatedAt: t0, UpdatedAt: t0}
	path := filepath.Join(t.TempDir(), "state.db")
	writeV2(t, path, ps, []*Refund{refund})

	// Cut the earlier version's migration short after a few batches (as a power cut would).
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if err := db.Update(func(tx *bolt.Tx) error { _, err := legacyMigrateV3(tx); return err }); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := ids(ps)
	slices.Reverse(want)
	var got []string
	s.View(func(tx *Tx) error {
		if v := schemaOf(tx.tx); v != SchemaVersion {
			t.Errorf("schema = %d, want %d", v, SchemaVersion)
		}
		if tx.tx.Bucket(bPaymentsV2) != nil || tx.tx.Bucket(bMigrate) != nil {
			t.Error("migration left its old buckets")
		}
		return tx.Payments(func(p *Payment) bool { got = append(got, p.ID); return true })
	})
	if !slices.Equal(got, want) {
		t.Fatalf("migrated order: %d payments, first %v, want %d first %v", len(got), got[:3], len(want), want[:3])
	}
	if open := openIDs(t, s); !slices.Equal(open, []string{ps[7].ID, ps[n-3].ID}) {
		t.Fatalf("open after migration = %v", open)
	}
	s.View(func(tx *Tx) error {
		if _, id, err := tx.ByReceipt(ps[42].Receipt); err != nil || id != ps[42].ID {
			t.Errorf("receipt %d = %s, %v", ps[42].Receipt, id, err)
		}
		if rs, err := tx.RefundsOf(ps[5].ID); err != nil || len(rs) != 1 {
			t.Errorf("refunds of %s = %v, %v", ps[5].ID, rs, err)
		}
		k := 0
		tx.Settled(time.Time{}, func(p *Payment) error {
			if k == 0 && p.ID != ps[0].ID {
				t.Errorf("first settled = %s, want %s", p.ID, ps[0].ID)
			}
			k++
			return nil
		})
		if k != n-2 {
			t.Errorf("settled index has %d, want %d", k, n-2)
		}
		return nil
	})
	// New payments go after the migrated ones.
	put(t, s, pay("T1-9999999-zzzzzz", StateNew, t0.Add(-time.Hour)))
	page, err := s.List(context.Background(), Query{Limit: 1})
	if err != nil || len(page.Payments) != 1 || page.Payments[0].ID != "T1-9999999-zzzzzz" {
		t.Fatalf("newest after migration = %v, %v", ids(page.Payments), err)
	}
}
