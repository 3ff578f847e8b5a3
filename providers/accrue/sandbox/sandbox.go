package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/terminald/terminald/providers/accrue"
)

// Demo credentials and wallets of the sandbox, so that a simulated terminal works without
// configuration.
const (
	DemoClientID      = "123e4567-e89b-12d3-a456-426614174000"
	DemoClientSecret  = "sandbox-633b336e4f57f095a405f6685e208cc7dd16de3e82494662f2acfeec3af1cdef"
	DemoWebhookSecret = "sandbox-webhook-secret"

	// A wallet with plenty of money.
	DemoRichWalletID = "5f0c2d3e-0001-4a6b-9c1d-000000000001"
	DemoRichPhone    = "+12125550001"
	DemoRichCode     = "ACCRUE-DEMO-RICH"
	// A wallet holding 5.00 USD.
	DemoPoorWalletID = "5f0c2d3e-0002-4a6b-9c1d-000000000002"
	DemoPoorPhone    = "+12125550002"
	DemoPoorCode     = "ACCRUE-DEMO-POOR"
	DemoPoorBalance  = 500
	// A wallet whose linked bank account is not verified.
	DemoUnverifiedWalletID = "5f0c2d3e-0003-4a6b-9c1d-000000000003"
	DemoUnverifiedPhone    = "+12125550003"
	DemoUnverifiedCode     = "ACCRUE-DEMO-UNVERIFIED"
	// A rich wallet whose captures are declined (402).
	DemoDeclineWalletID = "5f0c2d3e-0004-4a6b-9c1d-000000000004"
	DemoDeclinePhone    = "+12125550004"
	DemoDeclineCode     = "ACCRUE-DEMO-DECLINE"
	// A wallet of another merchant: create payment intent answers 403 WalletAccessDenied.
	DemoForeignWalletID = "5f0c2d3e-0005-4a6b-9c1d-000000000005"
	DemoForeignPhone    = "+12125550005"
	DemoForeignCode     = "ACCRUE-DEMO-FOREIGN"
)

// Config returns an accrue.Config for a sandbox served at baseURL with the demo credentials.
func Config(baseURL string) accrue.Config {
	return accrue.Config{BaseURL: baseURL, ClientID: DemoClientID, ClientSecret: DemoClientSecret, WebhookSecret: DemoWebhookSecret}
}

// Options configures a Sandbox. Zero values take the defaults named.
type Options struct {
	ClientID      string           // DemoClientID
	ClientSecret  string           // DemoClientSecret
	WebhookSecret string           // secret of every webhook created; DemoWebhookSecret
	Now           func() time.Time // clock; time.Now
	RateLimit     int              // requests per RateWindow before 429; 10,000
	RateWindow    time.Duration    // 1 minute
	CaptureWait   time.Duration    // Waiting period after a capture; 0: none
	SentAfter     time.Duration    // Processing → Sent; 2 s
	RefundAfter   time.Duration    // refund Pending → Sent; 2 s
	IntentTTL     time.Duration    // a Promotable intent expires after; 15 min
	Logger        *slog.Logger
	WebhookClient *http.Client // for deliveries; a 5 s timeout client
	// Shape selects which published shape the sandbox plays: ShapeLive (the default, as
	// Accrue's OpenAPI files describe the API) or ShapeSeed (the quick-start page's).
	Shape string
	// PaymentTTL is how long a payment is valid (its expiresAt); 7 days.
	PaymentTTL time.Duration
}

// Shapes for Options.Shape. The differences (the README's "live shape vs seed shape"):
//
//	                          live (default)                         seed
//	authorize body            required, amount required (else 400)   ignored
//	authorize answer          201 {data: PaymentIntent,              200 {data: Payment,
//	                               included: [Payment]}                   included: [PaymentIntent]}
//	repeated authorize        the existing payment (201)             400 PaymentIntentNotPromotable
//	create intent answer      attributes.balance                     no balance
//	Payment                   expiresAt, channel, virtualDebitCard   expiresAt
//	unknown lookUpId/walletId 404 WalletIdentifierNotFound           400 InvalidLookUpId / 404 WalletNotFound
//	errors                    bare object, integer status            {"errors":[...]}, string status
//
// Both: page[limit] above 50 is capped to 50, POST /api/v1/payments, POST
// /api/v1/payment-intents/{id}/cancel (the seed page's; the OpenAPI files have none), 403
// WalletAccessDenied for DemoForeignCode.
const (
	ShapeLive = "live"
	ShapeSeed = "seed"
)

// Fault is an injected failure for the next Count API requests matching Method (any when
// empty) and PathPrefix (any when empty).
type Fault struct {
	Kind       string        `json:"kind"` // "500", "429", "408", "delay", "garbage", "oversized", "drop"
	Count      int           `json:"count"`
	Method     string        `json:"method,omitempty"`
	PathPrefix string        `json:"path,omitempty"`
	Delay      time.Duration `json:"-"` // for "delay": applied, then answered this late
}

// Fault kinds.
const (
	FaultServerError = "500"       // answer 500 without doing anything
	FaultRateLimit   = "429"       // answer 429 without doing anything
	FaultTimeout     = "408"       // answer 408 without doing anything
	FaultDelay       = "delay"     // do the work, answer after Delay
	FaultGarbage     = "garbage"   // answer 200 with a body that is not JSON
	FaultOversized   = "oversized" // answer 200 with a body larger than MaxResponseBytes
	FaultDrop        = "drop"      // do the work, then close the connection without an answer
)

// Stats counts what the sandbox holds.
type Stats struct {
	Intents, Payments, Captures, Refunds, Webhooks, Deliveries int
}

type sbWallet struct {
	id, userID, phone, code, status string
	balance, reserved               int64
	intentErr                       string // the intent error every intent of this wallet gets
	declineCapture                  bool
	foreign                         bool // belongs to another merchant: 403 WalletAccessDenied
}

type sbIntent struct {
	id, walletID, reference, status, errReason, paymentID string
	amount                                                int64
	expiresAt, createdAt, updatedAt                       time.Time
}

type sbCapture struct {
	id      string
	amount  int64
	created time.Time
}

type sbRefund struct {
	id, status       string
	amount           int64
	created, updated time.Time
}

type sbPayment struct {
	id, intentID, walletID, reference, status, channel string
	expiresAt                                          time.Time
	amount                                             int64 // authorized
	captures                                           []sbCapture
	refunds                                            []*sbRefund
	capturedAt, createdAt, updatedAt                   time.Time
}

func (p *sbPayment) captured() int64 {
	var n int64
	for _, c := range p.captures {
		n += c.amount
	}
	return n
}

func (p *sbPayment) refunded() int64 {
	var n int64
	for _, r := range p.refunds {
		if r.status != accrue.RefundStateFailed {
			n += r.amount
		}
	}
	return n
}

