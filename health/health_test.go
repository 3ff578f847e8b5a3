package health

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock hands every wait to the test, which decides when it ends.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps chan sleep
}

type sleep struct {
	d    time.Duration
	wake chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), sleeps: make(chan sleep, 16)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.sleeps <- sleep{d, ch}
	return ch
}

// next waits (bounded) for the prober to sleep, moves the clock on by the sleep and
// wakes it; it returns how long the prober asked to wait.
func (c *fakeClock) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case s := <-c.sleeps:
		c.mu.Lock()
		c.now = c.now.Add(s.d)
		now := c.now
		c.mu.Unlock()
		s.wake <- now
		return s.d
	case <-time.After(5 * time.Second):
		t.Fatal("prober never went to sleep")
		return 0
	}
}

// scripted answers pings from a list; after the list it keeps the last answer.
type scripted struct {
	mu   sync.Mutex
	errs []error
}

func (s *scripted) Ping(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.errs[0]
	if len(s.errs) > 1 {
		s.errs = s.errs[1:]
	}
	return err
}

func startProber(t *testing.T, targets map[string]Pinger, cfg Config) (*Prober, *fakeClock, chan Provider) {
	t.Helper()
	clk := newFakeClock()
	probes := make(chan Provider, 64)
	cfg.Clock = clk
	cfg.OnProbe = func(p Provider) { probes <- p }
	p := New(targets, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	return p, clk, probes
}

func nextProbe(t *testing.T, probes chan Provider) Provider {
	t.Helper()
	select {
	case p := <-probes:
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("no probe")
		return Provider{}
	}
}

func TestProviderUnknownUntilProbed(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	p := New(map[string]Pinger{"acountpay": pingFunc(func(ctx context.Context) error { <-block; return nil })}, Config{})
	got := p.Providers()
	if len(got) != 1 || got[0].State != StateUnknown || !got[0].LastSuccess.IsZero() {
		t.Fatalf("before any probe: %+v, want unknown with no success", got)
	}
	if r := Assess(got, DeviceOK, DeviceUnknown); r.Err() == nil {
		t.Error("a terminal whose only provider was never reached reports healthy")
	}
}

type pingFunc func(ctx context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

func TestProbeAtStartThenEveryIntervalAndBackOff(t *testing.T) {
	down := errors.New("dial tcp: connection refused")
	pinger := &scripted{errs: []error{nil, down, down, down, down, nil}}
	cfg := Config{Interval: time.Minute, MinBackoff: 5 * time.Second, MaxBackoff: 15 * time.Second}
	p, clk, probes := startProber(t, map[string]Pinger{"accrue": pinger}, cfg)

	// The first probe runs at start, before any wait.
	first := nextProbe(t, probes)
	if first.State != StateUp || first.LastSuccess.IsZero() {
		t.Fatalf("first probe: %+v, want up with a success time", first)
	}
	var waits []time.Duration
	var states []State
	for range 5 {
		waits = append(waits, clk.next(t))
		states = append(states, nextProbe(t, probes).State)
	}
	// Up: wait the interval. Down: 5 s, doubling, capped at 15 s. Up again: the interval.
	wantWaits := []time.Duration{time.Minute, 5 * time.Second, 10 * time.Second, 15 * time.Second, 15 * time.Second}
	wantStates := []State{StateDown, StateDown, StateDown, StateDown, StateUp}
	if !slices.Equal(waits, wantWaits) || !slices.Equal(states, wantStates) {
		t.Fatalf("waits %v states %v; want %v %v", waits, states, wantWaits, wantStates)
	}
	if w := clk.next(t); w != time.Minute {
		t.Errorf("after recovering the prober waits %v, want the interval", w)
	}
	got := p.Providers()[0]
	if got.State != StateUp || got.Failures != 0 || got.Error != "" {
		t.Errorf("after recovery: %+v", got)
	}
}

func TestDownKeepsLastSuccessAndError(t *testing.T) {
	down := errors.New("accrue: token: 401 unauthorized")
	p, clk, probes := startProber(t, map[string]Pinger{"accrue": &scripted{errs: []error{nil, down}}}, Config{})
	up := nextProbe(t, probes)
	clk.next(t)
	got := nextProbe(t, probes)
	if got.State != StateDown || got.Error != down.Error() || got.Failures != 1 {
		t.Fatalf("after a failed probe: %+v", got)
	}
	if !got.LastSuccess.Equal(up.LastSuccess) || !got.LastCheck.After(got.LastSuccess) {
		t.Errorf("last success %v (want %v), last check %v", got.LastSuccess, up.LastSuccess, got.LastCheck)
	}
	if r := Assess(p.Providers(), DeviceOK, DeviceOK); !strings.Contains(r.Err().Error(), "401 unauthorized") {
		t.Errorf("degraded report %q does not say why", r.Err())
	}
}

func TestAssess(t *testing.T) {
	up := Provider{Name: "accrue", State: StateUp}
	down := Provider{Name: "acountpay", State: StateDown, Error: "timeout"}
	unknown := Provider{Name: "cryptogw", State: StateUnknown}
	tests := []struct {
		name      string
		provs     []Provider
		display   string
		wantWhy   []string // substrings of the reasons; none means healthy
		wantCount int
	}{
		{"one of two providers up", []Provider{down, up}, DeviceOK, nil, 0},
		{"all down or unknown", []Provider{down, unknown}, DeviceOK, []string{"no payment provider reachable", "acountpay: down: timeout", "cryptogw: unknown"}, 1},
		{"no provider enabled", nil, DeviceOK, []string{"no payment provider enabled"}, 1},
		{"no display", []Provider{up}, DeviceMissing, []string{"no working display (display: missing)"}, 1},
		{"display failing", []Provider{up}, DeviceError, []string{"display: error"}, 1},
		{"both", []Provider{down}, DeviceError, []string{"no payment provider reachable", "display: error"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Assess(tt.provs, tt.display, DeviceMissing)
			if len(r.Degraded) != tt.wantCount {
				t.Fatalf("reasons %q, want %d", r.Degraded, tt.wantCount)
			}
			err := r.Err()
			if tt.wantCount == 0 {
				if err != nil {
					t.Fatalf("healthy terminal reports %v", err)
				}
				return
			}
			if !errors.Is(err, ErrDegraded) {
				t.Fatalf("Err() = %v, want ErrDegraded", err)
			}
			for _, w := range tt.wantWhy {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestPrinterNeverDegradesButIsReportedAsIs(t *testing.T) {
	r := Assess([]Provider{{Name: "accrue", State: StateUp}}, DeviceOK, "paper out")
	if r.Err() != nil || r.Printer != "paper out" {
		t.Errorf("report %+v: a printer fault must be shown, not turn the terminal unhealthy", r)
	}
}

type shower struct{ err error }

func (s *shower) Show(string) error { return s.err }

func TestDisplayRecordsEachShow(t *testing.T) {
	s := &shower{}
	d := Display[string]{Shower: s, State: NewDeviceState(DeviceUnknown)}
	if got := d.State.Get(); got != DeviceUnknown {
		t.Fatalf("before drawing: %q", got)
	}
	d.Show("idle")
	if got := d.State.Get(); got != DeviceOK {
		t.Errorf("after a good draw: %q", got)
	}
	s.err = errors.New("spi: write: EIO")
	if err := d.Show("qr"); err == nil {
		t.Error("the wrapper swallowed the display's error")
	}
	if got := d.State.Get(); got != DeviceError {
		t.Errorf("after a failed draw: %q", got)
	}
}
