package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migrations[i] moves a database from schema version i to i+1. Version 0 is an empty file.
var migrations = []func(tx *bolt.Tx) error{
	// 0 → 1: the first schema: payments, the open index, refunds, the outbox, counters.
	func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bPayments, bOpen, bRefunds, bOpenRefunds, bOutbox} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
	// 1 → 2: receipt-number and settled-time indexes (reprint by number, end-of-day by
	// settlement time), built from the payments already stored.
	func(tx *bolt.Tx) error {
		rec, err := tx.CreateBucketIfNotExists(bReceipts)
		if err != nil {
			return err
		}
		set, err := tx.CreateBucketIfNotExists(bSettled)
		if err != nil {
			return err
		}
		return tx.Bucket(bPayments).ForEach(func(k, v []byte) error {
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
				return set.Put(settledKey(p.SettledAt, p.ID), []byte(p.ID))
			}
			return nil
		})
	},
	// 2 → 3: the engine's control state leaves Payment.Data (string keys "cancel",
	// "abandon", "ecr", "decision", "expiry") for typed fields; Data keeps only the
	// provider's own keys.
	func(tx *bolt.Tx) error {
		b := tx.Bucket(bPayments)
		type kv struct{ k, v []byte }
		var changed []kv
		err := b.ForEach(func(k, v []byte) error {
			var p Payment
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("payment %s: %w", k, err)
			}
			if !liftControlState(&p) {
				return nil
			}
			data, err := json.Marshal(&p)
			if err != nil {
				return fmt.Errorf("payment %s: %w", k, err)
			}
			changed = append(changed, kv{append([]byte(nil), k...), data})
			return nil
		})
		if err != nil {
			return err
		}
		for _, c := range changed { // not inside ForEach: bbolt forbids writes while iterating
			if err := b.Put(c.k, c.v); err != nil {
				return err
			}
		}
		return nil
	},
}

// liftControlState moves the engine's keys of a schema-2 payment out of Data into their
// typed fields and reports whether p changed.
func liftControlState(p *Payment) bool {
	changed := false
	take := func(k string) string {
		v, ok := p.Data[k]
		if ok {
			delete(p.Data, k)
			changed = true
		}
		return v
	}
	p.Cancel = CancelState(take("cancel"))
	p.Abandon = AbandonReason(take("abandon"))
	p.ECR = ECRState(take("ecr"))
	p.Decision = Decision(take("decision"))
	p.ExpiryChecked = take("expiry") == "checked"
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
			if err := migrations[v](tx); err != nil {
				return fmt.Errorf("store: migrate schema %d to %d: %w", v, v+1, err)
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
