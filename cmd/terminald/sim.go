//go:build sim

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/hw/keypad"
	"github.com/terminald/terminald/hw/printer"
	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/hw/printer/escposdoc"
	"github.com/terminald/terminald/internal/qrread"
	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// simOptions are the simulator's flags.
type simOptions struct {
	displayDir  string
	receiptFile string
	stateDir    string
	sandboxURL  string
	provider    string
	payAfter    string
	ecr         string
	panel       string
	width       int
	height      int
	logLevel    string
	merchant    string
	currency    string
	language    string
	timeZone    string
	terminalID  string
	wallet      string
	paysPercent int64
	adminSocket string
	settle      time.Duration
}

func cmdSim(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flags("sim", stderr)
	var o simOptions
	fs.StringVar(&o.displayDir, "display-dir", "", "write every screen change as PNG into `DIR` (latest also as screen.png)")
	fs.StringVar(&o.receiptFile, "receipt-file", "", "append the printer's ESC/POS bytes to `FILE`")
	fs.StringVar(&o.stateDir, "state", "", "state `DIR`, kept across runs (default: a new temporary directory, removed at exit unless a payment is still open)")
	fs.StringVar(&o.sandboxURL, "sandbox", "", "use the provider sandbox at `URL` instead of starting one")
	fs.StringVar(&o.provider, "provider", "acountpay", "provider: acountpay, accrue or cryptogw")
	fs.StringVar(&o.payAfter, "pay-after", "3s", "the simulated customer pays this long after the QR shows (`DURATION` or never)")
	fs.StringVar(&o.ecr, "ecr", "", "listen for a cash register: tcp://HOST:PORT or serial:/dev/pts/N")
	fs.StringVar(&o.panel, "display", "memory", "display: memory (framebuffer) or st7789 (the real driver into a panel emulator)")
	fs.IntVar(&o.width, "width", 240, "display width in pixels")
	fs.IntVar(&o.height, "height", 320, "display height in pixels")
	fs.StringVar(&o.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	fs.StringVar(&o.merchant, "merchant", "Demo Shop", "merchant name")
	fs.StringVar(&o.currency, "currency", "", "ISO 4217 `CODE` of the amounts keyed (terminal.currency; default: the provider's, DKK, USD or EUR)")
	fs.StringVar(&o.language, "language", "en", "terminal.language: screens and receipts in `LANG`: "+strings.Join(locale.Languages(), ", "))
	fs.StringVar(&o.timeZone, "timezone", "", "terminal.timezone: IANA `ZONE` receipts are stamped in (default: the system's)")
	fs.StringVar(&o.terminalID, "terminal-id", "SIM1", "terminal id")
	fs.StringVar(&o.wallet, "wallet", "rich", "Accrue: the demo wallet the customer shows: rich, poor, unverified or decline")
	fs.Int64Var(&o.paysPercent, "customer-pays", 100, "crypto: the customer sends this `PERCENT` of the asked amount (less is an underpayment)")
	fs.StringVar(&o.adminSocket, "admin-socket", "", "serve the admin API on this unix socket `PATH` (terminald status --socket PATH)")
	fs.DurationVar(&o.settle, "settle", 30*time.Second, "at the end of input, wait at most this `DURATION` for the payments in flight (cancels included) to end")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	var payAfter time.Duration = -1
	if o.payAfter != "never" {
		d, err := time.ParseDuration(o.payAfter)
		if err != nil || d < 0 {
			return fmt.Errorf("%w: --pay-after: a duration such as 3s, or never; got %q", errUsage, o.payAfter)
		}
		payAfter = d
	}
	if (o.width != 240 || (o.height != 320 && o.height != 240)) && !(o.width == 320 && o.height == 240) {
		return fmt.Errorf("%w: --width/--height: 240x320, 240x240 or 320x240", errUsage)
	}
	// On a terminal the display is drawn live at the bottom of the window; the receipts
	// and log lines written to the same terminal go above it (simTerm).
	var view *simTerm
	if f, ok := stdout.(*os.File); ok {
		if view = newSimTerm(f, stderr); view != nil {
			defer view.stop()
			if ef, ok := stderr.(*os.File); ok && sameTerminal(f, ef) {
				stderr = view
			}
		}
	}
	loc, err := locale.New(locale.Options{Language: o.language, TimeZone: o.timeZone})
	if err != nil {
		return fmt.Errorf("%w: --language/--timezone: %v", errUsage, err)
	}
	if o.currency != "" {
		o.currency = strings.ToUpper(o.currency)
		if _, err := money.Lookup(o.currency); err != nil {
			return fmt.Errorf("%w: --currency: %v", errUsage, err)
		}
	}
	log, err := newLogger(stderr, o.logLevel)
	if err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	tempState := o.stateDir == ""
	if tempState {
		dir, err := os.MkdirTemp("", "terminald-sim-")
		if err != nil {
			return err
		}
		o.stateDir = dir
	} else if err := os.MkdirAll(o.stateDir, 0o755); err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	// keepState is set when a payment stayed open: a temporary state directory then
	// stays, so the payment can be resumed with --state.
	keepState := false
	defer func() {
		if tempState && !keepState {
			os.RemoveAll(o.stateDir)
		}
	}()

	// Provider: the real client against a sandbox on loopback.
	if o.settle <= 0 {
		return fmt.Errorf("%w: --settle: a positive duration such as 30s", errUsage)
	}
	if o.paysPercent <= 0 || o.paysPercent > 200 {
		return fmt.Errorf("%w: --customer-pays: 1 to 200 (percent)", errUsage)
	}
	sb, err := simSandbox(o.provider, o.sandboxURL, o.wallet, o.paysPercent, log)
	if err != nil {
		return err
	}
	defer sb.close()
	if o.currency == "" {
		o.currency = sb.currency
	}

	st, err := store.Open(filepath.Join(o.stateDir, "terminald.db"), &store.Options{Timeout: 2 * time.Second})
	if err != nil {
		return err
	}
	defer st.Close()

	disp, err := newSimDisplay(o, view)
	if err != nil {
		return err
	}
	var receipts io.Writer = io.Discard
	if o.receiptFile != "" {
		f, err := os.OpenFile(o.receiptFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("--receipt-file: %w", err)
		}
		defer f.Close()
		receipts = f
	}
	text := escposdoc.TextWriter(stderr, escpos.Paper80.Columns)
	if receipts != nil {
		text = io.MultiWriter(receipts, text)
	}
	prn := printerStatus{printer.NewFilePrinter(text, printer.Layout{CodePage: escpos.PC858})}

	eng, err := flow.New(flow.Config{
		TerminalID: o.terminalID, Merchant: o.merchant, MerchantInfo: []string{"terminald simulator"},
		Currency: o.currency, Locale: loc, MaxAmount: 100_000_00, Logger: log, ReverseLate: true,
		PollMin: 500 * time.Millisecond, PollMax: 2 * time.Second, WatchPoll: 10 * time.Second,
	}, st, []driver.Provider{sb.provider}, disp, prn)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	wg.Add(1)
	go func() { defer wg.Done(); errc <- eng.Run(ctx) }()
	select {
	case <-eng.Ready():
	case err := <-errc:
		return err
	}
	// A schema-2 state directory's history moves in the background (the daemon's
	// Pruner does this first); nothing when there is none.
	wg.Add(1)
	go func() { defer wg.Done(); st.MigrateHistory(ctx, 20*time.Millisecond) }()
	stopServices, err := serveServices(ctx, eng, services{st: st, adminSocket: o.adminSocket}, nil, log)
	if err != nil {
		return err
	}
	defer stopServices()
	fmt.Fprintf(stderr, "terminald sim: ready (provider %s at %s, %s %s, state %s)\n", o.provider, sb.url, o.language, o.currency, o.stateDir)
	if tempState {
		fmt.Fprintln(stderr, "terminald sim: the state is a temporary directory, removed at exit unless a payment stays open; --state DIR keeps it")
	} else {
		fmt.Fprintf(stderr, "terminald sim: a payment left open resumes when you start again with --state %s\n", o.stateDir)
	}
	fmt.Fprintln(stderr, "keys: "+simKeys)

	if o.ecr != "" {
		stopECR, err := startECR(ctx, eng, simECRConfig(o.ecr, o.currency), log)
		if err != nil {
			return err
		}
		defer stopECR()
		fmt.Fprintf(stderr, "terminald sim: listening for a cash register on %s\n", o.ecr)
	}

	// The simulated customer reads the display and pays.
	wg.Add(1)
	// What the customer paid is kept across runs only against a standalone sandbox, which
	// keeps its payments too: the built-in one starts afresh each run and hands out the
	// same payment URLs and addresses again, which a kept list would refuse to pay.
	paidFile := ""
	if o.sandboxURL != "" {
		paidFile = filepath.Join(o.stateDir, "customer-paid")
	}
	paidQRs := openPaidQRs(paidFile, log)
	go func() { defer wg.Done(); customer(ctx, disp.frames, payAfter, sb, eng, paidQRs, log) }()

	// The keypad is stdin. In raw mode when it is a terminal.
	if f, ok := stdin.(*os.File); ok {
		if restore, err := keypad.SetRaw(f); err == nil {
			defer restore()
		}
	}
	started := time.Now()
	eof := make(chan struct{})
	go func() {
		keypad.Terminal(ctx, stdin, func(ev keypad.Event) { deliver(eng, ev) })
		close(eof)
	}()

	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	case <-eof:
		if o.ecr != "" {
			// A register drives this simulator: keep serving it until stopped.
			<-ctx.Done()
			break
		}
		// Input ended: a prompt nobody can answer now ends (a scan step still gets the
		// simulated customer's scan), then leave as soon as no payment is in flight
		// (cancels, also those started by recovery, answered), or after --settle.
		fmt.Fprintln(stderr, "terminald sim: input ended")
		eng.InputEnded(sb.scanCode != "" && payAfter >= 0)
		settled := settle(ctx, eng, o.settle)
		cancel()
		wg.Wait()
		keepState = reportEnd(stderr, st, started, settled, o.settle)
		resumeHint(stderr, keepState, o.stateDir, o.sandboxURL == "")
		return nil
	}
	cancel()
	wg.Wait()
	keepState = reportOpen(stderr, st)
	resumeHint(stderr, keepState, o.stateDir, o.sandboxURL == "")
	return nil
}

