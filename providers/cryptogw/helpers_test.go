package cryptogw

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/cryptogw/sandbox"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a sandbox on loopback with a provider talking to it.
type env struct {
	t   *testing.T
	clk *clock
	sb  *sandbox.Sandbox
	srv *httptest.Server
	pr  *Provider
}

func newEnv(t *testing.T, opts sandbox.Options, mod func(*Config)) *env {
	t.Helper()
	clk := newClock()
	opts.Now = clk.Now
	sb := sandbox.New(opts)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	cfg := DemoConfig(srv.URL + "/v2/")
	cfg.Currencies = []string{"BTC", "ETH"}
	cfg.RetryDelay = time.Millisecond
	cfg.Timeout = 5 * time.Second
	cfg.Now = clk.Now
	if mod != nil {
		mod(&cfg)
	}
	pr, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, clk: clk, sb: sb, srv: srv, pr: pr}
}

// disk is the durable copy of a payment as the saver wrote it.
type disk struct {
	mu    sync.Mutex
	p     *driver.Payment
	saves int
	fail  int // fail the save with this number (1-based), 0: never
}

func (d *disk) save(p *driver.Payment) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.saves++
	if d.fail == d.saves {
		return errSimulatedCrash
	}
	d.p = p.Clone()
	return nil
}

type crashErr struct{}

func (crashErr) Error() string { return "simulated crash" }

var errSimulatedCrash error = crashErr{}

func newPayment(id string, minor int64) *driver.Payment {
	return &driver.Payment{ID: id, Amount: money.New(minor, "EUR"),
		Data: map[string]string{KeyCurrency: "BTC", KeyQuote: "OK"}}
}

// start starts a BTC payment of minor cents and returns it with its disk.
func (e *env) start(id string, minor int64) (*driver.Payment, *disk) {
	e.t.Helper()
	p := newPayment(id, minor)
	d := &disk{}
	u, err := e.pr.Start(e.t.Context(), p, d.save)
	if err != nil {
		e.t.Fatalf("Start: %v", err)
	}
	p.QR, p.ProviderID, p.ExpiresAt = u.QR, u.ProviderID, u.ExpiresAt
	return p, d
}
