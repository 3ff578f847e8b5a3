package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/terminald/terminald/clock"
	"github.com/terminald/terminald/config"
	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/hw/keypad"
	"github.com/terminald/terminald/hw/printer"
	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/metrics"
	"github.com/terminald/terminald/providers/accrue"
	"github.com/terminald/terminald/providers/acountpay"
	"github.com/terminald/terminald/providers/cryptogw"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/serialport"
	"github.com/terminald/terminald/store"
	"periph.io/x/conn/v3/physic"
)

// cmdRun is the daemon on terminal hardware.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("run", stderr)
	path := fs.String("config", config.DefaultPath, "configuration `FILE`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
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
	if synced() {
		// Pruning compares with the wall clock: only once it is trustworthy.
		if n, err := st.Prune(clk.Now().Add(-cfg.Terminal.Retention.Duration)); err != nil {
			log.Error("prune", "err", err)
		} else if n > 0 {
			log.Info("pruned old payments", "count", n)
		}
	}

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

	lo, hi := cfg.Bounds()
	reverseLate := cfg.Terminal.ReverseLate == nil || *cfg.Terminal.ReverseLate
	eng, err := flow.New(flow.Config{
		TerminalID: cfg.Terminal.ID, Merchant: cfg.Terminal.Merchant, MerchantInfo: cfg.Terminal.MerchantInfo,
		Currency: cfg.Terminal.Currency, MinAmount: lo, MaxAmount: hi, MerchantCopy: cfg.Printer.MerchantCopy,
		WatchWindow: cfg.Terminal.WatchWindow.Duration, ReverseLate: reverseLate,
		Now: clk.Now, ClockSynced: synced, Logger: log, Observer: observer{m},
	}, st, provs, scr, prn)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	wg.Add(1)
	go func() { defer wg.Done(); errc <- eng.Run(ctx) }()

	// Inputs: keypad and barcode scanner feed the same events.
	inputs, err := buildInputs(cfg, log)
	if err != nil {
		cancel()
		wg.Wait()
		return err
	}
	if len(inputs) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keypad.RunAll(ctx, func(ev keypad.Event) {
				scr.Wake()
				if ev.Code != "" {
					eng.Scan(ev.Code)
					return
				}
				eng.Key(flow.Key(ev.Key))
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
		return eng.Healthy(hctx)
	}
	stopServices, err := serveServices(ctx, eng, services{adminSocket: cfg.Admin.Socket, adminGroup: cfg.Admin.Group,
		httpListen: cfg.HTTP.Listen, webhooks: cfg.Webhooks.Listen, hooks: hooks(eng)}, metrics.Handler(reg, health), log)
	if err != nil {
		cancel()
		wg.Wait()
		return err
	}
	defer stopServices()
	if cfg.ECR.Listen != "" {
		stopECR, err := startECR(ctx, cfg.ECR.Listen, eng, ecrSettings{password: cfg.ECR.Password,
			terminalID: cfg.ECR.TerminalID, currency: cfg.Terminal.Currency, baud: cfg.ECR.Baud}, log)
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
		defer stopECR()
	}
	select {
	case <-ctx.Done():
		log.Info("terminald stopping: the current payment stays on disk and resumes at the next start")
	case err := <-errc:
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
	}
	cancel()
	wg.Wait()
	return nil
}

// observer feeds the flow's counts to Prometheus.
type observer struct{ m *metrics.Metrics }

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
}

// buildProviders makes the enabled providers' clients and their webhook receivers.
func buildProviders(cfg *config.Config, hc *http.Client, log *slog.Logger) ([]driver.Provider, func(*flow.Engine) map[string]http.Handler, error) {
	var out []driver.Provider
	type hookFn func(hint func(string)) (http.Handler, error)
	hookMakers := map[string]hookFn{}
	for _, name := range cfg.Providers.Enabled {
		switch name {
		case "acountpay":
			a := cfg.AcountPay
			p, err := acountpay.New(acountpay.Config{BaseURL: a.BaseURL, Variant: a.Variant, ClientID: a.ClientID,
				ClientSecret: a.ClientSecret, MerchantClientID: a.MerchantClientID, WebhookSecret: a.WebhookSecret,
				WebhookURL: a.WebhookURL, StoreID: a.StoreID, RegisterID: a.RegisterID, Description: a.Description,
				Expiry: a.Expiry.Duration, Timeout: a.Timeout.Duration, HTTPClient: hc}, log)
			if err != nil {
				return nil, nil, fmt.Errorf("acountpay: %w", err)
			}
			out = append(out, p)
			if a.WebhookSecret != "" {
				hookMakers[name] = func(hint func(string)) (http.Handler, error) {
					return p.WebhookHandler(func(ref, id string) { hint(ref); hint(id) })
				}
			}
		case "accrue":
			a := cfg.Accrue
			p, err := accrue.New(accrue.Config{BaseURL: a.BaseURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
				WebhookSecret: a.WebhookSecret, Methods: a.Methods, Timeout: a.Timeout.Duration,
				LongTimeout: a.LongTimeout.Duration, HTTPClient: hc}, log)
			if err != nil {
				return nil, nil, fmt.Errorf("accrue: %w", err)
			}
			out = append(out, p)
			if a.WebhookSecret != "" {
				hookMakers[name] = func(hint func(string)) (http.Handler, error) { return p.WebhookHandler(hint), nil }
			}
		case "cryptogw":
			g := cfg.CryptoGW
			p, err := cryptogw.New(cryptogw.Config{BaseURL: g.BaseURL, Username: g.Username, APIKey: g.APIKey, PosID: g.PosID,
				Locale: g.Locale, User: g.User, Currencies: g.Currencies, AcceptZeroConfirmations: g.AcceptZeroConfirmations,
				RequireKYT: g.RequireKYT, AutoAcceptUnderpayment: g.AutoAcceptUnderpayment,
				AutoAcceptUnderpaymentMin: g.AutoAcceptUnderpaymentMin, AutoAcceptOverpayment: g.AutoAcceptOverpayment,
				AutoAcceptOverpaymentMax: g.AutoAcceptOverpaymentMax, AutoAcceptLatePayment: g.AutoAcceptLatePayment,
				WebhookURL: g.WebhookURL, Expiry: g.Expiry.Duration, Timeout: g.Timeout.Duration, HTTPClient: hc}, log)
			if err != nil {
				return nil, nil, fmt.Errorf("cryptogw: %w", err)
			}
			out = append(out, p)
			hookMakers[name] = func(hint func(string)) (http.Handler, error) {
				return cryptogw.NewWebhookHandler(hint, log), nil
			}
		}
	}
	hooks := func(eng *flow.Engine) map[string]http.Handler {
		m := map[string]http.Handler{}
		for name, mk := range hookMakers {
			h, err := mk(eng.Hint)
			if err != nil {
				log.Error("webhook receiver", "provider", name, "err", err)
				continue
			}
			m[name] = h
		}
		return m
	}
	return out, hooks, nil
}

