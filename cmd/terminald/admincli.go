package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/terminald/terminald/admin"
	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/money"
)

// The admin commands' human output: tables and key/value lines, amounts in major
// units with the currency in the terminal's format (locale). --json prints the
// command's result (package admin) as the socket sent it.

// cliLocale returns the locale of language, English when it is empty or unknown.
func cliLocale(language string) *locale.Locale {
	l, err := locale.New(locale.Options{Language: language})
	if err != nil {
		l, _ = locale.New(locale.Options{})
	}
	return l
}

// daemonLocale asks the daemon on sock for its language (status) and returns its
// locale; English when it does not say.
func daemonLocale(ctx context.Context, sock string) *locale.Locale {
	var st admin.StatusResult
	if err := adminCall(ctx, sock, admin.CmdStatus, nil, &st); err != nil {
		return cliLocale("")
	}
	return cliLocale(st.Language)
}

// receiptNo is a receipt number as printed on the slip.
func receiptNo(n uint64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%04d", n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// refundedText is a payment's REFUNDED column: "-", "part (1,00 €)" or "all".
func refundedText(loc *locale.Locale, p admin.Payment) string {
	switch p.RefundState() {
	case "all":
		return "all"
	case "part":
		return "part (" + loc.Money(money.New(p.Refunded, p.Amount.Currency)) + ")"
	}
	return "-"
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printStatus(w io.Writer, loc *locale.Locale, s admin.StatusResult) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ready\t%s\n", yesNo(s.Ready))
	for _, name := range sortedKeys(s.Providers) {
		on := "offline"
		if s.Providers[name] {
			on = "online"
		}
		fmt.Fprintf(tw, "provider %s\t%s\n", name, on)
	}
	fmt.Fprintf(tw, "printer\t%s\n", s.Printer)
	if s.Current != nil {
		fmt.Fprintf(tw, "current payment\t%s %s (%s)\n", s.Current.ID, loc.Money(s.Current.Amount), s.Current.State)
	}
	fmt.Fprintf(tw, "open payments\t%d\n", s.Open)
	fmt.Fprintf(tw, "in flight\t%d\n", s.InFlight)
	fmt.Fprintf(tw, "checking\t%d\n", s.Checking)
	fmt.Fprintf(tw, "open refunds\t%d\n", s.Refunds)
	fmt.Fprintf(tw, "jobs waiting\t%d\n", s.Outbox)
	if h := s.Health; h != nil {
		fmt.Fprintf(tw, "display\t%s\n", h.Display)
		for _, name := range sortedKeys(h.Devices) {
			fmt.Fprintf(tw, "device %s\t%s\n", name, h.Devices[name])
		}
		for _, d := range h.Degraded {
			fmt.Fprintf(tw, "degraded\t%s\n", d)
		}
	}
	for _, p := range s.Attention {
		fmt.Fprintf(tw, "attention\t%s %s receipt %s: %s\n", p.ID, loc.Money(p.Amount), receiptNo(p.Receipt), p.Attention)
	}
	return tw.Flush()
}

func printRefund(w io.Writer, loc *locale.Locale, r admin.RefundResult) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "refund\t%s\n", r.ID)
	fmt.Fprintf(tw, "payment\t%s\n", r.PaymentID)
	fmt.Fprintf(tw, "amount\t%s\n", loc.Money(r.Amount))
	fmt.Fprintf(tw, "state\t%s\n", r.State)
	if r.Destination != "" {
		fmt.Fprintf(tw, "to\t%s\n", r.Destination)
	}
	if r.Detail != "" {
		fmt.Fprintf(tw, "detail\t%s\n", r.Detail)
	}
	if r.Reason != "" {
		fmt.Fprintf(tw, "reason\t%s\n", r.Reason)
	}
	if r.State == "pending" {
		fmt.Fprintf(tw, "\t(it goes on in the background: terminald payments shows it once done)\n")
	}
	return tw.Flush()
}

func printEndOfDay(w io.Writer, title string, loc *locale.Locale, r admin.EndOfDayResult) error {
	from := "the first payment"
	if !r.From.IsZero() {
		from = r.From.Local().Format(time.DateTime)
	}
	fmt.Fprintf(w, "%s: %s to %s", title, from, r.To.Local().Format(time.DateTime))
	if r.ReceiptFrom != 0 {
		fmt.Fprintf(w, ", receipts %s to %s", receiptNo(r.ReceiptFrom), receiptNo(r.ReceiptTo))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PROVIDER\tRESULT\tCOUNT\tTOTAL\t")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t\n", row.Provider, row.Result, row.Count, loc.Money(money.New(row.Total, row.Currency)))
	}
	for _, row := range r.Totals {
		fmt.Fprintf(tw, "total\t\t%d\t%s\t\n", row.Count, loc.Money(money.New(row.Total, row.Currency)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, d := range r.Differences {
		fmt.Fprintf(w, "difference: %s\n", d)
	}
	return nil
}

func printReprint(w io.Writer, r admin.ReprintResult) error {
	if r.Receipt == 0 {
		_, err := fmt.Fprintln(w, "the last receipt is queued for printing")
		return err
	}
	_, err := fmt.Fprintf(w, "receipt %s is queued for printing\n", receiptNo(r.Receipt))
	return err
}

// looksLikeReceipt reports whether a refund's first argument is a receipt number as
// printed ("0042", "42") rather than a payment id (which has letters).
func looksLikeReceipt(s string) bool {
	return s != "" && len(s) <= 9 && strings.Trim(s, "0123456789") == ""
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
