package flow

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/pin"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
	"golang.org/x/crypto/argon2"
)

// shiftClock is the wall clock moved by an offset the test sets: the engine's timers run,
// and the test jumps over a PIN lockout without waiting for it.
type shiftClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *shiftClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *shiftClock) add(d time.Duration) { c.mu.Lock(); c.off += d; c.mu.Unlock() }

// cheapPINHash is an argon2id PHC string for p with low cost (tests are about the
// terminal's screens, not about the hash's cost).
func cheapPINHash(t *testing.T, p string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	b := base64.RawStdEncoding
	h := fmt.Sprintf("$argon2id$v=%d$m=64,t=1,p=1$%s$%s", argon2.Version, b.EncodeToString(salt),
		b.EncodeToString(argon2.IDKey([]byte(p), salt, 1, 64, 1, 32)))
	if err := pin.ParseHash(h); err != nil {
		t.Fatal(err)
	}
	return h
}

// shows waits until the screen on display satisfies cond.
func (r *rig) shows(what string, cond func(screen.Screen) bool) screen.Screen {
	r.t.Helper()
	r.waitFor(what, func() bool { return cond(r.disp.last()) })
	return r.disp.last()
}

func titled(title string) func(screen.Screen) bool {
	return func(s screen.Screen) bool { return s.Title == title }
}

// menuKeys presses the menu key, then keys.
func (r *rig) menuKeys(keys string) {
	r.e.Key(KeyMenu)
	r.keys(keys)
}

func (r *rig) printedKinds() []receipt.Kind {
	var out []receipt.Kind
	for _, rc := range r.prn.printed() {
		out = append(out, rc.Kind)
	}
	return out
}

// The manager PIN guards every admin entry but the reprint of the last receipt; it is
// typed masked, wrong PINs say the tries left, the third locks the PIN (also against the
// right one) with the time left on screen, and once right it holds for this visit of
// the menu. End of day is confirmed before anything happens.
func TestManagerPINOnTheTerminal(t *testing.T) {
	clk := &shiftClock{}
	cfg := testConfig()
	cfg.Now = clk.now
	cfg.PromptTimeout = 24 * time.Hour // the clock jumps over the lock, not over the prompt
	lockFile := filepath.Join(t.TempDir(), "pin-lockout.json")
	cfg.PIN = &pin.Guard{Hash: cheapPINHash(t, "2468"), MaxTries: 3, LockFor: 5 * time.Minute, Path: lockFile, Now: clk.now}
	r := newRig(t, "", cfg, nil).run()
	if s, _ := r.e.Status(context.Background()); len(s.Warnings) != 0 {
		t.Fatalf("status warns %q with a PIN configured", s.Warnings)
	}

	// Reprinting the last receipt stays open.
	r.menuKeys("1")
	r.shows("reprint answer without a PIN", func(s screen.Screen) bool {
		return s.Title == "Admin" && len(s.Lines) == 1 && strings.Contains(s.Lines[0], "nothing printed yet")
	})

	r.menuKeys("4")
	s := r.shows("PIN screen", titled("Manager PIN"))
	if s.Lines[0] != "End of day" || s.Deadline.IsZero() {
		t.Fatalf("PIN screen %+v: want the entry it opens and a countdown", s)
	}
	r.keys("1234")
	r.shows("four masked digits", func(s screen.Screen) bool { return hasLine(s, "****") })
	r.disp.mu.Lock()
	shown := append([]screen.Screen(nil), r.disp.all...)
	r.disp.mu.Unlock()
	for _, sc := range shown {
		for _, l := range sc.Lines {
			if sc.Title == "Manager PIN" && strings.ContainsAny(l, "1234") {
				t.Fatalf("a typed PIN digit is shown: %q", l)
			}
		}
	}
	r.keys("\n")
	r.shows("wrong PIN", func(s screen.Screen) bool { return hasLine(s, "Wrong PIN, 2 tries left") })
	r.keys("1111\n")
	r.shows("wrong PIN again", func(s screen.Screen) bool { return hasLine(s, "Wrong PIN, 1 try left") })
	r.keys("0000\n")
	r.shows("locked", func(s screen.Screen) bool { return hasLine(s, "PIN locked") && hasLine(s, "Try again in 5:00") })

	// Locked: the right PIN is not even tried, and the time left counts down.
	clk.add(2 * time.Minute)
	r.keys("2468\n")
	r.shows("locked, 3 minutes left", func(s screen.Screen) bool { return hasLine(s, "Try again in 3:00") })
	if st, _ := cfg.PIN.State(); st.Lockouts != 1 || st.LockedUntil.IsZero() {
		t.Fatalf("lock state %+v after the right PIN while locked; want still locked", st)
	}
	// A restart would not open it: the count is on disk.
	if st, err := (&pin.Guard{Hash: cfg.PIN.(*pin.Guard).Hash, Path: lockFile, Now: clk.now}).State(); err != nil || st.LockedUntil.IsZero() {
		t.Fatalf("lock on disk = %+v, %v", st, err)
	}

	clk.add(3 * time.Minute)
	r.keys("2468")
	r.shows("PIN typed after the lock", func(s screen.Screen) bool { return hasLine(s, "****") && !hasLine(s, "PIN locked") })
	r.keys("\n")
	s = r.shows("end-of-day confirmation", titled("End of day"))
	if s.Kind != screen.Decision || !strings.HasPrefix(s.Hint, "OK = ") {
		t.Fatalf("confirmation %+v", s)
	}
	r.keys("x")
	r.shows("back in the menu", titled("Admin"))
	r.keys("4")
	r.shows("confirmation again, no second PIN", titled("End of day"))
	if len(r.printedKinds()) != 0 {
		t.Fatalf("printed %v before the end of day was confirmed", r.printedKinds())
	}
	r.keys("\n")
	r.waitFor("report printed", func() bool { k := r.printedKinds(); return len(k) == 1 && k[0] == receipt.EndOfDay })
	r.shows("end-of-day totals", func(s screen.Screen) bool { return s.Title == "End of day" && s.Kind == screen.Admin })
	r.keys("x")
	r.shows("menu after the totals", titled("Admin"))
	r.keys("x")

	// A new visit of the menu asks for the PIN again.
	r.menuKeys("2")
	r.shows("PIN for an older receipt", func(s screen.Screen) bool { return s.Title == "Manager PIN" && hasLine(s, "Reprint receipt no.") })
	r.keys("x")
	r.shows("menu after cancelling the PIN", titled("Admin"))
}

