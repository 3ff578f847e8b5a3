package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/cryptogw"
	"github.com/terminald/terminald/providers/cryptogw/sandbox"
)

type tsb struct {
	t   *testing.T
	sb  *sandbox.Sandbox
	srv *httptest.Server
	now time.Time
}

func newSB(t *testing.T, shape sandbox.Shape) *tsb {
	t.Helper()
	s := &tsb{t: t, now: time.Date(2026, 11, 29, 14, 0, 0, 0, time.UTC)}
	s.sb = sandbox.New(sandbox.Options{Seed: 3, Shape: shape, Now: func() time.Time { return s.now }})
	s.srv = httptest.NewServer(s.sb)
	t.Cleanup(s.srv.Close)
	return s
}

// do sends one API request: GET with the query, or POST with a form or multipart body.
func (s *tsb) do(method, endpoint string, q url.Values, body string, auth bool) (*http.Response, map[string]any, []byte) {
	s.t.Helper()
	u := s.srv.URL + "/v2/" + endpoint + "/"
	var rd io.Reader
	ctype := ""
	switch body {
	case "query":
		u += "?" + q.Encode()
	case "form":
		rd, ctype = strings.NewReader(q.Encode()), "application/x-www-form-urlencoded"
	case "multipart":
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, vs := range q {
			for _, v := range vs {
				mw.WriteField(k, v)
			}
		}
		mw.Close()
		rd, ctype = &b, mw.FormDataContentType()
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth {
		req.SetBasicAuth(sandbox.DemoUsername, sandbox.DemoAPIKey)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(raw, &m)
	return resp, m, raw
}

func (s *tsb) get(endpoint string, q url.Values) map[string]any {
	s.t.Helper()
	resp, m, raw := s.do(http.MethodGet, endpoint, q, "query", true)
	if resp.StatusCode != 200 {
		s.t.Fatalf("%s: %d %s", endpoint, resp.StatusCode, raw)
	}
	return m
}

func rateQuery() url.Values {
	return url.Values{"pos_id": {"POS1"}, "invoice_currency": {"EUR"}, "invoice_amount": {"20.00"}, "currency": {"BTC"}}
}

// start gets a rate and starts it with the given transport.
func (s *tsb) start(body string) map[string]any {
	s.t.Helper()
	r := s.get("GetRate", rateQuery())
	q := rateQuery()
	q.Set("payment_id", r["payment_id"].(string))
	q.Set("reference_no", "T1-"+body)
	q.Set("accept_zero_confirmations", "false")
	method := http.MethodPost
	if body == "query" {
		method = http.MethodGet
	}
	resp, m, raw := s.do(method, "StartPayment", q, body, true)
	if resp.StatusCode != 200 {
		s.t.Fatalf("StartPayment by %s: %d %s", body, resp.StatusCode, raw)
	}
	return m
}

// kind names a JSON value's type as the official client reads it.
func kind(v any, present bool) string {
	switch v.(type) {
	case nil:
		if !present {
			return "absent"
		}
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	}
	return "object"
}

func wantKinds(t *testing.T, what string, m map[string]any, want map[string]string) {
	t.Helper()
	for k, w := range want {
		v, ok := m[k]
		if got := kind(v, ok); !strings.Contains(w, got) {
			t.Errorf("%s: %s is %s, want %s", what, k, got, w)
		}
	}
}

func TestUnauthorizedCarriesTheChallenge(t *testing.T) {
	s := newSB(t, "")
	resp, m, _ := s.do(http.MethodGet, "GetRate", rateQuery(), "query", false)
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Basic realm="`) || m["err"] == nil {
		t.Fatalf("no credentials: %d, WWW-Authenticate %q, body %v", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), m)
	}
}

