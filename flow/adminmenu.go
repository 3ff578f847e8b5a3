package flow

import (
	"strconv"

	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// adminState is the keypad admin menu's state.
type adminState struct {
	step    string // "menu", "reprint", "refund-receipt", "refund-amount", "refund-dest"; views: "recent", "recent-one", "report", "eod-wait"
	payment *store.Payment
	minor   int64
	view    viewState // recent payments and reports (recent.go, xreport.go)
}

func (u *ui) openAdmin() {
	u.mode = modeAdmin
	u.admin = adminState{step: "menu"}
	u.pin = pinPrompt{} // a new visit of the menu asks for the PIN again
	u.text = ""
	u.show()
}

func (u *ui) adminScreen() screen.Screen {
	a := u.admin
	if s, ok := u.viewScreen(); ok {
		return s
	}
	switch a.step {
	case "reprint":
		return screen.Screen{Kind: screen.Admin, Title: u.t("screen.reprint"), Lines: []string{u.t("ui.receipt_number"), u.text},
			Hint: u.keyHint(use(KeyOK, "print"), use(KeyCancel, "back"))}
	case "refund-receipt":
		return screen.Screen{Kind: screen.Admin, Title: u.t("screen.refund"), Lines: []string{u.t("ui.receipt_number"), u.text},
			Hint: u.keyHint(use(KeyOK, "next"), use(KeyCancel, "back"))}
	case "refund-amount":
		return u.refundAmountScreen()
	case "refund-dest":
		lines := []string{u.t("ui.scan_refund_address")}
		if u.scanAgain {
			lines = append(lines, u.t("ui.scan_again"))
		}
		return screen.Screen{Kind: screen.Admin, Title: u.t("screen.refund"), Lines: lines, Hint: u.keyHint(use(KeyCancel, "back"))}
	}
	var opts []string
	for _, k := range adminMenu {
		opts = append(opts, u.t(k))
	}
	return screen.Screen{Kind: screen.Admin, Title: u.t("screen.admin"), Options: opts, Hint: u.chooseHint(len(opts), use(KeyCancel, "exit"))}
}

// adminMenu are the admin menu's entries (keys 1-6), as message keys.
var adminMenu = []string{"ui.menu.reprint_last", "ui.menu.reprint", "ui.menu.refund", "ui.menu.end_of_day", "ui.menu.recent", "ui.menu.x_report"}

func (u *ui) adminKey(k Key) {
	a := &u.admin
	e := u.e
	if u.viewKey(k) {
		return
	}
	if k == KeyCancel {
		if a.step == "menu" {
			u.mode = modeIdle
		} else {
			a.step, u.text = "menu", ""
		}
		u.show()
		return
	}
	if a.step == "menu" {
		switch k {
		case '1':
			u.adminResult(e.reprint(0), u.t("ui.reprint_queued"))
		case '2': // the last receipt stays open; older ones need the manager PIN
			u.withPIN(u.t("ui.menu.reprint"), func() { a.step = "reprint" })
		case '3':
			u.withPIN(u.t("ui.menu.refund"), func() { a.step = "refund-receipt" })
		case '4':
			u.withPIN(u.t("ui.menu.end_of_day"), u.confirmEndOfDay)
		case '5':
			u.openRecent()
			return
		case '6':
			u.openXReport()
			return
		}
		u.show()
		return
	}
	switch {
	case k >= '0' && k <= '9':
		if len(u.text) < 12 {
			u.text += string(rune(k))
		}
	case k == KeyClear && u.text != "":
		u.text = u.text[:len(u.text)-1]
	case k == KeyOK:
		n, _ := strconv.ParseUint(u.text, 10, 64)
		u.text = ""
		switch a.step {
		case "reprint":
			u.adminResult(e.reprint(n), u.t("ui.reprint_queued"))
		case "refund-receipt":
			p, err := e.paymentByReceipt(n)
			if err != nil {
				u.adminResult(err, "")
				return
			}
			u.refundPicked(p) // refundui.go
			return
		case "refund-amount":
			u.refundAmount(int64(n))
			return
		}
	}
	u.show()
}

// startRefund asks for the refund of payment p: the refund steps after the receipt
// number (also the recent-payments screen's "Refund").
func (u *ui) startRefund(p *store.Payment) {
	u.withPIN(u.t("ui.menu.refund"), func() { u.refundPicked(p) })
}

// adminScan takes a scanned refund address.
func (u *ui) adminScan(code string) bool {
	if u.mode != modeAdmin || u.admin.step != "refund-dest" {
		return false
	}
	u.refundAddress(code) // shown back for confirmation before anything is sent
	return true
}

// adminResult shows the outcome of an admin verb: ok (in the shop's language), or err.
func (u *ui) adminResult(err error, ok string) {
	u.mode = modeIdle
	if err != nil {
		u.notice(u.t("screen.admin"), u.errorLine(err))
		return
	}
	u.notice(u.t("screen.admin"), ok)
}

// errorLine is err as the cashier reads it: "Error: …", in the shop's language where a
// [phrase] message matches its text.
func (u *ui) errorLine(err error) string { return u.t("ui.error", u.phrase(err.Error())) }
