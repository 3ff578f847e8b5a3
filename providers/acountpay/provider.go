package acountpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

// ErrAmountMismatch is wrapped by errors about an answer whose amount or currency is not
// the payment's, or cannot be read exactly (e.g. "1.499" for a DKK payment). Check returns
// it instead of a state; the payment stays open. Match it with errors.Is.
var ErrAmountMismatch = errors.New("amount at AcountPay differs from the sale")

// ErrNoPaymentURL is returned by Start when a payment found by its reference (after a
// crash or an unknown create outcome) has no payment URL to show as QR code.
var ErrNoPaymentURL = errors.New("payment has no payment URL")

// Provider is the AcountPay payment provider; it implements driver.Provider.
type Provider struct {
	cfg Config
	log *slog.Logger
	c   *client

	attnMu sync.Mutex          // guards attn
	attn   map[string]struct{} // payment+status words already logged as needing attention
}

// attentionMax bounds Provider.attn; it is cleared when full (a word is then logged again).
const attentionMax = 1024

// attentionOnce logs msg once per payment and status pair, not on every poll.
func (p *Provider) attentionOnce(ref, msg, status, internal string) {
	key := ref + "\x00" + status + "\x00" + internal
	p.attnMu.Lock()
	_, seen := p.attn[key]
	if !seen {
		if len(p.attn) >= attentionMax {
			clear(p.attn)
		}
		p.attn[key] = struct{}{}
	}
	p.attnMu.Unlock()
	if !seen {
		p.log.Warn(msg, "reference", ref, "status", printable(status, 40), "internal_status", printable(internal, 40))
	}
}

var _ driver.Provider = (*Provider)(nil)

// New returns a Provider for cfg. It validates cfg (errors name the field); logger may be
// nil to discard logs.
func New(cfg Config, logger *slog.Logger) (*Provider, error) {
	c, log, err := newClient(cfg, true, logger)
	if err != nil {
		return nil, err
	}
	return &Provider{cfg: c.cfg, log: log, c: c, attn: map[string]struct{}{}}, nil
}

// Name returns "acountpay".
func (p *Provider) Name() string { return "acountpay" }

// createBody is the JSON body of POST /v1/partner/payments.
type createBody struct {
	MerchantClientID string      `json:"merchantClientId,omitempty"`
	Amount           json.Number `json:"amount"`
	ReferenceNumber  string      `json:"referenceNumber"`
	Description      string      `json:"description,omitempty"`
	Currency         string      `json:"currency"`
	WebhookURL       string      `json:"webhookUrl,omitempty"`
	StoreID          string      `json:"storeId,omitempty"`
	RegisterID       string      `json:"registerId,omitempty"`
}

// flexID is a payment id sent as a JSON number or string.
type flexID string

// UnmarshalJSON accepts a JSON string, number or null.
func (f *flexID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id %s is neither a string nor a number", printable(string(b), 40))
	}
	*f = flexID(n.String())
	return nil
}

// wirePayment is a payment as the API answers it (create, status, list entry).
type wirePayment struct {
	PaymentID       flexID          `json:"paymentId"`
	ID              flexID          `json:"id"`
	PaymentURL      string          `json:"paymentUrl"`
	QRCodeURL       string          `json:"qrCodeUrl"`
	Status          string          `json:"status"`
	InternalStatus  string          `json:"internalStatus"`
	Amount          json.Number     `json:"amount"`
	Currency        string          `json:"currency"`
	ReferenceNumber string          `json:"referenceNumber"`
	CreatedAt       string          `json:"createdAt"`
	ExpiresAt       string          `json:"expiresAt"`
	Data            json.RawMessage `json:"data"`
	Payment         json.RawMessage `json:"payment"`
}

func (w *wirePayment) id() string {
	if w.PaymentID != "" {
		return string(w.PaymentID)
	}
	return string(w.ID)
}

