package flow

import (
	"context"
	"fmt"
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

// ui is the foreground state. Owned by the Run goroutine.
type ui struct {
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
}

func (e *Engine) fg() *track {
	if e.ui.pay == "" {
		return nil
	}
	return e.tracks[e.ui.pay]
}

func (e *Engine) status() screen.Status {
	return screen.Status{Online: e.allOnline(), Printer: e.printer, Terminal: e.cfg.TerminalID}
}

func (e *Engine) providerTitle(name string) string { return name }

// show draws the screen for the current mode.
func (e *Engine) show() {
	if e.ctx == nil {
		return
	}
	s := e.screen()
	s.Status = e.status()
	if err := e.disp.Show(s); err != nil {
		e.log.Warn("display", "err", err)
	}
}

func (e *Engine) screen() screen.Screen {
	switch e.ui.mode {
	case modeEntry:
		return screen.Screen{Kind: screen.Amount, Title: "Amount", Amount: e.typedAmount().String(),
			Lines: nonEmpty(e.ui.err), Hint: "OK = pay   X = cancel"}
	case modeProvider:
		return screen.Screen{Kind: screen.Choose, Title: "Pay with", Amount: e.ui.amount.String(), Options: e.order, Hint: "1-" + strconv.Itoa(len(e.order)) + " = choose   X = cancel"}
	case modeStep:
		st := e.ui.step
		s := screen.Screen{Kind: screen.Input, Title: st.Prompt, Amount: e.ui.amount.String(), Provider: e.fgProvider()}
		if len(st.Options) > 0 {
			s.Kind, s.Options, s.Hint = screen.Choose, st.Options, "1-"+strconv.Itoa(len(st.Options))+" = choose   X = cancel"
		} else {
			s.Lines = append(append([]string{}, e.ui.stepLines...), nonEmpty(e.ui.text)...)
			s.Hint = "OK = continue   X = cancel"
		}
		return s
	case modeWait:
		return screen.Screen{Kind: screen.Wait, Title: "Please wait", Amount: e.ui.amount.String(), Provider: e.fgProvider(), Hint: "X = cancel"}
	case modeAwait, modeDecision:
		t := e.fg()
		if t == nil {
			return e.idleScreen()
		}
		p := t.p
		// The provider's first line (e.g. the crypto amount), then its status, then the rest.
		// A short notice (cannot cancel, accept failed) stands in the status line for a while.
		status := p.Detail
		if t.note != "" && e.now().Before(t.noteUntil) {
			status = t.note
		}
		lines := nonEmpty(status)
		if ul := t.upd.Lines; len(ul) > 0 {
			lines = append(append([]string{ul[0]}, lines...), ul[1:]...)
		}
		if p.State == store.StateCancelling {
			lines = []string{"Cancelling..."}
		}
		if e.ui.mode == modeDecision {
			return screen.Screen{Kind: screen.Decision, Title: "Underpaid", Amount: p.Amount.String(), Provider: p.Provider,
				Lines: lines, Hint: "OK = accept   X = cancel"}
		}
		if p.QR == "" {
			return screen.Screen{Kind: screen.Wait, Title: "Waiting for customer", Amount: p.Amount.String(), Provider: p.Provider, Lines: lines, Deadline: p.ExpiresAt, Hint: "X = cancel"}
		}
		return screen.Screen{Kind: screen.QR, Title: "Scan to pay", Amount: p.Amount.String(), Provider: p.Provider,
			QR: p.QR, Deadline: p.ExpiresAt, Lines: lines, Hint: "X = cancel"}
	case modeResult, modeMessage:
		return e.ui.shown
	case modeAdmin:
		return e.adminScreen()
	}
	return e.idleScreen()
}

func (e *Engine) fgProvider() string {
	if t := e.fg(); t != nil {
		return t.p.Provider
	}
	return ""
}

func (e *Engine) idleScreen() screen.Screen {
	lines := []string{"Key an amount to start"}
	if !e.allOnline() {
		lines = []string{"Provider offline", "New payments refused"}
	}
	if e.printer != "ok" && e.printer != "unknown" && e.printer != "" {
		lines = append(lines, "Printer: "+e.printer)
	}
	return screen.Screen{Kind: screen.Idle, Title: e.cfg.Merchant, Lines: lines}
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

// resultScreen shows the end of the foreground payment and releases the foreground.
func (e *Engine) resultScreen(p *store.Payment) {
	kind := map[store.State]screen.Kind{store.StatePaid: screen.Paid, store.StateFailed: screen.Failed,
		store.StateExpired: screen.Expired, store.StateCancelled: screen.Cancelled}[p.State]
	title := map[store.State]string{store.StatePaid: "Paid", store.StateFailed: "Failed",
		store.StateExpired: "Expired", store.StateCancelled: "Cancelled"}[p.State]
	if p.PaidLate {
		title = "Paid after cancel"
	}
	lines := nonEmpty(p.Reason)
	if p.State == store.StatePaid {
		lines = []string{"Receipt " + strconv.FormatUint(p.Receipt, 10)}
	}
	e.ui.shown = screen.Screen{Kind: kind, Title: title, Amount: p.Amount.String(), Provider: p.Provider, Lines: lines}
	e.ui.mode = modeResult
	e.ui.until = e.now().Add(e.cfg.ResultHold)
	if t := e.tracks[p.ID]; t != nil {
		t.foreground = false
	}
	e.ui.pay = ""
	e.show()
}

// message shows a notice for ResultHold, then the idle screen.
func (e *Engine) message(title string, lines ...string) {
	e.ui.shown = screen.Screen{Kind: screen.Message, Title: title, Lines: lines}
	if e.ui.mode == modeIdle || e.ui.mode == modeResult || e.ui.mode == modeMessage || e.ui.mode == modeAdmin {
		e.ui.mode = modeMessage
		e.ui.until = e.now().Add(e.cfg.ResultHold)
		e.show()
	}
}

func (e *Engine) offlineScreen(prov string) {
	e.ui.shown = screen.Screen{Kind: screen.Offline, Title: "Offline", Provider: prov,
		Lines: []string{prov + " cannot be reached.", "Try again in a moment."}, Hint: "OK = back"}
	e.ui.mode = modeMessage
	e.ui.until = e.now().Add(e.cfg.ResultHold)
	e.show()
}

// releaseForeground leaves t running in the background and tells the cashier why.
func (e *Engine) releaseForeground(t *track, title, line string) {
	t.foreground = false
	e.ui.pay = ""
	e.ui.shown = screen.Screen{Kind: screen.Message, Title: title, Amount: t.p.Amount.String(), Lines: []string{line}}
	e.ui.mode = modeMessage
	e.ui.until = e.now().Add(e.cfg.ResultHold)
	e.show()
}

func (e *Engine) tickUI(now time.Time) {
	switch e.ui.mode {
	case modeResult, modeMessage:
		if now.After(e.ui.until) {
			e.ui.mode = modeIdle
			e.show()
		}
	case modeAwait, modeDecision:
		if t := e.fg(); t == nil {
			e.ui.mode = modeIdle
		}
		if now.Sub(e.lastTick) >= time.Second {
			e.lastTick = now
			e.show() // countdown
		}
	case modeStep:
		st := e.ui.step
		if st.Refresh != nil && !e.ui.stepBusy && !now.Before(e.ui.stepNext) {
			e.refreshStep()
		}
	}
}

func (e *Engine) refreshStep() {
	t := e.fg()
	st := e.ui.step
	if t == nil || st == nil || st.Refresh == nil {
		return
	}
	e.ui.stepBusy = true
	p := e.view(t.p)
	go func() {
		ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
		lines, err := st.Refresh(ctx, p)
		cancel()
		e.post(e.ctx, func() {
			e.ui.stepBusy = false
			every := st.Every
			if every <= 0 {
				every = 5 * time.Second
			}
			e.ui.stepNext = e.now().Add(every)
			if e.ui.step != st {
				return
			}
			if err != nil {
				e.ui.stepLines = []string{"Quote unavailable: " + driver.CashierMessage(err)}
			} else {
				e.ui.stepLines = lines
			}
			e.show()
		})
	}()
}

func (e *Engine) showStep(t *track, st *driver.Step) {
	e.ui.mode = modeStep
	e.ui.step = st
	e.ui.text = ""
	e.ui.stepLines = st.Lines
	e.ui.stepNext = time.Time{}
	if st.Refresh != nil {
		e.refreshStep()
	}
	e.show()
	ahead := e.ui.ahead
	e.ui.ahead = nil
	for i, k := range ahead {
		if e.ui.mode != modeStep || e.ui.step != st {
			e.ui.ahead = append(e.ui.ahead, ahead[i:]...)
			return
		}
		e.stepKey(k)
	}
}

// typedAmount interprets the typed digits. Without a dot the digits are minor units
// shifted in from the right, as on card terminals ("1234" is 12.34); with a dot they
// are a decimal ("12.5" is 12.50).
func (e *Engine) typedAmount() money.Amount {
	c, _ := money.Lookup(e.cfg.Currency)
	d := e.ui.digits
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

func (e *Engine) onKey(k Key) {
	if e.recovering {
		return // no new work before every open payment is reconciled
	}
	if e.ui.mode == modeAdmin {
		e.adminKey(k)
		return
	}
	switch e.ui.mode {
	case modeIdle, modeResult, modeMessage:
		switch {
		case k >= '0' && k <= '9' || k == KeyDot:
			e.ui.mode, e.ui.digits, e.ui.err = modeEntry, "", ""
			e.entryKey(k)
		case k == KeyMenu:
			e.openAdmin()
		default:
			e.ui.mode = modeIdle
			e.show()
		}
	case modeEntry:
		e.entryKey(k)
	case modeProvider:
		switch {
		case k == KeyCancel:
			e.ui.mode = modeIdle
			e.show()
		case k >= '1' && k <= '9' && int(k-'1') < len(e.order):
			e.begin(e.ui.amount, e.order[k-'1'], "keypad")
		}
	case modeStep:
		e.stepKey(k)
	case modeWait, modeAwait:
		if t := e.fg(); k != KeyCancel && e.ui.mode == modeWait && t != nil && t.p.State == store.StateNew && len(e.ui.ahead) < 32 {
			e.ui.ahead = append(e.ui.ahead, k) // answered once the step shows
			return
		}
		if k == KeyCancel {
			if t := e.fg(); t != nil {
				e.cancel(t)
				e.show()
			}
		}
	case modeDecision:
		t := e.fg()
		if t == nil {
			return
		}
		switch k {
		case KeyOK:
			e.accept(t)
		case KeyCancel:
			t.p.Decision = store.DecisionCancelled
			e.cancel(t)
		}
	}
}

func (e *Engine) entryKey(k Key) {
	e.ui.err = ""
	switch {
	case k >= '0' && k <= '9':
		d := e.ui.digits + string(rune(k))
		if !strings.Contains(d, ".") {
			d = strings.TrimLeft(d, "0")
		}
		if n := len(strings.ReplaceAll(d, ".", "")); n > maxDigits {
			e.ui.err = "Too many digits"
			break
		}
		if i := strings.IndexByte(d, '.'); i >= 0 && len(d)-i-1 > e.typedAmount().Exponent() {
			e.ui.err = "Too many decimals"
			break
		}
		e.ui.digits = d
	case k == KeyDot:
		if !strings.Contains(e.ui.digits, ".") && e.typedAmount().Exponent() > 0 {
			e.ui.digits += "."
		}
	case k == KeyClear:
		if e.ui.digits == "" {
			e.ui.mode = modeIdle
		} else {
			e.ui.digits = e.ui.digits[:len(e.ui.digits)-1]
		}
	case k == KeyCancel:
		e.ui.mode, e.ui.digits = modeIdle, ""
	case k == KeyOK:
		a := e.typedAmount()
		switch {
		case a.Minor < e.cfg.MinAmount:
			e.ui.err = "Minimum " + money.New(e.cfg.MinAmount, a.Currency).String()
		case a.Minor > e.cfg.MaxAmount:
			e.ui.err = "Maximum " + money.New(e.cfg.MaxAmount, a.Currency).String()
		default:
			e.ui.amount = a
			if len(e.order) > 1 {
				e.ui.mode = modeProvider
			} else {
				e.begin(a, e.order[0], "keypad")
				return
			}
		}
	}
	e.show()
}

func (e *Engine) stepKey(k Key) {
	t := e.fg()
	st := e.ui.step
	if t == nil || st == nil {
		return
	}
	switch {
	case k == KeyCancel:
		e.cancel(t)
		e.ui.pay = ""
		t.foreground = false
		e.ui.mode = modeIdle
		e.show()
	case len(st.Options) > 0 && k >= '1' && k <= '9' && int(k-'1') < len(st.Options):
		e.answer(t, st, st.Options[k-'1'])
	case len(st.Options) == 0 && k == KeyOK && (e.ui.text != "" || st.Refresh != nil):
		e.answer(t, st, orText(e.ui.text, "ok"))
	case st.Text && (k >= '0' && k <= '9' || k == '+'):
		if len(e.ui.text) < 32 {
			e.ui.text += string(rune(k))
		}
		e.show()
	case st.Text && k == KeyClear && e.ui.text != "":
		e.ui.text = e.ui.text[:len(e.ui.text)-1]
		e.show()
	}
}

func (e *Engine) onScan(code string) {
	if e.recovering {
		return
	}
	if e.adminScan(code) {
		return
	}
	if e.ui.mode != modeStep || e.ui.step == nil || !e.ui.step.Scan {
		e.log.Info("scanned code ignored: no step waits for one", "length", len(code))
		return
	}
	if t := e.fg(); t != nil {
		e.answer(t, e.ui.step, code)
	}
}

// begin starts a payment in the foreground.
func (e *Engine) begin(a money.Amount, prov, source string) (*track, error) {
	if !e.online[prov] {
		e.offlineScreen(prov)
		e.lastPing[prov] = time.Time{}
		return nil, ErrOffline
	}
	t, err := e.newPayment(a, prov, source)
	if err != nil {
		e.ui.mode = modeIdle
		e.message("Storage error", "Payment not started.", driver.CashierMessage(err))
		return nil, err
	}
	t.foreground = true
	e.ui.pay = t.p.ID
	e.ui.amount = a
	e.ui.ahead = nil
	e.ui.mode = modeWait
	e.show()
	e.ask(t)
	return t, nil
}

// accept takes an underpayment as it stands (cashier's decision).
func (e *Engine) accept(t *track) {
	d, ok := e.providers[t.p.Provider].(driver.Decider)
	if !ok {
		return
	}
	t.p.Decision = store.DecisionAccepted
	if err := e.save(t.p); err != nil {
		return
	}
	e.ui.mode = modeWait
	e.show()
	if t.busy {
		// A status check is under way: accept as soon as it is back, never drop the key.
		t.acceptPending = true
		return
	}
	t.acceptPending = false
	e.call(t, "accept", d.Accept, func(u driver.Update, err error) {
		if err != nil {
			e.ui.mode = modeDecision
			t.note, t.noteUntil = "Accept failed: "+driver.CashierMessage(err), e.now().Add(e.cfg.ResultHold)
			e.show()
			return
		}
		if u.Remote == driver.RemoteUnderpaid {
			u.Remote = driver.RemotePending
		}
		e.ui.mode = modeAwait
		e.apply(t, u)
	})
}

func fmtReceipt(n uint64) string { return fmt.Sprintf("%04d", n) }
