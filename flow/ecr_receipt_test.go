package flow

import (
	"context"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/store"
)

// paidRegisterRig runs a rig whose provider pays at once and can refund.
func paidRegisterRig(t *testing.T, path string) *rig {
	r := newRig(t, path, testConfig(), func(s *script) driver.Provider { return refundingScript{script: s} })
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	return r
}

// heldReceipts lists the outbox's receipt jobs for id that are not due before a minute.
func heldReceipts(t *testing.T, r *rig, id string) []*store.Job {
	t.Helper()
	var held []*store.Job
	if err := r.st.View(func(tx *store.Tx) error {
		jobs, err := tx.Jobs()
		for _, j := range jobs {
			if j.Ref == id && j.Kind == string(jobPayment) && j.NextAt.After(time.Now().Add(time.Minute)) {
				held = append(held, j)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return held
}

func kinds(rs []receipt.Receipt) []receipt.Kind {
	var out []receipt.Kind
	for _, r := range rs {
		out = append(out, r.Kind)
	}
	return out
}

// A register that refuses the result (84 66 00 on the link: Unconfirmed) never gets an
// approved sale receipt printed: the receipt waits for its answer, and the "not
// confirmed" slip and the reversal's refund slip print instead.
func TestRegisterRefusedResultPrintsNoSale(t *testing.T) {
	r := paidRegisterRig(t, "").run()
	p, err := r.e.Pay(context.Background(), money.New(2500, "EUR"), nil)
	if err != nil || p.State != store.StatePaid {
		t.Fatalf("Pay = %+v, %v", p, err)
	}
	if held := heldReceipts(t, r, p.ID); len(held) != 1 {
		t.Fatalf("held receipt jobs = %d, want the sale receipt held for the register's answer", len(held))
	}
	if n := len(r.prn.printed()); n != 0 {
		t.Fatalf("%d receipts printed before the register answered", n)
	}
	if err := r.e.Unconfirmed(context.Background(), p.ID); err != nil {
		t.Fatal(err)
	}
	r.waitFor("slip and refund slip", func() bool { return len(r.prn.printed()) == 2 })
	got := kinds(r.prn.printed())
	if got[0] != receipt.Unconfirmed || got[1] != receipt.Refund {
		t.Fatalf("printed %v, want the unconfirmed slip, then the refund slip", got)
	}
	if held := heldReceipts(t, r, p.ID); len(held) != 0 {
		t.Fatalf("sale receipt still queued after the register refused: %+v", held)
	}
}

// A register that acknowledges the result gets the sale receipt printed at once.
func TestRegisterConfirmedResultPrintsSale(t *testing.T) {
	r := paidRegisterRig(t, "").run()
	p, err := r.e.Pay(context.Background(), money.New(2500, "EUR"), nil)
	if err != nil || p.State != store.StatePaid {
		t.Fatalf("Pay = %+v, %v", p, err)
	}
	if err := r.e.Confirm(context.Background(), p.ID); err != nil {
		t.Fatal(err)
	}
	r.waitFor("sale receipt", func() bool { return len(r.prn.printed()) == 1 })
	if k := r.prn.printed()[0].Kind; k != receipt.Sale {
		t.Fatalf("printed %s, want the sale receipt", k)
	}
}

// A crash between the paid result and the register's answer prints exactly one thing:
// the "not confirmed" slip (and the reversal), never the sale receipt as well.
func TestRegisterAnswerLostInCrashPrintsOnce(t *testing.T) {
	r := paidRegisterRig(t, "").run()
	p, err := r.e.Pay(context.Background(), money.New(2500, "EUR"), nil)
	if err != nil || p.State != store.StatePaid {
		t.Fatalf("Pay = %+v, %v", p, err)
	}
	r.stop()
	r2 := paidRegisterRig(t, r.path).run()
	r2.waitFor("slip and refund slip", func() bool { return len(r2.prn.printed()) == 2 })
	got := kinds(r2.prn.printed())
	if got[0] != receipt.Unconfirmed || got[1] != receipt.Refund {
		t.Fatalf("printed %v after the restart, want the unconfirmed slip, then the refund slip", got)
	}
	if held := heldReceipts(t, r2, p.ID); len(held) != 0 {
		t.Fatalf("sale receipt still queued after the restart: %+v", held)
	}
}
