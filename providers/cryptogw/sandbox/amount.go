package sandbox

import (
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"

	"github.com/terminald/terminald/money"
)

// places is the number of decimals of a crypto Amount.
const places = 8

// Amount is a crypto amount in units of 10^-8 (satoshi for BTC). The sandbox keeps its
// own small arithmetic rather than the client's, so that it stays an independent oracle
// for the client's tests.
type Amount int64

// ParseAmount reads a non-negative decimal with at most 8 significant decimals.
func ParseAmount(s string) (Amount, error) {
	v, err := money.ParseDecimal(s, places)
	if err != nil {
		return 0, fmt.Errorf("cryptogw sandbox: amount %q: %w", s, err)
	}
	return Amount(v), nil
}

// String writes a with 8 decimals, as the seed document shows amounts.
func (a Amount) String() string { return money.FormatDecimal(int64(a), places) }

// live writes a as the live gateway does: 8 decimals, one trailing zero dropped (so
// "0.0000000", "0.0106904", "0.01333323").
func (a Amount) live() string {
	s := a.String()
	return strings.TrimSuffix(s, "0")
}

// trim writes a with as few decimals as needed, at least n.
func (a Amount) trim(n int) string {
	whole, frac, _ := strings.Cut(a.String(), ".")
	frac = strings.TrimRight(frac, "0")
	for len(frac) < n {
		frac += "0"
	}
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

// mulDiv returns a*b/c rounded down, or up when up is set (c > 0, a, b >= 0).
func mulDiv(a, b, c int64, up bool) (int64, error) {
	if c <= 0 {
		return 0, errors.New("division by zero")
	}
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	if up {
		n.Add(n, big.NewInt(c-1))
	}
	n.Quo(n, big.NewInt(c))
	if !n.IsInt64() {
		return 0, errors.New("out of range")
	}
	return n.Int64(), nil
}

// fromMinor converts minor units with exp decimals to an Amount.
func fromMinor(minor int64, exp int) (Amount, error) {
	var m int64 = 1
	for range places - exp {
		m *= 10
	}
	v, err := mulDiv(minor, m, 1, false)
	return Amount(v), err
}

// invoiceExp returns the minor-unit digits of a fiat currency (2 when money does not know it).
func invoiceExp(code string) int { return money.Amount{Currency: code}.Exponent() }

// saneID reports whether s is 1..max of [A-Za-z0-9._-].
func saneID(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.') {
			return false
		}
	}
	return true
}

// validAddress reports whether s looks like a crypto address: 10 to 128 of letters,
// digits and ":._-".
func validAddress(s string) bool {
	if len(s) < 10 || len(s) > 128 {
		return false
	}
	return saneID(strings.ReplaceAll(s, ":", "."), 128)
}

// parseURI splits a payment URI "scheme:address?amount=x" (or a bare address).
func parseURI(s string) (address string, amount Amount, err error) {
	rest := strings.TrimSpace(s)
	if scheme, after, ok := strings.Cut(rest, ":"); ok && !strings.ContainsAny(scheme, "?&=") {
		rest = after
	}
	address, query, _ := strings.Cut(rest, "?")
	if !validAddress(address) {
		return "", 0, fmt.Errorf("cryptogw sandbox: payment URI address %q is malformed", address)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", 0, fmt.Errorf("cryptogw sandbox: payment URI query: %w", err)
	}
	if a := q.Get("amount"); a != "" {
		if amount, err = ParseAmount(a); err != nil {
			return "", 0, err
		}
	}
	return address, amount, nil
}

// timeLayout is how the gateway writes times ("2020-03-27 11:00:00", UTC, no zone).
const timeLayout = "2006-01-02 15:04:05"