// url returns the payment URL to show, or "" when none.
func (w *wirePayment) url() (string, error) {
	s := w.PaymentURL
	if s == "" {
		s = w.QRCodeURL
	}
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 2048 || strings.ContainsFunc(s, unicode.IsControl) {
		return "", fmt.Errorf("payment URL %q is not an absolute http(s) URL", printable(s, 80))
	}
	return s, nil
}

// decodePayment reads a payment answer of op, also when wrapped in "data" or "payment".
func decodePayment(op string, b []byte) (*wirePayment, error) {
	var w wirePayment
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("acountpay: %s: %w: %v", op, ErrBadResponse, err)
	}
	if w.id() == "" && w.Status == "" {
		for _, inner := range []json.RawMessage{w.Data, w.Payment} {
			if len(inner) > 0 && inner[0] == '{' {
				var iw wirePayment
				if err := json.Unmarshal(inner, &iw); err != nil {
					return nil, fmt.Errorf("acountpay: %s: %w: %v", op, ErrBadResponse, err)
				}
				return &iw, nil
			}
		}
	}
	return &w, nil
}

// listResponse is the answer of GET /v1/partner/payments.
type listResponse struct {
	Payments []wirePayment `json:"payments"`
	Data     []wirePayment `json:"data"`
	Total    int           `json:"total"`
	Page     int           `json:"page"`
	Limit    int           `json:"limit"`
}

func decodeList(op string, b []byte) (*listResponse, error) {
	var l listResponse
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("acountpay: %s: %w: %v", op, ErrBadResponse, err)
	}
	if l.Payments == nil {
		l.Payments = l.Data
	}
	return &l, nil
}

// wireAmount returns a's amount in major units as a JSON number, built without floats.
func wireAmount(a money.Amount) (json.Number, string, error) {
	c, err := money.Lookup(a.Currency)
	if err != nil {
		return "", "", fmt.Errorf("acountpay: amount: %w", err)
	}
	if a.Minor <= 0 || a.Minor > money.MaxMinor {
		return "", "", fmt.Errorf("acountpay: amount %d minor units out of range 1..%d", a.Minor, int64(money.MaxMinor))
	}
	return json.Number(money.FormatDecimal(a.Minor, c.Exponent)), c.Code, nil
}

// checkAmount compares an answer's amount with the payment's. An amount that cannot be
// read exactly in the payment's currency (more decimals than the currency has, an
// exponent, text) is an error wrapping ErrAmountMismatch, as is a different amount or
// currency: an answer about money that is not understood is never taken as paid.
func (p *Provider) checkAmount(w *wirePayment, pay *driver.Payment) error {
	if w.Amount == "" {
		return nil
	}
	if w.Currency != "" && !strings.EqualFold(strings.TrimSpace(w.Currency), pay.Amount.Currency) {
		return fmt.Errorf("acountpay: payment %s: %w: currency %q at AcountPay, %s asked", pay.ID, ErrAmountMismatch, printable(w.Currency, 8), pay.Amount.Currency)
	}
	got, err := money.ParseDecimal(w.Amount.String(), pay.Amount.Exponent())
	if err != nil {
		return fmt.Errorf("acountpay: payment %s: %w: amount %q is not an exact %s amount (%d decimals at most), %s asked", pay.ID, ErrAmountMismatch, printable(w.Amount.String(), 40), pay.Amount.Currency, pay.Amount.Exponent(), pay.Amount.Decimal())
	}
	if got != pay.Amount.Minor {
		return fmt.Errorf("acountpay: payment %s: %w: amount %s at AcountPay, %s asked", pay.ID, ErrAmountMismatch, money.FormatDecimal(got, pay.Amount.Exponent()), pay.Amount.Decimal())
	}
	return nil
}

// checkRef validates a payment reference or id before it goes into a URL or body.
func checkRef(what, s string) error {
	if s == "" || len(s) > 255 || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return fmt.Errorf("acountpay: %s %q is empty, too long or not printable", what, printable(s, 40))
	}
	return nil
}

