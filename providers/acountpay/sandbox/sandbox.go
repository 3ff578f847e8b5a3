// Package sandbox is an in-memory AcountPay Partner API for tests, the simulator and
// technicians (terminald sandbox --provider acountpay). It plays both auth variants of
// the seeds and, with Options.Shape, either the live service's answers (the vocabulary and
// webhook body of AcountPay's own shop plugin; the default) or the seeds' answers. It does
// not import the client package, so the client's tests can use it.
package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/terminald/terminald/money"
)

// Demo credentials the Sandbox knows, so that a simulator works with no configuration.
// DemoMerchantClientID is active from the start; merchants onboarded through
// POST /v1/partner/merchants become active when their onboarding page is opened.
const (
	DemoClientID         = "terminald-demo-partner"
	DemoClientSecret     = "demo-partner-secret"
	DemoMerchantClientID = "6f1c2a7e-3b7d-4f0a-9a57-6a1f0d5d2c11"
	DemoWebhookSecret    = "whsec_demo_terminald"
)

// Options configures a Sandbox. Zero fields take the documented defaults.
type Options struct {
	Now             func() time.Time // clock (default time.Now)
	TokenLifetime   time.Duration    // access token lifetime (default 1 h, expires_in 3600)
	PaymentExpiry   time.Duration    // pending payments expire after this (default 30 min)
	RateLimit       int              // requests per client per RateWindow (default 600)
	RateWindow      time.Duration    // rate-limit window (default 1 min)
	WebhookSecret   string           // signs webhooks (default DemoWebhookSecret)
	DeliverWebhooks bool             // POST signed (scheme A) events to each payment's webhookUrl
	WebhookClient   *http.Client     // for deliveries (default a client with a 5 s timeout)
	Logger          *slog.Logger     // may be nil
	// Shape is which answers the sandbox plays: ShapeLive (default) speaks the live
	// service's words as AcountPay's own shop plugin reads them (status "success" with
	// internalStatus "settled", "rejected", "failure_expired", "canceled"; string payment
	// ids; flat webhooks signed "sha256=<hex of the body>"); ShapeSeed speaks the seeds'
	// (completed, failed, expired; numeric ids; nested webhooks signed with a timestamp).
	Shape string
}

// Answer shapes for Options.Shape.
const (
	ShapeLive = "live"
	ShapeSeed = "seed"
)

// Fault makes the Sandbox misbehave for the next Count API requests (paths under /oauth/
// and /v1/) whose path starts with Path.
type Fault struct {
	Path       string        // path prefix; "" matches every API request
	Method     string        // only this method; "" matches all
	Count      int           // requests affected (0 means 1)
	Delay      time.Duration // wait this long first (ends early when the client gives up)
	Status     int           // answer with this HTTP status and a JSON error body
	RetryAfter string        // Retry-After header sent with Status
	Garbage    bool          // answer 200 with a body that is not JSON
	Oversized  int           // answer 200 with a JSON body of this many bytes
	AfterServe bool          // serve the request first (discarding its answer), then misbehave:
	// the call took effect but its answer is lost
}

// discardWriter is a ResponseWriter that throws the answer away.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// Payment is a payment held by the Sandbox.
type Payment struct {
	ID               int64
	MerchantClientID string
	ReferenceNumber  string
	Description      string
	Minor            int64 // amount in minor units
	Currency         string
	StoreID          string
	RegisterID       string
	WebhookURL       string
	Status           string // pending, completed, failed, expired, cancelled, refunded
	Word             string // a status word set through the control endpoint, sent as is
	PaymentURL       string // absolute URL of the bank page
	CreatedAt        time.Time
	PaidAt           time.Time
}

type sbToken struct {
	client  string
	expires time.Time
}

type sbRate struct {
	start time.Time
	n     int
}

