package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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

var _ admin.PaymentsQuerier = adminHandler{}

// statusResult is `terminald status`: the engine's snapshot and, in the daemon, the
// checked health (provider probes, display, printer, why degraded).
type statusResult struct {
	flow.Status
	Health *health.Report `json:"health,omitempty"`
}

func (a adminHandler) Status(ctx context.Context) (any, error) {
	s, err := a.eng.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := statusResult{Status: s}
	if a.report != nil {
		r := a.report()
		out.Health = &r
	}
	return out, nil
}

func (a adminHandler) Payments(ctx context.Context, limit int) (any, error) {
	return a.eng.Payments(ctx, limit)
}

// QueryPayments lists one page of payments, newest first, through the store's indexes.
func (a adminHandler) QueryPayments(ctx context.Context, args admin.PaymentsArgs) (any, error) {
	q, err := paymentsQuery(args.Limit, args.Before, args.State, args.Day, args.Receipt)
	if err != nil {
		return nil, err
	}
	page, err := a.st.List(ctx, q)
	if err != nil {
		return nil, err
	}
	if page.Payments == nil {
		page.Payments = []*store.Payment{}
	}
	return page.Payments, nil
}

func (a adminHandler) Reprint(ctx context.Context, n uint64) (admin.ReprintResult, error) {
	if err := a.eng.Reprint(ctx, n); err != nil {
		return admin.ReprintResult{}, err
	}
	return admin.ReprintResult{Queued: true, Receipt: n}, nil
}

func (a adminHandler) Refund(ctx context.Context, id, amount, dest string) (any, error) {
	var amt money.Amount // zero: all that is left
	if amount != "" {
		p, err := a.eng.Payment(ctx, id)
		if err != nil {
			return nil, err
		}
		if amt, err = parseRefundAmount(a.loc, amount, p.Amount.Currency); err != nil {
			return nil, err
		}
	}
	return a.eng.Refund(ctx, id, amt, dest)
}

func (a adminHandler) EndOfDay(ctx context.Context) (any, error) { return a.eng.EndOfDay(ctx) }

// XReport serves "x-report": the day's totals so far, printed unless print is false.
func (a adminHandler) XReport(ctx context.Context, print bool) (any, error) {
	return a.eng.XReport(ctx, print)
}

var _ admin.XReporter = adminHandler{}

// adminCall sends one request to a running daemon's admin socket.
func adminCall(ctx context.Context, sock, cmd string, args any, out any) error {
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

// cmdAdmin runs status, reprint, refund, end-of-day and x-report against a running daemon.
func cmdAdmin(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	fs := flags(cmd, stderr)
	sock := fs.String("socket", "/run/terminald/admin.sock", "admin socket `PATH`")
	dest := fs.String("to", "", "refund: destination address (crypto)")
	noPrint := fs.Bool("no-print", false, "x-report: show the report without printing it")
	if err := parseAnywhere(fs, args); err != nil {
		return err
	}
	var req any
	switch cmd {
	case "status", "end-of-day", "x-report":
		if fs.NArg() != 0 {
			return fmt.Errorf("%w: %s takes no arguments", errUsage, cmd)
		}
		if cmd == "x-report" {
			req = admin.XReportArgs{NoPrint: *noPrint}
		}
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
		req = admin.ReprintArgs{Receipt: n}
	case "refund":
		if fs.NArg() < 1 || fs.NArg() > 2 {
			return fmt.Errorf("%w: refund PAYMENT [AMOUNT] [--to ADDRESS]", errUsage)
		}
		req = admin.RefundArgs{PaymentID: fs.Arg(0), Amount: fs.Arg(1), Destination: *dest}
	}
	var out any
	if err := adminCall(ctx, *sock, cmd, req, &out); err != nil {
		var ae *admin.Error
		if errors.As(err, &ae) {
			return daemonError{ae}
		}
		return fmt.Errorf("%w (%s): %v", errNoDaemon, *sock, err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func parseUint(s string) (uint64, error) {
	var n uint64
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, errors.New("not a number")
	}
	_, err := fmt.Sscan(s, &n)
	return n, err
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
