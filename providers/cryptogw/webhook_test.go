package cryptogw

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/terminald/terminald/providers/cryptogw/sandbox"
)

func TestWebhookHandler(t *testing.T) {
	var got []string
	h := NewWebhookHandler(func(id string) { got = append(got, id) }, nil)
	post := func(method, body string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/hook", strings.NewReader(body)))
		return rec.Code
	}
	ok := `{"event":"payment.confirmed","payment_id":"123e4567-e89b-12d3-a456-426614174000","pos_id":"POS1","status":"confirmed","amount":"0.00701648","currency":"BTC","timestamp":"2024-01-15T10:30:00Z"}`
	if c := post(http.MethodPost, ok); c != 200 || len(got) != 1 || got[0] != "123e4567-e89b-12d3-a456-426614174000" {
		t.Fatalf("good webhook: %d %q", c, got)
	}
	for name, body := range map[string]string{
		"garbage":    "<xml/>",
		"no id":      `{"event":"payment.confirmed"}`,
		"bad id":     `{"event":"payment.confirmed","payment_id":"../../etc"}`,
		"not paymnt": `{"event":"merchant.deleted","payment_id":"abc"}`,
		"too large":  `{"event":"payment.confirmed","payment_id":"abc","x":"` + strings.Repeat("a", maxWebhookBody) + `"}`,
	} {
		if c := post(http.MethodPost, body); c != 400 {
			t.Errorf("%s: status %d", name, c)
		}
	}
	if c := post(http.MethodGet, ok); c != 405 {
		t.Errorf("GET: status %d", c)
	}
	if len(got) != 1 {
		t.Errorf("bad webhooks reached the hint: %q", got)
	}
}

// A forged webhook only makes the terminal ask: the state comes from CheckPayment.
func TestForgedWebhookChangesNothing(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	p, d := e.start("w-1", 700)
	var hinted string
	h := NewWebhookHandler(func(id string) { hinted = id }, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/hook", strings.NewReader(`{"event":"payment.confirmed","payment_id":"`+p.ProviderID+`","status":"confirmed"}`)))
	if hinted != p.ProviderID {
		t.Fatalf("hint %q", hinted)
	}
	if u, _ := e.pr.Check(t.Context(), p, d.save); u.Remote != 0 {
		t.Fatalf("forged confirm led to %v", u.Remote)
	}
}

func TestParsePaymentURI(t *testing.T) {
	u, err := ParsePaymentURI("bitcoin:38wGZr2xLgbHWsYrsNCER1C9mZkNHwyd69?amount=0.00843504")
	if err != nil || u.Scheme != "bitcoin" || u.Address != "38wGZr2xLgbHWsYrsNCER1C9mZkNHwyd69" || u.Amount != 843504 {
		t.Fatalf("%+v, %v", u, err)
	}
	if u.String() != "bitcoin:38wGZr2xLgbHWsYrsNCER1C9mZkNHwyd69?amount=0.00843504" {
		t.Errorf("String = %q", u)
	}
	for _, bad := range []string{"bitcoin:", "bitcoin:short", "bitcoin:38wGZr2xLgbHWsYrsNCER1C9mZkNHwyd69?amount=-1", "bitcoin:38wGZr2xLgbHWsYrsNCER1C9mZkNHwyd69?amount=1e3", "b tc:38wGZr2xLgbHWsYrsNCER1C9mZkNHwyd69"} {
		if _, err := ParsePaymentURI(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSandboxPageAndControl(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	p, _ := e.start("s-1", 700)
	resp, err := e.srv.Client().Get(e.srv.URL + "/pay?payment_id=" + p.ProviderID + "&currency=BTC")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("page: %v %v", resp, err)
	}
	resp.Body.Close()
	for _, u := range []string{"/sandbox/fault?kind=boom", "/sandbox/pay?address=nowhere", "/sandbox/block?payment_id=nope"} {
		resp, err := e.srv.Client().Post(e.srv.URL+u, "", nil)
		if err != nil || resp.StatusCode != 400 {
			t.Errorf("%s: %v %v", u, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	resp, _ = e.srv.Client().Get(e.srv.URL + "/v2/NoSuchEndpoint/")
	if resp.StatusCode != 404 {
		t.Errorf("unknown endpoint: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func TestWebhookLiveBodyAndProbe(t *testing.T) {
	var got []string
	h := NewWebhookHandler(func(id string) { got = append(got, id) }, nil)
	post := func(body string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body)))
		return rec.Code
	}
	if c := post(`{"webhook_test":"https://gw.example"}`); c != 200 || len(got) != 0 {
		t.Fatalf("webhook_test probe: %d, hints %q", c, got)
	}
	if c := post(`{"payment_id":"0b9a0c1e-45aa-4e1b-9c2d-000000000045","reference_no":"T1-000042"}`); c != 200 ||
		len(got) != 1 || got[0] != "0b9a0c1e-45aa-4e1b-9c2d-000000000045" {
		t.Fatalf("live webhook: %d, hints %q", c, got)
	}
	if w, err := DecodeWebhook([]byte(`{"payment_id":"p-1","reference_no":"T1-7"}`)); err != nil || w.ReferenceNo != "T1-7" || w.Test {
		t.Errorf("live body = %+v, %v", w, err)
	}
}
