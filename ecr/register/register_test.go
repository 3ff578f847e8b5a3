package register

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/ecr/zvt"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/health"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// fakeEngine answers the register's verbs from fields; it records what was confirmed.
type fakeEngine struct {
	mu          sync.Mutex
	pay         func(ctx context.Context, amount money.Amount, progress func(*store.Payment)) (*store.Payment, error)
	reverse     func(n uint64) (*store.Payment, *store.Refund, error)
	refund      func(amount money.Amount) (*store.Payment, *store.Refund, error)
	waitRefund  func(ctx context.Context, id string) (*store.Refund, error)
	eod         func() (flow.Report, error)
	status      flow.Status
	confirmed   []string
	unconfirmed []string
}

var _ Engine = (*fakeEngine)(nil)

func (f *fakeEngine) Pay(ctx context.Context, a money.Amount, progress func(*store.Payment)) (*store.Payment, error) {
	return f.pay(ctx, a, progress)
}
func (f *fakeEngine) Confirm(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.confirmed = append(f.confirmed, id)
	return nil
}
func (f *fakeEngine) Unconfirmed(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unconfirmed = append(f.unconfirmed, id)
	return nil
}
func (f *fakeEngine) Reverse(_ context.Context, n uint64) (*store.Payment, *store.Refund, error) {
	return f.reverse(n)
}
func (f *fakeEngine) RefundLatest(_ context.Context, a money.Amount) (*store.Payment, *store.Refund, error) {
	return f.refund(a)
}
func (f *fakeEngine) WaitRefund(ctx context.Context, id string) (*store.Refund, error) {
	return f.waitRefund(ctx, id)
}
func (f *fakeEngine) EndOfDay(context.Context) (flow.Report, error) { return f.eod() }
func (f *fakeEngine) Status(context.Context) (flow.Status, error)   { return f.status, nil }

var eur = money.New(1234, "EUR")

func paid(id string, trace uint64) *store.Payment {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	return &store.Payment{ID: id, Provider: "acountpay", Amount: eur, State: store.StatePaid, Trace: trace, Receipt: 7,
		CreatedAt: t0, UpdatedAt: t0, SettledAt: t0}
}

func nop(zvt.Progress) {}

// Each refusal of the engine reaches the register as the result code ZVT defines for it,
// chosen by the error's identity (a reworded message changes nothing).
func TestPayRefusalCodes(t *testing.T) {
	cases := []struct {
		err  error
		want byte
	}{
		{flow.ErrBusy, zvt.RCNotPossible},
		{fmt.Errorf("reworded: %w", flow.ErrOffline), zvt.RCReceiverNotReady},
		{&flow.AmountError{Amount: eur, Limit: money.New(1000, "EUR"), Err: flow.ErrAmountTooLarge}, zvt.RCMaxAmount},
		{&flow.AmountError{Amount: eur, Limit: money.New(5000, "EUR"), Err: flow.ErrAmountTooSmall}, zvt.RCAmountTooSmall},
		{flow.ErrNotStored, zvt.RCSystemError},
		{flow.ErrStopped, zvt.RCAborted},
		{errors.New("amount above the maximum, says some other error"), zvt.RCSystemError},
	}
	for _, c := range cases {
		f := &fakeEngine{pay: func(context.Context, money.Amount, func(*store.Payment)) (*store.Payment, error) { return nil, c.err }}
		res, err := New(f, "EUR", nil).Pay(context.Background(), eur, nop)
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != c.want || res.Op != zvt.OpPay || res.Amount != eur {
			t.Errorf("%v: result code %02X (op %q, amount %s), want %02X", c.err, res.Code, res.Op, res.Amount, c.want)
		}
	}
}

