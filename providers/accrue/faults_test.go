package accrue_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/providers/accrue"
	"github.com/terminald/terminald/providers/accrue/sandbox"
)

// Fault kinds the proxy injects. "before" faults never reach the sandbox; "after" faults
// reach it (it acts) and the answer is lost or spoilt on the way back.
const (
	fault500         = "500 before"
	fault502After    = "502 after"
	fault429         = "429 Retry-After before"
	faultResetBefore = "reset before"
	faultResetAfter  = "reset after"
	faultTruncated   = "truncated after"
	faultGarbage     = "garbage after"
)

var allFaults = []string{fault500, fault502After, fault429, faultResetBefore, faultResetAfter, faultTruncated, faultGarbage}

// faultRule injects kind into the next count requests whose method is method and whose
// path matches (the suffix after the last id, e.g. "/authorize", or a prefix).
type faultRule struct {
	method, match string
	kind          string
	count         int
	then          []faultRule // added when this rule fires for the first time
}

func (r *faultRule) matches(req *http.Request) bool {
	if r.count <= 0 || req.Method != r.method {
		return false
	}
	p := req.URL.Path
	switch r.match {
	case "create":
		return p == "/api/v1/payment-intents"
	case "authorize":
		return strings.HasSuffix(p, "/authorize")
	case "capture":
		return strings.HasSuffix(p, "/capture")
	case "get intent":
		return strings.HasPrefix(p, "/api/v1/payment-intents/") && !strings.Contains(p[len("/api/v1/payment-intents/"):], "/")
	case "get payment":
		return strings.HasPrefix(p, "/api/v1/payments/") && !strings.Contains(p[len("/api/v1/payments/"):], "/")
	case "any":
		return true
	}
	return false
}

// faultProxy stands between the client and the sandbox and spoils answers by rule. It is
// deterministic: the same rules give the same faults at the same calls.
type faultProxy struct {
	sb *sandbox.Sandbox

	mu       sync.Mutex
	rules    []*faultRule
	injected int
	seen     map[string]int // "METHOD kind-of-call" → requests
}

func (fp *faultProxy) add(r faultRule) {
	fp.mu.Lock()
	fp.rules = append(fp.rules, &r)
	fp.mu.Unlock()
}

func (fp *faultProxy) take(req *http.Request) string {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	fp.seen[req.Method+" "+req.URL.Path]++
	for _, r := range fp.rules {
		if r.matches(req) {
			r.count--
			fp.injected++
			for _, n := range r.then {
				n := n
				fp.rules = append(fp.rules, &n)
			}
			r.then = nil
			return r.kind
		}
	}
	return ""
}

func (fp *faultProxy) requests(method, suffix string) int {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	n := 0
	for k, v := range fp.seen {
		if strings.HasPrefix(k, method+" ") && strings.HasSuffix(k, suffix) {
			n += v
		}
	}
	return n
}

func reset(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (fp *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := fp.take(r)
	switch kind {
	case fault500:
		w.WriteHeader(http.StatusInternalServerError)
		return
	case fault429:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	case faultResetBefore:
		reset(w)
		return
	}
	rec := httptest.NewRecorder()
	fp.sb.ServeHTTP(rec, r) // the sandbox acts
	body := rec.Body.Bytes()
	switch kind {
	case fault502After:
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>bad gateway</html>"))
		return
	case faultResetAfter:
		reset(w)
		return
	case faultTruncated:
		w.Header().Set("Content-Type", accrue.MediaType)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2]) // the server closes the connection short
		return
	case faultGarbage:
		w.Header().Set("Content-Type", accrue.MediaType)
		w.WriteHeader(http.StatusOK)
		w.Write(append([]byte(`{"data":{"type":"Payment","id":`), bytes.Repeat([]byte{0xff}, 16)...))
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// faultEnv is a sandbox behind a fault proxy and a provider configured against the proxy.
type faultEnv struct {
	sb    *sandbox.Sandbox
	proxy *faultProxy
	pr    *accrue.Provider
	d     *disk
}

func newFaultEnv(t *testing.T, shape string) *faultEnv {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Shape: shape})
	fp := &faultProxy{sb: sb, seen: map[string]int{}}
	srv := httptest.NewServer(fp)
	t.Cleanup(func() { srv.Close(); sb.Close() })
	cfg := sandbox.Config(srv.URL)
	cfg.RetryBase, cfg.RetryMax, cfg.MaxAttempts = time.Millisecond, 5*time.Millisecond, 3
	cfg.Timeout, cfg.LongTimeout = 5*time.Second, 5*time.Second
	pr, err := accrue.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &faultEnv{sb: sb, proxy: fp, pr: pr, d: &disk{}}
}

