package accrue_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/providers/accrue"
	"github.com/terminald/terminald/providers/accrue/sandbox"
)

func TestConfigErrorsNameTheKey(t *testing.T) {
	good := sandbox.Config("http://127.0.0.1:1")
	cases := []struct {
		field string
		mod   func(*accrue.Config)
	}{
		{"accrue.base_url: required", func(c *accrue.Config) { c.BaseURL = "" }},
		{`accrue.base_url: "ftp://x"`, func(c *accrue.Config) { c.BaseURL = "ftp://x" }},
		{"accrue.client_id", func(c *accrue.Config) { c.ClientID = " " }},
		{"accrue.client_secret", func(c *accrue.Config) { c.ClientSecret = "" }},
		{`accrue.methods: unknown method "nfc"`, func(c *accrue.Config) { c.Methods = []string{"nfc"} }},
		{"MaxAttempts", func(c *accrue.Config) { c.MaxAttempts = 99 }},
		{"accrue.timeout: -1ns", func(c *accrue.Config) { c.Timeout = -1 }},
	}
	for _, tc := range cases {
		c := good
		tc.mod(&c)
		_, err := accrue.New(c, nil)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: got %v, want an error naming it", tc.field, err)
		}
	}
	if _, err := accrue.New(good, nil); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
}