// simKeys names the simulator's keys as the stdin keypad maps them (keypad.Terminal);
// the screens' hints say "OK" and "X". Two lines that fit 80 columns.
const simKeys = "0-9 . | Enter = OK | Backspace = clear | x, c or Esc = cancel (X) | m = menu\n" +
	"      arrows = up/down | scan:CODE Enter = a scanned code"

// resumeHint says how to resume the payments left open in dir, when open. The built-in
// sandbox forgets its payments at exit; a standalone one (--sandbox) keeps them.
func resumeHint(w io.Writer, open bool, dir string, ownSandbox bool) {
	if !open {
		return
	}
	fmt.Fprintf(w, "terminald sim: a payment is still open; resume it with: terminald sim --state %s (make run: run it again)\n", dir)
	if ownSandbox {
		fmt.Fprintln(w, "terminald sim: the built-in sandbox forgets its payments at exit; to resume against the provider's side, run `terminald sandbox` apart and pass --sandbox URL")
	}
}

// reportOpen writes one line per payment not yet final (after an interrupt) and
// reports whether there was one.
func reportOpen(w io.Writer, st *store.Store) bool {
	open := false
	err := st.View(func(tx *store.Tx) error {
		return tx.Payments(func(p *store.Payment) bool {
			if !p.State.Final() {
				open = true
				fmt.Fprintf(w, "terminald sim: still open: %s %s via %s: %s\n", p.ID, p.Amount, p.Provider, p.State)
			}
			return true
		})
	})
	if err != nil {
		fmt.Fprintf(w, "terminald sim: cannot list the payments: %v\n", err)
	}
	return open
}

