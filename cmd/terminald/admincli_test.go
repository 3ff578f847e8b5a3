package main

import (
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/admin"
	"github.com/terminald/terminald/money"
)

// The admin commands' tables write amounts as the shop does, with the currency: a Danish
// terminal's end of day and refunds say kroner with a decimal comma.
func TestAdminTablesInTheShopsFormat(t *testing.T) {
	da := cliLocale("da")
	var b strings.Builder
	rep := admin.EndOfDayResult{To: time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC), ReceiptFrom: 41, ReceiptTo: 44,
		Rows:   []admin.ReportRow{{Provider: "acountpay", Result: "paid", Currency: "DKK", Count: 3, Total: 123456}},
		Totals: []admin.ReportRow{{Result: "total", Currency: "DKK", Count: 3, Total: 123456}}}
	if err := printEndOfDay(&b, "End of day", da, rep); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "1.234,56 kr.") || !strings.Contains(out, "receipts 0041 to 0044") || !strings.Contains(out, "the first payment") {
		t.Errorf("end-of-day in Danish:\n%s", out)
	}
	b.Reset()
	if err := printRefund(&b, da, admin.RefundResult{ID: "T1-1-R1", PaymentID: "T1-1", Amount: money.New(100, "DKK"), State: "pending"}); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "1,00 kr.") || !strings.Contains(out, "pending") {
		t.Errorf("refund in Danish:\n%s", out)
	}
	p := admin.Payment{Amount: money.New(5000, "DKK"), Refunded: 1250, State: "paid"}
	if got := refundedText(da, p); got != "part (12,50 kr.)" {
		t.Errorf("refunded %q, want part (12,50 kr.)", got)
	}
	p.Settled = money.New(1250, "DKK") // an accepted underpayment, all refunded
	if got := refundedText(da, p); got != "all" {
		t.Errorf("refunded %q, want all", got)
	}
	if got := refundedText(da, admin.Payment{Amount: money.New(5000, "DKK")}); got != "-" {
		t.Errorf("nothing refunded: %q, want -", got)
	}
}
