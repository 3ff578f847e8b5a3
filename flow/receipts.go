package flow

import (
	"fmt"
	"strings"
	"time"

	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/store"
)

var kindTitle = map[receipt.Kind]string{
	receipt.Sale: "PAYMENT", receipt.Slip: "NOT PAID", receipt.LatePaid: "PAID AFTER CANCEL",
	receipt.Unconfirmed: "PAID - NOT CONFIRMED TO REGISTER", receipt.Underpaid: "UNDERPAYMENT ACCEPTED",
	receipt.Refund: "REFUND", receipt.EndOfDay: "END OF DAY",
}

func (e *Engine) header(kind receipt.Kind, reprint bool) []receipt.Line {
	var ls []receipt.Line
	if e.cfg.Merchant != "" {
		ls = append(ls, receipt.Line{Text: e.cfg.Merchant, Align: receipt.Center, Bold: true, Double: true})
	}
	for _, l := range e.cfg.MerchantInfo {
		ls = append(ls, receipt.Line{Text: l, Align: receipt.Center})
	}
	ls = append(ls, receipt.Line{})
	ls = append(ls, receipt.Line{Text: kindTitle[kind], Align: receipt.Center, Bold: true})
	if reprint {
		ls = append(ls, receipt.Line{Text: "*** REPRINT ***", Align: receipt.Center})
	}
	return ls
}

func stamp(t time.Time, synced bool) string {
	s := t.Local().Format("2006-01-02 15:04:05")
	if !synced {
		s += " (time not synced)"
	}
	return s
}

func (e *Engine) paymentReceipt(p *store.Payment, kind receipt.Kind, reprint bool) receipt.Receipt {
	ls := e.header(kind, reprint)
	when := p.UpdatedAt
	if !p.SettledAt.IsZero() {
		when = p.SettledAt
	}
	ls = append(ls,
		receipt.Line{Text: "Date", Right: stamp(when, p.ClockSynced)},
		receipt.Line{Text: "Terminal", Right: e.cfg.TerminalID},
		receipt.Line{Text: "Receipt", Right: fmtReceipt(p.Receipt)},
		receipt.Line{Text: "Trace", Right: fmt.Sprintf("%06d", p.Trace)},
		receipt.Line{Text: "Provider", Right: p.Provider},
		receipt.Line{Text: "Reference", Right: p.ID},
	)
	if p.ProviderID != "" {
		ls = append(ls, receipt.Line{Text: "Provider ref", Right: p.ProviderID})
	}
	ls = append(ls, receipt.Line{}, receipt.Line{Text: "AMOUNT", Right: p.Paid().String(), Bold: true, Double: true})
	if p.Paid() != p.Amount {
		ls = append(ls, receipt.Line{Text: "Asked", Right: p.Amount.String()})
	}
	ls = append(ls, receipt.Line{})
	result := map[store.State]string{store.StatePaid: "APPROVED", store.StateFailed: "DECLINED",
		store.StateExpired: "EXPIRED", store.StateCancelled: "CANCELLED"}[p.State]
	ls = append(ls, receipt.Line{Text: result, Align: receipt.Center, Bold: true})
	if p.Reason != "" && p.State != store.StatePaid {
		ls = append(ls, receipt.Line{Text: p.Reason, Align: receipt.Center})
	}
	ls = append(ls, attentionLines(p)...)
	if p.Refunded > 0 {
		ls = append(ls, receipt.Line{Text: "Refunded", Right: money.New(p.Refunded, p.Amount.Currency).String()})
	}
	switch kind {
	case receipt.LatePaid:
		ls = append(ls, receipt.Line{Text: "Paid after the terminal cancelled it.", Align: receipt.Center})
	case receipt.Unconfirmed:
		ls = append(ls, receipt.Line{Text: "The register never confirmed this", Align: receipt.Center},
			receipt.Line{Text: "payment: check with the customer.", Align: receipt.Center})
	}
	r := receipt.Receipt{Kind: kind, Number: p.Receipt, Lines: ls, Cut: true, Copy: "CUSTOMER COPY"}
	if p.State == store.StatePaid {
		r.QR = p.ID
	}
	return r
}