// The PIN screen is a prompt like every other: left alone it ends, back at idle.
func TestPINPromptTimesOut(t *testing.T) {
	cfg := testConfig()
	cfg.PromptTimeout = 100 * time.Millisecond
	cfg.PIN = &pin.Guard{Hash: cheapPINHash(t, "2468")}
	r := newRig(t, "", cfg, nil).run()
	r.menuKeys("3")
	r.shows("PIN screen", titled("Manager PIN"))
	r.shows("idle", func(s screen.Screen) bool { return s.Kind == screen.Idle })
}

// Without a PIN configured the menu is open and Status says so.
func TestNoPINConfiguredWarns(t *testing.T) {
	r := newRig(t, "", testConfig(), nil).run()
	s, err := r.e.Status(context.Background())
	if err != nil || len(s.Warnings) != 1 || s.Warnings[0] != NoPINWarning {
		t.Fatalf("status warnings %q, %v; want the no-PIN warning", s.Warnings, err)
	}
	r.menuKeys("3")
	r.shows("refund asks the receipt at once", func(s screen.Screen) bool { return s.Title == "Refund" && hasLine(s, "Receipt number:") })
}

func (r *rig) refundsSent() []string {
	r.prov.mu.Lock()
	defer r.prov.mu.Unlock()
	return append([]string(nil), r.prov.refunds...)
}

// paid runs a keypad payment of minor units to paid and returns it.
func (r *rig) paid(minor int64) *store.Payment {
	r.t.Helper()
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	})
	r.keys(fmt.Sprint(minor) + "\n")
	r.waitFor("paid", r.state(store.StatePaid))
	r.shows("idle after the payment", func(s screen.Screen) bool { return s.Kind == screen.Idle })
	return r.payment()
}

