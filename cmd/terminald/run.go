package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/terminald/terminald/admin"
	"github.com/terminald/terminald/clock"
	"github.com/terminald/terminald/config"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/hw/buzzer"
	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/hw/keypad"
	"github.com/terminald/terminald/hw/printer"
	"github.com/terminald/terminald/hw/reopen"
	"github.com/terminald/terminald/metrics"
	"github.com/terminald/terminald/pin"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// cmdRun is the daemon on terminal hardware.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("run", stderr)
	path := fs.String("config", config.DefaultPath, "configuration `FILE`")
	creds := fs.String("credentials", "", "systemd credentials `DIR` (default $CREDENTIALS_DIRECTORY, else "+config.DefaultCredentialsDir+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	cfg, err := config.Load(*path, configOptions(*creds))
	if err != nil {
		return configError{err}
	}
	log, err := newLogger(stderr, cfg.Terminal.LogLevel)
	if err != nil {
		return err
	}
	log.Info("terminald starting", "version", version, "config", *path)

	clk := &clock.Clock{}
	clockFile := filepath.Join(cfg.Terminal.StateDir, "clock")
	if err := clk.Restore(clockFile); err != nil {
		log.Debug("no saved time to restore", "err", err)
	}
	defer clk.Save(clockFile)
	synced := func() bool { ok, _ := clk.Synced(); return ok }

	st, err := store.Open(filepath.Join(cfg.Terminal.StateDir, "terminald.db"), &store.Options{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer st.Close()
	// Pruning runs in the background once the terminal is ready (below): start-up never
	// waits for history. It compares with the wall clock: only once that is trustworthy.
	pruner := &store.Pruner{Store: st, Retention: cfg.Terminal.Retention.Duration, Now: clk.Now, Trusted: synced, Log: log}

	hc := &http.Client{Timeout: 2 * time.Minute}
	provs, hooks, err := buildProviders(cfg, hc, log)
	if err != nil {
		return err
	}
	reg, m := metrics.New()
	scr, closeDisplay, err := buildDisplay(cfg, log)
	if err != nil {
		return err
	}
	defer closeDisplay()
	prn, closePrinter, err := buildPrinter(cfg, log)
	if err != nil {
		return err
	}
	defer closePrinter()
	chk := newChecked(provs, cfg.Display.Driver, prn, m, log)

	fc, err := cfg.Terminal.Section.Config()
	if err != nil {
		return err
	}
	// The manager PIN's wrong tries and lock are kept in the state directory, so a restart
	// does not open the lock.
	var guard flow.PINGuard
	if h := cfg.Admin.ManagerPINHash; h != "" {
		guard = &pin.Guard{Hash: h, Path: filepath.Join(cfg.Terminal.StateDir, "pin-lockout.json"), Now: clk.Now}
	}
	bz, err := buzzer.Open(cfg.Buzzer, prn)
	if err != nil {
		return err
	}
	fc.Locale = fc.Locale.WithBrands(cfg.Providers.Names) // providers.names on screens and receipts
	loc := fc.Locale
	fc.PIN, fc.Buzzer, fc.Keys = guard, bz, keyNames(cfg.Keypad)
	fc.MerchantCopy = cfg.Printer.MerchantCopy
	fc.Now, fc.ClockSynced, fc.Logger, fc.Observer = clk.Now, synced, log, observer{m, chk}
	eng, err := flow.New(fc, st, provs, chk.wrapDisplay(scr), prn)
	if err != nil {
		return err
	}

	// The engine, its inputs and services run on their own context: a stop signal (ctx)
	// starts the stop order (stopInOrder), which ends them last.
	sigCtx := ctx
	ctx, cancel := context.WithCancel(context.WithoutCancel(sigCtx))
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	wg.Add(1)
	go func() { defer wg.Done(); errc <- eng.Run(ctx) }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
		case <-eng.Ready():
			pruner.Run(ctx)
		}
	}()
	wg.Add(1)
	go func() { defer wg.Done(); chk.prober.Run(ctx) }()

	// Inputs: keypad and barcode scanner feed the same events.
	inputs, err := buildInputs(cfg, log)
	if err != nil {
		cancel()
		wg.Wait()
		return err
	}
	chk.watchInputs(inputs)
	if len(inputs) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keypad.RunAll(ctx, func(ev keypad.Event) {
				scr.Wake()
				deliver(eng, ev)
			}, inputs...)
		}()
	}
	// The display dims and sleeps only when idle; it needs its clock to tick.
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				scr.Tick()
			}
		}
	}()

	health := func() error {
		hctx, c := context.WithTimeout(ctx, 5*time.Second)
		defer c()
		return chk.healthz(hctx, eng)
	}
	adminOpts, err := adminOptions(cfg.Admin)
	if err != nil {
		cancel()
		wg.Wait()
		return err
	}
	stopServices, err := serveServices(ctx, eng, services{st: st, locale: loc, adminSocket: cfg.Admin.Socket, adminGroup: cfg.Admin.Group,
		adminOpts:  adminOpts,
		httpListen: cfg.HTTP.Listen, webhooks: cfg.Webhooks.Listen, hooks: hooks(eng), report: chk.report}, metrics.Handler(reg, health), log)
	if err != nil {
		cancel()
		wg.Wait()
		return err
	}
	defer stopServices()
	if cfg.ECR.Listen != "" {
		rc := cfg.ECR.Config(cfg.Terminal.Currency)
		rc.OnState, rc.Display = chk.device("register"), chk.display.Get
		stopECR, err := startECR(ctx, eng, rc, log)
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
		defer stopECR()
	}
	select {
	case <-sigCtx.Done():
		stopInOrder(eng, st, cfg.Terminal.StopSettle.Duration, log)
	case err := <-errc:
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
	}
	cancel()
	wg.Wait()
	log.Info("terminald stopped")
	return nil
}

