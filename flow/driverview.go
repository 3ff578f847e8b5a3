package flow

import (
	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/store"
)

// cancelRequested reports whether the engine wants payment p stopped: the cashier or the
// register cancelled it, or nobody waits for it any more.
func cancelRequested(p *store.Payment) bool {
	return p.CancelAsked() || p.Abandon != store.AbandonNone
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
		Data:       cloneData(p.Data),
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
			Data:       cloneData(p.Data),
			State:      string(p.State),
			Paid:       p.State == store.StatePaid,
		}
	}
	return out
}
