package sandbox_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/terminald/terminald/providers/acountpay/sandbox"
)

var partner = map[string]string{
	"X-Partner-Client-Id":     sandbox.DemoClientID,
	"X-Partner-Client-Secret": sandbox.DemoClientSecret,
}

func call(t *testing.T, method, u string, h map[string]string, body string) (int, map[string]any, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp.StatusCode, m, b, resp.Header
}

func start(t *testing.T, o sandbox.Options) (*sandbox.Sandbox, string) {
	t.Helper()
	sb := sandbox.New(o)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv.URL
}

func create(t *testing.T, base, merchant, ref string) map[string]any {
	t.Helper()
	c, m, b, _ := call(t, "POST", base+"/v1/partner/payments", partner,
		`{"merchantClientId":"`+merchant+`","amount":149.99,"referenceNumber":"`+ref+`"}`)
	if c != 201 {
		t.Fatalf("create: %d %s", c, b)
	}
	return m
}

func idText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

// TestQRImage: GET /v1/partner/payments/{id}/qr is a PNG whose QR code is the payment URL.
func TestQRImage(t *testing.T) {
	_, base := start(t, sandbox.Options{})
	m := create(t, base, sandbox.DemoMerchantClientID, "QR-1")
	id := idText(m["paymentId"])
	c, _, b, h := call(t, "GET", base+"/v1/partner/payments/"+id+"/qr?size=300", partner, "")
	if c != 200 || h.Get("Content-Type") != "image/png" {
		t.Fatalf("qr: %d %s", c, h.Get("Content-Type"))
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 300 {
		t.Errorf("width %d, want 300", img.Bounds().Dx())
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetText() != m["paymentUrl"] {
		t.Fatalf("QR says %q, payment URL is %v", res.GetText(), m["paymentUrl"])
	}
	for name, tc := range map[string]struct {
		url  string
		h    map[string]string
		want int
	}{
		"unauthenticated": {"/v1/partner/payments/" + id + "/qr", nil, 401},
		"unknown payment": {"/v1/partner/payments/999999/qr", partner, 404},
		"size too small":  {"/v1/partner/payments/" + id + "/qr?size=10", partner, 400},
		"size not number": {"/v1/partner/payments/" + id + "/qr?size=big", partner, 400},
	} {
		if c, _, _, _ := call(t, "GET", base+tc.url, tc.h, ""); c != tc.want {
			t.Errorf("%s: %d, want %d", name, c, tc.want)
		}
	}
}

// TestMerchantOnboarding: POST /v1/partner/merchants validates, answers the onboarding
// URL, and the merchant takes payments only after its onboarding page was opened.
func TestMerchantOnboarding(t *testing.T) {
	sb, base := start(t, sandbox.Options{})
	for body, field := range map[string]string{
		`{"contactEmail":"a@b.dk"}`:                         "companyName",
		`{"companyName":"X"}`:                               "contactEmail",
		`{"companyName":"X","contactEmail":"not-email"}`:    "contactEmail",
		`{"companyName":"X","contactEmail":"Bob <b@x.dk>"}`: "contactEmail",
	} {
		c, m, b, _ := call(t, "POST", base+"/v1/partner/merchants", partner, body)
		if c != 400 || !strings.Contains(string(b), `"field":"`+field+`"`) || m["error"] != "validation_error" {
			t.Errorf("%s: %d %s, want 400 naming %s", body, c, b, field)
		}
	}
	if c, _, _, _ := call(t, "POST", base+"/v1/partner/merchants", nil, `{"companyName":"X","contactEmail":"a@b.dk"}`); c != 401 {
		t.Errorf("unauthenticated: %d", c)
	}
	c, m, b, _ := call(t, "POST", base+"/v1/partner/merchants", partner, `{"companyName":"Restaurant XYZ","contactEmail":"owner@restaurant-xyz.dk"}`)
	if c != 201 || m["status"] != "pending_onboarding" || m["companyName"] != "Restaurant XYZ" {
		t.Fatalf("create merchant: %d %s", c, b)
	}
	mid, _ := m["merchantClientId"].(string)
	ob, _ := m["onboardingUrl"].(string)
	if len(mid) != 36 || !strings.HasPrefix(ob, base+"/onboarding/") {
		t.Fatalf("merchant %q onboarding %q", mid, ob)
	}
	// Not active yet: payments refused, saying why.
	c, em, _, _ := call(t, "POST", base+"/v1/partner/payments", partner, `{"merchantClientId":"`+mid+`","amount":1,"referenceNumber":"M-1"}`)
	if c != 403 || em["error"] != "merchant_not_active" {
		t.Fatalf("payment before onboarding: %d %v", c, em)
	}
	// Same e-mail again: 409 with the same merchant and link (a retry after a lost answer).
	c, dm, _, _ := call(t, "POST", base+"/v1/partner/merchants", partner, `{"companyName":"Restaurant XYZ","contactEmail":"OWNER@restaurant-xyz.dk"}`)
	if c != 409 || dm["merchantClientId"] != mid || dm["onboardingUrl"] != ob || dm["error"] != "duplicate_merchant" {
		t.Fatalf("duplicate: %d %v", c, dm)
	}
	if c, _, page, _ := call(t, "GET", ob, nil, ""); c != 200 || !strings.Contains(string(page), "Restaurant XYZ") {
		t.Fatalf("onboarding page: %d %s", c, page)
	}
	create(t, base, mid, "M-1")
	if ms := sb.Merchants(); len(ms) != 1 || ms[0].Status != "active" {
		t.Fatalf("merchants %+v", ms)
	}
	// The Bearer variant may onboard without a merchant header.
	req := "grant_type=client_credentials&client_id=" + sandbox.DemoClientID + "&client_secret=" + sandbox.DemoClientSecret
	r, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader(req))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if c, _, b, _ := call(t, "POST", base+"/v1/partner/merchants", map[string]string{"Authorization": "Bearer " + tok.AccessToken},
		`{"companyName":"Cafe","contactEmail":"cafe@example.dk"}`); c != 201 {
		t.Fatalf("bearer onboarding: %d %s", c, b)
	}
}

type hook struct {
	mu   sync.Mutex
	body []byte
	hdr  http.Header
	got  chan struct{}
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.body, h.hdr = b, r.Header.Clone()
	h.mu.Unlock()
	h.got <- struct{}{}
}

func (h *hook) wait(t *testing.T) ([]byte, http.Header) {
	t.Helper()
	select {
	case <-h.got:
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook delivered")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.body, h.hdr
}

func mac(secret string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// TestShapes: the live shape (default) answers the plugin's words with string ids and
// delivers flat webhooks signed sha256=<hex>; the seed shape answers the seeds' words with
// numeric ids and nested webhooks signed with a timestamp.
func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		shape                   string
		paid, failed, cancelled string
		internal                string
		stringID                bool
	}{
		{"", "success", "rejected", "canceled", "settled", true},
		{sandbox.ShapeSeed, "completed", "failed", "failed", "", false},
	} {
		t.Run("shape="+tc.shape, func(t *testing.T) {
			h := &hook{got: make(chan struct{}, 8)}
			hs := httptest.NewServer(h)
			defer hs.Close()
			sb, base := start(t, sandbox.Options{Shape: tc.shape, DeliverWebhooks: true})
			mk := func(ref string) string {
				c, m, b, _ := call(t, "POST", base+"/v1/partner/payments", partner,
					`{"merchantClientId":"`+sandbox.DemoMerchantClientID+`","amount":149.99,"referenceNumber":"`+ref+`","webhookUrl":"`+hs.URL+`"}`)
				if c != 201 {
					t.Fatalf("create: %d %s", c, b)
				}
				if _, isString := m["paymentId"].(string); isString != tc.stringID {
					t.Fatalf("paymentId %T", m["paymentId"])
				}
				return idText(m["paymentId"])
			}
			status := func(id string) map[string]any {
				_, m, _, _ := call(t, "GET", base+"/v1/partner/payments/"+id+"/status", partner, "")
				return m
			}
			id := mk("S-1")
			if c, _, _, _ := call(t, "POST", base+"/sandbox/payments/"+id+"/pay", nil, ""); c != 200 {
				t.Fatalf("pay: %d", c)
			}
			if m := status(id); m["status"] != tc.paid || (tc.internal != "" && m["internalStatus"] != tc.internal) {
				t.Fatalf("paid status %v", m)
			}
			body, hdr := h.wait(t)
			var ev map[string]any
			json.Unmarshal(body, &ev)
			if tc.shape == "" {
				if ev["status"] != "success" || ev["referenceNumber"] != "S-1" || ev["eventId"] == nil || ev["data"] != nil ||
					hdr.Get("X-AcountPay-Signature") != "sha256="+mac(sandbox.DemoWebhookSecret, string(body)) || hdr.Get("X-AcountPay-Timestamp") != "" {
					t.Fatalf("live webhook %s %v", body, hdr)
				}
			} else {
				data, _ := ev["data"].(map[string]any)
				ts := hdr.Get("X-AcountPay-Timestamp")
				if data["status"] != "completed" || ev["event"] != "payment.completed" || ts == "" ||
					hdr.Get("X-AcountPay-Signature") != mac(sandbox.DemoWebhookSecret, ts, ".", string(body)) {
					t.Fatalf("seed webhook %s %v", body, hdr)
				}
			}
			id2 := mk("S-2")
			sb.Wait()
			call(t, "POST", base+"/sandbox/payments/"+id2+"/fail", nil, "")
			h.wait(t)
			if m := status(id2); m["status"] != tc.failed {
				t.Fatalf("failed status %v", m)
			}
			id3 := mk("S-3")
			call(t, "POST", base+"/sandbox/payments/"+id3+"/cancel", nil, "")
			h.wait(t)
			if m := status(id3); m["status"] != tc.cancelled {
				t.Fatalf("cancelled status %v", m)
			}
			// Any word on demand, for clients facing a word they do not know.
			if c, m, _, _ := call(t, "POST", base+"/sandbox/payments/"+id3+"/status", nil, `{"status":"awaiting_sca"}`); c != 200 || m["status"] != "awaiting_sca" {
				t.Fatalf("set word: %d %v", c, m)
			}
			h.wait(t)
			// The list answers the same words and filters by them.
			_, l, _, _ := call(t, "GET", base+"/v1/partner/payments?merchantClientId="+sandbox.DemoMerchantClientID+"&status="+tc.paid, partner, "")
			if ps, _ := l["payments"].([]any); len(ps) != 1 {
				t.Fatalf("list by %q: %v", tc.paid, l)
			}
			// Refund of a paid payment.
			if c, m, _, _ := call(t, "POST", base+"/sandbox/payments/"+id+"/refund", nil, ""); c != 200 || m["status"] != "refunded" {
				t.Fatalf("refund: %d %v", c, m)
			}
			h.wait(t)
			sb.Wait()
		})
	}
}