func TestClientOperations(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	c := e.client(t)
	ctx := context.Background()

	w, err := c.FindWalletByPhone(ctx, sandbox.DemoRichPhone)
	if err != nil || w.ID != sandbox.DemoRichWalletID {
		t.Fatalf("FindWalletByPhone = %+v, %v", w, err)
	}
	if _, err := c.FindWalletByPhone(ctx, "+19999999999"); err == nil {
		t.Fatal("unknown phone found a wallet")
	}
	if w, err := c.GetWallet(ctx, sandbox.DemoPoorWalletID); err != nil || w.ID != sandbox.DemoPoorWalletID {
		t.Fatalf("GetWallet = %+v, %v", w, err)
	}

	pi, err := c.CreatePaymentIntent(ctx, accrue.IntentRequest{Amount: 1234, WalletID: sandbox.DemoRichWalletID, Reference: "ref-1", IdempotencyKey: "k1"})
	if err != nil || pi.Status != accrue.IntentPromotable || pi.Reference != "ref-1" || pi.ExpiresAt.IsZero() {
		t.Fatalf("CreatePaymentIntent = %+v, %v", pi, err)
	}
	if _, err := c.CreatePaymentIntent(ctx, accrue.IntentRequest{Amount: 1, WalletID: "a", LookUpID: "b", IdempotencyKey: "k"}); err == nil {
		t.Fatal("both walletId and lookUpId accepted")
	}
	got, err := c.GetPaymentIntent(ctx, pi.ID)
	if err != nil || got.ID != pi.ID || got.Amount != 1234 {
		t.Fatalf("GetPaymentIntent = %+v, %v", got, err)
	}
	pay, err := c.AuthorizePaymentIntent(ctx, pi.ID, accrue.AuthorizeRequest{Amount: 1234, Reference: "ref-1", Channel: accrue.Channel})
	if err != nil || pay.Status != accrue.PaymentCreated || pay.Amount != 1234 || pay.PaymentIntentID != pi.ID {
		t.Fatalf("AuthorizePaymentIntent = %+v, %v", pay, err)
	}
	if got, _ := c.GetPaymentIntent(ctx, pi.ID); got.Status != accrue.IntentPromotedToPayment || got.PaymentID() != pay.ID {
		t.Fatalf("intent after authorize = %+v", got)
	}
	pay, err = c.IncreaseAuthorization(ctx, pay.ID, 100)
	if err != nil || pay.Amount != 1334 {
		t.Fatalf("IncreaseAuthorization = %+v, %v", pay, err)
	}
	pay, err = c.CapturePayment(ctx, pay.ID, 1334)
	if err != nil || pay.Status != accrue.PaymentProcessing {
		t.Fatalf("CapturePayment = %+v, %v", pay, err)
	}
	e.clock.Add(3 * time.Second)
	pay, err = c.GetPayment(ctx, pay.ID)
	if err != nil || pay.Status != accrue.PaymentSent || len(pay.Captures) != 1 || pay.Captures[0].Amount != 1334 {
		t.Fatalf("GetPayment = %+v, %v", pay, err)
	}
	rf, _, err := c.RefundPayment(ctx, pay.ID, 334, "refund-1")
	if err != nil || rf.Status != accrue.RefundStatePending || rf.Amount != 334 {
		t.Fatalf("RefundPayment = %+v, %v", rf, err)
	}

	// A second intent, cancelled before authorize, and a third whose payment is cancelled.
	pi2, _ := c.CreatePaymentIntent(ctx, accrue.IntentRequest{Amount: 50, LookUpID: sandbox.DemoRichCode, IdempotencyKey: "k2"})
	if pi2, err = c.CancelPaymentIntent(ctx, pi2.ID); err != nil || pi2.Status != accrue.IntentCanceled {
		t.Fatalf("CancelPaymentIntent = %+v, %v", pi2, err)
	}
	pi3, _ := c.CreatePaymentIntent(ctx, accrue.IntentRequest{Amount: 70, LookUpID: sandbox.DemoRichCode, IdempotencyKey: "k3"})
	pay3, _ := c.AuthorizePaymentIntent(ctx, pi3.ID, accrue.AuthorizeRequest{Amount: 70})
	if pay3, err = c.CancelPayment(ctx, pay3.ID); err != nil || pay3.Status != accrue.PaymentCanceled {
		t.Fatalf("CancelPayment = %+v, %v", pay3, err)
	}
	if _, err := c.CancelPayment(ctx, pay.ID); err == nil {
		t.Fatal("cancel of a Sent payment accepted")
	}

	l, meta, err := c.ListPaymentIntents(ctx, accrue.IntentFilter{Page: accrue.Page{Limit: 2}})
	if err != nil || len(l) != 2 || meta.Total != 3 || l[0].ID != pi3.ID {
		t.Fatalf("ListPaymentIntents = %d items %+v, %v", len(l), meta, err)
	}
	l, _, _ = c.ListPaymentIntents(ctx, accrue.IntentFilter{Page: accrue.Page{Limit: 2, Offset: 2}})
	if len(l) != 1 || l[0].ID != pi.ID {
		t.Fatalf("second page = %+v", l)
	}
	ps, meta, err := c.ListPayments(ctx, accrue.PaymentFilter{Status: accrue.PaymentCanceled})
	if err != nil || len(ps) != 1 || ps[0].ID != pay3.ID || meta.Total != 1 {
		t.Fatalf("ListPayments(Canceled) = %+v %+v, %v", ps, meta, err)
	}

	wh, err := c.RegisterWebhook(ctx, "till 1", "http://127.0.0.1:9/hook")
	if err != nil || wh.Secret == "" || len(wh.Topics) != len(accrue.PaymentTopics) {
		t.Fatalf("RegisterWebhook = %+v, %v", wh, err)
	}
	if wh, err = c.UpdateWebhook(ctx, wh.ID, accrue.WebhookRequest{URL: "http://127.0.0.1:9/other", Enabled: false}); err != nil || wh.Enabled || wh.URL != "http://127.0.0.1:9/other" {
		t.Fatalf("UpdateWebhook = %+v, %v", wh, err)
	}
	if got, err := c.GetWebhook(ctx, wh.ID); err != nil || got.URL != wh.URL || got.Secret != "" {
		t.Fatalf("GetWebhook = %+v, %v", got, err)
	}
	if err := c.DeleteWebhook(ctx, wh.ID); err != nil {
		t.Fatal(err)
	}
	var ae *accrue.APIError
	if _, err := c.GetWebhook(ctx, wh.ID); !errors.As(err, &ae) || ae.HTTPStatus != 404 {
		t.Fatalf("deleted webhook: %v", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAPIErrorDecoding(t *testing.T) {
	bare := []byte(`{"id":"1","status":400,"code":"InvalidIdentifier","title":"UserValidationException","detail":"User not found.","meta":{"environment":"sandbox","timestamp":"2025-06-23T12:00:00.000Z","path":"/api/v1/users/x"}}`)
	e := accrue.DecodeAPIError("get user", 400, bare)
	if len(e.Errors) != 1 || e.Errors[0].Status != "400" || e.Errors[0].Meta == nil || e.Errors[0].Meta.Path != "/api/v1/users/x" {
		t.Fatalf("bare error object: %+v", e)
	}
	list := []byte(`{"errors":[{"status":"400","code":"InsufficientBalance","title":"x"},{"status":"400","code":"Other"}]}`)
	e = accrue.DecodeAPIError("authorize", 400, list)
	if len(e.Errors) != 2 || e.Code() != "InsufficientBalance" || e.CashierMessage() != "Insufficient balance" {
		t.Fatalf("error list: %+v %q", e, e.CashierMessage())
	}
	e = accrue.DecodeAPIError("x", 502, []byte("<html>bad gateway</html>"))
	if e.HTTPStatus != 502 || len(e.Errors) != 0 || e.CashierMessage() == "" {
		t.Fatalf("garbage error body: %+v", e)
	}
	var err error = &accrue.APIError{Op: "capture payment", HTTPStatus: 402}
	if !errors.Is(err, accrue.ErrCaptureDeclined) || driver.CashierMessage(err) != "Payment declined" {
		t.Fatalf("402 on capture: Is=%v msg=%q", errors.Is(err, accrue.ErrCaptureDeclined), driver.CashierMessage(err))
	}
	if errors.Is(&accrue.APIError{Op: "refund payment", HTTPStatus: 402}, accrue.ErrCaptureDeclined) {
		t.Fatal("402 on refund counted as capture decline")
	}
	for code, want := range map[string]string{"LinkedAccountUnverified": "Bank account not verified", "InsufficientBalance": "Insufficient balance"} {
		if got := (&accrue.APIError{HTTPStatus: 400, Errors: []accrue.ErrorObject{{Code: code}}}).CashierMessage(); got != want {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
	}
}

func TestCaptureDeclinedAtSandbox(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	c := e.client(t)
	ctx := context.Background()
	pi, _ := c.CreatePaymentIntent(ctx, accrue.IntentRequest{Amount: 100, LookUpID: sandbox.DemoDeclineCode, IdempotencyKey: "d"})
	pay, err := c.AuthorizePaymentIntent(ctx, pi.ID, accrue.AuthorizeRequest{Amount: 100})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CapturePayment(ctx, pay.ID, 100)
	var ae *accrue.APIError
	if !errors.Is(err, accrue.ErrCaptureDeclined) || !errors.As(err, &ae) || ae.HTTPStatus != 402 {
		t.Fatalf("capture: %v", err)
	}
}

func TestRetriesOnlyRetryableStatuses(t *testing.T) {
	for _, kind := range []string{sandbox.FaultServerError, sandbox.FaultRateLimit, sandbox.FaultTimeout} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			c := e.client(t)
			e.sb.AddFault(sandbox.Fault{Kind: kind, Count: 2, PathPrefix: "/api/v1/wallets/"})
			if _, err := c.GetWallet(context.Background(), sandbox.DemoRichWalletID); err != nil {
				t.Fatalf("after 2 faults: %v", err)
			}
			if n := e.sb.Requests("GET", "/api/v1/wallets/"+sandbox.DemoRichWalletID); n != 3 {
				t.Fatalf("requests = %d, want 3", n)
			}
			e.sb.AddFault(sandbox.Fault{Kind: kind, Count: 5})
			_, err := c.GetWallet(context.Background(), sandbox.DemoRichWalletID)
			if !errors.Is(err, driver.ErrUnreachable) {
				t.Fatalf("exhausted: %v", err)
			}
			if n := e.sb.Requests("GET", "/api/v1/wallets/"+sandbox.DemoRichWalletID); n != 6 {
				t.Fatalf("requests = %d, want 6 (bounded by MaxAttempts)", n)
			}
		})
	}
	t.Run("404", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{})
		c := e.client(t)
		_, err := c.CreatePaymentIntent(context.Background(), accrue.IntentRequest{Amount: 5, LookUpID: "nope", IdempotencyKey: "k"})
		var ae *accrue.APIError
		if !errors.As(err, &ae) || ae.HTTPStatus != 404 || ae.Code() != "WalletIdentifierNotFound" || errors.Is(err, driver.ErrUnreachable) {
			t.Fatalf("err = %v", err)
		}
		if n := e.sb.Requests("POST", "/api/v1/payment-intents"); n != 1 {
			t.Fatalf("a 404 was sent %d times", n)
		}
	})
}

