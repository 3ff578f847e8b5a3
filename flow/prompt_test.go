package flow

import (
	"context"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// A step nobody answers ends: the payment, never sent to the provider, is cancelled
// locally, and the step showed its countdown.
func TestStepPromptTimesOut(t *testing.T) {
	cfg := testConfig()
	cfg.PromptTimeout = 150 * time.Millisecond
	r := newRig(t, "", cfg, func(s *script) driver.Provider { return &askingScript{script: s} })
	r.run()
	r.keys("1000\n")
	r.waitFor("method step", func() bool { s := r.disp.last(); return s.Kind == screen.Choose && s.Title == "How?" })
	if s := r.disp.last(); s.Deadline.IsZero() {
		t.Fatalf("step screen without a countdown: %+v", s)
	}
	r.waitFor("cancelled", r.state(store.StateCancelled))
	if p := r.payment(); p.Reason != "No answer" {
		t.Fatalf("reason %q, want %q", p.Reason, "No answer")
	}
	if n := r.prov.count("start"); n != 0 {
		t.Fatalf("start sent %d times for a payment nobody confirmed", n)
	}
	r.waitFor("back to idle", func() bool { return r.disp.last().Kind == screen.Idle })
}

// A key restarts the prompt's timer; the amount entry falls back to idle when left.
func TestAmountEntryTimesOut(t *testing.T) {
	cfg := testConfig()
	cfg.PromptTimeout = 100 * time.Millisecond
	r := newRig(t, "", cfg, nil).run()
	r.keys("12")
	r.waitFor("amount with countdown", func() bool { s := r.disp.last(); return s.Kind == screen.Amount && !s.Deadline.IsZero() })
	r.waitFor("idle", func() bool { return r.disp.last().Kind == screen.Idle })
	if p := r.payment(); p != nil {
		t.Fatalf("a payment was created: %+v", p)
	}
}

// An underpayment nobody decides is declined: the payment is at the provider, so the
// provider's cancel rules apply.
func TestDecisionPromptTimesOut(t *testing.T) {
	cfg := testConfig()
	cfg.PromptTimeout = 300 * time.Millisecond
	var as *askingScript
	r := newRig(t, "", cfg, func(s *script) driver.Provider { as = &askingScript{script: s}; return as })
	r.prov.start = func(p *driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemotePending, QR: "q"}, nil
	}
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemoteUnderpaid}, nil
	}
	r.prov.cancelFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemoteCancelled}, nil
	}
	r.run()
	r.keys("1000\n1")
	r.waitFor("scan step", func() bool { s := r.disp.last(); return s.Kind == screen.Input })
	r.e.Scan("WALLET-1")
	r.waitFor("decision", func() bool { s := r.disp.last(); return s.Kind == screen.Decision && !s.Deadline.IsZero() })
	r.waitFor("cancelled", r.state(store.StateCancelled))
	if r.prov.count("cancel") != 1 || as.accepted != 0 {
		t.Fatalf("cancel sent %d times, accepted %d times; want 1 and 0", r.prov.count("cancel"), as.accepted)
	}
	if p := r.payment(); p.Decision != store.DecisionCancelled {
		t.Fatalf("decision %v, want cancelled", p.Decision)
	}
}

