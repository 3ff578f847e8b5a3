package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// Status is a snapshot of the terminal for `terminald status`.
type Status struct {
	Ready     bool            `json:"ready"`
	Providers map[string]bool `json:"providers_online"`
	Printer   string          `json:"printer"`
	Current   *store.Payment  `json:"current,omitempty"`
	Open      int             `json:"open_payments"` // in flight or watched for a late payment
	InFlight  int             `json:"in_flight"`     // not final (whatever the abandon reason)
	Refunds   int             `json:"open_refunds"`
	Outbox    int             `json:"outbox_jobs"`
	// Attention lists every open payment and every one of the last attentionRecent
	// payments that needs a person (store.Payment.Attention), newest first.
	Attention []*store.Payment `json:"attention,omitempty"`
	// Checking counts the payments whose create outcome is unknown and still being asked
	// (store.Payment.Checking): "checking", never failed for a fault.
	Checking int `json:"checking"`
	// Warnings are settings a person should look at, e.g. no manager PIN configured.
	Warnings []string `json:"warnings,omitempty"`
}

// attentionRecent is how many of the newest stored payments status looks through for
// flagged ones (open payments are always included).
const attentionRecent = 200

// Status returns a snapshot of the terminal.
func (e *Engine) Status(ctx context.Context) (Status, error) {
	var s Status
	err := e.do(ctx, func() {
		s.Ready = true
		s.Providers = map[string]bool{}
		for k, v := range e.online {
			s.Providers[k] = v
		}
		s.Printer = e.printer
		if t := e.ui.current(); t != nil {
			s.Current = t.p.Clone()
		}
		s.Open, s.Refunds, s.Outbox = len(e.tracks), len(e.refunds), len(e.jobs)
		s.InFlight = e.inFlight()
		s.Warnings = e.warnings()
		s.Attention = e.needAttention()
		for _, t := range e.tracks {
			if t.p.Checking {
				s.Checking++
			}
		}
	})
	return s, err
}