// A payment's outcome maps to the register's result, and the register's acknowledgement
// reaches the engine for that very payment, found by the result alone.
func TestPayResultAndConfirm(t *testing.T) {
	cases := []struct {
		p    *store.Payment
		want byte
	}{
		{paid("T1-1", 11), zvt.RCOK},
		{&store.Payment{ID: "T1-2", Amount: eur, State: store.StateCancelled}, zvt.RCAborted},
		{&store.Payment{ID: "T1-3", Amount: eur, State: store.StateFailed, Reason: "Not received by provider"}, zvt.RCReceiverNotReady},
		{&store.Payment{ID: "T1-4", Amount: eur, State: store.StateFailed, Reason: "declined"}, zvt.RCSystemError},
		{&store.Payment{ID: "T1-5", Amount: eur, State: store.StateCreating, Abandon: store.AbandonOffline}, zvt.RCReceiverNotReady},
		{&store.Payment{ID: "T1-6", Amount: eur, State: store.StateCancelling, Abandon: store.AbandonRestart}, zvt.RCAborted},
	}
	for _, c := range cases {
		var shown []byte
		f := &fakeEngine{pay: func(_ context.Context, _ money.Amount, progress func(*store.Payment)) (*store.Payment, error) {
			progress(&store.Payment{State: store.StateAwaiting})
			return c.p, nil
		}}
		term := New(f, "EUR", nil)
		res, _ := term.Pay(context.Background(), eur, func(p zvt.Progress) { shown = append(shown, p.Status) })
		if res.Code != c.want || res.Reference != c.p.ID {
			t.Errorf("%s %s: code %02X reference %q, want %02X", c.p.ID, c.p.State, res.Code, res.Reference, c.want)
		}
		if len(shown) != 1 || shown[0] != zvt.StatusShowCode {
			t.Errorf("%s: progress %v, want show-code", c.p.ID, shown)
		}
	}
	f := &fakeEngine{pay: func(context.Context, money.Amount, func(*store.Payment)) (*store.Payment, error) {
		return paid("T1-9", 9), nil
	}}
	term := New(f, "EUR", nil)
	a, _ := term.Pay(context.Background(), eur, nop)
	b, _ := term.Pay(context.Background(), eur, nop) // same trace: the id still tells them apart
	b.Reference = "T1-10"
	if err := term.Confirm(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if err := term.Unconfirmed(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(f.confirmed) != "[T1-10]" || fmt.Sprint(f.unconfirmed) != "[T1-9]" {
		t.Errorf("confirmed %v, unconfirmed %v", f.confirmed, f.unconfirmed)
	}
	if err := term.Confirm(context.Background(), &zvt.Result{Op: zvt.OpPay}); !errors.Is(err, ErrNoPayment) {
		t.Errorf("confirm of a result without payment: %v, want ErrNoPayment", err)
	}
	if err := term.Confirm(context.Background(), &zvt.Result{Op: zvt.OpRefund, Reference: "T1-9-R1"}); err != nil || len(f.confirmed) != 1 {
		t.Errorf("a refund result was confirmed as a payment: %v %v", err, f.confirmed)
	}
}

// When the engine stops while a payment is open, the register is told it was not paid,
// for that payment.
func TestPayEngineStopped(t *testing.T) {
	open := &store.Payment{ID: "T1-7", Amount: eur, State: store.StateCancelling, Trace: 7}
	f := &fakeEngine{pay: func(context.Context, money.Amount, func(*store.Payment)) (*store.Payment, error) {
		return open, fmt.Errorf("waiting: %w", flow.ErrStopped)
	}}
	res, err := New(f, "EUR", nil).Pay(context.Background(), eur, nop)
	if err != nil || res.Code != zvt.RCAborted || res.Reference != "T1-7" || res.Trace != 7 {
		t.Fatalf("Pay on a stopping engine = %+v, %v; want aborted for T1-7", res, err)
	}
}

// A register refund draws on the payment the engine picks; refusals say "not possible",
// and a refund the provider has not answered in time is reported queued, not approved.
func TestRefund(t *testing.T) {
	p := paid("T1-1", 11)
	r := &store.Refund{ID: "T1-1-R1", PaymentID: p.ID, Amount: money.New(500, "EUR"), State: store.RefundPending}
	f := &fakeEngine{
		refund: func(a money.Amount) (*store.Payment, *store.Refund, error) {
			if a.Minor > 1000 {
				return nil, nil, flow.ErrNothingToRefund
			}
			return p, r, nil
		},
		waitRefund: func(ctx context.Context, id string) (*store.Refund, error) {
			done := *r
			done.State, done.Receipt = store.RefundDone, 8
			return &done, nil
		},
	}
	term := New(f, "EUR", nil)
	res, _ := term.Refund(context.Background(), money.New(500, "EUR"), nop)
	if res.Code != zvt.RCOK || res.Reference != r.ID || res.OrigTrace != 11 || res.Receipt != 8 {
		t.Errorf("refund result %+v", res)
	}
	res, _ = term.Refund(context.Background(), money.New(5000, "EUR"), nop)
	if res.Code != zvt.RCNotPossible {
		t.Errorf("refund with nothing to draw on: code %02X, want %02X", res.Code, zvt.RCNotPossible)
	}
	f.waitRefund = func(ctx context.Context, id string) (*store.Refund, error) {
		<-ctx.Done()
		return r, ctx.Err()
	}
	term.refundWait = time.Millisecond
	res, _ = term.Refund(context.Background(), money.New(500, "EUR"), nop)
	if res.Code != zvt.RCReceiverNotReady {
		t.Errorf("refund not answered: code %02X, want %02X (queued)", res.Code, zvt.RCReceiverNotReady)
	}
	f.refund = func(money.Amount) (*store.Payment, *store.Refund, error) {
		return nil, nil, fmt.Errorf("acountpay: %w", flow.ErrNotRefundable)
	}
	if res, _ = term.Refund(context.Background(), money.New(500, "EUR"), nop); res.Code != zvt.RCNotPossible {
		t.Errorf("refund at a provider without refunds: code %02X, want %02X", res.Code, zvt.RCNotPossible)
	}
}

// A reversal of a payment already refunded says so; any other refusal is "not possible".
func TestReverseCodes(t *testing.T) {
	f := &fakeEngine{reverse: func(n uint64) (*store.Payment, *store.Refund, error) {
		if n == 7 {
			return paid("T1-1", 11), nil, flow.ErrAlreadyRefunded
		}
		return nil, nil, store.ErrNotFound
	}}
	term := New(f, "EUR", nil)
	if res, _ := term.Reverse(context.Background(), 7, nop); res.Code != zvt.RCAlreadyReversed {
		t.Errorf("reversal of a refunded payment: %02X, want %02X", res.Code, zvt.RCAlreadyReversed)
	}
	if res, _ := term.Reverse(context.Background(), 8, nop); res.Code != zvt.RCReversalNotPoss {
		t.Errorf("reversal of an unknown receipt: %02X, want %02X", res.Code, zvt.RCReversalNotPoss)
	}
}

// End of day reports the register's currency only, never below zero (BCD has no sign).
func TestEndOfDay(t *testing.T) {
	f := &fakeEngine{eod: func() (flow.Report, error) {
		return flow.Report{Totals: []flow.ReportRow{{Currency: "EUR", Count: 3, Total: -200}, {Currency: "DKK", Count: 1, Total: 900}},
			ReceiptFrom: 3, ReceiptTo: 9}, nil
	}}
	term := New(f, "EUR", nil)
	tot, _ := term.EndOfDay(context.Background())
	if tot.Code != zvt.RCOK || tot.Total != money.New(0, "EUR") || tot.Count != 3 || tot.ReceiptFrom != 3 || tot.ReceiptTo != 9 {
		t.Errorf("totals %+v", tot)
	}
	f.eod = func() (flow.Report, error) { return flow.Report{}, errors.New("store closed") }
	if tot, _ = term.EndOfDay(context.Background()); tot.Code != zvt.RCEndOfDayNotPoss {
		t.Errorf("failed end of day: code %02X", tot.Code)
	}
}

// The status enquiry says ready only while no payment is on screen.
func TestReady(t *testing.T) {
	f := &fakeEngine{status: flow.Status{Ready: true}}
	term := New(f, "EUR", nil)
	if !term.Ready() {
		t.Error("idle terminal not ready")
	}
	f.status.Current = paid("T1-1", 1)
	if term.Ready() {
		t.Error("terminal with a payment on screen reported ready")
	}
}

// Start refuses what it cannot serve, naming it.
func TestStartRefusesBadConfig(t *testing.T) {
	ctx := context.Background()
	if _, err := Start(ctx, &fakeEngine{}, Config{Addr: "udp://x", TerminalID: "1", Password: "000000", Currency: "EUR"}); err == nil {
		t.Error("udp address accepted")
	}
	if _, err := Start(ctx, &fakeEngine{}, Config{Addr: "tcp://127.0.0.1:0", TerminalID: "T1", Password: "000000", Currency: "EUR"}); err == nil {
		t.Error("non-numeric terminal id accepted")
	}
}

// With no working customer display the register's payment is refused before the engine
// starts anything: "function not possible" and a status line naming the display's state.
// A display that works, or is not checked yet, takes payments.
func TestPayRefusedWithoutDisplay(t *testing.T) {
	for _, st := range []string{health.DeviceMissing, health.DeviceError, health.DeviceOK, health.DeviceUnknown} {
		started := false
		eng := &fakeEngine{pay: func(context.Context, money.Amount, func(*store.Payment)) (*store.Payment, error) {
			started = true
			return paid("p1", 1), nil
		}}
		z := New(eng, "EUR", nil)
		z.display = func() string { return st }
		r, err := z.Pay(context.Background(), eur, nop)
		if err != nil {
			t.Fatal(err)
		}
		refuse := st == health.DeviceMissing || st == health.DeviceError
		if refuse {
			if started || r.Code != zvt.RCNotPossible {
				t.Errorf("display %s: started %v, code %#x; want nothing started and %#x", st, started, r.Code, zvt.RCNotPossible)
			}
			if want := "Display: " + st; !slices.Contains(r.Lines, want) || !slices.Contains(r.Lines, "No customer display") {
				t.Errorf("display %s: lines %q, want %q and \"No customer display\"", st, r.Lines, want)
			}
		} else if !started || r.Code != zvt.RCOK {
			t.Errorf("display %s: started %v, code %#x; want the payment run and approved", st, started, r.Code)
		}
	}
}
