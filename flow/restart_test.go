package flow

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/store"
)

// crashed writes p as a crash left it and returns the rig that restarts on that store.
func crashed(t *testing.T, p *store.Payment) *rig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p.Provider, p.Amount, p.CreatedAt, p.UpdatedAt = "script", money.New(1200, "EUR"), now, now
	if err := st.Update(func(tx *store.Tx) error { return tx.PutPayment(p) }); err != nil {
		t.Fatal(err)
	}
	st.Close()
	return newRig(t, path, testConfig(), nil)
}

// Providers' shapes after a restart: Accrue's Check moves money on (authorize, capture)
// unless the engine wants the payment stopped; AcountPay's and the crypto gateway's
// Check only report. The rule is the same for all: a payment nobody waits for any more
// is released at the provider and a slip printed, unless its money was already taken.
func TestRestartReleasesUncapturedPayments(t *testing.T) {
	cases := []struct {
		name string
		p    *store.Payment
		// check is the provider's Check.
		check func(p *driver.Payment) (driver.Update, error)
		// noCancel: the provider has no cancel (AcountPay): cancelled here and watched.
		noCancel bool
	}{
		{"accrue mid-create", &store.Payment{ID: "T1-000001-aa", State: store.StateCreating, Source: "keypad"},
			func(p *driver.Payment) (driver.Update, error) {
				if p.CancelRequested() {
					return driver.Update{Remote: driver.RemotePending, Detail: "Cancelling at Accrue"}, nil
				}
				return driver.Update{Remote: driver.RemotePaid}, nil // authorized and captured
			}, false},
		{"accrue register payment", &store.Payment{ID: "T1-000002-aa", State: store.StateAwaiting, Source: "ecr", ECR: store.ECRPending},
			func(p *driver.Payment) (driver.Update, error) {
				if p.CancelRequested() {
					return driver.Update{Remote: driver.RemotePending}, nil
				}
				return driver.Update{Remote: driver.RemotePaid}, nil
			}, false},
		{"acountpay mid-create", &store.Payment{ID: "T1-000003-aa", State: store.StateCreating, Source: "keypad"},
			func(*driver.Payment) (driver.Update, error) {
				return driver.Update{Remote: driver.RemotePending, QR: "q"}, nil
			}, true},
		{"crypto register payment", &store.Payment{ID: "T1-000004-aa", State: store.StateAwaiting, Source: "ecr", ECR: store.ECRPending, QR: "bitcoin:x"},
			func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePending}, nil }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := crashed(t, tc.p)
			r.prov.checkFn = tc.check
			r.prov.cancelFn = func(*driver.Payment) (driver.Update, error) {
				if tc.noCancel {
					return driver.Update{}, driver.ErrCannotCancel
				}
				return driver.Update{Remote: driver.RemoteCancelled}, nil
			}
			r.run()
			r.waitFor("cancelled", r.state(store.StateCancelled))
			r.waitFor("slip", func() bool { return len(r.prn.printed()) == 1 })
			if k := r.prn.printed()[0].Kind; k != receipt.Slip {
				t.Fatalf("printed %s, want a slip", k)
			}
			p := r.payment()
			if p.Abandon != store.AbandonRestart || r.prov.count("cancel") != 1 {
				t.Fatalf("payment %+v, %d cancels; want released at the provider once", p, r.prov.count("cancel"))
			}
			if watched := !p.WatchUntil.IsZero(); watched != tc.noCancel {
				t.Fatalf("watched for a late payment: %v, want %v", watched, tc.noCancel)
			}
		})
	}
}

// Already captured before the crash: kept and printed, for a payment nobody waits for.
func TestRestartKeepsCapturedPayment(t *testing.T) {
	r := crashed(t, &store.Payment{ID: "T1-000005-aa", State: store.StateCreating, Source: "keypad"})
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	r.run()
	r.waitFor("paid", r.state(store.StatePaid))
	r.waitFor("receipt", func() bool { return len(r.prn.printed()) == 1 })
	if k := r.prn.printed()[0].Kind; k != receipt.Sale || r.prov.count("cancel") != 0 {
		t.Fatalf("printed %s with %d cancels, want a sale and none", k, r.prov.count("cancel"))
	}
}
