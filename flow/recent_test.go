package flow

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// seed writes finished payments straight to the store, oldest first, before the engine
// runs: payment i (from 1) is i×1.00 EUR, receipt i, created i minutes after base.
func seed(t *testing.T, st *store.Store, base time.Time, ps ...*store.Payment) {
	t.Helper()
	err := st.Update(func(tx *store.Tx) error {
		for i, p := range ps {
			n := i + 1
			if p.ID == "" {
				p.ID = fmt.Sprintf("T1-%06d", n)
			}
			if p.Provider == "" {
				p.Provider = "script"
			}
			if p.Amount.Currency == "" {
				p.Amount = money.New(int64(n)*100, "EUR")
			}
			if p.State == "" {
				p.State = store.StatePaid
			}
			p.CreatedAt = base.Add(time.Duration(n) * time.Minute)
			p.UpdatedAt = p.CreatedAt
			if p.State == store.StatePaid {
				p.SettledAt = p.CreatedAt
			}
			p.Receipt = uint64(n)
			if err := tx.PutPayment(p); err != nil {
				return err
			}
		}
		return tx.SetCounter("receipt", uint64(len(ps)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// shown is the screen on the terminal now.
func (r *rig) shown() screen.Screen {
	var s screen.Screen
	if err := r.e.do(context.Background(), func() { s = r.e.ui.screen() }); err != nil {
		r.t.Fatal(err)
	}
	return s
}

// press delivers keys and returns the screen they lead to.
func (r *rig) press(keys ...Key) screen.Screen {
	for _, k := range keys {
		r.e.Key(k)
	}
	return r.shown()
}

// amountsOf lists the amounts of a recent-payments screen (every first line of two).
func amountsOf(s screen.Screen) string {
	var out []string
	for i := 0; i+1 < len(s.Lines); i += 2 {
		f := strings.Fields(s.Lines[i])
		out = append(out, f[len(f)-1])
	}
	return strings.Join(out, " ")
}

// statesOf lists the provider and states of a recent-payments screen (every second line).
func statesOf(s screen.Screen) []string {
	var out []string
	for i := 1; i < len(s.Lines); i += 2 {
		out = append(out, s.Lines[i])
	}
	return out
}

// The cashier pages through the payments newest first, four to a screen, and back.
func TestRecentPaymentsPages(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	ps := make([]*store.Payment, 10)
	for i := range ps {
		ps[i] = &store.Payment{}
	}
	seed(t, r.st, time.Now().Add(-time.Hour), ps...)
	r.run()

	s := r.press(KeyMenu, '5')
	if s.Title != "Recent payments" || amountsOf(s) != "€10.00 €9.00 €8.00" || !strings.HasPrefix(s.Lines[0], "1: ") {
		t.Fatalf("first page = %q %q", s.Title, s.Lines)
	}
	if !strings.Contains(s.Hint, "1-3 = choose") || !strings.Contains(s.Hint, "Down = older") || strings.Contains(s.Hint, "newer") {
		t.Fatalf("first page hint = %q", s.Hint)
	}
	if s = r.press(KeyDown); amountsOf(s) != "€7.00 €6.00 €5.00" {
		t.Fatalf("second page = %q", s.Lines)
	}
	if s = r.press(KeyDown); amountsOf(s) != "€4.00 €3.00 €2.00" {
		t.Fatalf("third page = %q", s.Lines)
	}
	s = r.press(KeyDown)
	if amountsOf(s) != "€1.00" || strings.Contains(s.Hint, "older") || !strings.Contains(s.Hint, "Up = newer") || !strings.Contains(s.Hint, "1-1 = choose") {
		t.Fatalf("last page = %q, hint %q", s.Lines, s.Hint)
	}
	if s = r.press(KeyDown); amountsOf(s) != "€1.00" {
		t.Fatalf("Down on the last page moved to %q", s.Lines)
	}
	if s = r.press(KeyUp, KeyUp, KeyUp); amountsOf(s) != "€10.00 €9.00 €8.00" {
		t.Fatalf("back to the newest = %q", s.Lines)
	}
	// Pick the second: its screen, then a reprint of its receipt.
	s = r.press('2')
	if s.Title != "Receipt 0009" || s.Amount != "€9.00" || s.Options[0] != "Reprint receipt" || s.Options[1] != "Refund" {
		t.Fatalf("payment screen = %+v", s)
	}
	r.press('1')
	r.waitFor("the reprint", func() bool {
		for _, rc := range r.prn.printed() {
			if rc.Number == 9 && rc.Kind == receipt.Sale {
				return true
			}
		}
		return false
	})
}

// The list says what the cashier must know about each payment.
func TestRecentPaymentsShowStates(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	seed(t, r.st, time.Now().Add(-time.Hour),
		&store.Payment{Provider: "acountpay"},
		&store.Payment{PaidLate: true},
		&store.Payment{Refunded: 100},
		&store.Payment{Refunded: 400}, // all of 4.00
		&store.Payment{Unconfirmed: true, Source: "ecr"},
		&store.Payment{Attention: "Overpaid"},
		&store.Payment{State: store.StateFailed},
		&store.Payment{State: store.StateCancelled},
	)
	r.run()
	var lines []string
	s := r.press(KeyMenu, '5')
	lines = append(lines, statesOf(s)...)
	s = r.press(KeyDown)
	lines = append(lines, statesOf(s)...)
	s = r.press(KeyDown)
	lines = append(lines, statesOf(s)...)
	want := []string{"script, cancelled", "script, failed", "script, paid, flagged", "script, paid, not confirmed to register", "script, paid, refunded",
		"script, paid, refunded part", "script, paid after cancel", "AcountPay, paid"}
	if len(lines) != len(want) {
		t.Fatalf("lines = %q", lines)
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d = %q, want %q", i, lines[i], w)
		}
	}
	if s = r.press(KeyUp, KeyUp, '3'); !strings.Contains(strings.Join(s.Lines, "|"), "Needs attention: Overpaid") {
		t.Errorf("flagged payment's screen = %q", s.Lines)
	}
}

// "Refund" on a picked payment hands over to the refund steps of the admin menu.
func TestRecentPaymentRefundHandsOver(t *testing.T) {
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { return refundingScript{s} })
	seed(t, r.st, time.Now().Add(-time.Hour), &store.Payment{}, &store.Payment{})
	r.run()
	s := r.press(KeyMenu, '5', '2', '2')
	if s.Title != "Refund" || s.Amount != "€1.00" {
		t.Fatalf("refund step = %+v", s)
	}
	r.keys("50\n")
	if s := r.shown(); s.Title != "Confirm refund" {
		t.Fatalf("no confirmation before the refund: %+v", s)
	}
	r.keys("\n")
	r.waitFor("the refund", func() bool {
		var rs []*store.Refund
		r.st.View(func(tx *store.Tx) (err error) { rs, err = tx.RefundsOf("T1-000001"); return })
		return len(rs) == 1 && rs[0].Amount == money.New(50, "EUR")
	})
}

// An empty store says so; Cancel goes back to the menu.
func TestRecentPaymentsEmpty(t *testing.T) {
	r := newRig(t, "", testConfig(), nil).run()
	s := r.press(KeyMenu, '5')
	if len(s.Lines) != 1 || s.Lines[0] != "No payments yet" || strings.Contains(s.Hint, "choose") {
		t.Fatalf("empty list = %+v", s)
	}
	if s = r.press(KeyCancel); s.Title != "Admin" {
		t.Fatalf("Cancel led to %q", s.Title)
	}
}

// names is a keypad with only the keys it lists.
type names map[Key]string

func (n names) KeyName(k Key) string { return n[k] }

// The hints name the configured keypad's keys and leave out keys it does not have.
func TestHintsNameTheKeypadsKeys(t *testing.T) {
	cfg := testConfig()
	cfg.Keys = names{KeyOK: "Enter", KeyCancel: "/", KeyClear: "*", KeyMenu: "+"}
	r := newRig(t, "", cfg, nil)
	seed(t, r.st, time.Now().Add(-time.Hour), &store.Payment{}, &store.Payment{}, &store.Payment{}, &store.Payment{})
	r.run()
	if s := r.press('1'); s.Hint != "Enter = pay   [/] = cancel" {
		t.Errorf("amount hint = %q", s.Hint)
	}
	r.press(KeyCancel)
	// No Up or Down key: OK shows older payments, Clear newer ones.
	if s := r.press(KeyMenu, '5'); s.Hint != "1-3 = choose   Enter = older   [/] = back" {
		t.Errorf("recent hint = %q", s.Hint)
	}
	if s := r.press(KeyOK); amountsOf(s) != "€1.00" || s.Hint != "1-1 = choose   [*] = newer   [/] = back" {
		t.Errorf("second page = %q, hint %q", s.Lines, s.Hint)
	}
	if s := r.press(KeyClear); amountsOf(s) != "€4.00 €3.00 €2.00" {
		t.Errorf("Clear did not page back: %q", s.Lines)
	}
}

// The X report's totals are the sums of the store's payments and refunds since the last
// end of day; it is printed as an X report, and it does not close the day.
func TestXReportTotalsEqualTheStore(t *testing.T) {
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { return refundingScript{s} })
	seed(t, r.st, time.Now().Add(-time.Hour), &store.Payment{}, &store.Payment{}, &store.Payment{Provider: "acountpay"},
		&store.Payment{State: store.StateFailed}, &store.Payment{Amount: money.New(700, "DKK")})
	r.run()
	rf, err := r.e.Refund(context.Background(), "T1-000002", money.New(50, "EUR"), "")
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor("refund accepted", func() bool {
		var got *store.Refund
		r.st.View(func(tx *store.Tx) (err error) { got, err = tx.Refund(rf.ID); return })
		return !got.AcceptedAt.IsZero()
	})
	// What the store holds, summed here.
	sums := map[string]int64{}
	counts := map[string]int{}
	r.st.View(func(tx *store.Tx) error {
		tx.Payments(func(p *store.Payment) bool {
			if p.State == store.StatePaid {
				sums[p.Paid().Currency] += p.Paid().Minor
				counts[p.Paid().Currency]++
			}
			return true
		})
		return tx.Refunds(func(rf *store.Refund) bool {
			sums[rf.Amount.Currency] -= rf.Amount.Minor
			counts[rf.Amount.Currency]++
			return true
		})
	})
	s := r.press(KeyMenu, '6')
	if !strings.HasPrefix(s.Title, "X report") {
		t.Fatalf("X report screen = %+v", s)
	}
	var all []string
	for range 3 {
		all = append(all, s.Lines[3:]...)
		if !strings.Contains(s.Title, "/") {
			break
		}
		s = r.press(KeyOK)
	}
	text := strings.Join(all, "|")
	for cur, sum := range sums {
		want := fmt.Sprintf("Total ×%d: %s", counts[cur], r.e.money(money.New(sum, cur)))
		if !strings.Contains(text, want) {
			t.Errorf("X report lacks %q: %q", want, text)
		}
	}
	for _, want := range []string{"script paid ×2: €3.00", "script refund ×1: -€0.50", "AcountPay paid ×1: €3.00", "script paid ×1: DKK 7.00"} {
		if !strings.Contains(text, want) {
			t.Errorf("X report lacks %q: %q", want, text)
		}
	}
	r.waitFor("the printed X report", func() bool {
		for _, rc := range r.prn.printed() {
			if rc.Kind == receipt.XReport {
				return true
			}
		}
		return false
	})
	// Not closed: end of day counts the same payments.
	rep, err := r.e.EndOfDay(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tot := range rep.Totals {
		if tot.Total != sums[tot.Currency] || tot.Count != counts[tot.Currency] {
			t.Errorf("end of day after the X report: %+v, want %d over %d", tot, sums[tot.Currency], counts[tot.Currency])
		}
	}
}

// The first end of day starts at the first payment, not at year 1, and shows its totals
// on the screen.
func TestEndOfDayFromFirstPaymentAndOnScreen(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	base := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	seed(t, r.st, base, &store.Payment{}, &store.Payment{})
	r.run()
	r.press(KeyMenu, '4', KeyOK) // OK confirms
	var s screen.Screen
	r.waitFor("the end of day on screen", func() bool { s = r.shown(); return s.Title == "End of day" && s.Kind == screen.Admin })
	if !strings.Contains(strings.Join(s.Lines, "|"), "Total ×2: €3.00") {
		t.Errorf("end of day screen = %q", s.Lines)
	}
	first := base.Add(time.Minute)
	if s.Lines[0] != r.e.cfg.Locale.Time(first)+" –" {
		t.Errorf("end of day screen starts %q, want the first payment's %s", s.Lines[0], r.e.cfg.Locale.Time(first))
	}
	var rc receipt.Receipt
	r.waitFor("the printed report", func() bool {
		for _, x := range r.prn.printed() {
			if x.Kind == receipt.EndOfDay {
				rc = x
				return true
			}
		}
		return false
	})
	from := ""
	for _, l := range rc.Lines {
		if l.Text == r.e.t("receipt.from") {
			from = l.Right
		}
	}
	if from != r.e.cfg.Locale.Time(first) {
		t.Errorf("report prints from %q, want %q (the first payment)", from, r.e.cfg.Locale.Time(first))
	}
	// The next day starts where this one ended.
	rep, err := r.e.XReport(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.From.Before(first) || len(rep.Totals) != 0 {
		t.Errorf("after the end of day the X report covers %v.. with %+v", rep.From, rep.Totals)
	}
}

// With nothing ever paid the report's period is empty, not from year 1.
func TestFirstReportWithoutPayments(t *testing.T) {
	r := newRig(t, "", testConfig(), nil).run()
	rep, err := r.e.XReport(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.From.Year() < 2000 || !rep.From.Equal(rep.To) {
		t.Fatalf("empty first report from %v to %v", rep.From, rep.To)
	}
}

// fromRecorder is a reconciling provider that records the period it is asked about.
type fromRecorder struct {
	*script
	froms chan time.Time
}

func (s fromRecorder) ReconcileDay(ctx context.Context, from, to time.Time, local []driver.Record) ([]string, error) {
	s.froms <- from
	return nil, nil
}

// The report's period starts at the first payment, but the providers are still asked
// about everything before the first end of day: a payment a gateway has and the store
// missed may be older than the first one settled here.
func TestFirstEndOfDayReconcilesEverything(t *testing.T) {
	froms := make(chan time.Time, 2)
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { return fromRecorder{s, froms} })
	seed(t, r.st, time.Now().Add(-time.Hour), &store.Payment{})
	r.run()
	rep, err := r.e.EndOfDay(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if from := <-froms; !from.IsZero() || rep.From.IsZero() {
		t.Errorf("first end of day asked the provider from %v, reported from %v; want zero and the first payment", from, rep.From)
	}
	if _, err := r.e.EndOfDay(context.Background()); err != nil {
		t.Fatal(err)
	}
	if from := <-froms; !from.Equal(rep.To) {
		t.Errorf("second end of day asked the provider from %v, want the first's end %v", from, rep.To)
	}
}

// gatedReconciler holds end of day at the provider until the test lets it go.
type gatedReconciler struct {
	*script
	gate chan struct{}
}

func (s gatedReconciler) ReconcileDay(ctx context.Context, from, to time.Time, local []driver.Record) ([]string, error) {
	<-s.gate
	return nil, nil
}

// While the providers are asked the screen says so; Cancel leaves it, and the report
// still prints without taking the screen back.
func TestEndOfDayWaitCanBeLeft(t *testing.T) {
	gate := make(chan struct{})
	r := newRig(t, "", testConfig(), func(s *script) driver.Provider { return gatedReconciler{s, gate} })
	seed(t, r.st, time.Now().Add(-time.Hour), &store.Payment{})
	r.run()
	if s := r.press(KeyMenu, '4', KeyOK); s.Title != "End of day" || s.Kind != screen.Wait || s.Hint != "X = back" {
		t.Fatalf("end of day under way = %+v", s)
	}
	if s := r.press('1'); s.Kind != screen.Wait {
		t.Fatalf("a digit left the wait: %+v", s)
	}
	if s := r.press(KeyCancel); s.Title != "Admin" {
		t.Fatalf("Cancel led to %+v", s)
	}
	close(gate)
	r.waitFor("the report printed", func() bool {
		for _, rc := range r.prn.printed() {
			if rc.Kind == receipt.EndOfDay {
				return true
			}
		}
		return false
	})
	if s := r.shown(); s.Title != "Admin" {
		t.Errorf("the finished end of day took the screen: %+v", s)
	}
}
