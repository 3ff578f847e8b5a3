package main

import (
	"testing"

	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/money"
)

// onReceipt is how an amount (major units as text, e.g. "12.34") reads on a receipt of
// a terminal in English, the simulator's language: "$12.34", "€20.00", "DKK 7.00".
func onReceipt(t *testing.T, dec, cur string) string {
	t.Helper()
	a, err := money.Parse(dec, cur)
	if err != nil {
		t.Fatal(err)
	}
	l, err := locale.New(locale.Options{Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	return l.Money(a)
}

func mustLocale(t *testing.T, lang string) *locale.Locale {
	t.Helper()
	l, err := locale.New(locale.Options{Language: lang})
	if err != nil {
		t.Fatal(err)
	}
	return l
}
