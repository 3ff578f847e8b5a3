package acountpay

import (
	"context"
	"errors"
	"fmt"
	"github.com/terminald/terminald/providers/acountpay/sandbox"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

var variants = []string{VariantOAuth, VariantPartner}

// TestCreateScanPay: create, scan, pay and see it paid, with both auth variants and
// against both answer shapes of the sandbox (the live service's words and string ids, and
// the seeds' words and numeric ids).
func TestCreateScanPay(t *testing.T) {
	for _, tc := range []struct{ variant, shape string }{
		{VariantOAuth, sandbox.ShapeLive}, {VariantPartner, sandbox.ShapeLive},
		{VariantOAuth, sandbox.ShapeSeed}, {VariantPartner, sandbox.ShapeSeed},
	} {
		v := tc.variant
		t.Run(v+"/"+tc.shape, func(t *testing.T) {
			e := newEnv(t, v, func(_ *Config, so *sandbox.Options) { so.Shape = tc.shape })
			ctx := context.Background()
			pay := e.payment("T1-0001", 14999)
			sv := &saver{hook: func(p *driver.Payment) {
				if p.Data["create_sent"] == "1" && len(e.sb.Payments()) != 0 {
					t.Error("create_sent saved after the create call")
				}
			}}
			u, err := e.p.Start(ctx, pay, sv.save)
			if err != nil {
				t.Fatal(err)
			}
			if sv.last() == nil || sv.last().Data["create_sent"] != "1" {
				t.Fatal("create_sent not saved before create")
			}
			if u.Remote != driver.RemotePending || u.ProviderID == "" {
				t.Fatalf("update %+v", u)
			}
			if !strings.HasPrefix(u.QR, e.srv.URL+"/pay/") {
				t.Fatalf("QR %q is not the sandbox bank page", u.QR)
			}
			if want := e.clock.Now().Add(30 * time.Minute); !u.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt %v, want %v", u.ExpiresAt, want)
			}
			ps := e.sb.Payments()
			if len(ps) != 1 || ps[0].Minor != 14999 || ps[0].Currency != "DKK" || ps[0].ReferenceNumber != "T1-0001" ||
				ps[0].Description != "Terminal 1" || ps[0].MerchantClientID != sandbox.DemoMerchantClientID {
				t.Fatalf("sandbox holds %+v", ps)
			}
			pay.ProviderID, pay.QR, pay.ExpiresAt = u.ProviderID, u.QR, u.ExpiresAt
			if u, err := e.p.Check(ctx, pay, sv.save); err != nil || u.Remote != driver.RemotePending {
				t.Fatalf("check before paying: %+v %v", u, err)
			}
			if page := openURL(t, u.QR); !strings.Contains(page, "Payment received") {
				t.Fatalf("bank page says %q", page)
			}
			u, err = e.p.Check(ctx, pay, sv.save)
			if err != nil || u.Remote != driver.RemotePaid {
				t.Fatalf("check after paying: %+v %v", u, err)
			}
		})
	}
}

func TestTokenCachedUntil300sBeforeExpiry(t *testing.T) {
	e := newEnv(t, VariantOAuth, nil)
	ctx := context.Background()
	for range 3 {
		if err := e.p.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sb.TokensIssued(); n != 1 {
		t.Fatalf("%d tokens fetched for 3 calls, want 1", n)
	}
	e.clock.Advance(3600*time.Second - 300*time.Second - time.Second)
	if err := e.p.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.sb.TokensIssued(); n != 1 {
		t.Fatalf("token refreshed %d times before 300 s early mark", n-1)
	}
	e.clock.Advance(2 * time.Second)
	if err := e.p.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.sb.TokensIssued(); n != 2 {
		t.Fatalf("%d tokens after the 300 s early mark, want 2", n)
	}
}

func TestTokenRefreshedOnceOn401(t *testing.T) {
	e := newEnv(t, VariantOAuth, nil)
	ctx := context.Background()
	if err := e.p.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	e.sb.RevokeTokens()
	if err := e.p.Ping(ctx); err != nil {
		t.Fatalf("after revoked token: %v", err)
	}
	if n := e.sb.TokensIssued(); n != 2 {
		t.Fatalf("tokens issued %d, want 2", n)
	}
	// 401 twice in a row: refreshed once, then the error surfaces.
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/", Status: http.StatusUnauthorized, Count: 2})
	err := e.p.Ping(ctx)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 401 || errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("want APIError 401, got %v", err)
	}
	if n := e.sb.TokensIssued(); n != 3 {
		t.Fatalf("tokens issued %d, want 3 (one refresh)", n)
	}
	if m := driver.CashierMessage(err); m != "AcountPay login failed" {
		t.Errorf("cashier message %q", m)
	}
}

