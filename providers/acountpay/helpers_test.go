package acountpay

import (
	"context"
	"github.com/terminald/terminald/providers/acountpay/sandbox"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

// fakeClock is a settable clock shared by the client and the sandbox.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a provider talking to a sandbox on loopback.
type env struct {
	p        *Provider
	sb       *sandbox.Sandbox
	clock    *fakeClock
	srv      *httptest.Server
	requests atomic.Int64 // API requests that reached the server

	mu     sync.Mutex
	sleeps []time.Duration
}

func newEnv(t *testing.T, variant string, mod func(*Config, *sandbox.Options)) *env {
	t.Helper()
	e := &env{clock: newClock()}
	cfg := Config{
		Variant:          variant,
		ClientID:         sandbox.DemoClientID,
		ClientSecret:     sandbox.DemoClientSecret,
		MerchantClientID: sandbox.DemoMerchantClientID,
		WebhookSecret:    sandbox.DemoWebhookSecret,
		Description:      "Terminal 1",
		Timeout:          2 * time.Second,
		BaseDelay:        10 * time.Millisecond,
		Now:              e.clock.Now,
	}
	so := sandbox.Options{Now: e.clock.Now}
	if mod != nil {
		mod(&cfg, &so)
	}
	e.sb = sandbox.New(so)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && len(r.URL.Path) > 3 && (r.URL.Path[:3] == "/v1" || r.URL.Path[:3] == "/oa") {
			e.requests.Add(1)
		}
		e.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	if cfg.BaseURL == "" {
		cfg.BaseURL = e.srv.URL
	}
	p, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.c.sleep = func(ctx context.Context, d time.Duration) error {
		e.mu.Lock()
		e.sleeps = append(e.sleeps, d)
		e.mu.Unlock()
		return ctx.Err()
	}
	e.p = p
	return e
}

func (e *env) slept() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Duration(nil), e.sleeps...)
}

func (e *env) payment(id string, minor int64) *driver.Payment {
	return &driver.Payment{
		ID: id, Amount: money.New(minor, "DKK"),
		CreatedAt: e.clock.Now(),
	}
}

// saver records what was saved.
type saver struct {
	mu    sync.Mutex
	saved []*driver.Payment
	hook  func(*driver.Payment)
}

func (s *saver) save(p *driver.Payment) error {
	if s.hook != nil {
		s.hook(p)
	}
	s.mu.Lock()
	s.saved = append(s.saved, p.Clone())
	s.mu.Unlock()
	return nil
}

func (s *saver) last() *driver.Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.saved) == 0 {
		return nil
	}
	return s.saved[len(s.saved)-1].Clone()
}

func openURL(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