// stopInOrder is the stop order's first half (README "Stopping"): the engine takes no new
// work (keys, register and admin payments are refused with flow.ErrClosing), and the
// payments in flight get up to settle to reach a final state. What is still open then is
// logged; the caller then stops the engine (every waiting register request is answered
// with the payment as it stands, or an abort), the services and the store. A payment left
// open stays on disk and is reconciled with its provider at the next start.
func stopInOrder(eng *flow.Engine, st *store.Store, settle time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), settle)
	defer cancel()
	if err := eng.Close(ctx); err != nil {
		log.Info("terminald stopping", "err", err)
		return
	}
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		s, err := eng.Status(ctx)
		if err != nil {
			break
		}
		if s.InFlight == 0 {
			log.Info("terminald stopping: nothing in flight")
			return
		}
		select {
		case <-ctx.Done():
		case <-t.C:
			continue
		}
		break
	}
	var open []*store.Payment
	err := st.View(func(tx *store.Tx) (err error) { open, err = tx.OpenPayments(); return })
	var ids []string
	for _, p := range open {
		if !p.State.Final() {
			ids = append(ids, p.ID+" "+string(p.State))
		}
	}
	log.Warn("terminald stopping with payments in flight: they stay on disk and resume at the next start",
		"settle", settle, "open", ids, "err", err)
}

// inputSink is what input events drive: the engine's input verbs.
type inputSink interface {
	Key(flow.Key)
	Scan(code string)
	ScanFailed()
}

var _ inputSink = (*flow.Engine)(nil)

// deliver hands one keypad or scanner event to the engine: a key, a scanned code, or a
// dropped scan (a *keypad.ScanError, already logged by the scanner), on which a prompt
// awaiting a scan asks for it again.
func deliver(to inputSink, ev keypad.Event) {
	switch {
	case ev.Err != nil:
		to.ScanFailed()
	case ev.Code != "":
		to.Scan(ev.Code)
	default:
		to.Key(flow.Key(ev.Key))
	}
}

// observer feeds the flow's counts to Prometheus.
type observer struct {
	m   *metrics.Metrics
	chk *checked
}

func (o observer) PaymentFinished(provider string, state store.State, late bool) {
	result := string(state)
	if late {
		result = "paid_late"
	}
	o.m.Payment(provider, result)
}
func (o observer) ProviderCall(provider, op string, took time.Duration) {
	o.m.ProviderRequest(provider, took)
}
func (o observer) Gauges(inFlight, outbox int, printer string) {
	o.m.InFlight.Set(float64(inFlight))
	o.m.OutboxDepth.Set(float64(outbox))
	o.m.SetPrinterState(printer)
	o.chk.notePrinter(printer)
}

