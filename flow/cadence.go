package flow

import (
	"math/rand/v2"
	"reflect"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/store"
)

// Cadence: when the engine asks a provider about a payment, and when the Run loop wakes.
//
// A payment's next check is due at t.nextCheck. schedule sets it after each answer:
//   - in flight (creating, awaiting, cancelling): PollMin, growing ×1.5 up to PollMax
//     (1 s → 5 s: the customer is at the counter);
//   - watched (cancelled or expired here, not confirmed by the provider, within
//     WatchWindow): WatchPoll, doubling up to WatchPollMax (30 s → 5 min);
//   - never sooner than a provider's Retry-After (driver.RetryAfter of the error);
//   - spread by ±10 % at random so that many watched payments do not poll together.
//
// A webhook hint (Hint) makes the next check due at once; the interval keeps growing
// from where it was. The loop sleeps until the earliest due event of any kind (sleep),
// at most Tick.

// jitterSpread is the fraction of an interval by which a check is moved at random.
const jitterSpread = 0.1

// schedule sets t's next check after an answer (err is the call's error, nil when it
// answered): the interval backs off within the bounds of t's state and is spread.
func (e *Engine) schedule(t *track, err error) {
	lo, hi, grow := e.cfg.PollMin, e.cfg.PollMax, 1.5
	if t.p.State.Final() {
		lo, hi, grow = e.cfg.WatchPoll, e.cfg.WatchPollMax, 2
	}
	switch {
	case t.interval < lo:
		t.interval = lo
	default:
		t.interval = min(time.Duration(float64(t.interval)*grow), hi)
	}
	d := jitter(t.interval)
	if ra := driver.RetryAfter(err); ra > d {
		d = ra
	}
	t.nextCheck = e.now().Add(d)
}

// jitter returns d moved by up to ±jitterSpread at random.
func jitter(d time.Duration) time.Duration {
	span := int64(float64(d) * jitterSpread)
	if span <= 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(2*span+1)-span)
}

// unchanged reports whether p is the record last committed for its track but for
// UpdatedAt and Detail (the provider's progress text, "1/2 confirmations": shown on the
// screen, refreshed by the first check after a restart, written with the next change):
// saving it would change nothing a crash must not lose.
func (e *Engine) unchanged(p *store.Payment) bool {
	t := e.tracks[p.ID]
	if t == nil || t.p != p || t.saved == nil {
		return false
	}
	a, b := *t.saved, *p
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	a.Detail, b.Detail = "", ""
	if len(a.Data) == 0 && len(b.Data) == 0 {
		a.Data, b.Data = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// sleep returns how long the Run loop may sleep: until the earliest due event, at
// least 0 and at most Tick after the last tick — measured from the last tick, not from
// now, so that a stream of events (keys, status calls) can never starve the tick.
func (e *Engine) sleep() time.Duration {
	now := e.now()
	base := e.ticked // set when Run starts
	if base.After(now) {
		base = now
	}
	next := base.Add(e.cfg.Tick)
	due := func(at time.Time) {
		if !at.IsZero() && at.Before(next) {
			next = at
		}
	}
	for _, t := range e.tracks {
		p := t.p
		if t.busy {
			continue
		}
		if p.State == store.StateNew {
			if t.askAgain {
				due(t.nextCheck) // an input step asked again after a fault
			}
			continue
		}
		if p.State.Final() && !p.WatchUntil.IsZero() {
			due(p.WatchUntil)
		}
		if p.State == store.StateAwaiting && !p.ExpiresAt.IsZero() {
			due(p.ExpiresAt.Add(min(5*time.Second, e.cfg.PollMax)))
		}
		if t.nextCheck.IsZero() {
			due(now)
		} else {
			due(t.nextCheck)
		}
	}
	for _, rt := range e.refunds {
		if !rt.busy {
			if rt.next.IsZero() {
				due(now)
			} else {
				due(rt.next)
			}
		}
	}
	if !e.printBusy {
		for _, j := range e.jobs {
			if j.NextAt.IsZero() {
				due(now)
			} else {
				due(j.NextAt)
			}
		}
	}
	for name, ok := range e.online {
		switch {
		case e.pinging[name]:
		case e.doubt[name]:
			due(now) // a call met a fault: ping at once
		case !ok:
			due(e.lastPing[name].Add(e.cfg.PollMax))
		}
	}
	due(e.ui.due())
	return max(next.Sub(now), 0)
}

// due returns when the screen next changes by itself (a result screen ends, the
// countdown's next second, a step's refresh); zero when it does not.
func (u *ui) due() time.Time {
	switch u.mode {
	case modeResult, modeMessage:
		return u.until.Add(time.Millisecond) // tick ends it once now is after until
	case modeAwait, modeDecision:
		if u.lastTick.IsZero() {
			return u.e.now()
		}
		return u.lastTick.Add(time.Second)
	case modeStep:
		if u.step != nil && u.step.Refresh != nil && !u.stepBusy {
			if u.stepNext.IsZero() {
				return u.e.now() // refreshed at once (see tick)
			}
			return u.stepNext
		}
	}
	return time.Time{}
}
