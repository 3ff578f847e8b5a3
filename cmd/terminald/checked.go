package main

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/health"
	"github.com/terminald/terminald/hw/keypad"
	"github.com/terminald/terminald/hw/printer"
	"github.com/terminald/terminald/hw/reopen"
	"github.com/terminald/terminald/metrics"
	"github.com/terminald/terminald/screen"
)

// checked is what the daemon checks rather than assumes: each enabled provider is
// probed (package health), the display records whether its last draw worked, and the
// printer's state is what was last seen ("missing" when none is configured).
type checked struct {
	prober  *health.Prober
	display *health.DeviceState
	printer *health.DeviceState

	printerConfigured bool
	printerConn       func() reopen.State // a printer that may come and go; nil: none

	mu      sync.Mutex
	devices map[string]string // other reopened devices by name: ok or missing
}

// newChecked prepares the probes of provs and the device states; displayDriver "none"
// means no display, which /healthz reports as degraded.
func newChecked(provs []driver.Provider, displayDriver string, prn flow.Printer, m *metrics.Metrics, log *slog.Logger) *checked {
	var conn func() reopen.State
	if sp, ok := prn.(statusPrinter); ok {
		if r, ok := sp.Device.(*printer.Reopening); ok {
			conn = r.State
		}
	}
	printerConfigured := conn != nil
	targets := map[string]health.Pinger{}
	for _, p := range provs {
		targets[p.Name()] = p
		m.SetProvider(p.Name(), false, time.Time{})
	}
	c := &checked{
		prober: health.New(targets, health.Config{Logger: log.With("part", "health"), OnProbe: func(p health.Provider) {
			m.SetProvider(p.Name, p.State == health.StateUp, p.LastSuccess)
		}}),
		display: health.NewDeviceState(health.DeviceUnknown),
		printer: health.NewDeviceState(health.DeviceUnknown),

		printerConfigured: printerConfigured,
		printerConn:       conn,
	}
	if displayDriver == "none" {
		c.display.Set(health.DeviceMissing)
	}
	if !printerConfigured {
		c.printer.Set(health.DeviceMissing)
	}
	return c
}

// wrapDisplay returns d recording each draw's result, unless there is no display.
func (c *checked) wrapDisplay(d flow.Display) flow.Display {
	if c.display.Get() == health.DeviceMissing {
		return d
	}
	return health.Display[screen.Screen]{Shower: d, State: c.display}
}

// report assesses the terminal now.
func (c *checked) report() health.Report {
	r := health.Assess(c.prober.Providers(), c.display.Get(), c.printerState())
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.devices) > 0 {
		r.Devices = maps.Clone(c.devices)
	}
	return r
}

// device returns the state callback of a reopened device, recording it under name from
// its first open attempt on.
func (c *checked) device(name string) func(reopen.State, error) {
	return func(s reopen.State, _ error) {
		v := health.DeviceMissing
		if s == reopen.StateOpen {
			v = health.DeviceOK
		}
		c.mu.Lock()
		if c.devices == nil {
			c.devices = map[string]string{}
		}
		c.devices[name] = v
		c.mu.Unlock()
	}
}

// watchInputs reports the state of the inputs the daemon reopens (the matrix keypad).
func (c *checked) watchInputs(inputs []keypad.Input) {
	for i, in := range inputs {
		if m, ok := in.(matrixInput); ok {
			m.onState = c.device("keypad")
			inputs[i] = m
		}
	}
}

// healthz is /healthz's check: the engine answers within ctx and the terminal is not
// degraded.
func (c *checked) healthz(ctx context.Context, eng *flow.Engine) error {
	if err := eng.Healthy(ctx); err != nil {
		return err
	}
	return c.report().Err()
}

// notePrinter records the printer state the engine last saw; without a printer
// configured it stays "missing".
func (c *checked) notePrinter(state string) {
	if c.printerConfigured && state != "" {
		c.printer.Set(state)
	}
}

// printerState is the printer as it is: missing while its device is absent, unknown
// once it is back until the engine checked it, else what the engine last saw.
func (c *checked) printerState() string {
	seen := c.printer.Get()
	if c.printerConn == nil {
		return seen
	}
	switch c.printerConn() {
	case reopen.StateOpen:
		if seen == health.DeviceMissing {
			return health.DeviceUnknown
		}
		return seen
	case reopen.StateAbsent:
		return health.DeviceMissing
	}
	return health.DeviceUnknown
}