// Sandbox is an in-memory AcountPay Partner API for tests and the simulator. It serves
// both variants at once (Bearer token + X-Merchant-Client-Id, or partner headers +
// merchantClientId), the bank page at /pay/{token} (opening it with GET pays the
// payment), the QR image GET /v1/partner/payments/{id}/qr (a PNG of the payment URL,
// ?size=64..1024), merchant onboarding POST /v1/partner/merchants {companyName,
// contactEmail} (201 with merchantClientId, status "pending_onboarding" and onboardingUrl;
// the merchant takes payments, else 403 merchant_not_active, once its onboarding page
// GET /onboarding/{token} was opened), and control endpoints:
//
//	POST /sandbox/payments/{id}/fail     make a pending payment fail
//	POST /sandbox/payments/{id}/expire   expire a pending payment
//	POST /sandbox/payments/{id}/pay      pay it (like opening the bank page)
//	POST /sandbox/payments/{id}/cancel   the customer cancels at the bank
//	POST /sandbox/payments/{id}/refund   refund a completed payment (back office)
//	POST /sandbox/payments/{id}/status   {"status":"word"}: answer with any status word
//	POST /sandbox/faults                 {"path","method","count","status","retryAfter","delay":"2s",
//	                                      "garbage","oversized","afterServe"}
//
// Choices: a duplicate referenceNumber for the same merchant is refused with 409
// {"error":"duplicate_reference","paymentId":N}; the create answer carries qrCodeUrl to
// Bearer clients and paymentUrl to partner-header clients; status answers carry both URLs
// and expiresAt; lists are newest first (limit default 20, at most 100); validation
// errors are 400 with {"error":"validation_error","message":...,"errors":[{field,message}]}.
type Sandbox struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	mu         sync.Mutex
	clients    map[string]string    // client id → secret
	merchants  map[string]string    // active merchant id → client id
	onboarding map[string]*Merchant // merchants created through the API, by id
	byOnboard  map[string]*Merchant // the same, by onboarding page token
	tokens     map[string]sbToken
	rate       map[string]*sbRate
	payments   []*Payment // creation order
	byToken    map[string]*Payment
	nextID     int64
	faults     []Fault
	issued     int
	creates    int
	wg         sync.WaitGroup
}

// New returns a Sandbox knowing the demo partner and merchant.
func New(opts Options) *Sandbox {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	if opts.PaymentExpiry <= 0 {
		opts.PaymentExpiry = 30 * time.Minute
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 600
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = time.Minute
	}
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = DemoWebhookSecret
	}
	if opts.WebhookClient == nil {
		opts.WebhookClient = &http.Client{Timeout: 5 * time.Second}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Shape != ShapeSeed {
		opts.Shape = ShapeLive
	}
	s := &Sandbox{
		opts:       opts,
		log:        opts.Logger.With("part", "acountpay-sandbox"),
		clients:    map[string]string{DemoClientID: DemoClientSecret},
		merchants:  map[string]string{DemoMerchantClientID: DemoClientID},
		onboarding: map[string]*Merchant{},
		byOnboard:  map[string]*Merchant{},
		tokens:     map[string]sbToken{},
		rate:       map[string]*sbRate{},
		byToken:    map[string]*Payment{},
		nextID:     1000,
	}
	m := http.NewServeMux()
	m.HandleFunc("POST /oauth/token", s.handleToken)
	m.HandleFunc("POST /v1/partner/payments", s.handleCreate)
	m.HandleFunc("GET /v1/partner/payments", s.handleList)
	m.HandleFunc("GET /v1/partner/payments/{id}", s.handleGet)
	m.HandleFunc("GET /v1/partner/payments/{id}/status", s.handleGet)
	m.HandleFunc("GET /v1/partner/payments/{id}/qr", s.handleQR)
	m.HandleFunc("POST /v1/partner/merchants", s.handleCreateMerchant)
	m.HandleFunc("GET /pay/{token}", s.handlePay)
	m.HandleFunc("GET /onboarding/{token}", s.handleOnboard)
	m.HandleFunc("POST /sandbox/payments/{id}/{action}", s.handleControl)
	m.HandleFunc("POST /sandbox/faults", s.handleFaults)
	s.mux = m
	return s
}

