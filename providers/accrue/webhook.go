package accrue

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
	"strings"
)

// SignatureHeader carries the hex HMAC-SHA256 of the raw webhook body.
const SignatureHeader = "x-accrue-signature"

// MaxWebhookBytes bounds a webhook body.
const MaxWebhookBytes = 256 << 10

// Webhook topics the terminal listens to.
const (
	TopicPaymentIntentCreated = "paymentIntentCreated"
	TopicPaymentIntentUpdated = "paymentIntentUpdated"
	TopicPaymentCreated       = "paymentCreated"
	TopicPaymentUpdated       = "paymentUpdated"
	TopicPaymentCaptured      = "paymentCaptured"
	TopicRefundCreated        = "refundCreated"
	TopicRefundUpdated        = "refundUpdated"
)

// PaymentTopics are the topics RegisterWebhook subscribes to.
var PaymentTopics = []string{TopicPaymentIntentCreated, TopicPaymentIntentUpdated, TopicPaymentCreated,
	TopicPaymentUpdated, TopicPaymentCaptured, TopicRefundCreated, TopicRefundUpdated}

// Sign returns the x-accrue-signature value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether sig is the signature of body under secret, in constant time.
func VerifySignature(secret string, body []byte, sig string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil || len(got) != sha256.Size || secret == "" {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// Event is the part of a webhook event the terminal uses.
type Event struct {
	ID    string
	Topic string
	// Resources are the included resources: type and id, plus the payment intent a
	// payment belongs to when the event names it.
	Resources []EventResource
}

// EventResource is one resource an event is about.
type EventResource struct {
	Type            string // "PaymentIntent", "Payment", "Refund", "Capture", ...
	ID              string
	PaymentIntentID string // for a Payment with a paymentIntent relationship
}

// ParseEvent decodes a webhook body: a WebhookEvent resource at top level (as Accrue's
// samples show) or wrapped in "data", with the resource in "included".
func ParseEvent(body []byte) (*Event, error) {
	var top struct {
		resource
		Data     json.RawMessage `json:"data"`
		Included []resource      `json:"included"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("accrue: webhook: %w: %v", ErrBadResponse, err)
	}
	ev := top.resource
	if d := bytes.TrimSpace(top.Data); len(d) > 0 && d[0] == '{' {
		if err := json.Unmarshal(d, &ev); err != nil {
			return nil, fmt.Errorf("accrue: webhook: %w: data: %v", ErrBadResponse, err)
		}
	}
	if ev.Type != "WebhookEvent" {
		return nil, fmt.Errorf("accrue: webhook: %w: type %q, want WebhookEvent", ErrBadResponse, clip(ev.Type, 40))
	}
	var a struct {
		Topic string `json:"topic"`
	}
	if err := unmarshalAttrs(&ev, &a); err != nil {
		return nil, fmt.Errorf("accrue: webhook: %w", err)
	}
	out := &Event{ID: ev.ID, Topic: a.Topic}
	for i := range top.Included {
		r := &top.Included[i]
		if r.ID == "" {
			continue
		}
		er := EventResource{Type: r.Type, ID: r.ID}
		if pi := r.rel("paymentIntent"); len(pi) > 0 {
			er.PaymentIntentID = pi[0]
		}
		out.Resources = append(out.Resources, er)
	}
	if len(out.Resources) == 0 {
		for _, id := range ev.rel("event") {
			out.Resources = append(out.Resources, EventResource{ID: id})
		}
	}
	return out, nil
}

// WebhookHandler returns an http.Handler for Accrue webhooks signed with secret. A valid
// event calls hint with the ids it names (payment intent ids, which are the terminal's
// Payment.ProviderID, and payment or refund ids); the flow should then Check the payment.
// A webhook is only a hint: the terminal polls regardless.
func WebhookHandler(secret string, hint func(providerID string), logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		if !VerifySignature(secret, body, r.Header.Get(SignatureHeader)) {
			logger.Warn("accrue: webhook with bad signature", "remote", r.RemoteAddr)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		ev, err := ParseEvent(body)
		if err != nil {
			logger.Warn("accrue: bad webhook", "err", err)
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		logger.Info("accrue: webhook", "topic", ev.Topic, "event", ev.ID)
		seen := map[string]bool{}
		for _, res := range ev.Resources {
			for _, id := range []string{res.PaymentIntentID, res.ID} {
				if id != "" && !seen[id] && hint != nil {
					seen[id] = true
					hint(id)
				}
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// WebhookHandler returns the webhook handler for the provider's Config.WebhookSecret.
// Without a secret every webhook is refused.
func (pr *Provider) WebhookHandler(hint func(providerID string)) http.Handler {
	return WebhookHandler(pr.cl.cfg.WebhookSecret, hint, pr.log)
}

// RegisterWebhook registers url for the payment topics and returns the webhook with its
// secret (shown by Accrue only once: store it as Config.WebhookSecret).
func (cl *Client) RegisterWebhook(ctx context.Context, name, url string) (*Webhook, error) {
	return cl.CreateWebhook(ctx, WebhookRequest{Name: name, URL: url, Enabled: true, Topics: PaymentTopics})
}