func TestBadCredentials(t *testing.T) {
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, v, func(c *Config, _ *sandbox.Options) { c.ClientSecret = "wrong-secret-value" })
			err := e.p.Ping(context.Background())
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != "invalid_client" {
				t.Fatalf("want 401 invalid_client, got %v", err)
			}
			if strings.Contains(err.Error(), "wrong-secret-value") {
				t.Fatalf("secret in error: %v", err)
			}
		})
	}
	e := newEnv(t, VariantOAuth, func(c *Config, _ *sandbox.Options) { c.MerchantClientID = "nobody" })
	var ae *APIError
	if err := e.p.Ping(context.Background()); !errors.As(err, &ae) || ae.Status != 403 {
		t.Fatalf("unknown merchant: %v", err)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	e := newEnv(t, VariantPartner, nil)
	ctx := context.Background()
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/", Status: 429, RetryAfter: "2"})
	if err := e.p.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/", Status: 429, RetryAfter: e.clock.Now().Add(7 * time.Second).Format(http.TimeFormat)})
	if err := e.p.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.slept(); len(got) != 2 || got[0] != 2*time.Second || got[1] != 7*time.Second {
		t.Fatalf("waited %v, want [2s 7s]", got)
	}
	// Longer than MaxRetryAfter: give up at once, unreachable.
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/", Status: 429, RetryAfter: "3600"})
	err := e.p.Ping(ctx)
	var ae *APIError
	if !errors.Is(err, driver.ErrUnreachable) || !errors.As(err, &ae) || ae.Status != 429 {
		t.Fatalf("want unreachable 429, got %v", err)
	}
	if d := driver.RetryAfter(err); d != time.Hour {
		t.Fatalf("the error carries a Retry-After of %v, want 1h for the engine's schedule", d)
	}
	if len(e.slept()) != 2 {
		t.Fatalf("waited for a Retry-After beyond the bound: %v", e.slept())
	}
}

func TestTokenRateLimited(t *testing.T) {
	e := newEnv(t, VariantOAuth, func(_ *Config, so *sandbox.Options) { so.RateLimit = 1; so.RateWindow = 10 * time.Second })
	// The token uses the one request of the window; the list call is refused with
	// Retry-After, the client waits (fake) and the window has moved on.
	waited := false
	e.p.c.sleep = func(ctx context.Context, d time.Duration) error {
		waited = d > 0 && d <= time.Minute
		e.clock.Advance(d)
		return nil
	}
	if err := e.p.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !waited {
		t.Fatal("no Retry-After wait on rate limit")
	}
}

func Test5xxRetriedThenUnreachable(t *testing.T) {
	e := newEnv(t, VariantPartner, func(c *Config, _ *sandbox.Options) { c.MaxAttempts = 3 })
	ctx := context.Background()
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/", Status: 503, Count: 2})
	if err := e.p.Ping(ctx); err != nil {
		t.Fatalf("two 503 then success: %v", err)
	}
	if got := e.slept(); len(got) != 2 || got[1] != 2*got[0] {
		t.Fatalf("backoff %v, want two doubling waits", got)
	}
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/", Status: 500, Count: 10})
	before := e.requests.Load()
	err := e.p.Ping(ctx)
	if !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("want unreachable, got %v", err)
	}
	if n := e.requests.Load() - before; n != 3 {
		t.Fatalf("%d requests, want MaxAttempts=3", n)
	}
	if m := driver.CashierMessage(err); m == "" {
		t.Fatal("no cashier message")
	}
}

func TestTimeoutIsUnreachable(t *testing.T) {
	e := newEnv(t, VariantPartner, func(c *Config, _ *sandbox.Options) {
		c.Timeout = 30 * time.Millisecond
		c.MaxAttempts = 2
	})
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/", Delay: 10 * time.Second, Count: 2})
	err := e.p.Ping(context.Background())
	if !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("want unreachable, got %v", err)
	}
}

