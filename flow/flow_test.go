package flow

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// script is a provider whose answers the test sets. It records every call and checks
// that the payment is on disk (in the state the flow promises) before each call, when
// it has the store (st).
type script struct {
	t  *testing.T
	st *store.Store

	mu       sync.Mutex
	calls    []string
	start    func(p *driver.Payment) (driver.Update, error)
	checkFn  func(p *driver.Payment) (driver.Update, error)
	cancelFn func(p *driver.Payment) (driver.Update, error)
	block    chan struct{} // when set, Start waits for it
	hang     bool          // when set, Start waits for its ctx to end and returns its error
	pingErr  error
	// pingBlock, when set, holds every Ping until it is closed (or the call's context ends).
	pingBlock chan struct{}
	refunds   []string
	needDest  bool
}

func (s *script) Name() string { return "script" }

func (s *script) record(op string, p *driver.Payment) {
	s.mu.Lock()
	s.calls = append(s.calls, op+":"+p.ID)
	s.mu.Unlock()
	if s.st == nil {
		return // a benchmark's provider: no check, no read transaction on its path
	}
	var disk *store.Payment
	if err := s.st.View(func(tx *store.Tx) (err error) { disk, err = tx.Payment(p.ID); return }); err != nil {
		s.t.Errorf("%s called for %s before it was on disk: %v", op, p.ID, err)
	}
	if op == "start" && disk != nil && disk.State != store.StateCreating {
		s.t.Errorf("start called while payment on disk is %s, want creating", disk.State)
	}
}

func (s *script) Start(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error) {
	s.record("start", p)
	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	hang := s.hang
	s.mu.Unlock()
	if hang {
		<-ctx.Done()
		return driver.Update{}, fmt.Errorf("script: start: %w", ctx.Err())
	}
	s.mu.Lock()
	fn := s.start
	s.mu.Unlock()
	if fn == nil {
		return driver.Update{Remote: driver.RemotePending, ProviderID: "X" + p.ID, QR: "https://pay.example/" + p.ID}, nil
	}
	return fn(p)
}

func (s *script) Check(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error) {
	s.record("check", p)
	s.mu.Lock()
	fn := s.checkFn
	s.mu.Unlock()
	if fn == nil {
		return driver.Update{Remote: driver.RemotePending}, nil
	}
	return fn(p)
}

func (s *script) Cancel(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error) {
	s.record("cancel", p)
	s.mu.Lock()
	fn := s.cancelFn
	s.mu.Unlock()
	if fn == nil {
		return driver.Update{}, driver.ErrCannotCancel
	}
	return fn(p)
}

func (s *script) Ping(ctx context.Context) error {
	s.mu.Lock()
	block := s.pingBlock
	s.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pingErr
}

func (s *script) set(f func()) { s.mu.Lock(); f(); s.mu.Unlock() }

func (s *script) count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if len(c) > len(op) && c[:len(op)+1] == op+":" {
			n++
		}
	}
	return n
}

// refundingScript also refunds.
type refundingScript struct{ *script }

func (s refundingScript) Refund(ctx context.Context, p *driver.Payment, r *driver.Refund, save func(*driver.Refund) error) (driver.RefundUpdate, error) {
	s.mu.Lock()
	s.refunds = append(s.refunds, r.ID)
	s.mu.Unlock()
	return driver.RefundUpdate{State: driver.RefundSent, ProviderID: "RF-" + r.ID}, nil
}
func (s refundingScript) CheckRefund(ctx context.Context, p *driver.Payment, r *driver.Refund) (driver.RefundUpdate, error) {
	return driver.RefundUpdate{State: driver.RefundDone}, nil
}
func (s refundingScript) RefundNeedsDestination() bool { return s.needDest }

type screens struct {
	mu  sync.Mutex
	all []screen.Screen
}

func (d *screens) Show(s screen.Screen) error {
	d.mu.Lock()
	d.all = append(d.all, s)
	d.mu.Unlock()
	return nil
}

// lastOf returns the newest screen of kind shown so far: a result screen is held only
// ResultHold, which a test polling last may miss.
func (d *screens) lastOf(kind screen.Kind) (screen.Screen, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.all) - 1; i >= 0; i-- {
		if d.all[i].Kind == kind {
			return d.all[i], true
		}
	}
	return screen.Screen{}, false
}

func (d *screens) last() screen.Screen {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.all) == 0 {
		return screen.Screen{}
	}
	return d.all[len(d.all)-1]
}

