package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// Job is a pending side effect in the durable outbox: a receipt to print, a cancel or a
// refund to send. It is written in the same transaction as the state change that causes
// it, and deleted once done, so it happens once even across crashes.
type Job struct {
	ID        uint64    `json:"id"`
	Kind      string    `json:"kind"`          // e.g. "print", "cancel", "refund"
	Ref       string    `json:"ref"`           // payment or refund id
	Arg       string    `json:"arg,omitempty"` // kind-specific argument (receipt kind, copy)
	Attempts  int       `json:"attempts"`      // failed attempts so far
	NextAt    time.Time `json:"next_at"`       // not before
	LastError string    `json:"last_error,omitempty"`
	// Started is set (and committed) just before an attempt and cleared after it: found
	// set at start-up, the terminal stopped in the middle of that attempt.
	Started   bool      `json:"started,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Enqueue adds j to the outbox and sets its ID.
func (t *Tx) Enqueue(j *Job) error {
	b := t.tx.Bucket(bOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	j.ID = seq
	return t.PutJob(j)
}

// PutJob rewrites j (after a failed attempt).
func (t *Tx) PutJob(j *Job) error {
	data, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("store: job %d: encode: %w", j.ID, err)
	}
	return t.tx.Bucket(bOutbox).Put(u64(j.ID), data)
}

// DeleteJob removes job id from the outbox (it is done).
func (t *Tx) DeleteJob(id uint64) error {
	return t.tx.Bucket(bOutbox).Delete(u64(id))
}

// Jobs returns every job in the outbox, oldest first.
func (t *Tx) Jobs() ([]*Job, error) {
	var out []*Job
	err := t.tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
		j := new(Job)
		if err := json.Unmarshal(v, j); err != nil {
			return fmt.Errorf("store: job %d: decode: %w", binary.BigEndian.Uint64(k), err)
		}
		out = append(out, j)
		return nil
	})
	return out, err
}
