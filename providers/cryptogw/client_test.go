package cryptogw

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/cryptogw/sandbox"
)

func TestClientEveryEndpoint(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 1, MinConfirmations: 1}, nil)
	c, ctx := e.pr.Client(), t.Context()

	curs, err := c.GetCurrencyList(ctx)
	if err != nil || len(curs) != 4 || !curs[0].Enabled() || curs[3].Enabled() {
		t.Fatalf("GetCurrencyList = %+v, %v", curs, err)
	}
	inv := money.New(4825, "EUR")
	r1, err := c.GetRate(ctx, RateRequest{Invoice: inv, Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := c.GetRate(ctx, RateRequest{Invoice: inv, Currency: "BTC"})
	if r1.PaymentID == r2.PaymentID || r1.Rate == r2.Rate {
		t.Errorf("two quotes share id or rate: %+v %+v", r1, r2)
	}
	st, err := c.StartPayment(ctx, StartRequest{RateRequest: RateRequest{Invoice: inv, Currency: "BTC"},
		PaymentID: r2.PaymentID, ReferenceNo: "ref-1", WebhookURL: "http://127.0.0.1/hook",
		AutoAcceptUnderpayment: true, AutoAcceptUnderpaymentMin: "0.5"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Amount != r2.Amount || !strings.HasPrefix(st.QR, "bitcoin:"+st.Address+"?amount=") {
		t.Errorf("StartPayment = %+v", st)
	}
	ref := PaymentRef{PaymentID: st.PaymentID, Currency: "BTC", Address: st.Address}
	s, err := c.CheckPayment(ctx, ref)
	if err != nil || s.State != "waiting" || s.ReferenceNo != "ref-1" || s.Payment != 0 {
		t.Fatalf("CheckPayment = %+v, %v", s, err)
	}
	if err := e.sb.Pay(st.Address, sandbox.Amount(st.Amount-100)); err != nil {
		t.Fatal(err)
	}
	s, _ = c.CheckPayment(ctx, ref)
	if s.State != "underpayment" || s.Underpayment == nil || s.Underpayment.MissingAmount != 100 {
		t.Fatalf("after short payment: %+v", s)
	}
	if _, err := c.AcceptPayment(ctx, ref, (s.Payment + 1).String(), inv); err == nil {
		t.Error("AcceptPayment with a wrong amount succeeded")
	}
	if ok, err := c.AcceptPayment(ctx, ref, s.PaymentText, money.New(4800, "EUR")); err != nil || !ok {
		t.Fatalf("AcceptPayment = %v, %v", ok, err)
	}
	s, _ = c.CheckPayment(ctx, ref)
	if !s.Confirmed || s.RefundAmountOpened != st.Amount-100 {
		t.Fatalf("after accept: %+v", s)
	}
	wait, err := c.RefundPayment(ctx, st.PaymentID, "BTC", "sb1qrefunddestination0001", s.RefundAmountOpenedText)
	if err != nil || wait != "2 minutes" {
		t.Fatalf("RefundPayment = %q, %v", wait, err)
	}
	txs, err := c.GetTransactions(ctx, 0, 10)
	if err != nil || len(txs) != 1 || txs[0].PaymentID != st.PaymentID || txs[0].Refund != s.RefundAmountOpened || txs[0].RefundStatus != "Pending" || !txs[0].Paid() {
		t.Fatalf("GetTransactions = %+v, %v", txs, err)
	}
	// A second payment, cancelled while waiting.
	r3, _ := c.GetRate(ctx, RateRequest{Invoice: inv, Currency: "ETH"})
	st3, err := c.StartPayment(ctx, StartRequest{RateRequest: RateRequest{Invoice: inv, Currency: "ETH"}, PaymentID: r3.PaymentID})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.CancelPayment(ctx, PaymentRef{st3.PaymentID, "ETH", st3.Address}, "other", "test"); err != nil || !ok {
		t.Fatalf("CancelPayment = %v, %v", ok, err)
	}
	txs, _ = c.GetTransactions(ctx, 0, 1)
	if len(txs) != 1 || txs[0].PaymentID != st3.PaymentID || txs[0].Cancelled.IsZero() {
		t.Fatalf("newest transaction = %+v", txs)
	}
}

func TestAuthFailure(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, func(c *Config) { c.APIKey = "wrong" })
	_, err := e.pr.Client().GetCurrencyList(t.Context())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 401 || !strings.Contains(ae.Err, "Invalid API key") {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, driver.ErrUnreachable) {
		t.Error("401 counted as unreachable")
	}
	if driver.CashierMessage(err) != "Gateway login failed" {
		t.Errorf("cashier message %q", driver.CashierMessage(err))
	}
	if n := e.sb.Requests("GetCurrencyList"); n != 1 {
		t.Errorf("401 retried: %d requests", n)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Error("API key in error text")
	}
}

func TestErrBodies(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	c, ctx := e.pr.Client(), t.Context()
	_, err := c.GetRate(ctx, RateRequest{Invoice: money.New(100, "EUR")}) // no currency
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Err != "Missing parameter currency" {
		t.Errorf("missing param: %v", err)
	}
	_, err = c.CheckPayment(ctx, PaymentRef{PaymentID: "nope", Currency: "BTC"})
	if !errors.As(err, &ae) || ae.Status != 404 || driver.CashierMessage(err) != "Payment not found" {
		t.Errorf("unknown payment: %v", err)
	}
	// 200 with an err element is an error too.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"err":"Currency not available"}`)
	}))
	defer srv.Close()
	c2, _ := NewClient(DemoConfig(srv.URL), nil)
	_, err = c2.GetCurrencyList(ctx)
	if !errors.As(err, &ae) || ae.Err != "Currency not available" {
		t.Errorf("200+err: %v", err)
	}
}

