// Package flow owns terminald's payment state machine.
//
// One goroutine (Engine.Run) owns every payment and the screen. Key presses, scanned
// codes, register requests, provider answers and timer ticks reach it as events. Calls to
// providers and the printer run in their own goroutines and report back as events, so the
// loop never blocks on the network and the screen stays live.
//
// The rules that protect money:
//   - a payment is committed to the store (with its reference, which is also its
//     idempotency key) before any call to a provider, and every outcome after it;
//   - a retry, also after a restart, reuses the same reference;
//   - on start every unfinished payment is reconciled with its provider before new work is
//     accepted;
//   - side effects (receipts) go through the store's outbox, written in the same
//     transaction as the state change that causes them, so they happen once.
//
// Inside, the payment state machine (Engine: payment.go, recover.go, refund.go, jobs.go)
// and the terminal's user interface (ui: keypad modes, amount entry, provider steps, the
// keypad admin menu, the screens; ui.go, adminmenu.go; the manager PIN, the confirmation
// before money moves, refunds and results to acknowledge in pinprompt.go, confirm.go,
// refundui.go, attention.go; every text in the shop's language through text.go) are
// separate types on the same goroutine. The engine reports payment changes to the ui
// (waiting, changed, finished, offline, ...) and the ui drives the engine with verbs
// (begin, ask, answer, cancel, accept, decline); the state machine never sets a mode or builds a screen. The register
// (Pay, Confirm, RefundLatest, ...) and the admin socket (Status, Refund, Reprint,
// EndOfDay) call exported methods; their refusals are the sentinels in errors.go.
//
// Stopping (Run's context ends) ends every wait on the engine: Done is closed, every
// call into the engine (register, admin, keypad, webhooks) returns ErrStopped instead of
// waiting, a register's Pay gets the payment as it stands, and Run returns only after the
// goroutines it started (provider calls, printing, pings) have ended. A payment is in
// flight while it is not final, whatever its abandon reason (inFlight).
//
// Every cashier prompt ends (prompt.go): PromptTimeout after it shows or the last key,
// a register payment's within RegisterPromptLimit; InputEnded ends the prompts nobody can
// answer any more, and ScanFailed asks for a scan again. A paid register payment's
// receipt is held until the register answers the result (ecr.go): Confirm releases it,
// Unconfirmed replaces it with the "not confirmed" slip in the same transaction.
//
// flow knows hardware and providers only through the small interfaces it defines here
// (Display, Printer, driver.Provider and its optional extensions).
package flow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// Key is a key press from the keypad: '0'..'9', '.', or one of the named keys.
type Key rune

// Named keys.
const (
	KeyOK     Key = '\r'
	KeyClear  Key = '\b'
	KeyCancel Key = 0x1b
	KeyMenu   Key = 'm'
	KeyDot    Key = '.'
)

// Display shows screens to the cashier and customer.
type Display interface {
	Show(screen.Screen) error
}

// Printer prints receipts. Print returns nil only when the receipt was handed to a ready
// printer; any error keeps the job queued and it is tried again later.
type Printer interface {
	Print(ctx context.Context, r receipt.Receipt) error
}

// PrinterStatus is implemented by printers that can report their state
// ("ok", "paper out", "cover open", "offline", "unknown").
type PrinterStatus interface {
	PrinterStatus(ctx context.Context) string
}

// Observer receives what metrics count. Methods may be called from any goroutine and
// must not block.
type Observer interface {
	PaymentFinished(provider string, state store.State, late bool)
	ProviderCall(provider, op string, took time.Duration)
	Gauges(inFlight, outbox int, printer string)
}

type nopObserver struct{}

func (nopObserver) PaymentFinished(string, store.State, bool)  {}
func (nopObserver) ProviderCall(string, string, time.Duration) {}
func (nopObserver) Gauges(int, int, string)                    {}

