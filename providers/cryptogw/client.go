package cryptogw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

// maxBody bounds a reply the client reads (GetTransactions pages included).
const maxBody = 1 << 20

// APIError is an error reply from the gateway: an HTTP status other than 200 or an "err"
// element in the body. Status 500 and above (and 429) match driver.ErrUnreachable.
type APIError struct {
	Endpoint string
	Status   int    // HTTP status
	Err      string // the "err" text, possibly empty
	// RetryAfter is the wait a 429 or 503 asked for (Retry-After in seconds); 0 when none.
	RetryAfter time.Duration
}

// Error describes the refusal.
func (e *APIError) Error() string {
	if e.Err == "" {
		return fmt.Sprintf("cryptogw: %s: HTTP %d", e.Endpoint, e.Status)
	}
	return fmt.Sprintf("cryptogw: %s: HTTP %d: %s", e.Endpoint, e.Status, e.Err)
}

// Unwrap returns driver.ErrUnreachable for server errors (the outcome is unknown).
func (e *APIError) Unwrap() error {
	if e.Status >= 500 || e.Status == http.StatusTooManyRequests {
		return driver.ErrUnreachable
	}
	return nil
}

// CashierMessage is a short text for the cashier's screen.
func (e *APIError) CashierMessage() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return "Gateway login failed"
	case e.Status == http.StatusNotFound:
		return "Payment not found"
	case e.Status >= 500:
		return "Gateway error"
	}
	if e.Err != "" {
		if len(e.Err) > 40 {
			return e.Err[:40]
		}
		return e.Err
	}
	return "Gateway refused"
}

// Client talks to the gateway's HTTP API. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	username   string
	apiKey     string
	posID      string
	locale     string
	user       string
	timeout    time.Duration
	attempts   int
	retryDelay time.Duration
	hc         *http.Client
	log        *slog.Logger
}

// NewClient returns a client for cfg. cfg is validated as by New.
func NewClient(cfg Config, logger *slog.Logger) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return newClient(cfg, logger), nil
}

func newClient(cfg Config, logger *slog.Logger) *Client {
	u, _ := url.Parse(cfg.BaseURL) // validated
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{
		base: u, username: cfg.Username, apiKey: cfg.APIKey, posID: cfg.PosID,
		locale: cfg.Locale, user: cfg.User, timeout: cfg.Timeout, attempts: cfg.MaxAttempts,
		retryDelay: cfg.RetryDelay, hc: cfg.HTTPClient, log: logger,
	}
}

// call performs one GET of endpoint with the query q. Reads (idempotent) are retried up
// to the configured attempts on network errors, 5xx/429 and unreadable bodies.
func (c *Client) call(ctx context.Context, endpoint string, q url.Values, idempotent bool, decode func([]byte) error) error {
	q.Set("pos_id", c.posID)
	if c.locale != "" {
		q.Set("locale", c.locale)
	}
	if c.user != "" {
		q.Set("user", c.user)
	}
	u := *c.base
	u.Path += endpoint + "/"
	var form url.Values
	if endpoint == "StartPayment" {
		form = q // a multipart POST, as the official client sends it
	} else {
		u.RawQuery = q.Encode()
	}
	attempts := 1
	if idempotent {
		attempts = c.attempts
	}
	var err error
	for i := range attempts {
		if i > 0 {
			if perr := pause(ctx, c.backoff(i, err)); perr != nil {
				return fmt.Errorf("cryptogw: %s: %w (%w)", endpoint, driver.ErrUnreachable, perr)
			}
		}
		err = c.once(ctx, endpoint, u.String(), form, idempotent, decode)
		if err == nil || !errors.Is(err, driver.ErrUnreachable) || ctx.Err() != nil {
			return err
		}
		c.log.Warn("cryptogw: call failed", "endpoint", endpoint, "attempt", i+1, "err", err)
	}
	if ae := (*APIError)(nil); errors.As(err, &ae) && ae.RetryAfter > 0 {
		// The engine waits as long before it asks about this payment again.
		return &driver.RetryAfterError{After: ae.RetryAfter, Err: err}
	}
	return err
}

