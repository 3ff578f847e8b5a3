package flow

import (
	"errors"
	"fmt"

	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// Errors of the engine's verbs, matched with errors.Is (the register link turns them into
// ZVT result codes; nothing matches their text). Their text is the answer to the person
// or register that asked, shown as it is (terminald refund: …, the cashier's screen):
// no package prefix.
var (
	// ErrStopped is returned by calls into an engine that has stopped (or stops while
	// they wait).
	ErrStopped = errors.New("engine stopped")
	// ErrClosing is returned for new work (a payment from the keypad or the register) once
	// Close was called: the terminal is stopping and lets what is in flight settle.
	ErrClosing = errors.New("terminal is closing")
	// ErrBusy is returned when a payment is asked for while another one is on screen.
	ErrBusy = errors.New("terminal busy with another payment")
	// ErrOffline is returned when a payment is asked for while its provider is unreachable.
	ErrOffline = errors.New("provider offline, try again")
	// ErrAmountTooSmall is wrapped by an AmountError for an amount below the minimum.
	ErrAmountTooSmall = errors.New("amount below the minimum")
	// ErrAmountTooLarge is wrapped by an AmountError for an amount above the maximum.
	ErrAmountTooLarge = errors.New("amount above the maximum")
	// ErrNotStored is returned by Pay when the new payment's state could not be committed:
	// nothing was sent to a provider.
	ErrNotStored = errors.New("payment not started: its state could not be stored")
	// ErrNotReversible is returned for a reversal of a payment that is not paid or already
	// (partly) refunded.
	ErrNotReversible = errors.New("payment cannot be reversed")
	// ErrAlreadyRefunded is returned for a reversal of a payment already (partly)
	// refunded; it also matches ErrNotReversible.
	ErrAlreadyRefunded = fmt.Errorf("%w: already (partly) refunded", ErrNotReversible)
	// ErrNotRefundable is returned for a refund of a payment whose provider cannot refund
	// from the terminal (refund in the provider's back office).
	ErrNotRefundable = errors.New("payments of this provider cannot be refunded from the terminal")
	// ErrNotPaid is returned for a refund of a payment that is not paid.
	ErrNotPaid = errors.New("only paid payments can be refunded")
	// ErrNothingToRefund is returned by RefundLatest when no paid payment has the amount
	// left to refund.
	ErrNothingToRefund = errors.New("no paid payment to refund this amount from")
	// ErrRefundTooLarge is returned for a refund above what is left of its payment.
	ErrRefundTooLarge = errors.New("refund above what is left of the payment")
)

// AmountError is a payment amount outside the configured range. It matches
// ErrAmountTooSmall or ErrAmountTooLarge.
type AmountError struct {
	Amount money.Amount // what was asked
	Limit  money.Amount // the minimum or maximum it broke
	Err    error        // ErrAmountTooSmall or ErrAmountTooLarge
}

func (e *AmountError) Error() string {
	if errors.Is(e.Err, ErrAmountTooSmall) {
		return fmt.Sprintf("amount %s below the minimum %s", e.Amount, e.Limit)
	}
	return fmt.Sprintf("amount %s above the maximum %s", e.Amount, e.Limit)
}

// Unwrap returns ErrAmountTooSmall or ErrAmountTooLarge.
func (e *AmountError) Unwrap() error { return e.Err }

// checkAmount returns an AmountError when a is outside the configured range.
func (e *Engine) checkAmount(a money.Amount) error {
	if a.Minor < e.cfg.MinAmount {
		return &AmountError{Amount: a, Limit: money.New(e.cfg.MinAmount, a.Currency), Err: ErrAmountTooSmall}
	}
	if a.Minor > e.cfg.MaxAmount {
		return &AmountError{Amount: a, Limit: money.New(e.cfg.MaxAmount, a.Currency), Err: ErrAmountTooLarge}
	}
	return nil
}

// reason is an error with its own text that matches a sentinel.
type reason struct {
	msg string
	err error
}

func (r *reason) Error() string { return r.msg }
func (r *reason) Unwrap() error { return r.err }

// noPayment is a store error for payment id as the person who asked reads it: "no
// payment ID" when it does not exist (matching store.ErrNotFound), else err unchanged.
func noPayment(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return because(err, "no payment %s", id)
	}
	return err
}

// because returns an error with the formatted text that matches sentinel.
func because(sentinel error, format string, args ...any) error {
	return &reason{msg: fmt.Sprintf(format, args...), err: sentinel}
}
