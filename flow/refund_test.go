package flow

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// flakyRefunds refunds like refundingScript, but its first refund calls find the provider
// unreachable (fails of them), some with a Retry-After; it records when each call came.
type flakyRefunds struct {
	*script
	mu    sync.Mutex
	fails int
	after time.Duration // Retry-After of every failure; 0 for none
	sent  []string      // refunds accepted, in order
	at    []time.Time   // when each Refund call came
	// pendingChecks CheckRefund calls answer "sent" before one answers "done";
	// commits holds the store's commit count at each CheckRefund call.
	pendingChecks int
	commits       []uint64
}

func (f *flakyRefunds) Refund(ctx context.Context, p *driver.Payment, r *driver.Refund, save func(*driver.Refund) error) (driver.RefundUpdate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at = append(f.at, time.Now())
	if f.fails > 0 {
		f.fails--
		err := fmt.Errorf("refund: %w", driver.ErrUnreachable)
		if f.after > 0 {
			err = &driver.RetryAfterError{After: f.after, Err: err}
		}
		return driver.RefundUpdate{}, err
	}
	f.sent = append(f.sent, r.ID)
	return driver.RefundUpdate{State: driver.RefundSent, ProviderID: "RF-" + r.ID}, nil
}

func (f *flakyRefunds) CheckRefund(ctx context.Context, p *driver.Payment, r *driver.Refund) (driver.RefundUpdate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commits = append(f.commits, f.st.Commits())
	if f.pendingChecks > 0 {
		f.pendingChecks--
		return driver.RefundUpdate{State: driver.RefundSent}, nil
	}
	return driver.RefundUpdate{State: driver.RefundDone}, nil
}

func (f *flakyRefunds) RefundNeedsDestination() bool { return false }

func (f *flakyRefunds) calls() ([]string, []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent), slices.Clone(f.at)
}

// refund reads refund id from the store.
func (r *rig) refund(id string) *store.Refund {
	var got *store.Refund
	if err := r.st.View(func(tx *store.Tx) (err error) { got, err = tx.Refund(id); return }); err != nil {
		r.t.Fatal(err)
	}
	return got
}

// Two refunds of one payment while its provider cannot be reached: the second is not sent
// while the first waits for its retry (the provider sees them in the order asked), and the
// retries back off from the first poll interval instead of twice it.
func TestRefundRetriesInOrderWithBackoff(t *testing.T) {
	f := &flakyRefunds{fails: 4}
	cfg := testConfig()
	cfg.PollMin = 40 * time.Millisecond
	r := newRig(t, "", cfg, func(s *script) driver.Provider { f.script = s; return f })
	r.run()
	ctx := context.Background()
	p := r.paid(1000)
	first, err := r.e.Refund(ctx, p.ID, money.New(100, "EUR"), "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := r.e.Refund(ctx, p.ID, money.New(200, "EUR"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{first.ID, second.ID} {
		r.waitFor("refund done", func() bool {
			return r.refund(id).State == store.RefundDone
		})
	}
	sent, at := f.calls()
	if !slices.Equal(sent, []string{first.ID, second.ID}) {
		t.Fatalf("refunds accepted in the order %v, want %s then %s", sent, first.ID, second.ID)
	}
	if len(at) != 6 {
		t.Fatalf("%d refund calls, want 4 failures and 2 refunds", len(at))
	}
	// Retries no sooner than 40, 80, 160 ms (less 10 % jitter); the first was immediate
	// before (the second refund went out while the first waited).
	if gap := at[1].Sub(at[0]); gap < 36*time.Millisecond {
		t.Fatalf("first retry after %v, want about PollMin (40ms)", gap)
	}
	if gap := at[3].Sub(at[2]); gap < 144*time.Millisecond {
		t.Fatalf("third retry after %v, want at least about 160ms (backing off)", gap)
	}
}