type sbWebhook struct {
	id, name, url  string
	enabled        bool
	topics         []string
	created, updat time.Time
}

type idemEntry struct {
	fingerprint string
	status      int
	body        []byte
	at          time.Time
}

type delivery struct {
	url, secret string
	body        []byte
}

// Sandbox is an in-memory Accrue Merchant API for tests and the simulator. It is an
// http.Handler; serve it on a loopback address only.
type Sandbox struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	mu          sync.Mutex
	wallets     []*sbWallet
	intents     map[string]*sbIntent
	intentOrder []string
	payments    map[string]*sbPayment
	payOrder    []string
	webhooks    map[string]*sbWebhook
	hookOrder   []string
	idem        map[string]*idemEntry
	faults      []Fault
	counts      map[string]int
	winStart    time.Time
	winCount    int
	pending     []delivery
	delivered   int

	wg sync.WaitGroup
}

// New returns a Sandbox with the demo wallets.
func New(opts Options) *Sandbox {
	if opts.ClientID == "" {
		opts.ClientID = DemoClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DemoClientSecret
	}
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = DemoWebhookSecret
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 10000
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = time.Minute
	}
	if opts.SentAfter <= 0 {
		opts.SentAfter = 2 * time.Second
	}
	if opts.RefundAfter <= 0 {
		opts.RefundAfter = 2 * time.Second
	}
	if opts.IntentTTL <= 0 {
		opts.IntentTTL = 15 * time.Minute
	}
	if opts.PaymentTTL <= 0 {
		opts.PaymentTTL = 7 * 24 * time.Hour
	}
	if opts.Shape == "" {
		opts.Shape = ShapeLive
	}
	if opts.WebhookClient == nil {
		opts.WebhookClient = &http.Client{Timeout: 5 * time.Second}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sandbox{opts: opts, log: log, intents: map[string]*sbIntent{}, payments: map[string]*sbPayment{},
		webhooks: map[string]*sbWebhook{}, idem: map[string]*idemEntry{}, counts: map[string]int{}}
	s.wallets = []*sbWallet{
		{id: DemoRichWalletID, userID: "7a1e0000-0001-4000-8000-000000000001", phone: DemoRichPhone, code: DemoRichCode, status: "Active", balance: 100_000_000},
		{id: DemoPoorWalletID, userID: "7a1e0000-0002-4000-8000-000000000002", phone: DemoPoorPhone, code: DemoPoorCode, status: "Active", balance: DemoPoorBalance},
		{id: DemoUnverifiedWalletID, userID: "7a1e0000-0003-4000-8000-000000000003", phone: DemoUnverifiedPhone, code: DemoUnverifiedCode, status: "Active", balance: 100_000_000, intentErr: "LinkedAccountUnverified"},
		{id: DemoDeclineWalletID, userID: "7a1e0000-0004-4000-8000-000000000004", phone: DemoDeclinePhone, code: DemoDeclineCode, status: "Active", balance: 100_000_000, declineCapture: true},
		{id: DemoForeignWalletID, userID: "7a1e0000-0005-4000-8000-000000000005", phone: DemoForeignPhone, code: DemoForeignCode, status: "Active", balance: 100_000_000, foreign: true},
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /api/v1/wallets", s.listWallets)
	m.HandleFunc("GET /api/v1/wallets/{$}", s.listWallets)
	m.HandleFunc("GET /api/v1/wallets/{id}", s.getWallet)
	m.HandleFunc("GET /api/v1/wallets/{id}/balance", s.getWallet)
	m.HandleFunc("POST /api/v1/payment-intents", s.createIntent)
	m.HandleFunc("GET /api/v1/payment-intents", s.listIntents)
	m.HandleFunc("GET /api/v1/payment-intents/{id}", s.getIntent)
	m.HandleFunc("POST /api/v1/payment-intents/{id}/authorize", s.authorizeIntent)
	m.HandleFunc("POST /api/v1/payment-intents/{id}/cancel", s.cancelIntent)
	m.HandleFunc("GET /api/v1/payments", s.listPayments)
	m.HandleFunc("POST /api/v1/payments", s.createPayment)
	m.HandleFunc("GET /api/v1/payments/{id}", s.getPayment)
	m.HandleFunc("POST /api/v1/payments/{id}/capture", s.capturePayment)
	m.HandleFunc("PATCH /api/v1/payments/{id}/increase-authorization", s.increaseAuthorization)
	m.HandleFunc("POST /api/v1/payments/{id}/cancel", s.cancelPayment)
	m.HandleFunc("POST /api/v1/payments/{id}/refund", s.refundPayment)
	m.HandleFunc("POST /api/v1/webhooks", s.createWebhook)
	m.HandleFunc("GET /api/v1/webhooks", s.listWebhooks)
	m.HandleFunc("GET /api/v1/webhooks/{id}", s.getWebhook)
	m.HandleFunc("PATCH /api/v1/webhooks/{id}", s.updateWebhook)
	m.HandleFunc("DELETE /api/v1/webhooks/{id}", s.deleteWebhook)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, r, http.StatusNotFound, "NotFound", "NotFoundException", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	s.mux = m
	return s
}

// AddFault injects f (see Fault).
func (s *Sandbox) AddFault(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// Requests returns how many API requests with method and URL path the sandbox received.
func (s *Sandbox) Requests(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method+" "+path]
}

// Balance returns the available balance of the wallet id in cents.
func (s *Sandbox) Balance(id string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.wallets {
		if w.id == id {
			return w.balance
		}
	}
	return 0
}

// Stats returns what the sandbox holds.
func (s *Sandbox) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Intents: len(s.intents), Payments: len(s.payments), Webhooks: len(s.webhooks), Deliveries: s.delivered}
	for _, p := range s.payments {
		st.Captures += len(p.captures)
		st.Refunds += len(p.refunds)
	}
	return st
}

// Close waits for webhook deliveries under way.
func (s *Sandbox) Close() { s.wg.Wait() }

// recorder buffers a handler's answer so faults can delay or drop it.
type recorder struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.buf.Write(b)
}

// shapeKey carries Options.Shape in a request's context, for the error writer.
type shapeKey struct{}

func seedShape(r *http.Request) bool {
	v, _ := r.Context().Value(shapeKey{}).(string)
	return v == ShapeSeed
}

func (s *Sandbox) seed() bool { return s.opts.Shape == ShapeSeed }