type printer struct {
	mu    sync.Mutex
	fail  error
	got   []receipt.Receipt
	tries int
}

func (p *printer) Print(ctx context.Context, r receipt.Receipt) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tries++
	if p.fail != nil {
		return p.fail
	}
	p.got = append(p.got, r)
	return nil
}

func (p *printer) printed() []receipt.Receipt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]receipt.Receipt(nil), p.got...)
}

type rig struct {
	t      *testing.T
	st     *store.Store
	prov   *script
	disp   *screens
	prn    *printer
	e      *Engine
	cancel context.CancelFunc
	done   chan error
	path   string
}

func testConfig() Config {
	return Config{TerminalID: "T1", Merchant: "Test Shop", Currency: "EUR", MaxAmount: 100000,
		PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond, WatchPoll: 20 * time.Millisecond,
		ResultHold: 50 * time.Millisecond, Tick: 2 * time.Millisecond, CallTimeout: 5 * time.Second}
}

func newRig(t *testing.T, path string, cfg Config, wrap func(*script) driver.Provider) *rig {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "state.db")
	}
	st, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, st: st, prov: &script{t: t, st: st}, disp: &screens{}, prn: &printer{}, path: path}
	var prov driver.Provider = r.prov
	if wrap != nil {
		prov = wrap(r.prov)
	}
	r.e, err = New(cfg, st, []driver.Provider{prov}, r.disp, r.prn)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) run() *rig {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.done = make(chan error, 1)
	go func() { r.done <- r.e.Run(ctx) }()
	select {
	case <-r.e.Ready():
	case <-time.After(5 * time.Second):
		r.t.Fatal("engine not ready")
	}
	r.t.Cleanup(r.stop)
	return r
}

func (r *rig) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
		r.st.Close()
	}
}

func (r *rig) keys(s string) {
	for _, c := range s {
		k := Key(c)
		switch c {
		case '\n':
			k = KeyOK
		case 'x':
			k = KeyCancel
		case '<':
			k = KeyClear
		}
		r.e.Key(k)
	}
}

// waitFor polls cond until it holds (bounded): tests wait on behaviour, not on time. The
// bound is wall time, generous for a loaded machine under -race (a count of 2000 polls,
// about 4 s, was too short there); it only matters when the behaviour never comes.
// When cond holds on a running engine, waitFor returns after the engine has finished
// the step that made it hold: the QR is drawn before the create's answer is committed,
// and a test that saw it reads the store or moves a fake clock next.
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if cond() {
			if r.cancel != nil {
				ctx, cancel := context.WithDeadline(context.Background(), deadline)
				r.e.do(ctx, func() {}) // a round trip through Run: its current step is done
				cancel()
			}
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	r.t.Fatalf("timed out waiting for %s (last screen %+v)", what, r.disp.last())
}

func (r *rig) payment() *store.Payment {
	var out *store.Payment
	r.st.View(func(tx *store.Tx) error {
		return tx.Payments(func(p *store.Payment) bool { out = p; return false })
	})
	return out
}

func (r *rig) state(want store.State) func() bool {
	return func() bool { p := r.payment(); return p != nil && p.State == want }
}

func TestKeypadPaymentPaid(t *testing.T) {
	r := newRig(t, "", testConfig(), nil).run()
	r.keys("1234\n")
	r.waitFor("QR on screen", func() bool { return r.disp.last().Kind == screen.QR })
	s := r.disp.last()
	p := r.payment()
	if s.Amount != "€12.34" || s.QR != "https://pay.example/"+p.ID || s.Deadline.IsZero() {
		t.Fatalf("QR screen = %+v", s)
	}
	if p.State != store.StateAwaiting || p.ProviderID != "X"+p.ID || p.Amount != money.New(1234, "EUR") {
		t.Fatalf("payment = %+v", p)
	}
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	})
	r.waitFor("paid", r.state(store.StatePaid))
	r.waitFor("receipt", func() bool { return len(r.prn.printed()) == 1 })
	rc := r.prn.printed()[0]
	if rc.Kind != receipt.Sale || rc.QR != p.ID || rc.Number == 0 {
		t.Fatalf("receipt = %+v", rc)
	}
	r.waitFor("paid screen", func() bool { return r.disp.last().Kind == screen.Paid || r.disp.last().Kind == screen.Idle })
	time.Sleep(30 * time.Millisecond)
	if n := len(r.prn.printed()); n != 1 {
		t.Fatalf("%d receipts printed, want exactly 1", n)
	}
	if n := r.prov.count("start"); n != 1 {
		t.Fatalf("start called %d times", n)
	}
}

