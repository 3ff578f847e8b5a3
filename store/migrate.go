package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// migrations[i] moves a database from schema version i to i+1. Version 0 is an empty file.
// A migration that must touch every payment works in batches (see batched): each call
// does one bounded batch in its own transaction, and the schema version moves only when
// the last batch is done, so a crash mid-migration resumes where it stopped.
var migrations = []func(tx *bolt.Tx) (done bool, err error){
	// 0 → 1: the first schema: payments, the open index, refunds, the outbox, counters.
	func(tx *bolt.Tx) (bool, error) {
		for _, b := range [][]byte{bMeta, bPaymentsV2, bOpen, bRefunds, bOpenRefunds, bOutbox} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return false, err
			}
		}
		return true, nil
	},
	// 1 → 2: receipt-number and settled-time indexes (reprint by number, end-of-day by
	// settlement time), built from the payments already stored.
	func(tx *bolt.Tx) (bool, error) {
		rec, err := tx.CreateBucketIfNotExists(bReceipts)
		if err != nil {
			return false, err
		}
		set, err := tx.CreateBucketIfNotExists(bSettled)
		if err != nil {
			return false, err
		}
		return true, tx.Bucket(bPaymentsV2).ForEach(func(k, v []byte) error {
			var p Payment
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("payment %s: %w", k, err)
			}
			if p.Receipt != 0 {
				if err := rec.Put(u64(p.Receipt), []byte("p:"+p.ID)); err != nil {
					return err
				}
			}
			if !p.SettledAt.IsZero() {
				return set.Put(append(u64(uint64(p.SettledAt.UnixNano())), p.ID...), []byte(p.ID))
			}
			return nil
		})
	},
	// 2 → 3: payments keyed by a sequence number instead of their id's text, compact
	// records, the state, hour and refunds_of indexes, key-only open and settled indexes;
	// the engine's control state leaves Payment.Data (string keys "cancel", "abandon",
	// "ecr", "decision", "expiry") for typed fields (liftControlState).
	migrateV3,
}

// liftControlState moves the engine's keys of a schema-2 payment out of Data into their
// typed fields and reports whether p changed.
func liftControlState(p *Payment) bool {
	changed := false
	take := func(k string, set func(v string)) {
		if v, ok := p.Data[k]; ok {
			delete(p.Data, k)
			set(v)
			changed = true
		}
	}
	take("cancel", func(v string) { p.Cancel = CancelState(v) })
	take("abandon", func(v string) { p.Abandon = AbandonReason(v) })
	take("ecr", func(v string) { p.ECR = ECRState(v) })
	take("decision", func(v string) { p.Decision = Decision(v) })
	take("expiry", func(v string) { p.ExpiryChecked = v == "checked" })
	if changed && len(p.Data) == 0 {
		p.Data = nil
	}
	return changed
}

