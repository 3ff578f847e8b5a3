package flow

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// Recent payments on the terminal (admin menu): the newest payments, recentPage to a
// screen, read page by page through the store's cursor (store.Query.Before), newest
// first: memory is one page and the cursors of the pages before it, never the history.
// Each line has the time, the amount, the provider's brand and the state; a digit picks
// one, whose screen offers a reprint of its receipt or a refund (the admin menu's own
// verbs: the reprint and the refund steps).

// recentPage is how many payments one screen lists (the keys 1-3 pick one): two lines
// each, which a 320×240 screen still shows whole.
const recentPage = 3

// maxBack bounds the cursors kept to page back to newer payments; past it the oldest are
// dropped and paging back ends at the newest page.
const maxBack = 256

// viewState is the state of the admin menu's read-only views: recent payments and reports.
type viewState struct {
	// Recent payments.
	page   []*store.Payment // the page on screen, newest first
	before store.Cursor     // the page's cursor (0: the newest page)
	next   store.Cursor     // the next (older) page's cursor; 0: this is the last
	back   []store.Cursor   // the cursors of the newer pages, for paging back
	sel    *store.Payment   // the payment picked
	err    string           // the page could not be read

	// A report on screen.
	rep         Report
	report      []string // its lines
	reportTitle string
	reportPage  int
}

// openRecent shows the newest page of payments.
func (u *ui) openRecent() {
	u.mode = modeAdmin
	u.admin = adminState{step: "recent"}
	u.loadRecent(0)
	u.show()
}

// loadRecent reads the page of payments older than cursor before.
func (u *ui) loadRecent(before store.Cursor) {
	v := &u.admin.view
	page, err := u.e.st.List(context.Background(), store.Query{Before: before, Limit: recentPage})
	v.err = ""
	if err != nil {
		u.e.log.Warn("recent payments: read page", "err", err)
		v.err = driver.CashierMessage(err)
		if !errors.Is(err, store.ErrMigrating) {
			page = store.Page{} // after an upgrade the newest moved so far are still shown
		}
	}
	v.page, v.before, v.next = page.Payments, before, page.Next
	if len(page.Payments) < recentPage {
		v.next = 0 // a short page is the last
	}
}

// viewScreen is the screen of the admin menu's views (recent payments, a report, the end
// of day under way); false for the other steps.
func (u *ui) viewScreen() (screen.Screen, bool) {
	a := u.admin
	switch a.step {
	case "recent":
		return u.recentListScreen(), true
	case "recent-one":
		return u.recentOneScreen(), true
	case "report":
		return u.reportScreen(), true
	case "eod-wait":
		return screen.Screen{Kind: screen.Wait, Title: u.t("screen.end_of_day"), Lines: []string{u.t("ui.closing_day"), u.t("ui.report_prints")},
			Hint: u.keyHint(use(KeyCancel, "back"))}, true
	}
	return screen.Screen{}, false
}

func (u *ui) recentListScreen() screen.Screen {
	v := u.admin.view
	s := screen.Screen{Kind: screen.Admin, Title: u.t("screen.recent")}
	for i, p := range v.page {
		s.Lines = append(s.Lines, u.recentLines(i+1, p)...)
	}
	switch {
	case v.err != "":
		s.Lines = []string{u.t("ui.cannot_read"), u.phrase(v.err)}
	case len(v.page) == 0 && len(v.back) == 0:
		s.Lines = []string{u.t("ui.no_payments")}
	case len(v.page) == 0:
		s.Lines = []string{u.t("ui.no_older")}
	}
	var uses []keyUse
	if v.next != 0 {
		uses = append(uses, use(u.olderKey(), "older"))
	}
	if len(v.back) > 0 {
		uses = append(uses, use(u.newerKey(), "newer"))
	}
	uses = append(uses, use(KeyCancel, "back"))
	s.Hint = u.keyHint(uses...)
	if len(v.page) > 0 {
		s.Hint = u.chooseHint(len(v.page), uses...)
	}
	return s
}

// olderKey is the key that shows older payments: Down where the keypad has it, else OK.
func (u *ui) olderKey() Key {
	if u.hasKey(KeyDown) {
		return KeyDown
	}
	return KeyOK
}

// newerKey is the key that shows newer payments: Up where the keypad has it, else Clear.
func (u *ui) newerKey() Key {
	if u.hasKey(KeyUp) {
		return KeyUp
	}
	return KeyClear
}

// recentLines are payment p, number n of the page, as the list shows it: two lines,
// "1: 14:05 12,50 €" and "AcountPay, paid" (a small screen has no room for one).
func (u *ui) recentLines(n int, p *store.Payment) []string {
	return []string{strconv.Itoa(n) + ": " + u.shortTime(p.CreatedAt) + " " + u.money(p.Paid()),
		u.brand(p.Provider) + ", " + strings.Join(u.stateWords(p), ", ")}
}