func TestAmountEntry(t *testing.T) {
	cfg := testConfig()
	cfg.MinAmount, cfg.MaxAmount = 100, 50000
	r := newRig(t, "", cfg, nil).run()
	amount := func() string {
		var s string
		r.e.do(context.Background(), func() { s = r.e.ui.screen().Amount + "|" + r.e.ui.err })
		return s
	}
	for _, tc := range []struct{ keys, want string }{
		{"00012", "€0.12|"},
		{"<", "€0.01|"},
		{"x5", "€0.05|"},
		{"x12.5", "€12.50|"},
		{"x12.345", "€12.34|Too many decimals"},
		{"x1234567890123", "€1,234,567,890.12|Too many digits"},
		{"x50\n", "€0.50|Minimum €1.00"},
		{"x50001\n", "€500.01|Maximum €500.00"},
	} {
		r.keys(tc.keys)
		r.e.Healthy(context.Background())
		if got := amount(); got != tc.want {
			t.Errorf("after %q: amount|error = %q, want %q", tc.keys, got, tc.want)
		}
	}
	if p := r.payment(); p != nil {
		t.Fatalf("a payment was created from rejected amounts: %+v", p)
	}
}

func TestProviderUnreachableAtCreate(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.start = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, fmt.Errorf("dial: %w", driver.ErrUnreachable)
	}
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, fmt.Errorf("dial: %w", driver.ErrUnreachable)
	}
	r.prov.pingErr = fmt.Errorf("dial: %w", driver.ErrUnreachable)
	r.run()
	r.keys("500\n")
	// The outcome is unknown: the payment stays on screen as "checking" while the
	// provider is asked, never failed for the fault.
	r.waitFor("checking screen", func() bool {
		s := r.disp.last()
		return s.Kind == screen.Wait && len(s.Lines) == 1 && s.Lines[0] == "Checking with script..."
	})
	r.waitFor("asked", func() bool { return r.prov.count("check") >= 1 })
	if p := r.payment(); p.State != store.StateCreating || !p.Checking {
		t.Fatalf("payment after unreachable create = %s (checking %v), want still creating and checking", p.State, p.Checking)
	}
	if s, _ := r.e.Status(context.Background()); s.Checking != 1 {
		t.Fatalf("status checking = %d, want 1", s.Checking)
	}
	// The cashier gives up waiting: the cancel is sent once the provider answers.
	r.keys("x")
	r.waitFor("cancel pending", func() bool { return r.disp.last().Title == "Cancel pending" })
	// A second payment while offline is refused at once, before any provider call.
	starts := r.prov.count("start")
	r.keys("700\n")
	r.waitFor("offline screen again", func() bool { return r.disp.last().Kind == screen.Offline })
	if r.prov.count("start") != starts {
		t.Fatal("a new payment was sent to an offline provider")
	}
	// The network returns: the provider never got the first payment.
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemoteNotFound}, nil }
		r.prov.pingErr = nil
	})
	r.waitFor("failed as not received", r.state(store.StateFailed))
	if p := r.payment(); p.Reason != "Not received by provider" || !p.WatchUntil.IsZero() {
		t.Fatalf("payment = %+v", p)
	}
}

func TestCancelThenLatePayment(t *testing.T) {
	r := newRig(t, "", testConfig(), nil).run()
	r.keys("999\n")
	r.waitFor("QR", func() bool { return r.disp.last().Kind == screen.QR })
	r.keys("x")
	r.waitFor("cancelled", r.state(store.StateCancelled))
	p := r.payment()
	if p.WatchUntil.IsZero() {
		t.Fatal("a locally cancelled payment is not watched for a late payment")
	}
	r.waitFor("slip", func() bool { return len(r.prn.printed()) == 1 })
	if k := r.prn.printed()[0].Kind; k != receipt.Slip {
		t.Fatalf("cancel printed %s, want slip", k)
	}
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	})
	r.waitFor("paid late", r.state(store.StatePaid))
	if p := r.payment(); !p.PaidLate {
		t.Fatal("payment paid after cancel not flagged")
	}
	r.waitFor("late receipt", func() bool { return len(r.prn.printed()) == 2 })
	if k := r.prn.printed()[1].Kind; k != receipt.LatePaid {
		t.Fatalf("second print = %s, want late-paid", k)
	}
}

