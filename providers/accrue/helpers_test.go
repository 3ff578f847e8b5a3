package accrue_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/accrue"
	"github.com/terminald/terminald/providers/accrue/sandbox"
)

// fakeClock is the sandbox's injectable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	sb    *sandbox.Sandbox
	srv   *httptest.Server
	clock *fakeClock
	cfg   accrue.Config
}

// newEnv starts a sandbox on loopback and returns a config for it with tiny retry delays.
func newEnv(t *testing.T, opts sandbox.Options) *env {
	t.Helper()
	clock := &fakeClock{t: time.Date(2025, 6, 23, 12, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	sb := sandbox.New(opts)
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { srv.Close(); sb.Close() })
	cfg := sandbox.Config(srv.URL)
	cfg.RetryBase = time.Millisecond
	cfg.RetryMax = 4 * time.Millisecond
	cfg.MaxAttempts = 3
	cfg.Timeout = 5 * time.Second
	cfg.LongTimeout = 5 * time.Second
	return &env{sb: sb, srv: srv, clock: clock, cfg: cfg}
}

func (e *env) client(t *testing.T) *accrue.Client {
	t.Helper()
	c, err := accrue.NewClient(e.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) provider(t *testing.T) *accrue.Provider {
	t.Helper()
	p, err := accrue.New(e.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// disk is a stand-in for the store: save keeps a deep copy, as a crash would leave it.
type disk struct {
	mu    sync.Mutex
	last  *driver.Payment
	saves int
}

func (d *disk) save(p *driver.Payment) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last = p.Clone()
	d.saves++
	return nil
}

func (d *disk) reload() *driver.Payment {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last.Clone()
}

func newPayment(id string, cents int64, data map[string]string) *driver.Payment {
	return &driver.Payment{ID: id, Amount: money.New(cents, "USD"), Data: data}
}