// settle waits until eng is idle, at most bound; it reports whether it became idle.
func settle(ctx context.Context, eng *flow.Engine, bound time.Duration) bool {
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		if idle, err := eng.Idle(ctx); err != nil || idle {
			return err == nil
		}
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-poll.C:
		}
	}
}

// reportEnd writes one line per payment of this run (touched since started) saying how
// it ended, and what is still open when the simulator did not settle within bound. It
// reports whether a payment is still open.
func reportEnd(w io.Writer, st *store.Store, started time.Time, settled bool, bound time.Duration) bool {
	var open []string
	err := st.View(func(tx *store.Tx) error {
		return tx.Payments(func(p *store.Payment) bool {
			if p.UpdatedAt.Before(started) && p.State.Final() {
				return true
			}
			line := fmt.Sprintf("%s %s via %s: %s", p.ID, p.Amount, p.Provider, p.State)
			if p.PaidLate {
				line += " (paid after cancel)"
			}
			if p.Reason != "" && p.State != store.StatePaid {
				line += " (" + p.Reason + ")"
			}
			if !p.State.Final() {
				open = append(open, line)
				return true
			}
			fmt.Fprintf(w, "terminald sim: payment %s\n", line)
			return true
		})
	})
	if err != nil {
		fmt.Fprintf(w, "terminald sim: cannot list the payments: %v\n", err)
		return false
	}
	for _, l := range open {
		if settled {
			fmt.Fprintf(w, "terminald sim: payment %s\n", l)
			continue
		}
		fmt.Fprintf(w, "terminald sim: still open after %s (resumes at the next start with this --state): %s\n", bound, l)
	}
	if len(open) == 0 {
		fmt.Fprintln(w, "terminald sim: nothing open; exiting")
	}
	return !settled && len(open) > 0
}

