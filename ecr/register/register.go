package register

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/ecr/zvt"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/health"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// Engine is what the register link asks of the payment engine (*flow.Engine). Every
// method is safe for concurrent use.
type Engine interface {
	// Pay runs a payment and blocks until it ends; cancelling ctx is the register's abort.
	Pay(ctx context.Context, amount money.Amount, progress func(*store.Payment)) (*store.Payment, error)
	// Confirm records that the register acknowledged the result of payment id.
	Confirm(ctx context.Context, id string) error
	// Unconfirmed records that the register never acknowledged the result of payment id.
	Unconfirmed(ctx context.Context, id string) error
	// Reverse refunds in full the payment printed with receipt number n.
	Reverse(ctx context.Context, n uint64) (*store.Payment, *store.Refund, error)
	// RefundLatest refunds amount from the newest paid payment with that much left.
	RefundLatest(ctx context.Context, amount money.Amount) (*store.Payment, *store.Refund, error)
	// WaitRefund blocks until refund id leaves the pending state or ctx ends.
	WaitRefund(ctx context.Context, id string) (*store.Refund, error)
	// EndOfDay closes the day.
	EndOfDay(ctx context.Context) (flow.Report, error)
	// Status returns a snapshot of the terminal.
	Status(ctx context.Context) (flow.Status, error)
}

var _ Engine = (*flow.Engine)(nil)

// ErrNoPayment is returned by Confirm and Unconfirmed for a payment result that names no
// payment (Result.Reference empty).
var ErrNoPayment = errors.New("register: result names no payment")

// ErrNoDisplay is why a payment for the register is refused when the customer display
// is missing (none configured) or failed: a QR payment nobody can scan is not started.
var ErrNoDisplay = errors.New("register: no working customer display to show the QR code")

// Terminal adapts an Engine to what a ZVT server asks of a terminal. Create it with New.
type Terminal struct {
	eng      Engine
	currency string
	log      *slog.Logger
	now      func() time.Time
	// RefundWait bounds how long a refund result waits for the provider's answer before
	// the register is told "receiver not ready" (the refund stays queued).
	refundWait time.Duration
	// display returns the customer display's state (health.DeviceOK, DeviceMissing,
	// DeviceError or DeviceUnknown); nil: not checked.
	display func() string
}

var _ zvt.Terminal = (*Terminal)(nil)

// New returns a Terminal for eng; currency is the register's (ISO 4217), log may be nil.
func New(eng Engine, currency string, log *slog.Logger) *Terminal {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Terminal{eng: eng, currency: currency, log: log, now: time.Now, refundWait: 60 * time.Second}
}

// code returns the ZVT result code for an engine error.
func code(err error) byte {
	switch {
	case errors.Is(err, flow.ErrStopped), errors.Is(err, flow.ErrClosing):
		return zvt.RCAborted // the terminal is stopping: nothing done
	case errors.Is(err, flow.ErrBusy), errors.Is(err, ErrNoDisplay):
		return zvt.RCNotPossible
	case errors.Is(err, flow.ErrOffline):
		return zvt.RCReceiverNotReady
	case errors.Is(err, flow.ErrAmountTooLarge):
		return zvt.RCMaxAmount
	case errors.Is(err, flow.ErrAmountTooSmall):
		return zvt.RCAmountTooSmall
	case errors.Is(err, flow.ErrNotRefundable), errors.Is(err, flow.ErrNothingToRefund), errors.Is(err, flow.ErrNotPaid):
		return zvt.RCNotPossible // a refusal, not a fault of the terminal
	}
	return zvt.RCSystemError
}

func (z *Terminal) refused(op zvt.Op, amount money.Amount, err error) *zvt.Result {
	z.log.Warn("ecr request refused", "op", op, "err", err)
	return &zvt.Result{Op: op, Code: code(err), Amount: amount, Time: z.now(), Lines: []string{"NOT POSSIBLE", driver.CashierMessage(err)}}
}

