package acountpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/terminald/terminald/driver"
)

// ErrBadResponse is wrapped by errors about answers that cannot be read: bodies that are
// not the expected JSON, or larger than MaxResponseBytes.
var ErrBadResponse = errors.New("bad response")

// APIError is an error answer (HTTP 4xx/5xx) of the AcountPay API.
type APIError struct {
	Op      string // the endpoint, e.g. "POST /v1/partner/payments"
	Status  int    // HTTP status
	Code    string // machine-readable code when given, e.g. "invalid_client"
	Message string // human-readable message when given (secrets redacted)
	body    []byte // the answer's body, for callers that read a 409's details
}

// Error describes e with its endpoint, status, code and message.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "acountpay: %s: HTTP %d", e.Op, e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

// CashierMessage returns a short text for the cashier's screen.
func (e *APIError) CashierMessage() string {
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || e.Code == "invalid_client":
		return "AcountPay login failed"
	case e.Status == http.StatusTooManyRequests:
		return "AcountPay busy, try again"
	case e.Status >= 500:
		return "AcountPay error, try again"
	case e.Status == http.StatusNotFound:
		return "Payment not found"
	case e.Status == http.StatusConflict:
		return "Reference already used"
	}
	m := e.Message
	if m == "" {
		m = e.Code
	}
	if m == "" {
		return fmt.Sprintf("AcountPay refused (%d)", e.Status)
	}
	if r := []rune(m); len(r) > 40 {
		m = string(r[:39]) + "…"
	}
	return m
}

// request is one API call.
type request struct {
	method string
	path   string
	query  url.Values
	body   any        // JSON body
	form   url.Values // form body (token)
	auth   bool       // send the variant's credentials
	retry  bool       // safe to repeat on 5xx and transport errors
}

func (r *request) op() string { return r.method + " " + r.path }

// client is the HTTP side of a Provider: auth, retries, limits, error mapping.
type client struct {
	cfg   Config
	http  *http.Client
	sleep func(ctx context.Context, d time.Duration) error

	mu         sync.Mutex // guards token, tokenUntil; held during a token fetch
	token      string
	tokenUntil time.Time
}