// once sends one request: a GET, or a multipart POST of form when form is not nil.
//
// net/http's Transport silently sends a GET (any request it deems replayable) again
// when a reused connection breaks before the answer's first byte, which is exactly
// the "reset after the gateway acted" case. A call that moves money (idempotent false)
// is therefore made non-replayable: a POST body without GetBody, or for a GET an empty
// body without GetBody (the Transport sends no body for it, but will not replay it).
func (c *Client) once(ctx context.Context, endpoint, u string, form url.Values, idempotent bool, decode func([]byte) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	method, reqBody, ctype := http.MethodGet, io.Reader(nil), ""
	if form != nil {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for _, k := range slices.Sorted(maps.Keys(form)) {
			for _, v := range form[k] {
				mw.WriteField(k, v)
			}
		}
		if err := mw.Close(); err != nil {
			return fmt.Errorf("cryptogw: %s: %w", endpoint, err)
		}
		method, reqBody, ctype = http.MethodPost, &b, mw.FormDataContentType()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, reqBody)
	if err != nil {
		return fmt.Errorf("cryptogw: %s: %w", endpoint, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if !idempotent {
		req.GetBody = nil
		if req.Body == nil {
			req.Body = io.NopCloser(strings.NewReader(""))
		}
	}
	req.SetBasicAuth(c.username, c.apiKey)
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		// The URL holds no secret (auth is a header), but say only the endpoint.
		return fmt.Errorf("cryptogw: %s: %w: %v", endpoint, driver.ErrUnreachable, stripURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("cryptogw: %s: read reply: %w: %v", endpoint, driver.ErrUnreachable, stripURL(err))
	}
	c.log.Debug("cryptogw: call", "endpoint", endpoint, "status", resp.StatusCode, "bytes", len(body), "took", time.Since(start))
	if len(body) > maxBody {
		return &DecodeError{Endpoint: endpoint, Err: fmt.Errorf("reply larger than %d bytes", maxBody)}
	}
	if resp.StatusCode != http.StatusOK {
		return &APIError{Endpoint: endpoint, Status: resp.StatusCode, Err: errText(body),
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	}
	if e := errText(body); e != "" {
		return &APIError{Endpoint: endpoint, Status: resp.StatusCode, Err: e}
	}
	return decode(body)
}

// maxRetryAfter bounds how long a Retry-After makes the client wait before one retry.
const maxRetryAfter = 30 * time.Second

// retryAfter reads a Retry-After header given in seconds (the HTTP-date form is not
// used by the gateway and is ignored); at most maxRetryAfter.
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, maxRetryAfter)
}

// backoff is the pause before retry number i (1-based) after err: RetryDelay × i, or
// the Retry-After the gateway asked for when longer.
func (c *Client) backoff(i int, err error) time.Duration {
	d := c.retryDelay * time.Duration(i)
	var ae *APIError
	if errors.As(err, &ae) && ae.RetryAfter > d {
		d = ae.RetryAfter
	}
	return d
}

// pause waits d or until ctx is done.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// stripURL drops the URL from a *url.Error so query values stay out of errors and logs.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// RateRequest are the GetRate parameters.
type RateRequest struct {
	Invoice                   money.Amount // invoice_amount and invoice_currency
	Currency                  string       // crypto symbol
	AcceptZeroConfirmations   bool
	RequireKYTForConfirmation bool
}

func (r RateRequest) values() url.Values {
	q := url.Values{}
	q.Set("invoice_currency", r.Invoice.Currency)
	q.Set("invoice_amount", r.Invoice.Decimal())
	q.Set("currency", r.Currency)
	q.Set("accept_zero_confirmations", strconv.FormatBool(r.AcceptZeroConfirmations))
	if r.RequireKYTForConfirmation {
		q.Set("require_kyt_for_confirmation", "true")
	}
	return q
}

// GetRate asks for the rate and the crypto amount of an invoice. It is retried.
func (c *Client) GetRate(ctx context.Context, r RateRequest) (Rate, error) {
	var out Rate
	err := c.call(ctx, "GetRate", r.values(), true, func(b []byte) (err error) {
		out, err = DecodeRate(b)
		return err
	})
	return out, err
}

// StartRequest are the StartPayment parameters. Empty optional fields are not sent.
type StartRequest struct {
	RateRequest
	PaymentID      string // from GetRate
	ReferenceNo    string
	PayerIPAddress string
	PayerUserAgent string
	WebhookURL     string
	// AutoAcceptUnderpayment with AutoAcceptUnderpaymentMin (a percentage or amount as
	// the gateway defines it, sent verbatim) lets the gateway accept small underpayments.
	AutoAcceptUnderpayment    bool
	AutoAcceptUnderpaymentMin string
	AutoAcceptOverpayment     bool
	AutoAcceptOverpaymentMax  string
	AutoAcceptLatePayment     bool
}

// StartPayment starts the payment quoted by GetRate. The client never retries it: on an
// unknown outcome the error matches driver.ErrUnreachable and the caller must ask
// (CheckPayment) before sending it again (Provider.Start does).
func (c *Client) StartPayment(ctx context.Context, r StartRequest) (Started, error) {
	q := r.values()
	q.Set("payment_id", r.PaymentID)
	setIf(q, "reference_no", r.ReferenceNo)
	setIf(q, "payer_ip_address", r.PayerIPAddress)
	setIf(q, "payer_user_agent", r.PayerUserAgent)
	setIf(q, "webhook_url", r.WebhookURL)
	if r.AutoAcceptUnderpayment {
		q.Set("auto_accept_underpayment", "true")
		setIf(q, "auto_accept_underpayment_min", r.AutoAcceptUnderpaymentMin)
	}
	if r.AutoAcceptOverpayment {
		q.Set("auto_accept_overpayment", "true")
		setIf(q, "auto_accept_overpayment_max", r.AutoAcceptOverpaymentMax)
	}
	if r.AutoAcceptLatePayment {
		q.Set("auto_accept_late_payment", "true")
	}
	var out Started
	err := c.call(ctx, "StartPayment", q, false, func(b []byte) (err error) {
		out, err = DecodeStarted(b)
		return err
	})
	return out, err
}

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// PaymentRef names a started payment.
type PaymentRef struct {
	PaymentID string
	Currency  string
	Address   string // may be empty when unknown; the gateway then finds it by id
}

func (r PaymentRef) values() url.Values {
	q := url.Values{}
	q.Set("payment_id", r.PaymentID)
	q.Set("currency", r.Currency)
	setIf(q, "address", r.Address)
	return q
}

// CheckPayment asks for a payment's state. It is retried.
func (c *Client) CheckPayment(ctx context.Context, r PaymentRef) (Status, error) {
	var out Status
	err := c.call(ctx, "CheckPayment", r.values(), true, func(b []byte) (err error) {
		out, err = DecodeStatus(b)
		return err
	})
	return out, err
}

// CancelPayment cancels a payment no transaction was sent for. It reports whether the
// gateway cancelled it. Never retried.
func (c *Client) CancelPayment(ctx context.Context, r PaymentRef, reason, comment string) (bool, error) {
	q := r.values()
	setIf(q, "reason", reason)
	setIf(q, "comment", comment)
	var ok bool
	err := c.call(ctx, "CancelPayment", q, false, func(b []byte) (err error) {
		ok, err = decodeFlag("CancelPayment", "cancelled", b)
		return err
	})
	return ok, err
}

// AcceptPayment accepts an underpayment: amount is the gateway's own text of the
// "payment" CheckPayment reported (Status.PaymentText), sent byte for byte; invoice is
// its value in the invoice currency. Never retried.
func (c *Client) AcceptPayment(ctx context.Context, r PaymentRef, amount string, invoice money.Amount) (bool, error) {
	if _, err := ParseDecimal(amount); err != nil {
		return false, fmt.Errorf("cryptogw: AcceptPayment: accepted_amount: %w", err)
	}
	q := r.values()
	q.Set("accepted_amount", amount)
	q.Set("accepted_invoice_amount", invoice.Decimal())
	var ok bool
	err := c.call(ctx, "AcceptPayment", q, false, func(b []byte) (err error) {
		ok, err = decodeFlag("AcceptPayment", "success", b)
		return err
	})
	return ok, err
}

// RefundPayment refunds amount to addressOut. amount is the gateway's own text of the
// open refund amount (Status.RefundAmountOpenedText), sent byte for byte. It returns
// the gateway's wait_time text. Never retried.
func (c *Client) RefundPayment(ctx context.Context, paymentID, currency, addressOut string, amount string) (string, error) {
	if _, err := ParseDecimal(amount); err != nil {
		return "", fmt.Errorf("cryptogw: RefundPayment: refund_amount: %w", err)
	}
	q := url.Values{}
	q.Set("payment_id", paymentID)
	q.Set("currency", currency)
	q.Set("address_out", addressOut)
	q.Set("refund_amount", amount)
	var wait string
	err := c.call(ctx, "RefundPayment", q, false, func(b []byte) error {
		var m map[string]flex
		if err := decode("RefundPayment", b, &m); err != nil {
			return err
		}
		f := fields{endpoint: "RefundPayment"}
		wait = f.str("wait_time", m["wait_time"])
		return f.err
	})
	return wait, err
}

// GetCurrencyList lists the currencies the gateway offers. It is retried.
func (c *Client) GetCurrencyList(ctx context.Context) ([]Currency, error) {
	var out []Currency
	err := c.call(ctx, "GetCurrencyList", url.Values{}, true, func(b []byte) (err error) {
		out, err = DecodeCurrencies(b)
		return err
	})
	return out, err
}

// GetTransactions lists up to limit of the merchant's transactions after skipping
// offset. It is retried.
func (c *Client) GetTransactions(ctx context.Context, offset, limit int) ([]Transaction, error) {
	return c.transactions(ctx, offset, limit, "")
}

// TransactionsByReference lists the merchant's transactions with reference_no ref
// (the live API filters by it). A gateway that ignores the filter answers with its
// newest transactions: callers match what they look for themselves. It is retried.
func (c *Client) TransactionsByReference(ctx context.Context, ref string) ([]Transaction, error) {
	return c.transactions(ctx, 0, pageSize, ref)
}

func (c *Client) transactions(ctx context.Context, offset, limit int, ref string) ([]Transaction, error) {
	q := url.Values{}
	q.Set("offset", strconv.Itoa(offset))
	q.Set("limit", strconv.Itoa(limit))
	setIf(q, "reference_no", ref)
	var out []Transaction
	err := c.call(ctx, "GetTransactions", q, true, func(b []byte) (err error) {
		out, err = DecodeTransactions(b)
		return err
	})
	return out, err
}