// buildDisplay opens the configured panel behind the shared renderer.
func buildDisplay(cfg *config.Config, log *slog.Logger) (*display.Screen, func(), error) {
	r, err := screen.NewRenderer()
	if err != nil {
		return nil, nil, err
	}
	d := cfg.Display
	opts := &display.Options{DimAfter: d.DimAfter.Duration, OffAfter: d.SleepAfter.Duration, Logger: log}
	if d.Driver == "none" {
		return display.New(display.NewMemory(d.Width, d.Height), r, opts), func() {}, nil
	}
	invert := d.Invert == nil || *d.Invert
	p, err := display.Open(display.Config{Driver: d.Driver, SPI: d.SPIPort, DC: d.DCPin, Reset: d.ResetPin,
		Backlight: d.BacklightPin, Width: d.Width, Height: d.Height, ColOffset: d.OffsetX, RowOffset: d.OffsetY,
		Rotation: d.Rotation, BGR: d.BGR, Invert: d.Driver == "ili9341" && d.Invert != nil && *d.Invert,
		NoInvert: d.Driver == "st7789" && !invert, Frequency: physicHz(d.SpeedHz), Framebuffer: d.Framebuffer})
	if err != nil {
		return nil, nil, fmt.Errorf("display: %w", err)
	}
	return display.New(p, r, opts), func() { p.Close() }, nil
}

// buildPrinter opens the configured receipt printer.
func buildPrinter(cfg *config.Config, log *slog.Logger) (flow.Printer, func(), error) {
	c := cfg.Printer
	paper, err := escpos.PaperFor(c.Width)
	if err != nil {
		return nil, nil, fmt.Errorf("printer.width: %w", err)
	}
	cp, err := escpos.ParseCodePage(c.CodePage)
	if err != nil {
		return nil, nil, fmt.Errorf("printer.codepage: %w", err)
	}
	layout := printer.Layout{Paper: paper, CodePage: cp, RasterQR: c.NativeQR != nil && !*c.NativeQR}
	if c.Logo != "" {
		raster, err := loadLogo(c.Logo, paper.Dots)
		if err != nil {
			return nil, nil, fmt.Errorf("printer.logo: %w", err)
		}
		layout.Logo = raster
	}
	pc := printer.Config{Layout: layout, Logger: log}
	switch c.FlowControl {
	case "xonxoff":
		pc.Pacing.XONXOFF = true
	case "pace":
		pc.Pacing.ChunkSize, pc.Pacing.Pause = 256, 20*time.Millisecond
	}
	switch c.Driver {
	case "serial":
		parity := map[string]serialport.Parity{"none": serialport.ParityNone, "odd": serialport.ParityOdd, "even": serialport.ParityEven}[c.Parity]
		p, err := printer.OpenSerial(serialport.Config{Name: c.Device, Baud: c.Baud, Parity: parity, StopBits: c.StopBits, ReadTimeout: 100 * time.Millisecond}, pc)
		if err != nil {
			return nil, nil, err
		}
		return statusPrinter{p}, func() { p.Close() }, nil
	case "usb":
		p, err := printer.OpenUSB(c.Device, pc)
		if err != nil {
			return nil, nil, err
		}
		return statusPrinter{p}, func() { p.Close() }, nil
	}
	log.Warn("no receipt printer configured: receipts are not printed")
	return statusPrinter{printer.NewFilePrinter(io.Discard, io.Discard, layout)}, func() {}, nil
}

// statusPrinter adapts a printer.Device to flow.PrinterStatus.
type statusPrinter struct{ printer.Device }

func (p statusPrinter) PrinterStatus(ctx context.Context) string {
	s, err := p.Status(ctx)
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
		in = append(in, &keypad.Keypad{Device: keypad.Device{Path: cfg.Keypad.Device, Logger: log}})
	case "matrix":
		m, err := keypad.OpenMatrix(cfg.Keypad.Rows, cfg.Keypad.Cols, keypad.MatrixConfig{Layout: cfg.Keypad.Keymap, Logger: log})
		if err != nil {
			return nil, err
		}
		in = append(in, m)
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

func physicHz(hz int64) physic.Frequency { return physic.Frequency(hz) * physic.Hertz }

// loadLogo reads a PNG logo and turns it into a raster at most half the paper wide.
func loadLogo(path string, dots int) (*escpos.Raster, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return printer.LoadLogo(f, dots/2, true)
}
