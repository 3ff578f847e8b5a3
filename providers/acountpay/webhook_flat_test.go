package acountpay

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWebhookBothShapes: the flat body of AcountPay's own plugin and the nested body of
// the seeds are both read, signed the plugin's way (sha256=<hex of the body>), with the
// payment's reference and id handed to the driver.
func TestWebhookBothShapes(t *testing.T) {
	for _, tc := range []struct {
		file, ref, id, status, internal string
		flat                            bool
	}{
		{"live_webhook_flat.json", "T1-0001", "7d3f0c52-1b8e-4c1a-9a0e-2f6d1c9b4e10", "success", "INITIATION_COMPLETED", true},
		{"seed_webhook_nested.json", "T1-0001", "1042", "completed", "", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body := golden(t, tc.file)
			ev, err := ParseWebhook(body)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Reference != tc.ref || ev.PaymentID != tc.id || ev.Status != tc.status || ev.InternalStatus != tc.internal ||
				ev.Flat != tc.flat || ev.Amount != "149.99" || ev.Currency != "DKK" || ev.EventID == "" || !strings.HasPrefix(ev.Event, "payment.") {
				t.Fatalf("decoded %+v", ev)
			}
			var hs hints
			for _, name := range []string{HeaderSignature, HeaderSignatureMisspelt} {
				h := NewWebhookHandler("whsec_live", hs.hint, nil)
				req := httptest.NewRequest(http.MethodPost, "/webhooks/acountpay", bytes.NewReader(body))
				req.Header.Set(name, "sha256="+hmacHex("whsec_live", string(body)))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					t.Fatalf("%s: status %d", name, rec.Code)
				}
			}
			if got := hs.list(); len(got) != 2 || got[0] != tc.ref+"/"+tc.id {
				t.Fatalf("hints %v", got)
			}
		})
	}
}

// TestWebhookFlatBadSignatures: a flat body with a wrong, missing, truncated or
// other-secret signature is refused with 401 and never reaches the driver.
func TestWebhookFlatBadSignatures(t *testing.T) {
	body := string(golden(t, "live_webhook_flat.json"))
	good := hmacHex("whsec_live", body)
	for name, h := range map[string]map[string]string{
		"unsigned":        {},
		"other secret":    {HeaderSignature: "sha256=" + hmacHex("whsec_other", body)},
		"body changed":    {HeaderSignature: "sha256=" + hmacHex("whsec_live", body+" ")},
		"truncated":       {HeaderSignature: "sha256=" + good[:40]},
		"empty after tag": {HeaderSignature: "sha256="},
		"bare hex":        {HeaderSignature: good}, // the plugin's scheme always has the prefix
		"md5 tag":         {HeaderSignature: "md5=" + good},
	} {
		t.Run(name, func(t *testing.T) {
			var hs hints
			wh := NewWebhookHandler("whsec_live", hs.hint, nil)
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			for k, v := range h {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			wh.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized || len(hs.list()) != 0 {
				t.Fatalf("status %d hints %v", rec.Code, hs.list())
			}
		})
	}
}

// TestWebhookFlatDedupByEventID: AcountPay retries deliveries; the same eventId is
// handed on once even when the body differs, and a new eventId is handed on again. A
// failure or refund word is logged as a warning (it may reverse a recorded sale).
func TestWebhookFlatDedupByEventID(t *testing.T) {
	var logs bytes.Buffer
	var hs hints
	wh := NewWebhookHandler("whsec_live", hs.hint, slog.New(slog.NewTextHandler(&logs, nil)))
	send := func(body string) int {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set(HeaderSignature, "sha256="+hmacHex("whsec_live", body))
		rec := httptest.NewRecorder()
		wh.ServeHTTP(rec, req)
		return rec.Code
	}
	first := `{"eventId":"evt_A","referenceNumber":"R1","paymentId":"p1","status":"processing"}`
	again := `{"eventId":"evt_A","referenceNumber":"R1","paymentId":"p1","status":"success"}`
	next := `{"eventId":"evt_B","referenceNumber":"R1","paymentId":"p1","status":"refunded"}`
	for _, b := range []string{first, first, again, next, next} {
		if c := send(b); c != 200 {
			t.Fatalf("status %d for %s", c, b)
		}
	}
	if got := hs.list(); len(got) != 2 {
		t.Fatalf("hints %v, want 2 (evt_A, evt_B)", got)
	}
	if !strings.Contains(logs.String(), "level=WARN msg=webhook") || !strings.Contains(logs.String(), "status=refunded") {
		t.Errorf("refund webhook not logged as a warning:\n%s", logs.String())
	}
	// A flat body without reference or payment id is unreadable (400), not a hint.
	if c := send(`{"eventId":"evt_C","status":"success"}`); c != 400 {
		t.Fatalf("flat without ids: %d", c)
	}
}