func TestTimeoutIsUnreachable(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, func(c *Config) { c.Timeout = 50 * time.Millisecond; c.MaxAttempts = 1 })
	e.sb.InjectFault(sandbox.FaultDelay, 1, 10*time.Second)
	_, err := e.pr.Client().GetCurrencyList(t.Context())
	if !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("err = %v", err)
	}
}

func TestRetriesOnlyForReads(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, func(c *Config) { c.MaxAttempts = 3 })
	c, ctx := e.pr.Client(), t.Context()
	inv := money.New(1000, "EUR")

	e.sb.InjectFault(sandbox.Fault500, 2, 0)
	r, err := c.GetRate(ctx, RateRequest{Invoice: inv, Currency: "BTC"})
	if err != nil || e.sb.Requests("GetRate") != 3 {
		t.Fatalf("GetRate after 2×500: %v, %d requests", err, e.sb.Requests("GetRate"))
	}
	e.sb.InjectFault(sandbox.FaultGarbage, 3, 0)
	if _, err := c.GetCurrencyList(ctx); !errors.Is(err, driver.ErrUnreachable) || e.sb.Requests("GetCurrencyList") != 3 {
		t.Fatalf("GetCurrencyList after 3×garbage: %v, %d requests", err, e.sb.Requests("GetCurrencyList"))
	}
	var de *DecodeError
	e.sb.InjectFault(sandbox.FaultGarbage, 1, 0)
	_, err = c.StartPayment(ctx, StartRequest{RateRequest: RateRequest{Invoice: inv, Currency: "BTC"}, PaymentID: r.PaymentID})
	if !errors.Is(err, driver.ErrUnreachable) || !errors.As(err, &de) || e.sb.Requests("StartPayment") != 1 {
		t.Fatalf("StartPayment garbage: %v, %d requests", err, e.sb.Requests("StartPayment"))
	}
	ref := PaymentRef{PaymentID: r.PaymentID, Currency: "BTC"}
	for _, w := range []struct {
		name string
		call func() error
	}{
		{"CancelPayment", func() error { _, err := c.CancelPayment(ctx, ref, "", ""); return err }},
		{"AcceptPayment", func() error { _, err := c.AcceptPayment(ctx, ref, "0.00000001", inv); return err }},
		{"RefundPayment", func() error {
			_, err := c.RefundPayment(ctx, r.PaymentID, "BTC", "sb1qdestination000", "0.00000001")
			return err
		}},
	} {
		e.sb.InjectFault(sandbox.Fault500, 1, 0)
		if err := w.call(); !errors.Is(err, driver.ErrUnreachable) {
			t.Errorf("%s: %v", w.name, err)
		}
		if n := e.sb.Requests(w.name); n != 1 {
			t.Errorf("%s sent %d times", w.name, n)
		}
	}
	e.sb.InjectFault(sandbox.Fault500, 5, 0) // drain: further tests must not see them
}

