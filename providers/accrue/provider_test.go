package accrue_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/accrue"
	"github.com/terminald/terminald/providers/accrue/sandbox"
)

func TestNextStep(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	pr := e.provider(t)
	ctx := context.Background()
	p := newPayment("p", 100, nil)
	st, _ := pr.NextStep(ctx, p)
	if st == nil || st.Key != accrue.KeyMethod || len(st.Options) != 2 || st.Options[0] != accrue.OptionScan || st.Options[1] != accrue.OptionPhone {
		t.Fatalf("first step = %+v", st)
	}
	p.Data = map[string]string{accrue.KeyMethod: accrue.OptionScan}
	st, _ = pr.NextStep(ctx, p)
	if st == nil || st.Key != accrue.KeyCode || !st.Scan || !st.Text || st.Prompt != "Scan wallet code" {
		t.Fatalf("scan step = %+v", st)
	}
	p.Data[accrue.KeyCode] = sandbox.DemoRichCode
	if st, _ = pr.NextStep(ctx, p); st != nil {
		t.Fatalf("after the code: %+v", st)
	}
	p.Data = map[string]string{accrue.KeyMethod: accrue.OptionPhone}
	st, _ = pr.NextStep(ctx, p)
	if st == nil || st.Key != accrue.KeyPhone || !st.Text || st.Scan {
		t.Fatalf("phone step = %+v", st)
	}

	e.cfg.Methods = []string{accrue.MethodPhone}
	pr = e.provider(t)
	st, _ = pr.NextStep(ctx, newPayment("q", 100, nil))
	if st == nil || st.Key != accrue.KeyPhone {
		t.Fatalf("fixed method: first step = %+v", st)
	}
}

func TestScanPathPaid(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	pr := e.provider(t)
	d := &disk{}
	before := e.sb.Balance(sandbox.DemoRichWalletID)
	p := newPayment("pay-scan", 1999, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
	u, err := pr.Start(context.Background(), p, d.save)
	if err != nil || u.Remote != driver.RemotePaid || u.QR != "" || u.ProviderID == "" {
		t.Fatalf("Start = %+v, %v", u, err)
	}
	if p.ProviderID != u.ProviderID || d.last.Data[accrue.DataKeyPayment] == "" || d.last.Data[accrue.DataKeyCapture] != "done" {
		t.Fatalf("saved data = %+v", d.last.Data)
	}
	if got := e.sb.Balance(sandbox.DemoRichWalletID); got != before-1999 {
		t.Fatalf("balance %d, want %d", got, before-1999)
	}
	// Checking again later changes nothing and charges nothing.
	e.clock.Add(time.Minute)
	u, err = pr.Check(context.Background(), p, d.save)
	if err != nil || u.Remote != driver.RemotePaid {
		t.Fatalf("Check = %+v, %v", u, err)
	}
	if st := e.sb.Stats(); st.Captures != 1 || st.Payments != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPhonePathPaid(t *testing.T) {
	e := newEnv(t, sandbox.Options{CaptureWait: time.Second})
	pr := e.provider(t)
	d := &disk{}
	p := newPayment("pay-phone", 2500, map[string]string{accrue.KeyMethod: accrue.OptionPhone, accrue.KeyPhone: "(212) 555-0001"})
	u, err := pr.Start(context.Background(), p, d.save)
	if err != nil || u.Remote != driver.RemotePending || u.Detail != "Waiting for Accrue" {
		t.Fatalf("Start in the capture waiting period = %+v, %v", u, err)
	}
	if p.Data[accrue.DataKeyWallet] != sandbox.DemoRichWalletID {
		t.Fatalf("wallet = %q", p.Data[accrue.DataKeyWallet])
	}
	e.clock.Add(time.Second)
	u, err = pr.Check(context.Background(), p, d.save)
	if err != nil || u.Remote != driver.RemotePaid {
		t.Fatalf("Check = %+v, %v", u, err)
	}
	if st := e.sb.Stats(); st.Captures != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestUnknownPhoneFails(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	pr := e.provider(t)
	p := newPayment("p", 100, map[string]string{accrue.KeyMethod: accrue.OptionPhone, accrue.KeyPhone: "+19995550000"})
	u, err := pr.Start(context.Background(), p, (&disk{}).save)
	if err != nil || u.Remote != driver.RemoteFailed || u.Reason == "" {
		t.Fatalf("Start = %+v, %v", u, err)
	}
}

func TestIntentErrorsFailWithReason(t *testing.T) {
	cases := []struct{ code, reason string }{
		{sandbox.DemoPoorCode, "Insufficient balance"},
		{sandbox.DemoUnverifiedCode, "Bank account not verified"},
		{sandbox.DemoDeclineCode, "Payment declined"},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			pr := e.provider(t)
			before := map[string]int64{sandbox.DemoPoorCode: sandbox.DemoPoorBalance, sandbox.DemoUnverifiedCode: 100_000_000, sandbox.DemoDeclineCode: 100_000_000}
			p := newPayment("p-"+tc.code, sandbox.DemoPoorBalance+1, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: tc.code})
			u, err := pr.Start(context.Background(), p, (&disk{}).save)
			if err != nil || u.Remote != driver.RemoteFailed || u.Reason != tc.reason {
				t.Fatalf("Start = %+v, %v; want failed %q", u, err, tc.reason)
			}
			// Asking again later gives the same answer and leaves the customer's money alone.
			u, err = pr.Check(context.Background(), p, (&disk{}).save)
			if err != nil || u.Remote != driver.RemoteFailed || u.Reason != tc.reason {
				t.Fatalf("Check = %+v, %v; want failed %q", u, err, tc.reason)
			}
			if st := e.sb.Stats(); st.Captures != 0 {
				t.Fatalf("captured: %+v", st)
			}
			w := map[string]string{sandbox.DemoPoorCode: sandbox.DemoPoorWalletID, sandbox.DemoUnverifiedCode: sandbox.DemoUnverifiedWalletID, sandbox.DemoDeclineCode: sandbox.DemoDeclineWalletID}[tc.code]
			if got := e.sb.Balance(w); got != before[tc.code] {
				t.Fatalf("balance %d, want %d (funds released)", got, before[tc.code])
			}
		})
	}
}

