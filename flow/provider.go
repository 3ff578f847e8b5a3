package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// Remote is a provider's view of a payment.
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

// String names r.
func (r Remote) String() string {
	return [...]string{"pending", "paid", "failed", "expired", "cancelled", "underpaid", "not-found"}[r]
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
	// asked (an accepted underpayment); zero otherwise.
	Paid money.Amount
}

// Saver commits a payment to the store. A provider calls it after it put an id or an
// idempotency key into Payment.Data and before the call that depends on it.
type Saver func(*store.Payment) error

// Provider is a payment provider as the flow sees it. Implementations talk to the
// provider over the network; every method must honour ctx and must be safe to call again
// with the same payment (the payment's ID is the reference / idempotency key).
type Provider interface {
	// Name is the provider's configuration name, e.g. "acountpay".
	Name() string
	// Start creates the payment at the provider. p is already on disk in StateCreating.
	Start(ctx context.Context, p *store.Payment, save Saver) (Update, error)
	// Check asks the provider for the payment's state. It must work when p.ProviderID is
	// empty (a crash between create and storing its answer) by finding the payment by its
	// reference, and report RemoteNotFound when the provider never got it. Check may drive
	// a provider-side process on (e.g. capture an authorized payment).
	Check(ctx context.Context, p *store.Payment, save Saver) (Update, error)
	// Cancel cancels the payment at the provider. It returns ErrCannotCancel when the
	// provider has no cancel or it is too late; the flow then abandons locally and watches.
	Cancel(ctx context.Context, p *store.Payment, save Saver) (Update, error)
	// Ping checks that the provider answers, cheaply.
	Ping(ctx context.Context) error
}

// CancelRequested reports whether the flow wants payment p stopped: the cashier or the
// register cancelled it, or nobody waits for it any more (created while the provider was
// unreachable, or a register payment left over from before a restart). A provider whose
// own process moves money in several steps checks it before each step that would move
// money on (authorize, capture), and stops there; every Saver call refreshes p.Data.
func CancelRequested(p *store.Payment) bool {
	return cancelAsked(p) || p.Data["abandon"] != ""
}

// cancelAsked reports whether a cancel was asked for p ("requested": not yet accepted
// by the provider; "sent": accepted, not yet final).
func cancelAsked(p *store.Payment) bool {
	v := p.Data["cancel"]
	return v == "requested" || v == "sent"
}

// Step is one piece of customer or cashier input a provider needs before Start.
type Step struct {
	Key     string   // answer is stored in Payment.Data[Key]
	Prompt  string   // e.g. "Scan wallet code"
	Options []string // non-empty: choose one by its number; the answer is the option text
	Text    bool     // free text keyed on the keypad (digits)
	Scan    bool     // a scanned code answers it (may be keyed when Text is also set)
	// Refresh, when set, is called every Every to refresh Lines while the step is shown
	// (a crypto quote); the step is answered with OK.
	Refresh func(ctx context.Context, p *store.Payment) ([]string, error)
	Every   time.Duration
	Lines   []string
}

// Asker is a provider that needs input before Start. NextStep returns nil when it has all
// it needs; it sees earlier answers in p.Data.
type Asker interface {
	NextStep(ctx context.Context, p *store.Payment) (*Step, error)
}

// Decider is a provider whose payments can need a cashier's decision (RemoteUnderpaid).
type Decider interface {
	// Accept accepts the payment as it stands (e.g. an underpayment).
	Accept(ctx context.Context, p *store.Payment, save Saver) (Update, error)
}

// RefundUpdate is what a provider reports about a refund.
type RefundUpdate struct {
	State      store.RefundState
	ProviderID string
	Detail     string // e.g. "wait time 2 hours"
	Reason     string
}

// Refunder is a provider that can give money back.
type Refunder interface {
	// Refund asks for the refund r of payment p. r is on disk in RefundPending; r.ID is
	// its idempotency key. It must be safe to repeat.
	Refund(ctx context.Context, p *store.Payment, r *store.Refund, save func(*store.Refund) error) (RefundUpdate, error)
	// CheckRefund asks for the state of an accepted refund.
	CheckRefund(ctx context.Context, p *store.Payment, r *store.Refund) (RefundUpdate, error)
	// RefundNeedsDestination reports whether a refund needs a destination (crypto address).
	RefundNeedsDestination() bool
}

// Reconciler is a provider that can compare the terminal's payments of a period with its
// own records (end of day). It returns one printable line per difference.
type Reconciler interface {
	ReconcileDay(ctx context.Context, from, to time.Time, local []store.Payment) ([]string, error)
}

// Errors providers return (wrapped) so the flow can tell outcomes apart.
var (
	// ErrUnreachable: the provider could not be reached or did not answer in time
	// (network error, timeout, 5xx/429 after bounded retries). The outcome is unknown:
	// the flow keeps the payment and asks again later.
	ErrUnreachable = errors.New("provider unreachable")
	// ErrCannotCancel: the provider cannot cancel this payment (no cancel, or too late).
	ErrCannotCancel = errors.New("provider cannot cancel")
	// ErrPaymentInProgress: the cancel was refused because the customer's money is
	// already on its way (a crypto transaction seen, a capture running). It wraps
	// ErrCannotCancel; the flow keeps the payment on screen, keeps watching and says so.
	ErrPaymentInProgress = fmt.Errorf("%w: payment already in progress", ErrCannotCancel)
)

// CashierMessager is implemented by provider errors that carry a short message fit for
// the cashier's screen (e.g. "Insufficient balance").
type CashierMessager interface {
	CashierMessage() string
}

// CashierMessage returns a short text for err fit for the screen.
func CashierMessage(err error) string {
	var cm CashierMessager
	if errors.As(err, &cm) {
		return cm.CashierMessage()
	}
	if errors.Is(err, ErrUnreachable) {
		return "Provider offline"
	}
	s := strings.TrimPrefix(err.Error(), "flow: ")
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}