func (e *Engine) refundReceipt(p *store.Payment, r *store.Refund, reprint bool) receipt.Receipt {
	ls := e.header(receipt.Refund, reprint)
	ls = append(ls,
		receipt.Line{Text: "Date", Right: stamp(r.UpdatedAt, e.cfg.ClockSynced())},
		receipt.Line{Text: "Terminal", Right: e.cfg.TerminalID},
		receipt.Line{Text: "Receipt", Right: fmtReceipt(r.Receipt)},
		receipt.Line{Text: "Original receipt", Right: fmtReceipt(p.Receipt)},
		receipt.Line{Text: "Provider", Right: p.Provider},
		receipt.Line{Text: "Reference", Right: r.ID},
	)
	if r.Destination != "" {
		ls = append(ls, receipt.Line{Text: "To", Right: r.Destination})
	}
	ls = append(ls, receipt.Line{}, receipt.Line{Text: "REFUND", Right: r.Amount.String(), Bold: true, Double: true}, receipt.Line{},
		receipt.Line{Text: strings.ToUpper(string(r.State)), Align: receipt.Center, Bold: true})
	if r.Detail != "" {
		ls = append(ls, receipt.Line{Text: r.Detail, Align: receipt.Center})
	}
	return receipt.Receipt{Kind: receipt.Refund, Number: r.Receipt, Lines: ls, QR: r.ID, Cut: true, Copy: "CUSTOMER COPY"}
}

func (e *Engine) reportReceipt(rep Report) receipt.Receipt {
	ls := e.header(receipt.EndOfDay, false)
	ls = append(ls,
		receipt.Line{Text: "From", Right: stamp(rep.From, true)},
		receipt.Line{Text: "To", Right: stamp(rep.To, e.cfg.ClockSynced())},
		receipt.Line{Text: "Terminal", Right: e.cfg.TerminalID}, receipt.Line{})
	for _, row := range rep.Rows {
		ls = append(ls, receipt.Line{Text: fmt.Sprintf("%s %s x%d", row.Provider, row.Result, row.Count), Right: money.New(row.Total, row.Currency).String()})
	}
	ls = append(ls, receipt.Line{})
	for _, tot := range rep.Totals {
		ls = append(ls, receipt.Line{Text: "TOTAL x" + fmt.Sprint(tot.Count), Right: money.New(tot.Total, tot.Currency).String(), Bold: true})
	}
	if rep.ReceiptTo != 0 {
		ls = append(ls, receipt.Line{Text: "Receipts", Right: fmtReceipt(rep.ReceiptFrom) + "-" + fmtReceipt(rep.ReceiptTo)})
	}
	if len(rep.Differences) > 0 {
		ls = append(ls, receipt.Line{}, receipt.Line{Text: "DIFFERENCES", Bold: true})
		for _, d := range rep.Differences {
			ls = append(ls, receipt.Line{Text: d})
		}
	}
	return receipt.Receipt{Kind: receipt.EndOfDay, Lines: ls, Cut: true}
}

// attentionLines are a payment receipt's lines for a paid amount that is not the amount
// asked and for a payment flagged for a person (Payment.Attention); none otherwise. Kept
// apart from the rest of the layout on purpose.
func attentionLines(p *store.Payment) []receipt.Line {
	var ls []receipt.Line
	if p.State == store.StatePaid {
		paid := p.Paid()
		switch {
		case paid.Minor < p.Amount.Minor:
			ls = append(ls, receipt.Line{Text: "PAID LESS THAN ASKED: paid " + paid.String() + " of " + p.Amount.String(), Align: receipt.Center, Bold: true})
		case paid.Minor > p.Amount.Minor:
			ls = append(ls, receipt.Line{Text: "PAID MORE THAN ASKED: paid " + paid.String() + " of " + p.Amount.String(), Align: receipt.Center, Bold: true})
		}
	}
	if p.Attention != "" {
		ls = append(ls, receipt.Line{Text: "NEEDS ATTENTION: " + p.Attention, Align: receipt.Center, Bold: true})
	}
	return ls
}

// fmtReceipt formats a receipt number as printed and sent to the register (4 digits).
func fmtReceipt(n uint64) string { return fmt.Sprintf("%04d", n) }