// ServeHTTP implements http.Handler.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(context.WithValue(r.Context(), shapeKey{}, s.opts.Shape))
	if r.URL.Path == "/sandbox/faults" {
		s.faultsEndpoint(w, r)
		return
	}
	s.mu.Lock()
	s.counts[r.Method+" "+r.URL.Path]++
	f, hasFault := s.takeFault(r)
	s.mu.Unlock()
	if hasFault {
		switch f.Kind {
		case FaultServerError:
			writeErr(w, r, 500, "InternalServerError", "InternalServerErrorException", "injected fault")
			return
		case FaultRateLimit:
			writeErr(w, r, 429, "TooManyRequests", "TooManyRequestsException", "injected fault")
			return
		case FaultTimeout:
			writeErr(w, r, 408, "RequestTimeout", "RequestTimeoutException", "injected fault")
			return
		case FaultGarbage:
			w.Header().Set("Content-Type", accrue.MediaType)
			w.WriteHeader(200)
			io.WriteString(w, "<html>\x00\xff garbage {\"data\":")
			return
		case FaultOversized:
			w.Header().Set("Content-Type", accrue.MediaType)
			w.WriteHeader(200)
			io.WriteString(w, `{"data":{"type":"Payment","id":"x","attributes":{"reference":"`)
			chunk := bytes.Repeat([]byte("A"), 64<<10)
			for n := 0; n <= accrue.MaxResponseBytes; n += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			io.WriteString(w, `"}}}`)
			return
		}
	}
	rec := &recorder{h: http.Header{}}
	s.serveAPI(rec, r)
	s.flush()
	if hasFault && f.Kind == FaultDrop {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // closes the connection without an answer
	}
	if hasFault && f.Kind == FaultDelay {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	for k, v := range rec.h {
		w.Header()[k] = v
	}
	if rec.status == 0 {
		rec.status = 200
	}
	w.WriteHeader(rec.status)
	w.Write(rec.buf.Bytes())
}

func (s *Sandbox) takeFault(r *http.Request) (Fault, bool) {
	for i := range s.faults {
		f := &s.faults[i]
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if f.PathPrefix != "" && !strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			continue
		}
		out := *f
		f.Count--
		if f.Count <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return out, true
	}
	return Fault{}, false
}

// faultsEndpoint serves POST /sandbox/faults {"kind","count","method","path","delay"}.
func (s *Sandbox) faultsEndpoint(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeErr(w, r, 405, "MethodNotAllowed", "MethodNotAllowedException", "use POST")
		return
	}
	var in struct {
		Fault
		Delay string `json:"delay"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		writeErr(w, r, 400, "ValidationError", "ValidationException", "bad fault: "+err.Error())
		return
	}
	switch in.Kind {
	case FaultServerError, FaultRateLimit, FaultTimeout, FaultDelay, FaultGarbage, FaultOversized, FaultDrop:
	default:
		writeErr(w, r, 400, "ValidationError", "ValidationException", "unknown fault kind "+strconv.Quote(in.Kind))
		return
	}
	f := in.Fault
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		if err != nil || d < 0 || d > 10*time.Minute {
			writeErr(w, r, 400, "ValidationError", "ValidationException", "bad delay "+strconv.Quote(in.Delay))
			return
		}
		f.Delay = d
	}
	s.AddFault(f)
	w.WriteHeader(http.StatusNoContent)
}

// serveAPI checks rate, credentials and media types, then dispatches under the lock.
func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if now.Sub(s.winStart) >= s.opts.RateWindow || now.Before(s.winStart) {
		s.winStart, s.winCount = now, 0
	}
	s.winCount++
	if s.winCount > s.opts.RateLimit {
		writeErr(w, r, 429, "TooManyRequests", "RateLimitException", "rate limit exceeded")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.opts.ClientSecret || r.Header.Get("Client-ID") != s.opts.ClientID {
		writeErr(w, r, 401, "Unauthorized", "UnauthorizedException", "invalid, missing or expired client secret or Client-ID")
		return
	}
	if acc := r.Header.Get("Accept"); acc != "" && !acceptsJSONAPI(acc) {
		writeErr(w, r, 406, "NotAcceptable", "NotAcceptableException", "Accept must allow "+accrue.MediaType)
		return
	}
	if r.ContentLength != 0 && (r.Method == http.MethodPost || r.Method == http.MethodPatch) {
		if ct := r.Header.Get("Content-Type"); ct != accrue.MediaType {
			writeErr(w, r, 415, "UnsupportedMediaType", "UnsupportedMediaTypeException", "Content-Type must be "+accrue.MediaType)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

func acceptsJSONAPI(h string) bool {
	for _, part := range strings.Split(h, ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		if mt == accrue.MediaType || mt == "*/*" || mt == "application/*" {
			return true
		}
	}
	return false
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(`{"errors":[{"status":"500","code":"InternalServerError","title":"encode"}]}`)
	}
	w.Header().Set("Content-Type", accrue.MediaType)
	w.WriteHeader(status)
	w.Write(b)
}

// writeErr answers an error: a bare error object with an integer status (the live
// shape), or {"errors":[...]} with a string status (the seed shape).
func writeErr(w http.ResponseWriter, r *http.Request, status int, code, title, detail string) {
	obj := map[string]any{"id": newUUID(), "status": status, "code": code, "title": title, "detail": detail,
		"meta": map[string]string{"environment": "sandbox", "timestamp": stamp(time.Now()), "path": r.URL.Path}}
	if seedShape(r) {
		obj["status"] = strconv.Itoa(status)
		writeJSON(w, status, map[string]any{"errors": []map[string]any{obj}})
		return
	}
	writeJSON(w, status, obj)
}

// readAttrs decodes a request document of type typ into attrs.
func readAttrs(w http.ResponseWriter, r *http.Request, typ string, attrs any) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		writeErr(w, r, 413, "PayloadTooLarge", "ValidationException", "request body too large")
		return nil, false
	}
	var d struct {
		Data *struct {
			Type       string          `json:"type"`
			Attributes json.RawMessage `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &d); err != nil || d.Data == nil {
		writeErr(w, r, 400, "ValidationError", "ValidationException", "body must be a JSON:API document with data")
		return nil, false
	}
	if d.Data.Type != typ {
		writeErr(w, r, 400, "ValidationError", "ValidationException", fmt.Sprintf("data.type must be %q", typ))
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(d.Data.Attributes))
	dec.DisallowUnknownFields()
	if len(d.Data.Attributes) == 0 || dec.Decode(attrs) != nil {
		writeErr(w, r, 400, "ValidationError", "ValidationException", "data.attributes invalid for "+typ)
		return nil, false
	}
	var c bytes.Buffer
	json.Compact(&c, body)
	return c.Bytes(), true
}

