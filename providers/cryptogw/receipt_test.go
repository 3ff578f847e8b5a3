package cryptogw

import (
	"testing"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

func TestReceiptDetails(t *testing.T) {
	var pr Provider
	got := pr.ReceiptDetails(map[string]string{KeyCurrency: "btc", keyAmount: "0.00020000", keyAddress: "bc1qexample"}, money.New(1250, "EUR"))
	want := []driver.Detail{
		{Label: "receipt.crypto_amount", Value: "0.00020000 BTC"},
		{Label: "receipt.crypto_rate", Value: "/BTC", Amount: money.New(6250000, "EUR")},
		{Label: "receipt.crypto_address", Value: "bc1qexample"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// What arrived is printed when it differs from what was asked.
	got = pr.ReceiptDetails(map[string]string{KeyCurrency: "BTC", keyAmount: "0.0003", keyReceived: "0.0002875"}, money.New(1000, "EUR"))
	if len(got) != 2 || got[0].Value != "0.00028750 BTC" || got[1].Amount != money.New(3478261, "EUR") {
		t.Errorf("received: %+v", got)
	}
	if got := pr.ReceiptDetails(nil, money.New(1, "EUR")); got != nil {
		t.Errorf("no data: %+v", got)
	}
}