// pay runs a sale to its end as the engine would without a cashier cancel: Start, then
// Check while the outcome is unknown or pending, at most rounds times.
func (fe *faultEnv) pay(t *testing.T, id string, cents int64, rounds int) (driver.Update, []error, error) {
	t.Helper()
	ctx := context.Background()
	p := newPayment(id, cents, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
	u, err := fe.pr.Start(ctx, p, fe.d.save)
	var errs []error
	for i := 0; i < rounds && (err != nil || u.Remote == driver.RemotePending); i++ {
		if err != nil && !errors.Is(err, driver.ErrUnreachable) {
			return u, errs, err
		}
		errs = append(errs, err)
		u, err = fe.pr.Check(ctx, fe.d.reload(), fe.d.save)
	}
	return u, errs, err
}

// chargedOnce asserts that Accrue holds exactly one intent, one payment and one capture
// of cents, that the wallet paid cents once, and that nothing was cancelled.
func (fe *faultEnv) chargedOnce(t *testing.T, cents int64) {
	t.Helper()
	st := fe.sb.Stats()
	if st.Intents != 1 || st.Payments != 1 || st.Captures != 1 {
		t.Fatalf("Accrue holds %+v, want one intent, one payment, one capture", st)
	}
	if got := 100_000_000 - fe.sb.Balance(sandbox.DemoRichWalletID); got != cents {
		t.Fatalf("the wallet paid %d cents, want %d", got, cents)
	}
	if n := fe.proxy.requests("POST", "/cancel"); n != 0 {
		t.Fatalf("%d cancel calls: a fault cost the sale", n)
	}
}

// TestFaultsAtEveryCall injects each fault kind once at each call of a sale (create,
// authorize, capture and the look-ups) and asserts that the sale is paid by Start itself,
// and Accrue charged once.
func TestFaultsAtEveryCall(t *testing.T) {
	calls := []struct{ method, match string }{
		{"POST", "create"}, {"POST", "authorize"}, {"POST", "capture"}, {"GET", "get intent"}, {"GET", "get payment"},
	}
	for _, shape := range []string{sandbox.ShapeLive, sandbox.ShapeSeed} {
		for _, c := range calls {
			for _, kind := range allFaults {
				t.Run(shape+"/"+c.match+"/"+kind, func(t *testing.T) {
					fe := newFaultEnv(t, shape)
					fe.proxy.add(faultRule{method: c.method, match: c.match, kind: kind, count: 1})
					if c.method == "GET" {
						// Make the look-up run: lose the answer of the call before it.
						prev := map[string]string{"get intent": "authorize", "get payment": "capture"}[c.match]
						fe.proxy.add(faultRule{method: "POST", match: prev, kind: faultResetAfter, count: 1})
					}
					u, errs, err := fe.pay(t, "pay-"+strings.ReplaceAll(kind, " ", "-"), 2750, 0)
					if err != nil || u.Remote != driver.RemotePaid || len(errs) != 0 {
						t.Fatalf("Start = %+v, %v; want paid without a second round", u, err)
					}
					if fe.proxy.injected == 0 {
						t.Fatal("no fault was injected")
					}
					fe.chargedOnce(t, 2750)
				})
			}
		}
	}
}

// TestLostAuthorizeAnswerRepeatedOnSameIntent: the authorize answer is lost and the
// look-up fails too, so the client sends authorize again; Accrue answers with the existing
// payment and nothing is authorized twice.
func TestLostAuthorizeAnswerRepeatedOnSameIntent(t *testing.T) {
	fe := newFaultEnv(t, sandbox.ShapeLive)
	fe.proxy.add(faultRule{method: "POST", match: "authorize", kind: faultResetAfter, count: 1})
	// The look-up fails for all its attempts.
	fe.proxy.add(faultRule{method: "GET", match: "get intent", kind: fault500, count: 3})
	u, _, err := fe.pay(t, "pay-repeat", 990, 0)
	if err != nil || u.Remote != driver.RemotePaid {
		t.Fatalf("Start = %+v, %v", u, err)
	}
	if n := fe.proxy.requests("POST", "/authorize"); n != 2 {
		t.Fatalf("authorize sent %d times, want 2 (the repeat on the same intent)", n)
	}
	fe.chargedOnce(t, 990)
}

// TestOutageDuringAuthorizeEndsPaid: every call fails (30 GETs, 30 POSTs) for longer
// than the client's retry budget while authorizing. Start reports an unknown outcome, never a failure; once Accrue
// answers again Check finds the authorization and completes the sale, charging once.
func TestOutageDuringAuthorizeEndsPaid(t *testing.T) {
	for _, kind := range []string{fault500, faultResetAfter, faultGarbage, fault429} {
		t.Run(kind, func(t *testing.T) {
			fe := newFaultEnv(t, sandbox.ShapeLive)
			// The authorize reaches Accrue, then everything fails for 8 requests.
			fe.proxy.add(faultRule{method: "POST", match: "authorize", kind: faultResetAfter, count: 1, then: []faultRule{
				{method: "GET", match: "any", kind: kind, count: 30},
				{method: "POST", match: "any", kind: kind, count: 30},
			}})
			ctx := context.Background()
			p := newPayment("pay-outage", 5000, map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode})
			u, err := fe.pr.Start(ctx, p, fe.d.save)
			if !errors.Is(err, driver.ErrUnreachable) || u.Remote == driver.RemoteFailed {
				t.Fatalf("Start during the outage = %+v, %v; want an unknown outcome", u, err)
			}
			for i := 0; i < 40 && (err != nil || u.Remote == driver.RemotePending); i++ {
				if err != nil && !errors.Is(err, driver.ErrUnreachable) {
					t.Fatalf("Check: %v", err)
				}
				if u.Remote == driver.RemoteFailed || u.Remote == driver.RemoteCancelled {
					t.Fatalf("a fault turned into %v", u.Remote)
				}
				u, err = fe.pr.Check(ctx, fe.d.reload(), fe.d.save)
			}
			if err != nil || u.Remote != driver.RemotePaid {
				t.Fatalf("after the outage: %+v, %v", u, err)
			}
			fe.chargedOnce(t, 5000)
		})
	}
}
