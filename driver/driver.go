// Package driver defines what a payment provider implements to be driven by terminald's
// payment engine (package flow), in the manner of database/sql/driver: providers import
// this package and never the engine; the engine imports it and never a provider.
//
// A provider sees a narrow view of a payment (Payment): its reference, its amount, the
// provider's own id and durable data, and whether the engine wants it stopped. It never
// sees the stored record, the engine's control state or other providers' data. What a
// provider learns it reports as an Update; what it must keep across a crash it puts into
// Payment.Data and commits with the Saver before the call that depends on it.
//
// Errors: a provider wraps ErrUnreachable when the outcome of a call is unknown (network
// error, timeout, 5xx or 429 after bounded retries) and ErrCannotCancel (or
// ErrPaymentInProgress) when it cannot cancel; the engine matches them with errors.Is.
//
// Attention: an answer a person must look at (an amount that differs, a status word not
// understood, a confirmed payment with nothing received) is reported either as
// Update.Attention (with the update's Remote) or, when no outcome can be reported, as an
// error carrying an Attentioner (AttentionError); the engine keeps such a payment open,
// records the reason in the payment's record and shows it on the terminal, in status and
// on the receipt.
package driver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/terminald/terminald/money"
)

// Remote is a provider's view of a payment's state.
type Remote int

// Provider-side payment states.
const (
	RemotePending   Remote = iota // created, customer has not paid (yet)
	RemotePaid                    // money received (captured, confirmed)
	RemoteFailed                  // refused or failed for good
	RemoteExpired                 // the provider expired it
	RemoteCancelled               // cancelled at the provider
	RemoteUnderpaid               // less than asked arrived: the cashier decides (Decider)
	RemoteNotFound                // the provider never received the create call
)

// String names r ("pending", "paid", ...); an unknown value is "remote(N)".
func (r Remote) String() string {
	names := [...]string{"pending", "paid", "failed", "expired", "cancelled", "underpaid", "not-found"}
	if r < 0 || int(r) >= len(names) {
		return fmt.Sprintf("remote(%d)", int(r))
	}
	return names[r]
}

// Update is what a provider reports about a payment after a call.
type Update struct {
	Remote     Remote
	ProviderID string    // the provider's id, once known
	QR         string    // payload to show as QR code (may change, e.g. underpayment address)
	ExpiresAt  time.Time // when the provider expires the payment, if known
	Detail     string    // short status for the screen, e.g. "1/3 confirmations"
	Reason     string    // why it failed, for the cashier (short)
	Lines      []string  // extra lines for the screen, e.g. received vs expected on underpayment
	// Paid is what was received in the payment's currency when it is not the amount
	// asked: less (an accepted or gateway-settled underpayment) or more (an overpayment);
	// zero otherwise.
	Paid money.Amount
	// Attention, when set, is a short reason a person must look at this payment (e.g.
	// "Underpaid", "Overpaid", "Unknown status \"x\""). The engine records it with the
	// payment, shows it and prints it. Each update says it anew: an update without it
	// clears an earlier one (the provider's latest word counts).
	Attention string
}

// Payment is a provider's view of one payment. The engine builds it for each call; the
// provider may change ProviderID and Data and commit them with a Saver.
type Payment struct {
	ID         string       // local id: the provider reference and idempotency key
	Amount     money.Amount // amount asked
	ProviderID string       // the provider's own id, once known
	QR         string       // payload last shown as QR code
	ExpiresAt  time.Time    // when the provider expires it, if known
	CreatedAt  time.Time    // when the terminal created it
	// Settled is what was actually paid when it differs from Amount (an accepted
	// underpayment); zero means Amount.
	Settled  money.Amount
	Refunded int64 // minor units refunded so far (confirmed)
	// Data is the provider's own durable data: sub-step ids, keys, and the answers to its
	// Steps (Step.Key). It holds no other provider's or the engine's keys.
	Data map[string]string
	// StopRequested is set by the engine; see CancelRequested.
	StopRequested func() bool
}

// CancelRequested reports whether the engine wants this payment stopped: the cashier or
// the register cancelled it, or nobody waits for it any more. A provider whose own
// process moves money in several steps checks it before each step that would move money
// on (authorize, capture), and stops there. It is safe to call from any goroutine.
func (p *Payment) CancelRequested() bool {
	return p.StopRequested != nil && p.StopRequested()
}

