package acountpay

import (
	"net/http"
	"net/http/httptest"
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
