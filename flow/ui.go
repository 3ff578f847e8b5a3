package flow

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

type mode int

const (
	modeIdle     mode = iota
	modeEntry         // typing an amount
	modeProvider      // choosing a provider
	modeStep          // answering a provider's step
	modeWait          // talking to the provider
	modeAwait         // QR shown
	modeDecision      // underpayment: accept or cancel
	modeResult        // result of the foreground payment
	modeMessage       // a notice (offline, admin results)
	modeAdmin         // admin menu and its inputs
)

// ui is the terminal's user interface: keypad modes, amount entry, provider steps, the
// keypad admin menu and the screens. It has no goroutine of its own: it runs on the
// engine's Run goroutine. The engine reports payment changes to it (waiting, changed,
// finished, offline, cancelPending, storageError, notice) and it drives the engine with
// verbs (begin, ask, answer, cancel, accept, decline); the payment state machine never
// sets a mode or builds a screen.
type ui struct {
	e *Engine

	mode      mode
	digits    string // amount as typed
	err       string // entry error line
	pay       string // foreground payment id
	amount    money.Amount
	step      *driver.Step
	text      string // step text or admin input as typed
	stepLines []string
	stepNext  time.Time
	stepBusy  bool
	until     time.Time     // result/message screen ends
	shown     screen.Screen // result/message screen
	admin     adminState
	ahead     []Key // keys typed while waiting for a provider's next step
	lastTick  time.Time
	// promptUntil ends the prompt on screen (see prompt.go).
	promptUntil time.Time
	keysEnded   bool // no more keys will come (InputEnded)
	scansLeft   bool // scans can still come after the keys ended
	scanAgain   bool // the last scan was dropped: "Scan again" until the next key or scan
	// textHook, when set (tests of the translations), sees every message key the ui asks
	// for, and every text it shows as it came because no [step] or [phrase] message
	// matched it (with key "").
	textHook func(key, text string)
	counter  // manager PIN, confirmations, results to acknowledge (pinprompt.go, confirm.go, attention.go)
}

// current returns the foreground payment's track, nil when there is none.
func (u *ui) current() *track {
	if u.pay == "" {
		return nil
	}
	return u.e.tracks[u.pay]
}

// busy reports whether the cashier is in the middle of something a new payment would
// interrupt: a payment on screen, an amount being typed, a provider or step chosen.
func (u *ui) busy() bool {
	return u.pay != "" || u.mode == modeEntry || u.mode == modeStep || u.mode == modeProvider || u.mode == modeWait
}

func (u *ui) status() screen.Status {
	return screen.Status{Online: u.e.allOnline(), Printer: u.e.printer, Terminal: u.e.cfg.TerminalID}
}

// show draws the screen for the current mode.
func (u *ui) show() {
	if u.e.ctx == nil {
		return
	}
	if err := u.e.disp.Show(u.full()); err != nil {
		u.e.log.Warn("display", "err", err)
	}
}

// full is the screen for the current mode with its status bar, as the display gets it.
func (u *ui) full() screen.Screen {
	s := u.screen()
	s.Status = u.status()
	s.Words = u.words()
	s.Words.Printer = u.t("status.printer", u.printerState(s.Status.Printer))
	return s
}

func (u *ui) screen() screen.Screen {
	s := u.modeScreen()
	if d := u.promptDeadline(); !d.IsZero() {
		s.Deadline = d
	}
	return s
}

