package acountpay

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Variants of the Partner API, for Config.Variant.
const (
	VariantOAuth   = "oauth"   // OAuth2 client-credentials token, X-Merchant-Client-Id header
	VariantPartner = "partner" // X-Partner-Client-Id/-Secret headers, merchantClientId in the body
)

// Defaults used when the matching Config field is zero.
const (
	DefaultExpiry        = 30 * time.Minute
	DefaultTimeout       = 10 * time.Second
	DefaultMaxAttempts   = 4
	DefaultBaseDelay     = 250 * time.Millisecond
	DefaultMaxDelay      = 5 * time.Second
	DefaultMaxRetryAfter = 30 * time.Second
	DefaultMaxListPages  = 20
	DefaultListPageSize  = 100
	// MaxResponseBytes bounds every response body read from the API.
	MaxResponseBytes = 1 << 20
)

// Config configures a Provider. It is also the [acountpay] section of terminald.toml:
// the toml tags are the keys, DefaultConfig the values of keys left out, Validate the
// check. Fields tagged toml:"-" are not configurable from the file. Fields tagged
// secret may also be given as KEY_file or as the systemd credential acountpay_KEY.
type Config struct {
	BaseURL          string `toml:"base_url"`                     // API host root, e.g. https://api.acountpay.com
	Variant          string `toml:"variant"`                      // VariantOAuth (default) or VariantPartner
	ClientID         string `toml:"client_id"`                    // partner client id
	ClientSecret     string `toml:"client_secret" secret:"true"`  // partner client secret (never logged)
	MerchantClientID string `toml:"merchant_client_id"`           // the merchant this terminal takes payments for
	WebhookSecret    string `toml:"webhook_secret" secret:"true"` // optional: secret to verify webhooks (never logged)
	WebhookURL       string `toml:"webhook_url"`                  // optional: sent as webhookUrl on create
	StoreID          string `toml:"store_id"`                     // optional: sent as storeId
	RegisterID       string `toml:"register_id"`                  // optional: sent as registerId
	Description      string `toml:"description"`                  // optional: sent as description

	Expiry      time.Duration `toml:"expiry"`  // optional: payment lifetime at the provider (default 30 min)
	Timeout     time.Duration `toml:"timeout"` // optional: deadline of one HTTP request (default 10 s)
	MaxAttempts int           `toml:"-"`       // optional: attempts per call incl. the first (default 4)

	BaseDelay     time.Duration `toml:"-"` // optional: first retry backoff, doubled each time (default 250 ms)
	MaxDelay      time.Duration `toml:"-"` // optional: cap of the backoff (default 5 s)
	MaxRetryAfter time.Duration `toml:"-"` // optional: longest Retry-After honoured (default 30 s)
	MaxListPages  int           `toml:"-"` // optional: pages walked to find a reference (default 20)
	ListPageSize  int           `toml:"-"` // optional: page size of that walk (default 100)

	HTTPClient *http.Client     `toml:"-"` // optional: default a fresh client without its own timeout
	Now        func() time.Time `toml:"-"` // optional: clock (tests); default time.Now
}

// DefaultConfig returns a Config with every optional setting at its default: the
// [acountpay] section before the file is read. The required keys stay empty.
func DefaultConfig() Config {
	var c Config
	c.fill()
	return c
}

// fill sets the zero optional fields to their defaults.
func (c *Config) fill() {
	if c.Variant == "" {
		c.Variant = VariantOAuth
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&c.Expiry, DefaultExpiry}, {&c.Timeout, DefaultTimeout}, {&c.BaseDelay, DefaultBaseDelay},
		{&c.MaxDelay, DefaultMaxDelay}, {&c.MaxRetryAfter, DefaultMaxRetryAfter}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	for _, i := range []struct {
		v   *int
		def int
	}{{&c.MaxAttempts, DefaultMaxAttempts}, {&c.MaxListPages, DefaultMaxListPages}, {&c.ListPageSize, DefaultListPageSize}} {
		if *i.v == 0 {
			*i.v = i.def
		}
	}
}

// Validate reports every bad setting of c at once (errors.Join), each naming the
// acountpay.KEY of terminald.toml and the value (secrets are never repeated). Unlike
// New, it takes zero durations and counts literally: they are refused.
func (c Config) Validate() error { return c.validate(true) }

// validate is Validate; needMerchant is false for partner-level calls such as
// onboarding, which work without a merchant.
func (c Config) validate(needMerchant bool) error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("acountpay."+key+": "+format, a...))
	}
	base := strings.TrimSpace(c.BaseURL)
	if base == "" {
		bad("base_url", "required")
	} else if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		bad("base_url", "%q is not an absolute http(s) URL", c.BaseURL)
	}
	if c.Variant != VariantOAuth && c.Variant != VariantPartner {
		bad("variant", "%q is neither %q nor %q", c.Variant, VariantOAuth, VariantPartner)
	}
	if strings.TrimSpace(c.ClientID) == "" {
		bad("client_id", "required")
	}
	if c.ClientSecret == "" {
		bad("client_secret", "required (set it, acountpay.client_secret_file, or the systemd credential acountpay_client_secret)")
	}
	if needMerchant && strings.TrimSpace(c.MerchantClientID) == "" {
		bad("merchant_client_id", "required")
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("webhook_url", "%q is not an absolute http(s) URL", c.WebhookURL)
		}
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"expiry", c.Expiry}, {"timeout", c.Timeout}, {"BaseDelay", c.BaseDelay}, {"MaxDelay", c.MaxDelay}, {"MaxRetryAfter", c.MaxRetryAfter}} {
		if d.v <= 0 {
			bad(d.key, "%v: must be positive", d.v)
		}
	}
	for _, i := range []struct {
		key string
		v   int
		max int
	}{{"MaxAttempts", c.MaxAttempts, 20}, {"MaxListPages", c.MaxListPages, 1000}, {"ListPageSize", c.ListPageSize, 1000}} {
		if i.v < 1 || i.v > i.max {
			bad(i.key, "%d out of range 1..%d", i.v, i.max)
		}
	}
	return errors.Join(errs...)
}

// withDefaults fills in defaults, validates c and normalises the base URL.
func (c Config) withDefaults(needMerchant bool) (Config, error) {
	c.fill()
	if err := c.validate(needMerchant); err != nil {
		return c, err
	}
	c.BaseURL = strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	c.BaseURL = strings.TrimSuffix(strings.TrimSuffix(c.BaseURL, "/partner"), "/v1")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