// A register payment's prompt ends within the register's limit even when the cashier's
// prompt timeout is longer, and the register gets the cancelled payment back.
func TestRegisterPromptCappedByRegisterLimit(t *testing.T) {
	cfg := testConfig()
	cfg.PromptTimeout = time.Hour
	cfg.RegisterPromptLimit = 200 * time.Millisecond
	r := newRig(t, "", cfg, func(s *script) driver.Provider { return &askingScript{script: s} })
	r.run()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := r.e.Pay(ctx, money.New(700, "EUR"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != store.StateCancelled || p.Reason != "No answer" {
		t.Fatalf("register payment = %s %q, want cancelled, no answer", p.State, p.Reason)
	}
	if ctx.Err() != nil {
		t.Fatal("the register's own timeout ran out first")
	}
}

// The admin menu (and its inputs: receipt number, refund address) closes when left.
func TestAdminPromptTimesOut(t *testing.T) {
	cfg := testConfig()
	cfg.PromptTimeout = 100 * time.Millisecond
	r := newRig(t, "", cfg, nil).run()
	r.e.Key(KeyMenu)
	r.waitFor("admin with countdown", func() bool { s := r.disp.last(); return s.Kind == screen.Admin && !s.Deadline.IsZero() })
	r.e.Key('2')
	r.waitFor("idle", func() bool { return r.disp.last().Kind == screen.Idle })
}

// When the keys end, keys typed ahead still answer their step; a scan step waits for
// the scan that can still come, and a prompt only keys could answer ends at once.
func TestInputEndedEndsPrompts(t *testing.T) {
	cfg := testConfig()
	r := newRig(t, "", cfg, func(s *script) driver.Provider { return &askingScript{script: s} })
	r.prov.start = func(p *driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemotePending, QR: "q"}, nil
	}
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	r.run()
	r.keys("1000\n1")
	r.e.InputEnded(true)
	r.waitFor("scan step", func() bool { s := r.disp.last(); return s.Kind == screen.Input && s.Title == "Scan code" })
	r.e.Scan("WALLET-1")
	r.waitFor("paid", r.state(store.StatePaid))

	r2 := newRig(t, "", cfg, func(s *script) driver.Provider { return &askingScript{script: s} })
	r2.run()
	r2.keys("1000\n")
	r2.e.InputEnded(true)
	r2.waitFor("cancelled", r2.state(store.StateCancelled))
	if p := r2.payment(); p.Reason != "Input ended" || r2.prov.count("start") != 0 {
		t.Fatalf("payment %s %q after %d starts, want cancelled locally, input ended", p.State, p.Reason, r2.prov.count("start"))
	}
}

// A dropped scan asks the cashier to scan again where a scan is awaited; the next scan
// answers the step and the line goes away.
func TestScanFailedAsksToScanAgain(t *testing.T) {
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { return &askingScript{script: s} })
	r.prov.start = func(p *driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemotePending, QR: "q"}, nil
	}
	r.run()
	r.e.ScanFailed() // idle: nothing waits for a scan, nothing changes
	r.keys("1000\n1")
	r.waitFor("scan step", func() bool { s := r.disp.last(); return s.Kind == screen.Input && s.Title == "Scan code" })
	if hasLine(r.disp.last(), ScanAgain) {
		t.Fatal(`"Scan again" shown before any scan failed`)
	}
	r.e.ScanFailed()
	r.waitFor("scan again", func() bool { return hasLine(r.disp.last(), ScanAgain) })
	if r.prov.count("start") != 0 {
		t.Fatal("a dropped scan answered the step")
	}
	r.e.Scan("WALLET-1")
	r.waitFor("QR", func() bool { return r.disp.last().Kind == screen.QR })
	if hasLine(r.disp.last(), ScanAgain) {
		t.Fatal(`"Scan again" still shown after a good scan`)
	}
}

func hasLine(s screen.Screen, line string) bool {
	for _, l := range s.Lines {
		if l == line {
			return true
		}
	}
	return false
}

// A steady stream of calls into the engine (a register or a script polling its status)
// must not starve its timers: the prompt still times out.
func TestEventStreamDoesNotStarveTimers(t *testing.T) {
	cfg := testConfig()
	cfg.PromptTimeout = 100 * time.Millisecond
	cfg.Tick = 200 * time.Millisecond
	r := newRig(t, "", cfg, nil).run()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				r.e.Status(context.Background()) // one event after another, never a pause of a Tick
			}
		}
	}()
	r.keys("12")
	r.waitFor("amount with countdown", func() bool { s := r.disp.last(); return s.Kind == screen.Amount && !s.Deadline.IsZero() })
	r.waitFor("idle after the prompt timed out", func() bool { return r.disp.last().Kind == screen.Idle })
}