func TestBadAmountNamesField(t *testing.T) {
	body := `{"invoice_amount":"48.25","invoice_currency":"EUR","currency":"BTC","amount":"0.007017261","payment":"0","state":"waiting"}`
	_, err := DecodeStatus([]byte(body))
	var de *DecodeError
	if !errors.As(err, &de) || de.Field != "amount" || !strings.Contains(err.Error(), `"amount"`) {
		t.Fatalf("err = %v", err)
	}
	// Numbers instead of strings are read exactly, never through a float.
	s, err := DecodeStatus([]byte(`{"invoice_amount":48.25,"invoice_currency":"EUR","currency":"BTC","amount":0.00701726,"payment":0.1,"confirmations":"2","confirmed":"true"}`))
	if err != nil || s.Amount != 701726 || s.Payment != 10000000 || s.Invoice.Minor != 4825 || s.Confirmations != 2 || !s.Confirmed {
		t.Fatalf("numbers: %+v, %v", s, err)
	}
	// The documented examples decode.
	tx, err := DecodeTransactions([]byte(`[{"status":"Confirmed","pos_id":"POS1","payment_id":"123e4567-e89b-12d3-a456-426614174000","invoice_currency":"EUR","invoice_amount":"100","currency":"BTC","amount":"0.01729569","address":"38wGZr2xLgbHWsYrsNCER1C9mZkNHwyd69","type":"Sell","payment":"0.01729569","refund":"","refund_amount_opened":"","refund_status":null,"inserted":"2020-03-27 11:00:00","confirmed":null,"cancelled":"2020-03-27 11:00:00","double_spending_alert":null,"accept_zero_confirmations":false,"item_name":"","access_token":"XXXX"}]`))
	if err != nil || len(tx) != 1 || tx[0].Invoice.Minor != 10000 || tx[0].Cancelled.IsZero() || tx[0].Payment != 1729569 {
		t.Fatalf("transactions: %+v, %v", tx, err)
	}
}

func TestBodyLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "[")
		for range maxBody / 10 {
			io.WriteString(w, `{"a":1234},`)
		}
	}))
	defer srv.Close()
	cfg := DemoConfig(srv.URL)
	cfg.MaxAttempts = 1
	c, _ := NewClient(cfg, nil)
	_, err := c.GetTransactions(t.Context(), 0, 10)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigErrorsNameField(t *testing.T) {
	good := DemoConfig("http://127.0.0.1:1/v2/")
	for field, mod := range map[string]func(*Config){
		`cryptogw.base_url: "ftp://x"`:                func(c *Config) { c.BaseURL = "ftp://x" },
		"cryptogw.username":                           func(c *Config) { c.Username = "" },
		"cryptogw.api_key":                            func(c *Config) { c.APIKey = "" },
		`cryptogw.pos_id: "POS 1"`:                    func(c *Config) { c.PosID = "POS 1" },
		`cryptogw.currencies[1]: "B/TC"`:              func(c *Config) { c.Currencies = []string{"BTC", "B/TC"} },
		`cryptogw.auto_accept_underpayment_min: "1%"`: func(c *Config) { c.AutoAcceptUnderpaymentMin = "1%" },
		`cryptogw.webhook_url: "nope"`:                func(c *Config) { c.WebhookURL = "nope" },
		"cryptogw.timeout: -1ns":                      func(c *Config) { c.Timeout = -1 },
		"MaxAttempts: 99":                             func(c *Config) { c.MaxAttempts = 99 },
	} {
		c := good
		mod(&c)
		if _, err := New(c, nil); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: err = %v", field, err)
		}
	}
	if _, err := New(good, nil); err != nil {
		t.Errorf("good config: %v", err)
	}
}

// An error says "cryptogw:" once, whichever layer it passed ("cryptogw: currencies:
// cryptogw: GetCurrencyList: …" was what a person read).
func TestErrorsSayCryptogwOnce(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, func(c *Config) { c.MaxAttempts = 2 })
	e.sb.InjectFault(sandbox.Fault500, 2, 0)
	p := &driver.Payment{ID: "T1-000001-abcdef", Amount: money.New(1000, "EUR")}
	_, err := e.pr.NextStep(t.Context(), p)
	t.Log(err)
	if err == nil || strings.Count(err.Error(), "cryptogw:") != 1 {
		t.Errorf("currencies unreachable: %v; want cryptogw: said once", err)
	}
}