func TestCancelBeforeCapture(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	pr := e.provider(t)
	d := &disk{}
	before := e.sb.Balance(sandbox.DemoRichWalletID)
	// Captures fail (500) until the retries run out: the payment stays authorized.
	e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 3, PathPrefix: "/api/v1/payments/", Method: "POST"})
	p := newPayment("pay-c", 800, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
	if _, err := pr.Start(context.Background(), p, d.save); !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("Start: %v", err)
	}
	u, err := pr.Cancel(context.Background(), p, d.save)
	if err != nil || u.Remote != driver.RemoteCancelled {
		t.Fatalf("Cancel = %+v, %v", u, err)
	}
	if got := e.sb.Balance(sandbox.DemoRichWalletID); got != before {
		t.Fatalf("balance %d after cancel, want %d", got, before)
	}
	// A check after the cancel must not capture.
	u, err = pr.Check(context.Background(), p, d.save)
	if err != nil || u.Remote != driver.RemoteCancelled {
		t.Fatalf("Check after cancel = %+v, %v", u, err)
	}
	if st := e.sb.Stats(); st.Captures != 0 {
		t.Fatalf("captured after cancel: %+v", st)
	}
}

func TestCancelIntentBeforeAuthorize(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	pr := e.provider(t)
	d := &disk{}
	e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 3, PathPrefix: "/api/v1/payment-intents/", Method: "POST"})
	p := newPayment("pay-i", 800, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
	if _, err := pr.Start(context.Background(), p, d.save); !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("Start: %v", err)
	}
	u, err := pr.Cancel(context.Background(), p, d.save)
	if err != nil || u.Remote != driver.RemoteCancelled {
		t.Fatalf("Cancel = %+v, %v", u, err)
	}
	if st := e.sb.Stats(); st.Payments != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCancelAfterCaptureCannot(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	pr := e.provider(t)
	d := &disk{}
	p := newPayment("pay-x", 300, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
	if u, err := pr.Start(context.Background(), p, d.save); err != nil || u.Remote != driver.RemotePaid {
		t.Fatal(u, err)
	}
	if _, err := pr.Cancel(context.Background(), p, d.save); !errors.Is(err, driver.ErrCannotCancel) {
		t.Fatalf("Cancel after capture: %v", err)
	}
	// Even when the local marker was lost (crash), the payment's state says no.
	delete(p.Data, accrue.DataKeyCapture)
	if _, err := pr.Cancel(context.Background(), p, d.save); !errors.Is(err, driver.ErrCannotCancel) {
		t.Fatalf("Cancel after capture without marker: %v", err)
	}
}

// TestCrashRecovery stops after each money-moving call applied but before its answer was
// stored, restarts with what was on disk and checks that Check finishes the payment with
// exactly one intent, one payment and one capture.
func TestCrashRecovery(t *testing.T) {
	for _, step := range []string{"create", "authorize", "capture"} {
		t.Run(step, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			e.cfg.MaxAttempts = 1
			pr := e.provider(t)
			d := &disk{}
			before := e.sb.Balance(sandbox.DemoRichWalletID)
			switch step {
			case "create":
				e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultDrop, Method: "POST", PathPrefix: "/api/v1/payment-intents"})
			case "authorize":
				e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultDrop, Method: "POST", PathPrefix: "/api/v1/payment-intents/"})
				// The look-up after the lost answer fails too: the outcome stays unknown.
				e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultServerError, Method: "GET"})
			case "capture":
				e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultDrop, Method: "POST", PathPrefix: "/api/v1/payments/"})
				e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultServerError, Method: "GET"})
			}
			p := newPayment("pay-"+step, 1500, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
			if _, err := pr.Start(context.Background(), p, d.save); !errors.Is(err, driver.ErrUnreachable) {
				t.Fatalf("Start: %v", err)
			}
			// Restart: new provider, the payment as it was on disk.
			pr2 := e.provider(t)
			p2 := d.reload()
			u, err := pr2.Check(context.Background(), p2, d.save)
			if err != nil || u.Remote != driver.RemotePaid {
				t.Fatalf("Check after restart = %+v, %v", u, err)
			}
			st := e.sb.Stats()
			if st.Intents != 1 || st.Payments != 1 || st.Captures != 1 {
				t.Fatalf("stats %+v, want one of each", st)
			}
			if got := e.sb.Balance(sandbox.DemoRichWalletID); got != before-1500 {
				t.Fatalf("charged %d, want 1500", before-got)
			}
		})
	}
}

