package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Cursor is a place in the newest-first listing: the sequence number of the last payment
// of a page. The zero Cursor stands for "from the newest".
type Cursor uint64

// Listing limits.
const (
	// DefaultListLimit is the page size when Query.Limit is 0.
	DefaultListLimit = 20
	// MaxListLimit is the largest page List returns.
	MaxListLimit = 1000
)

// Query selects a page of payments, newest first. Filters combine (all must hold). Each
// filter is served by an index: State by the state index, From/To by the hour index
// (which bounds the sequence range to read), Receipt by the receipt index; with none the
// page is read straight off the sequence order. No filter reads more than the payments in
// its index range.
type Query struct {
	Before  Cursor    // only payments older than this cursor (Page.Next); 0: from the newest
	Limit   int       // page size; 0 means DefaultListLimit, more than MaxListLimit is cut to it
	State   State     // only payments in this state; "" for all
	From    time.Time // only payments created at or after From (zero: no lower bound)
	To      time.Time // only payments created before To (zero: no upper bound)
	Receipt uint64    // only the payment holding this receipt number (the newest with it)
}

// Page is one page of a listing.
type Page struct {
	Payments []*Payment // newest first
	// Next is the cursor for the following page (Query.Before); 0 when this page is the
	// last. A full page may be followed by an empty one.
	Next Cursor
}

// List returns one page of payments for q in a read transaction of its own.
func (s *Store) List(ctx context.Context, q Query) (Page, error) {
	var page Page
	err := s.View(func(tx *Tx) (err error) { page, err = tx.List(ctx, q); return })
	return page, err
}

// List returns one page of payments for q, newest first. Memory and time are bounded by
// the page size and the index range of the filters, not by history. ctx is checked while
// a filter skips records.
func (t *Tx) List(ctx context.Context, q Query) (Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	lo, hi := uint64(1), uint64(math.MaxUint64)
	if q.Before != 0 {
		hi = uint64(q.Before) - 1
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		l, h, ok := t.hourRange(q.From, q.To)
		if !ok {
			return Page{}, t.migratingErr()
		}
		lo, hi = max(lo, l), min(hi, h)
	}
	var page Page
	if hi < lo {
		return page, nil
	}
	match := func(p *Payment) bool {
		return (q.State == "" || p.State == q.State) &&
			(q.From.IsZero() || !p.CreatedAt.Before(q.From)) &&
			(q.To.IsZero() || p.CreatedAt.Before(q.To))
	}
	seen := 0
	// add offers the payment with seq; false ends the page.
	add := func(seq uint64) (bool, error) {
		if seen++; seen%256 == 0 && ctx.Err() != nil {
			return false, ctx.Err()
		}
		p, err := t.bySeq(seq)
		if err != nil {
			return false, err
		}
		if !match(p) {
			return true, nil
		}
		page.Payments = append(page.Payments, p)
		if len(page.Payments) == limit {
			page.Next = Cursor(seq)
			return false, nil
		}
		return true, nil
	}
	switch {
	case q.Receipt != 0:
		kind, id, err := t.ByReceipt(q.Receipt)
		if errors.Is(err, ErrNotFound) || kind != "p" {
			return page, nil
		}
		seq, err := t.seqOf(id)
		if errors.Is(err, ErrNotFound) {
			// Maybe a payment of the schema-2 history not moved yet.
			p, err := t.paymentV2([]byte(id))
			if p != nil && match(p) {
				page.Payments = append(page.Payments, p)
			}
			return page, err
		}
		if err != nil || seq < lo || seq > hi {
			return page, err
		}
		_, err = add(seq)
		page.Next = 0
		return page, err
	case q.State != "":
		prefix := stateKey(q.State, 0)[:len(q.State)+1]
		c := t.tx.Bucket(bState).Cursor()
		target := stateKey(q.State, hi)
		k, _ := c.Seek(target)
		if k == nil {
			k, _ = c.Last()
		} else if !bytes.Equal(k, target) {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			seq := be64(k[len(prefix):])
			if seq < lo {
				break
			}
			if more, err := add(seq); err != nil || !more {
				return page, err
			}
		}
	default:
		c := t.tx.Bucket(bPay).Cursor()
		k, _ := c.Seek(u64(hi))
		if k == nil {
			k, _ = c.Last()
		} else if be64(k) > hi {
			k, _ = c.Prev()
		}
		for ; k != nil; k, _ = c.Prev() {
			seq := be64(k)
			if seq < lo {
				break
			}
			if more, err := add(seq); err != nil || !more {
				return page, err
			}
		}
	}
	return page, t.migratingErr()
}

// migratingErr is ErrMigrating, with how far the migration is, while a schema-2 history
// waits (a listing that ran out of payments may be missing older ones), else nil.
func (t *Tx) migratingErr() error {
	if !t.migrating() {
		return nil
	}
	return fmt.Errorf("%w (%d moved so far); list again in a while", ErrMigrating, t.historyMoved())
}

// hourRange returns the sequence range of the payments created in the hours that
// [from, to) touches (zero times: unbounded), and false when no payment was.
func (t *Tx) hourRange(from, to time.Time) (lo, hi uint64, ok bool) {
	first, last := uint64(0), uint64(math.MaxUint64)
	if !from.IsZero() {
		first = hourOf(from)
	}
	if !to.IsZero() {
		if !to.After(from) && !from.IsZero() {
			return 0, 0, false
		}
		last = hourOf(to.Add(-time.Nanosecond))
	}
	lo = math.MaxUint64
	c := t.tx.Bucket(bHours).Cursor()
	for k, v := c.Seek(u64(first)); k != nil && be64(k) <= last; k, v = c.Next() {
		if len(v) == 16 {
			lo, hi, ok = min(lo, be64(v)), max(hi, be64(v[8:])), true
		}
	}
	return lo, hi, ok
}
