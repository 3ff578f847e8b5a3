package accrue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
)

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenAuthorizeAnswers decodes both authorize answers: the live 201 (the intent as
// data, the Payment in included) and the seed's 200 (the Payment as data).
func TestGoldenAuthorizeAnswers(t *testing.T) {
	for _, name := range []string{"live/authorize_201.json", "seed/authorize_200.json"} {
		t.Run(name, func(t *testing.T) {
			d, err := decodeDocument(golden(t, name))
			if err != nil {
				t.Fatal(err)
			}
			p, err := authorizedPayment("authorize", "0b9a61c4-2f0e-4c51-9d0a-5e2f7c1a3b01", d)
			if err != nil {
				t.Fatal(err)
			}
			if p.ID != "c3d4e5f6-7a8b-4c9d-8e0f-112233445566" || p.Status != PaymentCreated || p.Amount != 2500 ||
				p.Reference != "pay-20261130-0001" || p.PaymentIntentID != "0b9a61c4-2f0e-4c51-9d0a-5e2f7c1a3b01" {
				t.Fatalf("payment = %+v", p)
			}
			if strings.HasPrefix(name, "live/") && !p.ExpiresAt.Equal(time.Date(2026, 12, 7, 2, 0, 3, 0, time.UTC)) {
				t.Fatalf("expiresAt = %v", p.ExpiresAt)
			}
		})
	}
	// An intent answered without its Payment is not understood: outcome unknown.
	d, _ := decodeDocument([]byte(`{"data":{"id":"i","type":"PaymentIntent","attributes":{"status":"PromotedToPayment"}},"included":[]}`))
	if _, err := authorizedPayment("authorize", "i", d); !errors.Is(err, ErrBadResponse) || !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("intent without payment: %v", err)
	}
}

