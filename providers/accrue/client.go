package accrue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/terminald/terminald/driver"
)

// Defaults for Config fields left zero.
const (
	DefaultTimeout     = 10 * time.Second // Accrue's "short timeout"
	DefaultLongTimeout = 90 * time.Second // Accrue's "long timeout"
	DefaultMaxAttempts = 4
	DefaultRetryBase   = 250 * time.Millisecond
	DefaultRetryMax    = 5 * time.Second
	// MaxResponseBytes bounds every response body read from Accrue.
	MaxResponseBytes = 1 << 20
)

// Payment methods for Config.Methods.
const (
	MethodScan  = "scan"  // scan the wallet code shown in the customer's Accrue app
	MethodPhone = "phone" // key in the customer's phone number
)

// Config configures a Client and a Provider. It is also the [accrue] section of
// terminald.toml: the toml tags are the keys, DefaultConfig the values of keys left out,
// Validate the check. Fields tagged secret may also be given as KEY_file or as the
// systemd credential accrue_KEY.
type Config struct {
	BaseURL       string        `toml:"base_url"`                     // e.g. https://merchant-api.accruesavings.com (without /api/v1)
	ClientID      string        `toml:"client_id"`                    // sent as Client-ID
	ClientSecret  string        `toml:"client_secret" secret:"true"`  // sent as Authorization: Bearer; never logged
	WebhookSecret string        `toml:"webhook_secret" secret:"true"` // secret of the registered webhook (x-accrue-signature); optional
	Methods       []string      `toml:"methods"`                      // allowed methods, MethodScan and/or MethodPhone; empty: both
	Timeout       time.Duration `toml:"timeout"`                      // per attempt for most calls; 0: 10 s
	LongTimeout   time.Duration `toml:"long_timeout"`                 // per attempt for money-moving calls; 0: 90 s
	MaxAttempts   int           `toml:"-"`                            // attempts per call incl. the first; 0: 4
	RetryBase     time.Duration `toml:"-"`                            // first backoff; 0: 250 ms
	RetryMax      time.Duration `toml:"-"`                            // backoff cap; 0: 5 s
	HTTPClient    *http.Client  `toml:"-"`                            // nil: a client with no overall timeout (per-call contexts bound it)
}

// DefaultConfig returns a Config with every optional setting at its default: the
// [accrue] section before the file is read. The required keys stay empty.
func DefaultConfig() Config {
	c := Config{Methods: []string{MethodScan, MethodPhone}}
	c.fill()
	return c
}

// fill sets the zero optional fields to their defaults.
func (c *Config) fill() {
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&c.Timeout, DefaultTimeout}, {&c.LongTimeout, DefaultLongTimeout}, {&c.RetryBase, DefaultRetryBase}, {&c.RetryMax, DefaultRetryMax}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
}

// Validate reports every bad setting of c at once (errors.Join), each naming the
// accrue.KEY of terminald.toml and the value (secrets are never repeated). Unlike
// NewClient, it takes zero durations literally: they are refused.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("accrue."+key+": "+format, a...))
	}
	if c.BaseURL == "" {
		bad("base_url", "required")
	} else if u, err := url.Parse(c.BaseURL); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		bad("base_url", "%q: want http(s)://host", c.BaseURL)
	} else if u.RawQuery != "" || u.Fragment != "" {
		bad("base_url", "%q: no query or fragment allowed", c.BaseURL)
	}
	if strings.TrimSpace(c.ClientID) == "" {
		bad("client_id", "required")
	} else if strings.ContainsAny(c.ClientID, "\r\n") {
		bad("client_id", "%q contains a line break", c.ClientID)
	}
	if strings.TrimSpace(c.ClientSecret) == "" {
		bad("client_secret", "required (set it, accrue.client_secret_file, or the systemd credential accrue_client_secret)")
	} else if strings.ContainsAny(c.ClientSecret, "\r\n") {
		bad("client_secret", "contains a line break")
	}
	for _, m := range c.Methods {
		if m != MethodScan && m != MethodPhone {
			bad("methods", "unknown method %q (want %q or %q)", m, MethodScan, MethodPhone)
		}
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"timeout", c.Timeout}, {"long_timeout", c.LongTimeout}, {"RetryBase", c.RetryBase}, {"RetryMax", c.RetryMax}} {
		if d.v <= 0 {
			bad(d.key, "%v: must be positive", d.v)
		}
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 10 {
		bad("MaxAttempts", "%d: want 1..10", c.MaxAttempts)
	}
	return errors.Join(errs...)
}