// needAttention returns the open and recent payments flagged for a person, newest first.
func (e *Engine) needAttention() []*store.Payment {
	var out []*store.Payment
	seen := map[string]bool{}
	for _, t := range e.tracks {
		if t.p.Attention != "" {
			out = append(out, t.p.Clone())
			seen[t.p.ID] = true
		}
	}
	recent, err := List(e.st, attentionRecent)
	if err != nil {
		e.log.Warn("status: list recent payments", "err", err)
	}
	for _, p := range recent {
		if p.Attention != "" && !seen[p.ID] {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out
}

// Payments returns up to limit payments, newest first.
func (e *Engine) Payments(ctx context.Context, limit int) ([]*store.Payment, error) {
	return List(e.st, limit)
}

// List returns up to limit payments from st, newest first (limit ≤ 0: all).
func List(st *store.Store, limit int) ([]*store.Payment, error) {
	var out []*store.Payment
	err := st.View(func(tx *store.Tx) error {
		return tx.Payments(func(p *store.Payment) bool {
			out = append(out, p)
			return limit <= 0 || len(out) < limit
		})
	})
	return out, err
}

// Reprint queues a reprint of receipt number n (0: the last receipt).
func (e *Engine) Reprint(ctx context.Context, n uint64) error {
	var err error
	if derr := e.do(ctx, func() { err = e.reprint(n) }); derr != nil {
		return derr
	}
	return err
}

func (e *Engine) reprint(n uint64) error {
	var kind, id string
	err := e.st.View(func(tx *store.Tx) error {
		if n == 0 {
			n = receiptNumber(tx.Counter("receipt"))
			if n == 0 {
				return errors.New("nothing printed yet")
			}
		}
		var err error
		kind, id, err = tx.ByReceipt(n)
		if errors.Is(err, store.ErrNotFound) {
			return because(err, "no receipt %04d", n)
		}
		return err
	})
	if err != nil {
		return err
	}
	j := newJob(jobReprint, id, "", e.now())
	if kind == "r" {
		j.Kind, j.Arg = string(jobRefund), refundReprint
	}
	return e.enqueue(j)
}

// Payment returns the stored payment id (store.ErrNotFound when there is none).
func (e *Engine) Payment(ctx context.Context, id string) (*store.Payment, error) {
	var p *store.Payment
	err := e.st.View(func(tx *store.Tx) (err error) { p, err = tx.Payment(id); return })
	if err != nil {
		return nil, noPayment(err, id)
	}
	return p, nil
}

// Refund refunds amount (zero: all that is left) of payment id; its currency must be the
// payment's. dest is the refund address where the provider needs one. The refund is on
// disk when Refund returns and is retried until the provider accepts it. Errors match
// ErrNotRefundable, ErrNotPaid, ErrRefundTooLarge or store.ErrNotFound.
func (e *Engine) Refund(ctx context.Context, id string, amount money.Amount, dest string) (*store.Refund, error) {
	var r *store.Refund
	var err error
	derr := e.do(ctx, func() {
		var p *store.Payment
		if err = e.st.View(func(tx *store.Tx) (err error) { p, err = tx.Payment(id); return }); err != nil {
			err = noPayment(err, id)
			return
		}
		if amount.Minor != 0 && amount.Currency != p.Amount.Currency {
			err = fmt.Errorf("refund in %s of a payment in %s", amount.Currency, p.Amount.Currency)
			return
		}
		r, err = e.newRefund(p, amount.Minor, dest)
	})
	if derr != nil {
		return nil, derr
	}
	return r, err
}

// ReportRow is one line of an end-of-day report.
type ReportRow struct {
	Provider string `json:"provider"`
	Result   string `json:"result"`
	Currency string `json:"currency"`
	Count    int    `json:"count"`
	Total    int64  `json:"total"` // minor units
}

// Report is an end-of-day report: payments settled since the last end-of-day by provider
// and result, refunds, and totals per currency.
type Report struct {
	From        time.Time   `json:"from"`
	To          time.Time   `json:"to"`
	Rows        []ReportRow `json:"rows"`
	Totals      []ReportRow `json:"totals"`
	Differences []string    `json:"differences,omitempty"`  // provider records that disagree with the store
	ReceiptFrom uint64      `json:"receipt_from,omitempty"` // first receipt of the period, in the order drawn (not the smallest: numbers roll over 9999 → 1)
	ReceiptTo   uint64      `json:"receipt_to,omitempty"`   // last receipt of the period, in the order drawn
}

// EndOfDay builds the report since the last end-of-day (before the first one: since the
// first payment settled, see periodStart), compares it with the providers
// that keep their own records (driver.Reconciler), prints it, and starts a new day.
func (e *Engine) EndOfDay(ctx context.Context) (Report, error) {
	to := e.now()
	// The providers are asked from the last end of day, before the first one about
	// everything (zero): a payment a gateway has and the store missed may be older than the
	// first one settled here.
	var from time.Time
	e.st.View(func(tx *store.Tx) error { from, _ = lastEndOfDay(tx); return nil })
	var diffs []string
	for _, name := range e.order {
		rc, ok := e.providers[name].(driver.Reconciler)
		if !ok {
			continue
		}
		local, err := paymentsBetween(e.st, name, from, to)
		if err == nil {
			var lines []string
			rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			lines, err = rc.ReconcileDay(rctx, from, to, records(local))
			cancel()
			diffs = append(diffs, lines...)
		}
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: not reconciled: %s", name, driver.CashierMessage(err)))
		}
	}
	var rep Report
	var err error
	if derr := e.do(ctx, func() { rep, err = e.endOfDay(to, diffs) }); derr != nil {
		return rep, derr
	}
	return rep, err
}

// paymentsBetween returns provider's payments created or updated in [from, to).
func paymentsBetween(st *store.Store, provider string, from, to time.Time) ([]store.Payment, error) {
	var out []store.Payment
	err := st.View(func(tx *store.Tx) error {
		return tx.Payments(func(p *store.Payment) bool {
			if p.CreatedAt.Before(from.Add(-48 * time.Hour)) {
				return false // newest first by sequence: older ones follow
			}
			if p.Provider == provider && !p.UpdatedAt.Before(from) && p.UpdatedAt.Before(to) {
				out = append(out, *p)
			}
			return true
		})
	})
	return out, err
}

func (e *Engine) endOfDay(to time.Time, diffs []string) (Report, error) {
	rep := Report{To: to, Differences: diffs}
	b := reportBuilder{rep: &rep, rows: map[[3]string]*ReportRow{}}
	err := e.st.Update(func(tx *store.Tx) error {
		rep.From = periodStart(tx, to)
		if err := b.collect(tx); err != nil {
			return err
		}
		to, _ := rep.To.MarshalText()
		return tx.SetMeta("eod", to)
	})
	if err != nil {
		return rep, err
	}
	b.finish()
	data, _ := json.Marshal(rep)
	if err := e.enqueue(newJob(jobReport, "eod", string(data), e.now())); err != nil {
		return rep, err
	}
	e.log.Info("end of day", "from", rep.From, "to", rep.To, "rows", len(rep.Rows))
	return rep, nil
}

// reportBuilder sums an end-of-day report's rows by provider, result and currency.
type reportBuilder struct {
	rep             *Report
	rows            map[[3]string]*ReportRow
	counted         bool      // a receipt number was seen
	firstAt, lastAt time.Time // when the first and last receipt of the period were drawn
}

// add counts one payment or refund; receipt is its receipt number, drawn at at (a sale's
// settle time, a refund's accept time). The period's range is the first and last receipt
// in the order drawn, not the smallest and largest number: numbers roll over 9999 → 1.
func (b *reportBuilder) add(prov, result, cur string, minor int64, receipt uint64, at time.Time) {
	rep := b.rep
	if receipt != 0 {
		if !b.counted || at.Before(b.firstAt) {
			rep.ReceiptFrom, b.firstAt = receipt, at
		}
		if !b.counted || !at.Before(b.lastAt) {
			rep.ReceiptTo, b.lastAt = receipt, at
		}
		b.counted = true
	}
	k := [3]string{prov, result, cur}
	if b.rows[k] == nil {
		b.rows[k] = &ReportRow{Provider: prov, Result: result, Currency: cur}
	}
	b.rows[k].Count++
	b.rows[k].Total += minor
}

// collect adds the payments settled and the refunds accepted in [From, To).
func (b *reportBuilder) collect(tx *store.Tx) error {
	rep := b.rep
	err := tx.Settled(rep.From, func(p *store.Payment) error {
		if !p.SettledAt.Before(rep.To) {
			return nil
		}
		result := "paid"
		if p.PaidLate {
			result = "paid-late"
		}
		if p.Unconfirmed {
			result = "paid-unconfirmed"
		}
		paid := p.Paid()
		b.add(p.Provider, result, paid.Currency, paid.Minor, p.Receipt, p.SettledAt)
		return nil
	})
	if err != nil {
		return err
	}
	// Refunds the providers accepted in the period count against the turnover.
	var inner error
	err = tx.Refunds(func(r *store.Refund) bool {
		if r.AcceptedAt.IsZero() || r.AcceptedAt.Before(rep.From) || !r.AcceptedAt.Before(rep.To) {
			return true
		}
		p, err := tx.Payment(r.PaymentID)
		if err != nil {
			inner = err
			return false
		}
		b.add(p.Provider, "refund", r.Amount.Currency, -r.Amount.Minor, r.Receipt, r.AcceptedAt)
		return true
	})
	if err == nil {
		err = inner
	}
	return err
}

// finish sorts the rows and adds the totals per currency.
func (b *reportBuilder) finish() {
	rep := b.rep
	totals := map[string]*ReportRow{}
	for _, r := range b.rows {
		rep.Rows = append(rep.Rows, *r)
		if totals[r.Currency] == nil {
			totals[r.Currency] = &ReportRow{Result: "total", Currency: r.Currency}
		}
		totals[r.Currency].Count += r.Count
		totals[r.Currency].Total += r.Total
	}
	sort.Slice(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		return a.Provider+a.Result+a.Currency < b.Provider+b.Result+b.Currency
	})
	for _, t := range totals {
		rep.Totals = append(rep.Totals, *t)
	}
	sort.Slice(rep.Totals, func(i, j int) bool { return rep.Totals[i].Currency < rep.Totals[j].Currency })
}