// Start creates the payment. It is safe to repeat: once a create may have been sent
// (Data["create_sent"]), it looks the payment up by reference before creating again.
func (p *Provider) Start(ctx context.Context, pay *driver.Payment, save driver.Saver) (driver.Update, error) {
	if pay.ProviderID != "" {
		u, err := p.Check(ctx, pay, save)
		if err == nil && u.QR == "" {
			u.QR = pay.QR
		}
		return u, err
	}
	if err := checkRef("reference", pay.ID); err != nil {
		return driver.Update{}, err
	}
	amount, currency, err := wireAmount(pay.Amount)
	if err != nil {
		return driver.Update{}, err
	}
	if pay.Data["create_sent"] == "1" {
		if u, found, err := p.resume(ctx, pay); err != nil || found {
			return u, err
		}
	}
	if pay.Data == nil {
		pay.Data = map[string]string{}
	}
	pay.Data["create_sent"] = "1"
	if err := save(pay); err != nil {
		return driver.Update{}, fmt.Errorf("acountpay: save before create: %w", err)
	}
	body := &createBody{
		Amount:          amount,
		ReferenceNumber: pay.ID,
		Description:     p.cfg.Description,
		Currency:        currency,
		WebhookURL:      p.cfg.WebhookURL,
		StoreID:         p.cfg.StoreID,
		RegisterID:      p.cfg.RegisterID,
	}
	if p.cfg.Variant == VariantPartner {
		body.MerchantClientID = p.cfg.MerchantClientID
	}
	for attempt := 1; ; attempt++ {
		u, err := p.create(ctx, pay, body)
		if err == nil {
			return u, nil
		}
		var ae *APIError
		conflict := errors.As(err, &ae) && ae.Status == http.StatusConflict
		if !conflict {
			if !errors.Is(err, driver.ErrUnreachable) || attempt >= p.cfg.MaxAttempts || ctx.Err() != nil {
				return driver.Update{}, err
			}
			p.log.Warn("create outcome unknown, looking up by reference", "reference", pay.ID, "attempt", attempt, "err", err)
			if serr := p.c.sleep(ctx, p.c.backoff(attempt)); serr != nil {
				return driver.Update{}, err
			}
		}
		u, found, rerr := p.resume(ctx, pay)
		if rerr != nil || found {
			return u, rerr
		}
		if conflict {
			return driver.Update{}, err
		}
	}
}

// create sends the create call once (429 retried inside).
func (p *Provider) create(ctx context.Context, pay *driver.Payment, body *createBody) (driver.Update, error) {
	r := &request{method: http.MethodPost, path: "/v1/partner/payments", body: body, auth: true}
	now := p.cfg.Now()
	b, err := p.c.do(ctx, r)
	if err != nil {
		if errors.Is(err, ErrBadResponse) {
			return driver.Update{}, fmt.Errorf("%w (outcome unknown: %w)", err, driver.ErrUnreachable)
		}
		return driver.Update{}, err
	}
	w, err := decodePayment(r.op(), b)
	if err == nil && checkRef("payment id", w.id()) != nil {
		err = fmt.Errorf("acountpay: %s: %w: no usable paymentId", r.op(), ErrBadResponse)
	}
	if err != nil {
		return driver.Update{}, fmt.Errorf("%w (outcome unknown: %w)", err, driver.ErrUnreachable)
	}
	u, err := p.update(pay, w.id(), w, now)
	if err != nil {
		return driver.Update{}, err
	}
	if w.Status == "" { // the create answer may omit it: a new payment is pending
		u.Remote, u.Detail = driver.RemotePending, "Waiting for customer"
	}
	if u.QR == "" {
		return driver.Update{}, fmt.Errorf("acountpay: %s: payment %s: %w", r.op(), w.id(), ErrNoPaymentURL)
	}
	p.log.Info("payment created", "reference", pay.ID, "payment_id", w.id(), "amount", pay.Amount.String())
	return u, nil
}

