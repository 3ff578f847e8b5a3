package store

import (
	"time"

	"github.com/terminald/terminald/money"
)

// RefundState is where a refund stands.
type RefundState string

// Refund states: a refund is pending until the provider accepted it, then sent (accepted,
// money on its way), done (confirmed) or failed.
const (
	RefundPending RefundState = "pending" // on disk, not yet accepted by the provider
	RefundSent    RefundState = "sent"    // accepted by the provider, not yet confirmed
	RefundDone    RefundState = "done"    // provider confirmed the money went back
	RefundFailed  RefundState = "failed"  // provider refused it for good
)

// Final reports whether s is an end state.
func (s RefundState) Final() bool { return s == RefundDone || s == RefundFailed }

// Refund is the durable record of one refund of an earlier payment.
type Refund struct {
	ID          string            `json:"id"`         // local id, also the idempotency key sent to the provider
	PaymentID   string            `json:"payment_id"` // the payment refunded
	Amount      money.Amount      `json:"amount"`
	State       RefundState       `json:"state"`
	Destination string            `json:"destination,omitempty"` // crypto refund address
	ProviderID  string            `json:"provider_id,omitempty"`
	Detail      string            `json:"detail,omitempty"` // provider status text (e.g. wait time)
	Reason      string            `json:"reason,omitempty"`
	Data        map[string]string `json:"data,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	AcceptedAt  time.Time         `json:"accepted_at,omitzero"` // when the provider accepted it (end-of-day counts by this)
	Receipt     uint64            `json:"receipt,omitempty"`
}