// shortTime is t as the list shows it: the time of day for today, else the day and the
// time, in the shop's zone and date order.
func (u *ui) shortTime(t time.Time) string {
	loc := u.e.cfg.Locale
	lt, now := t.In(loc.Location()), u.e.now().In(loc.Location())
	if y, m, d := lt.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return lt.Format("15:04")
	}
	// The locale's date layout without the year: "02.01", "02-01", "01-02".
	layout, _, _ := strings.Cut(loc.T("format.datetime"), " ")
	layout = strings.Trim(strings.Replace(layout, "2006", "", 1), "-./ ")
	return lt.Format(layout + " 15:04")
}

// paymentStates are what the cashier needs to know about p, most important first: paid,
// paid after cancel, failed, expired, cancelled or open; refunded (all or part); not
// confirmed to the register; flagged for a person. Each is a ui.state message's name
// (stateWords shows them).
func paymentStates(p *store.Payment) []string {
	var out []string
	switch {
	case p.State == store.StatePaid && p.PaidLate:
		out = append(out, "paid-late")
	case p.State == store.StatePaid:
		out = append(out, "paid")
	case !p.State.Final():
		out = append(out, "open")
	default:
		out = append(out, string(p.State))
	}
	if p.Refunded > 0 {
		if p.Refunded >= p.Paid().Minor {
			out = append(out, "refunded")
		} else {
			out = append(out, "refunded-part")
		}
	}
	if p.Unconfirmed {
		out = append(out, "unconfirmed")
	}
	if p.Attention != "" {
		out = append(out, "flagged")
	}
	return out
}

func (u *ui) recentOneScreen() screen.Screen {
	p := u.admin.view.sel
	title := u.t("screen.payment")
	if p.Receipt != 0 {
		title = u.t("screen.receipt", fmtReceipt(p.Receipt))
	}
	lines := []string{u.e.cfg.Locale.Time(p.CreatedAt), strings.Join(u.stateWords(p), ", ")}
	if p.Refunded > 0 {
		lines = append(lines, u.t("ui.refunded_of", u.money(money.New(p.Refunded, p.Amount.Currency)), u.money(p.Paid())))
	}
	if p.Attention != "" {
		lines = append(lines, u.t("ui.needs_attention", u.phrase(p.Attention)))
	}
	return screen.Screen{Kind: screen.Admin, Title: title, Amount: u.money(p.Paid()), Provider: u.brand(p.Provider),
		Lines: lines, Options: []string{u.t("ui.option.reprint"), u.t("ui.option.refund")}, Hint: u.chooseHint(2, use(KeyCancel, "back"))}
}

// viewKey handles a key on the admin menu's views (recent payments, a report, the end of
// day under way); false for the other steps.
func (u *ui) viewKey(k Key) bool {
	a := &u.admin
	v := &a.view
	switch a.step {
	case "recent":
		switch {
		case k == KeyCancel:
			u.openAdmin()
			return true
		case k >= '1' && int(k-'1') < len(v.page):
			u.pickRecent(v.page[k-'1'])
		case (k == KeyDown || k == KeyOK) && v.next != 0:
			v.back = append(v.back, v.before)
			if len(v.back) > maxBack {
				v.back = v.back[1:]
			}
			u.loadRecent(v.next)
		case (k == KeyUp || k == KeyClear) && len(v.back) > 0:
			before := v.back[len(v.back)-1]
			v.back = v.back[:len(v.back)-1]
			u.loadRecent(before)
		}
	case "recent-one":
		switch k {
		case KeyCancel:
			a.step = "recent"
			u.loadRecent(v.before)
		case '1': // an older receipt: the manager PIN, as the menu's reprint by number
			sel := v.sel
			u.withPIN(u.t("ui.menu.reprint"), func() { u.adminResult(u.e.reprintPayment(sel), u.t("ui.reprint_queued")) })
			if u.mode == modePIN {
				u.show()
			}
			return true
		case '2':
			u.startRefund(v.sel)
		}
	case "report":
		u.reportKey(k)
		return true
	case "eod-wait":
		if k == KeyCancel { // stop waiting: the day is closed and the report prints all the same
			u.openAdmin()
		}
		return true
	default:
		return false
	}
	u.show()
	return true
}

// pickRecent shows payment p as it is on disk now.
func (u *ui) pickRecent(p *store.Payment) {
	fresh, err := u.e.Payment(context.Background(), p.ID)
	if err == nil {
		p = fresh
	}
	u.admin.view.sel = p
	u.admin.step = "recent-one"
}

// reprintPayment queues a reprint of p's receipt through the reprint verb. A receipt
// number is reused after 9999: when the number now belongs to a newer receipt, p's own
// receipt is queued by its id.
func (e *Engine) reprintPayment(p *store.Payment) error {
	if p.Receipt == 0 {
		return fmt.Errorf("flow: payment %s has no receipt yet", p.ID)
	}
	var kind, id string
	e.st.View(func(tx *store.Tx) (err error) { kind, id, err = tx.ByReceipt(p.Receipt); return })
	if kind == "p" && id == p.ID {
		return e.reprint(p.Receipt)
	}
	return e.enqueue(newJob(jobReprint, p.ID, "", e.now()))
}