// idempotent runs fn once per (op, key): the same key with the same request replays the
// first answer; with another request it is refused with 422.
func (s *Sandbox) idempotent(w http.ResponseWriter, r *http.Request, op, key string, body []byte, fn func(w http.ResponseWriter)) {
	now := s.opts.Now()
	for k, e := range s.idem {
		if now.Sub(e.at) > 48*time.Hour {
			delete(s.idem, k)
		}
	}
	if key == "" {
		fn(w)
		return
	}
	if len(key) > 255 {
		writeErr(w, r, 400, "ValidationError", "ValidationException", "idempotencyKey longer than 255 characters")
		return
	}
	sum := sha256.Sum256(append([]byte(r.URL.Path+"\n"), body...))
	fp := hex.EncodeToString(sum[:])
	if e, ok := s.idem[op+"\n"+key]; ok {
		if e.fingerprint != fp {
			writeErr(w, r, 422, "IdempotencyKeyReused", "IdempotencyException", "idempotencyKey was used with a different request")
			return
		}
		w.Header().Set("Content-Type", accrue.MediaType)
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(e.status)
		w.Write(e.body)
		return
	}
	rec := &recorder{h: http.Header{}}
	fn(rec)
	if rec.status == 0 {
		rec.status = 200
	}
	if rec.status < 500 {
		s.idem[op+"\n"+key] = &idemEntry{fingerprint: fp, status: rec.status, body: bytes.Clone(rec.buf.Bytes()), at: now}
	}
	for k, v := range rec.h {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	w.Write(rec.buf.Bytes())
}

// --- resources

type jres = map[string]any

func ident(typ, id string) jres { return jres{"type": typ, "id": id} }

func walletRes(wl *sbWallet, balance bool) jres {
	a := jres{"status": wl.status, "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z"}
	if balance {
		a["balance"] = jres{
			"available": jres{"deposit": wl.balance, "reward": jres{"accrue": 0, "merchant": 0, "total": 0}, "total": wl.balance},
			"reserved":  jres{"total": wl.reserved},
			"total":     jres{"deposit": wl.balance + wl.reserved, "reward": jres{"accrue": 0, "merchant": 0, "total": 0}, "total": wl.balance + wl.reserved},
		}
	}
	return jres{"id": wl.id, "type": "Wallet", "attributes": a,
		"relationships": jres{"user": jres{"data": ident("User", wl.userID)}}}
}

func (s *Sandbox) intentRes(i *sbIntent) jres {
	var errv any
	if i.errReason != "" {
		errv = i.errReason
	}
	pays := []jres{}
	if i.paymentID != "" {
		pays = append(pays, ident("Payment", i.paymentID))
	}
	a := jres{
		"status": i.status, "error": errv, "amount": i.amount, "walletId": i.walletID, "reference": i.reference,
		"expiresAt": stamp(i.expiresAt), "createdAt": stamp(i.createdAt), "updatedAt": stamp(i.updatedAt),
	}
	if wl := s.wallet(i.walletID); wl != nil && !s.seed() {
		a["userId"] = wl.userID
		a["phoneNumber"] = wl.phone
		a["email"], a["fullName"], a["billingAddress"] = nil, nil, nil
		a["balance"] = jres{"available": wl.balance, "eligibleReward": i.amount / 100, "upperLimit": wl.balance}
	}
	return jres{"id": i.id, "type": "PaymentIntent", "attributes": a, "relationships": jres{"payments": jres{"data": pays}}}
}

func (s *Sandbox) paymentRes(p *sbPayment) jres {
	caps, refs := []jres{}, []jres{}
	for _, c := range p.captures {
		caps = append(caps, ident("Capture", c.id))
	}
	for _, r := range p.refunds {
		refs = append(refs, ident("Refund", r.id))
	}
	a := jres{
		"id": p.id, "status": p.status, "amount": p.amount, "reference": p.reference,
		"updatedAt": stamp(p.updatedAt), "createdAt": stamp(p.createdAt),
	}
	links := jres{"self": "/api/v1/payments/" + p.id}
	a["expiresAt"] = stamp(p.expiresAt) // in the live schema (required) and the seed's samples
	if !s.seed() {
		a["channel"] = nil
		if p.channel != "" {
			a["channel"] = p.channel
		}
		a["disbursement"] = []jres{}
		links["virtualDebitCard"] = "/api/v1/payments/" + p.id + "/card"
	}
	rel := jres{
		"captures": jres{"data": caps},
		"refunds":  jres{"data": refs},
	}
	if p.intentID != "" {
		rel["paymentIntent"] = jres{"data": ident("PaymentIntent", p.intentID), "links": jres{"self": "/api/v1/payment-intents/" + p.intentID}}
	}
	return jres{"id": p.id, "type": "Payment", "attributes": a, "relationships": rel, "links": links}
}

func captureRes(c sbCapture) jres {
	return jres{"id": c.id, "type": "Capture", "attributes": jres{"id": c.id, "amount": c.amount, "success": true,
		"method": "Wallet", "createdAt": stamp(c.created), "updatedAt": stamp(c.created)}}
}

func refundRes(r *sbRefund) jres {
	return jres{"id": r.id, "type": "Refund", "attributes": jres{"id": r.id, "status": r.status, "amount": r.amount,
		"createdAt": stamp(r.created), "updatedAt": stamp(r.updated)}}
}

func webhookRes(h *sbWebhook, secret string) jres {
	a := jres{"enabled": h.enabled, "name": h.name, "url": h.url, "topics": h.topics,
		"createdAt": stamp(h.created), "updatedAt": stamp(h.updat)}
	if secret != "" {
		a["secret"] = secret
	}
	return jres{"id": h.id, "type": "Webhook", "attributes": a}
}

// --- lazy lifecycle

func (s *Sandbox) advanceIntent(i *sbIntent) {
	now := s.opts.Now()
	if i.status == accrue.IntentPromotable && !now.Before(i.expiresAt) {
		i.status, i.updatedAt = accrue.IntentExpired, now
		s.emit(accrue.TopicPaymentIntentUpdated, s.intentRes(i))
	}
}

func (s *Sandbox) advancePayment(p *sbPayment) {
	now := s.opts.Now()
	if p.status == accrue.PaymentWaiting && !now.Before(p.capturedAt.Add(s.opts.CaptureWait)) {
		p.status, p.updatedAt = accrue.PaymentProcessing, now
		s.emit(accrue.TopicPaymentUpdated, s.paymentRes(p))
	}
	if p.status == accrue.PaymentProcessing && !now.Before(p.capturedAt.Add(s.opts.CaptureWait+s.opts.SentAfter)) {
		p.status, p.updatedAt = accrue.PaymentSent, now
		s.emit(accrue.TopicPaymentUpdated, s.paymentRes(p))
	}
	for _, r := range p.refunds {
		if (r.status == accrue.RefundStatePending || r.status == accrue.RefundStateWaiting) && !now.Before(r.created.Add(s.opts.RefundAfter)) {
			r.status, r.updated = accrue.RefundStateSent, now
			s.emit(accrue.TopicRefundUpdated, refundRes(r))
		}
	}
}

func (s *Sandbox) wallet(id string) *sbWallet {
	for _, w := range s.wallets {
		if w.id == id {
			return w
		}
	}
	return nil
}

// --- handlers (called with s.mu held)

func parsePage(w http.ResponseWriter, r *http.Request) (limit, offset int, ok bool) {
	q := r.URL.Query()
	limit, offset = 10, 0
	if v := q.Get("page[limit]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeErr(w, r, 400, "BadRequest", "ValidationError", "Validation failed for page[limit]: expected a number >= 1")
			return 0, 0, false
		}
		limit = min(n, 50) // "can not be greater than 50": capped, not refused
	}
	if !parseOffset(w, r, &offset) {
		return 0, 0, false
	}
	return limit, offset, true
}

