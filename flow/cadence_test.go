package flow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// settle runs the engine's timers at the clock's time and waits until no provider call
// or print is under way.
func (r *rig) settle() {
	r.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		busy := false
		if err := r.e.do(context.Background(), func() {
			r.e.onTick()
			busy = r.e.printBusy
			for _, t := range r.e.tracks {
				busy = busy || t.busy
			}
			for _, rt := range r.e.refunds {
				busy = busy || rt.busy
			}
		}); err != nil {
			r.t.Fatal(err)
		}
		if !busy {
			return
		}
		time.Sleep(time.Millisecond)
	}
	r.t.Fatal("engine did not settle")
}

// A payment the customer walks away from is cancelled by the cashier after a minute; the
// provider (AcountPay-like: no cancel) reports it pending until it expires 30 minutes
// after creation. Over that whole life the provider is asked a few dozen times and the
// store commits a few dozen times, not thousands (issue 19: a poll and a commit every
// 250 ms).
func TestWatchedPaymentCadence(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	cfg := testConfig()
	cfg.PollMin, cfg.PollMax = time.Second, 5*time.Second
	cfg.WatchPoll, cfg.WatchPollMax = 30*time.Second, 5*time.Minute
	cfg.ResultHold = 5 * time.Second
	cfg.Now = clk.Now
	r := newRig(t, "", cfg, nil)
	created := clk.Now()
	expires := created.Add(30 * time.Minute)
	r.prov.set(func() {
		r.prov.start = func(p *driver.Payment) (driver.Update, error) {
			return driver.Update{Remote: driver.RemotePending, ProviderID: "X" + p.ID, QR: "https://pay.example/" + p.ID, ExpiresAt: expires}, nil
		}
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
			if !clk.Now().Before(expires) {
				return driver.Update{Remote: driver.RemoteExpired}, nil
			}
			return driver.Update{Remote: driver.RemotePending}, nil
		}
	})
	r.run()
	commits0 := r.st.Commits()
	r.keys("1234\n")
	r.waitFor("QR", func() bool { return r.disp.last().Kind == screen.QR })
	step := 250 * time.Millisecond
	calls := func() int { return r.prov.count("start") + r.prov.count("check") + r.prov.count("cancel") }
	var atCancel int
	var commitsAtCancel uint64
	// 40 minutes: the watch checks after the cancel come 30 s, 1, 2, 4, 5, 5 … min apart,
	// each moved by up to ±10 % at random, so the first check after the expiry at 30 min
	// may come as late as about 35.5 min (a 35-minute run failed 1 in 20).
	for elapsed := time.Duration(0); elapsed < 40*time.Minute; elapsed += step {
		clk.add(step)
		if elapsed == time.Minute {
			atCancel, commitsAtCancel = calls(), r.st.Commits()-commits0
			r.keys("x")
			r.waitFor("cancelled", r.state(store.StateCancelled))
		}
		r.settle()
	}
	p := r.payment()
	if p.State != store.StateCancelled || p.Open(clk.Now()) {
		t.Fatalf("payment %s open %v after the provider expired it, want cancelled and no longer watched", p.State, p.Open(clk.Now()))
	}
	total, commits := calls(), r.st.Commits()-commits0
	t.Logf("at the counter (1 min): %d provider calls, %d commits; whole life (40 min): %d calls, %d commits", atCancel, commitsAtCancel, total, commits)
	if atCancel > 25 {
		t.Errorf("%d provider calls in the customer's minute at the counter, want ≤ 25 (1 s growing to 5 s)", atCancel)
	}
	if total > 40 {
		t.Errorf("%d provider calls over the payment's life, want ≤ 40", total)
	}
	if commits > 12 {
		t.Errorf("%d commits over the payment's life, want ≤ 12 (answers that change nothing are not written)", commits)
	}
}

// The schedule backs off within each state's bounds, honours a provider's Retry-After
// and spreads checks of payments scheduled at the same moment.
func TestScheduleBacksOffAndSpreads(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	cfg := testConfig()
	cfg.PollMin, cfg.PollMax = time.Second, 5*time.Second
	cfg.WatchPoll, cfg.WatchPollMax = 30*time.Second, 5*time.Minute
	cfg.Now = func() time.Time { return now }
	r := newRig(t, "", cfg, nil)
	tr := &track{p: &store.Payment{State: store.StateAwaiting}}
	var got []time.Duration
	for range 8 {
		r.e.schedule(tr, nil)
		got = append(got, tr.interval)
	}
	if got[0] != time.Second || got[len(got)-1] != 5*time.Second {
		t.Errorf("in-flight intervals %v, want 1s growing to 5s", got)
	}
	tr.p.State = store.StateCancelled
	got = got[:0]
	for range 8 {
		r.e.schedule(tr, nil)
		got = append(got, tr.interval)
	}
	if got[0] != 30*time.Second || got[len(got)-1] != 5*time.Minute {
		t.Errorf("watch intervals %v, want 30s growing to 5m", got)
	}
	r.e.schedule(tr, &driver.RetryAfterError{After: 20 * time.Minute, Err: driver.ErrUnreachable})
	if d := tr.nextCheck.Sub(now); d != 20*time.Minute {
		t.Errorf("next check %v after a Retry-After of 20m", d)
	}
	seen := map[time.Time]bool{}
	for range 100 {
		x := &track{p: &store.Payment{State: store.StateCancelled}}
		r.e.schedule(x, nil)
		if d := x.nextCheck.Sub(now); d < 27*time.Second || d > 33*time.Second {
			t.Fatalf("watched check in %v, want 30s ± 10%%", d)
		}
		seen[x.nextCheck] = true
	}
	if len(seen) < 50 {
		t.Errorf("100 payments scheduled together share %d check times, want them spread", len(seen))
	}
}
