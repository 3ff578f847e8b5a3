package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// The X report is the end-of-day report of the day so far: the same rows (payments settled
// and refunds accepted since the last end of day, by provider, result and currency) and
// totals per currency, without reconciling with the providers and without closing the
// day. It is shown on the terminal (admin menu) and printed as its own document
// (receipt.XReport, print job kind jobXReport), and served to `terminald x-report`.

// errStopWalk ends a store walk early; never returned to a caller.
var errStopWalk = errors.New("flow: stop walk")

// lastEndOfDay is when the last end of day closed (meta "eod"); false before the first.
func lastEndOfDay(tx *store.Tx) (time.Time, bool) {
	var t time.Time
	v := tx.Meta("eod")
	return t, v != nil && t.UnmarshalText(v) == nil
}

// periodStart is where the current day's report starts: the last end of day; before the
// first end of day, the first payment settled (reports count payments by settle time), so
// the first report does not claim to start at year 1. With nothing settled it is to: an
// empty period.
func periodStart(tx *store.Tx, to time.Time) time.Time {
	if t, ok := lastEndOfDay(tx); ok {
		return t
	}
	first := to
	tx.Settled(time.Time{}, func(p *store.Payment) error {
		if p.SettledAt.Before(first) {
			first = p.SettledAt
		}
		return errStopWalk // the settle index is oldest first: the first one is it
	})
	return first
}

// XReport returns the interim totals since the last end of day (see Report; Differences
// stay empty: providers are not asked) without closing the day. With print it also queues
// the report on paper; the job is on disk when XReport returns.
func (e *Engine) XReport(ctx context.Context, print bool) (Report, error) {
	var rep Report
	var err error
	if derr := e.do(ctx, func() { rep, err = e.xReport(print) }); derr != nil {
		return rep, derr
	}
	return rep, err
}

// xReport builds the X report on the engine's goroutine and, with print, queues it.
func (e *Engine) xReport(print bool) (Report, error) {
	rep := Report{To: e.now()}
	b := reportBuilder{rep: &rep, rows: map[[3]string]*ReportRow{}}
	err := e.st.View(func(tx *store.Tx) error {
		rep.From = periodStart(tx, rep.To)
		return b.collect(tx)
	})
	if err != nil {
		return rep, fmt.Errorf("flow: x report: %w", err)
	}
	b.finish()
	if print {
		data, _ := json.Marshal(rep)
		if err := e.enqueue(newJob(jobXReport, "x", string(data), e.now())); err != nil {
			return rep, fmt.Errorf("flow: x report: %w", err)
		}
	}
	e.log.Info("x report", "from", rep.From, "to", rep.To, "rows", len(rep.Rows), "printed", print)
	return rep, nil
}

// reportLines are a report's rows and totals as screen lines, in the shop's language,
// money format and brand names: "AcountPay paid ×2: 24,00 €", then "Total ×3: 19,00 €"
// per currency.
func (u *ui) reportLines(rep Report) []string {
	var out []string
	for _, row := range rep.Rows {
		result := row.Result
		if k := "receipt.row." + row.Result; u.e.cfg.Locale.Has(k) {
			result = u.t(k)
		}
		out = append(out, u.t("ui.report_row", u.brand(row.Provider), result, row.Count, u.money(money.New(row.Total, row.Currency))))
	}
	for _, tot := range rep.Totals {
		out = append(out, u.t("ui.report_total", tot.Count, u.money(money.New(tot.Total, tot.Currency))))
	}
	if len(out) == 0 {
		out = []string{u.t("ui.no_payments_since", u.e.cfg.Locale.Time(rep.From))}
	}
	return out
}

// reportPage is how many report lines one screen shows.
const reportPage = 4

// reportScreen shows page (from 0) of a report's lines under title, with the period.
func (u *ui) reportScreen() screen.Screen {
	a := u.admin
	lines := a.view.report
	pages := max(1, (len(lines)+reportPage-1)/reportPage)
	page := min(a.view.reportPage, pages-1)
	body := []string{u.e.cfg.Locale.Time(a.view.rep.From) + " –", u.e.cfg.Locale.Time(a.view.rep.To), ""}
	body = append(body, lines[page*reportPage:min(len(lines), (page+1)*reportPage)]...)
	title := a.view.reportTitle
	hint := u.keyHint(use(KeyCancel, "back"))
	if pages > 1 {
		title = u.t("screen.page", title, page+1, pages)
		hint = u.keyHint(use(KeyOK, "more"), use(KeyCancel, "back"))
	}
	return screen.Screen{Kind: screen.Admin, Title: title, Lines: body, Hint: hint}
}

// showReport puts rep on screen under title (admin mode, step "report").
func (u *ui) showReport(title string, rep Report) {
	u.mode = modeAdmin
	u.admin = adminState{step: "report", view: viewState{rep: rep, report: u.reportLines(rep), reportTitle: title}}
	u.armPrompt()
	u.show()
}

// reportKey pages through the report on screen: OK or Down shows the next page (after
// the last, the first again), Up the one before; Cancel goes back to the menu.
func (u *ui) reportKey(k Key) {
	a := &u.admin
	pages := max(1, (len(a.view.report)+reportPage-1)/reportPage)
	switch k {
	case KeyOK, KeyDown:
		a.view.reportPage = (a.view.reportPage + 1) % pages
	case KeyUp, KeyClear:
		a.view.reportPage = (a.view.reportPage + pages - 1) % pages
	case KeyCancel:
		u.openAdmin()
		return
	}
	u.show()
}

// openXReport shows the X report and prints it.
func (u *ui) openXReport() {
	rep, err := u.e.xReport(true)
	if err != nil {
		u.adminResult(err, "")
		return
	}
	u.showReport(u.t("screen.x_report"), rep)
}

// openEndOfDay closes the day: reconciling asks providers over the network, so it runs off
// this goroutine; the screen says so until the report is back, then shows its totals.
func (u *ui) openEndOfDay() {
	e := u.e
	u.admin = adminState{step: "eod-wait"}
	u.mode = modeAdmin
	e.spawn(func() {
		rep, err := e.EndOfDay(e.ctx)
		e.post(e.ctx, func() {
			if u.mode != modeAdmin || u.admin.step != "eod-wait" {
				if err != nil {
					u.notice(u.t("screen.end_of_day"), u.errorLine(err))
				}
				return // the cashier moved on; the report prints
			}
			if err != nil {
				u.adminResult(err, "")
				return
			}
			u.showReport(u.t("screen.end_of_day"), rep)
		})
	})
	u.show()
}

// reportDocument is the paper form of a report job: an end of day or an X report.
func (e *Engine) reportDocument(j *store.Job, kind receipt.Kind) (receipt.Receipt, error) {
	var rep Report
	if err := json.Unmarshal([]byte(j.Arg), &rep); err != nil {
		return receipt.Receipt{}, fmt.Errorf("report job: %w", err)
	}
	return e.reportReceipt(rep, kind), nil
}