// result reports payment p to the register.
func (z *Terminal) result(op zvt.Op, p *store.Payment) *zvt.Result {
	r := &zvt.Result{Op: op, Code: zvt.RCSystemError, Amount: p.Amount, Trace: p.Trace, Receipt: p.Receipt,
		Time: p.UpdatedAt, Provider: p.Provider, Reference: p.ID}
	switch p.State {
	case store.StatePaid:
		r.Code = zvt.RCOK
		r.Time = p.SettledAt
		r.Amount = p.Paid()
	case store.StateExpired, store.StateCancelled:
		r.Code = zvt.RCAborted
	case store.StateFailed:
		r.Code = zvt.RCSystemError
		if p.Reason == "Not received by provider" {
			r.Code = zvt.RCReceiverNotReady
		}
	default:
		// Still open: not paid as far as the register is concerned; the terminal keeps
		// watching and flags a late payment. Offline at create: receiver not ready.
		r.Code = zvt.RCAborted
		if p.Abandon == store.AbandonOffline || p.Checking {
			r.Code = zvt.RCReceiverNotReady
		}
	}
	lines := []string{strings.ToUpper(p.Provider), "Amount " + p.Amount.String(), "Ref " + p.ID,
		fmt.Sprintf("Receipt %04d  Trace %06d", p.Receipt, p.Trace)}
	if r.Code == zvt.RCOK {
		lines = append(lines, "APPROVED")
	} else {
		lines = append(lines, "NOT PAID", p.Reason)
	}
	r.Lines = lines
	return r
}

// Pay runs a payment for the register. With no working customer display (missing or
// failed) it starts nothing: the register gets "function not possible" (0x83) and a
// status line naming the display's state.
func (z *Terminal) Pay(ctx context.Context, amount money.Amount, progress func(zvt.Progress)) (*zvt.Result, error) {
	if z.display != nil {
		if st := z.display(); st == health.DeviceMissing || st == health.DeviceError {
			r := z.refused(zvt.OpPay, amount, fmt.Errorf("%w (display: %s)", ErrNoDisplay, st))
			r.Lines = []string{"NOT POSSIBLE", "No customer display", "Display: " + st}
			return r, nil
		}
	}
	p, err := z.eng.Pay(ctx, amount, func(p *store.Payment) {
		status, text := zvt.StatusPleaseWait, "please wait"
		if p.State == store.StateAwaiting {
			status, text = zvt.StatusShowCode, "customer scans the QR code"
		}
		progress(zvt.Progress{Status: status, Text: text})
	})
	if err != nil && (p == nil || !errors.Is(err, flow.ErrStopped)) {
		return z.refused(zvt.OpPay, amount, err), nil
	}
	// Final, or still open when the engine stopped: the register gets what is known
	// (an open payment is not paid as far as it is concerned).
	return z.result(zvt.OpPay, p), nil
}

// Reverse refunds the payment printed with receipt number n in full.
func (z *Terminal) Reverse(ctx context.Context, n uint64, progress func(zvt.Progress)) (*zvt.Result, error) {
	p, r, err := z.eng.Reverse(ctx, n)
	if err != nil {
		c := zvt.RCReversalNotPoss
		if errors.Is(err, flow.ErrAlreadyRefunded) {
			c = zvt.RCAlreadyReversed
		}
		z.log.Warn("ecr reversal refused", "receipt", n, "err", err)
		return &zvt.Result{Op: zvt.OpReverse, Code: c, Time: z.now(), Lines: []string{"REVERSAL NOT POSSIBLE", driver.CashierMessage(err)}}, nil
	}
	return z.refundResult(ctx, zvt.OpReverse, p, r, progress), nil
}

