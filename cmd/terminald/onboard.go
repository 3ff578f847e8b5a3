package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"

	"github.com/terminald/terminald/config"
	"github.com/terminald/terminald/hw/printer"
	"github.com/terminald/terminald/providers/acountpay"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/screen"
)

// cmdAcountPay is `terminald acountpay SUBCOMMAND`: AcountPay tasks for the technician.
func cmdAcountPay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, "Usage: terminald acountpay onboard --config FILE --company NAME --email ADDR [--hold DURATION]\n")
		if len(args) == 0 {
			return fmt.Errorf("%w: acountpay: want a subcommand: onboard", errUsage)
		}
		return nil
	}
	switch args[0] {
	case "onboard":
		return cmdOnboard(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: unknown subcommand %q (onboard)", errUsage, args[0])
}

// onboardScreen is what the terminal's display shows for an onboarding.
type onboardScreen interface {
	Show(screen.Screen) error
}

// onboardPrinter prints the onboarding slip (flow.Printer).
type onboardPrinter interface {
	Print(ctx context.Context, r receipt.Receipt) error
}

// cmdOnboard creates an AcountPay merchant with the configured partner credentials and
// hands its onboarding URL to the shop owner: printed on stdout (text and a QR code
// drawn with block characters), shown as a QR code on the terminal's display and printed
// on its receipt printer, so the owner finishes onboarding with a phone. A display or
// printer that is not configured or cannot be opened is reported and skipped; the
// merchant is created regardless. The display keeps the QR code for --hold (Ctrl-C ends
// it earlier). Run it while the daemon is stopped: the daemon holds the display and printer.
func cmdOnboard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("acountpay onboard", stderr)
	path := fs.String("config", config.DefaultPath, "configuration `FILE` (its [acountpay] partner credentials, [display], [printer])")
	company := fs.String("company", "", "the merchant's company `NAME`")
	email := fs.String("email", "", "the shop owner's e-mail `ADDR`ess")
	hold := fs.Duration("hold", 5*time.Minute, "keep the QR code on the display this `long` (0: do not wait)")
	noDevices := fs.Bool("no-devices", false, "do not use the display and printer (stdout only)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case strings.TrimSpace(*company) == "":
		return fmt.Errorf("%w: --company is required", errUsage)
	case strings.TrimSpace(*email) == "":
		return fmt.Errorf("%w: --email is required", errUsage)
	case *hold < 0:
		return fmt.Errorf("%w: --hold must not be negative", errUsage)
	}
	cfg, err := config.Load(*path, configOptions(""))
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, cfg.Terminal.LogLevel)
	if err != nil {
		return err
	}
	a, ok := cfg.Provider["acountpay"].(*acountpay.Config)
	if !ok || a == nil {
		return fmt.Errorf("%s has no [acountpay] section", *path)
	}
	pc := *a
	pc.HTTPClient = &http.Client{Timeout: 2 * time.Minute}
	pt, err := acountpay.NewPartner(pc, log)
	if err != nil {
		return fmt.Errorf("[acountpay] in %s: %w", *path, err)
	}
	m, err := pt.CreateMerchant(ctx, *company, *email)
	if errors.Is(err, acountpay.ErrBadMerchantInput) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil {
		return err
	}
	var disp onboardScreen
	var prn onboardPrinter
	if !*noDevices {
		var closeAll func()
		disp, prn, closeAll = openOnboardDevices(cfg, log, stdout)
		defer closeAll()
	}
	handOutOnboarding(ctx, m, disp, prn, stdout)
	if disp != nil && *hold > 0 {
		fmt.Fprintf(stdout, "The QR code stays on the display for %v (Ctrl-C ends it).\n", *hold)
		t := time.NewTimer(*hold)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	return nil
}

// openOnboardDevices opens the configured display and printer the way the daemon does.
// A device that is not configured or does not open is reported on out and left nil.
func openOnboardDevices(cfg *config.Config, log *slog.Logger, out io.Writer) (onboardScreen, onboardPrinter, func()) {
	var disp onboardScreen
	var prn onboardPrinter
	var closers []func()
	if cfg.Display.Driver == "" || cfg.Display.Driver == "none" {
		fmt.Fprintln(out, "display: none configured; the QR code is not shown")
	} else if d, closeDisplay, err := buildDisplay(cfg, log); err != nil {
		fmt.Fprintf(out, "display: not shown: %v\n", err)
	} else {
		disp = d
		closers = append(closers, closeDisplay)
	}
	if cfg.Printer.Driver != "serial" && cfg.Printer.Driver != "usb" {
		fmt.Fprintln(out, "printer: none configured; nothing printed")
	} else if p, closePrinter, err := buildPrinter(cfg, log); err != nil {
		fmt.Fprintf(out, "printer: not printed: %v\n", err)
	} else {
		prn = p
		closers = append(closers, closePrinter)
	}
	return disp, prn, func() {
		for _, c := range closers {
			c()
		}
	}
}

