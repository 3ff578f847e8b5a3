package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucket returns the named bucket of the transaction with the fill percent its key order
// wants (bbolt does not persist fill percents: they are set per transaction).
func (t *Tx) bucket(name []byte) *bolt.Bucket {
	b := t.tx.Bucket(name)
	if b == nil {
		return nil
	}
	switch string(name) {
	case string(bPay), string(bSettled), string(bHours):
		b.FillPercent = fillAppend
	case string(bPayID), string(bState):
		b.FillPercent = fillMostly
	}
	return b
}

func be64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func stateKey(s State, seq uint64) []byte {
	k := make([]byte, 0, len(s)+9)
	k = append(k, s...)
	k = append(k, 0)
	return append(k, u64(seq)...)
}

func settledKey(at time.Time, seq uint64) []byte {
	return append(u64(uint64(max(at.UnixNano(), 0))), u64(seq)...)
}

func hourOf(at time.Time) uint64 { return uint64(max(at.Unix(), 0) / 3600) }

// PutPayment writes p and keeps the indexes (id, open, state, hour, receipts, settled) in
// step with it. A payment seen for the first time gets the next sequence number: the
// order every "newest first" reader follows.
func (t *Tx) PutPayment(p *Payment) error {
	return t.putPayment(p, true)
}

// putPayment is PutPayment; receipts false leaves the receipt index alone (the migration:
// the index is already right and replaying it could let an older payment win a reused
// receipt number).
func (t *Tx) putPayment(p *Payment, receipts bool) error {
	if p.ID == "" {
		return errors.New("store: payment without id")
	}
	if t.migrating() && t.tx.Bucket(bPayID).Get([]byte(p.ID)) == nil {
		// Maybe a payment of the schema-2 history MigrateHistory has not moved yet: it
		// is written where it is, or moved now when it is open again.
		prev, err := t.paymentV2([]byte(p.ID))
		if err != nil {
			return err
		}
		if prev != nil {
			if ok, err := t.putV2(p, receipts); ok || err != nil {
				return err
			}
			return t.moveV2(p, prev.SettledAt, 0)
		}
	}
	return t.putPaymentSeq(p, 0, receipts)
}

// putPaymentSeq is putPayment in the sequence-keyed layout; a payment not there yet gets
// sequence number seq, or the next one when seq is 0.
func (t *Tx) putPaymentSeq(p *Payment, seq uint64, receipts bool) error {
	if p.ID == "" {
		return errors.New("store: payment without id")
	}
	id := []byte(p.ID)
	pay, ids := t.bucket(bPay), t.bucket(bPayID)
	var prev *Payment
	if sb := ids.Get(id); sb != nil {
		seq = be64(sb)
		if old := pay.Get(sb); old != nil {
			prev = new(Payment)
			if err := decodePayment(old, prev); err != nil {
				return fmt.Errorf("store: payment %s: decode: %w", p.ID, err)
			}
		}
	} else {
		if seq == 0 {
			var err error
			if seq, err = pay.NextSequence(); err != nil {
				return fmt.Errorf("store: payment %s: sequence: %w", p.ID, err)
			}
		}
		if err := ids.Put(id, u64(seq)); err != nil {
			return fmt.Errorf("store: payment %s: id index: %w", p.ID, err)
		}
	}
	rec := *p
	rec.Seq = 0 // not part of the record: the key holds it
	data, err := encodePayment(&rec)
	if err != nil {
		return fmt.Errorf("store: payment %s: encode: %w", p.ID, err)
	}
	if err := pay.Put(u64(seq), data); err != nil {
		return fmt.Errorf("store: payment %s: %w", p.ID, err)
	}
	if err := t.index(p, prev, seq, receipts); err != nil {
		return fmt.Errorf("store: payment %s: index: %w", p.ID, err)
	}
	return nil
}

// index brings the secondary indexes from prev (nil: new payment) to p.
func (t *Tx) index(p, prev *Payment, seq uint64, receipts bool) error {
	key := u64(seq)
	open := t.bucket(bOpen)
	var err error
	if p.Open(p.UpdatedAt) {
		err = open.Put(key, nil)
	} else {
		err = open.Delete(key)
	}
	if err != nil {
		return err
	}
	states := t.bucket(bState)
	if prev == nil || prev.State != p.State {
		if prev != nil {
			if err := states.Delete(stateKey(prev.State, seq)); err != nil {
				return err
			}
		}
		if err := states.Put(stateKey(p.State, seq), nil); err != nil {
			return err
		}
	}
	if prev == nil || hourOf(prev.CreatedAt) != hourOf(p.CreatedAt) {
		if err := t.addHour(hourOf(p.CreatedAt), seq); err != nil {
			return err
		}
	}
	if receipts && p.Receipt != 0 && (prev == nil || prev.Receipt != p.Receipt) {
		if err := t.bucket(bReceipts).Put(u64(p.Receipt), []byte("p:"+p.ID)); err != nil {
			return err
		}
	}
	settled := t.bucket(bSettled)
	if prev != nil && !prev.SettledAt.IsZero() && !prev.SettledAt.Equal(p.SettledAt) {
		if err := settled.Delete(settledKey(prev.SettledAt, seq)); err != nil {
			return err
		}
	}
	if !p.SettledAt.IsZero() {
		if err := settled.Put(settledKey(p.SettledAt, seq), nil); err != nil {
			return err
		}
	}
	return nil
}