// A refund keyed on the terminal shows what is left after an earlier refund, refuses
// more, and sends nothing before the confirmation's OK.
func TestTerminalRefundShowsLeftAndConfirms(t *testing.T) {
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { return refundingScript{s} }).run()
	p := r.paid(1000)
	if _, err := r.e.Refund(context.Background(), p.ID, money.New(400, "EUR"), ""); err != nil {
		t.Fatal(err)
	}
	r.waitFor("earlier refund sent", func() bool { return len(r.refundsSent()) == 1 })

	r.menuKeys("3" + fmt.Sprint(p.Receipt) + "\n")
	r.shows("amount screen with what is left", func(s screen.Screen) bool { return hasLine(s, "Left to refund: €6.00") })
	r.keys("700\n")
	r.shows("too much refused", func(s screen.Screen) bool { return hasLine(s, "At most €6.00") })
	r.keys("250\n")
	s := r.shows("confirmation", titled("Confirm refund"))
	if s.Amount != "€2.50" || !strings.HasPrefix(s.Lines[0], fmt.Sprintf("Receipt %d, ", p.Receipt)) ||
		s.Lines[1] != "Paid €10.00 via script" || s.Lines[2] != "Back to the customer's script account" || s.Hint != "OK = refund   X = cancel" {
		t.Fatalf("confirmation %+v", s)
	}
	r.keys("x")
	r.shows("menu after cancel", titled("Admin"))
	r.e.Healthy(context.Background())
	if n := len(r.refundsSent()); n != 1 {
		t.Fatalf("%d refunds sent after Cancel on the confirmation, want only the earlier one", n)
	}
	// Empty amount: all that is left.
	r.keys("3" + fmt.Sprint(p.Receipt) + "\n\n")
	s = r.shows("confirmation of the rest", titled("Confirm refund"))
	if s.Amount != "€6.00" {
		t.Fatalf("confirmation of an empty amount: %+v, want the 6.00 EUR left", s)
	}
	r.keys("\n")
	r.waitFor("second refund sent", func() bool { return len(r.refundsSent()) == 2 })
	r.shows("queued", func(s screen.Screen) bool { return hasLine(s, "Refund of €6.00 queued") })
	r.waitFor("refunded in full", func() bool { return r.payment().Refunded == 1000 })
	r.menuKeys("3" + fmt.Sprint(p.Receipt) + "\n")
	r.shows("nothing left", func(s screen.Screen) bool {
		return s.Title == "Refund not possible" && hasLine(s, "Nothing is left to refund.")
	})
}

// wholeScript refunds whole payments only, to a scanned address (like the crypto gateway).
type wholeScript struct{ refundingScript }

func (wholeScript) RefundsWholeOnly() bool { return true }

// Where only whole refunds exist no amount is asked; the scanned address is shown back in
// full, grouped, and only OK sends the refund to it.
func TestWholeRefundToScannedAddress(t *testing.T) {
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider {
		s.needDest = true
		return wholeScript{refundingScript{s}}
	}).run()
	p := r.paid(1234)
	r.menuKeys("3" + fmt.Sprint(p.Receipt) + "\n")
	r.shows("address asked at once", func(s screen.Screen) bool { return hasLine(s, "Scan the refund address") })
	addr := "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
	r.e.Scan(addr)
	s := r.shows("confirmation", titled("Confirm refund"))
	if s.Amount != "€12.34" || len(s.Lines) != 3 || s.Lines[2] != "Then: the scanned address" {
		t.Fatalf("confirmation %+v, want €12.34, the payment and the address to come", s)
	}
	r.keys("\n")
	s = r.shows("the address on its own screen", titled("Refund €12.34 to"))
	want := []string{"bc1q w508 d6qe jxtd", "g4y5 r3za rvar y0c5", "xw7k v8f3 t4"}
	if strings.Join(s.Lines, "|") != strings.Join(want, "|") || s.Hint != "OK = refund   X = cancel" {
		t.Fatalf("address confirmation %+v, want %q", s, want)
	}
	r.e.Healthy(context.Background())
	if n := len(r.refundsSent()); n != 0 {
		t.Fatalf("%d refunds sent before the second OK", n)
	}
	r.keys("\n")
	r.waitFor("refund sent", func() bool { return len(r.refundsSent()) == 1 })
	var rf *store.Refund
	r.st.View(func(tx *store.Tx) error {
		rs, err := tx.RefundsOf(p.ID)
		if len(rs) == 1 {
			rf = rs[0]
		}
		return err
	})
	if rf == nil || rf.Destination != addr || rf.Amount != money.New(1234, "EUR") {
		t.Fatalf("refund %+v, want €12.34 to %s", rf, addr)
	}
}

// A provider without refunds is refused at once, with the reason on one screen.
func TestRefundRefusedWhereProviderCannot(t *testing.T) {
	r := newRig(t, "", testConfig(), nil).run()
	p := r.paid(500)
	r.menuKeys("3" + fmt.Sprint(p.Receipt) + "\n")
	s := r.shows("refusal", titled("Refund not possible"))
	want := []string{"script payments cannot be refunded from the terminal.", "Refund it in script's back office."}
	if strings.Join(s.Lines, "|") != strings.Join(want, "|") || s.Hint != "OK = back" {
		t.Fatalf("refusal %+v, want lines %q", s, want)
	}
}

type beeper struct {
	mu sync.Mutex
	n  int
}