// Config configures an Engine.
type Config struct {
	TerminalID   string   // printed on receipts, prefix of payment references
	Merchant     string   // merchant name for the idle screen and receipts
	MerchantInfo []string // address lines for receipts
	Currency     string   // ISO 4217 code of amounts keyed on the keypad
	MinAmount    int64    // minor units; 1 when zero
	MaxAmount    int64    // minor units; money.MaxMinor when zero
	MerchantCopy bool     // also print a merchant copy of sale receipts

	// Locale is the shop's language, money format, time zone and provider brand names
	// for receipts (package locale); English in the system's zone when nil.
	Locale        *locale.Locale
	VATID         string // VAT/CVR/USt-IdNr printed under the address; none when empty
	ReceiptFooter string // printed at the end of sale and refund receipts; "\n" breaks lines

	PollMin      time.Duration // first poll interval while a QR is shown (1 s); grows ×1.5
	PollMax      time.Duration // poll interval cap while a QR is shown (5 s)
	WatchPoll    time.Duration // first poll interval for abandoned payments (30 s); doubles
	WatchPollMax time.Duration // poll interval cap for abandoned payments (5 min)
	WatchWindow  time.Duration // keep watching cancelled/expired payments for late payment (24 h)
	Expiry       time.Duration // local expiry when the provider gives none (30 min)
	ResultHold   time.Duration // how long a result screen stays (5 s)
	CallTimeout  time.Duration // bound on one provider call (90 s)
	Tick         time.Duration // longest the loop sleeps when nothing is due (1 s); it wakes for the next due event
	ReverseLate  bool          // refund payments that arrive after a local cancel, where the provider can

	// PromptTimeout ends a cashier prompt nobody answers (60 s after it shows or after
	// the last key); see prompt.go for what happens then.
	PromptTimeout time.Duration
	// RegisterPromptLimit: a register payment's prompts end at the latest this long after
	// the register asked: its own timeout (ZVT T4, 180 s) less a margin (170 s).
	RegisterPromptLimit time.Duration
	// RegisterAnswerHold: a paid register payment's receipt waits at most this long for
	// the register's answer to the result (3 min); see ecr.go.
	RegisterAnswerHold time.Duration

	// PIN checks the manager PIN on the terminal (pinprompt.go): refunds, reprints of
	// older receipts and end of day ask for it. Nil: no PIN is configured and these
	// are open (Status warns).
	PIN PINGuard
	// Buzzer beeps when a result needing the cashier's attention shows; may be nil.
	Buzzer Buzzer

	Observer Observer // metrics; may be nil
	// Keys names the configured keypad's keys in the screens' hints (keys.go); nil: the
	// names "OK", "X" (cancel), "Clear", "Menu", "Up", "Down".
	Keys KeyNamer

	Now         func() time.Time // clock; time.Now when nil
	ClockSynced func() bool      // whether the system clock is synced; always true when nil
	Logger      *slog.Logger
}

