package cryptogw

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/terminald/terminald/money"
)

// golden reads testdata/golden/name: replies written for these tests in the shapes the
// gateway's own client documents (live_*) and the seed document shows (seed_*).
func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenLiveCheckPayment(t *testing.T) {
	s, err := DecodeStatus(golden(t, "live_check_waiting.json"))
	if err != nil {
		t.Fatal(err)
	}
	// confirmations and min_confirmations are strings, payment null, times with no zone.
	if s.Confirmations != 0 || s.MinConfirmations != 2 || s.Payment != 0 || s.PaymentText != "" ||
		s.Confirmed || s.Cancelled || s.State != "waiting" || s.Type != "Sell" ||
		!s.Inserted.Equal(time.Date(2026, 11, 29, 14, 2, 11, 0, time.UTC)) ||
		s.Invoice != money.New(2000, "EUR") || s.Amount != MustDecimal("0.0003125") || s.ReferenceNo != "T1-000042" {
		t.Errorf("waiting = %+v", s)
	}
	s, err = DecodeStatus(golden(t, "live_check_underpaid_accepted.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Confirmed || s.OriginalAmount != MustDecimal("0.0003125") || s.Amount != MustDecimal("0.0002875") ||
		s.PaymentText != "0.0002875" || s.Invoice != money.New(1840, "EUR") || s.Confirmations != 3 {
		t.Errorf("accepted underpayment = %+v", s)
	}
	s, err = DecodeStatus(golden(t, "live_check_underpayment.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.State != "underpayment" || s.Underpayment == nil || s.Underpayment.MissingAmount != MustDecimal("0.0000315") ||
		s.PaymentText != "0.000281" || s.MinConfirmations != 1 {
		t.Errorf("underpayment = %+v", s)
	}
}

func TestGoldenSeedCheckPayment(t *testing.T) {
	s, err := DecodeStatus(golden(t, "seed_check.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Confirmations != 0 || s.MinConfirmations != 2 || s.PaymentText != "0.00000000" || s.Payment != 0 ||
		s.State != "waiting" || s.Invoice != money.New(2000, "EUR") {
		t.Errorf("seed = %+v", s)
	}
}

func TestGoldenLiveStartPayment(t *testing.T) {
	s, err := DecodeStarted(golden(t, "live_start.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.PaymentID != "0b9a0c1e-45aa-4e1b-9c2d-000000000045" || s.Address != "tb1qliveaddress000000000000045" ||
		s.Amount != MustDecimal("0.0003125") || s.MinConfirmations != 2 || s.AccessURL == "" ||
		len(s.Notices) != 1 || s.Notices[0] != "Send the exact amount" || s.PrintString == "" {
		t.Errorf("start = %+v", s)
	}
}

func TestGoldenTransactionsBothShapes(t *testing.T) {
	live, err := DecodeTransactions(golden(t, "live_transactions.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 2 || !live[0].Paid() || live[0].State != "confirmed" || live[0].RefundAmountOpened != MustDecimal("0.0003125") ||
		live[1].Paid() || live[1].Payment != 0 || live[1].Invoice != money.New(500, "EUR") {
		t.Errorf("live = %+v", live)
	}
	seed, err := DecodeTransactions(golden(t, "seed_transactions.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(seed) != 1 || !seed[0].Paid() || seed[0].Invoice != money.New(2000, "EUR") || seed[0].PaymentID == "" {
		t.Errorf("seed = %+v", seed)
	}
	if l, err := DecodeTransactions([]byte(`null`)); err != nil || len(l) != 0 {
		t.Errorf("null = %v, %v", l, err)
	}
	if _, err := DecodeTransactions([]byte(`{"transactions":[]}`)); err == nil {
		t.Error("an object without invoices was accepted")
	}
}

func TestGoldenCurrenciesAndCancel(t *testing.T) {
	cs, err := DecodeCurrencies(golden(t, "live_currencies.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Currency != "BTC" || !cs[0].Enabled() || !cs[0].ZeroConf || cs[1].Enabled() || cs[1].ZeroConf {
		t.Errorf("currencies = %+v", cs)
	}
	for _, f := range []string{"live_cancel.json", "seed_cancel.json"} {
		ok, err := decodeFlag("CancelPayment", "cancelled", golden(t, f))
		if err != nil || !ok {
			t.Errorf("%s: %v, %v", f, ok, err)
		}
	}
}