// resume finds a payment by reference after an unknown create outcome. found is false
// when the provider does not have it.
func (p *Provider) resume(ctx context.Context, pay *driver.Payment) (driver.Update, bool, error) {
	lw, err := p.findByReference(ctx, pay.ID)
	if err != nil || lw == nil {
		return driver.Update{}, false, err
	}
	if err := p.checkAmount(lw, pay); err != nil {
		return driver.Update{}, true, err
	}
	id := lw.id()
	w, err := p.fetchStatus(ctx, id)
	if err != nil {
		return driver.Update{}, true, err
	}
	u, err := p.update(pay, id, w, time.Time{})
	if err != nil {
		return driver.Update{}, true, err
	}
	if u.QR == "" {
		if s, err := lw.url(); err == nil {
			u.QR = s
		}
	}
	p.log.Info("payment found by reference", "reference", pay.ID, "payment_id", id, "status", u.Remote.String())
	if u.Remote == driver.RemotePending && u.QR == "" {
		return u, true, fmt.Errorf("acountpay: payment %s found by reference %q: %w", id, pay.ID, ErrNoPaymentURL)
	}
	return u, true, nil
}

// update maps an answer to a driver.Update. created is the local create time, if known.
func (p *Provider) update(pay *driver.Payment, id string, w *wirePayment, created time.Time) (driver.Update, error) {
	u := driver.Update{ProviderID: id}
	if err := p.checkAmount(w, pay); err != nil {
		return driver.Update{}, err
	}
	if w.Status != "" || w.InternalStatus != "" {
		sw, known := resolveStatus(w.Status, w.InternalStatus)
		u.Remote, u.Detail, u.Reason = sw.remote, sw.detail, sw.reason
		if !known {
			p.attentionOnce(pay.ID, "unknown payment status; kept open and polled, needs a person", w.Status, w.InternalStatus)
		} else if sw.attention {
			p.attentionOnce(pay.ID, "payment status needs a person; kept open and polled", w.Status, w.InternalStatus)
		}
		if sw.attention {
			u.Attention = strings.TrimPrefix(sw.detail, "Needs attention: ")
		}
	}
	qr, err := w.url()
	if err != nil {
		return driver.Update{}, fmt.Errorf("acountpay: payment %s: %w: %v", id, ErrBadResponse, err)
	}
	u.QR = qr
	if t, err := time.Parse(time.RFC3339, w.ExpiresAt); err == nil {
		u.ExpiresAt = t
	} else if !pay.ExpiresAt.IsZero() {
		u.ExpiresAt = pay.ExpiresAt
	} else if t, err := time.Parse(time.RFC3339, w.CreatedAt); err == nil {
		u.ExpiresAt = t.Add(p.cfg.Expiry)
	} else if !created.IsZero() {
		u.ExpiresAt = created.Add(p.cfg.Expiry)
	} else if !pay.CreatedAt.IsZero() {
		u.ExpiresAt = pay.CreatedAt.Add(p.cfg.Expiry)
	}
	return u, nil
}

