package main

import (
	"github.com/terminald/terminald/admin"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/store"
)

// The admin socket's results (package admin) from the engine's and the store's types.

func adminPayment(p *store.Payment) admin.Payment {
	return admin.Payment{ID: p.ID, Provider: p.Provider, Amount: p.Amount, State: string(p.State), Source: p.Source,
		ProviderID: p.ProviderID, Detail: p.Detail, Reason: p.Reason, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		SettledAt: p.SettledAt, Receipt: p.Receipt, Trace: p.Trace, PaidLate: p.PaidLate, Unconfirmed: p.Unconfirmed,
		Refunded: p.Refunded, Settled: p.Settled, Attention: p.Attention, Checking: p.Checking, Seq: p.Seq}
}

func adminPayments(ps []*store.Payment) admin.PaymentsResult {
	out := make(admin.PaymentsResult, 0, len(ps))
	for _, p := range ps {
		out = append(out, adminPayment(p))
	}
	return out
}

func adminStatus(s flow.Status) admin.StatusResult {
	out := admin.StatusResult{Ready: s.Ready, Providers: s.Providers, Printer: s.Printer, Open: s.Open, InFlight: s.InFlight,
		Refunds: s.Refunds, Outbox: s.Outbox, Checking: s.Checking}
	if s.Current != nil {
		p := adminPayment(s.Current)
		out.Current = &p
	}
	if len(s.Attention) > 0 {
		out.Attention = adminPayments(s.Attention)
	}
	return out
}

func adminRefund(r *store.Refund) admin.RefundResult {
	return admin.RefundResult{ID: r.ID, PaymentID: r.PaymentID, Amount: r.Amount, State: string(r.State),
		Destination: r.Destination, ProviderID: r.ProviderID, Detail: r.Detail, Reason: r.Reason,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, AcceptedAt: r.AcceptedAt, Receipt: r.Receipt}
}

func adminReport(r flow.Report) admin.EndOfDayResult {
	rows := func(in []flow.ReportRow) []admin.ReportRow {
		out := make([]admin.ReportRow, 0, len(in))
		for _, x := range in {
			out = append(out, admin.ReportRow{Provider: x.Provider, Result: x.Result, Currency: x.Currency, Count: x.Count, Total: x.Total})
		}
		return out
	}
	return admin.EndOfDayResult{From: r.From, To: r.To, Rows: rows(r.Rows), Totals: rows(r.Totals),
		Differences: r.Differences, ReceiptFrom: r.ReceiptFrom, ReceiptTo: r.ReceiptTo}
}
