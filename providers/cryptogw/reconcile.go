package cryptogw

import (
	"context"
	"fmt"
	"time"

	"github.com/terminald/terminald/driver"
)

// DiffKind names how the store and the gateway disagree.
type DiffKind string

// Kinds of Difference.
const (
	DiffMissingLocal  DiffKind = "missing-local"  // the gateway has a confirmed payment the store does not
	DiffMissingRemote DiffKind = "missing-remote" // the store has a paid payment the gateway does not list
	DiffState         DiffKind = "state"          // paid on one side only
	DiffAmount        DiffKind = "amount"         // invoice amounts differ
)

// Difference is one disagreement found by Reconcile.
type Difference struct {
	Kind      DiffKind
	PaymentID string // local payment id; empty for DiffMissingLocal
	GatewayID string // gateway payment_id, when known
	Local     string // what the store says, e.g. "paid 48.25 EUR"
	Remote    string // what the gateway says, e.g. "Confirmed 48.25 EUR"
}

// maxReconcilePages bounds how many GetTransactions pages Reconcile reads.
const maxReconcilePages = 100

// Reconcile compares local payments of this provider with GetTransactions for the
// end-of-day report. Gateway transactions count when inserted in [from, to) and made by
// this terminal's pos_id; local payments are matched by gateway payment id (or by
// reference_no = local id when the gateway reports it). A local payment that is paid
// must be paid at the gateway with the same invoice amount; a gateway payment that is
// paid must be known locally. Gateway times carry no zone and are taken as UTC.
func (pr *Provider) Reconcile(ctx context.Context, from, to time.Time, local []driver.Record) ([]Difference, error) {
	var all []Transaction
	for page := range maxReconcilePages {
		txs, err := pr.c.GetTransactions(ctx, page*pageSize, pageSize)
		if err != nil {
			return nil, fmt.Errorf("cryptogw: reconcile: %w", err)
		}
		all = append(all, txs...)
		if len(txs) < pageSize {
			break
		}
	}
	byID := map[string]Transaction{}
	byRef := map[string]Transaction{}
	for _, t := range all {
		if t.PosID != "" && t.PosID != pr.cfg.PosID {
			continue
		}
		byID[t.PaymentID] = t
		if t.ReferenceNo != "" {
			byRef[t.ReferenceNo] = t
		}
	}
	var diffs []Difference
	seen := map[string]bool{}
	for i := range local {
		p := &local[i]
		gid := p.Data[keyPaymentID]
		if gid == "" {
			gid = p.ProviderID
		}
		t, ok := byID[gid]
		if !ok && gid == "" {
			t, ok = byRef[p.ID]
		}
		localPaid := p.Paid
		lText := fmt.Sprintf("%s %s", p.State, p.Amount)
		if !ok {
			if localPaid {
				diffs = append(diffs, Difference{Kind: DiffMissingRemote, PaymentID: p.ID, GatewayID: gid, Local: lText, Remote: "not listed"})
			}
			continue
		}
		seen[t.PaymentID] = true
		rText := fmt.Sprintf("%s %s", t.Status, t.Invoice)
		switch {
		case localPaid != t.Paid():
			diffs = append(diffs, Difference{Kind: DiffState, PaymentID: p.ID, GatewayID: t.PaymentID, Local: lText, Remote: rText})
		case localPaid && !pr.invoiceMatches(p, t):
			diffs = append(diffs, Difference{Kind: DiffAmount, PaymentID: p.ID, GatewayID: t.PaymentID, Local: lText, Remote: rText})
		}
	}
	for _, t := range all {
		if seen[t.PaymentID] || !t.Paid() || (t.PosID != "" && t.PosID != pr.cfg.PosID) {
			continue
		}
		if t.Inserted.Before(from) || !t.Inserted.Before(to) {
			continue
		}
		diffs = append(diffs, Difference{Kind: DiffMissingLocal, GatewayID: t.PaymentID,
			Local: "not in store", Remote: fmt.Sprintf("%s %s", t.Status, t.Invoice)})
	}
	return diffs, nil
}

// invoiceMatches reports whether the gateway's invoice amount is the local one.
func (pr *Provider) invoiceMatches(p *driver.Record, t Transaction) bool {
	if t.Invoice.Currency != p.Amount.Currency {
		return false
	}
	return t.Invoice.Minor == p.Amount.Minor
}

// ReconcileDay implements driver.Reconciler: Reconcile's differences as printable lines.
func (pr *Provider) ReconcileDay(ctx context.Context, from, to time.Time, local []driver.Record) ([]string, error) {
	diffs, err := pr.Reconcile(ctx, from, to, local)
	if err != nil {
		return nil, err
	}
	lines := make([]string, 0, len(diffs))
	for _, d := range diffs {
		id := d.PaymentID
		if id == "" {
			id = d.GatewayID
		}
		lines = append(lines, fmt.Sprintf("%s %s: here %s, gateway %s", d.Kind, id, d.Local, d.Remote))
	}
	return lines, nil
}
