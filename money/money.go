// Package money holds amounts of money as integer minor units with an ISO 4217 currency.
//
// Nothing in terminald represents money as a float. Parsing and formatting go through
// decimal strings so that "12.34" EUR is exactly 1234 minor units both ways.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Currency describes an ISO 4217 currency.
type Currency struct {
	Code     string // alphabetic code, e.g. "EUR"
	Numeric  int    // numeric code, e.g. 978
	Exponent int    // digits after the decimal point, e.g. 2
}

var currencies = []Currency{
	{"EUR", 978, 2}, {"DKK", 208, 2}, {"USD", 840, 2}, {"SEK", 752, 2}, {"NOK", 578, 2},
	{"GBP", 826, 2}, {"CHF", 756, 2}, {"PLN", 985, 2}, {"CZK", 203, 2}, {"HUF", 348, 2},
	{"ISK", 352, 0}, {"JPY", 392, 0}, {"CAD", 124, 2}, {"AUD", 36, 2},
}

// Lookup returns the currency with the alphabetic code code (case-insensitive).
func Lookup(code string) (Currency, error) {
	up := strings.ToUpper(strings.TrimSpace(code))
	for _, c := range currencies {
		if c.Code == up {
			return c, nil
		}
	}
	return Currency{}, fmt.Errorf("money: unknown currency %q", code)
}

// ByNumeric returns the currency with the ISO 4217 numeric code n.
func ByNumeric(n int) (Currency, error) {
	for _, c := range currencies {
		if c.Numeric == n {
			return c, nil
		}
	}
	return Currency{}, fmt.Errorf("money: unknown numeric currency code %03d", n)
}

// Amount is an amount of money in minor units (cents, øre) of Currency.
type Amount struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// New returns an Amount of minor units in the currency code.
func New(minor int64, currency string) Amount { return Amount{Minor: minor, Currency: currency} }

// MaxMinor bounds every amount terminald accepts: 12 decimal digits, as a ZVT amount field holds.
const MaxMinor = 999_999_999_999

// ErrSyntax is returned for text that is not a decimal amount.
var ErrSyntax = errors.New("not a decimal amount")

// Parse reads a decimal amount in major units ("12.34", "12", "0.5") in currency code.
// More fractional digits than the currency has is an error, never a rounding.
func Parse(s, code string) (Amount, error) {
	c, err := Lookup(code)
	if err != nil {
		return Amount{}, err
	}
	minor, err := ParseDecimal(s, c.Exponent)
	if err != nil {
		return Amount{}, fmt.Errorf("money: parse %q: %w", s, err)
	}
	return Amount{Minor: minor, Currency: c.Code}, nil
}

// ParseDecimal reads a non-negative decimal string with at most exp fractional digits
// and returns it scaled by 10^exp. Trailing fractional zeros beyond exp are accepted.
func ParseDecimal(s string, exp int) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrSyntax
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return 0, ErrSyntax
	}
	if intPart == "" {
		intPart = "0"
	}
	if hasDot && frac == "" {
		return 0, ErrSyntax
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > exp {
		return 0, fmt.Errorf("more than %d decimals: %w", exp, ErrSyntax)
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return 0, ErrSyntax
		}
	}
	frac += strings.Repeat("0", exp-len(frac))
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		return 0, nil
	}
	if len(digits) > 18 {
		return 0, fmt.Errorf("too large: %w", ErrSyntax)
	}
	return strconv.ParseInt(digits, 10, 64)
}

// FormatDecimal writes v scaled down by 10^exp as a decimal string with exactly exp decimals.
func FormatDecimal(v int64, exp int) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	s := strconv.FormatUint(u, 10)
	if exp > 0 {
		if len(s) <= exp {
			s = strings.Repeat("0", exp-len(s)+1) + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Exponent returns the number of minor-unit digits of a's currency (2 when unknown).
func (a Amount) Exponent() int {
	if c, err := Lookup(a.Currency); err == nil {
		return c.Exponent
	}
	return 2
}

// Decimal returns the amount in major units as a decimal string, e.g. "12.34".
func (a Amount) Decimal() string { return FormatDecimal(a.Minor, a.Exponent()) }

// String returns the amount with its currency, e.g. "12.34 EUR".
func (a Amount) String() string { return a.Decimal() + " " + a.Currency }

// IsZero reports whether a has no currency and no value.
func (a Amount) IsZero() bool { return a.Minor == 0 && a.Currency == "" }
