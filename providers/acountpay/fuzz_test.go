package acountpay

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

// FuzzDecodeResponse feeds outside bytes to every answer decoder.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{
		`{"paymentId":456,"paymentUrl":"https://pos.acountpay.com/pay?token=x","status":"pending","amount":149.50,"currency":"DKK","referenceNumber":"ORDER-123"}`,
		`{"data":{"id":"a1","qrCodeUrl":"http://127.0.0.1/pay/1","status":"completed","amount":"1.00"}}`,
		`{"payments":[{"id":1,"referenceNumber":"R","amount":1e400,"status":"paid"}],"total":1,"page":1,"limit":20}`,
		`{"error":{"code":"E1","message":"no"},"errors":[{"field":"amount","message":"bad"},3]}`,
		`{"paymentId":"7d3f0c52-1b8e-4c1a-9a0e-2f6d1c9b4e10","status":"processing","internalStatus":"authorized","amount":"1.50","currency":"DKK"}`,
		`{"paymentId":1,"status":"settled","amount":1.499,"currency":"DKK"}`,
		`[1,2]`, `null`, `{"paymentId":{}}`, "",
	} {
		f.Add([]byte(s))
	}
	p, err := New(Config{BaseURL: "http://127.0.0.1:1", ClientID: "c", ClientSecret: "secret", MerchantClientID: "m"}, nil)
	if err != nil {
		f.Fatal(err)
	}
	pay := &driver.Payment{ID: "R", Amount: money.New(150, "DKK"), CreatedAt: time.Unix(1e9, 0)}
	f.Fuzz(func(t *testing.T, b []byte) {
		if w, err := decodePayment("GET /x", b); err == nil {
			if u, err := p.update(pay, w.id(), w, time.Time{}); err == nil && u.QR != "" && !strings.HasPrefix(u.QR, "http") {
				t.Fatalf("QR %q accepted", u.QR)
			}
		}
		decodeList("GET /x", b)
		e := p.c.apiError("GET /x", 400, b)
		if strings.Contains(e.Error(), "secret") && !strings.Contains(string(b), "secret") {
			t.Fatal("secret leaked into error")
		}
		_ = e.CashierMessage()
	})
}

// FuzzWebhook feeds outside bytes and headers to the webhook receiver.
func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"eventId":"e1","event":"payment.completed","data":{"paymentId":1,"referenceNumber":"R"}}`), "1740830400", "sha256=00", true)
	f.Add([]byte(`{}`), "", "", false)
	f.Add([]byte("\x00\xff"), "-1", "zz", true)
	const secret = "whsec_fuzz"
	now := time.Unix(1740830400, 0)
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string, signB bool) {
		ParseWebhook(body)
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		VerifyWebhook([]byte(secret), h, body, now)
		// A correct scheme-B signature always verifies.
		hb := http.Header{}
		hb.Set(HeaderWebhookSignature, hmacHex(secret, string(body)))
		if err := VerifyWebhook([]byte(secret), hb, body, now); err != nil {
			t.Fatalf("valid signature rejected: %v", err)
		}
		wh := NewWebhookHandler(secret, func(string, string) {}, nil)
		wh.now = func() time.Time { return now }
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		if signB {
			req.Header = hb
		} else {
			req.Header = h
		}
		rec := httptest.NewRecorder()
		wh.ServeHTTP(rec, req)
		if c := rec.Code; c != 200 && c != 400 && c != 401 && c != 413 {
			t.Fatalf("status %d", c)
		}
	})
}

// FuzzMerchantAnswer feeds outside bytes as the answer to the merchant onboarding call:
// CreateMerchant either returns a merchant with an absolute http(s) onboarding URL or an
// error, never panics.
func FuzzMerchantAnswer(f *testing.F) {
	f.Add([]byte(`{"merchantClientId":"0b7e4d2a-5c61-4f3e-8d7a-93c1e2f4a6b8","status":"pending_onboarding","onboardingUrl":"https://partner.acountpay.com/onboarding/ob_1"}`), 201)
	f.Add([]byte(`{"error":"duplicate_merchant","merchantId":7,"onboardingUrl":"http://127.0.0.1/onboarding/x"}`), 409)
	f.Add([]byte(`{"onboardingUrl":"javascript:alert(1)"}`), 200)
	f.Add([]byte(`<html>`), 502)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		if status < 200 || status > 599 {
			status = 200
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			w.Write(body)
		}))
		defer srv.Close()
		pt, err := NewPartner(Config{BaseURL: srv.URL, Variant: VariantPartner, ClientID: "p", ClientSecret: "secret", MaxAttempts: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := pt.CreateMerchant(context.Background(), "Cafe", "cafe@example.dk")
		if err != nil {
			return
		}
		u, perr := url.Parse(m.OnboardingURL)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("accepted onboarding URL %q", m.OnboardingURL)
		}
	})
}
