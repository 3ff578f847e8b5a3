package store

import (
	"time"

	"github.com/terminald/terminald/money"
)

// State is where a payment stands in the flow.
type State string

// Payment states. A payment moves new → creating → awaiting → one of the final states;
// cancelling is held while a cancel is not yet confirmed by the provider.
const (
	StateNew        State = "new"        // amount known, nothing sent to a provider yet
	StateCreating   State = "creating"   // intent on disk, create call to the provider under way
	StateAwaiting   State = "awaiting"   // provider has the payment; QR on screen, polling
	StateCancelling State = "cancelling" // cancel asked, provider not yet confirmed it
	StatePaid       State = "paid"       // provider reports the money received
	StateFailed     State = "failed"     // provider refused or failed the payment
	StateExpired    State = "expired"    // the customer did not pay in time
	StateCancelled  State = "cancelled"  // cancelled by the cashier or register
)

// Final reports whether s is an end state.
func (s State) Final() bool {
	switch s {
	case StatePaid, StateFailed, StateExpired, StateCancelled:
		return true
	}
	return false
}

// CancelState is how far a cancel of a payment has got (Payment.Cancel).
type CancelState string

// Cancel states. The zero value means no cancel was asked.
const (
	CancelNone      CancelState = ""
	CancelRequested CancelState = "requested" // asked, not yet accepted by the provider
	CancelSent      CancelState = "sent"      // accepted by the provider, not final yet
)

// AbandonReason says why nobody waits for a payment any more (Payment.Abandon): the
// engine cancels it and watches it in the background.
type AbandonReason string

// Abandon reasons. The zero value means someone (cashier or register) still waits.
const (
	AbandonNone    AbandonReason = ""
	AbandonOffline AbandonReason = "offline" // the provider was unreachable when it was created
	AbandonRestart AbandonReason = "restart" // the terminal restarted while it was open
)

// ECRState is where a register payment's acknowledgement stands (Payment.ECR).
type ECRState string

// Register acknowledgement states. The zero value: not a register payment.
const (
	ECRNone        ECRState = ""
	ECRPending     ECRState = "pending"     // the register has not acknowledged the result yet
	ECRConfirmed   ECRState = "confirmed"   // the register acknowledged the result
	ECRUnconfirmed ECRState = "unconfirmed" // the register never acknowledged it
)

// Decision is the cashier's decision on an underpayment (Payment.Decision).
type Decision string

// Decisions. The zero value: nothing was decided.
const (
	DecisionNone      Decision = ""
	DecisionAccepted  Decision = "accepted"  // the cashier took the underpayment as it stands
	DecisionCancelled Decision = "cancelled" // the cashier cancelled the underpaid payment
)

// Payment is the durable record of one payment. It is written before every side effect
// and after every outcome.
type Payment struct {
	ID         string            `json:"id"`                    // local id, also the provider reference / idempotency key
	Provider   string            `json:"provider"`              // provider module name, e.g. "acountpay"
	Amount     money.Amount      `json:"amount"`                // requested amount
	State      State             `json:"state"`                 // flow state
	Source     string            `json:"source,omitempty"`      // "keypad" or "ecr"
	ProviderID string            `json:"provider_id,omitempty"` // the provider's own id once known
	QR         string            `json:"qr,omitempty"`          // payload shown as QR code
	Customer   string            `json:"customer,omitempty"`    // customer input: wallet code, phone, crypto currency
	Detail     string            `json:"detail,omitempty"`      // last provider status text
	Reason     string            `json:"reason,omitempty"`      // why it failed, for the cashier
	Data       map[string]string `json:"data,omitempty"`        // the provider's own durable data (sub-step ids, answers); the engine never reads it

	// The engine's control state (schema 3; before, string keys in Data).
	Cancel        CancelState   `json:"cancel,omitempty"`         // how far a cancel has got
	Abandon       AbandonReason `json:"abandon,omitempty"`        // why nobody waits for it any more
	ECR           ECRState      `json:"ecr,omitempty"`            // the register's acknowledgement
	Decision      Decision      `json:"decision,omitempty"`       // the cashier's decision on an underpayment
	ExpiryChecked bool          `json:"expiry_checked,omitempty"` // the last check before a local expiry was made

	ExpiresAt  time.Time `json:"expires_at,omitzero"`  // when the provider expires it
	WatchUntil time.Time `json:"watch_until,omitzero"` // keep asking the provider until then (late payments)
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	SettledAt  time.Time `json:"settled_at,omitzero"` // when it reached paid (end-of-day counts by this)

	Receipt     uint64 `json:"receipt,omitempty"`     // receipt number, assigned at the end
	Trace       uint64 `json:"trace,omitempty"`       // trace number, assigned at creation
	PaidLate    bool   `json:"paid_late,omitempty"`   // the provider reported paid after a local cancel/expiry
	Unconfirmed bool   `json:"unconfirmed,omitempty"` // paid, but the register never acknowledged the result
	Refunded    int64  `json:"refunded,omitempty"`    // minor units refunded so far (confirmed)
	// Settled is what was actually paid when it differs from Amount (an underpayment the
	// cashier accepted); zero means Amount.
	Settled     money.Amount `json:"settled,omitzero"`
	ClockSynced bool         `json:"clock_synced,omitempty"` // the system clock was synced when it was created
	// Attention, when set, is why a person must look at this payment (the provider's
	// short reason, e.g. "Underpaid", "Overpaid", "Amount differs at Accrue"). Shown on the
	// terminal, in status and payments, and printed.
	Attention string `json:"attention,omitempty"`
	// Checking: the outcome of the create call is unknown (a fault, not an answer): the
	// engine asks the provider until it answers, shows "checking", never fails it for that.
	Checking bool `json:"checking,omitempty"`

	// Seq is the payment's sequence number: its place in the order of payments (newest
	// = highest), assigned by the store when the payment is first written and filled in
	// on every read. It is the listing's cursor (Query.Before). Not part of the record.
	// 0 for a payment of a schema-2 history that MigrateHistory has not moved yet (read
	// by id, receipt or settled time from the old layout).
	Seq uint64 `json:"seq,omitempty"`
}

// Open reports whether p still needs work: it is not final, or it is being watched for a
// late answer from its provider.
func (p *Payment) Open(now time.Time) bool {
	return !p.State.Final() || (!p.WatchUntil.IsZero() && now.Before(p.WatchUntil))
}

// CancelAsked reports whether a cancel was asked and the payment is not known to be
// over yet (requested or sent).
func (p *Payment) CancelAsked() bool {
	return p.Cancel == CancelRequested || p.Cancel == CancelSent
}

// Paid returns the amount the payment settled for: Settled when set, else Amount.
func (p *Payment) Paid() money.Amount {
	if p.Settled.Currency != "" {
		return p.Settled
	}
	return p.Amount
}

// Clone returns a deep copy of p.
func (p *Payment) Clone() *Payment {
	c := *p
	if p.Data != nil {
		c.Data = make(map[string]string, len(p.Data))
		for k, v := range p.Data {
			c.Data[k] = v
		}
	}
	return &c
}