// check fills in defaults, validates c and normalises the base URL.
func (c *Config) check() error {
	c.fill()
	if err := c.Validate(); err != nil {
		return err
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/api/v1")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	return nil
}

// Client calls the Accrue Merchant API.
type Client struct {
	cfg Config
	log *slog.Logger
}

// NewClient returns a Client for cfg.
func NewClient(cfg Config, logger *slog.Logger) (*Client, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, log: logger}, nil
}

// call describes one API operation.
type call struct {
	op     string // for errors and logs, e.g. "capture payment"
	method string
	path   string // below BaseURL, with query
	body   any    // marshalled as JSON:API document; nil: no body
	long   bool   // use LongTimeout
	// idem marks a call whose body carries an idempotency key: repeating it is safe.
	idem bool
	// lookup, when set, is asked before every retry of a call that is not idempotent, and
	// once more after the last attempt when its outcome is unknown. It returns the answer
	// document when the earlier attempt turns out to have applied.
	lookup func(ctx context.Context) (*document, bool, error)
}

// repeatable reports whether c may be sent again after an answer that was not understood
// (garbage, truncated): reading calls, calls with an idempotency key, and calls that look
// up what the earlier attempt did before repeating it.
func (c call) repeatable() bool {
	return c.method == http.MethodGet || c.method == http.MethodDelete || c.idem || c.lookup != nil
}

// do runs c with retries and returns the decoded success document. A fault whose outcome
// is unknown (network error, 5xx, 429, 408, an answer that is not a usable document) is
// retried when c is repeatable, after asking c.lookup whether the earlier attempt applied;
// after the last attempt c.lookup is asked once more. What is still unknown then wraps
// driver.ErrUnreachable.
func (cl *Client) do(ctx context.Context, c call) (*document, error) {
	var body []byte
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			return nil, fmt.Errorf("accrue: %s: encode: %w", c.op, err)
		}
		body = b
	}
	var last error
	var wait time.Duration // Retry-After of the last answer
	ask := func() (*document, bool) {
		d, done, err := c.lookup(ctx)
		if err != nil {
			cl.log.Warn("accrue: lookup after a fault failed", "op", c.op, "err", err)
			return nil, false
		}
		if done {
			cl.log.Info("accrue: earlier attempt applied, not repeating", "op", c.op)
		}
		return d, done
	}
	for attempt := 1; attempt <= cl.cfg.MaxAttempts; attempt++ {
		if attempt > 1 {
			if err := cl.sleep(ctx, attempt-1, wait); err != nil {
				if last != nil {
					return nil, fmt.Errorf("%w (%w: %w)", last, driver.ErrUnreachable, err)
				}
				return nil, fmt.Errorf("accrue: %s: %w: %w", c.op, driver.ErrUnreachable, err)
			}
			if c.lookup != nil {
				if d, done := ask(); done {
					return d, nil
				}
			}
		}
		wait = 0
		status, hdr, resp, err := cl.once(ctx, c, body)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("accrue: %s: %w: %w", c.op, driver.ErrUnreachable, ctx.Err())
			}
			if errors.Is(err, ErrBadResponse) && !c.repeatable() {
				// The server answered, but not with a document we can use, and the call
				// cannot safely be sent again: the caller asks again later. err names
				// accrue and the operation already.
				return nil, fmt.Errorf("%w (%w)", err, driver.ErrUnreachable)
			}
			last = err
			cl.log.Warn("accrue: request failed", "op", c.op, "attempt", attempt, "err", err)
			continue
		}
		if retryable(status) {
			last = decodeAPIError(c.op, status, resp)
			wait = retryAfter(hdr)
			cl.log.Warn("accrue: retryable answer", "op", c.op, "attempt", attempt, "status", status)
			continue
		}
		if status < 200 || status > 299 {
			return nil, decodeAPIError(c.op, status, resp)
		}
		if status == http.StatusNoContent || len(bytes.TrimSpace(resp)) == 0 {
			if c.method != http.MethodDelete && c.repeatable() && attempt < cl.cfg.MaxAttempts {
				// An empty success where a document belongs: not understood.
				last = fmt.Errorf("accrue: %s: %w: empty answer", c.op, ErrBadResponse)
				continue
			}
			return &document{}, nil
		}
		d, err := decodeDocument(resp)
		if err != nil {
			last = fmt.Errorf("accrue: %s: %w", c.op, err)
			if c.repeatable() {
				cl.log.Warn("accrue: answer not understood", "op", c.op, "attempt", attempt, "err", err)
				continue
			}
			return nil, fmt.Errorf("accrue: %s: %w: %w", c.op, driver.ErrUnreachable, err)
		}
		return d, nil
	}
	if c.lookup != nil {
		if d, done := ask(); done {
			return d, nil
		}
	}
	// last names accrue and the operation ("accrue: get wallet: HTTP 500 …").
	attempts := fmt.Sprintf("%d attempts", cl.cfg.MaxAttempts)
	if cl.cfg.MaxAttempts == 1 {
		attempts = "1 attempt"
	}
	return nil, fmt.Errorf("%w (%w after %s)", last, driver.ErrUnreachable, attempts)
}