// printerStatus adapts a printer with a Status method to flow.PrinterStatus.
type printerStatus struct {
	*printer.FilePrinter
}

func (p printerStatus) PrinterStatus(ctx context.Context) string {
	s, err := p.Status(ctx)
	if err != nil {
		return "unknown"
	}
	return s.String()
}

// simDisplay is the simulator's screen: the shared renderer into an in-memory panel (or
// the real ST7789 driver into a panel emulator), written as PNGs and drawn in the terminal.
type simDisplay struct {
	scr    *display.Screen
	r      *screen.Renderer
	w, h   int
	frame  func() *image.RGBA
	dir    string
	view   *simTerm // the terminal the display is drawn on; nil when stdout is none
	frames chan shown

	mu     sync.Mutex
	n      int
	last   screen.Screen
	lay    screen.Layout // of last, for the QR's position in the terminal drawing
	layFor string        // the QR payload lay was computed for
}

// shown is one displayed frame with the screen model it came from.
type shown struct {
	s   screen.Screen
	img *image.RGBA
}

func newSimDisplay(o simOptions, view *simTerm) (*simDisplay, error) {
	r, err := screen.NewRenderer()
	if err != nil {
		return nil, err
	}
	d := &simDisplay{dir: o.displayDir, frames: make(chan shown, 1), r: r, w: o.width, h: o.height}
	switch o.panel {
	case "memory":
		mem := display.NewMemory(o.width, o.height)
		d.scr = display.New(mem, r, nil)
		d.frame = mem.Snapshot
	case "st7789":
		p, snap, err := emulatedST7789(o.width, o.height)
		if err != nil {
			return nil, err
		}
		// Sent as the daemon sends to an SPI panel: windows joined where the default
		// transfer gap makes that quicker (display.spi_transfer_gap).
		sec := display.DefaultSection()
		sec.Driver = o.panel
		d.scr = display.New(p, r, &display.Options{TransferCost: sec.Options(nil).TransferCost})
		d.frame = snap
	default:
		return nil, fmt.Errorf("%w: --display: memory or st7789, got %q", errUsage, o.panel)
	}
	if d.dir != "" {
		if err := os.MkdirAll(d.dir, 0o755); err != nil {
			return nil, fmt.Errorf("--display-dir: %w", err)
		}
	}
	d.view = view
	return d, nil
}