func (c *Config) defaults() error {
	if c.TerminalID == "" {
		c.TerminalID = "T1"
	}
	if c.Currency == "" {
		c.Currency = "EUR"
	}
	if _, err := money.Lookup(c.Currency); err != nil {
		return fmt.Errorf("flow: currency: %w", err)
	}
	if c.Locale == nil {
		l, err := locale.New(locale.Options{})
		if err != nil {
			return fmt.Errorf("flow: %w", err)
		}
		c.Locale = l
	}
	if c.MinAmount <= 0 {
		c.MinAmount = 1
	}
	if c.MaxAmount <= 0 || c.MaxAmount > money.MaxMinor {
		c.MaxAmount = money.MaxMinor
	}
	if c.MinAmount > c.MaxAmount {
		return fmt.Errorf("flow: minimum amount %d above maximum %d", c.MinAmount, c.MaxAmount)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PollMin, time.Second)
	def(&c.PollMax, 5*time.Second)
	def(&c.WatchPoll, 30*time.Second)
	def(&c.WatchPollMax, 5*time.Minute)
	c.WatchPollMax = max(c.WatchPollMax, c.WatchPoll)
	def(&c.WatchWindow, 24*time.Hour)
	def(&c.Expiry, 30*time.Minute)
	def(&c.ResultHold, 5*time.Second)
	def(&c.PromptTimeout, 60*time.Second)
	def(&c.RegisterPromptLimit, 170*time.Second)
	def(&c.RegisterAnswerHold, 3*time.Minute)
	def(&c.CallTimeout, 90*time.Second)
	def(&c.Tick, time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ClockSynced == nil {
		c.ClockSynced = func() bool { return true }
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Engine is the payment state machine. Create it with New and run it with Run.
type Engine struct {
	cfg       Config
	log       *slog.Logger
	st        *store.Store
	providers map[string]driver.Provider
	order     []string
	disp      Display
	prn       Printer

	events chan func()
	ready  chan struct{}
	done   chan struct{}  // closed when Run returns
	wg     sync.WaitGroup // goroutines started by the engine (spawn)

	// Owned by the Run goroutine.
	ctx        context.Context
	recovering bool               // keys and register requests wait until recovery is done
	closing    bool               // Close was called: no new payments, the rest goes on
	ticked     time.Time          // when onTick last ran (sleep measures Tick from it)
	tracks     map[string]*track  // open payments by id
	refunds    map[string]*rtrack // open refunds by id
	ui         *ui                // the terminal UI; runs on this goroutine
	online     map[string]bool
	doubt      map[string]bool // a call met a fault: ping the provider at once
	pinging    map[string]bool
	lastPing   map[string]time.Time
	printBusy  bool
	printer    string // last known printer state
	printerGen int    // counts the print jobs' results: a status asked before one is stale
	jobs       []*store.Job
	waiters    map[string][]chan *store.Payment // callers waiting for a payment's end
}

// track is the in-memory companion of one open payment.
type track struct {
	p          *store.Payment
	busy       bool // a provider call is under way
	nextCheck  time.Time
	interval   time.Duration
	upd        driver.Update // last update from the provider
	foreground bool
	note       string // a short notice shown on the payment's screen until noteUntil
	// acceptPending: the cashier accepted an underpayment while a call was under way.
	acceptPending bool
	noteUntil     time.Time
	saved         *store.Payment // the record as last committed; save skips a write that changes nothing
	// starts counts the create calls sent again after a check found the provider never
	// got the payment (see maxStarts).
	starts int
	// faultSince is when the provider's current run of faults for this payment began
	// (zero after an answer); see faultWindow.
	faultSince time.Time
	// askAgain: the input step (NextStep) met a fault and is asked again at nextCheck.
	askAgain bool
}

// rtrack is the in-memory companion of one open refund.
type rtrack struct {
	r        *store.Refund
	busy     bool
	next     time.Time
	interval time.Duration
}

// New returns an Engine. providers are offered in the given order; the first is the
// default.
func New(cfg Config, st *store.Store, providers []driver.Provider, disp Display, prn Printer) (*Engine, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if len(providers) == 0 {
		return nil, errors.New("flow: no payment provider configured")
	}
	if st == nil || disp == nil || prn == nil {
		return nil, errors.New("flow: store, display and printer are required")
	}
	e := &Engine{
		cfg: cfg, log: cfg.Logger, st: st, disp: disp, prn: prn,
		providers: map[string]driver.Provider{},
		events:    make(chan func(), 64),
		ready:     make(chan struct{}),
		done:      make(chan struct{}),
		tracks:    map[string]*track{},
		refunds:   map[string]*rtrack{},
		online:    map[string]bool{},
		doubt:     map[string]bool{},
		pinging:   map[string]bool{},
		lastPing:  map[string]time.Time{},
		waiters:   map[string][]chan *store.Payment{},
		printer:   "unknown",
	}
	e.ui = &ui{e: e}
	for _, p := range providers {
		if _, dup := e.providers[p.Name()]; dup {
			return nil, fmt.Errorf("flow: provider %q configured twice", p.Name())
		}
		e.providers[p.Name()] = p
		e.order = append(e.order, p.Name())
		e.online[p.Name()] = true
	}
	return e, nil
}

// Ready is closed once recovery finished and the engine accepts new work.
func (e *Engine) Ready() <-chan struct{} { return e.ready }

// Done is closed when Run has returned: the engine takes no more work, and every call
// waiting on it has returned (with ErrStopped).
func (e *Engine) Done() <-chan struct{} { return e.done }

// post hands fn to the Run goroutine. It blocks only while the event queue is full, and
// gives up when ctx ends or the engine stops.
func (e *Engine) post(ctx context.Context, fn func()) bool {
	select {
	case <-e.done:
		return false
	default:
	}
	select {
	case e.events <- fn:
		return true
	case <-ctx.Done():
		return false
	case <-e.done:
		return false
	}
}

// do runs fn on the Run goroutine and waits for it: ctx's error when ctx ends first,
// ErrStopped when the engine stops first.
func (e *Engine) do(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	if !e.post(ctx, func() { fn(); close(done) }) {
		return e.stopErr(ctx)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-e.done:
		return ErrStopped
	}
}

// stopErr says why a call could not reach the Run goroutine.
func (e *Engine) stopErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrStopped
}

// spawn runs fn in a goroutine of the engine's: Run does not return before it has ended.
// Called only on the Run goroutine.
func (e *Engine) spawn(fn func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		fn()
	}()
}

// Healthy reports whether the Run loop answers within ctx (the systemd watchdog asks).
func (e *Engine) Healthy(ctx context.Context) error {
	return e.do(ctx, func() {})
}

// Key delivers a key press.
func (e *Engine) Key(k Key) {
	e.post(context.Background(), func() { e.ui.key(k) })
}

// Scan delivers a scanned code (barcode scanner).
func (e *Engine) Scan(code string) {
	e.post(context.Background(), func() { e.ui.scan(code) })
}

// ScanFailed reports a code the scanner read but could not deliver (a key the layout does
// not map, a code too long or left unfinished): where a scan is awaited, the cashier
// sees "Scan again"; elsewhere nothing changes. The code itself is never passed on.
func (e *Engine) ScanFailed() {
	e.post(context.Background(), func() { e.ui.scanFailed() })
}

// Hint tells the engine that a provider pushed news about a payment (a webhook); ref is
// the payment's reference or the provider's id. The engine asks the provider at once;
// the hint itself changes nothing.
func (e *Engine) Hint(ref string) {
	e.post(context.Background(), func() {
		for _, t := range e.tracks {
			if t.p.ID == ref || (t.p.ProviderID != "" && t.p.ProviderID == ref) {
				t.nextCheck = time.Time{}
			}
		}
	})
}

// Run recovers unfinished work and then runs the state machine until ctx ends. On return
// the current payment is parked in the store (its state is already durable).
//
// Stopping ends every wait on the engine at once: Done is closed, calls waiting on the
// engine return ErrStopped, the context of every provider call and print job is
// cancelled, and Run returns only after the goroutines it started have ended.
func (e *Engine) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer e.wg.Wait()
	defer close(e.done)
	defer cancel()
	e.ctx = ctx
	if err := e.recover(ctx); err != nil {
		return err
	}
	close(e.ready)
	for _, w := range e.warnings() {
		e.log.Warn(w)
	}
	e.ui.show()
	if ps, ok := e.prn.(PrinterStatus); ok {
		gen := e.printerGen
		e.spawn(func() {
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			state := ps.PrinterStatus(sctx)
			cancel()
			e.post(ctx, func() {
				// A print job that ended meanwhile saw the printer later: its state stands.
				if gen == e.printerGen && state != e.printer {
					e.printer = state
					e.ui.show()
				}
			})
		})
	}
	// The loop sleeps until the next due event (a poll, an expiry, a screen's redraw, a
	// job, a ping), at most Tick; every event may move it, so the timer is set again
	// after each.
	e.ticked = e.now()
	timer := time.NewTimer(e.sleep())
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			e.log.Info("flow stopped", "open_payments", len(e.tracks), "in_flight", e.inFlight())
			e.releaseWaiters()
			return nil
		case fn := <-e.events:
			fn()
		case <-timer.C:
			e.onTick()
		}
		timer.Reset(e.sleep())
	}
}