func TestGarbageAndOversizedBodies(t *testing.T) {
	e := newEnv(t, VariantOAuth, nil)
	ctx := context.Background()
	pay := e.payment("T1-0002", 100)
	u, err := e.p.Start(ctx, pay, (&saver{}).save)
	if err != nil {
		t.Fatal(err)
	}
	pay.ProviderID = u.ProviderID
	e.p.Ping(ctx) // token cached, so faults hit the status call

	// One unreadable answer is a fault: asked again, and the second answer counts.
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/partner/payments/", Garbage: true})
	if u, err := e.p.Check(ctx, pay, nil); err != nil || u.Remote != driver.RemotePending {
		t.Fatalf("one garbage answer: %+v %v", u, err)
	}
	// Unreadable on every attempt: an unknown outcome (ErrUnreachable), never an answer.
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/partner/payments/", Garbage: true, Count: DefaultMaxAttempts})
	_, err = e.p.Check(ctx, pay, nil)
	if !errors.Is(err, ErrBadResponse) || !errors.Is(err, driver.ErrUnreachable) || !strings.Contains(err.Error(), "GET /v1/partner/payments/"+u.ProviderID) {
		t.Fatalf("garbage: %v", err)
	}
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/partner/payments/", Oversized: MaxResponseBytes + 100, Count: DefaultMaxAttempts})
	if _, err = e.p.Check(ctx, pay, nil); !errors.Is(err, ErrBadResponse) || !errors.Is(err, driver.ErrUnreachable) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("oversized: %v", err)
	}
	if u, err := e.p.Check(ctx, pay, nil); err != nil || u.Remote != driver.RemotePending {
		t.Fatalf("after faults: %+v %v", u, err)
	}
}

func TestLostCreateAnswer(t *testing.T) {
	for _, f := range []sandbox.Fault{
		{Method: http.MethodPost, Path: "/v1/partner/payments", AfterServe: true, Garbage: true},
		{Method: http.MethodPost, Path: "/v1/partner/payments", AfterServe: true, Status: 502},
		{Method: http.MethodPost, Path: "/v1/partner/payments", AfterServe: true}, // connection drops
	} {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			e := newEnv(t, VariantPartner, nil)
			ctx := context.Background()
			// Start sees the create's outcome as unknown and looks the payment up.
			e.sb.InjectFault(f)
			u, err := e.p.Start(ctx, e.payment("T1-0003", 2500), (&saver{}).save)
			if err != nil || u.Remote != driver.RemotePending || u.QR == "" || u.ProviderID == "" {
				t.Fatalf("start with lost answer: %+v %v", u, err)
			}
			if n := len(e.sb.Payments()); n != 1 {
				t.Fatalf("sandbox holds %d payments, want 1", n)
			}
		})
	}
	// With a single attempt Start reports the unknown outcome; a repeated Start (as after a
	// restart) finds the payment instead of creating a second one.
	e := newEnv(t, VariantPartner, func(c *Config, _ *sandbox.Options) { c.MaxAttempts = 1 })
	ctx := context.Background()
	sv := &saver{}
	e.sb.InjectFault(sandbox.Fault{Method: http.MethodPost, Path: "/v1/partner/payments", AfterServe: true, Garbage: true})
	_, err := e.p.Start(ctx, e.payment("T1-0006", 2500), sv.save)
	if !errors.Is(err, driver.ErrUnreachable) || !errors.Is(err, ErrBadResponse) {
		t.Fatalf("garbage create answer must be an unknown outcome, got %v", err)
	}
	u, err := e.p.Start(ctx, sv.last(), sv.save)
	if err != nil || u.Remote != driver.RemotePending || u.QR == "" {
		t.Fatalf("repeated start: %+v %v", u, err)
	}
	if n, c := len(e.sb.Payments()), e.sb.CreateCalls(); n != 1 || c != 1 {
		t.Fatalf("sandbox holds %d payments after %d creates, want 1 and 1", n, c)
	}
}

func TestCrashBetweenCreateAndStore(t *testing.T) {
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, v, nil)
			ctx := context.Background()
			pay := e.payment("T1-0004", 4200)
			sv := &saver{}
			first, err := e.p.Start(ctx, pay, sv.save)
			if err != nil {
				t.Fatal(err)
			}
			// Crash: the answer never reached the disk. What is on disk:
			disk := sv.last()
			if disk.ProviderID != "" {
				t.Fatal("test setup: ProviderID on disk")
			}
			u, err := e.p.Check(ctx, disk.Clone(), sv.save)
			if err != nil || u.Remote != driver.RemotePending || u.ProviderID != first.ProviderID {
				t.Fatalf("check by reference: %+v %v", u, err)
			}
			u, err = e.p.Start(ctx, disk.Clone(), sv.save)
			if err != nil || u.ProviderID != first.ProviderID || u.QR != first.QR {
				t.Fatalf("repeated start: %+v %v (first %+v)", u, err, first)
			}
			if n := len(e.sb.Payments()); n != 1 {
				t.Fatalf("sandbox holds %d payments, want exactly 1", n)
			}
			if n := e.sb.CreateCalls(); n != 1 {
				t.Fatalf("%d create calls, want 1", n)
			}
			// A payment that never reached AcountPay.
			u, err = e.p.Check(ctx, e.payment("T1-NEVER", 100), sv.save)
			if err != nil || u.Remote != driver.RemoteNotFound {
				t.Fatalf("never created: %+v %v", u, err)
			}
		})
	}
}

