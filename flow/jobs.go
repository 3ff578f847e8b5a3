package flow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/store"
)

// tickJobs prints the next due receipt, one at a time.
func (e *Engine) tickJobs(now time.Time) {
	if e.printBusy {
		return
	}
	for i, j := range e.jobs {
		if now.Before(j.NextAt) {
			continue
		}
		r, err := e.document(j)
		if err != nil {
			e.log.Error("outbox job cannot be built; dropped", "job", j.ID, "kind", j.Kind, "err", err)
			e.update("drop unbuildable job", func(tx *store.Tx) error { return tx.DeleteJob(j.ID) })
			e.jobs = append(e.jobs[:i], e.jobs[i+1:]...)
			return
		}
		if j.Started {
			// The terminal stopped while this was printing: it may be on paper already.
			// Print it rather than lose it, and say so on the slip.
			r.Copy = strings.TrimSpace(r.Copy + " - " + e.cfg.Locale.T("receipt.printed_again"))
		}
		j.Started = true
		if err := e.update("mark job started", func(tx *store.Tx) error { return tx.PutJob(j) }); err != nil {
			return // not printing what could not be marked
		}
		e.printBusy = true
		e.spawn(func() {
			ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
			perr := e.prn.Print(ctx, r)
			state := ""
			if ps, ok := e.prn.(PrinterStatus); ok {
				state = ps.PrinterStatus(ctx)
			}
			cancel()
			e.post(e.ctx, func() { e.printed(j, perr, state) })
		})
		return
	}
}

func (e *Engine) printed(j *store.Job, err error, state string) {
	e.printBusy = false
	e.printerGen++
	old := e.printer
	if state != "" {
		e.printer = state
	}
	if err == nil {
		if e.printer != "ok" && state == "" {
			e.printer = "ok"
		}
		if derr := e.st.Update(func(tx *store.Tx) error { return tx.DeleteJob(j.ID) }); derr != nil {
			e.log.Error("outbox: job printed but not marked done", "job", j.ID, "err", derr)
		}
		for i, x := range e.jobs {
			if x.ID == j.ID {
				e.jobs = append(e.jobs[:i], e.jobs[i+1:]...)
				break
			}
		}
		e.log.Info("printed", "job", j.ID, "ref", j.Ref, "kind", j.Arg)
	} else {
		j.Started = false
		j.Attempts++
		j.LastError = err.Error()
		delay := min(time.Duration(1<<min(j.Attempts, 6))*time.Second, time.Minute)
		j.NextAt = e.now().Add(delay)
		e.update("reschedule job", func(tx *store.Tx) error { return tx.PutJob(j) })
		if state == "" || state == "ok" {
			e.printer = "error"
		}
		e.log.Warn("print failed; kept in the outbox", "job", j.ID, "attempt", j.Attempts, "err", err, "retry_in", delay)
	}
	if old != e.printer {
		e.ui.show()
	}
}

// document builds the receipt a job prints from the stored records.
func (e *Engine) document(j *store.Job) (receipt.Receipt, error) {
	switch jobKind(j.Kind) {
	case jobPayment, jobReprint:
		var p *store.Payment
		err := e.st.View(func(tx *store.Tx) (err error) { p, err = tx.Payment(j.Ref); return })
		if err != nil {
			return receipt.Receipt{}, err
		}
		arg, merchant := strings.CutSuffix(j.Arg, merchantCopy)
		kind := receipt.Kind(arg)
		if kind == "" {
			kind = receiptKind(p)
		}
		r := e.paymentReceipt(p, kind, jobKind(j.Kind) == jobReprint)
		if merchant {
			r.Copy = e.cfg.Locale.T("receipt.merchant_copy")
		}
		return r, nil
	case jobRefund:
		var r *store.Refund
		var p *store.Payment
		err := e.st.View(func(tx *store.Tx) (err error) {
			if r, err = tx.Refund(j.Ref); err != nil {
				return err
			}
			p, err = tx.Payment(r.PaymentID)
			return err
		})
		if err != nil {
			return receipt.Receipt{}, err
		}
		return e.refundReceipt(p, r, j.Arg == refundReprint), nil
	case jobReport:
		return e.reportDocument(j, receipt.EndOfDay)
	case jobXReport:
		return e.reportDocument(j, receipt.XReport)
	}
	return receipt.Receipt{}, fmt.Errorf("unknown job kind %q", j.Kind)
}

// merchantCopy marks the job of a sale's second, merchant copy (Config.MerchantCopy).
const merchantCopy = ":merchant"

// jobKind is what an outbox job prints (store.Job.Kind).
type jobKind string

// Print-job kinds.
const (
	jobPayment jobKind = "payment"  // a payment's receipt or slip; Arg is its receipt.Kind (+ merchantCopy)
	jobReprint jobKind = "reprint"  // a payment's receipt again, marked as a reprint; Arg empty
	jobRefund  jobKind = "refund"   // a refund's receipt; Arg refundReprint marks a reprint
	jobReport  jobKind = "report"   // an end-of-day report; Arg is the Report as JSON
	jobXReport jobKind = "x-report" // an X report (the day so far, not closed); Arg is the Report as JSON
)

// refundReprint is the Arg of a refund job that reprints its receipt.
const refundReprint = "reprint"

// newJob returns an outbox job of kind k for record ref, due at now.
func newJob(k jobKind, ref, arg string, now time.Time) *store.Job {
	return &store.Job{Kind: string(k), Ref: ref, Arg: arg, CreatedAt: now, NextAt: now}
}

// receiptKind decides which receipt a payment gets: the one place that does.
func receiptKind(p *store.Payment) receipt.Kind {
	switch {
	case p.State == store.StatePaid && p.Unconfirmed:
		return receipt.Unconfirmed
	case p.State == store.StatePaid && p.PaidLate:
		return receipt.LatePaid
	case p.State == store.StatePaid && (p.Decision == store.DecisionAccepted || p.Paid().Minor < p.Amount.Minor):
		return receipt.Underpaid
	case p.State == store.StatePaid:
		return receipt.Sale
	}
	return receipt.Slip
}

// enqueue commits a job and schedules it.
func (e *Engine) enqueue(j *store.Job) error {
	j.CreatedAt, j.NextAt = e.now(), e.now()
	if err := e.st.Update(func(tx *store.Tx) error { return tx.Enqueue(j) }); err != nil {
		return err
	}
	e.jobs = append(e.jobs, j)
	return nil
}
