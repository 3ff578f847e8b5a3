package cryptogw

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/providers/cryptogw/sandbox"
)

// faultKind is a fault the proxy injects into one request.
type faultKind string

const (
	faultNone        faultKind = ""
	fault502         faultKind = "502"          // answer 502; the sandbox never sees the request
	fault503         faultKind = "503"          // answer 503; the sandbox never sees the request
	fault429         faultKind = "429"          // answer 429 with Retry-After: 1; not forwarded
	faultResetBefore faultKind = "reset-before" // close the connection; not forwarded
	faultResetAfter  faultKind = "reset-after"  // forward, then close without an answer
	faultTruncated   faultKind = "truncated"    // forward, answer half the body, close
	faultGarbage     faultKind = "garbage"      // forward, answer 200 with garbage
)

var allFaults = []faultKind{fault502, fault503, fault429, faultResetBefore, faultResetAfter, faultTruncated, faultGarbage}

// faultProxy stands between the client and the sandbox and injects scripted faults:
// script[endpoint][n] is the fault for the n-th request to endpoint (0-based). It is
// deterministic: no randomness, no timing. It also records what would make a
// non-idempotent gateway charge twice: a StartPayment for a payment id the sandbox had
// already started.
type faultProxy struct {
	sb *sandbox.Sandbox

	mu          sync.Mutex
	script      map[string][]faultKind
	seen        map[string]int
	started     map[string]bool // payment ids the sandbox started
	restarts    int             // StartPayment sent again for a started payment id
	faultsFired int
}

func newFaultProxy(sb *sandbox.Sandbox, script map[string][]faultKind) *faultProxy {
	return &faultProxy{sb: sb, script: script, seen: map[string]int{}, started: map[string]bool{}}
}

