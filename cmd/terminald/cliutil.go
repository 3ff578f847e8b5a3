package main

import (
	"strings"

	"github.com/terminald/terminald/admin"
	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/money"
)

// daemonError is a running daemon's refusal, shown with one prefix: the command's
// ("terminald refund: ..."), not also the admin client's and the engine's
// ("admin: refund: flow: ..."). errors.As still finds the *admin.Error.
type daemonError struct{ err *admin.Error }

func (e daemonError) Error() string {
	msg := e.err.Msg
	for _, p := range []string{"flow: ", "admin: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

func (e daemonError) Unwrap() error { return e.err }

// parseRefundAmount reads a refund amount as the shop writes it (loc: "1,00" and
// "1.234,56" in Danish or German) or in the canonical form with a point ("1.00"); the
// locale's reading wins where both apply ("1.000" is a thousand in Danish). loc nil is
// English.
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
	if b, err2 := money.Parse(strings.TrimSpace(s), cur); err2 == nil {
		return b, nil
	}
	return money.Amount{}, err
}
