package flow

import (
	"fmt"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// Sample is one screen the terminal draws, for `terminald screens` and the README's
// pictures: Name is the file name's stem ("qr-crypto"), Screen what the ui shows.
type Sample struct {
	Name   string
	Screen screen.Screen
}

// SampleScreens returns the screens the terminal draws in a shop using loc, made by the
// ui's own code (the same functions that draw the live terminal) from sample payments of
// the three providers, at the time now: idle, amount entry, provider choice, provider
// steps, wait, QR, the underpayment decision, results and the results to acknowledge,
// offline, the admin menu, the manager PIN, recent payments, refund steps and
// confirmation, the X report and end of day.
func SampleScreens(loc *locale.Locale, now time.Time) []Sample { return sampleScreens(loc, now, nil) }

// sampleScreens is SampleScreens with the ui's textHook set to hook.
func sampleScreens(loc *locale.Locale, now time.Time, hook func(key, text string)) []Sample {
	cfg := Config{TerminalID: "T-0042", Merchant: "Café Lindenhof", Currency: "EUR", Locale: loc,
		Now: func() time.Time { return now }}
	cfg.defaults() // an English locale and a currency that exist: cannot fail
	e := &Engine{cfg: cfg, order: []string{"acountpay", "accrue", "cryptogw"}, tracks: map[string]*track{},
		online: map[string]bool{"acountpay": true, "accrue": true, "cryptogw": true}, printer: "ok"}
	u := &ui{e: e, textHook: hook}
	e.ui = u
	eur := func(minor int64) money.Amount { return money.New(minor, "EUR") }
	pay := func(prov string, minor int64, st store.State) *store.Payment {
		return &store.Payment{ID: "T-0042-000017-ab12cd", Provider: prov, Amount: eur(minor), State: st, Source: "keypad",
			CreatedAt: now.Add(-3 * time.Minute), SettledAt: now.Add(-2 * time.Minute), ExpiresAt: now.Add(4*time.Minute + 59*time.Second), Receipt: 17}
	}
	fore := func(p *store.Payment, upd driver.Update) *track {
		t := &track{p: p, upd: upd, foreground: true}
		e.tracks = map[string]*track{p.ID: t}
		u.pay, u.amount = p.ID, p.Amount
		return t
	}
	reset := func() {
		*u = ui{e: e, textHook: hook}
		e.tracks, e.online, e.printer = map[string]*track{}, map[string]bool{"acountpay": true}, "ok"
		u.armPrompt()
	}
	const address = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
	const qrURL = "https://pay.acountpay.com/i/7Hq2ZkP9xRw4"
	var out []Sample
	add := func(name string, setup func()) {
		reset()
		setup()
		out = append(out, Sample{Name: name, Screen: u.full()})
	}

	add("idle", func() {})
	add("idle-offline", func() { e.online["acountpay"], e.printer = false, "paper out" })
	add("amount", func() { u.mode, u.digits = modeEntry, "1250" })
	add("amount-minimum", func() {
		u.mode, u.digits = modeEntry, ""
		u.err = u.t("ui.minimum", u.money(eur(e.cfg.MinAmount)))
	})
	add("provider", func() { u.mode, u.amount = modeProvider, eur(1250) })
	add("step-method", func() {
		fore(pay("accrue", 1250, store.StateNew), driver.Update{})
		u.mode, u.step = modeStep, &driver.Step{Key: "accrue.method", Prompt: "Pay with Accrue", Options: []string{"Scan wallet code", "Phone number"}}
	})
	add("step-phone", func() {
		fore(pay("accrue", 1250, store.StateNew), driver.Update{})
		u.mode, u.step, u.text = modeStep, &driver.Step{Key: "accrue.phone", Prompt: "Customer phone number", Text: true}, "4512345678"
	})
	add("step-quote", func() {
		fore(pay("cryptogw", 2000, store.StateNew), driver.Update{})
		u.mode, u.step = modeStep, &driver.Step{Key: "crypto.quote", Prompt: "Pay 20.00 EUR in BTC? OK"}
		u.stepLines = []string{"1 BTC = 59757.12 EUR", "Amount 0.00033469 BTC", "Network fee 0.00000500 BTC"}
	})
	add("wait", func() {
		fore(pay("acountpay", 1250, store.StateNew), driver.Update{})
		u.mode = modeWait
	})
	add("qr", func() {
		p := pay("acountpay", 1250, store.StateAwaiting)
		p.QR, p.Detail = qrURL, "Waiting for customer"
		fore(p, driver.Update{})
		u.mode = modeAwait
	})
	add("qr-crypto", func() {
		p := pay("cryptogw", 2000, store.StateAwaiting)
		p.QR, p.Detail = "bitcoin:"+address+"?amount=0.00033469", "1/2 confirmations"
		fore(p, driver.Update{Lines: []string{"Pay 0.00033469 BTC", "to " + address}})
		u.mode = modeAwait
	})
	add("decision", func() {
		p := pay("cryptogw", 2000, store.StateAwaiting)
		p.Detail = "Underpaid"
		fore(p, driver.Update{Remote: driver.RemoteUnderpaid, Lines: []string{"Received 0.00030122 BTC",
			"Expected 0.00033469 BTC", "Missing 0.00003347 BTC"}})
		u.mode = modeDecision
		u.armPrompt()
	})
	add("paid", func() { u.result(pay("acountpay", 1250, store.StatePaid)) })
	add("failed", func() {
		p := pay("accrue", 1250, store.StateFailed)
		p.Reason = "No Accrue wallet for this phone"
		u.result(p)
	})
	add("expired", func() {
		p := pay("acountpay", 1250, store.StateExpired)
		p.Reason = "Expired"
		u.result(p)
	})
	add("cancelled", func() {
		p := pay("acountpay", 1250, store.StateCancelled)
		p.Reason = "Cancelled"
		u.result(p)
	})
	add("paid-less", func() {
		p := pay("cryptogw", 2000, store.StatePaid)
		p.Settled, p.Attention = eur(1800), "Underpaid"
		u.result(p)
	})
	add("paid-late", func() {
		p := pay("acountpay", 1250, store.StatePaid)
		p.PaidLate = true
		u.finished(&track{p: p})
	})
	add("offline", func() { u.offline("accrue") })
	add("cancel-pending", func() { u.cancelPending(fore(pay("acountpay", 1250, store.StateCancelling), driver.Update{})) })
	add("admin", func() { u.mode, u.admin = modeAdmin, adminState{step: "menu"} })
	add("pin", func() {
		u.mode, u.pin = modePIN, pinPrompt{what: u.t("ui.menu.refund"), digits: "12", msg: u.t("ui.pin_wrong", 2)}
	})
	add("pin-locked", func() {
		u.mode, u.pin = modePIN, pinPrompt{what: u.t("ui.menu.end_of_day"), locked: now.Add(5 * time.Minute)}
	})
	recent := func() []*store.Payment {
		a := pay("acountpay", 1250, store.StatePaid)
		b := pay("cryptogw", 4990, store.StatePaid)
		b.Receipt, b.Refunded, b.CreatedAt = 16, 1000, now.Add(-40*time.Minute)
		c := pay("accrue", 820, store.StateCancelled)
		c.Receipt, c.CreatedAt = 0, now.Add(-26*time.Hour)
		return []*store.Payment{a, b, c}
	}
	add("recent", func() {
		u.mode, u.admin = modeAdmin, adminState{step: "recent", view: viewState{page: recent(), next: 3}}
	})
	add("recent-one", func() {
		u.mode, u.admin = modeAdmin, adminState{step: "recent-one", view: viewState{sel: recent()[1]}}
	})
	add("refund-amount", func() {
		p := recent()[1]
		u.mode, u.admin, u.refund, u.text = modeAdmin, adminState{step: "refund-amount", payment: p}, refundDraft{left: eur(3990)}, "2000"
	})
	add("refund-refused", func() {
		p := recent()[0]
		u.refusal(u.t("ui.not_refundable", u.brand(p.Provider)), u.t("ui.refund_back_office", u.brand(p.Provider)))
	})
	add("refund-confirm", func() {
		u.mode, u.admin = modeAdmin, adminState{step: "refund-dest", payment: recent()[1], minor: 3990}
		u.confirmRefund(address)
	})
	add("refund-address", func() {
		u.mode, u.admin = modeAdmin, adminState{step: "refund-dest", payment: recent()[1], minor: 3990}
		u.confirmRefund(address)
		u.confirmKey(KeyOK) // the payment confirmed: the address on its own screen
	})
	rep := Report{From: now.Add(-9 * time.Hour), To: now, Rows: []ReportRow{
		{Provider: "acountpay", Result: "paid", Currency: "EUR", Count: 12, Total: 23450},
		{Provider: "cryptogw", Result: "paid", Currency: "EUR", Count: 2, Total: 6790},
		{Provider: "cryptogw", Result: "refund", Currency: "EUR", Count: 1, Total: -1000}},
		Totals: []ReportRow{{Currency: "EUR", Count: 15, Total: 29240}}}
	add("x-report", func() { u.showReport(u.t("screen.x_report"), rep) })
	add("end-of-day-confirm", func() { u.mode = modeAdmin; u.confirmEndOfDay() })
	add("end-of-day", func() { u.showReport(u.t("screen.end_of_day"), rep) })
	add("notice", func() { u.adminResult(nil, u.t("ui.refund_queued", u.money(eur(3990)))) })
	add("error", func() { u.adminResult(fmt.Errorf("no receipt %04d", 42), "") })
	return out
}