func (e *Engine) now() time.Time { return e.cfg.Now() }

// save commits p (and the jobs it causes, in the same transaction). A failed commit is
// logged and reported: the caller must not go on to the side effect. A save that would
// write the record exactly as last committed (an answer that changed nothing) and no job
// is skipped: it would be an fsync for nothing.
func (e *Engine) save(p *store.Payment, jobs ...*store.Job) error {
	if len(jobs) == 0 && e.unchanged(p) {
		return nil
	}
	return e.commit(p, nil, jobs...)
}

// commit writes p and jobs in one transaction; pre, when set, runs first in it.
func (e *Engine) commit(p *store.Payment, pre func(*store.Tx) error, jobs ...*store.Job) error {
	p.UpdatedAt = e.now()
	err := e.st.Update(func(tx *store.Tx) error {
		if pre != nil {
			if err := pre(tx); err != nil {
				return err
			}
		}
		if err := tx.PutPayment(p); err != nil {
			return err
		}
		for _, j := range jobs {
			if err := tx.Enqueue(j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.log.Error("store commit failed", "payment", p.ID, "err", err)
		return err
	}
	if t := e.tracks[p.ID]; t != nil && t.p == p {
		t.saved = p.Clone()
	}
	e.jobs = append(e.jobs, jobs...)
	return nil
}

// update commits fn and logs a failure with what it was about; the caller decides
// whether to go on.
func (e *Engine) update(what string, fn func(*store.Tx) error) error {
	err := e.st.Update(fn)
	if err != nil {
		e.log.Error("store commit failed", "what", what, "err", err)
	}
	return err
}

// nextReceipt draws the next receipt number: 1..9999, four BCD digits on the register link.
func nextReceipt(tx *store.Tx) (uint64, error) {
	n, err := tx.Next("receipt")
	return receiptNumber(n), err
}

// receiptNumber maps the receipt counter to the printed number.
func receiptNumber(counter uint64) uint64 {
	if counter == 0 {
		return 0
	}
	return (counter-1)%9999 + 1
}

// traceNumber maps the trace counter to the trace number: six BCD digits on the register
// link (BMP 0B), 1..999999, rolling over from 999999 to 1 (0 is no trace: BMP 37 of a
// reversal is left out for it). Nothing sorts by it.
func traceNumber(counter uint64) uint64 {
	if counter == 0 {
		return 0
	}
	return (counter-1)%999_999 + 1
}

// providerSaver returns the Saver handed to a provider call for payment id: on the Run
// goroutine it takes the provider's data (Payment.Data is the provider's alone: the
// engine's control state lives in typed fields the provider never sees) and its id into
// the engine's record, and commits. One provider call runs at a time for a payment, so
// the provider's copy is the newest.
func (e *Engine) providerSaver(id string) driver.Saver {
	return func(p *driver.Payment) error {
		var err error
		if derr := e.do(e.ctx, func() {
			t := e.tracks[id]
			if t == nil {
				err = fmt.Errorf("flow: payment %s is no longer open", id)
				return
			}
			t.p.Data = cloneData(p.Data)
			if p.ProviderID != "" {
				t.p.ProviderID = p.ProviderID
			}
			err = e.save(t.p)
		}); derr != nil {
			return derr
		}
		return err
	}
}

func cloneData(d map[string]string) map[string]string {
	if d == nil {
		return nil
	}
	c := make(map[string]string, len(d))
	for k, v := range d {
		c[k] = v
	}
	return c
}

// call runs a provider operation for track t in its own goroutine and hands the result
// to done on the Run goroutine.
func (e *Engine) call(t *track, op string, fn func(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error), done func(driver.Update, error)) {
	t.busy = true
	p := e.view(t.p)
	save := e.providerSaver(p.ID)
	prov := t.p.Provider
	e.spawn(func() {
		ctx, cancel := context.WithTimeout(e.ctx, e.cfg.CallTimeout)
		start := time.Now()
		u, err := fn(ctx, p, save)
		cancel()
		e.cfg.Observer.ProviderCall(prov, op, time.Since(start))
		e.log.Debug("provider call", "provider", prov, "op", op, "payment", p.ID, "remote", u.Remote.String(), "err", err, "took", time.Since(start))
		e.post(e.ctx, func() {
			t.busy = false
			if e.ctx.Err() != nil {
				// Stopping: the call was cut short by the stop (its error is ours, not
				// the provider's answer). Nothing is applied; the payment stays as on
				// disk and recovery asks the provider at the next start.
				return
			}
			e.noteReachability(prov, err)
			done(u, err)
			if t.acceptPending && !t.busy && !t.p.State.Final() {
				e.accept(t)
			}
		})
	})
}

// noteReachability records what a provider call's result says about its provider: an
// answer (also a refusal, or one that needs a person) means it is online. A fault alone
// does not make the terminal offline — under a fault rate of a few percent most calls
// after one get through — it makes the provider's ping due at once (pingProviders), and
// only a failed ping turns it offline, refusing new payments until a ping gets through.
func (e *Engine) noteReachability(prov string, err error) {
	if isFault(err) {
		if e.online[prov] {
			e.doubt[prov] = true
		}
		return
	}
	e.setOnline(prov, true)
}

// isFault reports whether err is a fault, not an answer: the provider was not reached or
// did not answer (driver.ErrUnreachable), and nothing in it needs a person (an answer
// that needs one came from a provider that answers).
func isFault(err error) bool {
	return err != nil && errors.Is(err, driver.ErrUnreachable) && driver.AttentionOf(err) == ""
}

// setOnline records whether prov is reachable and redraws the screen when that changed.
func (e *Engine) setOnline(prov string, now bool) {
	was := e.online[prov]
	e.online[prov] = now
	if was != now {
		e.log.Warn("provider reachability changed", "provider", prov, "online", now)
		e.ui.show()
	}
}

// Online reports whether every provider answered its last call.
func (e *Engine) allOnline() bool {
	for _, v := range e.online {
		if !v {
			return false
		}
	}
	return true
}
