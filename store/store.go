// Package store keeps terminald's state in a bbolt database: payments, refunds, an index
// of the unfinished ones, a durable outbox of side effects still to do, and monotonic
// counters (receipt and trace numbers).
//
// Every state change is committed (fsync'd) before the side effect that follows it, so a
// power cut loses nothing: on start the flow reads OpenPayments and Jobs and carries on.
// Start-up cost depends on the unfinished work, not on history: the open index holds only
// the ids of unfinished payments.
package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names.
var (
	bMeta        = []byte("meta")
	bPayments    = []byte("payments")     // id → Payment JSON
	bOpen        = []byte("open")         // id → "" for payments not finished (or watched)
	bRefunds     = []byte("refunds")      // id → Refund JSON
	bOpenRefunds = []byte("open_refunds") // id → ""
	bOutbox      = []byte("outbox")       // job id (8 bytes BE) → Job JSON
	bReceipts    = []byte("receipts")     // receipt number (8 bytes BE) → "p:"+payment id or "r:"+refund id
	bSettled     = []byte("settled")      // settled time (8 bytes BE unix nanos) + id → id
	kSchema      = []byte("schema")
)

// SchemaVersion is the schema this code writes. Open migrates older databases to it.
const SchemaVersion = 3

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrLocked is returned by Open when another process holds the database.
var ErrLocked = errors.New("store: database is locked by another process (is terminald running?)")

// Options configure Open.
type Options struct {
	// Timeout bounds the wait for the file lock; 1 s when zero.
	Timeout time.Duration
	// ReadOnly opens the database for reading, sharing the lock with other readers.
	ReadOnly bool
	// NoSync skips fsync (benchmarks and tests only: a crash can lose commits).
	NoSync bool
}

// Store is an open state database. Its methods are safe for concurrent use.
type Store struct {
	db *bolt.DB
}

// Open opens (creating if needed) the database at path and migrates it to SchemaVersion.
func Open(path string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("store: create state directory: %w", err)
		}
	} else if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: opts.ReadOnly, NoSync: opts.NoSync, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("store: open %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db}
	if !opts.ReadOnly {
		if err := s.migrate(); err != nil {
			db.Close()
			return nil, err
		}
	} else if err := s.checkSchema(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the database file's path.
func (s *Store) Path() string { return s.db.Path() }

// Tx is a read-write transaction. Everything done in one Tx commits together or not at all.
type Tx struct {
	tx *bolt.Tx
}

// Update runs fn in a read-write transaction and commits it (with fsync) when fn returns nil.
func (s *Store) Update(fn func(*Tx) error) error {
	return s.db.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx}) })
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx}) })
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// Next increments the named counter and returns its new value (1 for the first call).
func (t *Tx) Next(counter string) (uint64, error) {
	b := t.tx.Bucket(bMeta)
	key := []byte("counter:" + counter)
	var v uint64
	if cur := b.Get(key); len(cur) == 8 {
		v = binary.BigEndian.Uint64(cur)
	}
	v++
	if err := b.Put(key, u64(v)); err != nil {
		return 0, fmt.Errorf("store: counter %s: %w", counter, err)
	}
	return v, nil
}

// Counter returns the current value of the named counter.
func (t *Tx) Counter(counter string) uint64 {
	if cur := t.tx.Bucket(bMeta).Get([]byte("counter:" + counter)); len(cur) == 8 {
		return binary.BigEndian.Uint64(cur)
	}
	return 0
}

// SetMeta stores a small named value (e.g. the time of the last end-of-day).
func (t *Tx) SetMeta(key string, v []byte) error {
	return t.tx.Bucket(bMeta).Put([]byte("value:"+key), v)
}

// Meta returns a value stored with SetMeta (nil if absent).
func (t *Tx) Meta(key string) []byte {
	v := t.tx.Bucket(bMeta).Get([]byte("value:" + key))
	return bytes.Clone(v)
}

// PutPayment writes p and keeps the indexes (open, receipts, settled) in step with it.
func (t *Tx) PutPayment(p *Payment) error {
	if p.ID == "" {
		return errors.New("store: payment without id")
	}
	id := []byte(p.ID)
	var prev *Payment
	if old := t.tx.Bucket(bPayments).Get(id); old != nil {
		prev = new(Payment)
		if err := json.Unmarshal(old, prev); err != nil {
			return fmt.Errorf("store: payment %s: decode: %w", p.ID, err)
		}
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("store: payment %s: encode: %w", p.ID, err)
	}
	if err := t.tx.Bucket(bPayments).Put(id, data); err != nil {
		return fmt.Errorf("store: payment %s: %w", p.ID, err)
	}
	open := t.tx.Bucket(bOpen)
	if p.Open(p.UpdatedAt) {
		err = open.Put(id, nil)
	} else {
		err = open.Delete(id)
	}
	if err != nil {
		return fmt.Errorf("store: payment %s: open index: %w", p.ID, err)
	}
	if p.Receipt != 0 {
		if err := t.tx.Bucket(bReceipts).Put(u64(p.Receipt), []byte("p:"+p.ID)); err != nil {
			return err
		}
	}
	if prev != nil && !prev.SettledAt.IsZero() && !prev.SettledAt.Equal(p.SettledAt) {
		if err := t.tx.Bucket(bSettled).Delete(settledKey(prev.SettledAt, prev.ID)); err != nil {
			return err
		}
	}
	if !p.SettledAt.IsZero() {
		if err := t.tx.Bucket(bSettled).Put(settledKey(p.SettledAt, p.ID), id); err != nil {
			return err
		}
	}
	return nil
}

