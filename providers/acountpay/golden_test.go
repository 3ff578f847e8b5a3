package acountpay

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

// rawProvider is a Provider (partner variant) whose server answers every request with
// the body that answer returns.
func rawProvider(t *testing.T, logger *slog.Logger, answer func(r *http.Request) (int, []byte)) (*Provider, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		code, body := answer(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	p, err := New(Config{BaseURL: srv.URL, Variant: VariantPartner, ClientID: "partner", ClientSecret: "partner-secret",
		MerchantClientID: "m-1", MaxAttempts: 1}, logger)
	if err != nil {
		t.Fatal(err)
	}
	p.c.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return p, &n
}

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenStatusReplies decodes status answers in the live shape (AcountPay's own
// vocabulary, as its shop plugin reads it) and in the seed shapes, and checks what the
// terminal makes of each: paid, failed, expired, kept open for a person, or refused.
func TestGoldenStatusReplies(t *testing.T) {
	for _, tc := range []struct {
		file      string
		remote    driver.Remote
		detail    string // prefix
		reason    string
		mismatch  bool
		attention bool
	}{
		{file: "live_status_settled.json", remote: driver.RemotePaid, detail: "Paid"},
		{file: "live_status_success_string_amount.json", remote: driver.RemotePaid, detail: "Paid"},
		{file: "live_status_processing_internal_authorized.json", remote: driver.RemotePaid, detail: "Paid (authorized"},
		{file: "live_status_failure_expired.json", remote: driver.RemoteExpired, reason: "Payment expired"},
		{file: "live_status_canceled.json", remote: driver.RemoteFailed, reason: "Cancelled at the bank"},
		{file: "live_status_partially_refunded.json", remote: driver.RemotePending, detail: "Needs attention: partly refunded", attention: true},
		{file: "live_status_unknown_word.json", remote: driver.RemotePending, detail: `Needs attention: AcountPay status "awaiting_sca"`, attention: true},
		{file: "live_status_three_decimals.json", mismatch: true},
		{file: "seed_status_oauth_completed.json", remote: driver.RemotePaid, detail: "Paid"},
		{file: "seed_status_partner_pending.json", remote: driver.RemotePending, detail: "Waiting for customer"},
		{file: "seed_status_wrapped_paid.json", remote: driver.RemotePaid, detail: "Paid"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body := golden(t, tc.file)
			p, _ := rawProvider(t, nil, func(*http.Request) (int, []byte) { return 200, body })
			pay := &driver.Payment{ID: "T1-0001", Amount: money.New(14999, "DKK"), ProviderID: "1042"}
			u, err := p.Check(context.Background(), pay, func(*driver.Payment) error { return nil })
			if tc.mismatch {
				if !errors.Is(err, ErrAmountMismatch) || u.Remote == driver.RemotePaid {
					t.Fatalf("want ErrAmountMismatch and no state, got %v %v", u.Remote, err)
				}
				if !strings.Contains(err.Error(), `"1.499"`) {
					t.Errorf("error %q does not name the amount", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.Remote != tc.remote || !strings.HasPrefix(u.Detail, tc.detail) || u.Reason != tc.reason {
				t.Fatalf("got %v %q %q, want %v %q… %q", u.Remote, u.Detail, u.Reason, tc.remote, tc.detail, tc.reason)
			}
			if got := strings.HasPrefix(u.Detail, "Needs attention"); got != tc.attention {
				t.Errorf("attention %v, want %v", got, tc.attention)
			}
			if got := u.Attention != ""; got != tc.attention {
				t.Errorf("Update.Attention %q, want set %v", u.Attention, tc.attention)
			}
		})
	}
}

// TestAmountWithTooManyDecimalsNeverPaid: "1.499" (or "149.991") for a 149.99 DKK
// payment is refused in every answer that carries it, also when the status says paid.
func TestAmountWithTooManyDecimalsNeverPaid(t *testing.T) {
	for _, amount := range []string{`1.499`, `"1.499"`, `149.991`, `1.4999e2`, `"149,99"`, `"abc"`} {
		body := []byte(`{"paymentId":1042,"status":"completed","currency":"DKK","amount":` + amount + `}`)
		p, _ := rawProvider(t, nil, func(*http.Request) (int, []byte) { return 200, body })
		pay := &driver.Payment{ID: "T1-0001", Amount: money.New(14999, "DKK"), ProviderID: "1042"}
		u, err := p.Check(context.Background(), pay, func(*driver.Payment) error { return nil })
		if err == nil || u.Remote == driver.RemotePaid {
			t.Errorf("amount %s: got %v %v, want an error", amount, u.Remote, err)
		}
	}
	// The exact amount with a trailing zero is the same money.
	body := []byte(`{"paymentId":1042,"status":"completed","currency":"DKK","amount":"149.990"}`)
	p, _ := rawProvider(t, nil, func(*http.Request) (int, []byte) { return 200, body })
	pay := &driver.Payment{ID: "T1-0001", Amount: money.New(14999, "DKK"), ProviderID: "1042"}
	if u, err := p.Check(context.Background(), pay, nil); err != nil || u.Remote != driver.RemotePaid {
		t.Errorf("149.990: %v %v, want paid", u.Remote, err)
	}
}

// TestUnknownStatusLoggedOnce: an unknown word keeps the payment open on every poll,
// and is logged once, not on every poll.
func TestUnknownStatusLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	body := golden(t, "live_status_unknown_word.json")
	p, n := rawProvider(t, logger, func(*http.Request) (int, []byte) { return 200, body })
	pay := &driver.Payment{ID: "T1-0001", Amount: money.New(14999, "DKK"), ProviderID: "1042"}
	for i := 0; i < 5; i++ {
		u, err := p.Check(context.Background(), pay, nil)
		if err != nil || u.Remote != driver.RemotePending || !strings.Contains(u.Detail, "awaiting_sca") {
			t.Fatalf("poll %d: %v %q %v", i, u.Remote, u.Detail, err)
		}
	}
	if n.Load() != 5 {
		t.Errorf("%d status calls, want 5 (it keeps being polled)", n.Load())
	}
	if c := strings.Count(logs.String(), "unknown payment status"); c != 1 {
		t.Errorf("logged %d times, want once:\n%s", c, logs.String())
	}
	// Another payment with the same word is logged again.
	pay2 := &driver.Payment{ID: "T1-0002", Amount: money.New(14999, "DKK"), ProviderID: "1043"}
	p.Check(context.Background(), pay2, nil)
	if c := strings.Count(logs.String(), "unknown payment status"); c != 2 {
		t.Errorf("second payment: logged %d times, want 2", c)
	}
}

// TestStatusTable: every word of the table resolves to itself in any case, and the
// internalStatus is used only when the status says nothing final.
func TestStatusTable(t *testing.T) {
	for _, w := range statusWords {
		got, known := resolveStatus(strings.ToUpper(w.word), "")
		if !known || got.word != w.word {
			t.Errorf("%q: got %q known=%v", w.word, got.word, known)
		}
		if (got.remote == driver.RemoteFailed || got.remote == driver.RemoteExpired) && got.reason == "" {
			t.Errorf("%q ends a payment without a reason for the cashier", w.word)
		}
	}
	for _, tc := range []struct {
		status, internal string
		want             driver.Remote
	}{
		{"pending", "authorized", driver.RemotePaid},
		{"processing", "rejected", driver.RemoteFailed},
		{"completed", "failed", driver.RemotePaid}, // the high-level status wins when final
		{"failed", "authorized", driver.RemoteFailed},
		{"", "settled", driver.RemotePaid},
		{"weird", "success", driver.RemotePaid},
		{"pending", "weird", driver.RemotePending},
	} {
		if got, _ := resolveStatus(tc.status, tc.internal); got.remote != tc.want {
			t.Errorf("%q/%q → %v, want %v", tc.status, tc.internal, got.remote, tc.want)
		}
	}
}
