package flow

import (
	"fmt"
	"strings"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/store"
)

// Receipts are built in the shop's language (Config.Locale): labels are the message
// keys "receipt.*" of package locale, amounts in the locale's money format, times in
// its zone, providers by their brand names.

func (e *Engine) t(key string) string { return e.cfg.Locale.T(key) }

func (e *Engine) header(kind receipt.Kind, reprint bool) []receipt.Line {
	var ls []receipt.Line
	if e.cfg.Merchant != "" {
		ls = append(ls, receipt.Line{Text: e.cfg.Merchant, Align: receipt.Center, Bold: true, Double: true})
	}
	for _, l := range e.cfg.MerchantInfo {
		ls = append(ls, receipt.Line{Text: l, Align: receipt.Center})
	}
	if e.cfg.VATID != "" {
		ls = append(ls, receipt.Line{Text: e.t("receipt.vat_id") + " " + e.cfg.VATID, Align: receipt.Center})
	}
	ls = append(ls, receipt.Line{})
	ls = append(ls, receipt.Line{Text: e.t("receipt.title." + string(kind)), Align: receipt.Center, Bold: true})
	if reprint {
		ls = append(ls, receipt.Line{Text: e.t("receipt.reprint"), Align: receipt.Center})
	}
	return ls
}

// footer is Config.ReceiptFooter as centred lines after an empty one.
func (e *Engine) footer() []receipt.Line {
	if strings.TrimSpace(e.cfg.ReceiptFooter) == "" {
		return nil
	}
	ls := []receipt.Line{{}}
	for _, l := range strings.Split(e.cfg.ReceiptFooter, "\n") {
		ls = append(ls, receipt.Line{Text: l, Align: receipt.Center})
	}
	return ls
}

func (e *Engine) stamp(t time.Time, synced bool) string {
	s := e.cfg.Locale.Time(t)
	if !synced {
		s += " " + e.t("receipt.time_not_synced")
	}
	return s
}

func (e *Engine) money(a money.Amount) string { return e.cfg.Locale.Money(a) }

func (e *Engine) paymentReceipt(p *store.Payment, kind receipt.Kind, reprint bool) receipt.Receipt {
	ls := e.header(kind, reprint)
	when := p.UpdatedAt
	if !p.SettledAt.IsZero() {
		when = p.SettledAt
	}
	ls = append(ls,
		receipt.Line{Text: e.t("receipt.date"), Right: e.stamp(when, p.ClockSynced)},
		receipt.Line{Text: e.t("receipt.terminal"), Right: e.cfg.TerminalID},
		receipt.Line{Text: e.t("receipt.receipt"), Right: fmtReceipt(p.Receipt)},
		receipt.Line{Text: e.t("receipt.trace"), Right: fmt.Sprintf("%06d", p.Trace)},
		receipt.Line{Text: e.t("receipt.provider"), Right: e.cfg.Locale.Brand(p.Provider)},
		receipt.Line{Text: e.t("receipt.reference"), Right: p.ID},
	)
	if p.ProviderID != "" {
		ls = append(ls, receipt.Line{Text: e.t("receipt.provider_ref"), Right: p.ProviderID})
	}
	if d, ok := e.providers[p.Provider].(driver.ReceiptDetailer); ok {
		for _, x := range d.ReceiptDetails(p.Data, p.Paid()) {
			v := x.Value
			if x.Amount.Currency != "" {
				v = e.money(x.Amount) + v
			}
			ls = append(ls, receipt.Line{Text: e.t(x.Label), Right: v})
		}
	}
	ls = append(ls, receipt.Line{}, receipt.Line{Text: e.t("receipt.amount"), Right: e.money(p.Paid()), Bold: true, Double: true})
	if p.Paid() != p.Amount {
		ls = append(ls, receipt.Line{Text: e.t("receipt.asked"), Right: e.money(p.Amount)})
	}
	ls = append(ls, receipt.Line{})
	switch {
	case kind == receipt.Unconfirmed: // the register refused the sale: never "approved"
		ls = append(ls, receipt.Line{Text: e.t("receipt.result.unconfirmed"), Align: receipt.Center, Bold: true})
	case p.State == store.StatePaid, p.State == store.StateFailed, p.State == store.StateExpired, p.State == store.StateCancelled:
		ls = append(ls, receipt.Line{Text: e.t("receipt.result." + string(p.State)), Align: receipt.Center, Bold: true})
	default:
		ls = append(ls, receipt.Line{Align: receipt.Center, Bold: true})
	}
	if p.Reason != "" && p.State != store.StatePaid {
		ls = append(ls, receipt.Line{Text: p.Reason, Align: receipt.Center})
	}
	ls = append(ls, e.attentionLines(p)...)
	if p.Refunded > 0 {
		ls = append(ls, receipt.Line{Text: e.t("receipt.refunded"), Right: e.money(money.New(p.Refunded, p.Amount.Currency))})
	}
	switch kind {
	case receipt.LatePaid:
		ls = append(ls, receipt.Line{Text: e.t("receipt.late_paid_note"), Align: receipt.Center})
	case receipt.Unconfirmed:
		ls = append(ls, receipt.Line{Text: e.t("receipt.unconfirmed_note"), Align: receipt.Center})
	}
	if p.State == store.StatePaid {
		ls = append(ls, e.footer()...)
	}
	r := receipt.Receipt{Kind: kind, Number: p.Receipt, Lines: ls, Cut: true, Copy: e.t("receipt.copy")}
	if p.State == store.StatePaid {
		r.QR = p.ID
	}
	return r
}