func TestNetworkFailureIsUnreachable(t *testing.T) {
	cfg := sandbox.Config("http://127.0.0.1:1")
	cfg.MaxAttempts, cfg.RetryBase, cfg.RetryMax = 2, time.Millisecond, time.Millisecond
	c, _ := accrue.NewClient(cfg, nil)
	err := c.Ping(context.Background())
	if !errors.Is(err, driver.ErrUnreachable) || driver.CashierMessage(err) != "Provider offline" {
		t.Fatalf("err = %v", err)
	}
}

func TestGarbageAndOversizedAnswers(t *testing.T) {
	for _, kind := range []string{sandbox.FaultGarbage, sandbox.FaultOversized} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			c := e.client(t)
			// A read is repeated after an answer it did not understand...
			e.sb.AddFault(sandbox.Fault{Kind: kind})
			if _, err := c.GetWallet(context.Background(), sandbox.DemoRichWalletID); err != nil {
				t.Fatalf("after one %s answer: %v", kind, err)
			}
			// ...up to MaxAttempts; then the outcome is unknown.
			e.sb.AddFault(sandbox.Fault{Kind: kind, Count: 3})
			_, err := c.GetWallet(context.Background(), sandbox.DemoRichWalletID)
			if !errors.Is(err, accrue.ErrBadResponse) || !errors.Is(err, driver.ErrUnreachable) {
				t.Fatalf("err = %v", err)
			}
			// A call that cannot be repeated safely is not repeated.
			e.sb.AddFault(sandbox.Fault{Kind: kind})
			_, err = c.IncreaseAuthorization(context.Background(), "p", 5)
			if !errors.Is(err, driver.ErrUnreachable) || e.sb.Requests("PATCH", "/api/v1/payments/p/increase-authorization") != 1 {
				t.Fatalf("increase authorization after %s: %v", kind, err)
			}
		})
	}
}