// newClient validates cfg (MerchantClientID only when needMerchant) and returns the HTTP
// side and the logger (logger may be nil) of a Provider or Partner.
func newClient(cfg Config, needMerchant bool, logger *slog.Logger) (*client, *slog.Logger, error) {
	cfg, err := cfg.withDefaults(needMerchant)
	if err != nil {
		return nil, nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hc := *cfg.HTTPClient
	// Never follow redirects: the partner secret header would go along to any host.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client{cfg: cfg, http: &hc, sleep: sleepCtx}, logger.With("provider", "acountpay"), nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff returns the wait before attempt n+1 (n ≥ 1).
func (c *client) backoff(n int) time.Duration {
	d := c.cfg.BaseDelay
	for i := 1; i < n && d < c.cfg.MaxDelay; i++ {
		d *= 2
	}
	return min(d, c.cfg.MaxDelay)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date. ok is false when absent
// or unreadable.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > 86400 {
			s = 86400
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// redact removes secrets from text meant for errors and logs.
func (c *client) redact(s string) string {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	for _, secret := range []string{c.cfg.ClientSecret, c.cfg.WebhookSecret, tok} {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// do performs r with retries and returns the body of a 2xx answer.
func (c *client) do(ctx context.Context, r *request) ([]byte, error) {
	refreshed := false
	for attempt := 1; ; attempt++ {
		status, hdr, body, err := c.once(ctx, r)
		if err != nil {
			var ae *authError
			if errors.As(err, &ae) {
				return nil, ae.err
			}
			if errors.Is(err, ErrBadResponse) {
				return nil, err
			}
			if ctx.Err() != nil || !r.retry || attempt >= c.cfg.MaxAttempts {
				return nil, fmt.Errorf("acountpay: %s: %w: %s", r.op(), driver.ErrUnreachable, c.redact(err.Error()))
			}
			if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
				return nil, fmt.Errorf("acountpay: %s: %w: %v", r.op(), driver.ErrUnreachable, err)
			}
			continue
		}
		if status >= 200 && status < 300 {
			return body, nil
		}
		apiErr := c.apiError(r.op(), status, body)
		switch {
		case status == http.StatusUnauthorized && r.auth && c.cfg.Variant == VariantOAuth && !refreshed:
			refreshed = true
			c.dropToken()
			attempt-- // the retry after a refresh does not count
			continue
		case status == http.StatusTooManyRequests:
			wait, ok := retryAfter(hdr.Get("Retry-After"), c.cfg.Now())
			if !ok {
				wait = c.backoff(attempt)
			}
			if attempt >= c.cfg.MaxAttempts || wait > c.cfg.MaxRetryAfter {
				// The engine waits the rest before it asks about this payment again.
				return nil, &driver.RetryAfterError{After: wait, Err: fmt.Errorf("%w (%w)", apiErr, driver.ErrUnreachable)}
			}
			if err := c.sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("%w (%w: %v)", apiErr, driver.ErrUnreachable, err)
			}
			continue
		case status >= 500:
			if !r.retry || attempt >= c.cfg.MaxAttempts {
				return nil, fmt.Errorf("%w (%w)", apiErr, driver.ErrUnreachable)
			}
			if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
				return nil, fmt.Errorf("%w (%w: %v)", apiErr, driver.ErrUnreachable, err)
			}
			continue
		}
		return nil, apiErr
	}
}

// once sends r once with its own deadline and reads at most MaxResponseBytes.
func (c *client) once(ctx context.Context, r *request) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u := c.cfg.BaseURL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	var ctype string
	switch {
	case r.form != nil:
		body, ctype = strings.NewReader(r.form.Encode()), "application/x-www-form-urlencoded"
	case r.body != nil:
		b, err := json.Marshal(r.body)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("acountpay: %s: encode body: %w", r.op(), err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return 0, nil, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "terminald-acountpay")
	if r.auth {
		if err := c.authorize(ctx, req); err != nil {
			return 0, nil, nil, err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read body: %w", err)
	}
	if len(b) > MaxResponseBytes {
		return 0, nil, nil, fmt.Errorf("acountpay: %s: %w: body larger than %d bytes", r.op(), ErrBadResponse, MaxResponseBytes)
	}
	return resp.StatusCode, resp.Header, b, nil
}

// authError marks a failed token fetch inside once so do does not retry it again.
type authError struct{ err error }

func (e *authError) Error() string { return e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

// authorize adds the variant's credentials to req.
func (c *client) authorize(ctx context.Context, req *http.Request) error {
	if c.cfg.Variant == VariantPartner {
		req.Header.Set("X-Partner-Client-Id", c.cfg.ClientID)
		req.Header.Set("X-Partner-Client-Secret", c.cfg.ClientSecret)
		return nil
	}
	tok, err := c.accessToken(ctx)
	if err != nil {
		return &authError{err}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if c.cfg.MerchantClientID != "" {
		req.Header.Set("X-Merchant-Client-Id", c.cfg.MerchantClientID)
	}
	return nil
}

// tokenResponse is the answer of POST /oauth/token.
type tokenResponse struct {
	AccessToken string      `json:"access_token"`
	TokenType   string      `json:"token_type"`
	ExpiresIn   json.Number `json:"expires_in"`
}

// accessToken returns a cached token or fetches a new one.
func (c *client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.token != "" && now.Before(c.tokenUntil) {
		return c.token, nil
	}
	r := &request{method: http.MethodPost, path: "/oauth/token", retry: true, form: url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
	}}
	c.mu.Unlock()
	body, err := c.do(ctx, r)
	c.mu.Lock()
	if err != nil {
		return "", err
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", fmt.Errorf("acountpay: %s: %w: %v", r.op(), ErrBadResponse, err)
	}
	if tr.AccessToken == "" {
		return "", fmt.Errorf("acountpay: %s: %w: no access_token", r.op(), ErrBadResponse)
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return "", fmt.Errorf("acountpay: %s: %w: token_type %q is not Bearer", r.op(), ErrBadResponse, tr.TokenType)
	}
	life := time.Hour
	if tr.ExpiresIn != "" {
		s, err := strconv.ParseInt(tr.ExpiresIn.String(), 10, 64)
		if err != nil || s <= 0 || s > 366*86400 {
			return "", fmt.Errorf("acountpay: %s: %w: expires_in %q", r.op(), ErrBadResponse, tr.ExpiresIn)
		}
		life = time.Duration(s) * time.Second
	}
	if life > 300*time.Second {
		life -= 300 * time.Second
	} else {
		life /= 2
	}
	c.token, c.tokenUntil = tr.AccessToken, now.Add(life)
	return c.token, nil
}

// dropToken forgets the cached token.
func (c *client) dropToken() {
	c.mu.Lock()
	c.token, c.tokenUntil = "", time.Time{}
	c.mu.Unlock()
}

// apiError builds an *APIError from an error answer.
func (c *client) apiError(op string, status int, body []byte) *APIError {
	e := &APIError{Op: op, Status: status, body: body}
	var eb struct {
		Message          any             `json:"message"`
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		Errors           []any           `json:"errors"`
		Code             any             `json:"code"`
	}
	if json.Unmarshal(body, &eb) == nil {
		var msgs []string
		if eb.ErrorDescription != "" {
			msgs = append(msgs, eb.ErrorDescription)
		}
		switch m := eb.Message.(type) {
		case string:
			msgs = append(msgs, m)
		case []any: // some frameworks answer a list of messages
			for _, x := range m {
				if s, ok := x.(string); ok {
					msgs = append(msgs, s)
				}
			}
		}
		if len(eb.Error) > 0 {
			var s string
			var o struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}
			if json.Unmarshal(eb.Error, &s) == nil {
				if isCode(s) {
					e.Code = s
				} else {
					msgs = append(msgs, s)
				}
			} else if json.Unmarshal(eb.Error, &o) == nil {
				e.Code = o.Code
				if o.Message != "" {
					msgs = append(msgs, o.Message)
				}
			}
		}
		for _, x := range eb.Errors {
			switch v := x.(type) {
			case string:
				msgs = append(msgs, v)
			case map[string]any:
				m, _ := v["message"].(string)
				if f, _ := v["field"].(string); f != "" {
					m = f + ": " + m
				}
				if m != "" {
					msgs = append(msgs, m)
				}
			}
		}
		if e.Code == "" {
			switch v := eb.Code.(type) {
			case string:
				e.Code = v
			case float64:
				e.Code = strconv.Itoa(int(v))
			}
		}
		e.Message = strings.Join(msgs, "; ")
	} else if len(body) > 0 {
		e.Message = printable(string(body), 200)
	}
	e.Code = c.redact(printable(e.Code, 64))
	e.Message = c.redact(printable(e.Message, 300))
	return e
}

// isCode reports whether s looks like a snake_case error code.
func isCode(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '.' || r == '-' || unicode.IsLower(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// printable keeps at most n runes of s, replacing control characters.
func printable(s string, n int) string {
	var b strings.Builder
	i := 0
	for _, r := range s {
		if i >= n {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(r) {
			r = ' '
		}
		b.WriteRune(r)
		i++
	}
	return strings.TrimSpace(b.String())
}