// Paid returns the amount the payment settled for: Settled when set, else Amount.
func (p *Payment) Paid() money.Amount {
	if p.Settled.Currency != "" {
		return p.Settled
	}
	return p.Amount
}

// Saver commits a payment's ProviderID and Data to the store. A provider calls it after
// it put an id or an idempotency key into Data and before the call that depends on it.
type Saver func(*Payment) error

// Provider is a payment provider as the engine sees it. Implementations talk to the
// provider over the network; every method must honour ctx and must be safe to call again
// with the same payment (the payment's ID is the reference / idempotency key).
type Provider interface {
	// Name is the provider's configuration name, e.g. "acountpay".
	Name() string
	// Start creates the payment at the provider. Its intent is already on disk.
	Start(ctx context.Context, p *Payment, save Saver) (Update, error)
	// Check asks the provider for the payment's state. It must work when p.ProviderID is
	// empty (a crash between create and storing its answer) by finding the payment by its
	// reference, and report RemoteNotFound when the provider never got it. Check may drive
	// a provider-side process on (e.g. capture an authorized payment).
	Check(ctx context.Context, p *Payment, save Saver) (Update, error)
	// Cancel cancels the payment at the provider. It returns ErrCannotCancel when the
	// provider has no cancel or it is too late; the engine then abandons locally and watches.
	Cancel(ctx context.Context, p *Payment, save Saver) (Update, error)
	// Ping checks that the provider answers, cheaply.
	Ping(ctx context.Context) error
}

// Step is one piece of customer or cashier input a provider needs before Start.
type Step struct {
	Key     string   // the answer is stored in Payment.Data[Key]
	Prompt  string   // e.g. "Scan wallet code"
	Options []string // non-empty: choose one by its number; the answer is the option text
	Text    bool     // free text keyed on the keypad (digits)
	Scan    bool     // a scanned code answers it (may be keyed when Text is also set)
	// Refresh, when set, is called every Every to refresh Lines while the step is shown
	// (a crypto quote); the step is answered with OK.
	Refresh func(ctx context.Context, p *Payment) ([]string, error)
	Every   time.Duration
	Lines   []string
}

// Asker is a provider that needs input before Start. NextStep returns nil when it has all
// it needs; it sees earlier answers in p.Data.
type Asker interface {
	NextStep(ctx context.Context, p *Payment) (*Step, error)
}

// Decider is a provider whose payments can need a cashier's decision (RemoteUnderpaid).
type Decider interface {
	// Accept accepts the payment as it stands (e.g. an underpayment).
	Accept(ctx context.Context, p *Payment, save Saver) (Update, error)
}

// RefundState is where a refund stands at the provider.
type RefundState string

// Refund states, the same words as the store's.
const (
	RefundPending RefundState = "pending" // not yet accepted by the provider
	RefundSent    RefundState = "sent"    // accepted by the provider, not yet confirmed
	RefundDone    RefundState = "done"    // the provider confirmed the money went back
	RefundFailed  RefundState = "failed"  // the provider refused it for good
)

// Refund is a provider's view of one refund of an earlier payment.
type Refund struct {
	ID          string       // local id: the idempotency key sent to the provider
	Amount      money.Amount // amount to give back
	Destination string       // where to (a crypto refund address), when the provider needs one
	ProviderID  string       // the provider's id of the refund, once known
	Data        map[string]string
}

// RefundUpdate is what a provider reports about a refund.
type RefundUpdate struct {
	State      RefundState
	ProviderID string
	Detail     string // e.g. "wait time 2 hours"
	Reason     string
}

// Refunder is a provider that can give money back.
type Refunder interface {
	// Refund asks for the refund r of payment p. r is on disk as pending; r.ID is its
	// idempotency key. It must be safe to repeat; save commits r's ProviderID and Data.
	Refund(ctx context.Context, p *Payment, r *Refund, save func(*Refund) error) (RefundUpdate, error)
	// CheckRefund asks for the state of an accepted refund.
	CheckRefund(ctx context.Context, p *Payment, r *Refund) (RefundUpdate, error)
	// RefundNeedsDestination reports whether a refund needs a destination (crypto address).
	RefundNeedsDestination() bool
}