func TestFindByReferenceWalksPages(t *testing.T) {
	e := newEnv(t, VariantOAuth, func(c *Config, _ *sandbox.Options) { c.ListPageSize = 2; c.MaxListPages = 3 })
	ctx := context.Background()
	for i := range 6 {
		if _, err := e.p.Start(ctx, e.payment(fmt.Sprintf("R-%d", i), 100+int64(i)), (&saver{}).save); err != nil {
			t.Fatal(err)
		}
	}
	// Newest first: R-0 is on page 3.
	u, err := e.p.Check(ctx, e.payment("R-0", 100), nil)
	if err != nil || u.Remote != driver.RemotePending {
		t.Fatalf("oldest: %+v %v", u, err)
	}
	if _, err := e.p.Start(ctx, e.payment("R-6", 106), (&saver{}).save); err != nil {
		t.Fatal(err)
	}
	// Now R-0 is beyond the bound of 3 pages: an error, not "not found".
	u, err = e.p.Check(ctx, e.payment("R-0", 100), nil)
	if err == nil || u.Remote == driver.RemoteNotFound {
		t.Fatalf("beyond the page bound: %+v %v", u, err)
	}
}

func TestDuplicateReferenceAdopted(t *testing.T) {
	e := newEnv(t, VariantOAuth, nil)
	ctx := context.Background()
	first, err := e.p.Start(ctx, e.payment("T1-0005", 990), (&saver{}).save)
	if err != nil {
		t.Fatal(err)
	}
	// A record that lost even create_sent: the 409 leads to the existing payment.
	u, err := e.p.Start(ctx, e.payment("T1-0005", 990), (&saver{}).save)
	if err != nil || u.ProviderID != first.ProviderID {
		t.Fatalf("409 not resolved: %+v %v", u, err)
	}
	if n := len(e.sb.Payments()); n != 1 {
		t.Fatalf("%d payments", n)
	}
	// Same reference, different amount: never adopted.
	if _, err := e.p.Start(ctx, e.payment("T1-0005", 991), (&saver{}).save); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("amount mismatch adopted: %v", err)
	}
}

func TestExpiryAndFailure(t *testing.T) {
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, v, nil)
			ctx := context.Background()
			start := func(id string) *driver.Payment {
				pay := e.payment(id, 5000)
				u, err := e.p.Start(ctx, pay, (&saver{}).save)
				if err != nil {
					t.Fatal(err)
				}
				pay.ProviderID = u.ProviderID
				return pay
			}
			a, b, c := start("E-1"), start("E-2"), start("E-3")
			resp, err := http.Post(e.srv.URL+"/sandbox/payments/"+b.ProviderID+"/fail", "application/json", nil)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("fail control: %v %v", resp, err)
			}
			resp.Body.Close()
			resp, err = http.Post(e.srv.URL+"/sandbox/payments/"+c.ProviderID+"/expire", "application/json", nil)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("expire control: %v %v", resp, err)
			}
			resp.Body.Close()
			if u, err := e.p.Check(ctx, b, nil); err != nil || u.Remote != driver.RemoteFailed || u.Reason == "" {
				t.Fatalf("failed: %+v %v", u, err)
			}
			if u, err := e.p.Check(ctx, c, nil); err != nil || u.Remote != driver.RemoteExpired {
				t.Fatalf("expired by control: %+v %v", u, err)
			}
			e.clock.Advance(29 * time.Minute)
			if u, err := e.p.Check(ctx, a, nil); err != nil || u.Remote != driver.RemotePending {
				t.Fatalf("at 29 min: %+v %v", u, err)
			}
			e.clock.Advance(time.Minute)
			if u, err := e.p.Check(ctx, a, nil); err != nil || u.Remote != driver.RemoteExpired {
				t.Fatalf("at 30 min: %+v %v", u, err)
			}
		})
	}
}

func TestCancelCannot(t *testing.T) {
	e := newEnv(t, VariantOAuth, nil)
	_, err := e.p.Cancel(context.Background(), e.payment("C-1", 100), nil)
	if !errors.Is(err, driver.ErrCannotCancel) {
		t.Fatalf("want ErrCannotCancel, got %v", err)
	}
}

