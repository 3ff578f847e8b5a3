package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/terminald/terminald/admin"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/health"
	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/sdnotify"
	"github.com/terminald/terminald/store"
)

// services are the parts around the engine that run and sim share: systemd notify and
// watchdog, the admin socket, the metrics endpoint and the webhook receiver.
type services struct {
	adminSocket string
	adminGroup  string
	adminOpts   []admin.Option // e.g. admin.WithAccess from admin.admins
	httpListen  string
	webhooks    string
	hooks       map[string]http.Handler // webhook receivers by provider name
	st          *store.Store            // the database, for the admin listing
	report      func() health.Report    // checked health for status; nil: none
	locale      *locale.Locale          // the shop's amount format for refund; nil: English
}

// serve runs the services until ctx ends: READY=1 once the engine recovered, WATCHDOG=1
// from the engine's health check, STOPPING=1 on the way out.
func serveServices(ctx context.Context, eng *flow.Engine, s services, reg http.Handler, log *slog.Logger) (func(), error) {
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if s.adminSocket != "" {
		srv, err := admin.Listen(s.adminSocket, s.adminGroup, adminHandler{eng: eng, st: s.st, report: s.report, loc: s.locale}, log.With("part", "admin"), s.adminOpts...)
		if err != nil {
			return stop, err
		}
		stops = append(stops, func() { srv.Close() })
	}
	if s.httpListen != "" && reg != nil {
		_, closeHTTP, err := listenHTTP(s.httpListen, reg)
		if err != nil {
			stop()
			return stop, fmt.Errorf("http: %w", err)
		}
		stops = append(stops, closeHTTP)
	}
	if s.webhooks != "" && len(s.hooks) > 0 {
		mux := http.NewServeMux()
		for name, h := range s.hooks {
			mux.Handle("/webhooks/"+name, http.MaxBytesHandler(h, 1<<20))
		}
		_, closeHooks, err := listenHTTP(s.webhooks, mux)
		if err != nil {
			stop()
			return stop, fmt.Errorf("webhooks: %w", err)
		}
		stops = append(stops, closeHooks)
	}
	n, err := sdnotify.FromEnv()
	if err != nil {
		log.Warn("systemd notify socket unusable", "err", err)
	}
	if n.Enabled() {
		go func() {
			select {
			case <-ctx.Done():
				return
			case <-eng.Ready():
			}
			n.Ready()
			n.Status("ready")
			interval, _ := sdnotify.WatchdogInterval()
			sdnotify.Watchdog(ctx, n, interval, func(ctx context.Context) error {
				hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				return eng.Healthy(hctx)
			})
		}()
		stops = append([]func(){func() { n.Stopping(); n.Close() }}, stops...)
	}
	return stop, nil
}

// adminHandler answers the admin socket from the engine (and the listing straight from
// the store's indexes, in pages).
type adminHandler struct {
	eng    *flow.Engine
	st     *store.Store
	report func() health.Report
	loc    *locale.Locale // reads refund amounts as the shop writes them; nil: English
}

var (
	_ admin.Handler         = adminHandler{}
	_ admin.PaymentsQuerier = adminHandler{}
)

// Status is the engine's snapshot and, in the daemon, the checked health (provider
// probes, display, printer, why degraded).
func (a adminHandler) Status(ctx context.Context) (admin.StatusResult, error) {
	s, err := a.eng.Status(ctx)
	if err != nil {
		return admin.StatusResult{}, err
	}
	out := adminStatus(s)
	if a.loc != nil {
		out.Language = a.loc.Language()
	}
	if a.report != nil {
		r := a.report()
		out.Health = &r
	}
	return out, nil
}

func (a adminHandler) Payments(ctx context.Context, limit int) (admin.PaymentsResult, error) {
	ps, err := a.eng.Payments(ctx, limit)
	return adminPayments(ps), err
}

// QueryPayments lists one page of payments, newest first, through the store's indexes.
func (a adminHandler) QueryPayments(ctx context.Context, args admin.PaymentsArgs) (admin.PaymentsResult, error) {
	q, err := paymentsQuery(args.Limit, args.Before, args.State, args.Day, args.Receipt)
	if err != nil {
		return nil, err
	}
	page, err := a.st.List(ctx, q)
	if err != nil {
		return nil, err
	}
	return adminPayments(page.Payments), nil
}

func (a adminHandler) Reprint(ctx context.Context, n uint64) (admin.ReprintResult, error) {
	if err := a.eng.Reprint(ctx, n); err != nil {
		return admin.ReprintResult{}, err
	}
	return admin.ReprintResult{Queued: true, Receipt: n}, nil
}

// Refund refunds the payment id, or the newest payment with that receipt number when id
// is one as printed ("0042", "42"); amount is read in the shop's format.
func (a adminHandler) Refund(ctx context.Context, id, amount, dest string) (admin.RefundResult, error) {
	if looksLikeReceipt(id) && a.st != nil {
		n, err := parseUint(id)
		if err != nil {
			return admin.RefundResult{}, err
		}
		page, err := a.st.List(ctx, store.Query{Limit: 1, Receipt: n})
		if err != nil {
			return admin.RefundResult{}, err
		}
		if len(page.Payments) == 0 {
			return admin.RefundResult{}, fmt.Errorf("no payment with receipt number %s", receiptNo(n))
		}
		id = page.Payments[0].ID
	}
	var amt money.Amount // zero: all that is left
	if amount != "" {
		p, err := a.eng.Payment(ctx, id)
		if err != nil {
			return admin.RefundResult{}, err
		}
		if amt, err = parseRefundAmount(a.loc, amount, p.Amount.Currency); err != nil {
			return admin.RefundResult{}, err
		}
	}
	r, err := a.eng.Refund(ctx, id, amt, dest)
	if err != nil {
		return admin.RefundResult{}, err
	}
	return adminRefund(r), nil
}

