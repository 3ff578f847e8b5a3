package acountpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Merchant is a merchant created with CreateMerchant (POST /v1/partner/merchants).
type Merchant struct {
	ClientID      string // merchantClientId, for Config.MerchantClientID once onboarded ("" when not answered)
	CompanyName   string
	ContactEmail  string
	Status        string // as answered, e.g. "pending_onboarding" ("" when not answered)
	OnboardingURL string // absolute http(s) URL the shop owner opens to finish onboarding
	// Existing is set when AcountPay answered 409: a merchant with this contact e-mail
	// was created before (e.g. by an earlier run whose answer was lost); its onboarding
	// URL is returned again.
	Existing bool
}

// Partner is a client for the partner-level calls of the Partner API (merchant
// onboarding). It needs the partner credentials of Config but no MerchantClientID.
type Partner struct {
	c   *client
	log *slog.Logger
}

// NewPartner returns a Partner for cfg (validated as for New, except that
// MerchantClientID may be empty). logger may be nil.
func NewPartner(cfg Config, logger *slog.Logger) (*Partner, error) {
	c, log, err := newClient(cfg, false, logger)
	if err != nil {
		return nil, err
	}
	return &Partner{c: c, log: log}, nil
}

// ErrBadMerchantInput is wrapped by CreateMerchant's errors about its arguments.
var ErrBadMerchantInput = errors.New("bad merchant details")

// CreateMerchant creates a merchant for the partner (seed 001: POST
// /v1/partner/merchants {companyName, contactEmail}) and returns its onboarding URL.
//
// The company name must be 1..200 printable characters and the e-mail a bare address
// (errors wrap ErrBadMerchantInput, nothing is sent). The call is not repeated on a
// 5xx or a transport error (a merchant is not created twice by this client); such an
// outcome wraps driver.ErrUnreachable and running it again is safe where AcountPay answers
// 409 for the same e-mail (its 409 carrying an onboardingUrl is taken as the answer, with
// Existing set). The answer's merchant id is read from merchantClientId, merchantId or
// id; an answer without an absolute http(s) onboardingUrl wraps ErrBadResponse.
func (pt *Partner) CreateMerchant(ctx context.Context, company, email string) (*Merchant, error) {
	company, email = strings.TrimSpace(company), strings.TrimSpace(email)
	switch {
	case company == "" || utf8.RuneCountInString(company) > 200 || strings.ContainsFunc(company, func(r rune) bool { return !unicode.IsPrint(r) }):
		return nil, fmt.Errorf("acountpay: company name %q: %w: 1 to 200 printable characters", printable(company, 40), ErrBadMerchantInput)
	case email == "":
		return nil, fmt.Errorf("acountpay: contact e-mail: %w: required", ErrBadMerchantInput)
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return nil, fmt.Errorf("acountpay: contact e-mail %q: %w: not a bare e-mail address", printable(email, 60), ErrBadMerchantInput)
	}
	r := &request{method: http.MethodPost, path: "/v1/partner/merchants", auth: true,
		body: map[string]string{"companyName": company, "contactEmail": email}}
	b, err := pt.c.do(ctx, r)
	existing := false
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusConflict || len(ae.body) == 0 {
			return nil, err
		}
		b, existing = ae.body, true
	}
	var w struct {
		MerchantClientID flexID `json:"merchantClientId"`
		MerchantID       flexID `json:"merchantId"`
		ID               flexID `json:"id"`
		CompanyName      string `json:"companyName"`
		ContactEmail     string `json:"contactEmail"`
		Status           string `json:"status"`
		OnboardingURL    string `json:"onboardingUrl"`
	}
	if derr := json.Unmarshal(b, &w); derr != nil {
		if existing {
			return nil, err
		}
		return nil, fmt.Errorf("acountpay: %s: %w: %v", r.op(), ErrBadResponse, derr)
	}
	u, perr := url.Parse(w.OnboardingURL)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(w.OnboardingURL) > 2048 ||
		strings.ContainsFunc(w.OnboardingURL, unicode.IsControl) {
		if existing {
			return nil, err
		}
		return nil, fmt.Errorf("acountpay: %s: %w: onboardingUrl %q is not an absolute http(s) URL", r.op(), ErrBadResponse, printable(w.OnboardingURL, 80))
	}
	m := &Merchant{ClientID: string(w.MerchantClientID), CompanyName: company, ContactEmail: email,
		Status: printable(w.Status, 40), OnboardingURL: w.OnboardingURL, Existing: existing}
	if m.ClientID == "" {
		m.ClientID = string(w.MerchantID)
	}
	if m.ClientID == "" {
		m.ClientID = string(w.ID)
	}
	m.ClientID = printable(m.ClientID, 64)
	pt.log.Info("merchant created", "merchant", m.ClientID, "existing", existing)
	return m, nil
}
