package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/terminald/terminald/admin"
	"github.com/terminald/terminald/config"
	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/store"
)

func cmdCheckConfig(args []string, stdout, stderr io.Writer) error {
	fs := flags("check-config", stderr)
	path := fs.String("config", config.DefaultPath, "configuration `FILE`")
	creds := fs.String("credentials", "", "read secrets not in the file from the systemd credentials `DIR`, as the service does\n(default $CREDENTIALS_DIRECTORY, else "+config.DefaultCredentialsDir+", where the unit's LoadCredential= points)")
	if err := parseAnywhere(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("%w: one file at most", errUsage)
	}
	if fs.NArg() == 1 {
		*path = fs.Arg(0)
	}
	if _, err := config.Load(*path, configOptions(*creds)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return nil
}

// paymentLine is one line of `terminald payments --json`.
type paymentLine struct {
	ID          string    `json:"id"`
	State       string    `json:"state"`
	Amount      string    `json:"amount"`
	Minor       int64     `json:"amount_minor"`
	Currency    string    `json:"currency"`
	Provider    string    `json:"provider"`
	Reference   string    `json:"reference"`
	Receipt     uint64    `json:"receipt,omitempty"`
	PaidLate    bool      `json:"paid_late,omitempty"`
	Unconf      bool      `json:"unconfirmed,omitempty"`
	Refunded    int64     `json:"refunded_minor,omitempty"`
	RefundState string    `json:"refunded,omitempty"`  // "part" or "all" of what was paid
	Paid        string    `json:"paid,omitempty"`      // what it settled for, when not the amount asked (underpayment, overpayment)
	Attention   string    `json:"attention,omitempty"` // why a person must look at it
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

func toLine(p admin.Payment) paymentLine {
	paid := ""
	if p.Paid() != p.Amount {
		paid = p.Paid().Decimal()
	}
	return paymentLine{ID: p.ID, Paid: paid, State: p.State, Amount: p.Amount.Decimal(), Minor: p.Amount.Minor,
		Currency: p.Amount.Currency, Provider: p.Provider, Reference: orDash(p.ProviderID), Receipt: p.Receipt,
		PaidLate: p.PaidLate, Unconf: p.Unconfirmed, Refunded: p.Refunded, RefundState: p.RefundState(), Attention: p.Attention,
		Created: p.CreatedAt, Updated: p.UpdatedAt}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// paymentsQuery turns the listing's filters (CLI flags or admin arguments) into a
// store.Query; day is YYYY-MM-DD in local time.
func paymentsQuery(limit int, before uint64, state, day string, receipt uint64) (store.Query, error) {
	q := store.Query{Limit: limit, Before: store.Cursor(before), State: store.State(state), Receipt: receipt}
	if state != "" && !knownState(q.State) {
		return q, fmt.Errorf("unknown payment state %q (want new, creating, awaiting, cancelling, paid, failed, expired or cancelled)", state)
	}
	if day != "" {
		d, err := time.ParseInLocation(time.DateOnly, day, time.Local)
		if err != nil {
			return q, fmt.Errorf("day %q is not YYYY-MM-DD", day)
		}
		q.From, q.To = d, d.AddDate(0, 0, 1)
	}
	return q, nil
}

func knownState(s store.State) bool {
	switch s {
	case store.StateNew, store.StateCreating, store.StateAwaiting, store.StateCancelling,
		store.StatePaid, store.StateFailed, store.StateExpired, store.StateCancelled:
		return true
	}
	return false
}

// listPageSize is how many payments the CLI asks for at a time: memory stays flat
// whatever the history.
const listPageSize = 200

func cmdPayments(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("payments", stderr)
	stateDir := fs.String("state", "", "state `DIR` of a stopped terminal (default: terminal.state_dir of --config)")
	cfgPath := fs.String("config", config.DefaultPath, "configuration `FILE`: asks its daemon over admin.socket, else reads terminal.state_dir")
	sock := fs.String("socket", "", "ask the running daemon or simulator on its admin socket `PATH`")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	limit := fs.Int("n", 0, "at most `N` payments, newest first (0 = all)")
	only := fs.String("only", "", "only payments in `STATE` (paid, failed, expired, cancelled, awaiting, …)")
	day := fs.String("day", "", "only payments created on `YYYY-MM-DD` (local time)")
	var receipt uint64
	fs.Func("receipt", "only the payment with receipt number `N` as printed (0042 or 42)", func(s string) error {
		v, err := parseUint(s)
		receipt = v
		return err
	})
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *limit < 0 {
		return fmt.Errorf("%w: -n %d: want 0 (all) or more", errUsage, *limit)
	}
	q, err := paymentsQuery(0, 0, *only, *day, receipt)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	// A running daemon holds the database: ask it over the admin socket, page by page.
	overSocket := func(sock string) func(before uint64, n int) (admin.PaymentsResult, error) {
		return func(before uint64, n int) (admin.PaymentsResult, error) {
			var ps admin.PaymentsResult
			err := adminCall(ctx, sock, admin.CmdPayments, admin.PaymentsArgs{Limit: n, Before: before, State: *only, Day: *day, Receipt: receipt}, &ps)
			return ps, err
		}
	}
	if *sock != "" {
		fetch := overSocket(*sock)
		first, err := fetch(0, pageSize(*limit, 0))
		if err != nil {
			return err
		}
		loc := cliLocale("")
		if !*asJSON {
			loc = daemonLocale(ctx, *sock)
		}
		return streamPayments(newPaymentPrinter(stdout, *asJSON, loc), *limit, first, fetch)
	}
	loc := cliLocale("")
	var viaSocket error // why the daemon's answer was not used
	if *stateDir == "" {
		c, err := config.Load(*cfgPath, configOptions(""))
		if err != nil {
			return fmt.Errorf("which terminal? give --socket PATH, --state DIR, or --config FILE of an installed one (%w)", err)
		}
		*stateDir = c.Terminal.StateDir
		loc = cliLocale(c.Terminal.Language)
		fetch := overSocket(c.Admin.Socket)
		first, err := fetch(0, pageSize(*limit, 0))
		if err == nil {
			return streamPayments(newPaymentPrinter(stdout, *asJSON, loc), *limit, first, fetch)
		}
		viaSocket = err
	}
	st, err := store.Open(filepath.Join(*stateDir, "terminald.db"), &store.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, store.ErrLocked) && viaSocket != nil {
			// The daemon holds the database and answered (e.g. older payments still
			// being migrated after an upgrade): its answer is the one to show.
			return fmt.Errorf("%w (over the admin socket: %w)", err, viaSocket)
		}
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%w; with the daemon running use --config or --socket so the list comes over its admin socket", err)
		}
		return err
	}
	defer st.Close()
	fetch := func(before uint64, n int) (admin.PaymentsResult, error) {
		q.Before, q.Limit = store.Cursor(before), n
		page, err := st.List(ctx, q)
		return adminPayments(page.Payments), err
	}
	first, err := fetch(0, pageSize(*limit, 0))
	out := newPaymentPrinter(stdout, *asJSON, loc)
	if err != nil {
		return printThen(out, first, err)
	}
	return streamPayments(out, *limit, first, fetch)
}

// printThen prints ps, what a listing got before err (store.ErrMigrating: the newest
// payments, the older ones still being migrated), and returns err.
func printThen(out *paymentPrinter, ps admin.PaymentsResult, err error) error {
	if len(ps) > 0 {
		if perr := out.page(ps); perr != nil {
			return perr
		}
		if perr := out.flush(); perr != nil {
			return perr
		}
	}
	return err
}

// pageSize is the next page's size when limit (0: all) payments are wanted and done
// were printed.
func pageSize(limit, done int) int {
	if limit == 0 {
		return listPageSize
	}
	return min(limit-done, listPageSize)
}

// streamPayments prints first and the pages that follow it (fetch(before, n)) until
// limit payments (0: all) are out or the listing ends. One page is in memory at a time.
func streamPayments(out *paymentPrinter, limit int, first admin.PaymentsResult, fetch func(before uint64, n int) (admin.PaymentsResult, error)) error {
	ps, done := first, 0
	for {
		want := pageSize(limit, done)
		if err := out.page(ps); err != nil {
			return err
		}
		done += len(ps)
		if len(ps) < want || (limit > 0 && done >= limit) || ps[len(ps)-1].Seq == 0 {
			return out.flush()
		}
		var err error
		if ps, err = fetch(ps[len(ps)-1].Seq, pageSize(limit, done)); err != nil {
			return printThen(out, ps, err)
		}
	}
}

// paymentPrinter writes the listing as it comes: a table (aligned page by page) or one
// JSON object per line.
type paymentPrinter struct {
	w      io.Writer
	loc    *locale.Locale // amounts in the terminal's format
	json   *json.Encoder
	tw     *tabwriter.Writer
	header bool
}

func newPaymentPrinter(w io.Writer, asJSON bool, loc *locale.Locale) *paymentPrinter {
	p := &paymentPrinter{w: w, loc: loc}
	if asJSON {
		p.json = json.NewEncoder(w)
	} else {
		p.tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	}
	return p
}

func (o *paymentPrinter) page(ps admin.PaymentsResult) error {
	if o.json != nil {
		for _, p := range ps {
			if err := o.json.Encode(toLine(p)); err != nil {
				return err
			}
		}
		return nil
	}
	if !o.header {
		fmt.Fprintln(o.tw, "RECEIPT\tID\tSTATE\tAMOUNT\tREFUNDED\tPROVIDER\tREFERENCE\tCREATED")
		o.header = true
	}
	for _, p := range ps {
		st := p.State
		if p.PaidLate {
			st += " (late)"
		}
		if p.Unconfirmed {
			st += " (not confirmed to register)"
		}
		if p.Attention != "" {
			st += " (! " + p.Attention + ")"
		}
		amount := o.loc.Money(p.Amount)
		if p.Paid() != p.Amount {
			amount += " (paid " + o.loc.Money(p.Paid()) + ")"
		}
		fmt.Fprintf(o.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", receiptNo(p.Receipt), p.ID, st, amount, refundedText(o.loc, p),
			p.Provider, orDash(p.ProviderID), o.loc.Time(p.CreatedAt))
	}
	return o.tw.Flush()
}

func (o *paymentPrinter) flush() error {
	if o.tw != nil && !o.header {
		return o.page(nil)
	}
	return nil
}

// cmdCompact gives the pages pruning freed back to the file system (bbolt never shrinks
// its file by itself). The daemon must be stopped: the database's lock says if it is not.
func cmdCompact(args []string, stdout, stderr io.Writer) error {
	fs := flags("compact", stderr)
	stateDir := fs.String("state", "", "state directory (default: terminal.state_dir of --config)")
	cfgPath := fs.String("config", config.DefaultPath, "configuration file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *stateDir == "" {
		c, err := config.Load(*cfgPath, configOptions(""))
		if err != nil {
			return fmt.Errorf("which terminal? give --state DIR, or --config FILE of an installed one (%w)", err)
		}
		*stateDir = c.Terminal.StateDir
	}
	before, after, err := store.Compact(filepath.Join(*stateDir, "terminald.db"), 2*time.Second)
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w; stop terminald first (systemctl stop terminald)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "compacted: %d → %d bytes\n", before, after)
	return nil
}
