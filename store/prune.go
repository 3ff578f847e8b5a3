package store

import (
	"encoding/json"
	bolt "go.etcd.io/bbolt"
	"time"
)

// Prune deletes final payments (and their final refunds) last updated before cutoff that
// are no longer watched. It returns how many payments it removed. Receipt and settled
// index entries go with them.
func (s *Store) Prune(cutoff time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(btx *bolt.Tx) error {
		t := &Tx{btx}
		var victims []*Payment
		c := btx.Bucket(bPayments).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			p := new(Payment)
			if err := json.Unmarshal(v, p); err != nil {
				return err
			}
			if p.Open(cutoff) || !p.UpdatedAt.Before(cutoff) {
				continue
			}
			victims = append(victims, p)
		}
		for _, p := range victims {
			refunds, err := t.RefundsOf(p.ID)
			if err != nil {
				return err
			}
			open := false
			for _, r := range refunds {
				open = open || !r.State.Final()
			}
			if open {
				continue
			}
			for _, r := range refunds {
				if r.Receipt != 0 {
					btx.Bucket(bReceipts).Delete(u64(r.Receipt))
				}
				btx.Bucket(bRefunds).Delete([]byte(r.ID))
			}
			if p.Receipt != 0 {
				btx.Bucket(bReceipts).Delete(u64(p.Receipt))
			}
			if !p.SettledAt.IsZero() {
				btx.Bucket(bSettled).Delete(settledKey(p.SettledAt, p.ID))
			}
			if err := btx.Bucket(bPayments).Delete([]byte(p.ID)); err != nil {
				return err
			}
			btx.Bucket(bOpen).Delete([]byte(p.ID))
			n++
		}
		return nil
	})
	return n, err
}