// retryable reports whether Accrue asks for a retry of an answer with status s.
func retryable(s int) bool { return s >= 500 || s == 429 || s == 408 }

// retryAfter reads a Retry-After header given in seconds (0 when absent or a date).
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(min(n, 3600)) * time.Second
}

// sleep waits the backoff before retry n (1-based): exponential with jitter, bounded by
// RetryMax; at least the server's Retry-After (after), itself capped at RetryMax.
func (cl *Client) sleep(ctx context.Context, n int, after time.Duration) error {
	d := cl.cfg.RetryBase << min(n-1, 16)
	if d > cl.cfg.RetryMax || d <= 0 {
		d = cl.cfg.RetryMax
	}
	// Equal jitter: half fixed, half random.
	half := d / 2
	if half > 0 {
		d = half + rand.N(half+1)
	}
	if after = min(after, cl.cfg.RetryMax); d < after {
		d = after
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// once makes one attempt.
func (cl *Client) once(ctx context.Context, c call, body []byte) (int, http.Header, []byte, error) {
	timeout := cl.cfg.Timeout
	if c.long {
		timeout = cl.cfg.LongTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, cl.cfg.BaseURL+c.path, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("accrue: %s: build request: %w", c.op, err)
	}
	req.Header.Set("Authorization", "Bearer "+cl.cfg.ClientSecret)
	req.Header.Set("Client-ID", cl.cfg.ClientID)
	req.Header.Set("Accept", MediaType)
	req.Header.Set("User-Agent", "terminald-accrue/1")
	if body != nil {
		req.Header.Set("Content-Type", MediaType)
	}
	resp, err := cl.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("accrue: %s: %w", c.op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("accrue: %s: read answer: %w", c.op, err)
	}
	if len(b) > MaxResponseBytes {
		return 0, nil, nil, fmt.Errorf("accrue: %s: %w: answer larger than %d bytes", c.op, ErrBadResponse, MaxResponseBytes)
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 && len(b) > 0 {
		if ct := resp.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, MediaType) && !strings.HasPrefix(ct, "application/json") {
			return 0, nil, nil, fmt.Errorf("accrue: %s: %w: content type %q", c.op, ErrBadResponse, clip(ct, 60))
		}
	}
	return resp.StatusCode, resp.Header, b, nil
}

// reqDoc builds a request document {"data":{"type":typ,"attributes":attrs}}.
func reqDoc(typ, id string, attrs any) any {
	type data struct {
		Type       string `json:"type"`
		ID         string `json:"id,omitempty"`
		Attributes any    `json:"attributes"`
	}
	return struct {
		Data data `json:"data"`
	}{data{typ, id, attrs}}
}

// Page selects a page of a list: page[limit] (1..50) and page[offset].
type Page struct {
	Limit  int
	Offset int
}

func (p Page) values(v url.Values) {
	if p.Limit > 0 {
		v.Set("page[limit]", strconv.Itoa(min(p.Limit, 50)))
	}
	if p.Offset > 0 {
		v.Set("page[offset]", strconv.Itoa(p.Offset))
	}
}

func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// FindWalletByPhone returns the wallet of the user with the phone number phone
// (List Wallets with filter[phoneNumber]). It returns an *APIError with HTTP status 404
// and code "WalletNotFound" when there is none.
func (cl *Client) FindWalletByPhone(ctx context.Context, phone string) (*Wallet, error) {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return nil, errors.New("accrue: find wallet: phone number is empty")
	}
	v := url.Values{}
	v.Set("filter[phoneNumber]", phone)
	v.Set("page[limit]", "2")
	d, err := cl.do(ctx, call{op: "find wallet", method: http.MethodGet, path: withQuery("/api/v1/wallets", v)})
	if err != nil {
		return nil, err
	}
	l, err := d.many("Wallet")
	if err != nil {
		return nil, fmt.Errorf("accrue: find wallet: %w: %w", driver.ErrUnreachable, err)
	}
	for i := range l {
		w, err := walletFrom(&l[i])
		if err != nil {
			return nil, fmt.Errorf("accrue: find wallet: %w: %w", driver.ErrUnreachable, err)
		}
		if w.Status == "" || w.Status == "Active" {
			return w, nil
		}
	}
	return nil, &APIError{Op: "find wallet", HTTPStatus: 404, Errors: []ErrorObject{{Code: "WalletNotFound", Title: "no active wallet for this phone number"}}}
}

// GetWallet returns the wallet id.
func (cl *Client) GetWallet(ctx context.Context, id string) (*Wallet, error) {
	d, err := cl.do(ctx, call{op: "get wallet", method: http.MethodGet, path: "/api/v1/wallets/" + url.PathEscape(id)})
	if err != nil {
		return nil, err
	}
	r, err := d.one("Wallet")
	if err != nil {
		return nil, fmt.Errorf("accrue: get wallet: %w: %w", driver.ErrUnreachable, err)
	}
	return walletFrom(r)
}

// IntentRequest is what CreatePaymentIntent sends. Exactly one of WalletID and LookUpID
// must be set.
type IntentRequest struct {
	Amount         int64  // cents, > 0
	WalletID       string // the wallet found by phone
	LookUpID       string // the scanned wallet code
	Reference      string // merchant reference (terminald sends the payment ID)
	IdempotencyKey string // body attribute, 1..255 chars
}

// CreatePaymentIntent creates a payment intent.
func (cl *Client) CreatePaymentIntent(ctx context.Context, r IntentRequest) (*PaymentIntent, error) {
	if r.Amount <= 0 {
		return nil, fmt.Errorf("accrue: create payment intent: amount %d must be positive", r.Amount)
	}
	if (r.WalletID == "") == (r.LookUpID == "") {
		return nil, errors.New("accrue: create payment intent: need exactly one of walletId and lookUpId")
	}
	if err := checkKey(r.IdempotencyKey); err != nil {
		return nil, fmt.Errorf("accrue: create payment intent: %w", err)
	}
	attrs := struct {
		Amount         int64  `json:"amount"`
		WalletID       string `json:"walletId,omitempty"`
		LookUpID       string `json:"lookUpId,omitempty"`
		Reference      string `json:"reference,omitempty"`
		IdempotencyKey string `json:"idempotencyKey"`
	}{r.Amount, r.WalletID, r.LookUpID, r.Reference, r.IdempotencyKey}
	d, err := cl.do(ctx, call{op: "create payment intent", method: http.MethodPost, path: "/api/v1/payment-intents",
		body: reqDoc("CreatePaymentIntent", "", attrs), idem: true})
	if err != nil {
		return nil, err
	}
	return intentOf("create payment intent", d)
}

func intentOf(op string, d *document) (*PaymentIntent, error) {
	r, err := d.one("PaymentIntent")
	if err != nil {
		return nil, fmt.Errorf("accrue: %s: %w: %w", op, driver.ErrUnreachable, err)
	}
	pi, err := intentFrom(r)
	if err != nil {
		return nil, fmt.Errorf("accrue: %s: %w: %w", op, driver.ErrUnreachable, err)
	}
	if pi.PaymentID() == "" {
		for _, inc := range d.Included {
			if inc.Type == "Payment" && inc.ID != "" {
				pi.PaymentIDs = append(pi.PaymentIDs, inc.ID)
			}
		}
	}
	return pi, nil
}

func paymentOf(op string, d *document) (*Payment, error) {
	r, err := d.one("Payment")
	if err != nil {
		return nil, fmt.Errorf("accrue: %s: %w: %w", op, driver.ErrUnreachable, err)
	}
	p, err := paymentFrom(r, d)
	if err != nil {
		return nil, fmt.Errorf("accrue: %s: %w: %w", op, driver.ErrUnreachable, err)
	}
	return p, nil
}

func checkKey(k string) error {
	if k == "" || len(k) > 255 {
		return fmt.Errorf("idempotencyKey must be 1..255 characters, got %d", len(k))
	}
	return nil
}

// GetPaymentIntent returns the payment intent id.
func (cl *Client) GetPaymentIntent(ctx context.Context, id string) (*PaymentIntent, error) {
	d, err := cl.do(ctx, call{op: "get payment intent", method: http.MethodGet, path: "/api/v1/payment-intents/" + url.PathEscape(id)})
	if err != nil {
		return nil, err
	}
	return intentOf("get payment intent", d)
}

// IntentFilter selects payment intents for ListPaymentIntents.
type IntentFilter struct {
	Status string // filter[status]
	Sort   string // e.g. "-createdAt" (Accrue's default)
	Page
}

// ListPaymentIntents lists payment intents.
func (cl *Client) ListPaymentIntents(ctx context.Context, f IntentFilter) ([]PaymentIntent, ListMeta, error) {
	v := url.Values{}
	if f.Status != "" {
		v.Set("filter[status]", f.Status)
	}
	if f.Sort != "" {
		v.Set("sort", f.Sort)
	}
	v.Set("include", "payments")
	f.values(v)
	d, err := cl.do(ctx, call{op: "list payment intents", method: http.MethodGet, path: withQuery("/api/v1/payment-intents", v)})
	if err != nil {
		return nil, ListMeta{}, err
	}
	l, err := d.many("PaymentIntent")
	if err != nil {
		return nil, ListMeta{}, fmt.Errorf("accrue: list payment intents: %w: %w", driver.ErrUnreachable, err)
	}
	out := make([]PaymentIntent, 0, len(l))
	for i := range l {
		pi, err := intentFrom(&l[i])
		if err != nil {
			return nil, ListMeta{}, fmt.Errorf("accrue: list payment intents: %w: %w", driver.ErrUnreachable, err)
		}
		out = append(out, *pi)
	}
	return out, d.listMeta(), nil
}

// AuthorizeRequest is what AuthorizePaymentIntent sends (data.type
// "AuthorizePaymentIntent").
type AuthorizeRequest struct {
	Amount    int64  // cents, > 0; required by Accrue
	Reference string // merchant reference (terminald sends the payment ID); optional
	Channel   string // channel identifier, e.g. "terminald"; optional
}

// AuthorizePaymentIntent authorizes the intent id and returns the payment it was promoted
// to. It accepts the live answer (201, the PaymentIntent as data and the Payment in
// included) and the older one (the Payment as data). Accrue answers a repeated authorize
// with the existing payment; before a retry the intent is also looked up, and when it was
// already promoted its payment is returned instead of authorizing again.
func (cl *Client) AuthorizePaymentIntent(ctx context.Context, id string, r AuthorizeRequest) (*Payment, error) {
	op := "authorize payment intent"
	if r.Amount <= 0 {
		return nil, fmt.Errorf("accrue: %s: amount %d must be positive", op, r.Amount)
	}
	lookup := func(ctx context.Context) (*document, bool, error) {
		pi, err := cl.GetPaymentIntent(ctx, id)
		if err != nil {
			return nil, false, err
		}
		if pi.Status != IntentPromotedToPayment || pi.PaymentID() == "" {
			return nil, false, nil
		}
		d, err := cl.getPaymentDoc(ctx, pi.PaymentID())
		return d, err == nil, err
	}
	attrs := struct {
		Amount    int64  `json:"amount"`
		Reference string `json:"reference,omitempty"`
		Channel   string `json:"channel,omitempty"`
	}{r.Amount, r.Reference, r.Channel}
	d, err := cl.do(ctx, call{op: op, method: http.MethodPost, path: "/api/v1/payment-intents/" + url.PathEscape(id) + "/authorize",
		body: reqDoc("AuthorizePaymentIntent", "", attrs), long: true, lookup: lookup})
	if err != nil {
		return nil, err
	}
	return authorizedPayment(op, id, d)
}

// authorizedPayment finds the Payment in an authorize answer: the primary data when it is
// a Payment (older shape), else the included Payment the PaymentIntent names (live shape).
func authorizedPayment(op, intentID string, d *document) (*Payment, error) {
	r, err := d.one("")
	if err != nil {
		return nil, fmt.Errorf("accrue: %s: %w: %w", op, driver.ErrUnreachable, err)
	}
	switch {
	case strings.EqualFold(r.Type, "Payment"):
		return paymentOf(op, d)
	case strings.EqualFold(r.Type, "PaymentIntent"):
		pi, err := intentFrom(r)
		if err != nil {
			return nil, fmt.Errorf("accrue: %s: %w: %w", op, driver.ErrUnreachable, err)
		}
		var found *resource
		for i := range d.Included {
			inc := &d.Included[i]
			if !strings.EqualFold(inc.Type, "Payment") || inc.ID == "" {
				continue
			}
			if found == nil || inc.ID == pi.PaymentID() {
				found = inc
			}
		}
		if found == nil {
			return nil, fmt.Errorf("accrue: %s: %w: %w: PaymentIntent %s answered without an included Payment", op, driver.ErrUnreachable, ErrBadResponse, r.ID)
		}
		p, err := paymentFrom(found, nil)
		if err != nil {
			return nil, fmt.Errorf("accrue: %s: %w: %w", op, driver.ErrUnreachable, err)
		}
		if p.PaymentIntentID == "" {
			p.PaymentIntentID = r.ID
		}
		return p, nil
	}
	return nil, fmt.Errorf("accrue: %s: %w: %w: data type %q", op, driver.ErrUnreachable, ErrBadResponse, clip(r.Type, 40))
}

// CancelPaymentIntent cancels the intent id.
func (cl *Client) CancelPaymentIntent(ctx context.Context, id string) (*PaymentIntent, error) {
	d, err := cl.do(ctx, call{op: "cancel payment intent", method: http.MethodPost, path: "/api/v1/payment-intents/" + url.PathEscape(id) + "/cancel"})
	if err != nil {
		return nil, err
	}
	return intentOf("cancel payment intent", d)
}

// GetPayment returns the payment id with its captures and refunds included.
func (cl *Client) GetPayment(ctx context.Context, id string) (*Payment, error) {
	d, err := cl.getPaymentDoc(ctx, id)
	if err != nil {
		return nil, err
	}
	return paymentOf("get payment", d)
}

func (cl *Client) getPaymentDoc(ctx context.Context, id string) (*document, error) {
	return cl.do(ctx, call{op: "get payment", method: http.MethodGet,
		path: "/api/v1/payments/" + url.PathEscape(id) + "?include=captures%2Crefunds"})
}

// PaymentFilter selects payments for ListPayments.
type PaymentFilter struct {
	Status  string // filter[status]
	Channel string // filter[channel]
	Sort    string // e.g. "-createdAt"
	Page
}

// ListPayments lists payments.
func (cl *Client) ListPayments(ctx context.Context, f PaymentFilter) ([]Payment, ListMeta, error) {
	v := url.Values{}
	if f.Status != "" {
		v.Set("filter[status]", f.Status)
	}
	if f.Channel != "" {
		v.Set("filter[channel]", f.Channel)
	}
	if f.Sort != "" {
		v.Set("sort", f.Sort)
	}
	v.Set("include", "paymentIntent")
	f.values(v)
	d, err := cl.do(ctx, call{op: "list payments", method: http.MethodGet, path: withQuery("/api/v1/payments", v)})
	if err != nil {
		return nil, ListMeta{}, err
	}
	l, err := d.many("Payment")
	if err != nil {
		return nil, ListMeta{}, fmt.Errorf("accrue: list payments: %w: %w", driver.ErrUnreachable, err)
	}
	out := make([]Payment, 0, len(l))
	for i := range l {
		p, err := paymentFrom(&l[i], nil)
		if err != nil {
			return nil, ListMeta{}, fmt.Errorf("accrue: list payments: %w: %w", driver.ErrUnreachable, err)
		}
		out = append(out, *p)
	}
	return out, d.listMeta(), nil
}

// CapturePayment captures amount cents of payment id. Accrue takes no idempotency key
// here: before a retry the payment is looked up and, when it is already captured, returned
// as it stands. A refusal (402) wraps ErrCaptureDeclined.
func (cl *Client) CapturePayment(ctx context.Context, id string, amount int64) (*Payment, error) {
	if amount <= 0 {
		return nil, fmt.Errorf("accrue: capture payment: amount %d must be positive", amount)
	}
	lookup := func(ctx context.Context) (*document, bool, error) {
		d, err := cl.getPaymentDoc(ctx, id)
		if err != nil {
			return nil, false, err
		}
		p, err := paymentOf("get payment", d)
		if err != nil {
			return nil, false, err
		}
		return d, p.Captured() || p.Status == PaymentCanceled || p.Status == PaymentFailed, nil
	}
	attrs := struct {
		Amount int64 `json:"amount"`
	}{amount}
	d, err := cl.do(ctx, call{op: "capture payment", method: http.MethodPost, path: "/api/v1/payments/" + url.PathEscape(id) + "/capture",
		body: reqDoc("CapturePayment", "", attrs), long: true, lookup: lookup})
	if err != nil {
		return nil, err
	}
	return paymentOf("capture payment", d)
}

// IncreaseAuthorization raises the authorized amount of payment id by increase cents.
// It is not idempotent at Accrue and therefore never retried automatically after an
// answer that may have applied (only a lookup-free retry of 429/408 would be safe, and
// Accrue's document does not promise that): callers check GetPayment first.
func (cl *Client) IncreaseAuthorization(ctx context.Context, id string, increase int64) (*Payment, error) {
	if increase <= 0 {
		return nil, fmt.Errorf("accrue: increase authorization: increase %d must be positive", increase)
	}
	attrs := struct {
		Increase int64 `json:"increase"`
	}{increase}
	c := *cl
	c.cfg.MaxAttempts = 1
	d, err := c.do(ctx, call{op: "increase authorization", method: http.MethodPatch, path: "/api/v1/payments/" + url.PathEscape(id) + "/increase-authorization",
		body: reqDoc("IncreaseAuthorization", "", attrs), long: true})
	if err != nil {
		return nil, err
	}
	return paymentOf("increase authorization", d)
}

// CancelPayment cancels payment id (only in status Created or Waiting, always in full).
// Before a retry the payment is looked up; an already cancelled payment is returned.
func (cl *Client) CancelPayment(ctx context.Context, id string) (*Payment, error) {
	lookup := func(ctx context.Context) (*document, bool, error) {
		d, err := cl.getPaymentDoc(ctx, id)
		if err != nil {
			return nil, false, err
		}
		p, err := paymentOf("get payment", d)
		if err != nil {
			return nil, false, err
		}
		return d, p.Status == PaymentCanceled, nil
	}
	d, err := cl.do(ctx, call{op: "cancel payment", method: http.MethodPost, path: "/api/v1/payments/" + url.PathEscape(id) + "/cancel", lookup: lookup})
	if err != nil {
		return nil, err
	}
	return paymentOf("cancel payment", d)
}

// RefundPayment refunds amount cents of payment id. idempotencyKey is required (Accrue
// keeps it 48 hours); repeating the call with the same key and amount gives the same
// refund. It returns the refund and the payment.
func (cl *Client) RefundPayment(ctx context.Context, id string, amount int64, idempotencyKey string) (*Refund, *Payment, error) {
	if amount <= 0 {
		return nil, nil, fmt.Errorf("accrue: refund payment: amount %d must be positive", amount)
	}
	if err := checkKey(idempotencyKey); err != nil {
		return nil, nil, fmt.Errorf("accrue: refund payment: %w", err)
	}
	attrs := struct {
		Amount         int64  `json:"amount"`
		IdempotencyKey string `json:"idempotencyKey"`
	}{amount, idempotencyKey}
	d, err := cl.do(ctx, call{op: "refund payment", method: http.MethodPost, path: "/api/v1/payments/" + url.PathEscape(id) + "/refund",
		body: reqDoc("RefundPayment", "", attrs), long: true, idem: true})
	if err != nil {
		return nil, nil, err
	}
	p, err := paymentOf("refund payment", d)
	if err != nil {
		return nil, nil, err
	}
	// The new refund is the last one named in relationships that is also included.
	for i := len(p.RefundIDs) - 1; i >= 0; i-- {
		for _, r := range p.Refunds {
			if r.ID == p.RefundIDs[i] {
				return &r, p, nil
			}
		}
	}
	if len(p.Refunds) == 1 {
		return &p.Refunds[0], p, nil
	}
	return nil, p, fmt.Errorf("accrue: refund payment: %w: %w: no refund in the answer", driver.ErrUnreachable, ErrBadResponse)
}

// WebhookRequest is what CreateWebhook and UpdateWebhook send.
type WebhookRequest struct {
	Name    string
	URL     string
	Enabled bool
	Topics  []string // e.g. TopicPaymentUpdated
}

func (r WebhookRequest) attrs() webhookAttrs {
	t := r.Topics
	if t == nil {
		t = []string{}
	}
	return webhookAttrs{Enabled: r.Enabled, Name: r.Name, URL: r.URL, Topics: t}
}

// CreateWebhook registers a webhook endpoint. The answer carries its Secret, shown only
// this once.
func (cl *Client) CreateWebhook(ctx context.Context, r WebhookRequest) (*Webhook, error) {
	if _, err := url.ParseRequestURI(r.URL); err != nil || r.URL == "" {
		return nil, fmt.Errorf("accrue: create webhook: url %q is not an absolute URL", r.URL)
	}
	d, err := cl.do(ctx, call{op: "create webhook", method: http.MethodPost, path: "/api/v1/webhooks", body: reqDoc("Webhook", "", r.attrs())})
	if err != nil {
		return nil, err
	}
	return webhookOf("create webhook", d)
}

func webhookOf(op string, d *document) (*Webhook, error) {
	r, err := d.one("Webhook")
	if err != nil {
		return nil, fmt.Errorf("accrue: %s: %w: %w", op, driver.ErrUnreachable, err)
	}
	return webhookFrom(r)
}

// GetWebhook returns the webhook id.
func (cl *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	d, err := cl.do(ctx, call{op: "get webhook", method: http.MethodGet, path: "/api/v1/webhooks/" + url.PathEscape(id)})
	if err != nil {
		return nil, err
	}
	return webhookOf("get webhook", d)
}

// UpdateWebhook changes the webhook id.
func (cl *Client) UpdateWebhook(ctx context.Context, id string, r WebhookRequest) (*Webhook, error) {
	d, err := cl.do(ctx, call{op: "update webhook", method: http.MethodPatch, path: "/api/v1/webhooks/" + url.PathEscape(id), body: reqDoc("Webhook", id, r.attrs())})
	if err != nil {
		return nil, err
	}
	return webhookOf("update webhook", d)
}

// DeleteWebhook removes the webhook id.
func (cl *Client) DeleteWebhook(ctx context.Context, id string) error {
	_, err := cl.do(ctx, call{op: "delete webhook", method: http.MethodDelete, path: "/api/v1/webhooks/" + url.PathEscape(id)})
	return err
}

// Ping makes a cheap authenticated call (the first page of one webhook).
func (cl *Client) Ping(ctx context.Context) error {
	_, err := cl.do(ctx, call{op: "ping", method: http.MethodGet, path: "/api/v1/webhooks?page%5Blimit%5D=1"})
	return err
}
