package locale

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/money"
)

func mustNew(t *testing.T, lang, tz string) *Locale {
	t.Helper()
	l, err := New(Options{Language: lang, TimeZone: tz})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestMoneyPerLanguage(t *testing.T) {
	cases := []struct {
		lang  string
		minor int64
		cur   string
		want  string
	}{
		{"da", 123456, "DKK", "1.234,56 kr."},
		{"da", 5, "DKK", "0,05 kr."},
		{"da", 1250, "EUR", "12,50 €"},
		{"da", 100000000, "DKK", "1.000.000,00 kr."},
		{"de", 1250, "EUR", "12,50 €"},
		{"de", 123456, "EUR", "1.234,56 €"},
		{"de", -1250, "EUR", "-12,50 €"},
		{"de", 1000, "JPY", "1.000 ¥"},
		{"en", 1250, "USD", "$12.50"},
		{"en", 123456, "EUR", "€1,234.56"},
		{"en", -99, "USD", "-$0.99"},
		{"en", 0, "USD", "$0.00"},
		{"en", 1234, "DKK", "DKK 12.34"}, // a symbol ending in a letter is spaced (CLDR currency spacing)
		{"de", 1234, "DKK", "12,34 DKK"},
	}
	for _, tc := range cases {
		if got := mustNew(t, tc.lang, "UTC").Money(money.New(tc.minor, tc.cur)); got != tc.want {
			t.Errorf("%s: Money(%d %s) = %q, want %q", tc.lang, tc.minor, tc.cur, got, tc.want)
		}
	}
	// One Locale for every case, twice over: what it worked out for one currency
	// (symbol, pattern) gives the same text for the next amount and in any order.
	shared := map[string]*Locale{}
	for range 2 {
		for _, tc := range cases {
			l := shared[tc.lang]
			if l == nil {
				l = mustNew(t, tc.lang, "UTC")
				shared[tc.lang] = l
			}
			if got := l.Money(money.New(tc.minor, tc.cur)); got != tc.want {
				t.Errorf("%s, shared locale: Money(%d %s) = %q, want %q", tc.lang, tc.minor, tc.cur, got, tc.want)
			}
		}
	}
}

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		lang, in, cur string
		want          int64
	}{
		{"da", "1,00", "DKK", 100},
		{"da", "1.234,56", "DKK", 123456},
		{"da", "12", "DKK", 1200},
		{"da", "0,5", "DKK", 50},
		{"de", " 12,50 ", "EUR", 1250},
		{"de", "1.000.000", "EUR", 100000000},
		{"en", "1.00", "USD", 100},
		{"en", "1,234.56", "USD", 123456},
		{"en", "1000", "JPY", 1000},
	} {
		a, err := mustNew(t, tc.lang, "UTC").ParseAmount(tc.in, tc.cur)
		if err != nil || a != money.New(tc.want, tc.cur) {
			t.Errorf("%s: ParseAmount(%q) = %v, %v; want %d %s", tc.lang, tc.in, a, err, tc.want, tc.cur)
		}
	}
	for _, tc := range []struct{ lang, in string }{
		{"da", "1.00"},    // a group of two digits: the cashier meant 1,00
		{"da", "1,234,5"}, // two decimal separators
		{"da", "1,"}, {"da", ""}, {"da", "-1,00"}, {"da", "12 kr."}, {"da", "1,005"},
		{"en", "1,00"}, {"en", "1.2.3"}, {"de", "1234.567,00"},
	} {
		if a, err := mustNew(t, tc.lang, "UTC").ParseAmount(tc.in, "EUR"); err == nil {
			t.Errorf("%s: ParseAmount(%q) = %v, want an error", tc.lang, tc.in, a)
		}
	}
	_, err := mustNew(t, "da", "UTC").ParseAmount("1.00", "DKK")
	if !errors.Is(err, ErrAmount) || err.Error() != `locale: "1.00": not an amount in DKK (e.g. "1.234,56")` {
		t.Errorf("error = %v", err)
	}
}

func TestTimeInZone(t *testing.T) {
	at := time.Date(2026, 11, 30, 22, 30, 5, 0, time.UTC)
	for _, tc := range []struct{ lang, tz, want string }{
		{"da", "Europe/Copenhagen", "30-11-2026 23:30:05"},
		{"de", "Europe/Berlin", "30.11.2026 23:30:05"},
		{"en", "America/New_York", "2026-11-30 17:30:05"},
	} {
		if got := mustNew(t, tc.lang, tc.tz).Time(at); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.lang, tc.tz, got, tc.want)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	if _, err := New(Options{Language: "fr"}); !errors.Is(err, ErrLanguage) {
		t.Errorf("fr: %v, want ErrLanguage", err)
	}
	if _, err := New(Options{Language: "da", TimeZone: "Europe/Kopenhagen"}); err == nil {
		t.Error("a misspelt zone was accepted")
	}
}

