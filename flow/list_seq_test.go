package flow_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// flow.List (the register's refund search among the newest payments, the admin listing)
// stays newest first across the millionth payment, whose id sorts before the 999,999th.
func TestListNewestFirstPastAMillion(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var want []string
	err = st.Update(func(tx *store.Tx) error {
		if err := tx.SetCounter("payment", 999_995); err != nil {
			return err
		}
		for i := range 10 {
			n, err := tx.Next("payment")
			if err != nil {
				return err
			}
			p := &store.Payment{ID: fmt.Sprintf("T1-%06d-abcdef", n), Provider: "acountpay", Amount: money.New(100, "EUR"),
				State: store.StatePaid, CreatedAt: at.Add(time.Duration(i) * time.Minute)}
			if err := tx.PutPayment(p); err != nil {
				return err
			}
			want = append([]string{p.ID}, want...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := flow.List(st, 6)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		if p.ID != want[i] {
			t.Fatalf("List[%d] = %s, want %s (newest first: %v)", i, p.ID, want[i], want[:6])
		}
	}
	if len(ps) != 6 {
		t.Fatalf("List returned %d, want 6", len(ps))
	}
}
