package admin

import (
	"time"

	"github.com/terminald/terminald/health"
	"github.com/terminald/terminald/money"
)

// The results below are the "data" of each command's response. Money is integer minor
// units with its ISO 4217 code (money.Amount: {"minor":1250,"currency":"EUR"}), never a
// float; times are RFC 3339. Fields marked omitempty are left out when zero.

// Payment is one payment as the admin API shows it (in "payments" and "status"): the
// stored payment without the provider's private data, the QR payload or what the
// customer typed.
type Payment struct {
	ID         string       `json:"id"`                    // local id, also the provider reference
	Provider   string       `json:"provider"`              // provider name, e.g. "acountpay"
	Amount     money.Amount `json:"amount"`                // the amount asked
	State      string       `json:"state"`                 // new, creating, awaiting, cancelling, paid, failed, expired, cancelled
	Source     string       `json:"source,omitempty"`      // "keypad" or "ecr"
	ProviderID string       `json:"provider_id,omitempty"` // the provider's own id once known
	Detail     string       `json:"detail,omitempty"`      // the provider's last status text
	Reason     string       `json:"reason,omitempty"`      // why it failed, for the cashier
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
	SettledAt  time.Time    `json:"settled_at,omitzero"` // when it was paid
	Receipt    uint64       `json:"receipt,omitempty"`   // receipt number as printed (0042 is 42); 0 until it has one
	Trace      uint64       `json:"trace,omitempty"`     // trace number
	PaidLate   bool         `json:"paid_late,omitempty"` // paid after a local cancel or expiry
	// Unconfirmed: paid, but the cash register never acknowledged the result.
	Unconfirmed bool `json:"unconfirmed,omitempty"`
	// Refunded is how much of it was refunded so far (confirmed), in minor units of
	// Amount's currency.
	Refunded int64 `json:"refunded,omitempty"`
	// Settled is what was paid when it differs from Amount (an accepted underpayment);
	// zero means Amount.
	Settled money.Amount `json:"settled,omitzero"`
	// Attention, when set, is why a person must look at it (e.g. "Underpaid").
	Attention string `json:"attention,omitempty"`
	// Checking: the outcome of the provider call that created it is not known yet.
	Checking bool `json:"checking,omitempty"`
	// Seq is its place in the listing (newest = highest): PaymentsArgs.Before of the next page.
	Seq uint64 `json:"seq,omitempty"`
}

// Paid returns what the payment settled for: Settled when set, else Amount.
func (p Payment) Paid() money.Amount {
	if p.Settled.Currency != "" {
		return p.Settled
	}
	return p.Amount
}

// RefundState says how much of a paid payment was refunded: "" (none), "part" or "all".
func (p Payment) RefundState() string {
	switch {
	case p.Refunded <= 0:
		return ""
	case p.Refunded >= p.Paid().Minor:
		return "all"
	default:
		return "part"
	}
}

// PaymentsResult is the data of "payments": up to the asked limit, newest first, as a
// JSON array (empty, not null, when there are none).
type PaymentsResult []Payment

// StatusResult is the data of "status".
type StatusResult struct {
	Ready     bool            `json:"ready"`            // the engine runs and recovered its payments
	Providers map[string]bool `json:"providers_online"` // by provider name: whether it answered last
	Printer   string          `json:"printer"`          // the engine's view of the printer ("ok", "paper out", …)
	// Language is the terminal's language (terminal.language): amounts the admin
	// commands print and read are in its format; "" is English.
	Language string   `json:"language,omitempty"`
	Current  *Payment `json:"current,omitempty"`
	Open     int      `json:"open_payments"` // in flight or watched for a late payment
	InFlight int      `json:"in_flight"`     // not final
	Refunds  int      `json:"open_refunds"`  // refunds not ended yet
	Outbox   int      `json:"outbox_jobs"`   // print and register jobs waiting
	// Attention lists the open and recent payments that need a person, newest first.
	Attention []Payment `json:"attention,omitempty"`
	// Checking counts payments whose create outcome is still being asked.
	Checking int `json:"checking"`
	// Health is the daemon's checked health (provider probes, display, printer, why
	// degraded); absent in the simulator.
	Health *health.Report `json:"health,omitempty"`
}

// RefundResult is the data of "refund": the refund as it was stored, usually still
// "pending" (it goes on in the background; "status" counts it in open_refunds).
type RefundResult struct {
	ID          string       `json:"id"`         // local id, also the idempotency key at the provider
	PaymentID   string       `json:"payment_id"` // the payment refunded
	Amount      money.Amount `json:"amount"`
	State       string       `json:"state"`                 // pending, done, failed
	Destination string       `json:"destination,omitempty"` // crypto refund address
	ProviderID  string       `json:"provider_id,omitempty"`
	Detail      string       `json:"detail,omitempty"` // the provider's status text (e.g. a wait time)
	Reason      string       `json:"reason,omitempty"` // why it failed
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	AcceptedAt  time.Time    `json:"accepted_at,omitzero"`
	Receipt     uint64       `json:"receipt,omitempty"` // the refund slip's number
}

// ReportRow is one line of an end-of-day report: a count and a total of one provider's
// payments (or refunds) in one currency and result.
type ReportRow struct {
	Provider string `json:"provider"` // "" in the totals
	Result   string `json:"result"`   // "paid", "refund", …; "total" in the totals
	Currency string `json:"currency"` // ISO 4217
	Count    int    `json:"count"`
	Total    int64  `json:"total"` // minor units; negative for refunds
}

// EndOfDayResult is the data of "end-of-day": what was settled since the last end of
// day; the report was also queued for printing, and a new day begun.
type EndOfDayResult struct {
	From        time.Time   `json:"from"` // the previous end of day (zero: the first one)
	To          time.Time   `json:"to"`
	Rows        []ReportRow `json:"rows"`
	Totals      []ReportRow `json:"totals"`                 // per currency
	Differences []string    `json:"differences,omitempty"`  // provider records that disagree with the terminal's
	ReceiptFrom uint64      `json:"receipt_from,omitempty"` // first receipt of the period
	ReceiptTo   uint64      `json:"receipt_to,omitempty"`   // last receipt of the period
}
