package acountpay

import (
	"encoding/json"
	"github.com/terminald/terminald/providers/acountpay/sandbox"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func postJSON(t *testing.T, u string, h map[string]string, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	return doJSON(t, req)
}

func doJSON(t *testing.T, req *http.Request) (int, map[string]any, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp.StatusCode, m, resp.Header
}

func TestSandboxToken(t *testing.T) {
	e := newEnv(t, VariantOAuth, func(_ *Config, so *sandbox.Options) {
		so.RateLimit = 2
		so.TokenLifetime = 10 * time.Minute
	})
	form := func(v url.Values) (int, map[string]any, http.Header) {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/oauth/token", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return doJSON(t, req)
	}
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {sandbox.DemoClientID}, "client_secret": {sandbox.DemoClientSecret}}
	if c, m, _ := form(url.Values{"grant_type": {"password"}, "client_id": {sandbox.DemoClientID}, "client_secret": {sandbox.DemoClientSecret}}); c != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("bad grant: %d %v", c, m)
	}
	if c, m, _ := form(url.Values{"grant_type": {"client_credentials"}, "client_id": {sandbox.DemoClientID}, "client_secret": {"x"}}); c != 401 || m["error"] != "invalid_client" {
		t.Fatalf("bad secret: %d %v", c, m)
	}
	c, m, _ := form(good)
	if c != 200 || m["token_type"] != "Bearer" || m["expires_in"] != float64(600) || m["access_token"] == "" {
		t.Fatalf("token: %d %v", c, m)
	}
	tok := m["access_token"].(string)
	form(good)
	if c, m, h := form(good); c != 429 || m["error"] != "rate_limit_exceeded" || h.Get("Retry-After") == "" {
		t.Fatalf("rate limit: %d %v %v", c, m, h)
	}
	get := func() int {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/partner/payments?limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Merchant-Client-Id", sandbox.DemoMerchantClientID)
		c, _, _ := doJSON(t, req)
		return c
	}
	e.clock.Advance(time.Minute) // new rate window
	if c := get(); c != 200 {
		t.Fatalf("valid token: %d", c)
	}
	e.clock.Advance(10 * time.Minute)
	if c := get(); c != 401 {
		t.Fatalf("expired token: %d", c)
	}
}

func TestSandboxCreateValidation(t *testing.T) {
	e := newEnv(t, VariantPartner, nil)
	partner := map[string]string{"X-Partner-Client-Id": sandbox.DemoClientID, "X-Partner-Client-Secret": sandbox.DemoClientSecret}
	u := e.srv.URL + "/v1/partner/payments"
	for _, tc := range []struct {
		body  string
		code  int
		field string
	}{
		{`{"merchantClientId":"` + sandbox.DemoMerchantClientID + `","amount":0,"referenceNumber":"A"}`, 400, "amount"},
		{`{"merchantClientId":"` + sandbox.DemoMerchantClientID + `","amount":0.001,"referenceNumber":"A"}`, 400, "amount"},
		{`{"merchantClientId":"` + sandbox.DemoMerchantClientID + `","amount":-5,"referenceNumber":"A"}`, 400, "amount"},
		{`{"merchantClientId":"` + sandbox.DemoMerchantClientID + `","amount":"1.00","referenceNumber":"A"}`, 400, "amount"},
		{`{"merchantClientId":"` + sandbox.DemoMerchantClientID + `","amount":1.5}`, 400, "referenceNumber"},
		{`{"amount":1.5,"referenceNumber":"A"}`, 400, "merchantClientId"},
		{`{"merchantClientId":"` + sandbox.DemoMerchantClientID + `","amount":1.5,"referenceNumber":"A","currency":"XXX"}`, 400, "currency"},
		{`{"merchantClientId":"nobody","amount":1.5,"referenceNumber":"A"}`, 403, ""},
		{`not json`, 400, ""},
	} {
		c, m, _ := postJSON(t, u, partner, tc.body)
		if c != tc.code {
			t.Errorf("%s: %d %v, want %d", tc.body, c, m, tc.code)
			continue
		}
		if tc.field != "" {
			errs, _ := m["errors"].([]any)
			if len(errs) != 1 || errs[0].(map[string]any)["field"] != tc.field {
				t.Errorf("%s: errors %v, want field %s", tc.body, m["errors"], tc.field)
			}
		}
	}
	body := `{"merchantClientId":"` + sandbox.DemoMerchantClientID + `","amount":0.01,"referenceNumber":"A"}`
	c, m, _ := postJSON(t, u, partner, body)
	if c != 201 || m["amount"] != 0.01 || !strings.HasPrefix(m["paymentUrl"].(string), e.srv.URL+"/pay/") {
		t.Fatalf("create: %d %v", c, m)
	}
	if c, m, _ := postJSON(t, u, partner, body); c != 409 || m["error"] != "duplicate_reference" {
		t.Fatalf("duplicate: %d %v", c, m)
	}
	if c, _, _ := postJSON(t, u, map[string]string{"X-Partner-Client-Id": sandbox.DemoClientID, "X-Partner-Client-Secret": "no"}, body); c != 401 {
		t.Fatalf("bad partner secret: %d", c)
	}
	if c, _, _ := postJSON(t, e.srv.URL+"/sandbox/faults", nil, `{"status":500,"count":1}`); c != 200 {
		t.Fatalf("fault control: %d", c)
	}
	if c, _, _ := postJSON(t, u, partner, body); c != 500 {
		t.Fatalf("injected fault: %d", c)
	}
	if page := openURL(t, e.srv.URL+"/pay/unknown"); !strings.Contains(page, "not valid") {
		t.Fatalf("unknown bank page: %q", page)
	}
}