func (e *Engine) refundReceipt(p *store.Payment, r *store.Refund, reprint bool) receipt.Receipt {
	ls := e.header(receipt.Refund, reprint)
	ls = append(ls,
		receipt.Line{Text: e.t("receipt.date"), Right: e.stamp(r.UpdatedAt, e.cfg.ClockSynced())},
		receipt.Line{Text: e.t("receipt.terminal"), Right: e.cfg.TerminalID},
		receipt.Line{Text: e.t("receipt.receipt"), Right: fmtReceipt(r.Receipt)},
		receipt.Line{Text: e.t("receipt.original_receipt"), Right: fmtReceipt(p.Receipt)},
		receipt.Line{Text: e.t("receipt.provider"), Right: e.cfg.Locale.Brand(p.Provider)},
		receipt.Line{Text: e.t("receipt.reference"), Right: r.ID},
	)
	if r.Destination != "" {
		ls = append(ls, receipt.Line{Text: e.t("receipt.to"), Right: r.Destination})
	}
	ls = append(ls, receipt.Line{}, receipt.Line{Text: e.t("receipt.refund_amount"), Right: e.money(r.Amount), Bold: true, Double: true}, receipt.Line{},
		receipt.Line{Text: e.t("receipt.refund." + string(r.State)), Align: receipt.Center, Bold: true})
	if r.Detail != "" {
		ls = append(ls, receipt.Line{Text: r.Detail, Align: receipt.Center})
	}
	ls = append(ls, e.footer()...)
	return receipt.Receipt{Kind: receipt.Refund, Number: r.Receipt, Lines: ls, QR: r.ID, Cut: true, Copy: e.t("receipt.copy")}
}

// reportReceipt lays out a report: kind receipt.EndOfDay, or receipt.XReport for the day
// so far (not closed, and it says so).
func (e *Engine) reportReceipt(rep Report, kind receipt.Kind) receipt.Receipt {
	ls := e.header(kind, false)
	if kind == receipt.XReport {
		ls = append(ls, receipt.Line{Text: e.t("receipt.day_not_closed"), Align: receipt.Center})
	}
	ls = append(ls,
		receipt.Line{Text: e.t("receipt.from"), Right: e.stamp(rep.From, true)},
		receipt.Line{Text: e.t("receipt.until"), Right: e.stamp(rep.To, e.cfg.ClockSynced())},
		receipt.Line{Text: e.t("receipt.terminal"), Right: e.cfg.TerminalID}, receipt.Line{})
	for _, row := range rep.Rows {
		result := row.Result
		if k := "receipt.row." + row.Result; e.cfg.Locale.Has(k) {
			result = e.t(k)
		}
		ls = append(ls, receipt.Line{Text: fmt.Sprintf("%s %s x%d", e.cfg.Locale.Brand(row.Provider), result, row.Count), Right: e.money(money.New(row.Total, row.Currency))})
	}
	ls = append(ls, receipt.Line{})
	for _, tot := range rep.Totals {
		ls = append(ls, receipt.Line{Text: e.t("receipt.total") + " x" + fmt.Sprint(tot.Count), Right: e.money(money.New(tot.Total, tot.Currency)), Bold: true})
	}
	if rep.ReceiptTo != 0 {
		ls = append(ls, receipt.Line{Text: e.t("receipt.receipts"), Right: fmtReceipt(rep.ReceiptFrom) + "-" + fmtReceipt(rep.ReceiptTo)})
	}
	if len(rep.Differences) > 0 {
		ls = append(ls, receipt.Line{}, receipt.Line{Text: e.t("receipt.differences"), Bold: true})
		for _, d := range rep.Differences {
			ls = append(ls, receipt.Line{Text: d})
		}
	}
	return receipt.Receipt{Kind: kind, Lines: ls, Cut: true}
}

// attentionLines are a payment receipt's lines for a paid amount that is not the amount
// asked and for a payment flagged for a person (Payment.Attention); none otherwise. Kept
// apart from the rest of the layout on purpose.
func (e *Engine) attentionLines(p *store.Payment) []receipt.Line {
	var ls []receipt.Line
	line := func(text string) { ls = append(ls, receipt.Line{Text: text, Align: receipt.Center, Bold: true}) }
	if p.State == store.StatePaid {
		paid := p.Paid()
		switch {
		case paid.Minor < p.Amount.Minor:
			line(e.t("receipt.paid_less"))
			line(e.money(paid) + " " + e.t("receipt.of") + " " + e.money(p.Amount))
		case paid.Minor > p.Amount.Minor:
			line(e.t("receipt.paid_more"))
			line(e.money(paid) + " " + e.t("receipt.of") + " " + e.money(p.Amount))
		}
	}
	if p.Attention != "" {
		line(e.t("receipt.needs_attention") + ": " + p.Attention)
	}
	return ls
}

// fmtReceipt formats a receipt number as printed and sent to the register (4 digits).
func fmtReceipt(n uint64) string { return fmt.Sprintf("%04d", n) }
