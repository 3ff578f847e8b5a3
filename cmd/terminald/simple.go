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

	"github.com/terminald/terminald/config"
	"github.com/terminald/terminald/flow"
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
	ID        string    `json:"id"`
	State     string    `json:"state"`
	Amount    string    `json:"amount"`
	Minor     int64     `json:"amount_minor"`
	Currency  string    `json:"currency"`
	Provider  string    `json:"provider"`
	Reference string    `json:"reference"`
	Receipt   uint64    `json:"receipt,omitempty"`
	PaidLate  bool      `json:"paid_late,omitempty"`
	Unconf    bool      `json:"unconfirmed,omitempty"`
	Refunded  int64     `json:"refunded_minor,omitempty"`
	Paid      string    `json:"paid,omitempty"` // what it settled for, when not the amount asked (accepted underpayment)
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

func toLine(p *store.Payment) paymentLine {
	paid := ""
	if p.Paid() != p.Amount {
		paid = p.Paid().Decimal()
	}
	return paymentLine{ID: p.ID, Paid: paid, State: string(p.State), Amount: p.Amount.Decimal(), Minor: p.Amount.Minor,
		Currency: p.Amount.Currency, Provider: p.Provider, Reference: orDash(p.ProviderID), Receipt: p.Receipt,
		PaidLate: p.PaidLate, Unconf: p.Unconfirmed, Refunded: p.Refunded, Created: p.CreatedAt, Updated: p.UpdatedAt}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cmdPayments(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("payments", stderr)
	stateDir := fs.String("state", "", "state directory (default: terminal.state_dir of --config)")
	cfgPath := fs.String("config", config.DefaultPath, "configuration file")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	limit := fs.Int("n", 0, "at most N payments, newest first (0 = all)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	var ps []*store.Payment
	if *stateDir == "" {
		c, err := config.Load(*cfgPath, configOptions(""))
		if err != nil {
			return fmt.Errorf("which terminal? give --state DIR, or --config FILE of an installed one (%w)", err)
		}
		*stateDir = c.Terminal.StateDir
		// A running daemon holds the database: ask it over the admin socket.
		if err := adminCall(ctx, c.Admin.Socket, "payments", map[string]any{"limit": *limit}, &ps); err == nil {
			return printPayments(stdout, ps, *asJSON)
		}
	}
	st, err := store.Open(filepath.Join(*stateDir, "terminald.db"), &store.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%w; with the daemon running use --config so the list comes over its admin socket", err)
		}
		return err
	}
	defer st.Close()
	if ps, err = flow.List(st, *limit); err != nil {
		return err
	}
	return printPayments(stdout, ps, *asJSON)
}

func printPayments(w io.Writer, ps []*store.Payment, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, p := range ps {
			if err := enc.Encode(toLine(p)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tAMOUNT\tPROVIDER\tREFERENCE\tRECEIPT\tCREATED")
	for _, p := range ps {
		st := string(p.State)
		if p.PaidLate {
			st += " (late)"
		}
		if p.Unconfirmed {
			st += " (not confirmed to register)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%04d\t%s\n", p.ID, st, p.Amount, p.Provider, orDash(p.ProviderID), p.Receipt, p.CreatedAt.Local().Format(time.DateTime))
	}
	return tw.Flush()
}