// parseOffset reads page[offset] into off.
func parseOffset(w http.ResponseWriter, r *http.Request, off *int) bool {
	q := r.URL.Query()
	if v := q.Get("page[offset]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeErr(w, r, 400, "BadRequest", "ValidationError", "Validation failed for page[offset]: must not be negative")
			return false
		}
		*off = n
	}
	return true
}

func pageOf[T any](l []T, limit, offset int) []T {
	if offset >= len(l) {
		return nil
	}
	return l[offset:min(len(l), offset+limit)]
}

func listDoc(items []jres, total, limit, offset int) jres {
	if items == nil {
		items = []jres{}
	}
	return jres{"data": items, "meta": jres{"total": total, "limit": limit, "offset": offset}}
}

func (s *Sandbox) listWallets(w http.ResponseWriter, r *http.Request) {
	limit, offset, ok := parsePage(w, r)
	if !ok {
		return
	}
	phone := r.URL.Query().Get("filter[phoneNumber]")
	var l []jres
	for _, wl := range s.wallets {
		if phone == "" || wl.phone == phone {
			l = append(l, walletRes(wl, false))
		}
	}
	writeJSON(w, 200, listDoc(pageOf(l, limit, offset), len(l), limit, offset))
}

func (s *Sandbox) getWallet(w http.ResponseWriter, r *http.Request) {
	wl := s.wallet(r.PathValue("id"))
	if wl == nil {
		writeErr(w, r, 404, "WalletNotFound", "WalletNotFoundException", "Wallet not found.")
		return
	}
	writeJSON(w, 200, jres{"data": walletRes(wl, strings.HasSuffix(r.URL.Path, "/balance"))})
}

// findWallet resolves a create call's walletId or lookUpId. It answers the error itself
// (404 WalletIdentifierNotFound, or the seed's codes) and returns nil when there is none.
func (s *Sandbox) findWallet(w http.ResponseWriter, r *http.Request, walletID, lookUpID string) *sbWallet {
	for _, x := range s.wallets {
		if (walletID != "" && x.id == walletID) || (lookUpID != "" && x.code == lookUpID) {
			return x
		}
	}
	switch {
	case !s.seed():
		writeErr(w, r, 404, "WalletIdentifierNotFound", "ErrorResponseDto", "Wallet identifier not found")
	case walletID != "":
		writeErr(w, r, 404, "WalletNotFound", "WalletNotFoundException", "Wallet not found.")
	default:
		writeErr(w, r, 400, "InvalidLookUpId", "PaymentIntentValidationException", "lookUpId does not match a wallet")
	}
	return nil
}

func (s *Sandbox) createIntent(w http.ResponseWriter, r *http.Request) {
	var a struct {
		Amount         json.Number `json:"amount"`
		WalletID       string      `json:"walletId"`
		LookUpID       string      `json:"lookUpId"`
		Reference      string      `json:"reference"`
		IdempotencyKey string      `json:"idempotencyKey"`
	}
	body, ok := readAttrs(w, r, "CreatePaymentIntent", &a)
	if !ok {
		return
	}
	s.idempotent(w, r, "createPaymentIntent", a.IdempotencyKey, body, func(w http.ResponseWriter) {
		amount, err := strconv.ParseInt(a.Amount.String(), 10, 64)
		if err != nil || amount <= 0 || amount > 1<<31-1 || (a.WalletID == "") == (a.LookUpID == "") {
			writeErr(w, r, 400, "InvalidAmountOrWalletIdentifier", "ErrorResponseDto",
				"Invalid amount or wallet identifier validation failed: a positive integer amount and exactly one of walletId and lookUpId")
			return
		}
		wl := s.findWallet(w, r, a.WalletID, a.LookUpID)
		if wl == nil {
			return
		}
		if wl.foreign {
			writeErr(w, r, 403, "WalletAccessDenied", "ErrorResponseDto", "Wallet identifier merchant mismatch")
			return
		}
		now := s.opts.Now()
		i := &sbIntent{id: newUUID(), walletID: wl.id, reference: a.Reference, status: accrue.IntentPromotable,
			amount: amount, expiresAt: now.Add(s.opts.IntentTTL), createdAt: now, updatedAt: now}
		switch {
		case wl.intentErr != "":
			i.status, i.errReason = accrue.IntentInvalid, wl.intentErr
		case wl.balance < amount:
			i.status, i.errReason = accrue.IntentInvalid, "InsufficientBalance"
		}
		s.intents[i.id] = i
		s.intentOrder = append(s.intentOrder, i.id)
		s.emit(accrue.TopicPaymentIntentCreated, s.intentRes(i))
		writeJSON(w, 201, jres{"data": s.intentRes(i)})
	})
}

func (s *Sandbox) listIntents(w http.ResponseWriter, r *http.Request) {
	limit, offset, ok := parsePage(w, r)
	if !ok {
		return
	}
	status := r.URL.Query().Get("filter[status]")
	var l []jres
	for _, id := range s.sortedIDs(s.intentOrder, r.URL.Query().Get("sort")) {
		i := s.intents[id]
		s.advanceIntent(i)
		if status == "" || strings.EqualFold(i.status, status) {
			l = append(l, s.intentRes(i))
		}
	}
	writeJSON(w, 200, listDoc(pageOf(l, limit, offset), len(l), limit, offset))
}