// ServeHTTP serves the API, the bank page and the control endpoints.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/oauth/") || strings.HasPrefix(r.URL.Path, "/v1/") {
		if s.fault(w, r) {
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// InjectFault queues f.
func (s *Sandbox) InjectFault(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// RevokeTokens invalidates every issued access token (as a key rotation would).
func (s *Sandbox) RevokeTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

// TokensIssued returns how many access tokens were issued.
func (s *Sandbox) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// CreateCalls returns how many create calls reached the handler (accepted or not).
func (s *Sandbox) CreateCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// Payments returns copies of all payments, oldest first (expiry applied).
func (s *Sandbox) Payments() []Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Payment, 0, len(s.payments))
	for _, p := range s.payments {
		s.refresh(p)
		out = append(out, *p)
	}
	return out
}

// Fail makes the pending payment id fail.
func (s *Sandbox) Fail(id int64) error { return s.setStatus(id, "failed") }

// Expire expires the pending payment id.
func (s *Sandbox) Expire(id int64) error { return s.setStatus(id, "expired") }

// Pay pays the pending payment id, as opening its bank page does.
func (s *Sandbox) Pay(id int64) error { return s.setStatus(id, "completed") }

// Cancel cancels the pending payment id, as a customer stopping at the bank does.
func (s *Sandbox) Cancel(id int64) error { return s.setStatus(id, "cancelled") }

// Refund refunds the completed payment id (a back-office refund at AcountPay).
func (s *Sandbox) Refund(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(id)
	if p == nil {
		return errSandboxNotFound
	}
	if p.Status != "completed" {
		return fmt.Errorf("payment %d is %s, not completed", id, p.Status)
	}
	s.transition(p, "refunded")
	return nil
}

// SetWord makes payment id answer with the status word (any word, also one no client
// knows) from now on, and sends its webhook. The payment's own state does not change.
func (s *Sandbox) SetWord(id int64, word string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(id)
	if p == nil {
		return errSandboxNotFound
	}
	p.Word = word
	s.transition(p, p.Status)
	return nil
}

// Wait waits for webhook deliveries under way.
func (s *Sandbox) Wait() { s.wg.Wait() }

var errSandboxNotFound = errors.New("payment not found")

func (s *Sandbox) setStatus(id int64, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(id)
	if p == nil {
		return errSandboxNotFound
	}
	s.refresh(p)
	if p.Status != "pending" {
		return fmt.Errorf("payment %d is %s", id, p.Status)
	}
	s.transition(p, status)
	return nil
}

