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

// Config configures the gateway client and provider. It is also the [cryptogw] section
// of terminald.toml: the toml tags are the keys, DefaultConfig the values of keys left
// out, Validate the check. APIKey may also be given as api_key_file or as the systemd
// credential cryptogw_api_key. Fields marked required must be set; zero values of the
// others take the defaults named when the Config is given to New directly.
type Config struct {
	Name     string `toml:"-"`                     // provider name in the flow and the store; default "cryptogw"
	BaseURL  string `toml:"base_url"`              // required, e.g. "https://sandbox.api.forumpay.com/pay/v2/"
	Username string `toml:"username"`              // required, Basic auth user
	APIKey   string `toml:"api_key" secret:"true"` // required, Basic auth password; never logged
	PosID    string `toml:"pos_id"`                // required, pos_id sent on every call
	Locale   string `toml:"locale"`                // optional locale sent on every call
	User     string `toml:"user"`                  // optional user sent on every call

	// Currencies the terminal offers, in display order (e.g. ["BTC","ETH"]). They are
	// intersected with GetCurrencyList; empty means every currency the gateway offers.
	Currencies []string `toml:"currencies"`

	AcceptZeroConfirmations bool `toml:"accept_zero_confirmations"` // accept_zero_confirmations
	RequireKYT              bool `toml:"require_kyt"`               // require_kyt_for_confirmation

	AutoAcceptUnderpayment    bool   `toml:"auto_accept_underpayment"`     // auto_accept_underpayment
	AutoAcceptUnderpaymentMin string `toml:"auto_accept_underpayment_min"` // a decimal sent verbatim
	AutoAcceptOverpayment     bool   `toml:"auto_accept_overpayment"`      // auto_accept_overpayment
	AutoAcceptOverpaymentMax  string `toml:"auto_accept_overpayment_max"`  // a decimal sent verbatim
	AutoAcceptLatePayment     bool   `toml:"auto_accept_late_payment"`     // auto_accept_late_payment

	WebhookURL string `toml:"webhook_url"` // per-payment webhook_url; empty: not sent

	Expiry           time.Duration `toml:"expiry"`  // how long the customer has to pay; default 5 min
	Timeout          time.Duration `toml:"timeout"` // per HTTP call; default 15 s
	MaxAttempts      int           `toml:"-"`       // attempts of a read (GetRate, CheckPayment, lists); default 3, at most 10
	RetryDelay       time.Duration `toml:"-"`       // pause before the 2nd attempt, growing linearly; default 500 ms
	CurrencyCacheTTL time.Duration `toml:"-"`       // how long GetCurrencyList is cached; default 10 min
	QuoteEvery       time.Duration `toml:"-"`       // quote refresh interval on screen; default 5 s (as documented)

	HTTPClient *http.Client     `toml:"-"` // default: a client without its own timeout (Timeout applies per call)
	Now        func() time.Time `toml:"-"` // clock; default time.Now
}

// Defaults of the optional settings.
const (
	DefaultExpiry           = 5 * time.Minute
	DefaultTimeout          = 15 * time.Second
	DefaultMaxAttempts      = 3
	DefaultRetryDelay       = 500 * time.Millisecond
	DefaultCurrencyCacheTTL = 10 * time.Minute
	DefaultQuoteEvery       = 5 * time.Second
	DefaultPosID            = "terminald"
)

// DefaultConfig returns a Config with every optional setting at its default: the
// [cryptogw] section before the file is read. The required keys stay empty, except
// pos_id ("terminald") and currencies (["BTC"]).
func DefaultConfig() Config {
	c := Config{PosID: DefaultPosID, Currencies: []string{"BTC"}}
	c.fill()
	return c
}

// fill sets the zero optional fields to their defaults.
func (c *Config) fill() {
	if c.Name == "" {
		c.Name = "cryptogw"
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&c.Expiry, DefaultExpiry}, {&c.Timeout, DefaultTimeout}, {&c.RetryDelay, DefaultRetryDelay},
		{&c.CurrencyCacheTTL, DefaultCurrencyCacheTTL}, {&c.QuoteEvery, DefaultQuoteEvery}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
}

// Validate reports every bad setting of c at once (errors.Join), each naming the
// cryptogw.KEY of terminald.toml and the value (the API key is never repeated).
// Unlike New, it takes zero durations literally: they are refused.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("cryptogw."+key+": "+format, a...))
	}
	if c.BaseURL == "" {
		bad("base_url", "required")
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		bad("base_url", "%q is not an http(s) URL without query", c.BaseURL)
	}
	if c.Username == "" {
		bad("username", "required")
	}
	if c.APIKey == "" {
		bad("api_key", "required (set it, cryptogw.api_key_file, or the systemd credential cryptogw_api_key)")
	}
	if !saneID(c.PosID, 64) {
		bad("pos_id", "%q must be 1-64 letters, digits, '-', '_' or '.'", c.PosID)
	}
	for i, cur := range c.Currencies {
		up := strings.ToUpper(strings.TrimSpace(cur))
		if !saneID(up, 16) || strings.ContainsAny(up, ".") {
			bad(fmt.Sprintf("currencies[%d]", i), "%q is not a currency symbol", cur)
		}
	}
	if c.AutoAcceptUnderpaymentMin != "" {
		if _, err := ParseDecimal(c.AutoAcceptUnderpaymentMin); err != nil {
			bad("auto_accept_underpayment_min", "%q: %v", c.AutoAcceptUnderpaymentMin, err)
		}
	}
	if c.AutoAcceptOverpaymentMax != "" {
		if _, err := ParseDecimal(c.AutoAcceptOverpaymentMax); err != nil {
			bad("auto_accept_overpayment_max", "%q: %v", c.AutoAcceptOverpaymentMax, err)
		}
	}
	if c.WebhookURL != "" {
		if w, err := url.Parse(c.WebhookURL); err != nil || (w.Scheme != "http" && w.Scheme != "https") || w.Host == "" {
			bad("webhook_url", "%q is not an http(s) URL", c.WebhookURL)
		}
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"expiry", c.Expiry}, {"timeout", c.Timeout}, {"RetryDelay", c.RetryDelay}, {"CurrencyCacheTTL", c.CurrencyCacheTTL}, {"QuoteEvery", c.QuoteEvery}} {
		if d.v <= 0 {
			bad(d.key, "%v: must be positive", d.v)
		}
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 10 {
		bad("MaxAttempts", "%d out of range 1..10", c.MaxAttempts)
	}
	return errors.Join(errs...)
}

// withDefaults fills in defaults, validates c and normalises the currencies.
func (c Config) withDefaults() (Config, error) {
	c.fill()
	if err := c.Validate(); err != nil {
		return c, err
	}
	c.Currencies = slices.Clone(c.Currencies)
	for i, cur := range c.Currencies {
		c.Currencies[i] = strings.ToUpper(strings.TrimSpace(cur))
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