// Cancel pressed while the create call is still under way: the cancel is sent once the
// provider answered, never lost.
func TestCancelRaceDuringCreate(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.block = make(chan struct{})
	r.prov.cancelFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemoteCancelled}, nil
	}
	r.run()
	r.keys("250\n")
	r.waitFor("start under way", func() bool { return r.prov.count("start") == 1 })
	r.keys("x")
	r.e.Healthy(context.Background())
	close(r.prov.block)
	r.waitFor("cancelled at provider", r.state(store.StateCancelled))
	if r.prov.count("cancel") != 1 {
		t.Fatalf("cancel called %d times, want 1", r.prov.count("cancel"))
	}
	if p := r.payment(); !p.WatchUntil.IsZero() {
		t.Fatal("a payment the provider confirmed cancelled is still watched")
	}
}

func TestExpiry(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.start = func(p *driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemotePending, QR: "q", ExpiresAt: time.Now().Add(30 * time.Millisecond)}, nil
	}
	r.run()
	r.keys("100\n")
	r.waitFor("expired", r.state(store.StateExpired))
	if r.prov.count("check") < 1 {
		t.Fatal("expired locally without asking the provider first")
	}
}

func TestProviderRefusesAtCreate(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.start = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, errors.New("400 amount too small")
	}
	r.run()
	r.keys("100\n")
	r.waitFor("failed", r.state(store.StateFailed))
	r.waitFor("failed screen", func() bool { _, ok := r.disp.lastOf(screen.Failed); return ok })
	if s, _ := r.disp.lastOf(screen.Failed); len(s.Lines) == 0 || s.Lines[0] != "400 amount too small" {
		t.Fatalf("failed screen does not say why: %+v", s)
	}
}

// A crash while the QR is shown: on restart the payment is reconciled before anything
// else and the QR comes back; it completes once with one receipt.
func TestRecoveryResumesQR(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	r := newRig(t, path, testConfig(), nil).run()
	r.keys("4321\n")
	r.waitFor("QR", func() bool { return r.disp.last().Kind == screen.QR })
	id := r.payment().ID
	r.stop()

	r2 := newRig(t, path, testConfig(), nil)
	r2.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePending}, nil }
	r2.run()
	if r2.prov.count("check") < 1 {
		t.Fatal("engine ready before reconciling the open payment")
	}
	r2.waitFor("QR again", func() bool { s := r2.disp.last(); return s.Kind == screen.QR && s.QR == "https://pay.example/"+id })
	r2.prov.set(func() {
		r2.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	})
	r2.waitFor("paid", r2.state(store.StatePaid))
	r2.waitFor("one receipt", func() bool { return len(r2.prn.printed()) == 1 })
	time.Sleep(20 * time.Millisecond)
	if n := len(r2.prn.printed()); n != 1 || r2.prov.count("start") != 0 {
		t.Fatalf("after recovery: %d receipts, %d starts; want 1 and 0", n, r2.prov.count("start"))
	}
}

// The printer is out of paper: the receipt stays queued and prints once when it is back,
// also across a restart.
func TestReceiptSurvivesPrinterFaultAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	r := newRig(t, path, testConfig(), nil)
	r.prn.fail = errors.New("printer: paper out")
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	r.run()
	r.keys("100\n")
	r.waitFor("paid", r.state(store.StatePaid))
	r.waitFor("print tried", func() bool { r.prn.mu.Lock(); defer r.prn.mu.Unlock(); return r.prn.tries > 0 })
	r.stop()
	r2 := newRig(t, path, testConfig(), nil).run()
	r2.waitFor("printed after restart", func() bool { return len(r2.prn.printed()) == 1 })
	time.Sleep(20 * time.Millisecond)
	if n := len(r2.prn.printed()); n != 1 {
		t.Fatalf("%d receipts, want 1", n)
	}
}

func TestRefundAndReprint(t *testing.T) {
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { return refundingScript{s} })
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	r.run()
	r.keys("1000\n")
	r.waitFor("paid", r.state(store.StatePaid))
	p := r.payment()
	ctx := context.Background()
	if _, err := r.e.Refund(ctx, p.ID, money.New(1500, "EUR"), ""); err == nil {
		t.Fatal("refund above the amount accepted")
	}
	rf, err := r.e.Refund(ctx, p.ID, money.New(400, "EUR"), "")
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor("refund done", func() bool {
		var got *store.Refund
		r.st.View(func(tx *store.Tx) (err error) { got, err = tx.Refund(rf.ID); return })
		return got.State == store.RefundDone
	})
	if p := r.payment(); p.Refunded != 400 {
		t.Fatalf("refunded = %d, want 400", p.Refunded)
	}
	if _, err := r.e.Refund(ctx, p.ID, money.New(700, "EUR"), ""); err == nil {
		t.Fatal("refund beyond what is left accepted")
	}
	r.waitFor("sale and refund printed", func() bool { return len(r.prn.printed()) == 2 })
	if err := r.e.Reprint(ctx, p.Receipt); err != nil {
		t.Fatal(err)
	}
	r.waitFor("reprint", func() bool { return len(r.prn.printed()) == 3 })
	if got := r.prn.printed()[2]; got.Number != p.Receipt || got.Lines[2].Text != "*** REPRINT ***" && got.Lines[3].Text != "*** REPRINT ***" {
		t.Fatalf("reprint = %+v", got)
	}
}

