package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/accrue"
	"github.com/terminald/terminald/providers/accrue/sandbox"
)

// api talks to a sandbox over HTTP the way any integrator would.
type api struct {
	t   *testing.T
	url string
	sb  *sandbox.Sandbox
}

func newAPI(t *testing.T, opts sandbox.Options) *api {
	t.Helper()
	sb := sandbox.New(opts)
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { srv.Close(); sb.Close() })
	return &api{t: t, url: srv.URL, sb: sb}
}

// do sends body (a JSON document, "" for none) and returns the status and decoded answer.
func (a *api) do(method, path, body string) (int, map[string]any) {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, _ := http.NewRequest(method, a.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+sandbox.DemoClientSecret)
	req.Header.Set("Client-ID", sandbox.DemoClientID)
	req.Header.Set("Accept", accrue.MediaType)
	if body != "" {
		req.Header.Set("Content-Type", accrue.MediaType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			a.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, m
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func list(v any) []any { l, _ := v.([]any); return l }

func attrs(res any) map[string]any { return obj(obj(res)["attributes"]) }

// isInt reports whether v is a JSON number without a fraction.
func isInt(v any) bool { f, ok := v.(float64); return ok && f == float64(int64(f)) }

func (a *api) createIntent(code string, amount int) map[string]any {
	a.t.Helper()
	st, m := a.do("POST", "/api/v1/payment-intents", `{"data":{"type":"CreatePaymentIntent","attributes":{"amount":`+
		itoa(amount)+`,"lookUpId":"`+code+`","reference":"r-`+code+`"}}}`)
	if st != 201 {
		a.t.Fatalf("create intent: %d %v", st, m)
	}
	return obj(m["data"])
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func authorizeBody(amount int) string {
	return `{"data":{"type":"AuthorizePaymentIntent","attributes":{"amount":` + itoa(amount) + `,"reference":"ord-1","channel":"till-1"}}}`
}

// TestLiveAuthorize: the live shape refuses an authorize without amount, answers 201
// with the intent as data and the Payment (with expiresAt) in included, and answers a
// repeated authorize with the same payment.
func TestLiveAuthorize(t *testing.T) {
	a := newAPI(t, sandbox.Options{})
	pi := a.createIntent(sandbox.DemoRichCode, 1500)
	path := "/api/v1/payment-intents/" + pi["id"].(string) + "/authorize"

	for _, body := range []string{"", `{"data":{"type":"AuthorizePaymentIntent","attributes":{"reference":"x"}}}`} {
		st, m := a.do("POST", path, body)
		if st != 400 || !isInt(m["status"]) || m["status"].(float64) != 400 {
			t.Fatalf("authorize with body %q: %d %v; want 400 with a bare error object", body, st, m)
		}
	}
	if a.sb.Stats().Payments != 0 {
		t.Fatal("a refused authorize created a payment")
	}

	st, m := a.do("POST", path, authorizeBody(1500))
	if st != 201 {
		t.Fatalf("authorize: %d %v", st, m)
	}
	data := obj(m["data"])
	if data["type"] != "PaymentIntent" || attrs(data)["status"] != "PromotedToPayment" {
		t.Fatalf("data = %v", data)
	}
	inc := list(m["included"])
	if len(inc) != 1 || obj(inc[0])["type"] != "Payment" {
		t.Fatalf("included = %v", inc)
	}
	pay := attrs(inc[0])
	if pay["status"] != "Created" || pay["amount"] != 1500.0 || pay["expiresAt"] == nil || pay["channel"] != "till-1" {
		t.Fatalf("payment attributes = %v", pay)
	}
	payID := obj(inc[0])["id"]

	st, m = a.do("POST", path, authorizeBody(1500))
	if st != 201 || obj(list(m["included"])[0])["id"] != payID {
		t.Fatalf("repeated authorize: %d %v; want the existing payment %v", st, m, payID)
	}
	if n := a.sb.Stats().Payments; n != 1 {
		t.Fatalf("%d payments after a repeated authorize, want 1", n)
	}
	if got := a.sb.Balance(sandbox.DemoRichWalletID); got != 100_000_000-1500 {
		t.Fatalf("balance %d: reserved more than once", got)
	}
}

// TestLiveCreateIntent: the create answer carries balance; unknown wallet codes are 404
// WalletIdentifierNotFound; another merchant's wallet is 403 WalletAccessDenied.
func TestLiveCreateIntent(t *testing.T) {
	a := newAPI(t, sandbox.Options{})
	pi := a.createIntent(sandbox.DemoPoorCode, 300)
	bal := obj(attrs(pi)["balance"])
	for _, k := range []string{"available", "eligibleReward", "upperLimit"} {
		if !isInt(bal[k]) {
			t.Fatalf("balance.%s = %v (balance %v)", k, bal[k], bal)
		}
	}
	if bal["available"] != float64(sandbox.DemoPoorBalance) {
		t.Fatalf("balance.available = %v, want %d", bal["available"], sandbox.DemoPoorBalance)
	}
	cases := []struct {
		body   string
		status int
		code   string
	}{
		{`{"data":{"type":"CreatePaymentIntent","attributes":{"amount":5,"lookUpId":"NO-SUCH-CODE"}}}`, 404, "WalletIdentifierNotFound"},
		{`{"data":{"type":"CreatePaymentIntent","attributes":{"amount":5,"walletId":"00000000-0000-4000-8000-000000000000"}}}`, 404, "WalletIdentifierNotFound"},
		{`{"data":{"type":"CreatePaymentIntent","attributes":{"amount":5,"lookUpId":"` + sandbox.DemoForeignCode + `"}}}`, 403, "WalletAccessDenied"},
		{`{"data":{"type":"CreatePaymentIntent","attributes":{"amount":0,"lookUpId":"` + sandbox.DemoRichCode + `"}}}`, 400, "InvalidAmountOrWalletIdentifier"},
	}
	for _, tc := range cases {
		st, m := a.do("POST", "/api/v1/payment-intents", tc.body)
		if st != tc.status || m["code"] != tc.code || m["status"] != float64(tc.status) || obj(m["meta"])["path"] != "/api/v1/payment-intents" {
			t.Errorf("%s: %d %v; want %d %s", tc.body, st, m, tc.status, tc.code)
		}
	}
}

// TestPageLimitCapped: page[limit] above 50 is capped, not refused.
func TestPageLimitCapped(t *testing.T) {
	a := newAPI(t, sandbox.Options{})
	for i := 0; i < 3; i++ {
		a.createIntent(sandbox.DemoRichCode, 10+i)
	}
	for _, path := range []string{"/api/v1/payment-intents?include=payments&page[limit]=200", "/api/v1/payments?include=paymentIntent&page[limit]=51"} {
		st, m := a.do("GET", path, "")
		if st != 200 || obj(m["meta"])["limit"] != 50.0 {
			t.Fatalf("%s: %d %v", path, st, m)
		}
	}
	st, m := a.do("GET", "/api/v1/payment-intents?include=payments&page[limit]=200", "")
	if st != 200 || len(list(m["data"])) != 3 {
		t.Fatalf("capped list: %d %v", st, m)
	}
}

// TestCreatePayment: POST /api/v1/payments creates a Created payment that can be captured,
// and the list finds it by filter[reference].
func TestCreatePayment(t *testing.T) {
	a := newAPI(t, sandbox.Options{})
	st, m := a.do("POST", "/api/v1/payments", `{"data":{"type":"CreatePayment","attributes":{"walletId":"`+
		sandbox.DemoRichWalletID+`","amount":700,"reference":"cart-9","channel":"ORG-1"}}}`)
	if st != 200 || obj(m["data"])["type"] != "Payment" || attrs(m["data"])["status"] != "Created" || attrs(m["data"])["amount"] != 700.0 {
		t.Fatalf("create payment: %d %v", st, m)
	}
	id := obj(m["data"])["id"].(string)
	st, m = a.do("POST", "/api/v1/payments/"+id+"/capture", `{"data":{"type":"CapturePayment","attributes":{"amount":700}}}`)
	if st != 200 || attrs(m["data"])["status"] != "Processing" {
		t.Fatalf("capture: %d %v", st, m)
	}
	st, m = a.do("GET", "/api/v1/payments?include=paymentIntent&filter[reference]=cart-9", "")
	if st != 200 || len(list(m["data"])) != 1 || obj(list(m["data"])[0])["id"] != id {
		t.Fatalf("filter[reference]: %d %v", st, m)
	}
	st, m = a.do("POST", "/api/v1/payments", `{"data":{"type":"CreatePayment","attributes":{"amount":700}}}`)
	if st != 400 || m["code"] != "InvalidPayment" {
		t.Fatalf("create payment without wallet: %d %v", st, m)
	}
}

// TestSeedShape: the option plays the quick-start page's shapes.
func TestSeedShape(t *testing.T) {
	a := newAPI(t, sandbox.Options{Shape: sandbox.ShapeSeed})
	pi := a.createIntent(sandbox.DemoRichCode, 900)
	if _, ok := attrs(pi)["balance"]; ok {
		t.Fatalf("seed intent carries balance: %v", pi)
	}
	path := "/api/v1/payment-intents/" + pi["id"].(string) + "/authorize"
	st, m := a.do("POST", path, "")
	if st != 200 || obj(m["data"])["type"] != "Payment" || obj(list(m["included"])[0])["type"] != "PaymentIntent" {
		t.Fatalf("seed authorize: %d %v", st, m)
	}
	if _, ok := attrs(m["data"])["channel"]; ok {
		t.Fatalf("seed payment carries channel: %v", m)
	}
	st, m = a.do("POST", path, "")
	errs := list(m["errors"])
	if st != 400 || len(errs) != 1 || obj(errs[0])["status"] != "400" {
		t.Fatalf("seed repeated authorize: %d %v; want 400 with an errors array", st, m)
	}
	st, m = a.do("POST", "/api/v1/payment-intents", `{"data":{"type":"CreatePaymentIntent","attributes":{"amount":5,"lookUpId":"NOPE"}}}`)
	if st != 400 || obj(list(m["errors"])[0])["code"] != "InvalidLookUpId" {
		t.Fatalf("seed unknown code: %d %v", st, m)
	}
}

// TestClientPaysInBothShapes: the accrue client completes a sale against either shape.
func TestClientPaysInBothShapes(t *testing.T) {
	for _, shape := range []string{sandbox.ShapeLive, sandbox.ShapeSeed} {
		t.Run(shape, func(t *testing.T) {
			a := newAPI(t, sandbox.Options{Shape: shape})
			pr, err := accrue.New(sandbox.Config(a.url), nil)
			if err != nil {
				t.Fatal(err)
			}
			p := &driver.Payment{ID: "p-" + shape, Amount: money.New(4200, "USD"),
				Data: map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode}}
			u, err := pr.Start(context.Background(), p, func(*driver.Payment) error { return nil })
			if err != nil || u.Remote != driver.RemotePaid {
				t.Fatalf("Start = %+v, %v", u, err)
			}
			if st := a.sb.Stats(); st.Payments != 1 || st.Captures != 1 {
				t.Fatalf("stats %+v", st)
			}
			// Unknown wallet code and another merchant's wallet fail with a reason.
			for code, want := range map[string]string{"NO-SUCH-CODE": "", sandbox.DemoForeignCode: "Wallet not accepted here"} {
				q := &driver.Payment{ID: "q-" + code, Amount: money.New(100, "USD"),
					Data: map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: code}}
				u, err := pr.Start(context.Background(), q, func(*driver.Payment) error { return nil })
				if err != nil || u.Remote != driver.RemoteFailed || (want != "" && u.Reason != want) {
					t.Fatalf("%s: %+v, %v", code, u, err)
				}
			}
		})
	}
}

// TestDescribe: what the technician is shown names the URL, the credentials the sandbox
// accepts and every demo wallet, and its config snippet works as a client config.
func TestDescribe(t *testing.T) {
	a := newAPI(t, sandbox.Options{})
	d := sandbox.Describe(a.url + "/")
	for _, want := range []string{a.url, sandbox.DemoClientID, sandbox.DemoClientSecret, sandbox.DemoWebhookSecret,
		sandbox.DemoRichCode, sandbox.DemoPoorPhone, sandbox.DemoForeignCode, `base_url       = "` + a.url + `"`, "[accrue]"} {
		if !strings.Contains(d, want) {
			t.Errorf("Describe lacks %q:\n%s", want, d)
		}
	}
	cl, err := accrue.NewClient(sandbox.Config(a.url), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Ping(context.Background()); err != nil {
		t.Fatalf("the described credentials are refused: %v", err)
	}
}
