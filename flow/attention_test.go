package flow

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// receiptText joins a receipt's lines for searching.
func receiptText(r receipt.Receipt) string {
	var b strings.Builder
	for _, l := range r.Lines {
		b.WriteString(l.Text + " " + l.Right + "\n")
	}
	return b.String()
}

// statusAttention returns the ids status lists as needing attention.
func statusAttention(t *testing.T, e *Engine) []string {
	t.Helper()
	s, err := e.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range s.Attention {
		ids = append(ids, p.ID+":"+p.Attention)
	}
	return ids
}

// A provider confirms a payment for less than asked (a crypto gateway that settled an
// underpayment itself): it is paid for the lower amount, flagged, shown and printed so.
func TestConfirmedForLessIsSettledAndFlagged(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemotePaid, Paid: money.New(900, "EUR"), Attention: "Underpaid"}, nil
	}
	r.run()
	r.keys("1000\n")
	r.waitFor("paid", r.state(store.StatePaid))
	p := r.payment()
	if p.Paid() != money.New(900, "EUR") || p.Attention != "Underpaid" {
		t.Fatalf("payment = %+v, want settled 9.00 and flagged Underpaid", p)
	}
	r.waitFor("result", func() bool { _, ok := r.disp.lastOf(screen.Paid); return ok })
	if s, _ := r.disp.lastOf(screen.Paid); s.Title != "Paid less than asked" || !strings.Contains(strings.Join(s.Lines, "|"), "Needs attention: Underpaid") {
		t.Fatalf("result screen = %+v", s)
	}
	r.waitFor("receipt", func() bool { return len(r.prn.printed()) == 1 })
	rc := r.prn.printed()[0]
	want := "€9.00 of €10.00" // English locale: what arrived, of what was asked
	if rc.Kind != receipt.Underpaid || !strings.Contains(receiptText(rc), "PAID LESS THAN ASKED") || !strings.Contains(receiptText(rc), want) {
		t.Fatalf("receipt %s:\n%s\nwant underpaid with %q", rc.Kind, receiptText(rc), want)
	}
	if got := statusAttention(t, r.e); len(got) != 1 || got[0] != p.ID+":Underpaid" {
		t.Fatalf("status attention = %v", got)
	}
}

// More than asked arrived: what arrived is recorded and the payment flagged, even when
// the provider says nothing more than the amount.
func TestOverpaidIsRecordedAndFlagged(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemotePaid, Paid: money.New(1200, "EUR")}, nil
	}
	r.run()
	r.keys("1000\n")
	r.waitFor("paid", r.state(store.StatePaid))
	p := r.payment()
	if p.Paid() != money.New(1200, "EUR") || p.Attention != "Overpaid" {
		t.Fatalf("payment = %+v, want settled 12.00 and flagged Overpaid", p)
	}
	r.waitFor("receipt", func() bool { return len(r.prn.printed()) == 1 })
	text := receiptText(r.prn.printed()[0])
	if !strings.Contains(text, "PAID MORE THAN ASKED") || !strings.Contains(text, "NEEDS ATTENTION: Overpaid") {
		t.Fatalf("receipt:\n%s", text)
	}
}

// A check answered with an error that needs a person keeps the payment open and flagged
// (not offline, not failed); a later clean answer settles it and clears the flag.
func TestAttentionErrorKeepsPaymentOpenAndFlagged(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, &driver.AttentionError{Reason: "Amount differs at provider",
			Err: fmt.Errorf("amount 999 of 1000: %w", driver.ErrUnreachable)}
	}
	r.run()
	r.keys("1000\n")
	r.waitFor("flagged", func() bool { p := r.payment(); return p != nil && p.Attention == "Amount differs at provider" })
	r.waitFor("shown", func() bool {
		return strings.Contains(strings.Join(r.disp.last().Lines, "|"), "Needs attention: Amount differs at provider")
	})
	if p := r.payment(); p.State != store.StateAwaiting {
		t.Fatalf("flagged payment is %s, want awaiting", p.State)
	}
	if s := r.disp.last(); !s.Status.Online {
		t.Fatalf("a provider that answers is shown offline: %+v", s)
	}
	if got := statusAttention(t, r.e); len(got) != 1 {
		t.Fatalf("status attention = %v, want the open payment", got)
	}
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	})
	r.waitFor("paid", r.state(store.StatePaid))
	if p := r.payment(); p.Attention != "" {
		t.Fatalf("attention %q kept after a clean paid answer", p.Attention)
	}
}