func TestRegisterPayAbort(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.cancelFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemoteCancelled}, nil
	}
	r.run()
	ctx, abort := context.WithCancel(context.Background())
	go func() {
		for r.prov.count("check") < 1 {
			time.Sleep(time.Millisecond)
		}
		abort()
	}()
	p, err := r.e.Pay(ctx, money.New(1234, "EUR"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != store.StateCancelled {
		t.Fatalf("aborted payment = %s, want cancelled", p.State)
	}
	// A paid register payment that is never acknowledged is flagged.
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	})
	p, err = r.e.Pay(context.Background(), money.New(500, "EUR"), nil)
	if err != nil || p.State != store.StatePaid {
		t.Fatalf("Pay = %+v, %v", p, err)
	}
	if err := r.e.Unconfirmed(context.Background(), p.ID); err != nil {
		t.Fatal(err)
	}
	r.waitFor("unconfirmed slip", func() bool {
		for _, rc := range r.prn.printed() {
			if rc.Kind == receipt.Unconfirmed {
				return true
			}
		}
		return false
	})
	if got := r.payment(); !got.Unconfirmed {
		t.Fatal("payment not flagged unconfirmed in the store")
	}
}

func TestEndOfDay(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	r.run()
	for _, a := range []string{"100\n", "250\n"} {
		r.keys(a)
		n := len(r.prn.printed())
		r.waitFor("paid", func() bool { return len(r.prn.printed()) == n+1 })
		r.waitFor("idle", func() bool { return r.disp.last().Kind == screen.Idle })
	}
	rep, err := r.e.EndOfDay(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Totals) != 1 || rep.Totals[0].Count != 2 || rep.Totals[0].Total != 350 {
		t.Fatalf("report totals = %+v", rep.Totals)
	}
	rep, _ = r.e.EndOfDay(context.Background())
	if len(rep.Totals) != 0 {
		t.Fatalf("second end-of-day counts old payments again: %+v", rep.Totals)
	}
}

// reconcilingScript keeps its own records and disagrees with the terminal about one payment.
type reconcilingScript struct{ *script }

func (s reconcilingScript) ReconcileDay(ctx context.Context, from, to time.Time, local []driver.Record) ([]string, error) {
	return []string{fmt.Sprintf("state %s: here %s, gateway cancelled", local[0].ID, local[0].State)}, nil
}

func TestEndOfDayReportsProviderDifferences(t *testing.T) {
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { return reconcilingScript{s} })
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	r.run()
	r.keys("100\n")
	r.waitFor("paid", r.state(store.StatePaid))
	rep, err := r.e.EndOfDay(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := "state " + r.payment().ID + ": here paid, gateway cancelled"
	if len(rep.Differences) != 1 || rep.Differences[0] != want {
		t.Fatalf("differences = %q, want %q", rep.Differences, want)
	}
	r.waitFor("report printed", func() bool {
		for _, rc := range r.prn.printed() {
			if rc.Kind == receipt.EndOfDay {
				for _, l := range rc.Lines {
					if l.Text == want {
						return true
					}
				}
			}
		}
		return false
	})
}