// A refund's retries start at PollMin (not twice it) and double up to 5 minutes, spread
// by ±10 %, never sooner than a Retry-After.
func TestRefundBackoff(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	cfg := testConfig()
	cfg.PollMin = time.Second
	cfg.Now = func() time.Time { return now }
	r := newRig(t, "", cfg, nil)
	rt := &rtrack{}
	var got []time.Duration
	for range 12 {
		d := r.e.refundBackoff(rt, driver.ErrUnreachable)
		if lo, hi := rt.interval*9/10, rt.interval*11/10; d < lo || d > hi || rt.next != now.Add(d) {
			t.Fatalf("retry in %v (next %v) for an interval of %v, want within ±10 %%", d, rt.next, rt.interval)
		}
		got = append(got, rt.interval)
	}
	if got[0] != time.Second || got[1] != 2*time.Second || got[len(got)-1] != refundRetryMax {
		t.Fatalf("retry intervals %v, want 1s doubling to %v", got, refundRetryMax)
	}
	if d := r.e.refundBackoff(rt, &driver.RetryAfterError{After: time.Hour, Err: driver.ErrUnreachable}); d != time.Hour {
		t.Fatalf("retry in %v after Retry-After 1h", d)
	}
}

// A provider that answers 429 with Retry-After gets no refund call sooner than that.
func TestRefundRetryHonoursRetryAfter(t *testing.T) {
	f := &flakyRefunds{fails: 1, after: 300 * time.Millisecond}
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { f.script = s; return f })
	r.run()
	ctx := context.Background()
	p := r.paid(1000)
	rf, err := r.e.Refund(ctx, p.ID, money.New(100, "EUR"), "")
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor("refund done", func() bool {
		return r.refund(rf.ID).State == store.RefundDone
	})
	if _, at := f.calls(); len(at) != 2 || at[1].Sub(at[0]) < 300*time.Millisecond {
		t.Fatalf("refund calls at %v, want the retry no sooner than Retry-After (300ms)", at)
	}
}

// A refund the provider accepted but has not finished is followed without a commit per
// check: an answer that changes nothing is not written.
func TestFollowedRefundCommitsOnlyChanges(t *testing.T) {
	f := &flakyRefunds{pendingChecks: 5}
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { f.script = s; return f })
	r.run()
	ctx := context.Background()
	p := r.paid(1000)
	r.e.Confirm(ctx, p.ID)
	r.waitFor("sale printed", func() bool { return len(r.prn.printed()) == 1 })
	rf, err := r.e.Refund(ctx, p.ID, money.New(100, "EUR"), "")
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor("refund done", func() bool { return r.refund(rf.ID).State == store.RefundDone })
	f.mu.Lock()
	commits := slices.Clone(f.commits)
	f.mu.Unlock()
	if len(commits) != 6 {
		t.Fatalf("%d refund checks, want 6", len(commits))
	}
	// Between the second check and the last (the sent refund's receipt printed by then),
	// four answers of "sent" changed nothing: no commit.
	r.waitFor("refund printed", func() bool { return len(r.prn.printed()) == 2 })
	if commits[5] != commits[1] {
		t.Fatalf("commits at each check %v: answers that changed nothing were written", commits)
	}
}

// probedPrinter answers the engine's first status request (the one at start) only when
// released, with "paper out"; every later one (after a job) with "ok".
type probedPrinter struct {
	*printer
	mu      sync.Mutex
	asked   int
	release chan struct{}
	probed  chan struct{} // closed when the first answer is given
}

func (p *probedPrinter) PrinterStatus(ctx context.Context) string {
	p.mu.Lock()
	p.asked++
	first := p.asked == 1
	p.mu.Unlock()
	if !first {
		return "ok"
	}
	<-p.release
	defer close(p.probed)
	return "paper out"
}

// The status asked at start comes back after a receipt printed and the printer reported
// ok: the older answer does not overwrite the newer one.
func TestStaleStartStatusDoesNotOverwriteAJobsStatus(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	pp := &probedPrinter{printer: r.prn, release: make(chan struct{}), probed: make(chan struct{})}
	var err error
	r.e, err = New(testConfig(), r.st, []driver.Provider{r.prov}, r.disp, pp)
	if err != nil {
		t.Fatal(err)
	}
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	r.run()
	r.keys("100\n")
	r.waitFor("receipt", func() bool { return len(r.prn.printed()) == 1 })
	status := func() string {
		s, err := r.e.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return s.Printer
	}
	r.waitFor("the job's printer status", func() bool { return status() == "ok" })
	close(pp.release)
	<-pp.probed
	deadline := time.Now().Add(100 * time.Millisecond) // the stale answer is posted at once
	for time.Now().Before(deadline) {
		if s := status(); s != "ok" {
			t.Fatalf("printer %q after a stale start status, want ok (the job's, newer)", s)
		}
	}
}
