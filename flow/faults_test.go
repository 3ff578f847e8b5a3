package flow

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// Issue 17: a blip at the provider never costs the shop a sale. These tests drive the
// engine on a fake clock through faults (driver.ErrUnreachable) at the calls where one
// used to fail or refuse the sale.

// faultyStep is a provider with one input step (a quote, as the crypto gateway's) whose
// NextStep meets a fault while faults is set.
type faultyStep struct {
	*script
	mu     sync.Mutex
	faults bool
	asked  int
}

func (s *faultyStep) NextStep(ctx context.Context, p *driver.Payment) (*driver.Step, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked++
	if s.faults {
		return nil, fmt.Errorf("GetCurrencyList: 503: %w", driver.ErrUnreachable)
	}
	if p.Data["quote"] == "" {
		return &driver.Step{Key: "quote", Prompt: "Pay in BTC? OK", Refresh: func(context.Context, *driver.Payment) ([]string, error) {
			return []string{"1 BTC = 60000 EUR"}, nil
		}}, nil
	}
	return nil, nil
}

func (s *faultyStep) setFaults(on bool) { s.mu.Lock(); s.faults = on; s.mu.Unlock() }
func (s *faultyStep) askedN() int       { s.mu.Lock(); defer s.mu.Unlock(); return s.asked }

func faultConfig(clk *fakeClock) Config {
	cfg := testConfig()
	cfg.PollMin, cfg.PollMax = time.Second, 5*time.Second
	cfg.Now = clk.Now
	return cfg
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)} }

// An input step that meets faults (no answer, 5xx) is asked again on the polling
// schedule, with "No answer from …" on screen, instead of failing the sale; once the
// provider answers, the sale goes on to its QR and is paid.
func TestInputStepFaultIsAskedAgain(t *testing.T) {
	clk := newClock()
	var fs *faultyStep
	r := newRig(t, "", faultConfig(clk), func(s *script) driver.Provider { fs = &faultyStep{script: s, faults: true}; return fs })
	r.run()
	r.keys("2000\n")
	r.waitFor("first step asked", func() bool { return fs.askedN() >= 1 })
	r.settle()
	for elapsed := time.Duration(0); elapsed < 40*time.Second; elapsed += time.Second {
		clk.add(time.Second)
		r.settle()
	}
	if n := fs.askedN(); n < 5 {
		t.Fatalf("step asked %d times in 40 s of faults, want it asked again (≥ 5)", n)
	}
	p := r.payment()
	if p.State != store.StateNew {
		t.Fatalf("payment %s (%s) after 40 s of faults at its input step, want still new (asked again)", p.State, p.Reason)
	}
	if s := r.disp.last(); s.Kind != screen.Wait || len(s.Lines) != 1 || s.Lines[0] != "No answer from script, trying again..." {
		t.Fatalf("screen during the faults = %+v, want the wait screen saying it tries again", s)
	}
	// The OK typed during the faults answers the step once it shows.
	r.keys("\n")
	fs.setFaults(false)
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	})
	for range 20 {
		if r.payment().State == store.StatePaid {
			break
		}
		clk.add(time.Second)
		r.settle()
	}
	if p := r.payment(); p.State != store.StatePaid || r.prov.count("start") != 1 {
		t.Fatalf("payment %s after the provider answered again (%d creates), want paid, created once", p.State, r.prov.count("start"))
	}
}

// The fault window is bounded: an input step that meets nothing but faults for a whole
// faultWindow fails the sale (nothing was sent, so no slip), with the reason on screen.
func TestInputStepFaultsPastTheWindowFail(t *testing.T) {
	clk := newClock()
	var fs *faultyStep
	r := newRig(t, "", faultConfig(clk), func(s *script) driver.Provider { fs = &faultyStep{script: s, faults: true}; return fs })
	r.prov.pingErr = fmt.Errorf("dial: %w", driver.ErrUnreachable)
	r.run()
	r.keys("2000\n")
	r.waitFor("first step asked", func() bool { return fs.askedN() >= 1 })
	for elapsed := time.Duration(0); elapsed <= faultWindow+10*time.Second && r.payment().State == store.StateNew; elapsed += time.Second {
		clk.add(time.Second)
		r.settle()
	}
	p := r.payment()
	if p.State != store.StateFailed || p.Reason != "Provider offline" {
		t.Fatalf("payment %s (%q) after %s of faults, want failed, provider offline", p.State, p.Reason, faultWindow)
	}
	if r.prov.count("start") != 0 || len(r.prn.printed()) != 0 {
		t.Fatalf("%d creates, %d slips for a payment whose steps never got an answer; want none", r.prov.count("start"), len(r.prn.printed()))
	}
}

