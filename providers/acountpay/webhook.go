package acountpay

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/terminald/terminald/driver"
)

// Webhook limits.
const (
	// WebhookMaxBody bounds a webhook body; larger ones get 413.
	WebhookMaxBody = 64 << 10
	// WebhookTolerance is how far a scheme-A timestamp may be from now.
	WebhookTolerance = 5 * time.Minute
	// webhookSeen is how many event keys are remembered for deduplication.
	webhookSeen = 4096
)

// Webhook signature headers.
const (
	HeaderTimestamp        = "X-AcountPay-Timestamp"
	HeaderSignature        = "X-AcountPay-Signature"
	HeaderWebhookSignature = "X-Webhook-Signature"
	// HeaderSignatureMisspelt is the misspelling AcountPay's plugin also reads (some
	// proxies deliver it); treated as HeaderSignature.
	HeaderSignatureMisspelt = "X-AccountPay-Signature"
)

// ErrBadSignature is returned for webhooks whose signature is missing, wrong or stale.
var ErrBadSignature = errors.New("bad webhook signature")

// WebhookEvent is a decoded AcountPay webhook.
type WebhookEvent struct {
	EventID        string // eventId (or id) when sent: the deduplication key
	Event          string // e.g. "payment.completed"; "payment.status_changed" for a flat body without one
	Timestamp      string // as sent
	PaymentID      string // paymentId (data.paymentId in the nested shape)
	Reference      string // referenceNumber: the payment's local ID
	Status         string // status
	InternalStatus string // internalStatus (flat shape only)
	Amount         string // amount as sent, major units ("" when absent)
	Currency       string // currency as sent
	Flat           bool   // the body had the plugin's flat shape
}

// webhookFields are the payment fields of a webhook, at the top level (flat shape) or
// under "data" (nested shape).
type webhookFields struct {
	PaymentID       flexID      `json:"paymentId"`
	ID              flexID      `json:"id"`
	Status          string      `json:"status"`
	InternalStatus  string      `json:"internalStatus"`
	ReferenceNumber string      `json:"referenceNumber"`
	Amount          json.Number `json:"amount"`
	Currency        string      `json:"currency"`
}

// ParseWebhook decodes a webhook body in either published shape. It does not verify the
// signature.
//
//   - nested (seeds): {event, eventId, timestamp, data:{paymentId, status, amount,
//     currency, referenceNumber, paidAt, ...}};
//   - flat (AcountPay's own shop plugin): {eventId, event, referenceNumber, paymentId,
//     status, internalStatus, amount, currency, refundedAmount}.
//
// A body with a "data" object is read as nested; otherwise the top-level fields are read.
// The top-level "id" is an event id only in the nested shape.
func ParseWebhook(body []byte) (WebhookEvent, error) {
	var raw struct {
		EventID   flexID          `json:"eventId"`
		Event     string          `json:"event"`
		Type      string          `json:"type"`
		Timestamp json.RawMessage `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
		webhookFields
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return WebhookEvent{}, fmt.Errorf("acountpay: webhook: %w", err)
	}
	ev := WebhookEvent{EventID: string(raw.EventID), Event: raw.Event}
	if ev.Event == "" {
		ev.Event = raw.Type
	}
	if len(raw.Timestamp) > 0 {
		ev.Timestamp = strings.Trim(string(raw.Timestamp), `"`)
	}
	f := raw.webhookFields
	if d := bytes.TrimSpace(raw.Data); len(d) > 0 && d[0] == '{' {
		var inner webhookFields
		if err := json.Unmarshal(d, &inner); err != nil {
			return WebhookEvent{}, fmt.Errorf("acountpay: webhook: data: %w", err)
		}
		if ev.EventID == "" {
			ev.EventID = string(raw.ID)
		}
		f = inner
	} else {
		ev.Flat = true
		if ev.Event == "" {
			ev.Event = "payment.status_changed"
		}
	}
	ev.PaymentID, ev.Reference, ev.Status, ev.InternalStatus = string(f.PaymentID), f.ReferenceNumber, f.Status, f.InternalStatus
	ev.Amount, ev.Currency = f.Amount.String(), f.Currency
	if ev.PaymentID == "" {
		ev.PaymentID = string(f.ID)
	}
	if ev.Reference == "" && ev.PaymentID == "" && (ev.Flat || ev.Event == "") {
		return WebhookEvent{}, errors.New("acountpay: webhook: no event, reference or payment id")
	}
	return ev, nil
}

