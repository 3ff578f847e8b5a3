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

// Config configures a Provider. Fields marked optional may be left zero.
type Config struct {
	BaseURL          string // API host root, e.g. https://api.acountpay.com
	Variant          string // VariantOAuth (default) or VariantPartner
	ClientID         string // partner client id
	ClientSecret     string // partner client secret (never logged)
	MerchantClientID string // the merchant this terminal takes payments for
	WebhookSecret    string // optional: secret to verify webhooks (never logged)
	WebhookURL       string // optional: sent as webhookUrl on create
	StoreID          string // optional: sent as storeId
	RegisterID       string // optional: sent as registerId
	Description      string // optional: sent as description

	Expiry      time.Duration // optional: payment lifetime at the provider (default 30 min)
	Timeout     time.Duration // optional: deadline of one HTTP request (default 10 s)
	MaxAttempts int           // optional: attempts per call incl. the first (default 4)

	BaseDelay     time.Duration // optional: first retry backoff, doubled each time (default 250 ms)
	MaxDelay      time.Duration // optional: cap of the backoff (default 5 s)
	MaxRetryAfter time.Duration // optional: longest Retry-After honoured (default 30 s)
	MaxListPages  int           // optional: pages walked to find a reference (default 20)
	ListPageSize  int           // optional: page size of that walk (default 100)

	HTTPClient *http.Client     // optional: default a fresh client without its own timeout
	Now        func() time.Time // optional: clock (tests); default time.Now
}

// defaults validates c and fills in defaults; MerchantClientID is required only when
// needMerchant (partner-level calls such as onboarding work without one).
func (c Config) defaults(needMerchant bool) (Config, error) {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("acountpay: config %s: "+format, append([]any{field}, a...)...))
	}
	c.BaseURL = strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	if c.BaseURL == "" {
		bad("BaseURL", "required")
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		bad("BaseURL", "%q is not an absolute http(s) URL", c.BaseURL)
	} else {
		c.BaseURL = strings.TrimSuffix(strings.TrimSuffix(c.BaseURL, "/partner"), "/v1")
	}
	switch c.Variant {
	case "":
		c.Variant = VariantOAuth
	case VariantOAuth, VariantPartner:
	default:
		bad("Variant", "%q is neither %q nor %q", c.Variant, VariantOAuth, VariantPartner)
	}
	if strings.TrimSpace(c.ClientID) == "" {
		bad("ClientID", "required")
	}
	if c.ClientSecret == "" {
		bad("ClientSecret", "required")
	}
	if needMerchant && strings.TrimSpace(c.MerchantClientID) == "" {
		bad("MerchantClientID", "required")
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("WebhookURL", "%q is not an absolute http(s) URL", c.WebhookURL)
		}
	}
	durs := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"Expiry", &c.Expiry, DefaultExpiry},
		{"Timeout", &c.Timeout, DefaultTimeout},
		{"BaseDelay", &c.BaseDelay, DefaultBaseDelay},
		{"MaxDelay", &c.MaxDelay, DefaultMaxDelay},
		{"MaxRetryAfter", &c.MaxRetryAfter, DefaultMaxRetryAfter},
	}
	for _, d := range durs {
		if *d.d < 0 {
			bad(d.name, "negative duration %v", *d.d)
		} else if *d.d == 0 {
			*d.d = d.def
		}
	}
	ints := []struct {
		name     string
		v        *int
		def, max int
	}{
		{"MaxAttempts", &c.MaxAttempts, DefaultMaxAttempts, 20},
		{"MaxListPages", &c.MaxListPages, DefaultMaxListPages, 1000},
		{"ListPageSize", &c.ListPageSize, DefaultListPageSize, 1000},
	}
	for _, i := range ints {
		if *i.v < 0 || *i.v > i.max {
			bad(i.name, "%d out of range 0..%d", *i.v, i.max)
		} else if *i.v == 0 {
			*i.v = i.def
		}
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, errors.Join(errs...)
}