// handOutOnboarding hands the merchant's onboarding URL out: on out always (text and a
// QR code), on the display and the printer when given; their failures are reported on
// out, not fatal.
func handOutOnboarding(ctx context.Context, m *acountpay.Merchant, disp onboardScreen, prn onboardPrinter, out io.Writer) {
	id := m.ClientID
	if id == "" {
		id = "- (not in the answer)"
	}
	if m.Existing {
		fmt.Fprintln(out, "AcountPay already had a merchant with this e-mail; its onboarding link again:")
	}
	fmt.Fprintf(out, "Merchant:        %s\nCompany:         %s\nContact e-mail:  %s\n", id, m.CompanyName, m.ContactEmail)
	if m.Status != "" {
		fmt.Fprintf(out, "Status:          %s\n", m.Status)
	}
	fmt.Fprintf(out, "Onboarding URL:  %s\n\n", m.OnboardingURL)
	if err := writeTextQR(out, m.OnboardingURL); err != nil {
		fmt.Fprintf(out, "(no QR code: %v)\n", err)
	}
	fmt.Fprintf(out, "\nThe shop owner scans the code with a phone and finishes onboarding there.\n"+
		"Then set merchant_client_id = %q in [acountpay].\n", m.ClientID)
	if disp != nil {
		err := disp.Show(screen.Screen{Kind: screen.QR, Title: "AcountPay onboarding", Provider: "AcountPay",
			QR: m.OnboardingURL, Lines: []string{m.CompanyName, "Owner: scan to finish"}})
		if err != nil {
			fmt.Fprintf(out, "display: not shown: %v\n", err)
		} else {
			fmt.Fprintln(out, "display: QR code shown")
		}
	}
	if prn != nil {
		r := receipt.Receipt{Kind: receipt.Slip, Cut: true, QR: m.OnboardingURL, Lines: []receipt.Line{
			{Text: "AcountPay onboarding", Align: receipt.Center, Bold: true},
			{Text: m.CompanyName, Align: receipt.Center},
			{Text: m.ContactEmail, Align: receipt.Center},
			{Text: "Merchant " + id},
			{Text: "Scan to finish onboarding:"},
		}}
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := printWhenOpen(pctx, prn, r, onboardPrinterWait)
		cancel()
		if err != nil {
			fmt.Fprintf(out, "printer: not printed: %v\n", err)
		} else {
			fmt.Fprintln(out, "printer: onboarding slip printed")
		}
	}
}

// onboardPrinterWait is how long the onboarding slip waits for a printer that is not
// open yet: the printer is opened in the background as in the daemon, and one that is
// there opens within milliseconds of the command's start.
const onboardPrinterWait = 3 * time.Second

// printWhenOpen prints r on prn, trying again every 50 ms for up to wait while prn says
// it is not connected (printer.ErrAbsent: still being opened, or missing). It returns
// the last attempt's error.
func printWhenOpen(ctx context.Context, prn onboardPrinter, r receipt.Receipt, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := prn.Print(ctx, r)
		if !errors.Is(err, printer.ErrAbsent) || !time.Now().Before(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-tick.C:
		}
	}
}

// writeTextQR draws payload as a QR code with Unicode half blocks, two modules rows a
// text line, light modules drawn (for a dark terminal), with a quiet zone of 2 modules.
func writeTextQR(w io.Writer, payload string) error {
	code, err := qr.Encode(payload, qr.M, qr.Auto)
	if err != nil {
		return err
	}
	const quiet = 2
	n := code.Bounds().Dx()
	dark := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		if x < 0 || y < 0 || x >= n || y >= n {
			return false
		}
		r, _, _, _ := code.At(x, y).RGBA()
		return r < 0x8000
	}
	var b strings.Builder
	for y := 0; y < n+2*quiet; y += 2 {
		for x := 0; x < n+2*quiet; x++ {
			top, bottom := !dark(x, y), y+1 < n+2*quiet && !dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteString("\n")
	}
	_, err = io.WriteString(w, b.String())
	return err
}