func (a adminHandler) EndOfDay(ctx context.Context) (admin.EndOfDayResult, error) {
	r, err := a.eng.EndOfDay(ctx)
	if err != nil {
		return admin.EndOfDayResult{}, err
	}
	return adminReport(r), nil
}

// XReport serves "x-report": the day's totals so far, printed unless print is false.
func (a adminHandler) XReport(ctx context.Context, print bool) (admin.EndOfDayResult, error) {
	r, err := a.eng.XReport(ctx, print)
	if err != nil {
		return admin.EndOfDayResult{}, err
	}
	return adminReport(r), nil
}

var _ admin.XReporter = adminHandler{}

// adminCall sends one request to a running daemon's admin socket. A daemon's refusal
// is a daemonError; no daemon on sock is errNoDaemon with the system's reason.
func adminCall(ctx context.Context, sock, cmd string, args any, out any) error {
	err := adminCallRaw(ctx, sock, cmd, args, out)
	if err == nil {
		return nil
	}
	var ae *admin.Error
	if errors.As(err, &ae) {
		return daemonError{ae}
	}
	// "dial unix PATH: connect: ..." says the path the message already names.
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	return fmt.Errorf("%w (%s): %w", errNoDaemon, sock, err)
}

func adminCallRaw(ctx context.Context, sock, cmd string, args any, out any) error {
	c, err := admin.Dial(sock)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return c.Call(ctx, cmd, args, out)
}

var errNoDaemon = errors.New("no running terminald answers on the admin socket")

// cmdAdmin runs status, reprint, refund, end-of-day and x-report against a running
// daemon: a table or key/value lines with amounts in the terminal's format, or with
// --json the command's result (package admin) as the socket sent it.
func cmdAdmin(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	fs := flags(cmd, stderr)
	sock := fs.String("socket", admin.DefaultSocket, "admin socket `PATH` of the daemon or simulator")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	var dest *string
	if cmd == "refund" {
		dest = fs.String("to", "", "destination `ADDRESS` (crypto refunds)")
	}
	var noPrint *bool
	if cmd == "x-report" {
		noPrint = fs.Bool("no-print", false, "show the report without printing it")
	}
	if err := parseAnywhere(fs, args); err != nil {
		return err
	}
	call := func(req, out any) error { return adminCall(ctx, *sock, cmd, req, out) }
	var loc *locale.Locale
	if !*asJSON && cmd != "reprint" {
		loc = daemonLocale(ctx, *sock)
	}
	switch cmd {
	case "status", "end-of-day", "x-report":
		if fs.NArg() != 0 {
			return fmt.Errorf("%w: %s takes no arguments", errUsage, cmd)
		}
		if cmd == "status" {
			var r admin.StatusResult
			if err := call(nil, &r); err != nil {
				return err
			}
			if *asJSON {
				return printJSON(stdout, r)
			}
			return printStatus(stdout, loc, r)
		}
		var req any
		if cmd == "x-report" {
			req = admin.XReportArgs{NoPrint: *noPrint}
		}
		var r admin.EndOfDayResult
		if err := call(req, &r); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, r)
		}
		title := "End of day"
		if cmd == "x-report" {
			title = "X report (day not closed)"
		}
		return printEndOfDay(stdout, title, loc, r)
	case "reprint":
		var n uint64
		if fs.NArg() > 1 {
			return fmt.Errorf("%w: reprint [RECEIPT]", errUsage)
		}
		if fs.NArg() == 1 {
			v, err := parseUint(fs.Arg(0))
			if err != nil {
				return fmt.Errorf("%w: receipt number %q", errUsage, fs.Arg(0))
			}
			n = v
		}
		var r admin.ReprintResult
		if err := call(admin.ReprintArgs{Receipt: n}, &r); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, r)
		}
		return printReprint(stdout, r)
	default: // refund
		if fs.NArg() < 1 || fs.NArg() > 2 {
			return fmt.Errorf("%w: refund PAYMENT|RECEIPT [AMOUNT] [--to ADDRESS]", errUsage)
		}
		var r admin.RefundResult
		if err := call(admin.RefundArgs{PaymentID: fs.Arg(0), Amount: fs.Arg(1), Destination: *dest}, &r); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, r)
		}
		return printRefund(stdout, loc, r)
	}
}

// parseUint reads a decimal number as printed; leading zeros are not octal ("0042" is 42).
func parseUint(s string) (uint64, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, errors.New("not a number")
	}
	return strconv.ParseUint(s, 10, 64)
}

// parseAnywhere is parse that also takes flags after the arguments, as the usage shows
// them ("refund PAYMENT [AMOUNT] --socket PATH"); fs.Args() then holds the arguments.
func parseAnywhere(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}