// fetchStatus asks for one payment by the provider's id.
func (p *Provider) fetchStatus(ctx context.Context, id string) (*wirePayment, error) {
	if err := checkRef("payment id", id); err != nil {
		return nil, err
	}
	path := "/v1/partner/payments/" + url.PathEscape(id)
	if p.cfg.Variant == VariantPartner {
		path += "/status"
	}
	r := &request{method: http.MethodGet, path: path, auth: true, retry: true}
	var w *wirePayment
	err := p.readJSON(ctx, r, func(b []byte) error {
		var err error
		if w, err = decodePayment(r.op(), b); err != nil {
			return err
		}
		if w.Status == "" && w.InternalStatus == "" {
			return fmt.Errorf("acountpay: %s: %w: no status", r.op(), ErrBadResponse)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// readJSON performs the read r and decodes its answer with decode. An answer that cannot
// be read (garbage, truncated, too large, no status) is a fault, not an answer: it is
// asked again with backoff like a 5xx, up to MaxAttempts, and then reported wrapping both
// ErrBadResponse and driver.ErrUnreachable (the outcome is unknown; the engine keeps the
// payment open and asks again later).
func (p *Provider) readJSON(ctx context.Context, r *request, decode func([]byte) error) error {
	for attempt := 1; ; attempt++ {
		b, err := p.c.do(ctx, r)
		if err == nil {
			err = decode(b)
		}
		if err == nil || !errors.Is(err, ErrBadResponse) || errors.Is(err, driver.ErrUnreachable) {
			return err
		}
		if attempt >= p.cfg.MaxAttempts || ctx.Err() != nil {
			return fmt.Errorf("%w (%w: no readable answer in %d attempts)", err, driver.ErrUnreachable, attempt)
		}
		p.log.Warn("unreadable answer; asking again", "op", r.op(), "attempt", attempt, "err", err)
		if serr := p.c.sleep(ctx, p.c.backoff(attempt)); serr != nil {
			return fmt.Errorf("%w (%w: %v)", err, driver.ErrUnreachable, serr)
		}
	}
}

// list fetches one page of the merchant's payments.
func (p *Provider) list(ctx context.Context, page, limit int) (*listResponse, error) {
	r := &request{method: http.MethodGet, path: "/v1/partner/payments", auth: true, retry: true, query: url.Values{
		"merchantClientId": {p.cfg.MerchantClientID},
		"page":             {strconv.Itoa(page)},
		"limit":            {strconv.Itoa(limit)},
	}}
	var l *listResponse
	err := p.readJSON(ctx, r, func(b []byte) error {
		var err error
		l, err = decodeList(r.op(), b)
		return err
	})
	return l, err
}

// findByReference walks the payment list for ref. It returns nil, nil when the list ends
// without it, and an error when the page bound is reached first.
func (p *Provider) findByReference(ctx context.Context, ref string) (*wirePayment, error) {
	limit := p.cfg.ListPageSize
	seen := 0
	for page := 1; page <= p.cfg.MaxListPages; page++ {
		l, err := p.list(ctx, page, limit)
		if err != nil {
			return nil, err
		}
		for i := range l.Payments {
			if l.Payments[i].ReferenceNumber == ref {
				w := l.Payments[i]
				if checkRef("payment id", w.id()) != nil {
					return nil, fmt.Errorf("acountpay: list: %w: entry for %q has no usable id", ErrBadResponse, ref)
				}
				return &w, nil
			}
		}
		seen += len(l.Payments)
		eff := limit
		if l.Limit > 0 && l.Limit < limit {
			eff = l.Limit
		}
		if len(l.Payments) == 0 || len(l.Payments) < eff || (l.Total > 0 && seen >= l.Total) {
			return nil, nil
		}
	}
	return nil, fmt.Errorf("acountpay: reference %q not in the first %d pages of payments: %w (outcome unknown)", ref, p.cfg.MaxListPages, driver.ErrUnreachable)
}

// Check asks AcountPay for the payment's state, finding it by reference when its id is
// not known yet (RemoteNotFound when AcountPay does not have it).
func (p *Provider) Check(ctx context.Context, pay *driver.Payment, save driver.Saver) (driver.Update, error) {
	id := pay.ProviderID
	if id == "" {
		w, err := p.findByReference(ctx, pay.ID)
		if err != nil {
			return driver.Update{}, err
		}
		if w == nil {
			return driver.Update{Remote: driver.RemoteNotFound, Detail: "Not at AcountPay"}, nil
		}
		id = w.id()
	}
	w, err := p.fetchStatus(ctx, id)
	if err != nil {
		return driver.Update{}, err
	}
	return p.update(pay, id, w, time.Time{})
}

// Cancel returns driver.ErrCannotCancel: AcountPay publishes no cancel for bank payments.
// The flow abandons the payment locally and keeps watching it.
func (p *Provider) Cancel(ctx context.Context, pay *driver.Payment, save driver.Saver) (driver.Update, error) {
	return driver.Update{}, fmt.Errorf("acountpay: payment %s: no cancel endpoint: %w", pay.ID, driver.ErrCannotCancel)
}

// Ping lists one payment: an authenticated call that also checks the merchant id.
func (p *Provider) Ping(ctx context.Context) error {
	_, err := p.list(ctx, 1, 1)
	return err
}