func TestTimeoutThenRepeatChargesOnce(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.cfg.Timeout = 50 * time.Millisecond
	e.cfg.MaxAttempts = 1
	c := e.client(t)
	ctx := context.Background()
	e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: time.Second, PathPrefix: "/api/v1/payment-intents"})
	req := accrue.IntentRequest{Amount: 700, WalletID: sandbox.DemoRichWalletID, IdempotencyKey: "same-key"}
	_, err := c.CreatePaymentIntent(ctx, req)
	if !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("timed out call: %v", err)
	}
	// The repeat gets a timeout a loaded machine meets.
	e.cfg.Timeout = 5 * time.Second
	c = e.client(t)
	pi, err := c.CreatePaymentIntent(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if st := e.sb.Stats(); st.Intents != 1 {
		t.Fatalf("%d intents after a repeat, want 1", st.Intents)
	}
	// Same key, other body: refused.
	req.Amount = 701
	_, err = c.CreatePaymentIntent(ctx, req)
	var ae *accrue.APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 422 {
		t.Fatalf("key reuse: %v", err)
	}
	_ = pi
}

func TestLostRepliesNeverChargeTwice(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	c := e.client(t)
	ctx := context.Background()
	before := e.sb.Balance(sandbox.DemoRichWalletID)

	e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultDrop, PathPrefix: "/api/v1/payment-intents", Method: "POST"})
	pi, err := c.CreatePaymentIntent(ctx, accrue.IntentRequest{Amount: 1000, WalletID: sandbox.DemoRichWalletID, IdempotencyKey: "p1:intent"})
	if err != nil {
		t.Fatal(err)
	}
	e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultDrop, PathPrefix: "/api/v1/payment-intents/" + pi.ID + "/authorize"})
	pay, err := c.AuthorizePaymentIntent(ctx, pi.ID, accrue.AuthorizeRequest{Amount: 1000})
	if err != nil {
		t.Fatal(err)
	}
	e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultDrop, PathPrefix: "/api/v1/payments/" + pay.ID + "/capture"})
	pay, err = c.CapturePayment(ctx, pay.ID, 1000)
	if err != nil || !pay.Captured() {
		t.Fatalf("capture = %+v, %v", pay, err)
	}
	e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultDrop, PathPrefix: "/api/v1/payments/" + pay.ID + "/refund"})
	if _, _, err := c.RefundPayment(ctx, pay.ID, 400, "r1"); err != nil {
		t.Fatal(err)
	}
	st := e.sb.Stats()
	if st.Intents != 1 || st.Payments != 1 || st.Captures != 1 || st.Refunds != 1 {
		t.Fatalf("stats after lost replies = %+v, want one of each", st)
	}
	if got := e.sb.Balance(sandbox.DemoRichWalletID); got != before-600 {
		t.Fatalf("balance %d, want %d", got, before-600)
	}
	if n := e.sb.Requests("POST", "/api/v1/payments/"+pay.ID+"/capture"); n != 1 {
		t.Fatalf("capture sent %d times; the lookup should have found it applied", n)
	}
}

