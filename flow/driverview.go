package flow

import (
	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/store"
)

// flowKeys are the keys of store.Payment.Data that hold the engine's own control state;
// a provider never sees or sets them.
var flowKeys = map[string]bool{"cancel": true, "abandon": true, "ecr": true, "decision": true, "expiry": true}

// cancelRequested reports whether the engine wants payment p stopped: the cashier or the
// register cancelled it, or nobody waits for it any more.
func cancelRequested(p *store.Payment) bool {
	return cancelAsked(p) || p.Data["abandon"] != ""
}

// cancelAsked reports whether a cancel was asked for p ("requested": not yet accepted
// by the provider; "sent": accepted, not yet final).
func cancelAsked(p *store.Payment) bool {
	v := p.Data["cancel"]
	return v == "requested" || v == "sent"
}

// providerData returns the provider's own keys of d (a copy).
func providerData(d map[string]string) map[string]string {
	c := make(map[string]string, len(d))
	for k, v := range d {
		if !flowKeys[k] {
			c[k] = v
		}
	}
	return c
}

// view returns the provider's view of p. Its CancelRequested asks the Run goroutine,
// which owns the live record; once the engine has stopped it reports true so that no
// money moves on.
func (e *Engine) view(p *store.Payment) *driver.Payment {
	id := p.ID
	return &driver.Payment{
		ID:         p.ID,
		Amount:     p.Amount,
		ProviderID: p.ProviderID,
		QR:         p.QR,
		ExpiresAt:  p.ExpiresAt,
		CreatedAt:  p.CreatedAt,
		Settled:    p.Settled,
		Refunded:   p.Refunded,
		Data:       providerData(p.Data),
		StopRequested: func() bool {
			stop := true
			if err := e.do(e.ctx, func() {
				if t := e.tracks[id]; t != nil {
					stop = cancelRequested(t.p)
				}
			}); err != nil {
				return true
			}
			return stop
		},
	}
}

// refundView returns the provider's view of refund r.
func refundView(r *store.Refund) *driver.Refund {
	return &driver.Refund{
		ID:          r.ID,
		Amount:      r.Amount,
		Destination: r.Destination,
		ProviderID:  r.ProviderID,
		Data:        cloneData(r.Data),
	}
}

// records returns the provider's view of the payments of a period, for a Reconciler.
func records(ps []store.Payment) []driver.Record {
	out := make([]driver.Record, len(ps))
	for i := range ps {
		p := &ps[i]
		out[i] = driver.Record{
			ID:         p.ID,
			Amount:     p.Amount,
			ProviderID: p.ProviderID,
			Data:       providerData(p.Data),
			State:      string(p.State),
			Paid:       p.State == store.StatePaid,
		}
	}
	return out
}