// Every language file has every English key, so no receipt line falls back to English
// without anyone noticing; and none has a key English lacks (a typo).
func TestMessageFilesComplete(t *testing.T) {
	en, err := load("en")
	if err != nil {
		t.Fatal(err)
	}
	if len(Languages()) < 3 {
		t.Fatalf("languages %v", Languages())
	}
	for _, lang := range Languages() {
		m, err := load(lang)
		if err != nil {
			t.Fatal(err)
		}
		for k := range en {
			if m[k] == "" {
				t.Errorf("%s.toml lacks %s", lang, k)
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok {
				t.Errorf("%s.toml has %s, which en.toml does not", lang, k)
			}
		}
	}
}

func TestMessages(t *testing.T) {
	for _, tc := range []struct{ lang, key, want string }{
		{"da", "receipt.vat_id", "CVR-nr."},
		{"de", "receipt.vat_id", "USt-IdNr."},
		{"en", "receipt.vat_id", "VAT no."},
		{"de", "receipt.amount", "BETRAG"},
		{"da", "no.such_key", "no.such_key"},
	} {
		if got := mustNew(t, tc.lang, "").T(tc.key); got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.lang, tc.key, got, tc.want)
		}
	}
	if got := mustNew(t, "de", "").T("ui.try_again_in", "4:59"); got != "Erneut versuchen in 4:59" {
		t.Errorf("with an argument: %q", got)
	}
	l, _ := New(Options{Brands: map[string]string{"cryptogw": "ForumPay"}})
	if l.Brand("acountpay") != "AcountPay" || l.Brand("cryptogw") != "ForumPay" || l.Brand("other") != "other" {
		t.Errorf("brands: %q %q %q", l.Brand("acountpay"), l.Brand("cryptogw"), l.Brand("other"))
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1,00", "1.234,56", "", ",", "1..2", "999.999.999,99"} {
		f.Add(s)
	}
	l, err := New(Options{Language: "da"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := l.ParseAmount(s, "DKK")
		if err != nil {
			return
		}
		// What parses prints back to the same amount.
		b, err := l.ParseAmount(l.Decimal(a.Minor, 2), "DKK")
		if err != nil || b != a {
			t.Fatalf("%q → %v → %q → %v, %v", s, a, l.Decimal(a.Minor, 2), b, err)
		}
	})
}

// Every language has exactly the keys of en.toml, with the same placeholders: a key
// missing would show English, an extra one is a typo nobody reads.
func TestEveryLanguageHasEveryKey(t *testing.T) {
	en, err := load("en")
	if err != nil {
		t.Fatal(err)
	}
	verbs := regexp.MustCompile(`%[sdv]`)
	for _, lang := range Languages() {
		msgs, err := load(lang)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range en {
			m, ok := msgs[k]
			if !ok {
				t.Errorf("messages/%s.toml lacks %s (en: %q)", lang, k, v)
				continue
			}
			if a, b := verbs.FindAllString(v, -1), verbs.FindAllString(m, -1); strings.Join(a, "") != strings.Join(b, "") {
				t.Errorf("messages/%s.toml %s = %q: placeholders %v, en has %v", lang, k, m, b, a)
			}
		}
		for k := range msgs {
			if _, ok := en[k]; !ok {
				t.Errorf("messages/%s.toml has %s, which en.toml has not", lang, k)
			}
		}
	}
	for _, want := range []string{"da", "de", "en"} {
		if !slices.Contains(Languages(), want) {
			t.Errorf("no %s", want)
		}
	}
}

// Texts made in English outside the catalogue (providers, engine) are shown in the
// locale's language, amounts in its money format; a text no message matches is kept.
func TestPhrase(t *testing.T) {
	da, de, en := mustNew(t, "da", ""), mustNew(t, "de", ""), mustNew(t, "en", "")
	for _, tc := range []struct {
		l        *Locale
		in, want string
	}{
		{da, "Waiting for Accrue", "Venter på Accrue"},
		{de, "Pay 20.00 EUR in BTC? OK", "20,00 € in BTC bezahlen? OK"},
		{da, "Pay with Accrue", "Betal med Accrue"},        // not "Pay %s %s"
		{da, "Pay 0.00033469 BTC", "Betal 0.00033469 BTC"}, // crypto stays as the gateway writes it
		{de, "Accept failed: Provider offline", "Annahme fehlgeschlagen: Anbieter offline"},
		{en, "Settled 17.90 EUR of 20.00 EUR", "Settled €17.90 of €20.00"},
		{de, "something new from a provider", "something new from a provider"},
	} {
		if got := tc.l.Phrase(tc.in); got != tc.want {
			t.Errorf("%s: Phrase(%q) = %q, want %q", tc.l.Language(), tc.in, got, tc.want)
		}
	}
}
