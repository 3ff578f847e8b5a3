package flow

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// Payments 999,998 to 1,000,001, receipts 9998, 9999, 1, 2 and trace numbers 999998,
// 999999, 1, 2 (six BCD digits on the register link, never 0): every "newest first"
// reader follows the sequence, not the display id's text (T1-1000000-… sorts before
// T1-999999-…), end of day reports the receipt range in the order drawn, and a reversal
// by a receipt number drawn after the rollover finds the payment that printed it.
func TestNewestFirstAcrossTheMillionthPayment(t *testing.T) {
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { return refundingScript{s} })
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	if err := r.st.Update(func(tx *store.Tx) error {
		if err := tx.SetCounter("payment", 999_997); err != nil {
			return err
		}
		if err := tx.SetCounter("trace", 999_997); err != nil {
			return err
		}
		return tx.SetCounter("receipt", 9_997)
	}); err != nil {
		t.Fatal(err)
	}
	r.run()
	ctx := context.Background()
	var ids []string
	var receipts, traces []uint64
	for _, minor := range []int64{100, 200, 300, 400} {
		p, err := r.e.Pay(ctx, money.New(minor, "EUR"), nil)
		if err != nil || p.State != store.StatePaid {
			t.Fatalf("Pay = %+v, %v", p, err)
		}
		r.e.Confirm(ctx, p.ID)
		ids = append(ids, p.ID)
		receipts = append(receipts, p.Receipt)
		traces = append(traces, p.Trace)
	}
	if !strings.HasPrefix(ids[0], "T1-999998-") || !strings.HasPrefix(ids[3], "T1-1000001-") {
		t.Fatalf("ids %v, want T1-999998 … T1-1000001", ids)
	}
	if receipts[0] != 9998 || receipts[3] != 2 {
		t.Fatalf("receipts %v, want 9998, 9999, 1, 2", receipts)
	}
	if !slices.Equal(traces, []uint64{999_998, 999_999, 1, 2}) {
		t.Fatalf("trace numbers %v, want 999998, 999999, 1, 2", traces)
	}

	list, err := r.e.Payments(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range list {
		got = append(got, p.ID)
	}
	if len(got) != 4 || got[0] != ids[3] || got[1] != ids[2] || got[2] != ids[1] || got[3] != ids[0] {
		t.Fatalf("listing %v, want newest first %v reversed", got, ids)
	}

	rep, err := r.e.EndOfDay(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Totals) != 1 || rep.Totals[0].Count != 4 {
		t.Fatalf("end of day totals %+v, want the 4 payments", rep.Totals)
	}
	if rep.ReceiptFrom != 9998 || rep.ReceiptTo != 2 {
		t.Fatalf("end of day receipts %04d-%04d, want 9998-0002 (in the order drawn across the rollover)", rep.ReceiptFrom, rep.ReceiptTo)
	}

	p, _, err := r.e.RefundLatest(ctx, money.New(100, "EUR"))
	if err != nil || p.ID != ids[3] {
		t.Fatalf("register refund drew on %v (%v), want the newest payment %s", p, err, ids[3])
	}

	p, _, err = r.e.Reverse(ctx, 1)
	if err != nil || p.ID != ids[2] || p.Trace != 1 {
		t.Fatalf("reversal of receipt 0001 drew on %+v (%v), want %s with trace 1", p, err, ids[2])
	}
}