// A create answered with an error that needs a person (Accrue holds another amount) is
// kept open and flagged, not abandoned and cancelled as if the provider were offline.
func TestAttentionAtCreateKeepsPaymentFlagged(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	mismatch := func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, &driver.AttentionError{Reason: "Amount differs at provider", Err: driver.ErrUnreachable}
	}
	r.prov.start, r.prov.checkFn = mismatch, mismatch
	r.run()
	r.keys("1000\n")
	r.waitFor("flagged and awaiting", func() bool {
		p := r.payment()
		return p != nil && p.State == store.StateAwaiting && p.Attention == "Amount differs at provider"
	})
	r.waitFor("checked again", func() bool { return r.prov.count("check") >= 2 })
	if p := r.payment(); p.Abandon != store.AbandonNone || r.prov.count("cancel") != 0 {
		t.Fatalf("flagged payment abandoned (%q) or cancelled (%d cancels)", p.Abandon, r.prov.count("cancel"))
	}
	if s := r.disp.last(); s.Kind == screen.Offline || !strings.Contains(strings.Join(s.Lines, "|"), "Needs attention") {
		t.Fatalf("screen = %+v, want the payment with its attention line", s)
	}
}

// A fault at create (outcome unknown) is followed by a check; the provider has the
// payment, so it goes on as if the create had answered: no cancel, no second create.
func TestCreateFaultIsAskedThenContinues(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	r.prov.start = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{}, fmt.Errorf("read: connection reset: %w", driver.ErrUnreachable)
	}
	r.prov.checkFn = func(p *driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemotePending, ProviderID: "X" + p.ID, QR: "https://pay.example/" + p.ID}, nil
	}
	r.run()
	r.keys("1000\n")
	r.waitFor("QR", func() bool { return r.disp.last().Kind == screen.QR })
	if p := r.payment(); p.State != store.StateAwaiting || p.Checking || p.Abandon != store.AbandonNone {
		t.Fatalf("payment = %+v, want awaiting, no longer checking, not abandoned", p)
	}
	r.prov.set(func() {
		r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemotePaid}, nil }
	})
	r.waitFor("paid", r.state(store.StatePaid))
	if n, c := r.prov.count("start"), r.prov.count("cancel"); n != 1 || c != 0 {
		t.Fatalf("%d creates and %d cancels, want 1 and 0", n, c)
	}
}

// The check after a faulty create shows the provider never got it: the same create is
// sent again (same reference) and the sale goes on.
func TestCreateNeverReceivedIsSentAgain(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	var mu sync.Mutex
	var ids []string
	r.prov.start = func(p *driver.Payment) (driver.Update, error) {
		mu.Lock()
		defer mu.Unlock()
		ids = append(ids, p.ID)
		if len(ids) == 1 {
			return driver.Update{}, fmt.Errorf("503: %w", driver.ErrUnreachable)
		}
		return driver.Update{Remote: driver.RemotePending, QR: "q"}, nil
	}
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) { return driver.Update{Remote: driver.RemoteNotFound}, nil }
	r.run()
	r.keys("1000\n")
	r.waitFor("QR", func() bool { return r.disp.last().Kind == screen.QR })
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 2 || ids[0] != ids[1] {
		t.Fatalf("creates %v, want the same reference twice", ids)
	}
	if p := r.payment(); p.State != store.StateAwaiting {
		t.Fatalf("payment %s, want awaiting", p.State)
	}
}
