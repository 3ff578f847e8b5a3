package cryptogw

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// maxWebhookBody bounds a webhook body.
const maxWebhookBody = 64 << 10

// Webhook is a decoded gateway notification. It is unsigned: nothing in it is trusted.
type Webhook struct {
	Event       string // e.g. "payment.confirmed" (seed); empty on the live body
	PaymentID   string
	ReferenceNo string // live body: the reference_no sent with StartPayment
	// Test is set for the gateway's {"webhook_test": ...} probe (sent when a webhook URL
	// is checked with Ping); it carries no payment.
	Test bool
}

// DecodeWebhook reads a webhook body: the seed's {event, payment_id, ...}, the live
// {payment_id, reference_no} or the {"webhook_test": ...} probe. Only event, payment_id
// and reference_no are looked at; payment_id must be 1-128 letters, digits, '-', '_'
// or '.'.
func DecodeWebhook(body []byte) (Webhook, error) {
	var w struct {
		Event       flex  `json:"event"`
		PaymentID   flex  `json:"payment_id"`
		ReferenceNo flex  `json:"reference_no"`
		WebhookTest *flex `json:"webhook_test"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return Webhook{}, &DecodeError{Endpoint: "webhook", Err: err}
	}
	if w.WebhookTest != nil && w.PaymentID.kind == 0 {
		return Webhook{Test: true}, nil
	}
	c := fields{endpoint: "webhook"}
	h := Webhook{Event: c.str("event", w.Event), PaymentID: c.str("payment_id", w.PaymentID),
		ReferenceNo: c.str("reference_no", w.ReferenceNo)}
	if c.err != nil {
		return Webhook{}, c.err
	}
	if !saneID(h.PaymentID, 128) {
		return Webhook{}, &DecodeError{Endpoint: "webhook", Field: "payment_id", Err: errors.New("missing or malformed")}
	}
	if len(h.Event) > 64 || (h.Event != "" && !strings.HasPrefix(h.Event, "payment.")) {
		return Webhook{}, &DecodeError{Endpoint: "webhook", Field: "event", Err: errors.New("not a payment event")}
	}
	return h, nil
}

// NewWebhookHandler returns the handler for the gateway's unsigned webhooks
// (payment.confirmed, .cancelled, .underpaid, .refunded). It only reads payment_id and
// calls hint with it; the caller then asks CheckPayment for the truth, so a forged
// webhook changes nothing by itself. hint must not block. A webhook_test probe is
// answered 200 without a hint. Bad bodies get 400, other methods than POST 405.
func NewWebhookHandler(hint func(paymentID string), logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
		if err != nil || len(body) > maxWebhookBody {
			http.Error(w, "body too large or unreadable", http.StatusBadRequest)
			return
		}
		h, err := DecodeWebhook(body)
		if err != nil {
			logger.Warn("cryptogw: bad webhook", "err", err)
			http.Error(w, "bad webhook", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if h.Test {
			logger.Info("cryptogw: webhook test received")
			io.WriteString(w, `{"ok":true,"webhook_test":true}`)
			return
		}
		logger.Debug("cryptogw: webhook", "event", h.Event, "payment_id", h.PaymentID)
		hint(h.PaymentID)
		io.WriteString(w, `{"ok":true}`)
	})
}