func schemaOf(tx *bolt.Tx) uint64 {
	b := tx.Bucket(bMeta)
	if b == nil {
		return 0
	}
	if v := b.Get(kSchema); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// migrate brings the database to SchemaVersion, one version per transaction.
func (s *Store) migrate() error {
	for {
		var done bool
		err := s.db.Update(func(tx *bolt.Tx) error {
			v := schemaOf(tx)
			if v > SchemaVersion {
				return fmt.Errorf("store: database schema %d is newer than this terminald (%d): upgrade terminald", v, SchemaVersion)
			}
			if v == SchemaVersion {
				done = true
				return nil
			}
			step, err := migrations[v](tx)
			if err != nil {
				return fmt.Errorf("store: migrate schema %d to %d: %w", v, v+1, err)
			}
			if !step {
				return nil // one batch done; the next transaction goes on
			}
			return tx.Bucket(bMeta).Put(kSchema, u64(v+1))
		})
		if err != nil || done {
			return err
		}
	}
}

func (s *Store) checkSchema() error {
	return s.db.View(func(tx *bolt.Tx) error {
		if v := schemaOf(tx); v != SchemaVersion {
			return fmt.Errorf("store: database schema %d, this terminald reads %d (start the daemon once to migrate)", v, SchemaVersion)
		}
		return nil
	})
}

// migrateBatch is how many payments one migration transaction moves: bounded memory and
// commit size however long the history.
const migrateBatch = 2000

var (
	kMigratePhase = []byte("migrate:phase") // "" set up, "order", "move"
	kMigrateScan  = []byte("migrate:scan")  // last old id put in order (phase "order")
)

// migrateV3 moves schema 2 payments (keyed by id text) into the sequence-keyed layout in
// creation order, one batch per call. Phases: set up the new buckets and the refunds_of
// index; "order": list every old payment by (created, id) in the migrate bucket; "move":
// walk that list from a cursor kept in meta and write each payment through putPayment
// (sequence, compact record, indexes); at the end the old buckets are deleted whole.
// Every batch is one transaction that moves the cursor with the payments it copied, so a
// crash resumes at the next start without copying anything twice.
func migrateV3(btx *bolt.Tx) (bool, error) {
	meta := btx.Bucket(bMeta)
	old := btx.Bucket(bPaymentsV2)
	switch string(meta.Get(kMigratePhase)) {
	case "":
		for _, name := range [][]byte{bOpen, bSettled} {
			if err := btx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return false, err
			}
		}
		for _, name := range [][]byte{bPay, bPayID, bOpen, bState, bHours, bSettled, bRefundsOf, bMigrate, bReceipts, bRefunds, bOpenRefunds, bOutbox} {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return false, err
			}
		}
		of := btx.Bucket(bRefundsOf)
		err := btx.Bucket(bRefunds).ForEach(func(k, v []byte) error {
			var r Refund
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("refund %s: %w", k, err)
			}
			if r.PaymentID == "" {
				return nil
			}
			return of.Put(refundOfKey(r.PaymentID, r.ID), nil)
		})
		if err != nil {
			return false, err
		}
		if old == nil || isEmpty(old) {
			if old != nil {
				if err := btx.DeleteBucket(bPaymentsV2); err != nil {
					return false, err
				}
			}
			return true, btx.DeleteBucket(bMigrate)
		}
		return false, meta.Put(kMigratePhase, []byte("order"))
	case "order":
		order := btx.Bucket(bMigrate)
		c := old.Cursor()
		k, v := c.First()
		if last := meta.Get(kMigrateScan); last != nil {
			if k, v = c.Seek(last); k != nil && bytes.Equal(k, last) {
				k, v = c.Next()
			}
		}
		var lastKey []byte
		for n := 0; k != nil && n < migrateBatch; k, v = c.Next() {
			var p struct {
				CreatedAt time.Time `json:"created_at"`
			}
			if err := json.Unmarshal(v, &p); err != nil {
				return false, fmt.Errorf("payment %s: %w", k, err)
			}
			if err := order.Put(append(u64(uint64(max(p.CreatedAt.UnixNano(), 0))), k...), nil); err != nil {
				return false, err
			}
			lastKey = k
			n++
		}
		if k == nil {
			if err := meta.Delete(kMigrateScan); err != nil {
				return false, err
			}
			return false, meta.Put(kMigratePhase, []byte("move"))
		}
		return false, meta.Put(kMigrateScan, bytes.Clone(lastKey))
	case "move":
		// Copy, do not delete: deleting record by record would grow the freelist that
		// every commit writes; the old buckets go whole at the end.
		order := btx.Bucket(bMigrate)
		c := order.Cursor()
		k, _ := c.First()
		if last := meta.Get(kMigrateScan); last != nil {
			if k, _ = c.Seek(last); k != nil && bytes.Equal(k, last) {
				k, _ = c.Next()
			}
		}
		t := &Tx{btx}
		var lastKey []byte
		for n := 0; k != nil && n < migrateBatch; k, _ = c.Next() {
			id := k[8:]
			if v := old.Get(id); v != nil {
				p := new(Payment)
				if err := json.Unmarshal(v, p); err != nil {
					return false, fmt.Errorf("payment %s: %w", id, err)
				}
				liftControlState(p)
				if err := t.putPayment(p, false); err != nil {
					return false, err
				}
			}
			lastKey = k
			n++
		}
		if k != nil {
			return false, meta.Put(kMigrateScan, bytes.Clone(lastKey))
		}
		for _, name := range [][]byte{bMigrate, bPaymentsV2} {
			if err := btx.DeleteBucket(name); err != nil {
				return false, err
			}
		}
		meta.Delete(kMigrateScan)
		return true, meta.Delete(kMigratePhase)
	}
	return false, fmt.Errorf("unknown migration phase %q", meta.Get(kMigratePhase))
}

func isEmpty(b *bolt.Bucket) bool {
	k, _ := b.Cursor().First()
	return k == nil
}
