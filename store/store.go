package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket names (schema 3). Payments are keyed by a sequence number the store assigns
// (8 bytes big-endian, growing with every new payment), never by the display id's text:
// "newest first" is the sequence order for the terminal's whole life.
var (
	bMeta        = []byte("meta")
	bPay         = []byte("pay")          // seq → payment record
	bPayID       = []byte("pay_id")       // payment id → seq
	bOpen        = []byte("open")         // seq → nil for payments not finished (or watched)
	bState       = []byte("state")        // state + 0x00 + seq → nil
	bHours       = []byte("hours")        // hour of creation (unix hours, 8 bytes BE) → lowest seq + highest seq
	bRefunds     = []byte("refunds")      // id → Refund JSON
	bOpenRefunds = []byte("open_refunds") // id → ""
	bRefundsOf   = []byte("refunds_of")   // payment id + 0x00 + refund id → nil
	bOutbox      = []byte("outbox")       // job id (8 bytes BE) → Job JSON
	bReceipts    = []byte("receipts")     // receipt number (8 bytes BE) → "p:"+payment id or "r:"+refund id
	bSettled     = []byte("settled")      // settled time (8 bytes BE unix nanos) + seq → nil
	kSchema      = []byte("schema")

	// Schema 2 and older, read only by the migration.
	bPaymentsV2 = []byte("payments") // id → Payment JSON
	bMigrate    = []byte("migrate")  // created nanos + id → nil, the order the migration moves payments in
)

// Fill percents: buckets whose keys arrive in ascending order are filled almost to the
// page size (bbolt's default of 50 % would leave every page half empty).
const (
	fillAppend = 0.95 // pay, settled, hours: keys only ever appended
	fillMostly = 0.9  // pay_id, state: appended within a few ranges
)

// SchemaVersion is the schema this code writes. Open migrates older databases to it.
const SchemaVersion = 3

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// ErrLocked is returned by Open when another process holds the database.
var ErrLocked = errors.New("database is locked by another process (is terminald running?)")

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
	db      *bolt.DB
	commits atomic.Uint64 // read-write transactions committed by Update
	// historyMoved counts the schema-2 history payments MigrateHistory moved since Open.
	historyMoved atomic.Uint64
	// afterMigrateBatch is called after each batch of MigrateHistory (tests).
	afterMigrateBatch func(moved int)
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
		if errors.Is(err, berrors.ErrTimeout) {
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
	err := s.db.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx}) })
	if err == nil {
		s.commits.Add(1)
	}
	return err
}

// Commits returns how many Update transactions committed since Open (each one an fsync'd
// write): the per-payment commit benchmarks and tests count them.
func (s *Store) Commits() uint64 { return s.commits.Load() }

// TxID returns the id of the database's last committed transaction. bbolt numbers every
// commit, so two readings, also by different processes, differ by the number of commits
// between them (the per-payment commit counts in the package doc are measured so).
func (s *Store) TxID() (uint64, error) {
	var id int
	err := s.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
	return uint64(id), err
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
	if r.PaymentID != "" {
		if err := t.tx.Bucket(bRefundsOf).Put(refundOfKey(r.PaymentID, r.ID), nil); err != nil {
			return err
		}
	}
	if r.Receipt != 0 {
		return t.tx.Bucket(bReceipts).Put(u64(r.Receipt), []byte("r:"+r.ID))
	}
	return nil
}

func refundOfKey(paymentID, refundID string) []byte {
	k := make([]byte, 0, len(paymentID)+1+len(refundID))
	k = append(k, paymentID...)
	k = append(k, 0)
	return append(k, refundID...)
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

// RefundsOf returns every refund of payment id, from the refunds_of index (no scan).
func (t *Tx) RefundsOf(paymentID string) ([]*Refund, error) {
	var out []*Refund
	prefix := refundOfKey(paymentID, "")
	c := t.tx.Bucket(bRefundsOf).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		r, err := t.Refund(string(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