// sortedIDs orders creation-ordered ids by sort: newest first unless "createdAt".
func (s *Sandbox) sortedIDs(order []string, sortBy string) []string {
	out := append([]string(nil), order...)
	if sortBy != "createdAt" {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

func (s *Sandbox) intent(w http.ResponseWriter, r *http.Request) *sbIntent {
	i := s.intents[r.PathValue("id")]
	if i == nil {
		writeErr(w, r, 404, "PaymentIntentNotFound", "PaymentIntentNotFoundException", "Payment Intent not found.")
		return nil
	}
	s.advanceIntent(i)
	return i
}

func (s *Sandbox) getIntent(w http.ResponseWriter, r *http.Request) {
	if i := s.intent(w, r); i != nil {
		doc := jres{"data": s.intentRes(i)}
		if p := s.payments[i.paymentID]; p != nil {
			s.advancePayment(p)
			doc["included"] = []jres{s.paymentRes(p)}
		}
		writeJSON(w, 200, doc)
	}
}

// authorizeAnswer writes the answer to an authorize of i that produced (or found) p: live
// 201 {data: PaymentIntent, included: [Payment]}, seed 200 {data: Payment, included:
// [PaymentIntent]}.
func (s *Sandbox) authorizeAnswer(w http.ResponseWriter, i *sbIntent, p *sbPayment) {
	if s.seed() {
		writeJSON(w, 200, jres{"data": s.paymentRes(p), "included": []jres{s.intentRes(i)}})
		return
	}
	writeJSON(w, 201, jres{"data": s.intentRes(i), "included": []jres{s.paymentRes(p)}})
}

func (s *Sandbox) authorizeIntent(w http.ResponseWriter, r *http.Request) {
	i := s.intent(w, r)
	if i == nil {
		return
	}
	amount := i.amount
	channel := ""
	if !s.seed() {
		var a struct {
			Amount    *json.Number    `json:"amount"`
			Reference string          `json:"reference"`
			Channel   json.RawMessage `json:"channel"`
			Risk      json.RawMessage `json:"risk"`
		}
		if _, ok := readAttrs(w, r, "AuthorizePaymentIntent", &a); !ok {
			return
		}
		if a.Amount == nil {
			writeErr(w, r, 400, "BadRequest", "ValidationError", "Validation failed for data.attributes.amount: required")
			return
		}
		n, err := strconv.ParseInt(a.Amount.String(), 10, 64)
		if err != nil || n <= 0 || n > i.amount {
			writeErr(w, r, 400, "BadRequest", "ValidationError", "Validation failed for data.attributes.amount: a positive integer not above the intent's amount")
			return
		}
		amount = n
		var ch string
		if json.Unmarshal(a.Channel, &ch) == nil {
			channel = ch
		} else {
			var obj struct{ ID string }
			if json.Unmarshal(a.Channel, &obj) == nil {
				channel = obj.ID
			}
		}
		// Authorize is idempotent by intent: an active payment is returned as it is.
		if p := s.payments[i.paymentID]; p != nil && i.status == accrue.IntentPromotedToPayment &&
			p.status != accrue.PaymentCanceled && p.status != accrue.PaymentFailed {
			s.advancePayment(p)
			s.authorizeAnswer(w, i, p)
			return
		}
	}
	if i.status != accrue.IntentPromotable {
		writeErr(w, r, 400, "PaymentIntentNotPromotable", "PaymentIntentValidationException", "Payment Intent is "+i.status+".")
		return
	}
	wl := s.wallet(i.walletID)
	now := s.opts.Now()
	if wl.balance < amount {
		i.status, i.errReason, i.updatedAt = accrue.IntentInvalid, "InsufficientBalance", now
		s.emit(accrue.TopicPaymentIntentUpdated, s.intentRes(i))
		writeErr(w, r, 400, "InsufficientBalance", "PaymentIntentValidationException", "Insufficient balance.")
		return
	}
	wl.balance -= amount
	wl.reserved += amount
	p := &sbPayment{id: newUUID(), intentID: i.id, walletID: wl.id, reference: i.reference, status: accrue.PaymentCreated,
		channel: channel, amount: amount, expiresAt: now.Add(s.opts.PaymentTTL), createdAt: now, updatedAt: now}
	s.payments[p.id] = p
	s.payOrder = append(s.payOrder, p.id)
	i.status, i.paymentID, i.updatedAt = accrue.IntentPromotedToPayment, p.id, now
	s.emit(accrue.TopicPaymentIntentUpdated, s.intentRes(i))
	s.emit(accrue.TopicPaymentCreated, s.paymentRes(p))
	s.authorizeAnswer(w, i, p)
}

func (s *Sandbox) cancelIntent(w http.ResponseWriter, r *http.Request) {
	i := s.intent(w, r)
	if i == nil {
		return
	}
	switch i.status {
	case accrue.IntentCanceled:
	case accrue.IntentPromotable, accrue.IntentInvalid:
		i.status, i.updatedAt = accrue.IntentCanceled, s.opts.Now()
		s.emit(accrue.TopicPaymentIntentUpdated, s.intentRes(i))
	default:
		writeErr(w, r, 400, "PaymentIntentNotCancelable", "PaymentIntentValidationException", "Payment Intent is "+i.status+".")
		return
	}
	writeJSON(w, 200, jres{"data": s.intentRes(i)})
}

// createPayment serves POST /api/v1/payments: a payment straight from a wallet, without
// an intent (CreatePayment {walletId, amount, channel, reference, ...}); 200 {data:
// Payment} in status Created, to be captured like an authorized one.
func (s *Sandbox) createPayment(w http.ResponseWriter, r *http.Request) {
	var a struct {
		WalletID         string          `json:"walletId"`
		Amount           json.Number     `json:"amount"`
		LinkedAccountID  string          `json:"linkedAccountId"`
		Channel          *string         `json:"channel"`
		Reference        *string         `json:"reference"`
		ExternalPayments json.RawMessage `json:"externalPayments"`
		Disbursement     json.RawMessage `json:"disbursement"`
	}
	if _, ok := readAttrs(w, r, "CreatePayment", &a); !ok {
		return
	}
	amount, err := strconv.ParseInt(a.Amount.String(), 10, 64)
	if err != nil || amount <= 0 || a.WalletID == "" {
		writeErr(w, r, 400, "InvalidPayment", "PaymentValidationException", "walletId and a positive integer amount are required")
		return
	}
	wl := s.wallet(a.WalletID)
	if wl == nil || wl.foreign {
		writeErr(w, r, 400, "InvalidPayment", "PaymentValidationException", "Wallet not found for this merchant.")
		return
	}
	if wl.balance < amount {
		writeErr(w, r, 402, "InsufficientBalance", "PaymentAuthorizationException", "The authorization was declined by the funding source.")
		return
	}
	now := s.opts.Now()
	wl.balance -= amount
	wl.reserved += amount
	p := &sbPayment{id: newUUID(), walletID: wl.id, status: accrue.PaymentCreated, amount: amount,
		expiresAt: now.Add(s.opts.PaymentTTL), createdAt: now, updatedAt: now}
	if a.Channel != nil {
		p.channel = *a.Channel
	}
	if a.Reference != nil {
		p.reference = *a.Reference
	}
	s.payments[p.id] = p
	s.payOrder = append(s.payOrder, p.id)
	s.emit(accrue.TopicPaymentCreated, s.paymentRes(p))
	writeJSON(w, 200, jres{"data": s.paymentRes(p)})
}

func (s *Sandbox) listPayments(w http.ResponseWriter, r *http.Request) {
	limit, offset, ok := parsePage(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	status, channel, ref, intent := q.Get("filter[status]"), q.Get("filter[channel]"), q.Get("filter[reference]"), q.Get("filter[paymentIntentId]")
	var l []jres
	for _, id := range s.sortedIDs(s.payOrder, q.Get("sort")) {
		p := s.payments[id]
		s.advancePayment(p)
		if (status == "" || strings.EqualFold(p.status, status)) && (channel == "" || p.channel == channel) &&
			(ref == "" || p.reference == ref) && (intent == "" || p.intentID == intent) {
			l = append(l, s.paymentRes(p))
		}
	}
	writeJSON(w, 200, listDoc(pageOf(l, limit, offset), len(l), limit, offset))
}

func (s *Sandbox) payment(w http.ResponseWriter, r *http.Request) *sbPayment {
	p := s.payments[r.PathValue("id")]
	if p == nil {
		writeErr(w, r, 404, "PaymentNotFound", "PaymentNotFoundException", "Payment not found.")
		return nil
	}
	s.advancePayment(p)
	return p
}

func (s *Sandbox) paymentDoc(p *sbPayment, include string) jres {
	inc := []jres{}
	for _, what := range strings.Split(include, ",") {
		switch strings.TrimSpace(what) {
		case "captures":
			for _, c := range p.captures {
				inc = append(inc, captureRes(c))
			}
		case "refunds":
			for _, rf := range p.refunds {
				inc = append(inc, refundRes(rf))
			}
		case "paymentIntent":
			if i := s.intents[p.intentID]; i != nil {
				inc = append(inc, s.intentRes(i))
			}
		}
	}
	return jres{"data": s.paymentRes(p), "included": inc}
}

func (s *Sandbox) getPayment(w http.ResponseWriter, r *http.Request) {
	if p := s.payment(w, r); p != nil {
		writeJSON(w, 200, s.paymentDoc(p, r.URL.Query().Get("include")))
	}
}

func (s *Sandbox) capturePayment(w http.ResponseWriter, r *http.Request) {
	p := s.payment(w, r)
	if p == nil {
		return
	}
	var a struct {
		Amount json.Number `json:"amount"`
	}
	if _, ok := readAttrs(w, r, "CapturePayment", &a); !ok {
		return
	}
	amount, err := strconv.ParseInt(a.Amount.String(), 10, 64)
	if err != nil || amount <= 0 {
		writeErr(w, r, 400, "ValidationError", "ValidationException", "amount must be a positive integer number of cents")
		return
	}
	if p.status != accrue.PaymentCreated {
		writeErr(w, r, 400, "PaymentNotCapturable", "PaymentValidationException", "Payment is "+p.status+".")
		return
	}
	wl := s.wallet(p.walletID)
	if wl.declineCapture || amount > p.amount {
		writeErr(w, r, 402, "CaptureDeclined", "PaymentCaptureException", "The capture was declined.")
		return
	}
	now := s.opts.Now()
	c := sbCapture{id: newUUID(), amount: amount, created: now}
	p.captures = append(p.captures, c)
	wl.reserved -= p.amount
	wl.balance += p.amount - amount // release what is not captured
	p.capturedAt, p.updatedAt = now, now
	p.status = accrue.PaymentProcessing
	if s.opts.CaptureWait > 0 {
		p.status = accrue.PaymentWaiting
	}
	s.emit(accrue.TopicPaymentCaptured, captureRes(c))
	s.emit(accrue.TopicPaymentUpdated, s.paymentRes(p))
	doc := s.paymentDoc(p, "paymentIntent")
	doc["links"] = jres{"self": r.URL.Path}
	writeJSON(w, 200, doc)
}

func (s *Sandbox) increaseAuthorization(w http.ResponseWriter, r *http.Request) {
	p := s.payment(w, r)
	if p == nil {
		return
	}
	var a struct {
		Increase json.Number `json:"increase"`
	}
	if _, ok := readAttrs(w, r, "IncreaseAuthorization", &a); !ok {
		return
	}
	inc, err := strconv.ParseInt(a.Increase.String(), 10, 64)
	if err != nil || inc <= 0 {
		writeErr(w, r, 400, "ValidationError", "ValidationException", "increase must be a positive integer number of cents")
		return
	}
	if p.status != accrue.PaymentCreated {
		writeErr(w, r, 400, "PaymentNotAuthorizable", "PaymentValidationException", "Payment is "+p.status+".")
		return
	}
	wl := s.wallet(p.walletID)
	if wl.balance < inc {
		writeErr(w, r, 402, "InsufficientBalance", "PaymentAuthorizationException", "Insufficient balance.")
		return
	}
	wl.balance -= inc
	wl.reserved += inc
	p.amount += inc
	p.updatedAt = s.opts.Now()
	s.emit(accrue.TopicPaymentUpdated, s.paymentRes(p))
	writeJSON(w, 200, s.paymentDoc(p, "paymentIntent"))
}

func (s *Sandbox) cancelPayment(w http.ResponseWriter, r *http.Request) {
	p := s.payment(w, r)
	if p == nil {
		return
	}
	wl := s.wallet(p.walletID)
	switch p.status {
	case accrue.PaymentCreated:
		wl.reserved -= p.amount
		wl.balance += p.amount
	case accrue.PaymentWaiting:
		wl.balance += p.captured()
	default:
		writeErr(w, r, 400, "PaymentNotCancelable", "PaymentValidationException", "Only Created or Waiting payments can be canceled; this one is "+p.status+".")
		return
	}
	p.status, p.updatedAt = accrue.PaymentCanceled, s.opts.Now()
	s.emit(accrue.TopicPaymentUpdated, s.paymentRes(p))
	writeJSON(w, 200, s.paymentDoc(p, "paymentIntent"))
}

func (s *Sandbox) refundPayment(w http.ResponseWriter, r *http.Request) {
	p := s.payment(w, r)
	if p == nil {
		return
	}
	var a struct {
		Amount         json.Number `json:"amount"`
		IdempotencyKey string      `json:"idempotencyKey"`
		Disbursement   any         `json:"disbursement"`
	}
	body, ok := readAttrs(w, r, "RefundPayment", &a)
	if !ok {
		return
	}
	if a.IdempotencyKey == "" {
		writeErr(w, r, 400, "ValidationError", "ValidationException", "idempotencyKey is required")
		return
	}
	s.idempotent(w, r, "refundPayment", a.IdempotencyKey, body, func(w http.ResponseWriter) {
		amount, err := strconv.ParseInt(a.Amount.String(), 10, 64)
		if err != nil || amount <= 0 {
			writeErr(w, r, 400, "ValidationError", "ValidationException", "amount must be a positive integer number of cents")
			return
		}
		if len(p.captures) == 0 || (p.status != accrue.PaymentProcessing && p.status != accrue.PaymentSent && p.status != accrue.PaymentWaiting) {
			writeErr(w, r, 400, "PaymentNotRefundable", "PaymentValidationException", "Payment is "+p.status+" and has no capture.")
			return
		}
		if amount > p.captured()-p.refunded() {
			writeErr(w, r, 400, "RefundExceedsCapturedAmount", "PaymentValidationException", "Refund exceeds the captured amount not yet refunded.")
			return
		}
		now := s.opts.Now()
		rf := &sbRefund{id: newUUID(), status: accrue.RefundStatePending, amount: amount, created: now, updated: now}
		p.refunds = append(p.refunds, rf)
		s.wallet(p.walletID).balance += amount
		s.emit(accrue.TopicRefundCreated, refundRes(rf))
		inc := []jres{refundRes(rf)}
		if i := s.intents[p.intentID]; i != nil {
			inc = append(inc, s.intentRes(i))
		}
		writeJSON(w, 200, jres{"data": s.paymentRes(p), "included": inc, "links": jres{"self": r.URL.Path}})
	})
}

// webhookAttrs are the attributes of a Webhook request document.
type webhookAttrs struct {
	Enabled bool     `json:"enabled"`
	Name    string   `json:"name,omitempty"`
	URL     string   `json:"url"`
	Topics  []string `json:"topics"`
}

func (s *Sandbox) webhookAttrsIn(w http.ResponseWriter, r *http.Request) (*webhookAttrs, bool) {
	var a webhookAttrs
	if _, ok := readAttrs(w, r, "Webhook", &a); !ok {
		return nil, false
	}
	u, err := url.Parse(a.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		writeErr(w, r, 400, "ValidationError", "ValidationException", "url must be an absolute http(s) URL")
		return nil, false
	}
	if a.Topics == nil {
		a.Topics = []string{}
	}
	return &a, true
}

func (s *Sandbox) createWebhook(w http.ResponseWriter, r *http.Request) {
	a, ok := s.webhookAttrsIn(w, r)
	if !ok {
		return
	}
	now := s.opts.Now()
	h := &sbWebhook{id: newUUID(), name: a.Name, url: a.URL, enabled: a.Enabled, topics: a.Topics, created: now, updat: now}
	s.webhooks[h.id] = h
	s.hookOrder = append(s.hookOrder, h.id)
	writeJSON(w, 201, jres{"data": webhookRes(h, s.opts.WebhookSecret)})
}

func (s *Sandbox) listWebhooks(w http.ResponseWriter, r *http.Request) {
	limit, offset, ok := parsePage(w, r)
	if !ok {
		return
	}
	var l []jres
	for _, id := range s.hookOrder {
		l = append(l, webhookRes(s.webhooks[id], ""))
	}
	writeJSON(w, 200, listDoc(pageOf(l, limit, offset), len(l), limit, offset))
}

func (s *Sandbox) webhook(w http.ResponseWriter, r *http.Request) *sbWebhook {
	h := s.webhooks[r.PathValue("id")]
	if h == nil {
		writeErr(w, r, 404, "WebhookNotFound", "WebhookNotFoundException", "Webhook not found.")
	}
	return h
}

func (s *Sandbox) getWebhook(w http.ResponseWriter, r *http.Request) {
	if h := s.webhook(w, r); h != nil {
		writeJSON(w, 200, jres{"data": webhookRes(h, "")})
	}
}

func (s *Sandbox) updateWebhook(w http.ResponseWriter, r *http.Request) {
	h := s.webhook(w, r)
	if h == nil {
		return
	}
	a, ok := s.webhookAttrsIn(w, r)
	if !ok {
		return
	}
	h.name, h.url, h.enabled, h.topics, h.updat = a.Name, a.URL, a.Enabled, a.Topics, s.opts.Now()
	writeJSON(w, 200, jres{"data": webhookRes(h, "")})
}

func (s *Sandbox) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if h := s.webhook(w, r); h != nil {
		delete(s.webhooks, h.id)
		for i, id := range s.hookOrder {
			if id == h.id {
				s.hookOrder = append(s.hookOrder[:i], s.hookOrder[i+1:]...)
				break
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// --- webhook delivery

// loopbackURL reports whether u points at a loopback address (the only place the sandbox
// delivers to).
func loopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := p.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// emit queues event topic about res for every enabled webhook subscribed to it.
func (s *Sandbox) emit(topic string, res jres) {
	if len(s.webhooks) == 0 {
		return
	}
	now := s.opts.Now()
	evID := newUUID()
	ev := jres{"id": evID, "type": "WebhookEvent", "attributes": jres{
		"id": evID, "topic": topic, "clientId": s.opts.ClientID, "responseCode": 0,
		"createdAt": stamp(now), "updatedAt": stamp(now),
	}, "relationships": jres{"event": jres{"data": ident(fmt.Sprint(res["type"]), fmt.Sprint(res["id"]))}},
		"included": []jres{res}}
	body, err := json.Marshal(ev)
	if err != nil {
		return
	}
	for _, id := range s.hookOrder {
		h := s.webhooks[id]
		if !h.enabled || !subscribed(h.topics, topic) {
			continue
		}
		if !loopbackURL(h.url) {
			s.log.Warn("accrue sandbox: not delivering to a non-loopback URL", "url", h.url)
			continue
		}
		s.pending = append(s.pending, delivery{url: h.url, secret: s.opts.WebhookSecret, body: body})
	}
}

func subscribed(topics []string, t string) bool {
	if len(topics) == 0 {
		return true
	}
	for _, x := range topics {
		if x == t {
			return true
		}
	}
	return false
}

// flush sends queued deliveries in the background, in order.
func (s *Sandbox) flush() {
	s.mu.Lock()
	p := s.pending
	s.pending = nil
	s.mu.Unlock()
	if len(p) == 0 {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, d := range p {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
			if err != nil {
				cancel()
				continue
			}
			req.Header.Set("Content-Type", accrue.MediaType)
			req.Header.Set(accrue.SignatureHeader, accrue.Sign(d.secret, d.body))
			resp, err := s.opts.WebhookClient.Do(req)
			if err == nil {
				io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
				resp.Body.Close()
				s.mu.Lock()
				s.delivered++
				s.mu.Unlock()
			} else if !errors.Is(err, context.Canceled) {
				s.log.Warn("accrue sandbox: webhook delivery failed", "url", d.url, "err", err)
			}
			cancel()
		}
	}()
}