func TestCheckWithoutCreateIsNotFound(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	pr := e.provider(t)
	// Never sent.
	u, err := pr.Check(context.Background(), newPayment("a", 1, nil), (&disk{}).save)
	if err != nil || u.Remote != driver.RemoteNotFound {
		t.Fatalf("Check = %+v, %v", u, err)
	}
	// Intent key saved, but the create never arrived.
	u, err = pr.Check(context.Background(), newPayment("b", 1, map[string]string{accrue.DataKeyIntentKey: "b:intent"}), (&disk{}).save)
	if err != nil || u.Remote != driver.RemoteNotFound {
		t.Fatalf("Check = %+v, %v", u, err)
	}
}

func TestIntentExpires(t *testing.T) {
	e := newEnv(t, sandbox.Options{IntentTTL: time.Minute})
	c := e.client(t)
	pi, _ := c.CreatePaymentIntent(context.Background(), accrue.IntentRequest{Amount: 5, LookUpID: sandbox.DemoRichCode, Reference: "exp", IdempotencyKey: "exp:intent"})
	e.clock.Add(2 * time.Minute)
	pr := e.provider(t)
	p := newPayment("exp", 5, map[string]string{accrue.DataKeyIntentKey: "exp:intent", accrue.DataKeyIntent: pi.ID})
	u, err := pr.Check(context.Background(), p, (&disk{}).save)
	if err != nil || u.Remote != driver.RemoteExpired {
		t.Fatalf("Check = %+v, %v", u, err)
	}
}