func TestStartPaymentByQueryFormAndMultipart(t *testing.T) {
	s := newSB(t, "")
	for _, body := range []string{"query", "form", "multipart"} {
		m := s.start(body)
		wantKinds(t, "StartPayment "+body, m, map[string]string{
			"payment_id": "string", "address": "string", "qr": "string", "qr_alt": "string", "qr_img": "string",
			"qr_alt_img": "string", "access_token": "string", "access_url": "string", "stats_token": "string",
			"notices": "array", "print_string": "string null", "min_confirmations": "number string",
			"network_processing_fee": "string", "wait_time": "string", "invoice_currency": "string", "sid": "null string",
		})
	}
	if n := s.sb.Requests("StartPayment"); n != 3 {
		t.Errorf("StartPayment requests = %d", n)
	}
}

func TestPosIDOptionalWhereTheClientOmitsIt(t *testing.T) {
	s := newSB(t, "")
	resp, _, raw := s.do(http.MethodGet, "GetCurrencyList", url.Values{"invoice_currency": {"EUR"}}, "query", true)
	if resp.StatusCode != 200 || !bytes.HasPrefix(raw, []byte("[")) {
		t.Fatalf("GetCurrencyList without pos_id: %d %s", resp.StatusCode, raw)
	}
	resp, m, raw := s.do(http.MethodGet, "GetTransactions", url.Values{"offset": {"0"}, "limit": {"10"}}, "query", true)
	if resp.StatusCode != 200 || m["invoices"] == nil {
		t.Fatalf("GetTransactions without pos_id: %d %s", resp.StatusCode, raw)
	}
	q := url.Values{"payment_id": {"x"}, "currency": {"BTC"}}
	if resp, _, _ := s.do(http.MethodGet, "CheckPayment", q, "query", true); resp.StatusCode != 400 {
		t.Errorf("CheckPayment without pos_id: %d, want 400", resp.StatusCode)
	}
}

func TestLiveRepliesCarryTheOfficialClientsFields(t *testing.T) {
	s := newSB(t, "")
	st := s.start("multipart")
	ref := url.Values{"pos_id": {"POS1"}, "currency": {"BTC"}, "payment_id": {st["payment_id"].(string)}, "address": {st["address"].(string)}}
	c := s.get("CheckPayment", ref)
	wantKinds(t, "CheckPayment", c, map[string]string{
		"reference_no": "string null", "inserted": "string", "invoice_amount": "string null", "type": "string",
		"invoice_currency": "string", "amount": "string", "original_amount": "null string",
		"min_confirmations": "string", "accept_zero_confirmations": "string", "require_kyt_for_confirmation": "string",
		"currency": "string", "confirmed": "bool", "confirmed_time": "null", "reason": "null", "payment": "null",
		"sid": "null", "confirmations": "string", "access_token": "string", "access_url": "string",
		"wait_time": "string null", "status": "string", "print_string": "string", "state": "string",
		"cancelled": "bool", "cancelled_time": "null",
	})
	// The customer underpays: the underpayment object carries the official client's six fields.
	if err := s.sb.Pay(st["address"].(string), sandbox.Amount(10_000)); err != nil {
		t.Fatal(err)
	}
	c = s.get("CheckPayment", ref)
	u, _ := c["underpayment"].(map[string]any)
	wantKinds(t, "underpayment", u, map[string]string{"address": "string", "missing_amount": "string", "qr": "string",
		"qr_alt": "string", "qr_img": "string", "qr_alt_img": "string"})
	if p := c["payment"].(string); p != "0.0001000" {
		t.Errorf("payment = %q, want the live 7-decimal text 0.0001000", p)
	}
	x := s.get("CancelPayment", ref)
	wantKinds(t, "CancelPayment", x, map[string]string{"cancelled": "bool", "status": "string"})
	tx := s.get("GetTransactions", url.Values{"reference_no": {"T1-multipart"}})
	inv, _ := tx["invoices"].([]any)
	if len(inv) != 1 {
		t.Fatalf("GetTransactions by reference_no: %v", tx)
	}
	wantKinds(t, "invoice", inv[0].(map[string]any), map[string]string{
		"state": "string", "status": "string", "status_loc": "string", "pos_id": "string", "invoice_currency": "string",
		"invoice_amount": "string", "currency": "string", "amount": "string", "amount_exchange": "string",
		"network_processing_fee": "string", "address": "string", "type": "string", "type_loc": "string",
		"payment": "string null", "refund": "string", "refund_amount_opened": "string", "refund_status": "null string",
		"inserted": "string", "confirmed": "null string", "cancelled": "null string", "accept_zero_confirmations": "bool",
		"access_token": "string", "sid": "null", "payment_id": "string", "invoice_date": "null",
	})
	cur, _, raw := s.do(http.MethodGet, "GetCurrencyList", url.Values{}, "query", true)
	var list []map[string]any
	if cur.StatusCode != 200 || json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		t.Fatalf("GetCurrencyList: %s", raw)
	}
	wantKinds(t, "currency", list[0], map[string]string{"currency": "string", "description": "string", "status": "string",
		"zero_confirmations_enabled": "string", "currency_fiat": "string", "icon_url": "string", "sell_status": "string",
		"buy_status": "string", "rate": "string null"})
}