func settledKey(at time.Time, id string) []byte {
	return append(u64(uint64(at.UnixNano())), id...)
}

// Payment reads the payment with id.
func (t *Tx) Payment(id string) (*Payment, error) {
	data := t.tx.Bucket(bPayments).Get([]byte(id))
	if data == nil {
		return nil, fmt.Errorf("store: payment %s: %w", id, ErrNotFound)
	}
	p := new(Payment)
	if err := json.Unmarshal(data, p); err != nil {
		return nil, fmt.Errorf("store: payment %s: decode: %w", id, err)
	}
	return p, nil
}

// OpenPayments returns the payments in the open index, oldest first.
func (t *Tx) OpenPayments() ([]*Payment, error) {
	var out []*Payment
	err := t.tx.Bucket(bOpen).ForEach(func(k, _ []byte) error {
		p, err := t.Payment(string(k))
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// Payments calls fn for every payment, newest first, until fn returns false.
func (t *Tx) Payments(fn func(*Payment) bool) error {
	c := t.tx.Bucket(bPayments).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		p := new(Payment)
		if err := json.Unmarshal(v, p); err != nil {
			return fmt.Errorf("store: payment %s: decode: %w", k, err)
		}
		if !fn(p) {
			return nil
		}
	}
	return nil
}

// Settled calls fn for every payment that reached paid at or after since, oldest first.
func (t *Tx) Settled(since time.Time, fn func(*Payment) error) error {
	c := t.tx.Bucket(bSettled).Cursor()
	start := u64(uint64(max(since.UnixNano(), 0)))
	for k, v := c.Seek(start); k != nil; k, v = c.Next() {
		p, err := t.Payment(string(v))
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// ByReceipt returns the payment or refund id printed with receipt number n, as
// ("p", id) or ("r", id).
func (t *Tx) ByReceipt(n uint64) (kind, id string, err error) {
	v := t.tx.Bucket(bReceipts).Get(u64(n))
	if len(v) < 3 {
		return "", "", fmt.Errorf("store: receipt %d: %w", n, ErrNotFound)
	}
	return string(v[:1]), string(v[2:]), nil
}

// PutRefund writes r and keeps the open-refunds index and the receipt index in step.
func (t *Tx) PutRefund(r *Refund) error {
	if r.ID == "" {
		return errors.New("store: refund without id")
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: refund %s: encode: %w", r.ID, err)
	}
	id := []byte(r.ID)
	if err := t.tx.Bucket(bRefunds).Put(id, data); err != nil {
		return err
	}
	if r.State.Final() {
		err = t.tx.Bucket(bOpenRefunds).Delete(id)
	} else {
		err = t.tx.Bucket(bOpenRefunds).Put(id, nil)
	}
	if err != nil {
		return err
	}
	if r.Receipt != 0 {
		return t.tx.Bucket(bReceipts).Put(u64(r.Receipt), []byte("r:"+r.ID))
	}
	return nil
}

// Refund reads the refund with id.
func (t *Tx) Refund(id string) (*Refund, error) {
	data := t.tx.Bucket(bRefunds).Get([]byte(id))
	if data == nil {
		return nil, fmt.Errorf("store: refund %s: %w", id, ErrNotFound)
	}
	r := new(Refund)
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("store: refund %s: decode: %w", id, err)
	}
	return r, nil
}

// OpenRefunds returns the refunds not yet in a final state.
func (t *Tx) OpenRefunds() ([]*Refund, error) {
	var out []*Refund
	err := t.tx.Bucket(bOpenRefunds).ForEach(func(k, _ []byte) error {
		r, err := t.Refund(string(k))
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// Refunds calls fn for every refund until fn returns false.
func (t *Tx) Refunds(fn func(*Refund) bool) error {
	c := t.tx.Bucket(bRefunds).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		r := new(Refund)
		if err := json.Unmarshal(v, r); err != nil {
			return fmt.Errorf("store: refund %s: decode: %w", k, err)
		}
		if !fn(r) {
			return nil
		}
	}
	return nil
}

// RefundsOf returns every refund of payment id.
func (t *Tx) RefundsOf(paymentID string) ([]*Refund, error) {
	var out []*Refund
	err := t.tx.Bucket(bRefunds).ForEach(func(_, v []byte) error {
		r := new(Refund)
		if err := json.Unmarshal(v, r); err != nil {
			return err
		}
		if r.PaymentID == paymentID {
			out = append(out, r)
		}
		return nil
	})
	return out, err
}
