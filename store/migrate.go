package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// migrateBatch is how many payments one transaction of a legacy migration (before READY)
// moves: bounded memory and commit size however long the history.
const migrateBatch = 2000

// historyBatch is how many payments one transaction of MigrateHistory (after READY)
// moves: about 6 ms of write lock here, well under 100 ms on a Cortex-A53, so a payment's
// commit never waits long behind it.
const historyBatch = 128

// historyBase is the sequence number below which the history of a database migrated from
// schema 2 is numbered (newest history payment historyBase-1, counting down), and after
// which the payments open at the upgrade and every later payment are numbered: the open
// ones are moved before READY, the history after it, and both keep "newest first".
const historyBase = 1 << 40

var (
	kMigratePhase = []byte("migrate:phase") // set while history waits: "history-order", then "history-move" ("order", "move": legacyMigrateV3)
	kMigrateScan  = []byte("migrate:scan")  // last old id put in order ("order"), last order key moved ("move")
)

// ErrMigrating is returned (wrapped) by a listing that reached the payments of a schema-2
// history not yet moved by MigrateHistory: the page holds what is there, newest first;
// the rest follows once the background migration is done.
var ErrMigrating = errors.New("store: older payments are still being migrated in the background")

// migrateV3 is the part of the schema 2 → 3 migration that runs before READY, in one
// transaction whose size follows the payments in flight, not the history: new buckets, the
// refunds_of index, and the payments of the old open index moved into the sequence-keyed
// layout (numbered from historyBase up, in creation order). The history stays in the old
// bucket, readable by id (Payment, Settled, ByReceipt fall back to it), and is moved by
// MigrateHistory after READY; meta "migrate:phase" says it waits.
func migrateV3(btx *bolt.Tx) (bool, error) {
	meta := btx.Bucket(bMeta)
	old := btx.Bucket(bPaymentsV2)
	if meta.Get(kMigratePhase) != nil {
		return legacyMigrateV3(btx) // begun by an earlier terminald, before READY
	}
	// The schema-2 open index is keyed by id; read it before the new one replaces it.
	var openIDs [][]byte
	if b := btx.Bucket(bOpen); b != nil {
		if err := b.ForEach(func(k, _ []byte) error { openIDs = append(openIDs, bytes.Clone(k)); return nil }); err != nil {
			return false, err
		}
		if err := btx.DeleteBucket(bOpen); err != nil {
			return false, err
		}
	}
	// The settled bucket keeps its schema-2 entries (time + id → id) until their payments
	// move; schema-3 entries (time + seq → nil) join them.
	for _, name := range [][]byte{bPay, bPayID, bOpen, bState, bHours, bSettled, bRefundsOf, bReceipts, bRefunds, bOpenRefunds, bOutbox} {
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
		if err := btx.DeleteBucket(bMigrate); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return false, err
		}
		return true, nil
	}
	var open []*Payment
	for _, id := range openIDs {
		v := old.Get(id)
		if v == nil {
			continue
		}
		p := new(Payment)
		if err := json.Unmarshal(v, p); err != nil {
			return false, fmt.Errorf("payment %s: %w", id, err)
		}
		open = append(open, p)
	}
	slices.SortFunc(open, func(a, b *Payment) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if err := btx.Bucket(bPay).SetSequence(historyBase); err != nil {
		return false, err
	}
	t := &Tx{btx}
	for _, p := range open {
		if err := t.moveV2(p, p.SettledAt, 0); err != nil {
			return false, err
		}
	}
	if _, err := btx.CreateBucketIfNotExists(bMigrate); err != nil {
		return false, err
	}
	return true, meta.Put(kMigratePhase, []byte("history-order"))
}

// moveV2 writes schema-2 payment p into the sequence-keyed layout with sequence number
// seq (0: the next one) and drops the schema-2 settled entry of its settled time was
// (zero: none). The old record stays until
// the old bucket goes whole (deleting record by record would grow the freelist every
// commit writes); the id index tells which copy is current.
func (t *Tx) moveV2(p *Payment, was time.Time, seq uint64) error {
	liftControlState(p)
	if err := t.putPaymentSeq(p, seq, false); err != nil {
		return err
	}
	if !was.IsZero() {
		return t.tx.Bucket(bSettled).Delete(settledKeyV2(was, p.ID))
	}
	return nil
}