// addHour widens the hour's sequence range to include seq.
func (t *Tx) addHour(hour, seq uint64) error {
	b := t.bucket(bHours)
	lo, hi := seq, seq
	if v := b.Get(u64(hour)); len(v) == 16 {
		lo, hi = min(lo, be64(v)), max(hi, be64(v[8:]))
	}
	return b.Put(u64(hour), append(u64(lo), u64(hi)...))
}

// seqOf returns the sequence number of payment id.
func (t *Tx) seqOf(id string) (uint64, error) {
	sb := t.tx.Bucket(bPayID).Get([]byte(id))
	if sb == nil {
		return 0, fmt.Errorf("store: payment %s: %w", id, ErrNotFound)
	}
	return be64(sb), nil
}

// Payment reads the payment with id.
func (t *Tx) Payment(id string) (*Payment, error) {
	seq, err := t.seqOf(id)
	if errors.Is(err, ErrNotFound) {
		if p, err2 := t.paymentV2([]byte(id)); p != nil || err2 != nil {
			return p, err2 // history not moved yet (Seq 0)
		}
	}
	if err != nil {
		return nil, err
	}
	p, err := t.bySeq(seq)
	if err != nil {
		return nil, fmt.Errorf("store: payment %s: %w", id, err)
	}
	return p, nil
}

// bySeq reads the payment with sequence number seq.
func (t *Tx) bySeq(seq uint64) (*Payment, error) {
	data := t.tx.Bucket(bPay).Get(u64(seq))
	if data == nil {
		return nil, fmt.Errorf("store: sequence %d: %w", seq, ErrNotFound)
	}
	p := new(Payment)
	if err := decodePayment(data, p); err != nil {
		return nil, fmt.Errorf("sequence %d: decode: %w", seq, err)
	}
	p.Seq = seq
	return p, nil
}

// OpenPayments returns the payments in the open index, oldest first. It reads only the
// open index and the records it names: its cost does not grow with history.
func (t *Tx) OpenPayments() ([]*Payment, error) {
	var out []*Payment
	err := t.tx.Bucket(bOpen).ForEach(func(k, _ []byte) error {
		p, err := t.bySeq(be64(k))
		if err != nil {
			return fmt.Errorf("store: open payment: %w", err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// Payments calls fn for every payment, newest first (by sequence), until fn returns false.
func (t *Tx) Payments(fn func(*Payment) bool) error {
	c := t.tx.Bucket(bPay).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		p := new(Payment)
		if err := decodePayment(v, p); err != nil {
			return fmt.Errorf("store: payment sequence %d: decode: %w", be64(k), err)
		}
		p.Seq = be64(k)
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
		var p *Payment
		var err error
		if len(v) > 0 {
			// A schema-2 entry (time + id → id): a payment of the history not moved yet.
			if p, err = t.paymentV2(v); err == nil && p == nil {
				continue // moved meanwhile: its own entry counts
			}
		} else {
			p, err = t.bySeq(be64(k[8:]))
		}
		if err != nil {
			return fmt.Errorf("store: settled payment: %w", err)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// ByReceipt returns the payment or refund id printed with receipt number n, as
// ("p", id) or ("r", id). Receipt numbers are reused (1..9999): the answer is the newest
// receipt with that number.
func (t *Tx) ByReceipt(n uint64) (kind, id string, err error) {
	v := t.tx.Bucket(bReceipts).Get(u64(n))
	if len(v) < 3 {
		return "", "", fmt.Errorf("store: receipt %d: %w", n, ErrNotFound)
	}
	return string(v[:1]), string(v[2:]), nil
}

// SetCounter sets the named counter to v (the next Next returns v+1): tests and tools
// that need a terminal with a long history without writing it.
func (t *Tx) SetCounter(counter string, v uint64) error {
	return t.tx.Bucket(bMeta).Put([]byte("counter:"+counter), u64(v))
}