func TestSandboxHeaderChecks(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	do := func(method, path, ct, accept, auth string, body string) *accrue.APIError {
		req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader([]byte(body)))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		req.Header.Set("Client-ID", sandbox.DemoClientID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		if resp.Header.Get("Content-Type") != accrue.MediaType {
			t.Errorf("%s %s: content type %q", method, path, resp.Header.Get("Content-Type"))
		}
		return accrue.DecodeAPIError("t", resp.StatusCode, b.Bytes())
	}
	ok := "Bearer " + sandbox.DemoClientSecret
	body := `{"data":{"type":"CreatePaymentIntent","attributes":{"amount":5,"lookUpId":"` + sandbox.DemoRichCode + `"}}}`
	if e := do("GET", "/api/v1/wallets", "", accrue.MediaType, "Bearer wrong", ""); e.HTTPStatus != 401 || len(e.Errors) != 1 {
		t.Errorf("bad secret: %+v", e)
	}
	if e := do("POST", "/api/v1/payment-intents", "application/json", accrue.MediaType, ok, body); e.HTTPStatus != 415 {
		t.Errorf("wrong content type: %+v", e)
	}
	if e := do("GET", "/api/v1/wallets", "", "text/html", ok, ""); e.HTTPStatus != 406 {
		t.Errorf("wrong accept: %+v", e)
	}
	if e := do("POST", "/api/v1/payment-intents", accrue.MediaType, accrue.MediaType, ok, body); e.HTTPStatus != 201 {
		t.Errorf("good request: %+v", e)
	}
	if e := do("POST", "/api/v1/payments/x/refund", accrue.MediaType, accrue.MediaType, ok, `{"data":{"type":"RefundPayment","attributes":{"amount":5}}}`); e.HTTPStatus != 404 {
		t.Errorf("refund of unknown payment: %+v", e)
	}
}

func TestRefundRequiresIdempotencyKeyAtSandbox(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	c := e.client(t)
	ctx := context.Background()
	pi, _ := c.CreatePaymentIntent(ctx, accrue.IntentRequest{Amount: 100, LookUpID: sandbox.DemoRichCode, IdempotencyKey: "x"})
	pay, _ := c.AuthorizePaymentIntent(ctx, pi.ID, accrue.AuthorizeRequest{Amount: 100})
	c.CapturePayment(ctx, pay.ID, 100)
	err := c.PostForTest(ctx, "/api/v1/payments/"+pay.ID+"/refund", "RefundPayment", map[string]any{"amount": 10})
	var ae *accrue.APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 400 {
		t.Fatalf("refund without key: %v", err)
	}
	if _, _, err := c.RefundPayment(ctx, pay.ID, 101, "too-much"); !errors.As(err, &ae) || ae.Code() != "RefundExceedsCapturedAmount" {
		t.Fatalf("refund above capture: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, sandbox.Options{RateLimit: 2})
	c := e.client(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	err := c.Ping(ctx)
	var ae *accrue.APIError
	if !errors.Is(err, driver.ErrUnreachable) || !errors.As(err, &ae) || ae.HTTPStatus != 429 {
		t.Fatalf("over the limit: %v", err)
	}
	e.clock.Add(time.Minute)
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("next window: %v", err)
	}
}

func TestFaultsEndpoint(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	resp, err := http.Post(e.srv.URL+"/sandbox/faults", "application/json", strings.NewReader(`{"kind":"500","count":1}`))
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("faults endpoint: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, _ = http.Post(e.srv.URL+"/sandbox/faults", "application/json", strings.NewReader(`{"kind":"explode"}`))
	if resp.StatusCode != 400 {
		t.Fatalf("unknown kind accepted: %d", resp.StatusCode)
	}
	resp.Body.Close()
	c := e.client(t)
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := e.sb.Requests("GET", "/api/v1/webhooks"); n != 2 {
		t.Fatalf("requests = %d, want 2 (one injected 500)", n)
	}
}
