package flow

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	escprinter "github.com/terminald/terminald/hw/printer"
	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/hw/printer/escposdoc"
	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/store"
)

// The golden receipts are the only place flow meets the printer packages: a test
// import, to check what the paper says (go list -deps, which the layer rules use, does
// not follow test imports).

var updateReceipts = flag.Bool("update-receipts", false, "rewrite testdata/receipts/*.txt")

// cryptoScript is a provider that adds crypto lines to its receipts, as cryptogw does.
type cryptoScript struct{ *script }

func (cryptoScript) Name() string { return "cryptogw" }

func (cryptoScript) ReceiptDetails(data map[string]string, paid money.Amount) []driver.Detail {
	return []driver.Detail{
		{Label: "receipt.crypto_amount", Value: data["crypto.amount"] + " BTC"},
		{Label: "receipt.crypto_rate", Value: "/BTC", Amount: money.New(8500000, paid.Currency)},
		{Label: "receipt.crypto_address", Value: data["crypto.address"]},
	}
}

// receiptEngine is an engine just far enough built to lay out receipts.
func receiptEngine(t *testing.T, lang, tz, cur string) *Engine {
	t.Helper()
	loc, err := locale.New(locale.Options{Language: lang, TimeZone: tz})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		TerminalID: "T1", Merchant: "Café Nørrebro", MerchantInfo: []string{"Nørrebrogade 1", "2200 København N"},
		Currency: cur, Locale: loc, VATID: "DK12345678", ReceiptFooter: "Tak for besøget!\nwww.example.dk",
	}
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	return &Engine{cfg: cfg, providers: map[string]driver.Provider{"cryptogw": cryptoScript{&script{t: t}}}}
}

// text lays r out for 58 mm paper as the printer would get it and decodes the bytes back.
func text(t *testing.T, r receipt.Receipt) string {
	t.Helper()
	b, err := escprinter.Layout{Paper: escpos.Paper58, CodePage: escpos.PC858}.Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := escposdoc.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return doc.TextWidth(escpos.Paper58.Columns)
}

func TestReceiptsGolden(t *testing.T) {
	at := time.Date(2026, 11, 30, 14, 5, 9, 0, time.UTC)
	for _, tc := range []struct{ lang, tz, cur string }{
		{"da", "Europe/Copenhagen", "DKK"},
		{"de", "Europe/Berlin", "EUR"},
		{"en", "America/New_York", "USD"},
	} {
		e := receiptEngine(t, tc.lang, tc.tz, tc.cur)
		sale := &store.Payment{ID: "T1-000042", Provider: "acountpay", Amount: money.New(123456, tc.cur), State: store.StatePaid,
			ProviderID: "ap_8f2k", UpdatedAt: at, SettledAt: at, Receipt: 42, Trace: 17, ClockSynced: true, Refunded: 10000}
		crypto := &store.Payment{ID: "T1-000043", Provider: "cryptogw", Amount: money.New(2000, tc.cur), State: store.StatePaid,
			Settled: money.New(1800, tc.cur), ProviderID: "fp-77", UpdatedAt: at, SettledAt: at, Receipt: 43, Trace: 18, ClockSynced: true,
			Data: map[string]string{"crypto.amount": "0.00021176", "crypto.address": "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}}
		declined := &store.Payment{ID: "T1-000044", Provider: "accrue", Amount: money.New(1000, tc.cur), State: store.StateFailed,
			Reason: "Insufficient balance", UpdatedAt: at, Receipt: 44, Trace: 19}
		refund := &store.Refund{ID: "T1-000042-R1", PaymentID: sale.ID, Amount: money.New(10000, tc.cur), State: store.RefundDone, UpdatedAt: at, Receipt: 45}
		rep := Report{From: at.Add(-8 * time.Hour), To: at, ReceiptFrom: 42, ReceiptTo: 45,
			Rows: []ReportRow{
				{Provider: "acountpay", Result: "paid", Currency: tc.cur, Count: 1, Total: 123456},
				{Provider: "cryptogw", Result: "paid", Currency: tc.cur, Count: 1, Total: 1800},
				{Provider: "acountpay", Result: "refund", Currency: tc.cur, Count: 1, Total: -10000},
			},
			Totals: []ReportRow{{Currency: tc.cur, Count: 3, Total: 115256}}}
		docs := []struct {
			name string
			r    receipt.Receipt
		}{
			{"sale", e.paymentReceipt(sale, receipt.Sale, false)},
			{"crypto-underpaid", e.paymentReceipt(crypto, receipt.Underpaid, false)},
			{"declined", e.paymentReceipt(declined, receipt.Slip, true)},
			{"refund", e.refundReceipt(sale, refund, false)},
			{"end-of-day", e.reportReceipt(rep, receipt.EndOfDay)},
			{"x-report", e.reportReceipt(rep, receipt.XReport)},
		}
		for _, d := range docs {
			name := filepath.Join("testdata", "receipts", tc.lang+"-"+d.name+".txt")
			got := text(t, d.r)
			if *updateReceipts {
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(name)
			if err != nil {
				t.Fatalf("%v (run with -update-receipts to write it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs (run with -update-receipts and review the diff):\n%s", name, got)
			}
		}
	}
}

// What a tax auditor looks for is on a Danish sale receipt, in Danish formats.
func TestSaleReceiptAuditFields(t *testing.T) {
	e := receiptEngine(t, "da", "Europe/Copenhagen", "DKK")
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	p := &store.Payment{ID: "T1-000007", Provider: "acountpay", Amount: money.New(123456, "DKK"), State: store.StatePaid,
		ProviderID: "ap_1", UpdatedAt: at, SettledAt: at, Receipt: 7, Trace: 3, ClockSynced: true}
	got := text(t, e.paymentReceipt(p, receipt.Sale, false))
	for _, want := range []string{"Café Nørrebro", "Nørrebrogade 1", "CVR-nr. DK12345678", "01-06-2026 12:00:00",
		"Terminal", "T1", "Kvittering", "0007", "000003", "AcountPay", "ap_1", "1.234,56 kr.", "Tak for besøget!", "KUNDEKOPI"} {
		if !strings.Contains(got, want) {
			t.Errorf("receipt lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "acountpay") || strings.Contains(got, "DKK") {
		t.Errorf("receipt shows an internal id or an ISO code:\n%s", got)
	}
}