// Refunds accepted in the period count against the day's turnover.
func TestEndOfDayNetsRefunds(t *testing.T) {
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { return refundingScript{s} })
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	r.run()
	r.keys("1000\n")
	r.waitFor("paid", r.state(store.StatePaid))
	p := r.payment()
	rf, err := r.e.Refund(context.Background(), p.ID, money.New(250, "EUR"), "")
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor("refund accepted", func() bool {
		var got *store.Refund
		r.st.View(func(tx *store.Tx) (err error) { got, err = tx.Refund(rf.ID); return })
		return got.State != store.RefundPending
	})
	rep, err := r.e.EndOfDay(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Totals) != 1 || rep.Totals[0].Total != 750 || rep.Totals[0].Count != 2 {
		t.Fatalf("totals = %+v, want 7.50 net over 2 transactions", rep.Totals)
	}
	var refundRow *ReportRow
	for i := range rep.Rows {
		if rep.Rows[i].Result == "refund" {
			refundRow = &rep.Rows[i]
		}
	}
	if refundRow == nil || refundRow.Total != -250 {
		t.Fatalf("rows = %+v, want a refund row of -2.50", rep.Rows)
	}
	if rep.ReceiptFrom != p.Receipt || rep.ReceiptTo <= rep.ReceiptFrom {
		t.Fatalf("receipt range %d..%d, want from the sale's %d to the refund's", rep.ReceiptFrom, rep.ReceiptTo, p.Receipt)
	}
}

func TestMerchantCopy(t *testing.T) {
	cfg := testConfig()
	cfg.MerchantCopy = true
	r := newRig(t, "", cfg, nil)
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	r.run()
	r.keys("100\n")
	r.waitFor("two copies", func() bool { return len(r.prn.printed()) == 2 })
	got := r.prn.printed()
	if got[0].Copy != "CUSTOMER COPY" || got[1].Copy != "MERCHANT COPY" || got[0].Number != got[1].Number {
		t.Fatalf("copies = %q/%d and %q/%d", got[0].Copy, got[0].Number, got[1].Copy, got[1].Number)
	}
}

// A cancel the provider could not be reached for stays on disk as cancelling and is sent
// again after a restart, before anything else.
func TestCancelWhileUnreachableSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	r := newRig(t, path, testConfig(), nil)
	r.prov.cancelFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, fmt.Errorf("dial: %w", driver.ErrUnreachable)
	}
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, fmt.Errorf("dial: %w", driver.ErrUnreachable)
	}
	r.prov.pingErr = driver.ErrUnreachable
	r.run()
	r.keys("300\n")
	r.waitFor("QR", func() bool { return r.disp.last().Kind == screen.QR })
	r.keys("x")
	r.waitFor("cancelling on disk", r.state(store.StateCancelling))
	r.waitFor("cashier told", func() bool { return r.disp.last().Title == "Cancel pending" })
	r.stop()

	r2 := newRig(t, path, testConfig(), nil)
	r2.prov.cancelFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemoteCancelled}, nil
	}
	r2.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePending}, nil }
	r2.run()
	r2.waitFor("cancelled at the provider", r2.state(store.StateCancelled))
	if r2.prov.count("cancel") != 1 {
		t.Fatalf("cancel sent %d times after restart, want 1", r2.prov.count("cancel"))
	}
	if s := r2.disp.last(); s.Kind == screen.QR {
		t.Fatal("a payment the cashier cancelled came back on screen after the restart")
	}
}

// askingScript asks for a method, then a code, and can take an underpayment.
type askingScript struct {
	*script
	accepted int
}

func (s *askingScript) NextStep(ctx context.Context, p *driver.Payment) (*driver.Step, error) {
	switch {
	case p.Data["method"] == "":
		return &driver.Step{Key: "method", Prompt: "How?", Options: []string{"Scan", "Phone"}}, nil
	case p.Data["code"] == "":
		return &driver.Step{Key: "code", Prompt: "Scan code", Scan: true, Text: true}, nil
	}
	return nil, nil
}

func (s *askingScript) Accept(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error) {
	s.mu.Lock()
	s.accepted++
	s.mu.Unlock()
	return driver.Update{Remote: driver.RemotePaid, Paid: money.New(p.Amount.Minor*9/10, p.Amount.Currency)}, nil
}