func (f *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.Trim(r.URL.Path, "/")
	name = name[strings.LastIndexByte(name, '/')+1:]
	f.mu.Lock()
	n := f.seen[name]
	f.seen[name]++
	var k faultKind
	if s := f.script[name]; n < len(s) {
		k = s[n]
	}
	if k != faultNone {
		f.faultsFired++
	}
	pid := r.URL.Query().Get("payment_id")
	if name == "StartPayment" && f.started[pid] {
		f.restarts++
	}
	f.mu.Unlock()

	switch k {
	case fault502, fault503:
		code := map[faultKind]int{fault502: 502, fault503: 503}[k]
		http.Error(w, "<html>bad gateway</html>", code)
		return
	case fault429:
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"err":"Too many requests"}`, http.StatusTooManyRequests)
		return
	case faultResetBefore:
		closeConn(w)
		return
	}
	rec := httptest.NewRecorder()
	f.sb.ServeHTTP(rec, r)
	if name == "StartPayment" && rec.Code == http.StatusOK {
		f.mu.Lock()
		f.started[pid] = true
		f.mu.Unlock()
	}
	switch k {
	case faultResetAfter:
		closeConn(w)
		return
	case faultTruncated:
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		body := rec.Body.Bytes()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		buf.Write(body[:len(body)/2])
		buf.Flush()
		conn.Close()
		return
	case faultGarbage:
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("<html>upstream error\x00\xff"))
		return
	}
	for key, vs := range rec.Header() {
		w.Header()[key] = vs
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// closeConn drops the client's connection without an answer (a reset as the client sees it).
func closeConn(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// faultEnv is a provider talking to a sandbox through a faultProxy.
type faultEnv struct {
	*env
	fp *faultProxy
}

func newFaultEnv(t *testing.T, script map[string][]faultKind) *faultEnv {
	t.Helper()
	clk := newClock()
	sb := sandbox.New(sandbox.Options{Seed: 11, Now: clk.Now, ConfirmationInterval: time.Second, MinConfirmations: 1})
	fp := newFaultProxy(sb, script)
	srv := httptest.NewServer(fp)
	t.Cleanup(srv.Close)
	cfg := DemoConfig(srv.URL + "/v2/")
	cfg.Currencies = []string{"BTC"}
	cfg.RetryDelay = time.Millisecond
	cfg.Timeout = 5 * time.Second
	cfg.Now = clk.Now
	pr, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &faultEnv{env: &env{t: t, clk: clk, sb: sb, srv: srv, pr: pr}, fp: fp}
}

// TestFaultsAtEveryCallNeverFailThePayment injects each fault kind at the first request
// of each call a payment makes (and twice in a row at StartPayment), then lets the
// customer pay. Every payment must end paid, started once at the gateway, and never
// started again after the gateway had started it.
func TestFaultsAtEveryCallNeverFailThePayment(t *testing.T) {
	type tc struct {
		name   string
		script map[string][]faultKind
	}
	var cases []tc
	for _, k := range allFaults {
		for _, call := range []string{"GetCurrencyList", "GetRate", "StartPayment", "GetTransactions", "CheckPayment"} {
			cases = append(cases, tc{fmt.Sprintf("%s/%s", call, k), map[string][]faultKind{call: {k}}})
		}
		// A fault at StartPayment and at the first ask after it.
		cases = append(cases, tc{fmt.Sprintf("StartPayment+ask/%s", k),
			map[string][]faultKind{"StartPayment": {k}, "GetTransactions": {k}, "CheckPayment": {k}}})
		// Two StartPayment faults in a row.
		cases = append(cases, tc{fmt.Sprintf("StartPayment×2/%s", k), map[string][]faultKind{"StartPayment": {k, k}}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.Contains(c.name, "429") && testing.Short() {
				t.Skip("Retry-After waits a second")
			}
			e := newFaultEnv(t, c.script)
			ctx := t.Context()
			p := newPayment("F-"+strings.NewReplacer("/", "-", "×", "x", "+", "-").Replace(c.name), 2000)
			d := &disk{}
			u, err := e.pr.Start(ctx, p, d.save)
			if err != nil || u.Remote != driver.RemotePending || u.QR == "" {
				t.Fatalf("Start = %+v, %v; want pending with a QR", u, err)
			}
			p.QR, p.ProviderID = u.QR, u.ProviderID
			if err := e.sb.PayURI(u.QR); err != nil {
				t.Fatalf("customer pays %q: %v", u.QR, err)
			}
			e.clk.Advance(2 * time.Second)
			var last driver.Update
			for range 5 { // a check may meet a scripted fault; the engine asks again
				if last, err = e.pr.Check(ctx, p, d.save); err == nil && last.Remote == driver.RemotePaid {
					break
				}
			}
			if last.Remote != driver.RemotePaid || last.Paid.Currency != "" {
				t.Fatalf("end state %+v (%v), want paid in full", last, err)
			}
			txs, err := e.pr.Client().TransactionsByReference(ctx, p.ID)
			if err != nil || len(txs) != 1 || !txs[0].Paid() {
				t.Fatalf("gateway records for %s: %+v, %v; want one, paid", p.ID, txs, err)
			}
			e.fp.mu.Lock()
			defer e.fp.mu.Unlock()
			if e.fp.restarts != 0 {
				t.Errorf("StartPayment sent %d times for a payment the gateway had already started", e.fp.restarts)
			}
			if e.fp.faultsFired == 0 {
				t.Error("no fault fired: the test did not test anything")
			}
		})
	}
}

// A gateway that keeps failing StartPayment leaves the payment unknown (ErrUnreachable,
// the engine keeps asking), never started twice.
func TestStartPaymentOutageStaysUnknown(t *testing.T) {
	e := newFaultEnv(t, map[string][]faultKind{"StartPayment": {fault502, fault502, fault502, fault502}})
	p := newPayment("F-outage", 2000)
	d := &disk{}
	_, err := e.pr.Start(t.Context(), p, d.save)
	if !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("Start = %v, want an unknown outcome (ErrUnreachable)", err)
	}
	if n := e.fp.seen["StartPayment"]; n != 3 {
		t.Errorf("StartPayment sent %d times, want MaxAttempts = 3", n)
	}
	// The gateway has nothing: the engine's later Check says so.
	if u, err := e.pr.Check(t.Context(), d.p.Clone(), d.save); err != nil || u.Remote != driver.RemoteNotFound {
		t.Errorf("Check = %+v, %v, want not found", u, err)
	}
}

func TestCurrencyListFailuresAreNotCached(t *testing.T) {
	for _, bad := range []string{`[]`, `null`, `[{"currency":"BTC","status":"DISABLED"}]`} {
		g, pr := newFakeGW(t, map[string]string{"GetCurrencyList": bad})
		if _, err := pr.Currencies(t.Context()); !errors.Is(err, ErrNoCurrencies) {
			t.Fatalf("%s: Currencies = %v, want ErrNoCurrencies", bad, err)
		}
		g.mu.Lock()
		g.replies["GetCurrencyList"] = `[{"currency":"BTC","status":"OK"}]`
		g.mu.Unlock()
		// No clock moved: the bad answer was not cached, the gateway is asked again.
		if cs, err := pr.Currencies(t.Context()); err != nil || len(cs) != 1 || cs[0] != "BTC" {
			t.Fatalf("%s then good: %v, %v", bad, cs, err)
		}
		// A later empty answer does not replace the good list.
		g.mu.Lock()
		g.replies["GetCurrencyList"] = bad
		g.mu.Unlock()
		pr.mu.Lock()
		pr.curExpiry = time.Time{}
		pr.mu.Unlock()
		if cs, err := pr.Currencies(t.Context()); err != nil || len(cs) != 1 {
			t.Fatalf("%s after good: %v, %v, want the last good list", bad, cs, err)
		}
		if n := len(g.calls("GetCurrencyList")); n != 3 {
			t.Errorf("%s: %d GetCurrencyList calls, want 3", bad, n)
		}
	}
	// An error (500) is not cached either.
	g, pr := newFakeGW(t, map[string]string{})
	if _, err := pr.Currencies(t.Context()); err == nil {
		t.Fatal("Currencies with a failing gateway succeeded")
	}
	g.mu.Lock()
	g.replies["GetCurrencyList"] = `[{"currency":"BTC","status":"OK"}]`
	g.mu.Unlock()
	if cs, err := pr.Currencies(t.Context()); err != nil || len(cs) != 1 {
		t.Fatalf("after an error: %v, %v", cs, err)
	}
}

// A reset after the gateway acted on RefundPayment (a GET) must not make net/http
// replay it on its own: the gateway sees one refund, and a repeated Refund finds it.
func TestRefundResetAfterIsNotReplayed(t *testing.T) {
	e := newFaultEnv(t, map[string][]faultKind{"RefundPayment": {faultResetAfter}})
	ctx := t.Context()
	p := newPayment("F-refund", 2000)
	d := &disk{}
	u, err := e.pr.Start(ctx, p, d.save)
	if err != nil {
		t.Fatal(err)
	}
	p.QR, p.ProviderID = u.QR, u.ProviderID
	e.sb.PayURI(u.QR)
	e.clk.Advance(2 * time.Second)
	if u, err := e.pr.Check(ctx, p, d.save); err != nil || u.Remote != driver.RemotePaid {
		t.Fatalf("Check = %+v, %v", u, err)
	}
	r := &driver.Refund{ID: "rf-1", Amount: p.Amount, Destination: "tb1qrefunddestination00000001"}
	saveR := func(*driver.Refund) error { return nil }
	if _, err := e.pr.Refund(ctx, p, r, saveR); !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("Refund through a reset = %v, want an unknown outcome", err)
	}
	if ru, err := e.pr.Refund(ctx, p, r, saveR); err != nil || ru.State != driver.RefundSent {
		t.Fatalf("repeated Refund = %+v, %v", ru, err)
	}
	e.fp.mu.Lock()
	defer e.fp.mu.Unlock()
	if n := e.fp.seen["RefundPayment"]; n != 1 {
		t.Errorf("the gateway got RefundPayment %d times, want once", n)
	}
}