func (b *beeper) Beep(context.Context) error { b.mu.Lock(); b.n++; b.mu.Unlock(); return nil }
func (b *beeper) count() int                 { b.mu.Lock(); defer b.mu.Unlock(); return b.n }

// A payment paid after the terminal cancelled it is shown, with a beep, and stays on
// screen past the result time until OK; other keys do not take it away.
func TestPaidAfterCancelWaitsForOK(t *testing.T) {
	bz := &beeper{}
	clk := &shiftClock{}
	cfg := testConfig()
	cfg.Buzzer, cfg.Now = bz, clk.now
	r := newRig(t, "", cfg, nil).run()
	r.keys("999\n")
	r.shows("QR", func(s screen.Screen) bool { return s.Kind == screen.QR })
	r.keys("x")
	r.waitFor("cancelled", r.state(store.StateCancelled))
	r.shows("idle", func(s screen.Screen) bool { return s.Kind == screen.Idle })
	if bz.count() != 0 {
		t.Fatalf("%d beeps for a plain cancel", bz.count())
	}
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	})
	s := r.shows("paid after cancel", titled("Paid after cancel"))
	if s.Hint != "OK = seen" {
		t.Fatalf("paid-after-cancel screen %+v, want it to wait for OK", s)
	}
	r.waitFor("beep", func() bool { return bz.count() == 1 })
	clk.add(time.Hour) // far past ResultHold and the prompt timeout
	r.keys("5x<")
	r.e.do(context.Background(), func() { r.e.ui.tick(r.e.now()) })
	if s := r.disp.last(); s.Title != "Paid after cancel" {
		t.Fatalf("screen %+v after an hour and other keys, want paid after cancel still", s)
	}
	r.keys("\n")
	r.shows("idle after OK", func(s screen.Screen) bool { return s.Kind == screen.Idle })
}

// A payment refused while offline never prints a slip later: the provider never had it.
func TestOfflineRefusalPrintsNoSlipLater(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.start = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, fmt.Errorf("dial: %w", driver.ErrUnreachable)
	}
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, fmt.Errorf("dial: %w", driver.ErrUnreachable)
	}
	r.run()
	r.keys("500\n")
	r.waitFor("asked", func() bool { return r.prov.count("check") >= 1 })
	r.keys("x")
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemoteNotFound}, nil }
	})
	r.waitFor("failed as not received", r.state(store.StateFailed))
	st, err := r.e.Status(context.Background())
	if err != nil || st.Outbox != 0 || len(r.prn.printed()) != 0 {
		t.Fatalf("outbox %d, printed %v after a payment the provider never had; want nothing", st.Outbox, r.printedKinds())
	}
	if p := r.payment(); p.Receipt != 0 {
		t.Fatalf("receipt number %d drawn for a payment never printed", p.Receipt)
	}
}

// What is left to refund starts from what was paid — for an accepted underpayment the
// amount received — less the refunds that did not fail.
func TestLeftToRefund(t *testing.T) {
	p := &store.Payment{Amount: money.New(1000, "EUR"), Settled: money.New(900, "EUR")}
	others := []*store.Refund{
		{Amount: money.New(400, "EUR"), State: store.RefundSent},
		{Amount: money.New(100, "EUR"), State: store.RefundFailed},
		{Amount: money.New(50, "EUR"), State: store.RefundPending},
	}
	if got := leftToRefund(p, others); got != money.New(450, "EUR") {
		t.Fatalf("left %v, want 4.50 EUR (9.00 received - 4.00 sent - 0.50 pending)", got)
	}
}

// A result needing attention that arrives while the cashier types an amount does not
// take the screen away: it shows once the terminal is back at idle.
func TestAttentionWaitsWhileCashierIsBusy(t *testing.T) {
	r := newRig(t, "", testConfig(), nil).run()
	r.keys("999\n")
	r.shows("QR", func(s screen.Screen) bool { return s.Kind == screen.QR })
	r.keys("x")
	r.waitFor("cancelled", r.state(store.StateCancelled))
	r.shows("idle", func(s screen.Screen) bool { return s.Kind == screen.Idle })
	r.keys("12")
	r.shows("amount being typed", func(s screen.Screen) bool { return s.Kind == screen.Amount })
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	})
	r.waitFor("paid late", r.state(store.StatePaid))
	r.e.Healthy(context.Background())
	if s := r.disp.last(); s.Kind != screen.Amount || s.Amount != "€0.12" {
		t.Fatalf("screen %+v while typing, want the amount untouched", s)
	}
	r.keys("x")
	r.shows("paid after cancel at idle", func(s screen.Screen) bool { return s.Title == "Paid after cancel" && s.Hint == "OK = seen" })
}
