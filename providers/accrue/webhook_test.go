package accrue_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/providers/accrue"
	"github.com/terminald/terminald/providers/accrue/sandbox"
)

func TestSignature(t *testing.T) {
	body := []byte(`{"id":"1","type":"WebhookEvent"}`)
	sig := accrue.Sign("s3cret", body)
	if !accrue.VerifySignature("s3cret", body, sig) {
		t.Fatal("own signature refused")
	}
	for _, bad := range []string{"", "zz", sig[:10], accrue.Sign("other", body)} {
		if accrue.VerifySignature("s3cret", body, bad) {
			t.Errorf("signature %q accepted", bad)
		}
	}
	if accrue.VerifySignature("", body, accrue.Sign("", body)) {
		t.Error("empty secret accepted")
	}
}

func TestWebhookHandler(t *testing.T) {
	var got []string
	h := accrue.WebhookHandler("s", func(id string) { got = append(got, id) }, nil)
	body := []byte(`{"id":"e1","type":"WebhookEvent","attributes":{"topic":"paymentUpdated"},"included":[{"id":"pay1","type":"Payment","attributes":{"status":"Sent"},"relationships":{"paymentIntent":{"data":{"id":"pi1","type":"PaymentIntent"}}}}]}`)
	post := func(b []byte, sig string) int {
		req := httptest.NewRequest("POST", "/hook", bytes.NewReader(b))
		req.Header.Set(accrue.SignatureHeader, sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if c := post(body, accrue.Sign("s", body)); c != 204 || len(got) != 2 || got[0] != "pi1" || got[1] != "pay1" {
		t.Fatalf("good webhook: %d %v", c, got)
	}
	got = nil
	if c := post(body, accrue.Sign("x", body)); c != 401 || got != nil {
		t.Fatalf("bad signature: %d %v", c, got)
	}
	big := bytes.Repeat([]byte(" "), accrue.MaxWebhookBytes+1)
	if c := post(big, accrue.Sign("s", big)); c != 413 {
		t.Fatalf("oversized: %d", c)
	}
	junk := []byte(`{"type":"User"}`)
	if c := post(junk, accrue.Sign("s", junk)); c != 400 {
		t.Fatalf("not an event: %d", c)
	}
}

// TestSandboxDeliversSignedWebhooks runs a payment with a registered endpoint and expects
// the provider's handler to hint the payment's ProviderID.
func TestSandboxDeliversSignedWebhooks(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	pr := e.provider(t)
	var mu sync.Mutex
	hints := map[string]bool{}
	hook := httptest.NewServer(pr.WebhookHandler(func(id string) {
		mu.Lock()
		hints[id] = true
		mu.Unlock()
	}))
	defer hook.Close()
	wh, err := pr.Client().RegisterWebhook(context.Background(), "till", hook.URL+"/accrue")
	if err != nil || wh.Secret != sandbox.DemoWebhookSecret {
		t.Fatalf("RegisterWebhook = %+v, %v", wh, err)
	}
	p := newPayment("pay-wh", 100, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
	u, err := pr.Start(context.Background(), p, (&disk{}).save)
	if err != nil || u.Remote != driver.RemotePaid {
		t.Fatal(u, err)
	}
	e.sb.Close() // waits for deliveries
	mu.Lock()
	defer mu.Unlock()
	if !hints[p.ProviderID] {
		t.Fatalf("no hint for %s; got %v", p.ProviderID, hints)
	}
	if st := e.sb.Stats(); st.Deliveries == 0 {
		t.Fatalf("no deliveries: %+v", st)
	}
}

func TestSandboxDeliversToLoopbackOnly(t *testing.T) {
	e := newEnv(t, sandbox.Options{WebhookClient: &http.Client{Timeout: time.Second}})
	c := e.client(t)
	if _, err := c.RegisterWebhook(context.Background(), "far", "http://192.0.2.1/hook"); err != nil {
		t.Fatal(err)
	}
	pi, _ := c.CreatePaymentIntent(context.Background(), accrue.IntentRequest{Amount: 5, LookUpID: sandbox.DemoRichCode, IdempotencyKey: "k"})
	_ = pi
	e.sb.Close()
	if st := e.sb.Stats(); st.Deliveries != 0 {
		t.Fatalf("delivered to a non-loopback URL: %+v", st)
	}
}
