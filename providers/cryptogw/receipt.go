package cryptogw

import (
	"math/big"
	"strings"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

var _ driver.ReceiptDetailer = (*Provider)(nil)

// ReceiptDetails returns the crypto lines of a payment's receipt from what the provider
// stored: the coin, the crypto amount (the accepted or received amount where it differs
// from the one asked), the rate derived from it and the fiat amount, and the address.
// The gateway's payment id is the payment's ProviderID, which the receipt prints
// already; the gateway reports no transaction id, so none is printed.
func (pr *Provider) ReceiptDetails(data map[string]string, paid money.Amount) []driver.Detail {
	cur := strings.ToUpper(data[KeyCurrency])
	amount := data[keyAmount]
	for _, k := range []string{keyReceived, keyAccepted} {
		if data[k] != "" {
			amount = data[k]
		}
	}
	var out []driver.Detail
	if cur == "" && amount == "" {
		return nil
	}
	if amount != "" {
		shown := amount
		if d, err := ParseDecimal(strings.TrimSpace(amount)); err == nil {
			shown = d.String() // all 8 places, as the QR asked
		}
		out = append(out, driver.Detail{Label: "receipt.crypto_amount", Value: strings.TrimSpace(shown + " " + cur)})
	}
	if rate, ok := fiatRate(amount, paid); ok && cur != "" {
		out = append(out, driver.Detail{Label: "receipt.crypto_rate", Amount: rate, Value: "/" + cur})
	}
	if a := data[keyAddress]; a != "" {
		out = append(out, driver.Detail{Label: "receipt.crypto_address", Value: a})
	}
	return out
}

// fiatRate is paid divided by the crypto amount text (the leading number of amount),
// in paid's minor units rounded half up: the price of one coin.
func fiatRate(amount string, paid money.Amount) (money.Amount, bool) {
	num, _, _ := strings.Cut(strings.TrimSpace(amount), " ")
	d, err := ParseDecimal(num)
	if err != nil || d <= 0 || paid.Minor <= 0 || paid.Currency == "" {
		return money.Amount{}, false
	}
	// rate minor = paid.Minor / (d / 10^8) = paid.Minor * 10^8 / d
	r := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(paid.Minor), big.NewInt(one)), big.NewInt(int64(d)))
	r.Add(r, big.NewRat(1, 2))
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if !q.IsInt64() || q.Int64() > money.MaxMinor {
		return money.Amount{}, false
	}
	return money.New(q.Int64(), paid.Currency), true
}