// VerifyWebhook checks a webhook's signature with secret. It accepts the three published
// schemes:
//
//   - A: X-AcountPay-Timestamp (Unix seconds) and X-AcountPay-Signature, the hex
//     HMAC-SHA256 of "<timestamp>.<body>"; the timestamp must be within WebhookTolerance
//     of now (a "sha256=" prefix on the signature is tolerated);
//   - B: X-Webhook-Signature, the hex HMAC-SHA256 of the body ("sha256=" tolerated);
//   - plugin: X-AcountPay-Signature "sha256=<hex HMAC-SHA256 of the body>" without a
//     timestamp header (also read from X-AccountPay-Signature, as the plugin does).
//
// Comparison is constant-time. A bare X-AcountPay-Signature without timestamp or prefix is
// rejected.
func VerifyWebhook(secret []byte, h http.Header, body []byte, now time.Time) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no webhook secret configured", ErrBadSignature)
	}
	mac := func(parts ...[]byte) []byte {
		m := hmac.New(sha256.New, secret)
		for _, p := range parts {
			m.Write(p)
		}
		return m.Sum(nil)
	}
	check := func(sig string, want []byte) error {
		got, err := hex.DecodeString(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sig), "sha256=")))
		if err != nil || !hmac.Equal(got, want) {
			return fmt.Errorf("%w: mismatch", ErrBadSignature)
		}
		return nil
	}
	ts, sigA, sigB := h.Get(HeaderTimestamp), h.Get(HeaderSignature), h.Get(HeaderWebhookSignature)
	if sigA == "" {
		sigA = h.Get(HeaderSignatureMisspelt)
	}
	switch {
	case ts != "" && sigA != "":
		sec, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: timestamp %q is not Unix seconds", ErrBadSignature, printable(ts, 20))
		}
		if d := now.Sub(time.Unix(sec, 0)); d > WebhookTolerance || d < -WebhookTolerance {
			return fmt.Errorf("%w: timestamp %d is %v away from now", ErrBadSignature, sec, d.Round(time.Second))
		}
		return check(sigA, mac([]byte(strings.TrimSpace(ts)), []byte("."), body))
	case sigA != "" && strings.HasPrefix(strings.TrimSpace(sigA), "sha256="):
		return check(sigA, mac(body))
	case sigB != "":
		return check(sigB, mac(body))
	}
	return fmt.Errorf("%w: no signature header", ErrBadSignature)
}

// WebhookHandler receives AcountPay webhooks. It verifies them, drops duplicates (by
// eventId, else by a hash of the body, remembering the last 4096) and calls its hint with
// the payment's reference and AcountPay id so the flow polls it at once. It never changes a
// payment itself. Answers: 200 (also for duplicates), 401 bad signature, 400 unreadable
// body, 405 not POST, 413 body over WebhookMaxBody.
type WebhookHandler struct {
	secret []byte
	hint   func(reference, paymentID string)
	log    *slog.Logger
	now    func() time.Time

	mu    sync.Mutex
	seen  map[string]struct{}
	order []string // ring of remembered keys
	next  int
}

// NewWebhookHandler returns a handler verifying with secret. hint is called for every new
// payment event and must return quickly (e.g. a non-blocking channel send); it may be nil.
// logger may be nil.
func NewWebhookHandler(secret string, hint func(reference, paymentID string), logger *slog.Logger) *WebhookHandler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &WebhookHandler{
		secret: []byte(secret),
		hint:   hint,
		log:    logger.With("provider", "acountpay", "part", "webhook"),
		now:    time.Now,
		seen:   make(map[string]struct{}, webhookSeen),
		order:  make([]string, webhookSeen),
	}
}

// WebhookHandler returns a webhook receiver using the configured WebhookSecret.
func (p *Provider) WebhookHandler(hint func(reference, paymentID string)) (*WebhookHandler, error) {
	if p.cfg.WebhookSecret == "" {
		return nil, errors.New("acountpay: config WebhookSecret: required for the webhook receiver")
	}
	return NewWebhookHandler(p.cfg.WebhookSecret, hint, p.log), nil
}

// firstSeen records key and reports whether it was new.
func (h *WebhookHandler) firstSeen(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.seen[key]; ok {
		return false
	}
	if old := h.order[h.next]; old != "" {
		delete(h.seen, old)
	}
	h.order[h.next] = key
	h.next = (h.next + 1) % len(h.order)
	h.seen[key] = struct{}{}
	return true
}

// ServeHTTP handles one webhook delivery.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, WebhookMaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if err := VerifyWebhook(h.secret, r.Header, body, h.now()); err != nil {
		h.log.Warn("webhook rejected", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	ev, err := ParseWebhook(body)
	if err != nil {
		h.log.Warn("webhook unreadable", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	key := "id:" + ev.EventID
	if ev.EventID == "" {
		sum := sha256.Sum256(body)
		key = "sha:" + hex.EncodeToString(sum[:])
	}
	if !h.firstSeen(key) {
		h.log.Debug("duplicate webhook", "event", ev.Event, "reference", ev.Reference)
		w.WriteHeader(http.StatusOK)
		return
	}
	level := slog.LevelInfo
	if sw, known := resolveStatus(ev.Status, ev.InternalStatus); (ev.Status != "" || ev.InternalStatus != "") &&
		(!known || sw.attention || sw.remote == driver.RemoteFailed) {
		// A failure or a refund may reverse a payment the terminal already recorded as
		// paid: the terminal polls the pending ones; a person checks the others.
		level = slog.LevelWarn
	}
	h.log.Log(context.Background(), level, "webhook", "event", ev.Event, "reference", ev.Reference, "payment_id", ev.PaymentID,
		"status", printable(ev.Status, 40), "internal_status", printable(ev.InternalStatus, 40), "flat", ev.Flat)
	if h.hint != nil && (ev.Event == "" || strings.HasPrefix(ev.Event, "payment.")) {
		h.hint(ev.Reference, ev.PaymentID)
	}
	w.WriteHeader(http.StatusOK)
}