func settledKeyV2(at time.Time, id string) []byte {
	return append(u64(uint64(at.UnixNano())), id...)
}

// migrating reports whether a schema-2 history still waits for MigrateHistory.
func (t *Tx) migrating() bool {
	return bytes.HasPrefix(t.tx.Bucket(bMeta).Get(kMigratePhase), []byte("history-"))
}

// historyMoved returns how many payments of the schema-2 history MigrateHistory moved so
// far (they are numbered down from historyBase).
func (t *Tx) historyMoved() uint64 {
	k, _ := t.tx.Bucket(bPay).Cursor().First()
	if k == nil || be64(k) >= historyBase {
		return 0
	}
	return historyBase - be64(k)
}

// MigratingHistory reports whether a schema-2 history still waits to be moved by
// MigrateHistory (listings may then end early with ErrMigrating).
func (s *Store) MigratingHistory() (bool, error) {
	var m bool
	err := s.View(func(t *Tx) error { m = t.migrating(); return nil })
	return m, err
}

// paymentV2 reads payment id from the schema-2 bucket while the history waits; nil when
// it is not there or has moved (the old record stays until the bucket goes whole).
func (t *Tx) paymentV2(id []byte) (*Payment, error) {
	if !t.migrating() {
		return nil, nil
	}
	old := t.tx.Bucket(bPaymentsV2)
	if old == nil || t.tx.Bucket(bPayID).Get(id) != nil {
		return nil, nil
	}
	v := old.Get(id)
	if v == nil {
		return nil, nil
	}
	p := new(Payment)
	if err := json.Unmarshal(v, p); err != nil {
		return nil, fmt.Errorf("store: payment %s: decode: %w", id, err)
	}
	liftControlState(p)
	return p, nil
}

// putV2 writes p, a payment of the schema-2 history not moved yet, where it is: its JSON
// record in the old bucket (MigrateHistory moves it later, with its place in the order),
// keeping the receipt and schema-2 settled entries in step. It reports false, writing
// nothing, when p is not there or is open now (an open payment moves at once: recovery
// reads the open index).
func (t *Tx) putV2(p *Payment, receipts bool) (bool, error) {
	prev, err := t.paymentV2([]byte(p.ID))
	if err != nil || prev == nil || p.Open(p.UpdatedAt) {
		return false, err
	}
	rec := *p
	rec.Seq = 0
	data, err := json.Marshal(&rec)
	if err != nil {
		return false, fmt.Errorf("store: payment %s: encode: %w", p.ID, err)
	}
	if err := t.tx.Bucket(bPaymentsV2).Put([]byte(p.ID), data); err != nil {
		return false, err
	}
	if receipts && p.Receipt != 0 && prev.Receipt != p.Receipt {
		if err := t.tx.Bucket(bReceipts).Put(u64(p.Receipt), []byte("p:"+p.ID)); err != nil {
			return false, err
		}
	}
	settled := t.tx.Bucket(bSettled)
	if !prev.SettledAt.IsZero() && !prev.SettledAt.Equal(p.SettledAt) {
		if err := settled.Delete(settledKeyV2(prev.SettledAt, p.ID)); err != nil {
			return false, err
		}
	}
	if !p.SettledAt.IsZero() {
		if err := settled.Put(settledKeyV2(p.SettledAt, p.ID), []byte(p.ID)); err != nil {
			return false, err
		}
	}
	return true, nil
}

// MigrateHistory moves the payments of a schema-2 history that Open left in the old
// bucket (see migrateV3) into the sequence-keyed layout, after READY: batches of
// historyBatch payments, one transaction each, pausing between them at least as long as
// the batch held the write lock (pause when longer), so payments' commits are not held
// up. First every old payment is listed by creation time (phase "order"), then they move
// newest first, numbered down from historyBase (phase "move"): a listing is right up to
// the oldest payment moved so far. Each batch moves a cursor kept in the database with
// the payments it copied, so a crash or a stop resumes where it was. It returns nil at
// once when nothing waits, and ctx's error when ctx ends first.
func (s *Store) MigrateHistory(ctx context.Context, pause time.Duration) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		var done bool
		var moved int
		err := s.db.Update(func(btx *bolt.Tx) (err error) {
			done, moved, err = migrateHistoryBatch(btx)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrate history: %w", err)
		}
		s.historyMoved.Add(uint64(moved))
		if s.afterMigrateBatch != nil {
			s.afterMigrateBatch(moved)
		}
		if done {
			return nil
		}
		if err := sleep(ctx, max(pause, time.Since(start))); err != nil {
			return err
		}
	}
}