// paymentByReceipt returns the payment printed with receipt number n.
func (e *Engine) paymentByReceipt(n uint64) (*store.Payment, error) {
	var p *store.Payment
	err := e.st.View(func(tx *store.Tx) error {
		kind, id, err := tx.ByReceipt(n)
		if err == nil && kind != "p" {
			err = fmt.Errorf("receipt %d is not a payment", n)
		}
		if err == nil {
			p, err = tx.Payment(id)
		}
		return err
	})
	return p, err
}

// refundNeedsDestination reports whether refunds at provider prov need an address.
func (e *Engine) refundNeedsDestination(prov string) bool {
	rf, ok := e.providers[prov].(driver.Refunder)
	return ok && rf.RefundNeedsDestination()
}

// Idle reports whether the terminal has nothing to finish: no payment in flight (see
// inFlight: abandoned payments not yet final count), none on screen or being keyed, no
// refund pending and nothing left to print. Payments watched for a late answer after
// reaching a final state do not count.
func (e *Engine) Idle(ctx context.Context) (bool, error) {
	idle := false
	err := e.do(ctx, func() {
		idle = !e.ui.busy() && len(e.jobs) == 0 && len(e.refunds) == 0 && !e.printBusy
		if e.inFlight() > 0 {
			idle = false
		}
	})
	return idle, err
}

// Close stops the engine taking new work: from now on a payment asked for from the keypad
// or the register is refused with ErrClosing, while the payments in flight, refunds and
// receipts go on. It is the first step of the stop order (see the README's "Stopping");
// cancelling Run's context is the last. ErrStopped when the engine has already stopped.
func (e *Engine) Close(ctx context.Context) error {
	return e.do(ctx, func() {
		if !e.closing {
			e.closing = true
			e.log.Info("terminal closing: no new payments", "in_flight", e.inFlight())
		}
	})
}

// inFlight reports whether p is in flight: not in a final state, whatever its abandon
// reason. This is the one definition: Idle (the simulator's end of input), Status, the
// gauges and the stop log use it.
func inFlight(p *store.Payment) bool { return !p.State.Final() }

// inFlight counts the payments in flight.
func (e *Engine) inFlight() int {
	n := 0
	for _, t := range e.tracks {
		if inFlight(t.p) {
			n++
		}
	}
	return n
}