// Steps are answered by number, by keyed text or by a scan (also keys typed ahead); an
// underpayment waits for the cashier, and accepting it settles for what arrived.
func TestStepsAndUnderpaymentDecision(t *testing.T) {
	var as *askingScript
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { as = &askingScript{script: s}; return as })
	r.prov.start = func(p *driver.Payment) (driver.Update, error) {
		if p.Data["method"] != "Scan" || p.Data["code"] != "WALLET-1" {
			t.Errorf("start with data %v, want the answers", p.Data)
		}
		return driver.Update{Remote: driver.RemotePending, QR: "q"}, nil
	}
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemoteUnderpaid, Lines: []string{"Received 9.00", "Expected 10.00"}}, nil
	}
	r.run()
	r.keys("1000\n1") // "1" typed before the question shows
	r.waitFor("scan step", func() bool { s := r.disp.last(); return s.Kind == screen.Input && s.Title == "Scan code" })
	r.e.Scan("WALLET-1")
	r.waitFor("decision", func() bool { return r.disp.last().Kind == screen.Decision })
	if s := r.disp.last(); len(s.Lines) < 2 || s.Lines[0] != "Received 9.00" {
		t.Fatalf("decision screen = %+v", s)
	}
	if as.accepted != 0 {
		t.Fatal("underpayment accepted before the cashier decided")
	}
	r.keys("\n")
	r.waitFor("paid", r.state(store.StatePaid))
	p := r.payment()
	if p.Decision != store.DecisionAccepted || p.Paid() != money.New(900, "EUR") || p.Amount.Minor != 1000 {
		t.Fatalf("payment = %+v, want accepted and settled for 9.00 of 10.00", p)
	}
	r.waitFor("receipt", func() bool { return len(r.prn.printed()) == 1 })
	if k := r.prn.printed()[0].Kind; k != receipt.Underpaid {
		t.Fatalf("receipt kind %s, want underpaid", k)
	}
}

// A webhook only makes the terminal ask the provider at once; it decides nothing itself.
func TestHintAsksAtOnce(t *testing.T) {
	cfg := testConfig()
	cfg.PollMin, cfg.PollMax = time.Hour, time.Hour // no polling on its own
	r := newRig(t, "", cfg, nil)
	r.run()
	r.keys("100\n")
	r.waitFor("QR", func() bool { return r.disp.last().Kind == screen.QR })
	checks := r.prov.count("check")
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	})
	r.e.Hint("not-a-payment")
	r.e.Healthy(context.Background())
	time.Sleep(20 * time.Millisecond)
	if r.prov.count("check") != checks {
		t.Fatal("a hint for an unknown payment made the terminal ask")
	}
	r.e.Hint("X" + r.payment().ID) // the provider's id
	r.waitFor("paid after the hint", r.state(store.StatePaid))
}

// The customer pays in the last seconds: the final check before expiry finds it paid.
func TestExpiryLastCheckFindsPaid(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	expires := time.Now().Add(30 * time.Millisecond)
	r.prov.start = func(p *driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemotePending, QR: "q", ExpiresAt: expires}, nil
	}
	// The customer's money arrives at the deadline: only a check made at expiry sees it.
	r.prov.checkFn = func(p *driver.Payment) (driver.Update, error) {
		if !time.Now().Before(expires) {
			return driver.Update{Remote: driver.RemotePaid}, nil
		}
		return driver.Update{Remote: driver.RemotePending}, nil
	}
	r.run()
	r.keys("100\n")
	r.waitFor("paid", r.state(store.StatePaid))
	if p := r.payment(); p.PaidLate {
		t.Fatal("paid before expiry counted as late")
	}
}

// A receipt whose printing was cut short by a crash is printed once more after the
// restart, marked so the cashier knows it may be a second copy.
func TestReceiptInterruptedByCrashIsMarked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p := &store.Payment{ID: "T1-000001-abcdef", Provider: "script", Amount: money.New(500, "EUR"), State: store.StatePaid,
		Receipt: 1, CreatedAt: now, UpdatedAt: now, SettledAt: now}
	st.Update(func(tx *store.Tx) error {
		tx.PutPayment(p)
		return tx.Enqueue(&store.Job{Kind: "payment", Ref: p.ID, Arg: string(receipt.Sale), Started: true, NextAt: now})
	})
	st.Close()
	r := newRig(t, path, testConfig(), nil).run()
	r.waitFor("printed", func() bool { return len(r.prn.printed()) == 1 })
	if c := r.prn.printed()[0].Copy; !strings.Contains(c, "PRINTED AGAIN AFTER A RESTART") {
		t.Fatalf("copy label %q does not say it may be a second copy", c)
	}
	// The job leaves the outbox once the printer's answer is back on the engine.
	r.waitFor("outbox empty after printing", func() bool {
		var jobs []*store.Job
		r.st.View(func(tx *store.Tx) (err error) { jobs, err = tx.Jobs(); return })
		return len(jobs) == 0
	})
}