// buildDisplay opens the configured panel behind the shared renderer.
func buildDisplay(cfg *config.Config, log *slog.Logger) (*display.Screen, func(), error) {
	r, err := screen.NewRenderer()
	if err != nil {
		return nil, nil, err
	}
	d := cfg.Display
	if d.Driver == "none" {
		return display.New(display.NewMemory(d.Width, d.Height), r, d.Options(log)), func() {}, nil
	}
	p, err := display.Open(d.Config())
	if err != nil {
		return nil, nil, fmt.Errorf("display: %w", err)
	}
	return display.New(p, r, d.Options(log)), func() { p.Close() }, nil
}

// buildPrinter opens the configured receipt printer.
func buildPrinter(cfg *config.Config, log *slog.Logger) (flow.Printer, func(), error) {
	c := cfg.Printer
	pc, err := c.Config(log)
	if err != nil {
		return nil, nil, err
	}
	switch c.Driver {
	case "serial":
		p := printer.NewReopening(reopen.Options{Name: "printer " + c.Device, Logger: log}, func() (*printer.Printer, error) {
			return printer.OpenSerial(c.Serial(), pc)
		})
		return statusPrinter{p}, startReopening(p), nil
	case "usb":
		p := printer.NewReopening(reopen.Options{Name: "printer " + c.Device, Logger: log}, func() (*printer.Printer, error) {
			return printer.OpenUSB(c.Device, pc)
		})
		return statusPrinter{p}, startReopening(p), nil
	}
	log.Warn("no receipt printer configured: receipts are not printed")
	return noPrinter{printer.NewFilePrinter(io.Discard, pc.Layout)}, func() {}, nil
}

// statusPrinter adapts a printer.Device to flow.PrinterStatus.
type statusPrinter struct{ printer.Device }

// Beep sounds the printer's buzzer (buzzer.driver = "printer").
func (p statusPrinter) Beep(ctx context.Context, times, units int) error {
	b, ok := p.Device.(buzzer.Beeper)
	if !ok {
		return errors.New("printer: this printer driver has no buzzer command")
	}
	return b.Beep(ctx, times, units)
}

func (p statusPrinter) PrinterStatus(ctx context.Context) string {
	s, err := p.Status(ctx)
	if errors.Is(err, printer.ErrAbsent) {
		return "missing"
	}
	if err != nil {
		return "unknown"
	}
	return s.Text()
}

// buildInputs opens the keypad and the barcode scanner.
func buildInputs(cfg *config.Config, log *slog.Logger) ([]keypad.Input, error) {
	var in []keypad.Input
	switch cfg.Keypad.Driver {
	case "evdev":
		m, err := keypad.ParseKeymap(cfg.Keypad.Keys)
		if err != nil {
			return nil, err
		}
		in = append(in, &keypad.Keypad{Device: keypad.Device{Path: cfg.Keypad.Device, Logger: log}, Map: m})
	case "matrix":
		in = append(in, matrixInput{rows: cfg.Keypad.Rows, cols: cfg.Keypad.Cols, cfg: keypad.MatrixConfig{Layout: cfg.Keypad.Keymap, Logger: log}, log: log})
	}
	if cfg.Scanner.Device != "" {
		layout, err := keypad.ParseLayout(cfg.Scanner.Layout)
		if err != nil {
			return nil, fmt.Errorf("scanner.layout: %w", err)
		}
		in = append(in, &keypad.Scanner{Device: keypad.Device{Path: cfg.Scanner.Device, Logger: log}, Layout: layout})
	}
	return in, nil
}

// adminOptions turns the [admin] section into the admin socket's options: admin.admins
// become the callers besides root and the daemon's user who may move money or paper.
func adminOptions(a config.Admin) ([]admin.Option, error) {
	access, err := admin.ParseAccess(a.Admins)
	if err != nil {
		return nil, fmt.Errorf("admin.%w", err)
	}
	return []admin.Option{admin.WithAccess(access)}, nil
}