func (u *ui) modeScreen() screen.Screen {
	switch u.mode {
	case modeEntry:
		return screen.Screen{Kind: screen.Amount, Title: u.t("screen.amount"), Amount: u.money(u.typedAmount()),
			Lines: nonEmpty(u.err), Hint: u.keyHint(use(KeyOK, "pay"), use(KeyCancel, "cancel"))}
	case modeProvider:
		return screen.Screen{Kind: screen.Choose, Title: u.t("screen.pay_with"), Amount: u.money(u.amount), Options: u.brands(u.e.order),
			Hint: u.chooseHint(len(u.e.order), use(KeyCancel, "cancel"))}
	case modeStep:
		st := u.step
		s := screen.Screen{Kind: screen.Input, Title: u.phrase(st.Prompt), Amount: u.money(u.amount), Provider: u.brand(u.currentProvider())}
		if len(st.Options) > 0 {
			s.Kind, s.Options, s.Hint = screen.Choose, u.phrases(st.Options), u.chooseHint(len(st.Options), use(KeyCancel, "cancel"))
		} else {
			s.Lines = append(u.phrases(u.stepLines), nonEmpty(u.text)...)
			s.Hint = u.keyHint(use(KeyOK, "continue"), use(KeyCancel, "cancel"))
		}
		if u.scanAgain {
			s.Lines = append(s.Lines, u.t("ui.scan_again"))
		}
		return s
	case modeWait:
		s := screen.Screen{Kind: screen.Wait, Title: u.t("screen.please_wait"), Amount: u.money(u.amount), Provider: u.brand(u.currentProvider()),
			Hint: u.keyHint(use(KeyCancel, "cancel"))}
		if t := u.current(); t != nil && t.p.Checking {
			s.Lines = []string{u.t("ui.checking_with", u.brand(t.p.Provider))}
		} else if t != nil && t.p.State == store.StateNew && !t.faultSince.IsZero() {
			s.Lines = []string{u.t("ui.no_answer_retrying", u.brand(t.p.Provider))}
		}
		return s
	case modeAwait, modeDecision:
		t := u.current()
		if t == nil {
			return u.idleScreen()
		}
		return u.paymentScreen(t)
	case modeResult, modeMessage:
		return u.shown
	case modeAdmin:
		return u.adminScreen()
	case modePIN:
		return u.pinScreen()
	case modeConfirm:
		return u.confirmScreen()
	}
	return u.idleScreen()
}

// paymentScreen shows the foreground payment while the customer pays (or the cashier
// decides on an underpayment).
func (u *ui) paymentScreen(t *track) screen.Screen {
	p := t.p
	// The provider's first line (e.g. the crypto amount), then its status, then the rest.
	// A short notice (cannot cancel, accept failed) stands in the status line for a while.
	status := p.Detail
	if t.note != "" && u.e.now().Before(t.noteUntil) {
		status = t.note
	}
	lines := nonEmpty(u.phrase(status))
	if p.Attention != "" && status != "Needs attention: "+p.Attention {
		lines = append([]string{u.t("ui.needs_attention", u.phrase(p.Attention))}, lines...)
	}
	if ul := u.phrases(t.upd.Lines); len(ul) > 0 {
		lines = append(append([]string{ul[0]}, lines...), ul[1:]...)
	}
	if p.State == store.StateCancelling {
		lines = []string{u.t("ui.cancelling")}
	}
	amount, prov := u.money(p.Amount), u.brand(p.Provider)
	if u.mode == modeDecision {
		return screen.Screen{Kind: screen.Decision, Title: u.t("screen.underpaid"), Amount: amount, Provider: prov,
			Lines: lines, Hint: u.keyHint(use(KeyOK, "accept"), use(KeyCancel, "cancel"))}
	}
	if p.QR == "" {
		return screen.Screen{Kind: screen.Wait, Title: u.t("screen.waiting_customer"), Amount: amount, Provider: prov, Lines: lines,
			Deadline: p.ExpiresAt, Hint: u.keyHint(use(KeyCancel, "cancel"))}
	}
	return screen.Screen{Kind: screen.QR, Title: u.t("screen.scan_to_pay"), Amount: amount, Provider: prov,
		QR: p.QR, Deadline: p.ExpiresAt, Lines: lines, Hint: u.keyHint(use(KeyCancel, "cancel"))}
}

func (u *ui) currentProvider() string {
	if t := u.current(); t != nil {
		return t.p.Provider
	}
	return ""
}