func (s *Sandbox) find(id int64) *Payment {
	for _, p := range s.payments {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// refresh expires p when its time is up. Caller holds mu.
func (s *Sandbox) refresh(p *Payment) {
	if p.Status == "pending" && !s.opts.Now().Before(p.CreatedAt.Add(s.opts.PaymentExpiry)) {
		s.transition(p, "expired")
	}
}

// transition changes p's status and sends its webhook. Caller holds mu.
func (s *Sandbox) transition(p *Payment, status string) {
	p.Status = status
	if status == "completed" {
		p.PaidAt = s.opts.Now()
	}
	s.log.Info("payment", "id", p.ID, "reference", p.ReferenceNumber, "status", status)
	if !s.opts.DeliverWebhooks || p.WebhookURL == "" {
		return
	}
	status, internal := s.words(p)
	now := s.opts.Now()
	var body []byte
	hdr := http.Header{}
	if s.opts.Shape == ShapeLive {
		ev := map[string]any{
			"eventId":         fmt.Sprintf("evt_%d_%s", p.ID, status),
			"event":           "payment.status_changed",
			"referenceNumber": p.ReferenceNumber,
			"paymentId":       strconv.FormatInt(p.ID, 10),
			"status":          status,
			"amount":          json.Number(money.FormatDecimal(p.Minor, exponent(p.Currency))),
			"currency":        p.Currency,
		}
		if internal != "" {
			ev["internalStatus"] = internal
		}
		body, _ = json.Marshal(ev)
		m := hmac.New(sha256.New, []byte(s.opts.WebhookSecret))
		m.Write(body)
		hdr.Set("X-AcountPay-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	} else {
		data := map[string]any{
			"paymentId":       p.ID,
			"status":          status,
			"amount":          json.Number(money.FormatDecimal(p.Minor, exponent(p.Currency))),
			"currency":        p.Currency,
			"referenceNumber": p.ReferenceNumber,
		}
		if !p.PaidAt.IsZero() {
			data["paidAt"] = p.PaidAt.UTC().Format(time.RFC3339)
		}
		body, _ = json.Marshal(map[string]any{
			"eventId":   fmt.Sprintf("evt_%d_%s", p.ID, status),
			"event":     "payment." + status,
			"timestamp": now.UTC().Format(time.RFC3339),
			"data":      data,
		})
		ts := strconv.FormatInt(now.Unix(), 10)
		m := hmac.New(sha256.New, []byte(s.opts.WebhookSecret))
		m.Write([]byte(ts + "."))
		m.Write(body)
		hdr.Set("X-AcountPay-Timestamp", ts)
		hdr.Set("X-AcountPay-Signature", hex.EncodeToString(m.Sum(nil)))
	}
	target := p.WebhookURL
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header = hdr
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.opts.WebhookClient.Do(req)
		if err != nil {
			s.log.Warn("webhook delivery failed", "err", err)
			return
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
	}()
}

// words returns the status and internalStatus p is answered with in the sandbox's shape.
// Caller holds mu.
func (s *Sandbox) words(p *Payment) (status, internal string) {
	if p.Word != "" {
		return p.Word, ""
	}
	if s.opts.Shape == ShapeSeed {
		switch p.Status {
		case "cancelled":
			return "failed", ""
		}
		return p.Status, ""
	}
	switch p.Status {
	case "completed":
		return "success", "settled"
	case "failed":
		return "rejected", ""
	case "expired":
		return "failure_expired", ""
	case "cancelled":
		return "canceled", ""
	}
	return p.Status, ""
}

// wireID is p's id as answered: a string in the live shape, a number in the seed shape.
func (s *Sandbox) wireID(id int64) any {
	if s.opts.Shape == ShapeLive {
		return strconv.FormatInt(id, 10)
	}
	return id
}

func exponent(code string) int {
	if c, err := money.Lookup(code); err == nil {
		return c.Exponent
	}
	return 2
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func sbError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": code, "message": msg})
}

// fault applies the first matching queued fault; it reports whether it answered.
func (s *Sandbox) fault(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	var f *Fault
	for i := range s.faults {
		if strings.HasPrefix(r.URL.Path, s.faults[i].Path) && (s.faults[i].Method == "" || s.faults[i].Method == r.Method) {
			c := s.faults[i]
			f = &c
			s.faults[i].Count--
			if s.faults[i].Count <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			break
		}
	}
	s.mu.Unlock()
	if f == nil {
		return false
	}
	if f.AfterServe {
		s.mux.ServeHTTP(&discardWriter{h: http.Header{}}, r)
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	switch {
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		code := "internal_error"
		if f.Status == http.StatusTooManyRequests {
			code = "rate_limit_exceeded"
		}
		sbError(w, f.Status, code, "injected fault")
	case f.Garbage:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "<html>502 Bad Gateway</html>{not json")
	case f.Oversized > 0:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"pad":"`+strings.Repeat("x", max(f.Oversized-10, 0))+`"}`)
	case f.AfterServe:
		// the answer is lost: the client sees the connection close
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		sbError(w, http.StatusBadGateway, "bad_gateway", "answer lost")
	default:
		return false // a delay alone: serve normally afterwards
	}
	return true
}

// limited reports whether client is over its rate limit, answering 429 if so.
func (s *Sandbox) limited(w http.ResponseWriter, client string) bool {
	now := s.opts.Now()
	s.mu.Lock()
	rw := s.rate[client]
	if rw == nil || !now.Before(rw.start.Add(s.opts.RateWindow)) {
		rw = &sbRate{start: now}
		s.rate[client] = rw
	}
	rw.n++
	over := rw.n > s.opts.RateLimit
	wait := rw.start.Add(s.opts.RateWindow).Sub(now)
	s.mu.Unlock()
	if !over {
		return false
	}
	secs := max(int64((wait+time.Second-1)/time.Second), 1)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "rate_limit_exceeded", "error_description": "Too many requests"})
	return true
}

func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "Content-Type must be application/x-www-form-urlencoded"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "unreadable form body"})
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Invalid grant type"})
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok && id == "" {
		id, secret = u, p
	}
	if !s.clientOK(id, secret) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Invalid credentials"})
		return
	}
	if s.limited(w, id) {
		return
	}
	var b [24]byte
	rand.Read(b[:])
	tok := "sbx_" + hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = sbToken{client: id, expires: s.opts.Now().Add(s.opts.TokenLifetime)}
	s.issued++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int64(s.opts.TokenLifetime / time.Second),
		"scope":        "payments:create payments:read",
	})
}

func (s *Sandbox) clientOK(id, secret string) bool {
	s.mu.Lock()
	want, ok := s.clients[id]
	s.mu.Unlock()
	return ok && subtle.ConstantTimeCompare([]byte(want), []byte(secret)) == 1
}

// caller is an authenticated API caller.
type caller struct {
	client   string
	merchant string // from X-Merchant-Client-Id (Bearer variant), "" otherwise
	bearer   bool
}

// authenticate checks either variant's credentials and the rate limit.
func (s *Sandbox) authenticate(w http.ResponseWriter, r *http.Request) (caller, bool) {
	return s.authenticateAs(w, r, true)
}

// authenticateAs checks credentials; a Bearer caller needs X-Merchant-Client-Id only
// when needMerchant (partner-level calls such as onboarding do not).
func (s *Sandbox) authenticateAs(w http.ResponseWriter, r *http.Request, needMerchant bool) (caller, bool) {
	var c caller
	if a := r.Header.Get("Authorization"); a != "" {
		tok, ok := strings.CutPrefix(a, "Bearer ")
		s.mu.Lock()
		t, known := s.tokens[tok]
		s.mu.Unlock()
		if !ok || !known || !s.opts.Now().Before(t.expires) {
			sbError(w, http.StatusUnauthorized, "invalid_token", "Access token is invalid or expired")
			return c, false
		}
		c = caller{client: t.client, bearer: true, merchant: r.Header.Get("X-Merchant-Client-Id")}
		if !needMerchant {
			return c, !s.limited(w, c.client)
		}
		if c.merchant == "" {
			sbError(w, http.StatusBadRequest, "invalid_request", "X-Merchant-Client-Id header is required")
			return c, false
		}
		if !s.merchantOK(c.client, c.merchant) {
			s.merchantRefused(w, c.client, c.merchant)
			return c, false
		}
	} else if id := r.Header.Get("X-Partner-Client-Id"); id != "" {
		if !s.clientOK(id, r.Header.Get("X-Partner-Client-Secret")) {
			sbError(w, http.StatusUnauthorized, "invalid_client", "Invalid partner credentials")
			return c, false
		}
		c = caller{client: id}
	} else {
		sbError(w, http.StatusUnauthorized, "unauthorized", "Missing credentials")
		return c, false
	}
	return c, !s.limited(w, c.client)
}

// merchantRefused answers 403 for a merchant that is not the partner's or not active yet.
func (s *Sandbox) merchantRefused(w http.ResponseWriter, client, merchant string) {
	s.mu.Lock()
	m := s.onboarding[merchant]
	s.mu.Unlock()
	if m != nil && m.PartnerClientID == client {
		sbError(w, http.StatusForbidden, "merchant_not_active", "Merchant has not completed onboarding")
		return
	}
	sbError(w, http.StatusForbidden, "unknown_merchant", "Merchant not found for this partner")
}

func (s *Sandbox) merchantOK(client, merchant string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.merchants[merchant] == client && client != ""
}

// merchantFor resolves the merchant of a request: the header (Bearer) or given (partner).
func (s *Sandbox) merchantFor(w http.ResponseWriter, c caller, given string) (string, bool) {
	switch {
	case c.bearer && given != "" && given != c.merchant:
		sbError(w, http.StatusBadRequest, "invalid_request", "merchantClientId does not match X-Merchant-Client-Id")
		return "", false
	case c.bearer:
		return c.merchant, true
	case given == "":
		validation(w, "merchantClientId", "merchantClientId is required")
		return "", false
	case !s.merchantOK(c.client, given):
		s.merchantRefused(w, c.client, given)
		return "", false
	}
	return given, true
}

func validation(w http.ResponseWriter, field, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"error":   "validation_error",
		"message": msg,
		"errors":  []map[string]string{{"field": field, "message": msg}},
	})
}

func (s *Sandbox) handleCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	s.creates++
	s.mu.Unlock()
	var in struct {
		MerchantClientID string          `json:"merchantClientId"`
		Amount           json.RawMessage `json:"amount"`
		ReferenceNumber  string          `json:"referenceNumber"`
		Description      string          `json:"description"`
		Currency         string          `json:"currency"`
		WebhookURL       string          `json:"webhookUrl"`
		StoreID          string          `json:"storeId"`
		RegisterID       string          `json:"registerId"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		sbError(w, http.StatusBadRequest, "invalid_request", "Body is not a JSON object")
		return
	}
	merchant, ok := s.merchantFor(w, c, in.MerchantClientID)
	if !ok {
		return
	}
	if in.Currency == "" {
		in.Currency = "DKK"
	}
	cur, err := money.Lookup(in.Currency)
	if err != nil || cur.Code != in.Currency {
		validation(w, "currency", "Unsupported currency")
		return
	}
	raw := strings.TrimSpace(string(in.Amount))
	if raw == "" || raw == "null" {
		validation(w, "amount", "amount is required")
		return
	}
	if !strings.ContainsAny(raw[:1], "0123456789-") {
		validation(w, "amount", "amount must be a number")
		return
	}
	minor, err := money.ParseDecimal(raw, cur.Exponent)
	if err != nil && strings.HasPrefix(raw, "-") {
		minor, err = 0, nil // negative: reported as below the minimum
	}
	if err != nil {
		validation(w, "amount", fmt.Sprintf("amount must be a plain decimal with at most %d decimals", cur.Exponent))
		return
	}
	if minor < 1 {
		validation(w, "amount", "amount must be at least "+money.FormatDecimal(1, cur.Exponent))
		return
	}
	if strings.TrimSpace(in.ReferenceNumber) == "" {
		validation(w, "referenceNumber", "referenceNumber is required")
		return
	}
	if len(in.ReferenceNumber) > 255 {
		validation(w, "referenceNumber", "referenceNumber is longer than 255 characters")
		return
	}
	if in.WebhookURL != "" {
		if u, err := url.Parse(in.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			validation(w, "webhookUrl", "webhookUrl must be an absolute http(s) URL")
			return
		}
	}
	var b [16]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	s.mu.Lock()
	for _, p := range s.payments {
		if p.MerchantClientID == merchant && p.ReferenceNumber == in.ReferenceNumber {
			id := p.ID
			s.mu.Unlock()
			writeJSON(w, http.StatusConflict, map[string]any{
				"error":     "duplicate_reference",
				"message":   "A payment with this referenceNumber already exists",
				"paymentId": s.wireID(id),
			})
			return
		}
	}
	s.nextID++
	p := &Payment{
		ID: s.nextID, MerchantClientID: merchant, ReferenceNumber: in.ReferenceNumber,
		Description: in.Description, Minor: minor, Currency: cur.Code, StoreID: in.StoreID,
		RegisterID: in.RegisterID, WebhookURL: in.WebhookURL, Status: "pending",
		PaymentURL: scheme + "://" + r.Host + "/pay/" + token, CreatedAt: s.opts.Now(),
	}
	s.payments = append(s.payments, p)
	s.byToken[token] = p
	out := s.view(p, false)
	s.mu.Unlock()
	if c.bearer {
		delete(out, "paymentUrl")
	} else {
		delete(out, "qrCodeUrl")
	}
	delete(out, "expiresAt")
	writeJSON(w, http.StatusCreated, out)
}

// view renders p for an answer. Caller holds mu.
func (s *Sandbox) view(p *Payment, short bool) map[string]any {
	status, internal := s.words(p)
	m := map[string]any{
		"paymentId":       s.wireID(p.ID),
		"status":          status,
		"amount":          json.Number(money.FormatDecimal(p.Minor, exponent(p.Currency))),
		"currency":        p.Currency,
		"referenceNumber": p.ReferenceNumber,
		"paymentUrl":      p.PaymentURL,
		"qrCodeUrl":       p.PaymentURL,
		"createdAt":       p.CreatedAt.UTC().Format(time.RFC3339),
		"expiresAt":       p.CreatedAt.Add(s.opts.PaymentExpiry).UTC().Format(time.RFC3339),
	}
	if internal != "" {
		m["internalStatus"] = internal
	}
	if short {
		delete(m, "qrCodeUrl")
		delete(m, "expiresAt")
	}
	if p.Description != "" && !short {
		m["description"] = p.Description
	}
	if !p.PaidAt.IsZero() {
		m["paidAt"] = p.PaidAt.UTC().Format(time.RFC3339)
	}
	return m
}

// lookup finds payment id for caller c, answering 404 when it is not theirs.
func (s *Sandbox) lookup(w http.ResponseWriter, c caller, idText string) *Payment {
	id, err := strconv.ParseInt(idText, 10, 64)
	var p *Payment
	if err == nil {
		p = s.find(id)
	}
	if p == nil || s.merchants[p.MerchantClientID] != c.client || (c.bearer && p.MerchantClientID != c.merchant) {
		sbError(w, http.StatusNotFound, "not_found", "Payment not found")
		return nil
	}
	return p
}

func (s *Sandbox) handleGet(w http.ResponseWriter, r *http.Request) {
	c, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	p := s.lookup(w, c, r.PathValue("id"))
	if p == nil {
		s.mu.Unlock()
		return
	}
	s.refresh(p)
	out := s.view(p, strings.HasSuffix(r.URL.Path, "/status"))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) handleList(w http.ResponseWriter, r *http.Request) {
	c, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	merchant, ok := s.merchantFor(w, c, q.Get("merchantClientId"))
	if !ok {
		return
	}
	page, limit := 1, 20
	for _, v := range []struct {
		name string
		p    *int
		max  int
	}{{"page", &page, 1 << 30}, {"limit", &limit, 100}} {
		if t := q.Get(v.name); t != "" {
			n, err := strconv.Atoi(t)
			if err != nil || n < 1 {
				validation(w, v.name, v.name+" must be a positive integer")
				return
			}
			*v.p = min(n, v.max)
		}
	}
	status := q.Get("status")
	s.mu.Lock()
	var all []map[string]any
	for i := len(s.payments) - 1; i >= 0; i-- {
		p := s.payments[i]
		s.refresh(p)
		word, _ := s.words(p)
		if p.MerchantClientID != merchant || (status != "" && p.Status != status && word != status) {
			continue
		}
		all = append(all, map[string]any{
			"id":              s.wireID(p.ID),
			"referenceNumber": p.ReferenceNumber,
			"amount":          json.Number(money.FormatDecimal(p.Minor, exponent(p.Currency))),
			"currency":        p.Currency,
			"status":          word,
			"createdAt":       p.CreatedAt.UTC().Format(time.RFC3339),
		})
	}
	s.mu.Unlock()
	items := []map[string]any{}
	if from := (page - 1) * limit; from < len(all) {
		items = all[from:min(from+limit, len(all))]
	}
	writeJSON(w, http.StatusOK, map[string]any{"payments": items, "total": len(all), "page": page, "limit": limit})
}

func (s *Sandbox) handlePay(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.byToken[r.PathValue("token")]
	var title, line string
	if p != nil {
		s.refresh(p)
		if p.Status == "pending" {
			s.transition(p, "completed")
		}
		amount := money.FormatDecimal(p.Minor, exponent(p.Currency)) + " " + p.Currency
		switch p.Status {
		case "completed":
			title, line = "Payment received", amount+" paid. Thank you."
		case "expired":
			title, line = "Payment expired", amount+" was not paid in time."
		default:
			title, line = "Payment failed", amount+" was not paid."
		}
	}
	s.mu.Unlock()
	code := http.StatusOK
	if p == nil {
		code, title, line = http.StatusNotFound, "Unknown payment", "This payment link is not valid."
	}
	page(w, code, "AcountPay sandbox bank", title, line)
}

// page answers a small HTML page (the bank and onboarding pages a phone opens).
func page(w http.ResponseWriter, code int, head, title, line string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>%s</title></head>"+
		"<body style=\"font-family:sans-serif;text-align:center;margin-top:3em\"><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(head), html.EscapeString(title), html.EscapeString(line))
}

func (s *Sandbox) handleControl(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		sbError(w, http.StatusNotFound, "not_found", "Payment not found")
		return
	}
	var status string
	switch r.PathValue("action") {
	case "fail":
		status = "failed"
	case "expire":
		status = "expired"
	case "pay":
		status = "completed"
	case "cancel":
		status = "cancelled"
	case "refund":
		err = s.Refund(id)
	case "status":
		var in struct {
			Status string `json:"status"`
		}
		if derr := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); derr != nil || in.Status == "" || len(in.Status) > 64 {
			sbError(w, http.StatusBadRequest, "invalid_request", `Body must be {"status":"<word>"} (at most 64 bytes)`)
			return
		}
		err = s.SetWord(id, in.Status)
	default:
		sbError(w, http.StatusNotFound, "not_found", "Unknown action")
		return
	}
	if status != "" {
		err = s.setStatus(id, status)
	}
	if err != nil {
		code := http.StatusConflict
		if errors.Is(err, errSandboxNotFound) {
			code = http.StatusNotFound
		}
		sbError(w, code, "invalid_state", err.Error())
		return
	}
	s.mu.Lock()
	out := s.view(s.find(id), false)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) handleFaults(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Path       string `json:"path"`
		Method     string `json:"method"`
		AfterServe bool   `json:"afterServe"`
		Count      int    `json:"count"`
		Delay      string `json:"delay"`
		Status     int    `json:"status"`
		RetryAfter string `json:"retryAfter"`
		Garbage    bool   `json:"garbage"`
		Oversized  int    `json:"oversized"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		sbError(w, http.StatusBadRequest, "invalid_request", "Body is not a JSON fault")
		return
	}
	f := Fault{Path: in.Path, Method: in.Method, AfterServe: in.AfterServe, Count: in.Count, Status: in.Status, RetryAfter: in.RetryAfter, Garbage: in.Garbage, Oversized: in.Oversized}
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		if err != nil || d < 0 || d > 5*time.Minute {
			sbError(w, http.StatusBadRequest, "invalid_request", "delay must be a duration up to 5m")
			return
		}
		f.Delay = d
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) || f.Oversized < 0 || f.Oversized > 64<<20 {
		sbError(w, http.StatusBadRequest, "invalid_request", "status or oversized out of range")
		return
	}
	s.InjectFault(f)
	writeJSON(w, http.StatusOK, map[string]any{"queued": true})
}