func TestAPIErrorShapes(t *testing.T) {
	c := &client{cfg: Config{ClientSecret: "s3cret-value"}}
	for _, tc := range []struct{ body, code, msg string }{
		{`{"error":"invalid_grant","error_description":"Invalid grant type"}`, "invalid_grant", "Invalid grant type"},
		{`{"message":"amount must be at least 0.01"}`, "", "amount must be at least 0.01"},
		{`{"error":"Something broke"}`, "", "Something broke"},
		{`{"error":{"code":"E42","message":"nope"}}`, "E42", "nope"},
		{`{"errors":[{"field":"amount","message":"too small"},"other"]}`, "", "amount: too small; other"},
		{`{"message":"bad secret s3cret-value"}`, "", "bad secret [redacted]"},
		{`<html>oops</html>`, "", "<html>oops</html>"},
	} {
		e := c.apiError("POST /x", 400, []byte(tc.body))
		if e.Code != tc.code || e.Message != tc.msg {
			t.Errorf("%s → code %q msg %q, want %q %q", tc.body, e.Code, e.Message, tc.code, tc.msg)
		}
	}
}

func TestConfigErrorsNameKeys(t *testing.T) {
	_, err := New(Config{BaseURL: "ftp://x", Variant: "soap", Timeout: -1}, nil)
	for _, f := range []string{`base_url: "ftp://x"`, `variant: "soap"`, "client_id", "client_secret", "merchant_client_id", "timeout: -1ns"} {
		if err == nil || !strings.Contains(err.Error(), "acountpay."+f) {
			t.Errorf("error %v does not name %s", err, f)
		}
	}
	p, err := New(Config{BaseURL: "https://api.example.test/v1/partner/", ClientID: "a", ClientSecret: "b", MerchantClientID: "m"}, nil)
	if err != nil || p.cfg.BaseURL != "https://api.example.test" || p.cfg.Variant != VariantOAuth || p.cfg.Expiry != 30*time.Minute {
		t.Fatalf("defaults: %+v %v", p, err)
	}
}

// TestAmountsExactOnTheWire: amounts from minor units go over the wire as decimals and
// come back exact, with no float anywhere.
func TestAmountsExactOnTheWire(t *testing.T) {
	e := newEnv(t, VariantPartner, nil)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	amounts := []money.Amount{
		money.New(1, "DKK"), money.New(9, "DKK"), money.New(10, "DKK"), money.New(99, "DKK"),
		money.New(101, "DKK"), money.New(14999, "DKK"), money.New(1_000_000_000_01, "DKK"),
		money.New(money.MaxMinor, "DKK"), money.New(1, "ISK"), money.New(123456789, "ISK"), money.New(7, "EUR"),
	}
	for range 150 {
		amounts = append(amounts, money.New(1+r.Int64N(money.MaxMinor), "DKK"))
	}
	for i, a := range amounts {
		pay := e.payment(fmt.Sprintf("P-%d", i), 0)
		pay.Amount = a
		u, err := e.p.Start(ctx, pay, (&saver{}).save)
		if err != nil {
			t.Fatalf("%v: %v", a, err)
		}
		pay.ProviderID = u.ProviderID
		if _, err := e.p.Check(ctx, pay, nil); err != nil { // compares the amount it reads back
			t.Fatalf("%v: check: %v", a, err)
		}
	}
	for i, sp := range e.sb.Payments() {
		if sp.Minor != amounts[i].Minor || sp.Currency != amounts[i].Currency {
			t.Fatalf("sent %v, sandbox holds %d %s", amounts[i], sp.Minor, sp.Currency)
		}
	}
}

// After a restart the engine abandons a payment nobody waits for (README, "Same crash,
// same outcome"): Check only reports it, and Cancel says AcountPay has none, so the
// engine cancels it locally and watches it for a late payment.
func TestRestartAbandonedPaymentIsOnlyReported(t *testing.T) {
	e := newEnv(t, VariantOAuth, nil)
	ctx := context.Background()
	sv := &saver{}
	if _, err := e.p.Start(ctx, e.payment("T1-RESTART", 4200), sv.save); err != nil {
		t.Fatal(err)
	}
	disk := sv.last().Clone()
	disk.StopRequested = func() bool { return true }
	if u, err := e.p.Check(ctx, disk, sv.save); err != nil || u.Remote != driver.RemotePending {
		t.Fatalf("Check after restart = %+v, %v", u, err)
	}
	if _, err := e.p.Cancel(ctx, disk, sv.save); !errors.Is(err, driver.ErrCannotCancel) {
		t.Fatalf("Cancel = %v, want driver.ErrCannotCancel", err)
	}
	if n := e.sb.CreateCalls(); n != 1 {
		t.Fatalf("%d create calls, want 1", n)
	}
}