// The register's verbs are refused with errors the register link matches by identity, and
// a register refund draws on the newest paid payment that has the amount left.
func TestRegisterTypedErrorsAndRefundLatest(t *testing.T) {
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { return refundingScript{s} })
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	r.run()
	ctx := context.Background()
	if _, err := r.e.Pay(ctx, money.New(100001, "EUR"), nil); !errors.Is(err, ErrAmountTooLarge) {
		t.Fatalf("pay above the maximum: %v, want ErrAmountTooLarge", err)
	}
	if _, _, err := r.e.RefundLatest(ctx, money.New(100, "EUR")); !errors.Is(err, ErrNothingToRefund) {
		t.Fatalf("refund with no payment: %v, want ErrNothingToRefund", err)
	}
	var ids []string
	for _, minor := range []int64{1000, 300} {
		p, err := r.e.Pay(ctx, money.New(minor, "EUR"), nil)
		if err != nil || p.State != store.StatePaid {
			t.Fatalf("Pay = %+v, %v", p, err)
		}
		r.e.Confirm(ctx, p.ID)
		ids = append(ids, p.ID)
	}
	p, rf, err := r.e.RefundLatest(ctx, money.New(200, "EUR"))
	if err != nil || p.ID != ids[1] {
		t.Fatalf("refund of 2.00 drew on %v (%v), want the newest payment %s", p, err, ids[1])
	}
	r.waitFor("refund done", func() bool {
		got, _ := r.e.WaitRefund(ctx, rf.ID)
		return got.State == store.RefundDone
	})
	if p, _, err = r.e.RefundLatest(ctx, money.New(200, "EUR")); err != nil || p.ID != ids[0] {
		t.Fatalf("second refund of 2.00 drew on %v (%v), want %s: the newest has only 1.00 left", p, err, ids[0])
	}
	if _, _, err := r.e.RefundLatest(ctx, money.New(0, "EUR")); !errors.Is(err, ErrAmountTooSmall) {
		t.Fatalf("refund of nothing: %v, want ErrAmountTooSmall (zero must not mean all)", err)
	}
	newest, err := r.e.Payment(ctx, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.e.Reverse(ctx, newest.Receipt); !errors.Is(err, ErrAlreadyRefunded) || !errors.Is(err, ErrNotReversible) {
		t.Fatalf("reversal of a refunded payment: %v, want ErrAlreadyRefunded", err)
	}
}

// Stopping the terminal while the provider's create call is under way cuts the call short:
// that is no answer from the provider, so the payment stays open (creating) for recovery
// to ask about at the next start, never failed.
func TestStopDuringCreateLeavesThePaymentOpen(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.hang = true
	r.run()
	r.keys("1234\n")
	r.waitFor("create under way", func() bool { return r.prov.count("start") == 1 })
	r.stop()
	r2 := newRig(t, r.path, testConfig(), nil)
	defer r2.st.Close()
	if p := r2.payment(); p == nil || p.State != store.StateCreating || p.Reason != "" {
		t.Fatalf("payment after a stop during create = %+v, want creating with no reason", p)
	}
}

// Stopping the engine while a register payment is being aborted (a cancel its provider
// cannot make now) ends every wait on the engine at once with the truth, and leaves no
// goroutine of the engine's behind.
func TestStopEndsEveryWaitAndLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	r := newRig(t, "", testConfig(), nil)
	r.prov.cancelFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, fmt.Errorf("dial: %w", driver.ErrUnreachable)
	}
	r.run()
	ctx, abort := context.WithCancel(context.Background())
	defer abort()
	type result struct {
		p   *store.Payment
		err error
	}
	paid := make(chan result, 1)
	go func() {
		p, err := r.e.Pay(ctx, money.New(1234, "EUR"), nil)
		paid <- result{p, err}
	}()
	r.waitFor("QR", r.state(store.StateAwaiting))
	abort()
	r.waitFor("cancelling", r.state(store.StateCancelling))
	r.stop()
	select {
	case res := <-paid:
		if !errors.Is(res.err, ErrStopped) || res.p == nil || res.p.State != store.StateCancelling {
			t.Fatalf("Pay after stop = %+v, %v; want the cancelling payment and ErrStopped", res.p, res.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Pay still waits on a stopped engine")
	}
	select {
	case <-r.e.Done():
	default:
		t.Fatal("Done not closed after Run returned")
	}
	if err := r.e.Healthy(context.Background()); !errors.Is(err, ErrStopped) {
		t.Fatalf("Healthy on a stopped engine = %v, want ErrStopped", err)
	}
	if _, err := r.e.Status(context.Background()); !errors.Is(err, ErrStopped) {
		t.Fatalf("Status on a stopped engine = %v, want ErrStopped", err)
	}
	for i := 0; i < 100; i++ {
		r.e.Key('1') // more than the event queue holds: must not block
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after stop, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}