// Refund refunds amount; the engine picks the payment it draws on (QR providers refund
// against a payment, and a register's refund names none).
func (z *Terminal) Refund(ctx context.Context, amount money.Amount, progress func(zvt.Progress)) (*zvt.Result, error) {
	p, r, err := z.eng.RefundLatest(ctx, amount)
	if err != nil {
		return z.refused(zvt.OpRefund, amount, err), nil
	}
	return z.refundResult(ctx, zvt.OpRefund, p, r, progress), nil
}

func (z *Terminal) refundResult(ctx context.Context, op zvt.Op, p *store.Payment, r *store.Refund, progress func(zvt.Progress)) *zvt.Result {
	progress(zvt.Progress{Status: zvt.StatusPleaseWait, Text: "refund sent"})
	wctx, cancel := context.WithTimeout(ctx, z.refundWait)
	w, err := z.eng.WaitRefund(wctx, r.ID)
	cancel()
	if w != nil {
		r = w
	}
	res := &zvt.Result{Op: op, Code: zvt.RCOK, Amount: r.Amount, Trace: p.Trace, OrigTrace: p.Trace, Receipt: r.Receipt,
		Time: r.UpdatedAt, Provider: p.Provider, Reference: r.ID,
		Lines: []string{"REFUND " + strings.ToUpper(p.Provider), "Amount " + r.Amount.String(), "Ref " + r.ID}}
	switch {
	case err != nil:
		// Queued: the terminal sends it when the provider is back. The register is
		// told the truth: not done yet.
		res.Code = zvt.RCReceiverNotReady
		res.Lines = append(res.Lines, "QUEUED - provider offline")
	case r.State == store.RefundFailed:
		res.Code = zvt.RCReversalNotPoss
		res.Lines = append(res.Lines, "FAILED", r.Reason)
	default:
		res.Lines = append(res.Lines, "APPROVED")
	}
	return res
}

// EndOfDay closes the day.
func (z *Terminal) EndOfDay(ctx context.Context) (*zvt.Totals, error) {
	rep, err := z.eng.EndOfDay(ctx)
	if err != nil {
		z.log.Warn("ecr end of day refused", "err", err)
		return &zvt.Totals{Code: zvt.RCEndOfDayNotPoss, Time: z.now()}, nil
	}
	t := &zvt.Totals{Code: zvt.RCOK, Total: money.New(0, z.currency), Time: rep.To,
		ReceiptFrom: rep.ReceiptFrom, ReceiptTo: rep.ReceiptTo}
	lines := []string{"END OF DAY"}
	for _, row := range rep.Rows {
		lines = append(lines, fmt.Sprintf("%s %s x%d %s", row.Provider, row.Result, row.Count, money.New(row.Total, row.Currency)))
	}
	for _, tot := range rep.Totals {
		if tot.Currency == z.currency {
			t.Total.Minor, t.Count = max(tot.Total, 0), tot.Count // BCD has no sign: refunds above sales show as 0
		}
	}
	lines = append(lines, "TOTAL "+t.Total.String())
	t.Lines = lines
	return t, nil
}

// Confirm commits a payment the register acknowledged. r is the result Pay returned: its
// Reference is the payment id.
func (z *Terminal) Confirm(ctx context.Context, r *zvt.Result) error {
	if r.Op != zvt.OpPay {
		return nil
	}
	if r.Reference == "" {
		return ErrNoPayment
	}
	return z.eng.Confirm(ctx, r.Reference)
}

// Unconfirmed reverses or flags a payment the register never acknowledged.
func (z *Terminal) Unconfirmed(ctx context.Context, r *zvt.Result) error {
	if r.Op != zvt.OpPay {
		z.log.Warn("register did not acknowledge a refund/reversal result", "op", r.Op, "reference", r.Reference)
		return nil
	}
	if r.Reference == "" {
		return ErrNoPayment
	}
	return z.eng.Unconfirmed(ctx, r.Reference)
}

// Ready reports whether the terminal takes payments: the engine answers within a second,
// is ready and has no payment on screen.
func (z *Terminal) Ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := z.eng.Status(ctx)
	return err == nil && s.Ready && s.Current == nil
}