// A create the provider never got (a reset before it reached it, found NotFound by the
// check) is sent again with the same reference for as long as the faults last within the
// fault window, not just maxStarts times; the sale goes on once one gets through.
func TestCreateResentWithinFaultWindow(t *testing.T) {
	clk := newClock()
	r := newRig(t, "", faultConfig(clk), nil)
	var mu sync.Mutex
	through := false
	var refs []string
	r.prov.start = func(p *driver.Payment) (driver.Update, error) {
		mu.Lock()
		defer mu.Unlock()
		refs = append(refs, p.ID)
		if !through {
			return driver.Update{}, fmt.Errorf("connection reset: %w", driver.ErrUnreachable)
		}
		return driver.Update{Remote: driver.RemotePending, ProviderID: "X" + p.ID, QR: "q"}, nil
	}
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
		mu.Lock()
		defer mu.Unlock()
		if !through {
			return driver.Update{Remote: driver.RemoteNotFound}, nil
		}
		return driver.Update{Remote: driver.RemotePaid}, nil
	}
	r.run()
	r.keys("500\n")
	r.waitFor("first create", func() bool { return r.prov.count("start") >= 1 })
	for elapsed := time.Duration(0); elapsed < 30*time.Second; elapsed += time.Second {
		clk.add(time.Second)
		r.settle()
	}
	if n := r.prov.count("start"); n <= maxStarts+1 {
		t.Fatalf("create sent %d times in 30 s of faults, want more than %d (within the fault window)", n, maxStarts+1)
	}
	if p := r.payment(); p.State != store.StateCreating {
		t.Fatalf("payment %s (%q) during the faults, want still creating", p.State, p.Reason)
	}
	mu.Lock()
	through = true
	mu.Unlock()
	for range 30 {
		if r.payment().State == store.StatePaid {
			break
		}
		clk.add(time.Second)
		r.settle()
	}
	if p := r.payment(); p.State != store.StatePaid {
		t.Fatalf("payment %s after the provider answered, want paid", p.State)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, ref := range refs {
		if ref != refs[0] {
			t.Fatalf("create sent again with reference %s, first %s: want the same", ref, refs[0])
		}
	}
}

// One faulted call does not make the terminal offline: a watched payment's background
// check that meets a reset has the provider pinged, and while that ping is under way
// the next sale is taken, not refused with "Offline".
func TestOneFaultDoesNotRefuseTheNextSale(t *testing.T) {
	clk := newClock()
	r := newRig(t, "", faultConfig(clk), nil)
	ping := make(chan struct{})
	defer close(ping)
	r.run()
	r.keys("500\n")
	r.waitFor("QR", func() bool { return r.disp.last().Kind == screen.QR })
	r.keys("x") // no cancel at this provider: cancelled here and watched
	r.waitFor("cancelled", r.state(store.StateCancelled))
	r.prov.set(func() {
		r.prov.pingBlock = ping
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
			return driver.Update{}, fmt.Errorf("read: connection reset: %w", driver.ErrUnreachable)
		}
	})
	checks := r.prov.count("check")
	for r.prov.count("check") == checks {
		clk.add(5 * time.Second) // the watch poll comes due, and meets the fault
		r.settle()
	}
	var pinging, online bool
	r.e.do(context.Background(), func() { pinging, online = r.e.pinging["script"], r.e.online["script"] })
	if !pinging || !online {
		t.Fatalf("after one faulted call: pinging %v, online %v; want a ping under way and still online", pinging, online)
	}
	r.keys("700\n")
	r.waitFor("the next sale's QR", func() bool { return r.disp.last().Kind == screen.QR || r.disp.last().Kind == screen.Offline })
	if s := r.disp.last(); s.Kind != screen.QR {
		t.Fatalf("next sale after one fault: %+v, want it taken", s)
	}
}

// A failed ping does make the terminal offline (new sales refused); a register's sale
// refused that way has the provider pinged at once, so the terminal is back as soon as
// it answers, not a PollMax later.
func TestFailedPingRefusesUntilAPingAnswers(t *testing.T) {
	clk := newClock()
	r := newRig(t, "", faultConfig(clk), nil)
	r.prov.pingErr = fmt.Errorf("dial: %w", driver.ErrUnreachable)
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, fmt.Errorf("dial: %w", driver.ErrUnreachable)
	}
	r.run()
	r.keys("500\n")
	r.waitFor("QR", func() bool { return r.disp.last().Kind == screen.QR })
	clk.add(2 * time.Second)
	r.settle() // the check meets a fault: ping
	r.waitFor("offline after the ping failed too", func() bool { return !r.online() })
	r.prov.set(func() {
		r.prov.cancelFn = func(*driver.Payment) (driver.Update, error) {
			return driver.Update{}, fmt.Errorf("dial: %w", driver.ErrUnreachable)
		}
	})
	r.keys("x")
	r.waitFor("cancel pending", func() bool { return r.disp.last().Title == "Cancel pending" })
	// The provider answers again; the clock does not move from here, so no ping is due
	// (PollMax after the last) but the one the register's refused sale asks for.
	r.prov.set(func() { r.prov.pingErr = nil })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.e.Pay(ctx, r.payment().Amount, nil); !errors.Is(err, ErrOffline) {
		t.Fatalf("register sale while the provider is offline: %v, want refused offline", err)
	}
	r.waitFor("online again without waiting PollMax", r.online)
}

func (r *rig) online() bool {
	var on bool
	r.e.do(context.Background(), func() { on = r.e.online["script"] })
	return on
}
