package main

import (
	"fmt"
	"strings"

	"github.com/terminald/terminald/admin"
	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/money"
)

// daemonError is a running daemon's refusal, shown with one prefix: the command's
// ("terminald refund: no payment X"), not also the admin client's ("admin: refund:").
// The daemon's answers carry no prefix of their own (flow's verb errors are written for
// the person who asked). errors.As still finds the *admin.Error.
type daemonError struct{ err *admin.Error }

func (e daemonError) Error() string { return e.err.Msg }

func (e daemonError) Unwrap() error { return e.err }

// parseRefundAmount reads a refund amount as the shop writes it (loc: "1,00" and
// "1.234,56" in Danish or German), in the canonical form with a point ("1.00"), or with a
// decimal comma where that cannot be read otherwise ("1,00" in English: a comma followed
// by fewer than three digits is no grouping); the locale's reading wins where both apply
// ("1.000" is a thousand in Danish). loc nil is English. The error names the amount and
// the form expected (it matches locale.ErrAmount or money.ErrSyntax).
func parseRefundAmount(loc *locale.Locale, s, cur string) (money.Amount, error) {
	if loc == nil {
		var err error
		if loc, err = locale.New(locale.Options{}); err != nil {
			return money.Amount{}, err
		}
	}
	a, err := loc.ParseAmount(s, cur)
	if err == nil {
		return a, nil
	}
	t := strings.TrimSpace(s)
	if b, err2 := money.Parse(t, cur); err2 == nil {
		return b, nil
	}
	if i := strings.IndexByte(t, ','); i >= 0 && strings.Count(t, ",") == 1 && !strings.Contains(t, ".") && len(t)-i-1 < 3 {
		if b, err2 := money.Parse(strings.Replace(t, ",", ".", 1), cur); err2 == nil {
			return b, nil
		}
	}
	example := "1,234.56"
	if c, err := money.Lookup(cur); err == nil {
		example = loc.Decimal(123456, c.Exponent)
	}
	return money.Amount{}, fmt.Errorf("amount %q: %w in %s (e.g. %q)", s, locale.ErrAmount, cur, example)
}