// migrateHistoryBatch does one batch of MigrateHistory and reports whether the history is
// done and how many payments it moved.
func migrateHistoryBatch(btx *bolt.Tx) (done bool, moved int, err error) {
	meta := btx.Bucket(bMeta)
	old := btx.Bucket(bPaymentsV2)
	switch string(meta.Get(kMigratePhase)) {
	case "":
		return true, 0, nil
	case "history-order":
		order := btx.Bucket(bMigrate)
		c := old.Cursor()
		k, v := c.First()
		if last := meta.Get(kMigrateScan); last != nil {
			if k, v = c.Seek(last); k != nil && bytes.Equal(k, last) {
				k, v = c.Next()
			}
		}
		var lastKey []byte
		for n := 0; k != nil && n < historyBatch; k, v = c.Next() {
			var p struct {
				CreatedAt time.Time `json:"created_at"`
			}
			if err := json.Unmarshal(v, &p); err != nil {
				return false, 0, fmt.Errorf("payment %s: %w", k, err)
			}
			if err := order.Put(append(u64(uint64(max(p.CreatedAt.UnixNano(), 0))), k...), nil); err != nil {
				return false, 0, err
			}
			lastKey = k
			n++
		}
		if k == nil {
			if err := meta.Delete(kMigrateScan); err != nil {
				return false, 0, err
			}
			return false, 0, meta.Put(kMigratePhase, []byte("history-move"))
		}
		return false, 0, meta.Put(kMigrateScan, bytes.Clone(lastKey))
	case "history-move":
		order := btx.Bucket(bMigrate)
		ids := btx.Bucket(bPayID)
		c := order.Cursor()
		k, _ := c.Last()
		if last := meta.Get(kMigrateScan); last != nil {
			if k, _ = c.Seek(last); k != nil {
				k, _ = c.Prev()
			}
		}
		// The next history number: one below the lowest sequence number in use.
		seq := uint64(historyBase)
		if first, _ := btx.Bucket(bPay).Cursor().First(); first != nil {
			seq = min(seq, be64(first))
		}
		t := &Tx{btx}
		var lastKey []byte
		for n := 0; k != nil && n < historyBatch; k, _ = c.Prev() {
			id := k[8:]
			lastKey = k
			n++
			if ids.Get(id) != nil {
				continue // open at the upgrade, or reopened since: moved already
			}
			v := old.Get(id)
			if v == nil {
				continue
			}
			p := new(Payment)
			if err := json.Unmarshal(v, p); err != nil {
				return false, moved, fmt.Errorf("payment %s: %w", id, err)
			}
			seq--
			if err := t.moveV2(p, p.SettledAt, seq); err != nil {
				return false, moved, err
			}
			moved++
		}
		if k != nil {
			return false, moved, meta.Put(kMigrateScan, bytes.Clone(lastKey))
		}
		for _, name := range [][]byte{bMigrate, bPaymentsV2} {
			if err := btx.DeleteBucket(name); err != nil {
				return false, moved, err
			}
		}
		if err := meta.Delete(kMigrateScan); err != nil {
			return false, moved, err
		}
		return true, moved, meta.Delete(kMigratePhase)
	}
	return false, 0, fmt.Errorf("unknown migration phase %q", meta.Get(kMigratePhase))
}

// legacyMigrateV3 finishes a schema 2 → 3 migration that an earlier terminald began
// before READY and did not finish (a crash mid-way: schema still 2, meta
// "migrate:phase" "order" or "move"): it goes on as that version did, in Open. It moves schema 2 payments (keyed by id text) into the sequence-keyed layout in
// creation order, one batch per call. Phases: set up the new buckets and the refunds_of
// index; "order": list every old payment by (created, id) in the migrate bucket; "move":
// walk that list from a cursor kept in meta and write each payment through putPayment
// (sequence, compact record, indexes); at the end the old buckets are deleted whole.
// Every batch is one transaction that moves the cursor with the payments it copied, so a
// crash resumes at the next start without copying anything twice.
func legacyMigrateV3(btx *bolt.Tx) (bool, error) {
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
				if err := t.putPaymentSeq(p, 0, false); err != nil {
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
