package flow

import (
	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// A refund from the terminal's admin menu (after the manager PIN): the cashier keys the
// receipt number; a payment that cannot be refunded here is refused at once on one
// screen with the reason (a provider without a refund API, a payment not paid, nothing
// left); otherwise the screen shows what is left to refund (the amount paid — for a
// settled underpayment the amount accepted — less earlier refunds that did not fail)
// and asks the amount (empty = all that is left), except where the provider refunds
// whole payments only (driver.WholeRefunder: crypto), where it asks none. A provider that
// needs an address (crypto) then asks for it to be scanned; the confirmation screen
// (confirm.go) comes last, and only its OK sends anything.

// leftToRefund is what of payment p (as stored) can still be refunded: what was paid
// (the accepted amount of an underpayment) less the refunds of others that did not fail.
func leftToRefund(p *store.Payment, others []*store.Refund) money.Amount {
	left := p.Paid()
	for _, o := range others {
		if o.State != store.RefundFailed {
			left.Minor -= o.Amount.Minor
		}
	}
	return left
}

// refundLeft reads what is left to refund of payment id.
func (e *Engine) refundLeft(id string) (money.Amount, error) {
	var left money.Amount
	err := e.st.View(func(tx *store.Tx) error {
		p, err := tx.Payment(id)
		if err != nil {
			return err
		}
		others, err := tx.RefundsOf(id)
		if err != nil {
			return err
		}
		left = leftToRefund(p, others)
		return nil
	})
	return left, err
}

// refundDraft is the refund being put together on the terminal.
type refundDraft struct {
	left money.Amount // what is left to refund of the payment
	err  string       // why the amount typed was not taken
}

// refundPicked: the cashier chose payment p (by its receipt number) to refund.
func (u *ui) refundPicked(p *store.Payment) {
	e := u.e
	brand := u.brand(p.Provider)
	rf, ok := e.providers[p.Provider].(driver.Refunder)
	if !ok {
		u.refusal(u.t("ui.not_refundable", brand), u.t("ui.refund_back_office", brand))
		return
	}
	if p.State != store.StatePaid {
		u.refusal(u.t("ui.not_paid", receiptNo(p.Receipt), u.stateWords(p)[0]), u.t("ui.only_paid"))
		return
	}
	left, err := e.refundLeft(p.ID)
	if err != nil {
		u.adminResult(err, "")
		return
	}
	if left.Minor <= 0 {
		u.refusal(u.t("ui.refunded_full", receiptNo(p.Receipt)), u.t("ui.nothing_left"))
		return
	}
	a := &u.admin
	a.payment, u.refund = p, refundDraft{left: left}
	if w, ok := rf.(driver.WholeRefunder); ok && w.RefundsWholeOnly() {
		a.minor = left.Minor // whole refunds only: no amount to ask
		u.refundAmountTaken()
		return
	}
	a.step, u.text = "refund-amount", ""
	u.show()
}

// refundAmountScreen asks the amount, showing what is left.
func (u *ui) refundAmountScreen() screen.Screen {
	return screen.Screen{Kind: screen.Admin, Title: u.t("screen.refund"), Amount: u.money(u.refund.left),
		Lines: append([]string{u.t("ui.left_to_refund", u.money(u.refund.left)), u.t("ui.refund_amount"), u.text}, nonEmpty(u.refund.err)...),
		Hint:  u.keyHint(use(KeyOK, "next"), use(KeyCancel, "back"))}
}

// refundAmount takes the amount typed (minor units; 0 = all that is left).
func (u *ui) refundAmount(minor int64) {
	left := u.refund.left
	if minor == 0 {
		minor = left.Minor
	}
	if minor > left.Minor {
		u.refund.err = u.t("ui.at_most", u.money(left))
		u.show()
		return
	}
	u.refund.err = ""
	u.admin.minor = minor
	u.refundAmountTaken()
}

// refundAmountTaken goes on once the amount is known: the address where one is needed,
// else the confirmation.
func (u *ui) refundAmountTaken() {
	a := &u.admin
	if u.e.refundNeedsDestination(a.payment.Provider) {
		a.step = "refund-dest"
		u.show()
		return
	}
	u.confirmRefund("")
}

// refundAddress takes the scanned refund address.
func (u *ui) refundAddress(dest string) {
	u.confirmRefund(dest)
	u.show()
}

// confirmRefund shows the refund for the cashier's OK.
func (u *ui) confirmRefund(dest string) {
	e := u.e
	p, minor := u.admin.payment, u.admin.minor
	amount := money.New(minor, p.Paid().Currency)
	brand := u.brand(p.Provider)
	at := p.SettledAt
	if at.IsZero() {
		at = p.CreatedAt
	}
	lines := []string{u.t("ui.receipt_at", receiptNo(p.Receipt), e.cfg.Locale.Time(at)), u.t("ui.paid_via", u.money(p.Paid()), brand)}
	send := confirmation{title: u.t("screen.confirm_refund"), amount: u.money(amount), verb: "refund", do: func() {
		_, err := e.newRefund(p, minor, dest)
		u.adminResult(err, u.t("ui.refund_queued", u.money(amount)))
	}}
	if dest == "" {
		send.lines = append(lines, u.t("ui.back_to_account", brand))
		u.confirm(send)
		u.show()
		return
	}
	// To a scanned address: the payment first, then the address on a screen of its own,
	// every character in groups of four (a 62-character address takes five lines, which
	// a 240×240 panel holds only without the rest), the amount in its title. Only the
	// second OK sends.
	send.title, send.amount, send.lines = u.t("screen.refund_to", u.money(amount)), "", groupAddress(dest)
	u.confirm(confirmation{title: u.t("screen.confirm_refund"), amount: u.money(amount),
		lines: append(lines, u.t("ui.to_address_next")), verb: "continue", do: func() { u.confirm(send) }})
	u.show()
}

// refusal shows why the refund cannot be done here, on one screen the cashier can read:
// short lines (the display wraps each), held until a key or the prompt time.
func (u *ui) refusal(lines ...string) {
	u.hold(modeMessage, screen.Screen{Kind: screen.Failed, Title: u.t("screen.refund_refused"), Lines: lines, Hint: u.keyHint(use(KeyOK, "back"))})
	u.until = u.e.now().Add(u.e.cfg.PromptTimeout)
}

// confirmEndOfDay asks before closing the day (from the admin menu, after the PIN).
func (u *ui) confirmEndOfDay() {
	u.confirm(confirmation{title: u.t("screen.end_of_day"), lines: []string{u.t("ui.eod_closes"), u.t("ui.eod_later")},
		verb: "close_day", do: u.openEndOfDay}) // xreport.go: totals on screen, report printed
}
