package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/ecr/ecrcli"
	"github.com/terminald/terminald/ecr/zvt"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/serialport"
	"github.com/terminald/terminald/store"
)

func cmdECR(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return ecrcli.Main(ctx, args, stdout, stderr)
}

// ecrSettings configure the register link.
type ecrSettings struct {
	password   string
	terminalID string
	currency   string
	baud       int
}

// startECR serves a cash register on addr (tcp://HOST:PORT or serial:/dev/ttyX) until ctx
// ends. The returned function waits for the link to stop.
func startECR(ctx context.Context, addr string, eng *flow.Engine, st *store.Store, s ecrSettings, log *slog.Logger) (func(), error) {
	tid, err := strconv.ParseUint(s.terminalID, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("ecr: terminal id %q: %w", s.terminalID, err)
	}
	term := &zvtTerminal{eng: eng, st: st, currency: s.currency, byTrace: map[uint64]string{}, log: log}
	srv, err := zvt.NewServer(term, zvt.ServerConfig{Password: s.password, Currency: s.currency, TerminalID: tid, Logger: log.With("link", "zvt")})
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	switch {
	case strings.HasPrefix(addr, "tcp://"):
		ln, err := net.Listen("tcp", strings.TrimPrefix(addr, "tcp://"))
		if err != nil {
			return nil, fmt.Errorf("ecr: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ctx, ln); err != nil && ctx.Err() == nil {
				log.Error("ecr: tcp link stopped", "err", err)
			}
		}()
		go func() { <-ctx.Done(); ln.Close() }()
	case strings.HasPrefix(addr, "serial:"):
		baud := s.baud
		if baud == 0 {
			baud = 9600
		}
		port, err := serialport.Open(serialport.Config{Name: strings.TrimPrefix(addr, "serial:"), Baud: baud, StopBits: 2, ReadTimeout: 50 * time.Millisecond})
		if err != nil {
			return nil, fmt.Errorf("ecr: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer port.Close()
			conn := zvt.NewSerialConn(port, zvt.SerialConfig{Logger: log.With("link", "zvt-serial")})
			for ctx.Err() == nil {
				if err := srv.ServeConn(ctx, conn); err != nil && ctx.Err() == nil {
					log.Warn("ecr: serial link", "err", err)
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	default:
		return nil, fmt.Errorf("ecr: address %q: want tcp://HOST:PORT or serial:/dev/ttyX", addr)
	}
	return wg.Wait, nil
}

// zvtTerminal adapts the payment flow to what the ZVT server asks of a terminal.
type zvtTerminal struct {
	eng      *flow.Engine
	st       *store.Store
	currency string
	log      *slog.Logger

	mu      sync.Mutex
	byTrace map[uint64]string // payment id of each result not yet confirmed
}

func (z *zvtTerminal) result(op zvt.Op, p *store.Payment) *zvt.Result {
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
		if p.Abandon == store.AbandonOffline {
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
	z.mu.Lock()
	z.byTrace[p.Trace] = p.ID
	z.mu.Unlock()
	return r
}

func (z *zvtTerminal) refused(op zvt.Op, amount money.Amount, err error) (*zvt.Result, error) {
	code := zvt.RCSystemError
	switch {
	case errors.Is(err, flow.ErrBusy):
		code = zvt.RCNotPossible
	case errors.Is(err, flow.ErrOffline):
		code = zvt.RCReceiverNotReady
	case strings.Contains(err.Error(), "above the maximum"):
		code = zvt.RCMaxAmount
	case strings.Contains(err.Error(), "below the minimum"):
		code = zvt.RCAmountTooSmall
	case strings.Contains(err.Error(), "cannot be refunded"), strings.Contains(err.Error(), "no paid payment to refund"):
		code = zvt.RCNotPossible // a refusal, not a fault of the terminal
	}
	z.log.Warn("ecr request refused", "op", op, "err", err)
	return &zvt.Result{Op: op, Code: code, Amount: amount, Time: time.Now(), Lines: []string{"NOT POSSIBLE", driver.CashierMessage(err)}}, nil
}

// Pay runs a payment for the register.
func (z *zvtTerminal) Pay(ctx context.Context, amount money.Amount, progress func(zvt.Progress)) (*zvt.Result, error) {
	p, err := z.eng.Pay(ctx, amount, func(p *store.Payment) {
		status, text := zvt.StatusPleaseWait, "please wait"
		if p.State == store.StateAwaiting {
			status, text = zvt.StatusShowCode, "customer scans the QR code"
		}
		progress(zvt.Progress{Status: status, Text: text})
	})
	if err != nil {
		return z.refused(zvt.OpPay, amount, err)
	}
	return z.result(zvt.OpPay, p), nil
}

// Reverse refunds the payment printed with receipt number n in full.
func (z *zvtTerminal) Reverse(ctx context.Context, n uint64, progress func(zvt.Progress)) (*zvt.Result, error) {
	p, r, err := z.eng.Reverse(ctx, n)
	if err != nil {
		code := zvt.RCReversalNotPoss
		if errors.Is(err, flow.ErrNotReversible) && p != nil && p.Refunded > 0 {
			code = zvt.RCAlreadyReversed
		}
		z.log.Warn("ecr reversal refused", "receipt", n, "err", err)
		return &zvt.Result{Op: zvt.OpReverse, Code: code, Time: time.Now(), Lines: []string{"REVERSAL NOT POSSIBLE", driver.CashierMessage(err)}}, nil
	}
	return z.refundResult(ctx, zvt.OpReverse, p, r, progress)
}

// Refund refunds amount of the newest paid payment that still has that much to refund:
// QR providers refund against a payment, and a register's refund names none.
func (z *zvtTerminal) Refund(ctx context.Context, amount money.Amount, progress func(zvt.Progress)) (*zvt.Result, error) {
	ps, err := flow.List(z.st, 500)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.State != store.StatePaid || p.Amount.Currency != amount.Currency || p.Amount.Minor-p.Refunded < amount.Minor {
			continue
		}
		r, err := z.eng.Refund(ctx, p.ID, amount.Minor, "")
		if err != nil {
			return z.refused(zvt.OpRefund, amount, err)
		}
		return z.refundResult(ctx, zvt.OpRefund, p, r, progress)
	}
	return z.refused(zvt.OpRefund, amount, errors.New("no paid payment to refund this amount from"))
}

func (z *zvtTerminal) refundResult(ctx context.Context, op zvt.Op, p *store.Payment, r *store.Refund, progress func(zvt.Progress)) (*zvt.Result, error) {
	progress(zvt.Progress{Status: zvt.StatusPleaseWait, Text: "refund sent"})
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	r, err := z.eng.WaitRefund(wctx, r.ID)
	cancel()
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
	return res, nil
}

// EndOfDay closes the day.
func (z *zvtTerminal) EndOfDay(ctx context.Context) (*zvt.Totals, error) {
	rep, err := z.eng.EndOfDay(ctx)
	if err != nil {
		return &zvt.Totals{Code: zvt.RCEndOfDayNotPoss, Time: time.Now()}, nil
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

func (z *zvtTerminal) id(r *zvt.Result) string {
	z.mu.Lock()
	defer z.mu.Unlock()
	id := z.byTrace[r.Trace]
	delete(z.byTrace, r.Trace)
	return id
}

// Confirm commits a payment the register acknowledged.
func (z *zvtTerminal) Confirm(ctx context.Context, r *zvt.Result) error {
	if r.Op != zvt.OpPay {
		return nil
	}
	return z.eng.Confirm(ctx, z.id(r))
}

// Unconfirmed reverses or flags a payment the register never acknowledged.
func (z *zvtTerminal) Unconfirmed(ctx context.Context, r *zvt.Result) error {
	if r.Op != zvt.OpPay {
		z.log.Warn("register did not acknowledge a refund/reversal result", "op", r.Op, "reference", r.Reference)
		return nil
	}
	return z.eng.Unconfirmed(ctx, z.id(r))
}

// Ready reports whether the terminal takes payments.
func (z *zvtTerminal) Ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := z.eng.Status(ctx)
	return err == nil && s.Ready && s.Current == nil
}
