package cryptogw

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

// fakeGW answers each endpoint with a fixed body and records the queries it got: the
// replies of a live gateway that the sandbox does not produce on its own.
type fakeGW struct {
	mu      sync.Mutex
	replies map[string]string
	queries map[string][]url.Values
}

func (g *fakeGW) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.Trim(r.URL.Path, "/")
	name = name[strings.LastIndexByte(name, '/')+1:]
	g.mu.Lock()
	g.queries[name] = append(g.queries[name], r.URL.Query())
	body, ok := g.replies[name]
	g.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"err":"Payment not found"}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(body))
}

func (g *fakeGW) calls(name string) []url.Values {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.queries[name]
}

func newFakeGW(t *testing.T, replies map[string]string) (*fakeGW, *Provider) {
	t.Helper()
	g := &fakeGW{replies: replies, queries: map[string][]url.Values{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	cfg := DemoConfig(srv.URL + "/v2/")
	cfg.MaxAttempts = 1
	pr, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g, pr
}

// startedPayment is a 20.00 EUR BTC payment whose StartPayment answer was stored.
func startedPayment() (*driver.Payment, *disk) {
	p := newPayment("T1-000043", 2000)
	p.Data[keyPaymentID], p.Data[keyAddress], p.Data[keyAmount] = "pid-43", "tb1qliveaddress000000000000043", "0.0003125"
	p.ProviderID = "pid-43"
	return p, &disk{}
}

// checkBody is a confirmed live CheckPayment reply with the given money fields.
func checkBody(invoice, amount, original, payment string) string {
	b := `{"reference_no":"T1-000043","inserted":"2026-11-29 14:05:00","type":"Sell","invoice_currency":"EUR",` +
		`"invoice_amount":` + invoice + `,"amount":` + amount + `,"min_confirmations":"1","currency":"BTC",` +
		`"confirmed":true,"confirmed_time":"2026-11-29 14:20:31","reason":null,"payment":` + payment + `,` +
		`"sid":null,"confirmations":"2","access_token":null,"access_url":null,"wait_time":null,"status":"Confirmed",` +
		`"print_string":null,"state":"confirmed"`
	if original != "" {
		b += `,"original_amount":` + original
	}
	return b + "}"
}

func TestConfirmedForLessSettlesForTheGatewaysInvoiceAmount(t *testing.T) {
	_, pr := newFakeGW(t, map[string]string{"CheckPayment": string(golden(t, "live_check_underpaid_accepted.json"))})
	p, d := startedPayment()
	u, err := pr.Check(t.Context(), p, d.save)
	if err != nil {
		t.Fatal(err)
	}
	if u.Remote != driver.RemotePaid || u.Paid != money.New(1840, "EUR") || u.Reason != "Underpaid" || u.Attention != "Underpaid" ||
		!strings.Contains(u.Detail, "18.40 EUR") || len(u.Lines) == 0 {
		t.Fatalf("update = %+v, want paid, settled 18.40 EUR and flagged underpaid", u)
	}
	if d.p == nil || d.p.Data[keyReceived] != "0.0002875" {
		t.Errorf("received amount not recorded: %+v", d.p)
	}
}

func TestConfirmedForLessComputedFromPaymentAgainstAmount(t *testing.T) {
	// invoice_amount still says 20.00, but only 0.00025 of 0.0003125 BTC arrived.
	_, pr := newFakeGW(t, map[string]string{"CheckPayment": checkBody(`"20.00"`, `"0.0003125"`, "", `"0.00025"`)})
	p, d := startedPayment()
	u, err := pr.Check(t.Context(), p, d.save)
	if err != nil {
		t.Fatal(err)
	}
	if u.Remote != driver.RemotePaid || u.Paid != money.New(1600, "EUR") || u.Reason != "Underpaid" {
		t.Fatalf("update = %+v, want paid 16.00 EUR flagged underpaid", u)
	}
}

func TestConfirmedAgainstOriginalAmount(t *testing.T) {
	// amount was lowered to what arrived; original_amount keeps what was asked.
	_, pr := newFakeGW(t, map[string]string{"CheckPayment": checkBody(`"20.00"`, `"0.00025"`, `"0.0003125"`, `"0.00025"`)})
	p, d := startedPayment()
	u, err := pr.Check(t.Context(), p, d.save)
	if err != nil || u.Remote != driver.RemotePaid || u.Paid != money.New(1600, "EUR") {
		t.Fatalf("update = %+v, %v, want paid 16.00 EUR", u, err)
	}
}

func TestConfirmedInFullIsPlainPaid(t *testing.T) {
	_, pr := newFakeGW(t, map[string]string{"CheckPayment": checkBody(`"20.00"`, `"0.0003125"`, "", `"0.0003125"`)})
	p, d := startedPayment()
	u, err := pr.Check(t.Context(), p, d.save)
	if err != nil || u.Remote != driver.RemotePaid || u.Paid != (money.Amount{}) || u.Reason != "" || u.Detail != "Confirmed" {
		t.Fatalf("update = %+v, %v, want plain paid", u, err)
	}
}

func TestConfirmedWithNothingReceivedStaysOpen(t *testing.T) {
	for _, payment := range []string{`null`, `"0.0000000"`, `"0"`} {
		_, pr := newFakeGW(t, map[string]string{"CheckPayment": checkBody(`"20.00"`, `"0.0003125"`, "", payment)})
		p, d := startedPayment()
		u, err := pr.Check(t.Context(), p, d.save)
		var se *SettlementError
		if !errors.As(err, &se) || errors.Is(err, driver.ErrUnreachable) || !strings.Contains(driver.AttentionOf(err), "nothing received") {
			t.Fatalf("payment %s: err = %v (attention %q), want a *SettlementError that flags it", payment, err, driver.AttentionOf(err))
		}
		if u.Remote == driver.RemotePaid || !strings.Contains(u.Detail, "check") {
			t.Errorf("payment %s: update = %+v, want open and flagged", payment, u)
		}
	}
}

func TestConfirmedInAnotherCurrencyIsAnError(t *testing.T) {
	body := strings.Replace(checkBody(`"20.00"`, `"0.0003125"`, "", `"0.0003125"`), `"invoice_currency":"EUR"`, `"invoice_currency":"USD"`, 1)
	_, pr := newFakeGW(t, map[string]string{"CheckPayment": body})
	p, d := startedPayment()
	u, err := pr.Check(t.Context(), p, d.save)
	var se *SettlementError
	if !errors.As(err, &se) || u.Remote == driver.RemotePaid {
		t.Fatalf("update = %+v, %v, want open with a *SettlementError", u, err)
	}
}

func TestOverpaymentRecordedAndFlagged(t *testing.T) {
	_, pr := newFakeGW(t, map[string]string{"CheckPayment": checkBody(`"20.00"`, `"0.0003125"`, "", `"0.0004"`)})
	p, d := startedPayment()
	u, err := pr.Check(t.Context(), p, d.save)
	if err != nil {
		t.Fatal(err)
	}
	// 0.0004 of 0.0003125 asked for 20.00 EUR: 25.60 EUR arrived.
	if u.Remote != driver.RemotePaid || u.Paid != money.New(2560, "EUR") || u.Reason != "Overpaid" || !strings.Contains(u.Detail, "0.0004") ||
		!strings.HasPrefix(u.Attention, "Overpaid") {
		t.Fatalf("update = %+v, want paid with what arrived (25.60), flagged overpaid", u)
	}
	if d.p == nil || d.p.Data[keyOverpaid] != "1" || d.p.Data[keyReceived] != "0.0004" {
		t.Errorf("overpayment not recorded: %+v", d.p)
	}
}

func TestAcceptEchoesTheGatewaysPaymentText(t *testing.T) {
	for _, text := range []string{"0.000281", "0.0002810", "0.00028100"} {
		body := strings.Replace(string(golden(t, "live_check_underpayment.json")), `"payment": "0.000281"`, `"payment": "`+text+`"`, 1)
		g, pr := newFakeGW(t, map[string]string{"CheckPayment": body, "AcceptPayment": `{"success": true}`})
		p, d := startedPayment()
		u, err := pr.Accept(t.Context(), p, d.save)
		if err != nil || u.Remote != driver.RemotePaid {
			t.Fatalf("%s: Accept = %+v, %v", text, u, err)
		}
		calls := g.calls("AcceptPayment")
		if len(calls) != 1 || calls[0].Get("accepted_amount") != text {
			t.Errorf("accepted_amount = %q, want the gateway's text %q byte for byte", calls[0].Get("accepted_amount"), text)
		}
		// 20.00 × 0.000281 / 0.0003125 = 17.984 → 17.98
		if u.Paid != money.New(1798, "EUR") || calls[0].Get("accepted_invoice_amount") != "17.98" {
			t.Errorf("%s: paid %v, accepted_invoice_amount %q", text, u.Paid, calls[0].Get("accepted_invoice_amount"))
		}
	}
}

func TestRefundEchoesTheGatewaysOpenAmountText(t *testing.T) {
	for _, text := range []string{"0.0003125", "0.00031250", "0.0003"} {
		body := strings.TrimSuffix(checkBody(`"20.00"`, `"0.0003125"`, "", `"0.0003125"`), "}") +
			`,"refund_amount_opened":"` + text + `"}`
		g, pr := newFakeGW(t, map[string]string{"CheckPayment": body, "RefundPayment": `{"wait_time":"120 minutes"}`})
		p, _ := startedPayment()
		r := &driver.Refund{ID: "r1", Amount: money.New(2000, "EUR"), Destination: "tb1qrefunddestination00000001"}
		ru, err := pr.Refund(t.Context(), p, r, func(*driver.Refund) error { return nil })
		if err != nil || ru.State != driver.RefundSent {
			t.Fatalf("%s: Refund = %+v, %v", text, ru, err)
		}
		calls := g.calls("RefundPayment")
		if len(calls) != 1 || calls[0].Get("refund_amount") != text {
			t.Errorf("refund_amount = %q, want the gateway's text %q byte for byte", calls[0].Get("refund_amount"), text)
		}
	}
}

func TestRecoveryLooksUpByReferenceInOneCall(t *testing.T) {
	live := string(golden(t, "live_transactions.json"))
	for _, shape := range []string{"live", "seed"} {
		reply := live
		if shape == "seed" {
			reply = string(golden(t, "seed_transactions.json"))
			reply = strings.Replace(reply, "0b9a0c1e-45aa-4e1b-9c2d-000000000050", "0b9a0c1e-45aa-4e1b-9c2d-000000000045", 1)
		}
		g, pr := newFakeGW(t, map[string]string{"GetTransactions": reply,
			"CheckPayment": string(golden(t, "live_check_waiting.json"))})
		// StartPayment's answer was lost: only the payment id from GetRate is on disk.
		p := newPayment("T1-000042", 2000)
		p.Data[keyPaymentID] = "0b9a0c1e-45aa-4e1b-9c2d-000000000045"
		d := &disk{}
		u, err := pr.Check(t.Context(), p, d.save)
		if err != nil || u.Remote != driver.RemotePending {
			t.Fatalf("%s: Check = %+v, %v", shape, u, err)
		}
		calls := g.calls("GetTransactions")
		if len(calls) != 1 || calls[0].Get("reference_no") != "T1-000042" {
			t.Fatalf("%s: GetTransactions calls = %v, want one filtered by reference_no", shape, calls)
		}
		if d.p == nil || d.p.Data[keyAddress] == "" {
			t.Errorf("%s: address not recovered: %+v", shape, d.p)
		}
		if a := g.calls("CheckPayment")[0].Get("address"); a != d.p.Data[keyAddress] {
			t.Errorf("%s: CheckPayment address %q, want %q", shape, a, d.p.Data[keyAddress])
		}
	}
}