func TestGoldenIntentAndPayment(t *testing.T) {
	for _, name := range []string{"live/create_intent_201.json", "seed/create_intent_201.json"} {
		d, err := decodeDocument(golden(t, name))
		if err != nil {
			t.Fatal(err)
		}
		pi, err := intentOf("create payment intent", d)
		if err != nil || pi.Status != IntentPromotable || pi.Amount != 2500 || pi.Reference != "pay-20261130-0001" || pi.ExpiresAt.IsZero() {
			t.Fatalf("%s: %+v, %v", name, pi, err)
		}
		if live := strings.HasPrefix(name, "live/"); live != (pi.Balance != nil) {
			t.Fatalf("%s: balance %+v", name, pi.Balance)
		}
		if pi.Balance != nil && (pi.Balance.Available != 80000 || pi.Balance.EligibleReward != 125 || pi.Balance.UpperLimit != 180000) {
			t.Fatalf("%s: balance %+v", name, pi.Balance)
		}
	}
	d, err := decodeDocument(golden(t, "live/get_payment_200.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := paymentOf("get payment", d)
	if err != nil || p.Status != PaymentSent || p.Amount != 2500 || !p.Captured() || len(p.Captures) != 1 || p.Captures[0].Amount != 2500 {
		t.Fatalf("payment = %+v, %v", p, err)
	}
}

func TestGoldenErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		code   string
		msg    string
	}{
		{"live/error_wallet_not_found_404.json", 404, "WalletIdentifierNotFound", "Wallet code not found"},
		{"live/error_authorize_failed_402.json", 402, "Failed", "Payment declined"},
		{"seed/error_list_400.json", 400, "InsufficientBalance", "Insufficient balance"},
	}
	for _, tc := range cases {
		e := decodeAPIError("op", tc.status, golden(t, tc.name))
		if len(e.Errors) != 1 || e.Code() != tc.code || string(e.Errors[0].Status) != itoa(tc.status) || e.Errors[0].Meta == nil {
			t.Errorf("%s: %+v", tc.name, e)
		}
		if m := e.CashierMessage(); m != tc.msg {
			t.Errorf("%s: cashier message %q, want %q", tc.name, m, tc.msg)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestStatusesIgnoreCase: Accrue's enums compared without regard to letter case.
func TestStatusesIgnoreCase(t *testing.T) {
	b := bytes.Replace(golden(t, "live/get_payment_200.json"), []byte(`"status": "Sent"`), []byte(`"status": "SENT"`), 1)
	d, _ := decodeDocument(b)
	if p, err := paymentOf("get payment", d); err != nil || p.Status != PaymentSent {
		t.Fatalf("SENT: %+v, %v", p, err)
	}
	b = bytes.Replace(golden(t, "live/authorize_201.json"), []byte(`"status": "PromotedToPayment"`), []byte(`"status": "promotedtopayment"`), 1)
	d, _ = decodeDocument(b)
	r, _ := d.one("PaymentIntent")
	if pi, err := intentFrom(r); err != nil || pi.Status != IntentPromotedToPayment {
		t.Fatalf("promotedtopayment: %+v, %v", pi, err)
	}
	r = &resource{ID: "r", Type: "Refund", Attributes: json.RawMessage(`{"status":"pending","amount":1}`)}
	if rf, err := refundFrom(r); err != nil || rf.Status != RefundStatePending {
		t.Fatalf("pending: %+v, %v", rf, err)
	}
}

// stubAccrue answers every request with the golden file of its route and records the
// bodies it was sent.
type stubAccrue struct {
	mu     sync.Mutex
	bodies map[string][]byte
	routes map[string]string // "METHOD path" → golden file
	status map[string]int
}

func (s *stubAccrue) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	key := r.Method + " " + r.URL.Path
	s.mu.Lock()
	s.bodies[key] = b
	file, st := s.routes[key], s.status[key]
	s.mu.Unlock()
	if file == "" {
		w.WriteHeader(404)
		return
	}
	body, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		w.WriteHeader(500)
		return
	}
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(st)
	w.Write(body)
}

// TestAuthorizeSendsTheSpecBody: authorize carries the AuthorizePaymentIntent document
// with the required amount, and the live 201 answer is understood.
func TestAuthorizeSendsTheSpecBody(t *testing.T) {
	path := "/api/v1/payment-intents/0b9a61c4-2f0e-4c51-9d0a-5e2f7c1a3b01/authorize"
	stub := &stubAccrue{bodies: map[string][]byte{},
		routes: map[string]string{"POST " + path: "live/authorize_201.json"}, status: map[string]int{"POST " + path: 201}}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	cl, err := NewClient(Config{BaseURL: srv.URL, ClientID: "c", ClientSecret: "s", MaxAttempts: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cl.AuthorizePaymentIntent(context.Background(), "0b9a61c4-2f0e-4c51-9d0a-5e2f7c1a3b01",
		AuthorizeRequest{Amount: 2500, Reference: "pay-20261130-0001", Channel: Channel})
	if err != nil || p.ID != "c3d4e5f6-7a8b-4c9d-8e0f-112233445566" {
		t.Fatalf("authorize = %+v, %v", p, err)
	}
	var sent struct {
		Data struct {
			Type       string `json:"type"`
			Attributes struct {
				Amount    *int64 `json:"amount"`
				Reference string `json:"reference"`
				Channel   string `json:"channel"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(stub.bodies["POST "+path], &sent); err != nil {
		t.Fatalf("body %q: %v", stub.bodies["POST "+path], err)
	}
	a := sent.Data.Attributes
	if sent.Data.Type != "AuthorizePaymentIntent" || a.Amount == nil || *a.Amount != 2500 || a.Reference != "pay-20261130-0001" || a.Channel != Channel {
		t.Fatalf("sent %s", stub.bodies["POST "+path])
	}
	if _, err := cl.AuthorizePaymentIntent(context.Background(), "x", AuthorizeRequest{}); err == nil || !strings.Contains(err.Error(), "amount") {
		t.Fatalf("authorize without amount: %v", err)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	h := http.Header{}
	for v, want := range map[string]time.Duration{"": 0, "3": 3 * time.Second, "-1": 0, "Wed, 21 Oct 2015 07:28:00 GMT": 0, "99999": time.Hour} {
		h.Set("Retry-After", v)
		if got := retryAfter(h); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
}

// TestGoldenLiveRepliesThroughTheClient serves the live golden replies over HTTP and
// decodes them with the client's own calls.
func TestGoldenLiveRepliesThroughTheClient(t *testing.T) {
	const pay = "/api/v1/payments/c3d4e5f6-7a8b-4c9d-8e0f-112233445566"
	stub := &stubAccrue{bodies: map[string][]byte{}, routes: map[string]string{
		"POST /api/v1/payment-intents": "live/create_intent_201.json",
		"GET /api/v1/payment-intents":  "live/list_intents_200.json",
		"GET " + pay:                   "live/get_payment_200.json",
		"POST " + pay + "/capture":     "live/capture_200.json",
		"POST " + pay + "/cancel":      "live/cancel_200.json",
		"POST " + pay + "/refund":      "live/refund_200.json",
	}, status: map[string]int{"POST /api/v1/payment-intents": 201}}
	for k := range stub.routes {
		if stub.status[k] == 0 {
			stub.status[k] = 200
		}
	}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	cl, err := NewClient(Config{BaseURL: srv.URL, ClientID: "c", ClientSecret: "s", MaxAttempts: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pi, err := cl.CreatePaymentIntent(ctx, IntentRequest{Amount: 2500, LookUpID: "code", Reference: "pay-20261130-0001", IdempotencyKey: "k"})
	if err != nil || pi.Status != IntentPromotable || pi.Balance == nil || pi.Balance.Available != 80000 {
		t.Fatalf("create intent = %+v, %v", pi, err)
	}
	l, meta, err := cl.ListPaymentIntents(ctx, IntentFilter{Sort: "-createdAt"})
	if err != nil || len(l) != 2 || meta.Total != 2 || l[0].PaymentID() != "c3d4e5f6-7a8b-4c9d-8e0f-112233445566" ||
		l[1].Status != IntentInvalid || l[1].Error != "InsufficientBalance" || !l[1].ExpiresAt.IsZero() {
		t.Fatalf("list intents = %+v %+v, %v", l, meta, err)
	}
	p, err := cl.CapturePayment(ctx, "c3d4e5f6-7a8b-4c9d-8e0f-112233445566", 2500)
	if err != nil || p.Status != PaymentProcessing || !p.Captured() || len(p.CaptureIDs) != 1 {
		t.Fatalf("capture = %+v, %v", p, err)
	}
	p, err = cl.CancelPayment(ctx, "c3d4e5f6-7a8b-4c9d-8e0f-112233445566")
	if err != nil || p.Status != PaymentCanceled || p.PaymentIntentID != "0b9a61c4-2f0e-4c51-9d0a-5e2f7c1a3b01" {
		t.Fatalf("cancel = %+v, %v", p, err)
	}
	rf, p, err := cl.RefundPayment(ctx, "c3d4e5f6-7a8b-4c9d-8e0f-112233445566", 700, "refund-1")
	if err != nil || rf.ID != "f0e1d2c3-b4a5-4968-8776-655443322110" || rf.Status != RefundStatePending || rf.Amount != 700 || p.Message != "Refund initiated." {
		t.Fatalf("refund = %+v %+v, %v", rf, p, err)
	}
	if q := string(stub.bodies["GET /api/v1/payment-intents"]); q != "" {
		t.Fatalf("list sent a body %q", q)
	}
}

// TestRetryAfterIsHonoured: after a 429 with Retry-After the next attempt waits at least
// that long (capped at RetryMax), not just the short backoff.
func TestRetryAfterIsHonoured(t *testing.T) {
	var mu sync.Mutex
	var at []time.Time
	body := golden(t, "live/get_payment_200.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		at = append(at, time.Now())
		n := len(at)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", MediaType)
		w.Write(body)
	}))
	defer srv.Close()
	const capWait = 80 * time.Millisecond
	cl, err := NewClient(Config{BaseURL: srv.URL, ClientID: "c", ClientSecret: "s", MaxAttempts: 2,
		RetryBase: time.Millisecond, RetryMax: capWait}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.GetPayment(context.Background(), "c3d4e5f6-7a8b-4c9d-8e0f-112233445566"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(at) != 2 {
		t.Fatalf("%d requests, want 2", len(at))
	}
	if gap := at[1].Sub(at[0]); gap < capWait {
		t.Fatalf("retried after %v; Retry-After (capped at %v) not honoured", gap, capWait)
	}
}
