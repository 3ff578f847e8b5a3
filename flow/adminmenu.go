package flow

import (
	"strconv"

	"github.com/terminald/terminald/money"
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
		return screen.Screen{Kind: screen.Admin, Title: "Reprint receipt", Lines: []string{"Receipt number:", u.text}, Hint: u.keyHint(use(KeyOK, "print"), use(KeyCancel, "back"))}
	case "refund-receipt":
		return screen.Screen{Kind: screen.Admin, Title: "Refund", Lines: []string{"Receipt number:", u.text}, Hint: u.keyHint(use(KeyOK, "next"), use(KeyCancel, "back"))}
	case "refund-amount":
		return screen.Screen{Kind: screen.Admin, Title: "Refund", Amount: a.payment.Amount.String(),
			Lines: []string{"Amount (empty = all):", u.text}, Hint: u.keyHint(use(KeyOK, "refund"), use(KeyCancel, "back"))}
	case "refund-dest":
		lines := []string{"Scan the refund address"}
		if u.scanAgain {
			lines = append(lines, ScanAgain)
		}
		return screen.Screen{Kind: screen.Admin, Title: "Refund", Lines: lines, Hint: u.keyHint(use(KeyCancel, "back"))}
	}
	return screen.Screen{Kind: screen.Admin, Title: "Admin", Options: []string{"Reprint last receipt", "Reprint receipt no.", "Refund", "End of day", "Recent payments", "X report"}, Hint: "1-6 = choose   " + u.keyHint(use(KeyCancel, "exit"))}
}

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
			u.adminResult(e.reprint(0), "Reprint queued")
		case '2':
			a.step = "reprint"
		case '3':
			a.step = "refund-receipt"
		case '4':
			u.openEndOfDay()
			return
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
			u.adminResult(e.reprint(n), "Reprint queued")
		case "refund-receipt":
			p, err := e.paymentByReceipt(n)
			if err != nil {
				u.adminResult(err, "")
				return
			}
			u.startRefund(p)
		case "refund-amount":
			a.minor = int64(n)
			if e.refundNeedsDestination(a.payment.Provider) {
				a.step = "refund-dest"
				break
			}
			_, err := e.newRefund(a.payment, a.minor, "")
			u.adminResult(err, "Refund of "+money.New(a.minor, a.payment.Amount.Currency).String()+" queued")
			return
		}
	}
	u.show()
}

// startRefund asks for the refund of payment p: the refund steps after the receipt
// number (also the recent-payments screen's "Refund").
func (u *ui) startRefund(p *store.Payment) {
	u.admin.payment, u.admin.step = p, "refund-amount"
	u.text = ""
}

// adminScan takes a scanned refund address.
func (u *ui) adminScan(code string) bool {
	if u.mode != modeAdmin || u.admin.step != "refund-dest" {
		return false
	}
	_, err := u.e.newRefund(u.admin.payment, u.admin.minor, code)
	u.adminResult(err, "Refund queued")
	return true
}

func (u *ui) adminResult(err error, ok string) {
	u.mode = modeIdle
	if err != nil {
		u.notice("Admin", "Error: "+err.Error())
		return
	}
	u.notice("Admin", ok)
}