// WholeRefunder is a Refunder that refunds whole payments only (what is left of the
// payment, in one refund): the terminal asks no amount for it.
type WholeRefunder interface {
	Refunder
	// RefundsWholeOnly reports whether every refund must be the whole amount left.
	RefundsWholeOnly() bool
}

// Record is one of the terminal's payments of a period, as a Reconciler compares them.
type Record struct {
	ID         string
	Amount     money.Amount
	ProviderID string
	Data       map[string]string // the provider's own data
	State      string            // the engine's state word, for the report ("paid", ...)
	Paid       bool              // the terminal recorded it as paid
}

// Reconciler is a provider that can compare the terminal's payments of a period with its
// own records (end of day). It returns one printable line per difference.
type Reconciler interface {
	ReconcileDay(ctx context.Context, from, to time.Time, local []Record) ([]string, error)
}

// Errors providers return (wrapped) so the engine can tell outcomes apart.
var (
	// ErrUnreachable: the provider could not be reached or did not answer in time
	// (network error, timeout, 5xx/429 after bounded retries). The outcome is unknown:
	// the engine keeps the payment and asks again later.
	ErrUnreachable = errors.New("provider unreachable")
	// ErrCannotCancel: the provider cannot cancel this payment (no cancel, or too late).
	ErrCannotCancel = errors.New("provider cannot cancel")
	// ErrPaymentInProgress: the cancel was refused because the customer's money is
	// already on its way (a crypto transaction seen, a capture running). It wraps
	// ErrCannotCancel; the engine keeps the payment on screen, keeps watching and says so.
	ErrPaymentInProgress = fmt.Errorf("%w: payment already in progress", ErrCannotCancel)
)

// RetryAfterError carries the wait a provider asked for (HTTP Retry-After) when it gave
// up on a call because of it (a 429 or 503 whose wait was longer than its own retries may
// take). Err is the error itself (usually wrapping ErrUnreachable); After is the wait.
// The engine asks that provider about the payment no sooner than After from now.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

// Error returns Err's text.
func (e *RetryAfterError) Error() string { return e.Err.Error() }

// Unwrap returns Err (errors.Is(err, ErrUnreachable) still holds).
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns the wait a provider error asked for: the After of a RetryAfterError
// in err's chain, 0 when there is none.
func RetryAfter(err error) time.Duration {
	var ra *RetryAfterError
	if errors.As(err, &ra) && ra.After > 0 {
		return ra.After
	}
	return 0
}

// Attentioner is implemented by provider errors for an answer the provider understood
// but cannot take as an outcome: a person must look (a confirmed crypto payment with
// nothing received, an amount that differs from the sale). The engine keeps the payment
// open, asks again, and records and shows Attention; the provider counts as reachable.
type Attentioner interface {
	Attention() string
}

// AttentionError wraps Err (the cause) with Reason, a short text for the cashier of why
// a person must look at the payment. It implements Attentioner.
type AttentionError struct {
	Reason string // short, e.g. "Amount differs at Accrue"
	Err    error
}

// Error implements error.
func (e *AttentionError) Error() string {
	if e.Err == nil {
		return "needs attention: " + e.Reason
	}
	return e.Err.Error() + " (needs attention: " + e.Reason + ")"
}

// Unwrap returns the cause.
func (e *AttentionError) Unwrap() error { return e.Err }

// Attention returns Reason.
func (e *AttentionError) Attention() string { return e.Reason }

// AttentionOf returns the attention reason err carries (an Attentioner in its chain),
// or "" when it carries none.
func AttentionOf(err error) string {
	var a Attentioner
	if err != nil && errors.As(err, &a) {
		return a.Attention()
	}
	return ""
}

// CashierMessager is implemented by provider errors that carry a short message fit for
// the cashier's screen (e.g. "Insufficient balance").
type CashierMessager interface {
	CashierMessage() string
}

// CashierMessage returns a short text for err fit for the screen: the error's own
// CashierMessage, "Provider offline" for ErrUnreachable, else the error text cut to 60
// bytes.
func CashierMessage(err error) string {
	var cm CashierMessager
	if errors.As(err, &cm) {
		return cm.CashierMessage()
	}
	if errors.Is(err, ErrUnreachable) {
		return "Provider offline"
	}
	s := err.Error()
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

// Clone returns a deep copy of p (StopRequested is shared).
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
