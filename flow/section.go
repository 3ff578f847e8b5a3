package flow

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/money"
)

// Section is the engine's part of the [terminal] section of terminald.toml: the toml
// tags are the keys, DefaultSection the values of keys left out, Validate the check and
// Config what New takes. Package config embeds it in its Terminal section, next to the
// keys the daemon itself owns (state_dir, retention, stop_settle, log_level).
type Section struct {
	ID           string   `toml:"id"`            // terminal id, prefix of payment references
	Merchant     string   `toml:"merchant"`      // merchant name (idle screen, receipts)
	MerchantInfo []string `toml:"merchant_info"` // address lines on receipts
	Currency     string   `toml:"currency"`      // ISO 4217 code
	MinAmount    string   `toml:"min_amount"`    // decimal in Currency, e.g. "1.00"
	MaxAmount    string   `toml:"max_amount"`    // decimal in Currency, e.g. "10000.00"
	// WatchWindow: cancelled and expired payments are watched for a late payment this long.
	WatchWindow time.Duration `toml:"watch_window"`
	ReverseLate bool          `toml:"reverse_late"` // refund late payments where the provider can
	// PromptTimeout ends a cashier prompt nobody answers (amount, method, phone number,
	// quote, underpayment decision, admin menu); counted from when it shows or the last key.
	PromptTimeout time.Duration `toml:"prompt_timeout"`

	Language      string `toml:"language"`       // screens' and receipts' language: a file of package locale (da, de, en)
	TimeZone      string `toml:"timezone"`       // IANA zone receipts are stamped in; the system's when empty
	VATID         string `toml:"vat_id"`         // VAT/CVR/USt-IdNr printed under the address; none when empty
	ReceiptFooter string `toml:"receipt_footer"` // text at the end of sale receipts (\n starts a new line)
}

// DefaultSection returns the engine's [terminal] keys before the file is read.
func DefaultSection() Section {
	return Section{ID: "T1", Merchant: "terminald", Currency: "EUR", Language: "en", MinAmount: "0.01", MaxAmount: "10000.00",
		WatchWindow: 24 * time.Hour, ReverseLate: true, PromptTimeout: time.Minute}
}

// Validate reports every bad value at once (errors.Join), each naming the terminal.KEY
// and the value.
func (s Section) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	positive := func(key string, d time.Duration) {
		if d <= 0 {
			bad("terminal.%s: %q: must be a positive duration", key, d.String())
		}
	}
	if cur, err := money.Lookup(s.Currency); err != nil {
		bad("terminal.currency: %q: not an ISO 4217 code", s.Currency)
	} else {
		minA, err1 := money.Parse(s.MinAmount, cur.Code)
		maxA, err2 := money.Parse(s.MaxAmount, cur.Code)
		if err1 != nil {
			bad("terminal.min_amount: %q: %v", s.MinAmount, err1)
		}
		if err2 != nil {
			bad("terminal.max_amount: %q: %v", s.MaxAmount, err2)
		}
		if err1 == nil && err2 == nil && (minA.Minor <= 0 || minA.Minor > maxA.Minor || maxA.Minor > money.MaxMinor) {
			bad("terminal.min_amount/max_amount: %q and %q: need 0 < min ≤ max ≤ 9999999999.99", s.MinAmount, s.MaxAmount)
		}
	}
	if s.ID == "" || strings.ContainsAny(s.ID, " /\\") || len(s.ID) > 16 {
		bad("terminal.id: %q: 1-16 characters without spaces or slashes", s.ID)
	}
	if _, err := locale.New(locale.Options{Language: s.Language}); err != nil {
		bad("terminal.language: %q: one of %s", s.Language, strings.Join(locale.Languages(), ", "))
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil || strings.EqualFold(s.TimeZone, "local") {
		bad("terminal.timezone: %q: not an IANA time zone (e.g. \"Europe/Copenhagen\")", s.TimeZone)
	}
	positive("watch_window", s.WatchWindow)
	positive("prompt_timeout", s.PromptTimeout)
	return errors.Join(errs...)
}

// Bounds returns the amount limits in minor units of Currency; zero for a limit that
// does not parse (Validate reports it).
func (s Section) Bounds() (minMinor, maxMinor int64) {
	a, _ := money.Parse(s.MinAmount, s.Currency)
	b, _ := money.Parse(s.MaxAmount, s.Currency)
	return a.Minor, b.Minor
}

// Config returns what New takes for a validated section: amounts in minor units, the
// currency's canonical code, the locale of Language and TimeZone. The caller adds what
// is not configured here (clock, logger, observer, Config.MerchantCopy of [printer]).
func (s Section) Config() (Config, error) {
	cur, err := money.Lookup(s.Currency)
	if err != nil {
		return Config{}, fmt.Errorf("terminal.currency: %q: %w", s.Currency, err)
	}
	s.Currency = cur.Code
	loc, err := locale.New(locale.Options{Language: s.Language, TimeZone: s.TimeZone})
	if err != nil {
		return Config{}, err
	}
	lo, hi := s.Bounds()
	return Config{TerminalID: s.ID, Merchant: s.Merchant, MerchantInfo: s.MerchantInfo, Currency: s.Currency,
		MinAmount: lo, MaxAmount: hi, Locale: loc, VATID: s.VATID, ReceiptFooter: s.ReceiptFooter,
		WatchWindow: s.WatchWindow, ReverseLate: s.ReverseLate, PromptTimeout: s.PromptTimeout}, nil
}
