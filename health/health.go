// Package health checks, rather than assumes, what terminald reports as its state: it
// probes each enabled payment provider at start and periodically with the provider's
// cheap authenticated Ping, backing off while one fails, and it assesses the terminal as a
// whole for /healthz and `terminald status`.
//
// A provider is StateUnknown until its first probe answers, StateUp after a successful
// probe and StateDown after a failed one. Probes of a provider that is up run every
// Config.Interval; after a failure the next probe waits Config.MinBackoff, doubling up to
// Config.MaxBackoff, so a provider that is down is not hammered and one that comes back
// is seen within MaxBackoff.
//
// Assess turns the provider states and the display and printer states into a Report:
// the terminal is degraded when no enabled provider is reachable or no display is
// working. The printer is reported as it is and never degrades the terminal (receipts
// wait in the durable outbox).
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// Pinger is a provider's cheap reachability check (flow.Provider.Ping): nil when the
// provider answered an authenticated call.
type Pinger interface {
	Ping(ctx context.Context) error
}

// State is a provider's reachability as last probed.
type State string

// Provider states.
const (
	StateUnknown State = "unknown" // not probed yet
	StateUp      State = "up"      // the last probe succeeded
	StateDown    State = "down"    // the last probe failed
)

// Provider is one provider's probe result.
type Provider struct {
	Name  string `json:"name"`
	State State  `json:"state"`
	// LastCheck is when the last probe finished; zero before the first.
	LastCheck time.Time `json:"last_check,omitzero"`
	// LastSuccess is when a probe last succeeded; zero if none did.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Error is the last probe's error text ("" when up). Provider errors carry no
	// secrets (they are logged as they are).
	Error string `json:"error,omitempty"`
	// Failures counts probes failed in a row.
	Failures int `json:"failures,omitempty"`
}

// Clock is the time source of a Prober; tests use a fake.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Defaults of Config.
const (
	DefaultInterval   = time.Minute
	DefaultMinBackoff = 5 * time.Second
	DefaultMaxBackoff = 5 * time.Minute
	DefaultTimeout    = 10 * time.Second
)

// Config tunes a Prober; zero values take the defaults.
type Config struct {
	// Interval is the wait between probes of a provider that is up.
	Interval time.Duration
	// MinBackoff is the wait after a first failure; it doubles per failure up to
	// MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one Ping.
	Timeout time.Duration
	// Clock is the time source; nil means the system clock.
	Clock Clock
	// Logger receives one line per change of a provider's state; nil discards.
	Logger *slog.Logger
	// OnProbe, when set, is called after every probe with the provider's new result
	// (for metrics). It must not block.
	OnProbe func(Provider)
}

// Prober probes providers. Its methods are safe for concurrent use.
type Prober struct {
	cfg     Config
	log     *slog.Logger
	targets map[string]Pinger

	mu    sync.Mutex
	state map[string]*Provider
}

// New returns a Prober for targets (by provider name); call Run to start probing.
func New(targets map[string]Pinger, cfg Config) *Prober {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Prober{cfg: cfg, log: log, targets: map[string]Pinger{}, state: map[string]*Provider{}}
	for name, t := range targets {
		p.targets[name] = t
		p.state[name] = &Provider{Name: name, State: StateUnknown}
	}
	return p
}

// Run probes every provider at once and then on its schedule until ctx ends; it
// returns ctx.Err().
func (p *Prober) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for name, t := range p.targets {
		wg.Add(1)
		go func() { defer wg.Done(); p.loop(ctx, name, t) }()
	}
	wg.Wait()
	return ctx.Err()
}

func (p *Prober) loop(ctx context.Context, name string, t Pinger) {
	backoff := p.cfg.MinBackoff
	for {
		wait := p.cfg.Interval
		if err := p.probe(ctx, name, t); err != nil {
			if ctx.Err() != nil {
				return
			}
			wait, backoff = backoff, min(2*backoff, p.cfg.MaxBackoff)
		} else {
			backoff = p.cfg.MinBackoff
		}
		select {
		case <-ctx.Done():
			return
		case <-p.cfg.Clock.After(wait):
		}
	}
}