func TestRefunds(t *testing.T) {
	e := newEnv(t, sandbox.Options{RefundAfter: time.Second})
	pr := e.provider(t)
	d := &disk{}
	ctx := context.Background()
	p := newPayment("pay-r", 5000, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
	if u, err := pr.Start(ctx, p, d.save); err != nil || u.Remote != driver.RemotePaid {
		t.Fatal(u, err)
	}
	if pr.RefundNeedsDestination() {
		t.Fatal("needs destination")
	}
	var saved *driver.Refund
	saveR := func(r *driver.Refund) error { c := *r; saved = &c; return nil }

	partial := &driver.Refund{ID: "ref-1", Amount: money.New(1200, "USD")}
	e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultDrop, PathPrefix: "/api/v1/payments/", Method: "POST"})
	ru, err := pr.Refund(ctx, p, partial, saveR)
	if err != nil || ru.State != driver.RefundSent || ru.ProviderID == "" || saved == nil || saved.ProviderID != ru.ProviderID {
		t.Fatalf("partial refund = %+v, %v (saved %+v)", ru, err, saved)
	}
	// Repeating the same refund (a restart that lost the answer) is the same refund.
	again := &driver.Refund{ID: "ref-1", Amount: money.New(1200, "USD")}
	ru2, err := pr.Refund(ctx, p, again, saveR)
	if err != nil || ru2.ProviderID != ru.ProviderID {
		t.Fatalf("repeated refund = %+v, %v", ru2, err)
	}
	e.clock.Add(time.Second)
	ru, err = pr.CheckRefund(ctx, p, partial)
	if err != nil || ru.State != driver.RefundDone {
		t.Fatalf("CheckRefund = %+v, %v", ru, err)
	}
	rest := &driver.Refund{ID: "ref-2", Amount: money.New(3800, "USD")}
	if ru, err = pr.Refund(ctx, p, rest, saveR); err != nil || ru.State != driver.RefundSent {
		t.Fatalf("rest refund = %+v, %v", ru, err)
	}
	over := &driver.Refund{ID: "ref-3", Amount: money.New(1, "USD")}
	if ru, err = pr.Refund(ctx, p, over, saveR); err != nil || ru.State != driver.RefundFailed || ru.Reason == "" {
		t.Fatalf("refund beyond the payment = %+v, %v", ru, err)
	}
	if st := e.sb.Stats(); st.Refunds != 2 {
		t.Fatalf("refunds at the sandbox = %d, want 2", st.Refunds)
	}
}

func TestStartRefusesOtherCurrencies(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	pr := e.provider(t)
	p := newPayment("eur", 100, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
	p.Amount.Currency = "EUR"
	if _, err := pr.Start(context.Background(), p, (&disk{}).save); err == nil {
		t.Fatal("EUR accepted")
	}
}

func TestPing(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if err := e.provider(t).Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.cfg.ClientSecret = "wrong"
	err := e.provider(t).Ping(context.Background())
	var ae *accrue.APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 401 || driver.CashierMessage(err) != "Accrue: check credentials" {
		t.Fatalf("Ping with a wrong secret: %v", err)
	}
}

// amountRewriter serves the sandbox but shows every Payment's amount as got instead of
// want, as an Accrue that authorized another amount would.
func amountRewriter(h http.Handler, want, got int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		if strings.Contains(r.URL.Path, "/authorize") || strings.HasPrefix(r.URL.Path, "/api/v1/payments/") {
			b = bytes.ReplaceAll(b, []byte(fmt.Sprintf(`"amount":%d`, want)), []byte(fmt.Sprintf(`"amount":%d`, got)))
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(b)
	})
}