func TestSeedShape(t *testing.T) {
	s := newSB(t, sandbox.ShapeSeed)
	st := s.start("query")
	ref := url.Values{"pos_id": {"POS1"}, "currency": {"BTC"}, "payment_id": {st["payment_id"].(string)}}
	c := s.get("CheckPayment", ref)
	wantKinds(t, "seed CheckPayment", c, map[string]string{"confirmations": "number", "min_confirmations": "number",
		"payment": "string", "inserted": "absent", "access_token": "absent"})
	if p := c["payment"].(string); p != "0.00000000" {
		t.Errorf("seed payment = %q", p)
	}
	_, _, raw := s.do(http.MethodGet, "GetTransactions", url.Values{"pos_id": {"POS1"}}, "query", true)
	if !bytes.HasPrefix(raw, []byte("[")) {
		t.Errorf("seed GetTransactions is not a bare array: %s", raw)
	}
}

func TestPingDeliversAWebhookTestTheTerminalAnswers(t *testing.T) {
	s := newSB(t, "")
	var hints int
	hook := httptest.NewServer(cryptogw.NewWebhookHandler(func(string) { hints++ }, nil))
	defer hook.Close()
	m := s.get("Ping", url.Values{"webhook_url": {hook.URL + "/webhooks/cryptogw"}})
	wr, _ := m["webhook_response"].(map[string]any)
	if m["result"] != "pong" || wr == nil || wr["http_code"] != float64(200) || hints != 0 {
		t.Fatalf("Ping = %v (hints %d), want pong and the probe answered 200", m, hints)
	}
	if m := s.get("Ping", nil); m["result"] != "pong" {
		t.Errorf("Ping without webhook = %v", m)
	}
}

func TestDemoCredentialsAgree(t *testing.T) {
	if sandbox.DemoUsername != cryptogw.DemoUsername || sandbox.DemoAPIKey != cryptogw.DemoAPIKey || sandbox.DemoPosID != cryptogw.DemoPosID {
		t.Fatal("sandbox and cryptogw demo credentials differ")
	}
}