// probe pings one provider and records the result.
func (p *Prober) probe(ctx context.Context, name string, t Pinger) error {
	pctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	err := t.Ping(pctx)
	cancel()
	if err != nil && ctx.Err() != nil {
		return err // shutting down: not a provider failure
	}
	now := p.cfg.Clock.Now()
	p.mu.Lock()
	s := p.state[name]
	was := s.State
	s.LastCheck = now
	if err == nil {
		s.State, s.LastSuccess, s.Error, s.Failures = StateUp, now, "", 0
	} else {
		s.State, s.Error = StateDown, err.Error()
		s.Failures++
	}
	snap := *s
	p.mu.Unlock()
	if snap.State != was {
		if err != nil {
			p.log.Warn("payment provider unreachable", "provider", name, "err", err)
		} else {
			p.log.Info("payment provider reachable", "provider", name)
		}
	}
	if p.cfg.OnProbe != nil {
		p.cfg.OnProbe(snap)
	}
	return err
}

// Providers returns every provider's last result, sorted by name.
func (p *Prober) Providers() []Provider {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Provider, 0, len(p.state))
	for _, s := range p.state {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Device states for Assess: a display or printer is "ok" when it works, "missing" when
// not configured or not present, "error" when it fails, "unknown" until checked.
const (
	DeviceOK      = "ok"
	DeviceMissing = "missing"
	DeviceError   = "error"
	DeviceUnknown = "unknown"
)

// Report is the terminal's assessed health, as /healthz and `terminald status` show it.
type Report struct {
	// Providers are the enabled providers' probe results, sorted by name.
	Providers []Provider `json:"providers"`
	// Display is the customer display's state: ok, missing (none configured), error
	// (drawing failed) or unknown (nothing drawn yet).
	Display string `json:"display"`
	// Printer is the receipt printer's state as last seen: ok, missing (not configured
	// or not present), unknown (not checked yet), or what the printer reported (e.g.
	// "paper out").
	Printer string `json:"printer"`
	// Devices are the other optional devices the daemon reopens by itself (e.g.
	// "keypad", "register"): "ok" while open, "missing" while absent. They never
	// degrade the terminal.
	Devices map[string]string `json:"devices,omitempty"`
	// Degraded lists why the terminal cannot take payments; empty when it can.
	Degraded []string `json:"degraded,omitempty"`
}

// ErrDegraded is matched (errors.Is) by Report.Err's error.
var ErrDegraded = errors.New("degraded")

// Err returns nil when the report is healthy and otherwise an error wrapping ErrDegraded
// that lists every reason, e.g. "degraded: no payment provider reachable (acountpay:
// down: ...); no working display (display: missing)".
func (r Report) Err() error {
	if len(r.Degraded) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrDegraded, strings.Join(r.Degraded, "; "))
}

// Assess builds a Report: degraded when no enabled provider is up (none enabled, none
// probed yet, or all down) or when the display is not "ok" ("unknown" counts as working
// until the first draw says otherwise: the daemon draws at start).
func Assess(providers []Provider, display, printer string) Report {
	r := Report{Providers: providers, Display: display, Printer: printer}
	if r.Providers == nil {
		r.Providers = []Provider{}
	}
	up := false
	var why []string
	for _, p := range providers {
		if p.State == StateUp {
			up = true
			break
		}
		s := p.Name + ": " + string(p.State)
		if p.Error != "" {
			s += ": " + p.Error
		}
		why = append(why, s)
	}
	switch {
	case len(providers) == 0:
		r.Degraded = append(r.Degraded, "no payment provider enabled")
	case !up:
		r.Degraded = append(r.Degraded, "no payment provider reachable ("+strings.Join(why, ", ")+")")
	}
	if display != DeviceOK && display != DeviceUnknown {
		r.Degraded = append(r.Degraded, "no working display (display: "+display+")")
	}
	return r
}