// TestAmountMismatchKeepsPaymentOpenAndFlagged: a Payment whose amount is not the sale's
// is never captured or reported paid; the payment stays open (outcome not understood)
// and is flagged.
func TestAmountMismatchKeepsPaymentOpenAndFlagged(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	srv := httptest.NewServer(amountRewriter(e.sb, 1500, 1400))
	defer srv.Close()
	e.cfg.BaseURL = srv.URL
	pr := e.provider(t)
	d := &disk{}
	before := e.sb.Balance(sandbox.DemoRichWalletID)
	p := newPayment("pay-mismatch", 1500, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
	u, err := pr.Start(context.Background(), p, d.save)
	if !errors.Is(err, accrue.ErrAmountMismatch) || !errors.Is(err, driver.ErrUnreachable) || u.Remote == driver.RemotePaid {
		t.Fatalf("Start = %+v, %v; want an amount mismatch that keeps it open", u, err)
	}
	if a := driver.AttentionOf(err); a != "Amount differs at Accrue" {
		t.Fatalf("attention %q, want the engine to flag the payment", a)
	}
	if m := driver.CashierMessage(err); m != "Amount differs at Accrue: check" {
		t.Fatalf("cashier message %q", m)
	}
	if f := d.last.Data[accrue.KeyFlag]; !strings.Contains(f, "1400") || !strings.Contains(f, "1500") {
		t.Fatalf("flag = %q", f)
	}
	for i := 0; i < 2; i++ {
		u, err = pr.Check(context.Background(), d.reload(), d.save)
		if !errors.Is(err, accrue.ErrAmountMismatch) || u.Remote == driver.RemotePaid {
			t.Fatalf("Check = %+v, %v", u, err)
		}
	}
	if st := e.sb.Stats(); st.Captures != 0 || st.Payments != 1 {
		t.Fatalf("stats %+v: captured a mismatched payment", st)
	}
	if after := e.sb.Balance(sandbox.DemoRichWalletID); after != before-1500 {
		t.Fatalf("balance moved by %d; the authorization is held, nothing captured", before-after)
	}
}

// TestCancelWithoutIntentCancelEndpoint: Accrue's OpenAPI files publish no intent cancel.
// When it answers 404, an unauthorized intent is cancelled locally and never authorized.
func TestCancelWithoutIntentCancelEndpoint(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/api/v1/payment-intents/") && strings.HasSuffix(r.URL.Path, "/cancel") {
			w.Header().Set("Content-Type", accrue.MediaType)
			w.WriteHeader(404)
			w.Write([]byte(`{"id":"x","status":404,"title":"NotFoundException","detail":"Cannot POST","meta":{"environment":"sandbox"}}`))
			return
		}
		e.sb.ServeHTTP(w, r)
	}))
	defer srv.Close()
	e.cfg.BaseURL = srv.URL
	pr := e.provider(t)
	d := &disk{}
	// Authorize never gets through: the intent stays Promotable.
	e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 3, PathPrefix: "/api/v1/payment-intents/", Method: "POST"})
	p := newPayment("pay-noend", 800, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
	if _, err := pr.Start(context.Background(), p, d.save); !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("Start: %v", err)
	}
	u, err := pr.Cancel(context.Background(), d.reload(), d.save)
	if err != nil || u.Remote != driver.RemoteCancelled {
		t.Fatalf("Cancel = %+v, %v", u, err)
	}
	// Watching the cancelled payment later never authorizes it.
	if u, err = pr.Check(context.Background(), d.reload(), d.save); err != nil || u.Remote == driver.RemotePaid {
		t.Fatalf("Check after cancel = %+v, %v", u, err)
	}
	if st := e.sb.Stats(); st.Payments != 0 {
		t.Fatalf("stats %+v: a cancelled intent was authorized", st)
	}
}

// TestRestartAbandonsUncapturedPayment: after a restart nobody waits at the till
// (the engine asks the payment stopped): an interrupted Accrue payment is neither
// authorized nor captured by Check, and Cancel releases what was authorized.
func TestRestartAbandonsUncapturedPayment(t *testing.T) {
	for _, step := range []string{"create", "authorize"} {
		t.Run(step, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			e.cfg.MaxAttempts = 1
			pr := e.provider(t)
			d := &disk{}
			before := e.sb.Balance(sandbox.DemoRichWalletID)
			switch step {
			case "create": // the create applied, its answer and the look-up were lost
				e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultDrop, Method: "POST", PathPrefix: "/api/v1/payment-intents"})
			case "authorize":
				e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultDrop, Method: "POST", PathPrefix: "/api/v1/payment-intents/"})
				e.sb.AddFault(sandbox.Fault{Kind: sandbox.FaultServerError, Method: "GET"})
			}
			p := newPayment("pay-abandon-"+step, 1200, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
			if _, err := pr.Start(context.Background(), p, d.save); !errors.Is(err, driver.ErrUnreachable) {
				t.Fatalf("Start: %v", err)
			}
			p2 := d.reload()
			p2.StopRequested = func() bool { return true } // restart: the engine abandons it
			u, err := e.provider(t).Check(context.Background(), p2, d.save)
			if err != nil || u.Remote == driver.RemotePaid {
				t.Fatalf("Check after restart = %+v, %v", u, err)
			}
			if st := e.sb.Stats(); st.Captures != 0 || (step == "create" && st.Payments != 0) {
				t.Fatalf("stats %+v: moved money for an abandoned payment", st)
			}
			p3 := d.reload()
			p3.StopRequested = p2.StopRequested
			if u, err = e.provider(t).Cancel(context.Background(), p3, d.save); err != nil || u.Remote != driver.RemoteCancelled {
				t.Fatalf("Cancel = %+v, %v", u, err)
			}
			if after := e.sb.Balance(sandbox.DemoRichWalletID); after != before {
				t.Fatalf("wallet holds %d after the release, want %d", after, before)
			}
		})
	}
}