// Show draws s and publishes the frame.
func (d *simDisplay) Show(s screen.Screen) error {
	if err := d.scr.Show(s); err != nil {
		return err
	}
	img := d.frame()
	d.mu.Lock()
	changed := s.Kind != d.last.Kind || s.Title != d.last.Title || s.Amount != d.last.Amount || s.QR != d.last.QR ||
		fmt.Sprint(s.Lines, s.Options) != fmt.Sprint(d.last.Lines, d.last.Options) || d.n == 0
	d.last = s
	if changed {
		d.n++
	}
	n := d.n
	d.mu.Unlock()
	if d.dir != "" {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		// Written under a temporary name and renamed, so a reader never sees half a PNG.
		if changed {
			writeAtomic(filepath.Join(d.dir, fmt.Sprintf("screen-%04d-%s.png", n, s.Kind)), buf.Bytes())
		}
		writeAtomic(filepath.Join(d.dir, "screen.png"), buf.Bytes())
	}
	if d.view != nil {
		d.mu.Lock()
		if s.QR != d.layFor || d.n == 1 {
			d.lay, d.layFor = d.r.Layout(s, d.w, d.h), s.QR
		}
		lay := d.lay
		d.mu.Unlock()
		d.view.show(s, img, lay)
	}
	select {
	case <-d.frames:
	default:
	}
	d.frames <- shown{s, img}
	return nil
}

func writeAtomic(path string, data []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// customer plays the customer: it decodes each QR from the display's framebuffer and pays
// payAfter later, or answers a scan step with the sandbox's demo wallet code. It acts
// once each time such a screen appears (a redraw of the same screen, the QR's countdown,
// is not a new payment) and again whenever it appears anew: a second payment of the same
// amount shows the same scan screen after other screens in between, and is paid too.
// A QR it has paid it does not pay again when the terminal shows it once more (a crypto
// payment resumed after a restart while its coins wait for confirmations): a customer who
// has paid does not pay twice. Against a standalone sandbox it remembers that also from
// the simulator run before on the same --state.
func customer(ctx context.Context, frames <-chan shown, payAfter time.Duration, sb *simProvider, eng *flow.Engine, paid *paidQRs, log *slog.Logger) {
	last := "" // the screen acted on, while it stays shown
	for {
		var f shown
		select {
		case <-ctx.Done():
			return
		case f = <-frames:
		}
		if payAfter < 0 {
			continue
		}
		var key string
		var act func(context.Context) error
		switch {
		case f.s.Kind == screen.QR:
			payload, err := qrread.Decode(f.img)
			if err != nil {
				log.Debug("customer: no QR readable on the display yet", "err", err)
				continue
			}
			if paid.has(payload) {
				log.Debug("customer: this QR is paid already", "payload", payload)
				continue
			}
			key, act = "qr:"+payload, func(ctx context.Context) error {
				if err := sb.pay(ctx, payload); err != nil {
					return err
				}
				paid.add(payload)
				return nil
			}
		case f.s.Kind == screen.Input && sb.scanCode != "":
			key = "scan:" + f.s.Title + f.s.Amount
			act = func(context.Context) error { eng.Scan(sb.scanCode); return nil }
		default:
			last = "" // another screen: the next scan or QR screen is a new payment's
			continue
		}
		if key == last {
			continue
		}
		last = key
		go func() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(payAfter):
			}
			if err := act(ctx); err != nil {
				log.Warn("customer: could not pay", "err", err)
			}
		}()
	}
}

// paidQRs is what the simulated customer has paid: QR payloads (a payment URL, a crypto
// address URI; each names one payment), one a line in a file of the state directory so
// the next simulator run on the same state knows them. Safe for concurrent use.
type paidQRs struct {
	mu   sync.Mutex
	path string // "" keeps them in memory only
	seen map[string]bool
	log  *slog.Logger
}

// openPaidQRs reads the payloads paid so far from path (missing: none; "": memory only).
func openPaidQRs(path string, log *slog.Logger) *paidQRs {
	p := &paidQRs{path: path, seen: map[string]bool{}, log: log}
	if path == "" {
		return p
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Warn("customer: cannot read what was paid before", "file", path, "err", err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" {
			p.seen[l] = true
		}
	}
	return p
}

func (p *paidQRs) has(payload string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[payload]
}

// add records payload as paid, in memory and appended to the file.
func (p *paidQRs) add(payload string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[payload] = true
	if p.path == "" || strings.ContainsAny(payload, "\r\n") {
		return
	}
	f, err := os.OpenFile(p.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		_, err = f.WriteString(payload + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		p.log.Warn("customer: cannot note what was paid", "file", p.path, "err", err)
	}
}