func (u *ui) idleScreen() screen.Screen {
	lines := []string{u.t("ui.idle")}
	if !u.e.allOnline() {
		lines = []string{u.t("ui.provider_offline"), u.t("ui.payments_refused")}
	}
	if p := u.e.printer; p != "ok" && p != "unknown" && p != "" {
		lines = append(lines, u.t("ui.printer", u.printerState(p)))
	}
	return screen.Screen{Kind: screen.Idle, Title: u.e.cfg.Merchant, Lines: lines}
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// hold shows s (a result or a notice) for ResultHold, then the idle screen.
func (u *ui) hold(m mode, s screen.Screen) {
	u.requeueAck()
	u.shown = s
	u.mode = m
	u.until = u.e.now().Add(u.e.cfg.ResultHold)
	u.show()
}

// release lets go of the foreground payment t: it goes on in the background.
func (u *ui) release(t *track) {
	t.foreground = false
	if u.pay == t.p.ID {
		u.pay = ""
	}
}

// --- What the engine reports. ---

// foreground puts t, just created, on screen while the provider is asked for it.
func (u *ui) foreground(t *track) {
	u.requeueAck()
	t.foreground = true
	u.pay, u.amount, u.ahead, u.mode = t.p.ID, t.p.Amount, nil, modeWait
	u.show()
}

// resume puts t, an open payment found at start, back on screen.
func (u *ui) resume(t *track) {
	t.foreground = true
	u.pay, u.amount, u.mode = t.p.ID, t.p.Amount, modeAwait
	if t.upd.Remote == driver.RemoteUnderpaid {
		u.mode = modeDecision
		u.armPrompt()
	}
}

// waiting: a provider call for t is under way.
func (u *ui) waiting(t *track) {
	if t.foreground {
		u.mode = modeWait
		u.show()
	}
}

// changed: the provider reported on t, which is still open.
func (u *ui) changed(t *track) {
	if t.foreground && t.upd.Remote == driver.RemoteUnderpaid && u.mode != modeDecision {
		u.mode = modeDecision
		u.armPrompt()
	}
	if t.foreground && (u.mode == modeWait || u.mode == modeStep) && t.p.State == store.StateAwaiting {
		u.mode = modeAwait
	}
	u.show()
}

// finished: t reached a final state (or a watched payment turned out paid).
func (u *ui) finished(t *track) {
	p := t.p
	switch {
	case t.foreground:
		u.result(p)
		u.release(t)
		u.show()
	case p.State == store.StatePaid && p.PaidLate:
		u.alert(screen.Screen{Kind: screen.Paid, Title: u.t("screen.paid_late"), Amount: u.money(p.Paid()), Provider: u.brand(p.Provider),
			Lines: []string{u.t("ui.amount_via", u.money(p.Amount), u.brand(p.Provider)), u.t("ui.receipt_printed", receiptNo(p.Receipt))}})
	case p.Attention != "":
		u.alert(screen.Screen{Kind: screen.Message, Title: u.t("screen.needs_attention"), Amount: u.money(p.Amount), Provider: u.brand(p.Provider),
			Lines: nonEmpty(u.phrase(p.Attention), u.receiptLine(p.Receipt))})
	}
}

// result sets up the result screen of the foreground payment p.
func (u *ui) result(p *store.Payment) {
	kind := map[store.State]screen.Kind{store.StatePaid: screen.Paid, store.StateFailed: screen.Failed,
		store.StateExpired: screen.Expired, store.StateCancelled: screen.Cancelled}[p.State]
	title := map[store.State]string{store.StatePaid: "screen.paid", store.StateFailed: "screen.failed",
		store.StateExpired: "screen.expired", store.StateCancelled: "screen.cancelled"}[p.State]
	if p.PaidLate {
		title = "screen.paid_late"
	}
	lines := nonEmpty(u.phrase(p.Reason))
	if p.State == store.StatePaid {
		lines = []string{u.t("ui.receipt", receiptNo(p.Receipt))}
	}
	u.shown = screen.Screen{Kind: kind, Title: u.t(title), Amount: u.money(p.Amount), Provider: u.brand(p.Provider), Lines: lines}
	u.attn.ack = false
	u.mode = modeResult
	u.until = u.e.now().Add(u.e.cfg.ResultHold)
	u.attention(p)
}

// attention adds to the result screen of p what a person must look at: a paid amount
// that is not the amount asked, the provider's reason. Such a result stays on screen
// until a key acknowledges it.
func (u *ui) attention(p *store.Payment) {
	var lines []string
	if paid := p.Paid(); p.State == store.StatePaid && paid != p.Amount {
		lines = append(lines, u.t("ui.paid_of", u.money(paid), u.money(p.Amount)))
		if paid.Minor < p.Amount.Minor {
			u.shown.Title = u.t("screen.paid_less")
		} else {
			u.shown.Title = u.t("screen.paid_more")
		}
	}
	if p.Attention != "" {
		lines = append(lines, u.t("ui.needs_attention", u.phrase(p.Attention)))
	}
	if len(lines) == 0 && !(p.State == store.StatePaid && p.PaidLate) {
		return
	}
	u.shown.Lines = append(lines, u.shown.Lines...)
	u.holdForAck() // attention.go: until OK, with a beep
}

// attentionHold is how long a flagged result stays on screen when no key acknowledges it.
const attentionHold = 12 * time.Hour

// untracked: the engine stopped following t.
func (u *ui) untracked(t *track) {
	if u.pay == t.p.ID && !t.foreground {
		u.pay = ""
	}
}

// offline: provider prov cannot be reached for a new payment.
func (u *ui) offline(prov string) {
	u.hold(modeMessage, screen.Screen{Kind: screen.Offline, Title: u.t("screen.offline"), Provider: u.brand(prov),
		Lines: []string{u.t("ui.cannot_reach", u.brand(prov)), u.t("ui.try_again")}, Hint: u.keyHint(use(KeyOK, "back"))})
}

// cancelPending: t's cancel waits for its provider; t goes on in the background.
func (u *ui) cancelPending(t *track) {
	if !t.foreground {
		return
	}
	u.release(t)
	u.hold(modeMessage, screen.Screen{Kind: screen.Message, Title: u.t("screen.cancel_pending"), Amount: u.money(t.p.Amount),
		Lines: []string{u.t("ui.cancel_later")}})
}

// storageError: t could not be committed and is dropped; nothing was sent for it.
func (u *ui) storageError(t *track, err error) {
	if t.foreground {
		u.release(t)
	}
	u.hold(modeMessage, screen.Screen{Kind: screen.Failed, Title: u.t("screen.storage_error"), Amount: u.money(t.p.Amount),
		Lines: []string{u.t("ui.not_started"), u.phrase(driver.CashierMessage(err))}})
}

// notice shows a message for ResultHold, unless the cashier is in the middle of something.
// title and lines are in the shop's language already.
func (u *ui) notice(title string, lines ...string) {
	u.shown = screen.Screen{Kind: screen.Message, Title: title, Lines: lines}
	if u.mode == modeIdle || u.mode == modeResult || u.mode == modeMessage || u.mode == modeAdmin {
		u.hold(modeMessage, u.shown)
	}
}

// stepAsked: t's provider asks the cashier for input.
func (u *ui) stepAsked(st *driver.Step) {
	u.mode = modeStep
	u.step = st
	u.text = ""
	u.stepLines = st.Lines
	u.stepNext = time.Time{}
	u.scanAgain = false
	u.armPrompt()
	if st.Refresh != nil {
		u.refreshStep()
	}
	u.show()
	ahead := u.ahead
	u.ahead = nil
	for i, k := range ahead {
		if u.mode != modeStep || u.step != st {
			u.ahead = append(u.ahead, ahead[i:]...)
			return
		}
		u.stepKey(k)
	}
}

// decision: the cashier's accept of an underpayment is under way (ok) or failed.
func (u *ui) decision(underway bool) {
	u.mode = modeDecision
	u.armPrompt()
	if underway {
		u.mode = modeWait
	}
	u.show()
}

// tick runs the UI's timers: result screens, the countdown, a step's refresh.
func (u *ui) tick(now time.Time) {
	if u.promptTick(now) || u.inputEndedTick() || u.attentionTick() {
		return
	}
	switch u.mode {
	case modeResult, modeMessage:
		if now.After(u.until) {
			u.mode = modeIdle
			u.show()
		}
	case modeAwait, modeDecision:
		if t := u.current(); t == nil {
			u.mode = modeIdle
		}
		if now.Sub(u.lastTick) >= time.Second {
			u.lastTick = now
			u.show() // countdown
		}
	case modeStep:
		st := u.step
		if st.Refresh != nil && !u.stepBusy && !now.Before(u.stepNext) {
			u.refreshStep()
		}
	}
	if promptMode(u.mode) && u.mode != modeDecision && now.Sub(u.lastTick) >= time.Second {
		u.lastTick = now
		u.show() // countdown
	}
}

func (u *ui) refreshStep() {
	t := u.current()
	st := u.step
	if t == nil || st == nil || st.Refresh == nil {
		return
	}
	u.stepBusy = true
	e := u.e
	p := e.view(t.p)
	e.spawn(func() {
		ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
		lines, err := st.Refresh(ctx, p)
		cancel()
		e.post(e.ctx, func() {
			u.stepBusy = false
			every := st.Every
			if every <= 0 {
				every = 5 * time.Second
			}
			u.stepNext = e.now().Add(every)
			if u.step != st {
				return
			}
			if err != nil {
				u.stepLines = []string{u.t("ui.quote_unavailable", u.phrase(driver.CashierMessage(err)))}
			} else {
				u.stepLines = lines
			}
			u.show()
		})
	})
}

// --- Keys and scans. ---

// typedAmount interprets the typed digits. Without a dot the digits are minor units
// shifted in from the right, as on card terminals ("1234" is 12.34); with a dot they
// are a decimal ("12.5" is 12.50).
func (u *ui) typedAmount() money.Amount {
	c, _ := money.Lookup(u.e.cfg.Currency)
	d := u.digits
	if strings.Contains(d, ".") {
		intPart, frac, _ := strings.Cut(d, ".")
		frac += strings.Repeat("0", c.Exponent-len(frac))
		v, _ := strconv.ParseInt("0"+intPart+frac, 10, 64)
		return money.New(v, c.Code)
	}
	v, _ := strconv.ParseInt("0"+d, 10, 64)
	return money.New(v, c.Code)
}

// maxDigits is what a ZVT amount field holds.
const maxDigits = 12

func (u *ui) key(k Key) {
	if u.e.recovering {
		return // no new work before every open payment is reconciled
	}
	u.armPrompt() // a key restarts the prompt's timer
	u.scanAgain = false
	switch u.mode {
	case modeAdmin:
		u.adminKey(k)
	case modePIN:
		u.pinKey(k)
	case modeConfirm:
		u.confirmKey(k)
	case modeIdle, modeResult, modeMessage:
		if u.ackKey(k) {
			return // a result waits for OK (attention.go)
		}
		switch {
		case k >= '0' && k <= '9' || k == KeyDot:
			u.mode, u.digits, u.err = modeEntry, "", ""
			u.entryKey(k)
		case k == KeyMenu:
			u.openAdmin()
		default:
			u.mode = modeIdle
			u.show()
		}
	case modeEntry:
		u.entryKey(k)
	case modeProvider:
		switch {
		case k == KeyCancel:
			u.mode = modeIdle
			u.show()
		case k >= '1' && k <= '9' && int(k-'1') < len(u.e.order):
			u.begin(u.amount, u.e.order[k-'1'])
		}
	case modeStep:
		u.stepKey(k)
	case modeWait, modeAwait:
		t := u.current()
		if k != KeyCancel && u.mode == modeWait && t != nil && t.p.State == store.StateNew && len(u.ahead) < 32 {
			u.ahead = append(u.ahead, k) // answered once the step shows
			return
		}
		if k == KeyCancel && t != nil {
			u.e.cancel(t)
			u.show()
		}
	case modeDecision:
		t := u.current()
		if t == nil {
			return
		}
		switch k {
		case KeyOK:
			u.e.accept(t)
		case KeyCancel:
			u.e.decline(t)
		}
	}
}

func (u *ui) entryKey(k Key) {
	u.err = ""
	switch {
	case k >= '0' && k <= '9':
		d := u.digits + string(rune(k))
		if !strings.Contains(d, ".") {
			d = strings.TrimLeft(d, "0")
		}
		if n := len(strings.ReplaceAll(d, ".", "")); n > maxDigits {
			u.err = u.t("ui.too_many_digits")
			break
		}
		if i := strings.IndexByte(d, '.'); i >= 0 && len(d)-i-1 > u.typedAmount().Exponent() {
			u.err = u.t("ui.too_many_decimals")
			break
		}
		u.digits = d
	case k == KeyDot:
		if !strings.Contains(u.digits, ".") && u.typedAmount().Exponent() > 0 {
			u.digits += "."
		}
	case k == KeyClear:
		if u.digits == "" {
			u.mode = modeIdle
		} else {
			u.digits = u.digits[:len(u.digits)-1]
		}
	case k == KeyCancel:
		u.mode, u.digits = modeIdle, ""
	case k == KeyOK:
		a := u.typedAmount()
		switch {
		case a.Minor < u.e.cfg.MinAmount:
			u.err = u.t("ui.minimum", u.money(money.New(u.e.cfg.MinAmount, a.Currency)))
		case a.Minor > u.e.cfg.MaxAmount:
			u.err = u.t("ui.maximum", u.money(money.New(u.e.cfg.MaxAmount, a.Currency)))
		default:
			u.amount = a
			if len(u.e.order) > 1 {
				u.mode = modeProvider
			} else {
				u.begin(a, u.e.order[0])
				return
			}
		}
	}
	u.show()
}

func (u *ui) stepKey(k Key) {
	t := u.current()
	st := u.step
	if t == nil || st == nil {
		return
	}
	switch {
	case k == KeyCancel:
		u.e.cancel(t)
		u.release(t)
		u.mode = modeIdle
		u.show()
	case len(st.Options) > 0 && k >= '1' && k <= '9' && int(k-'1') < len(st.Options):
		u.answer(t, st, st.Options[k-'1'])
	case len(st.Options) == 0 && k == KeyOK && (u.text != "" || st.Refresh != nil):
		u.answer(t, st, orText(u.text, "ok"))
	case st.Text && (k >= '0' && k <= '9' || k == '+'):
		if len(u.text) < 32 {
			u.text += string(rune(k))
		}
		u.show()
	case st.Text && k == KeyClear && u.text != "":
		u.text = u.text[:len(u.text)-1]
		u.show()
	}
}

// answer gives the engine the cashier's answer to step st and waits for the next one.
func (u *ui) answer(t *track, st *driver.Step, value string) {
	if err := u.e.answer(t, st, value); err != nil {
		return // the engine reported the storage error
	}
	u.mode = modeWait
	u.show()
	u.e.ask(t)
}

func (u *ui) scan(code string) {
	if u.e.recovering {
		return
	}
	u.armPrompt()
	u.scanAgain = false
	if u.adminScan(code) {
		return
	}
	if u.mode != modeStep || u.step == nil || !u.step.Scan {
		u.e.log.Info("scanned code ignored: no step waits for one", "length", len(code))
		return
	}
	if t := u.current(); t != nil {
		u.answer(t, u.step, code)
	}
}

// ScanAgain is the line a prompt awaiting a scan shows after a dropped scan, in English
// (message ui.scan_again in the shop's language).
const ScanAgain = "Scan again"

// scanFailed: the scanner dropped a code. A prompt that awaits a scan (a provider's scan
// step, the admin refund address) asks for it again; elsewhere it is only logged.
func (u *ui) scanFailed() {
	awaits := (u.mode == modeStep && u.step != nil && u.step.Scan) || (u.mode == modeAdmin && u.admin.step == "refund-dest")
	if !awaits {
		u.e.log.Info("dropped scan ignored: no prompt waits for one")
		return
	}
	u.scanAgain = true
	u.armPrompt()
	u.show()
}

// begin starts a keypad payment of a at provider prov in the foreground.
func (u *ui) begin(a money.Amount, prov string) {
	t, err := u.e.begin(a, prov, "keypad")
	switch {
	case errors.Is(err, ErrOffline):
		u.offline(prov)
		return
	case errors.Is(err, ErrClosing):
		u.mode = modeIdle
		u.notice(u.t("screen.closing"), u.t("ui.not_started"), u.t("ui.restarts"))
		return
	case err != nil:
		u.mode = modeIdle
		u.notice(u.t("screen.storage_error"), u.t("ui.not_started"), u.phrase(driver.CashierMessage(err)))
		return
	}
	u.foreground(t)
	u.e.ask(t)
}
