package cryptogw

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Config configures the gateway client and provider. Fields marked required must be set;
// zero values of the others take the defaults named.
type Config struct {
	Name     string // provider name in the flow and the store; default "cryptogw"
	BaseURL  string // required, e.g. "https://sandbox.api.forumpay.com/pay/v2/"
	Username string // required, Basic auth user
	APIKey   string // required, Basic auth password; never logged
	PosID    string // required, pos_id sent on every call
	Locale   string // optional locale sent on every call
	User     string // optional user sent on every call

	// Currencies the terminal offers, in display order (e.g. ["BTC","ETH"]). They are
	// intersected with GetCurrencyList; empty means every currency the gateway offers.
	Currencies []string

	AcceptZeroConfirmations bool // accept_zero_confirmations
	RequireKYT              bool // require_kyt_for_confirmation

	AutoAcceptUnderpayment    bool   // auto_accept_underpayment
	AutoAcceptUnderpaymentMin string // auto_accept_underpayment_min, a decimal sent verbatim
	AutoAcceptOverpayment     bool   // auto_accept_overpayment
	AutoAcceptOverpaymentMax  string // auto_accept_overpayment_max, a decimal sent verbatim
	AutoAcceptLatePayment     bool   // auto_accept_late_payment

	WebhookURL string // per-payment webhook_url; empty: not sent

	Expiry           time.Duration // how long the customer has to pay; default 5 min
	Timeout          time.Duration // per HTTP call; default 15 s
	MaxAttempts      int           // attempts of a read (GetRate, CheckPayment, lists); default 3, at most 10
	RetryDelay       time.Duration // pause before the 2nd attempt, growing linearly; default 500 ms
	CurrencyCacheTTL time.Duration // how long GetCurrencyList is cached; default 10 min
	QuoteEvery       time.Duration // quote refresh interval on screen; default 5 s (as documented)

	HTTPClient *http.Client     // default: a client without its own timeout (Timeout applies per call)
	Now        func() time.Time // clock; default time.Now
}

// withDefaults validates c and fills in defaults. Errors name the field.
func (c Config) withDefaults() (Config, error) {
	if c.Name == "" {
		c.Name = "cryptogw"
	}
	if c.BaseURL == "" {
		return c, errors.New("cryptogw: config: BaseURL is required")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return c, fmt.Errorf("cryptogw: config: BaseURL %q is not an http(s) URL without query", c.BaseURL)
	}
	if c.Username == "" {
		return c, errors.New("cryptogw: config: Username is required")
	}
	if c.APIKey == "" {
		return c, errors.New("cryptogw: config: APIKey is required")
	}
	if c.PosID == "" || !saneID(c.PosID, 64) {
		return c, fmt.Errorf("cryptogw: config: PosID %q must be 1-64 letters, digits, '-', '_' or '.'", c.PosID)
	}
	c.Currencies = slices.Clone(c.Currencies)
	for i, cur := range c.Currencies {
		up := strings.ToUpper(strings.TrimSpace(cur))
		if !saneID(up, 16) || strings.ContainsAny(up, ".") {
			return c, fmt.Errorf("cryptogw: config: Currencies[%d] %q is not a currency symbol", i, cur)
		}
		c.Currencies[i] = up
	}
	if c.AutoAcceptUnderpaymentMin != "" {
		if _, err := ParseDecimal(c.AutoAcceptUnderpaymentMin); err != nil {
			return c, fmt.Errorf("cryptogw: config: AutoAcceptUnderpaymentMin: %w", err)
		}
	}
	if c.AutoAcceptOverpaymentMax != "" {
		if _, err := ParseDecimal(c.AutoAcceptOverpaymentMax); err != nil {
			return c, fmt.Errorf("cryptogw: config: AutoAcceptOverpaymentMax: %w", err)
		}
	}
	if c.WebhookURL != "" {
		w, err := url.Parse(c.WebhookURL)
		if err != nil || (w.Scheme != "http" && w.Scheme != "https") || w.Host == "" {
			return c, fmt.Errorf("cryptogw: config: WebhookURL %q is not an http(s) URL", c.WebhookURL)
		}
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"Expiry", &c.Expiry, 5 * time.Minute},
		{"Timeout", &c.Timeout, 15 * time.Second},
		{"RetryDelay", &c.RetryDelay, 500 * time.Millisecond},
		{"CurrencyCacheTTL", &c.CurrencyCacheTTL, 10 * time.Minute},
		{"QuoteEvery", &c.QuoteEvery, 5 * time.Second},
	} {
		if *d.v < 0 {
			return c, fmt.Errorf("cryptogw: config: %s %v is negative", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.MaxAttempts < 0 || c.MaxAttempts > 10 {
		return c, fmt.Errorf("cryptogw: config: MaxAttempts %d out of range 0..10", c.MaxAttempts)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 3
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// saneID reports whether s is 1..max of [A-Za-z0-9._-].
func saneID(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.') {
			return false
		}
	}
	return true
}

// ValidAddress reports whether s looks like a crypto address fit for a refund: 10 to
// 128 characters of letters, digits and ":._-" (room for prefixes such as
// "bitcoincash:" and memo separators is deliberately not given).
func ValidAddress(s string) bool {
	if len(s) < 10 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == ':' || b == '.' || b == '_' || b == '-') {
			return false
		}
	}
	return true
}