// The client pays through both shapes, including an accepted underpayment whose
// amount the live shape compares as text.
func TestClientAgainstBothShapes(t *testing.T) {
	for _, shape := range []sandbox.Shape{sandbox.ShapeLive, sandbox.ShapeSeed} {
		t.Run(string(shape), func(t *testing.T) {
			now := time.Date(2026, 11, 29, 14, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			sb := sandbox.New(sandbox.Options{Seed: 5, Shape: shape, Now: clock, Underpayment: 1_000})
			srv := httptest.NewServer(sb)
			defer srv.Close()
			cfg := cryptogw.DemoConfig(srv.URL + "/v2/")
			cfg.Currencies, cfg.Now = []string{"BTC"}, clock
			pr, err := cryptogw.New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			p := &driver.Payment{ID: "T1-" + string(shape), Amount: money.New(2000, "EUR"), Data: map[string]string{cryptogw.KeyQuote: "OK"}}
			save := func(*driver.Payment) error { return nil }
			u, err := pr.Start(ctx, p, save)
			if err != nil {
				t.Fatal(err)
			}
			p.ProviderID = u.ProviderID
			if err := sb.PayURI(u.QR); err != nil {
				t.Fatal(err)
			}
			if u, err = pr.Check(ctx, p, save); err != nil || u.Remote != driver.RemoteUnderpaid {
				t.Fatalf("Check = %+v, %v", u, err)
			}
			if u, err = pr.Accept(ctx, p, save); err != nil || u.Remote != driver.RemotePaid || u.Paid.Minor >= 2000 {
				t.Fatalf("Accept = %+v, %v", u, err)
			}
			now = now.Add(time.Minute)
			if u, err = pr.Check(ctx, p, save); err != nil || u.Remote != driver.RemotePaid || u.Paid.Minor >= 2000 || u.Reason != "Underpaid" {
				t.Fatalf("Check after accept = %+v, %v", u, err)
			}
			txs, err := pr.Client().TransactionsByReference(ctx, p.ID)
			if err != nil || len(txs) == 0 || txs[0].PaymentID != p.ProviderID {
				t.Fatalf("TransactionsByReference = %+v, %v", txs, err)
			}
		})
	}
}

// On the live shape the gateway compares AcceptPayment's amount as text: the same
// number written with 8 decimals is refused.
func TestLiveAcceptComparesText(t *testing.T) {
	s := newSB(t, "")
	st := s.start("form")
	if err := s.sb.Pay(st["address"].(string), sandbox.Amount(10_000)); err != nil {
		t.Fatal(err)
	}
	q := url.Values{"pos_id": {"POS1"}, "currency": {"BTC"}, "payment_id": {st["payment_id"].(string)},
		"accepted_amount": {"0.00010000"}, "accepted_invoice_amount": {"1.00"}}
	if resp, _, _ := s.do(http.MethodGet, "AcceptPayment", q, "query", true); resp.StatusCode != 400 {
		t.Fatalf("re-formatted accepted_amount: %d, want 400", resp.StatusCode)
	}
	q.Set("accepted_amount", "0.0001000")
	if resp, m, raw := s.do(http.MethodGet, "AcceptPayment", q, "query", true); resp.StatusCode != 200 || m["success"] != true {
		t.Fatalf("the gateway's own text: %d %s", resp.StatusCode, raw)
	}
}

// While the chain is held a paid payment gathers confirmations up to one short of the
// minimum and does not confirm, however long it waits; released, it confirms.
func TestHoldKeepsConfirmationsShortUntilReleased(t *testing.T) {
	s := newSB(t, "")
	control := func(path string) {
		t.Helper()
		resp, err := s.srv.Client().Post(s.srv.URL+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	control("/sandbox/hold")
	st := s.start("multipart")
	ref := url.Values{"pos_id": {"POS1"}, "currency": {"BTC"}, "payment_id": {st["payment_id"].(string)}, "address": {st["address"].(string)}}
	if err := s.sb.Pay(st["address"].(string), 0); err != nil {
		t.Fatal(err)
	}
	s.now = s.now.Add(time.Hour) // hundreds of blocks
	if c := s.get("CheckPayment", ref); c["confirmed"] != false || c["confirmations"] != "1" {
		t.Fatalf("held: confirmed %v with %v confirmations, want unconfirmed at 1 (of 2)", c["confirmed"], c["confirmations"])
	}
	control("/sandbox/hold?on=false")
	if c := s.get("CheckPayment", ref); c["confirmed"] != true {
		t.Fatalf("released: confirmed %v (%v confirmations), want confirmed", c["confirmed"], c["confirmations"])
	}
}
