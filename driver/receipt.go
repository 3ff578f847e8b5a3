package driver

import "github.com/terminald/terminald/money"

// ReceiptDetailer is implemented by a provider whose receipts carry more than the
// common lines (amount, references): a crypto gateway prints the crypto amount, the
// rate and the address. The engine asks it when it builds a receipt; it must not block
// or call out.
type ReceiptDetailer interface {
	// ReceiptDetails returns the extra lines for a payment from its durable data and
	// the fiat amount paid (or asked, when not paid); nil when there are none.
	ReceiptDetails(data map[string]string, paid money.Amount) []Detail
}

// Detail is one label/value line a provider adds to a receipt.
type Detail struct {
	Label string // message key of the label in package locale, e.g. "receipt.crypto_amount"
	Value string // printed as it is (a crypto amount, an address, an id)
	// Amount, when its Currency is set, is printed before Value in the shop's money
	// format (e.g. the rate: Amount 61234.50 EUR, Value "/BTC": "61.234,50 €/BTC").
	Amount money.Amount
}
