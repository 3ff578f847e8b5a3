package cryptogw

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/terminald/terminald/money"
)

// Places is the number of fractional digits a Decimal holds: crypto amounts on this
// gateway have 8 decimals (satoshi).
const Places = 8

// one is 10^Places, the unscaled value of 1.
const one = 100_000_000

// Decimal is an exact decimal number scaled by 10^8: Decimal(1) is 0.00000001. It is
// used for crypto amounts, rates and fees. It is never converted through a float.
type Decimal int64

// ErrDecimal is wrapped by every error ParseDecimal returns.
var ErrDecimal = errors.New("not a decimal number")

// maxDecimalLen bounds the text ParseDecimal looks at.
const maxDecimalLen = 40

// ParseDecimal reads s, a decimal number such as "0.00701726", "6467.18", "-1" or "100".
// It accepts an optional leading '-', digits, and an optional '.' followed by digits.
// More than 8 significant fractional digits is an error, never a rounding; trailing
// zeros beyond that are accepted. A value outside the int64 range is an error.
func ParseDecimal(s string) (Decimal, error) {
	if len(s) == 0 || len(s) > maxDecimalLen {
		return 0, fmt.Errorf("%q: %w", trunc(s), ErrDecimal)
	}
	neg := false
	t := s
	if t[0] == '-' {
		neg, t = true, t[1:]
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" || (hasDot && frac == "") || !digits(intPart) || !digits(frac) {
		return 0, fmt.Errorf("%q: %w", trunc(s), ErrDecimal)
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > Places {
		return 0, fmt.Errorf("%q: more than %d decimals: %w", trunc(s), Places, ErrDecimal)
	}
	all := strings.TrimLeft(intPart+frac+strings.Repeat("0", Places-len(frac)), "0")
	if all == "" {
		return 0, nil
	}
	if neg {
		all = "-" + all
	}
	v, err := strconv.ParseInt(all, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: out of range: %w", trunc(s), ErrDecimal)
	}
	return Decimal(v), nil
}

// MustDecimal is ParseDecimal for constants in code and tests; it panics on bad input
// and must never see outside bytes.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func trunc(s string) string {
	if len(s) > maxDecimalLen {
		return s[:maxDecimalLen] + "…"
	}
	return s
}

// String formats d with exactly 8 decimals, e.g. "0.00701726", as the gateway writes
// crypto amounts.
func (d Decimal) String() string { return money.FormatDecimal(int64(d), Places) }

// Trim formats d with as few decimals as needed (at least places), e.g. Trim(2) of
// 6467.18 is "6467.18" and of 1 is "1.00".
func (d Decimal) Trim(places int) string {
	s := d.String()
	whole, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	if len(frac) < places {
		frac += strings.Repeat("0", places-len(frac))
	}
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

// FromMinor converts minor units with exp fractional digits (an invoice amount in cents)
// to a Decimal exactly.
func FromMinor(minor int64, exp int) (Decimal, error) {
	if exp < 0 || exp > Places {
		return 0, fmt.Errorf("cryptogw: exponent %d out of range", exp)
	}
	var m int64 = 1
	for range Places - exp {
		m *= 10
	}
	r := new(big.Int).Mul(big.NewInt(minor), big.NewInt(m))
	if !r.IsInt64() {
		return 0, fmt.Errorf("cryptogw: amount %d out of range", minor)
	}
	return Decimal(r.Int64()), nil
}

// ToMinor converts d to minor units with exp fractional digits. exact is false when d
// had more digits than that; the result is then truncated toward zero.
func (d Decimal) ToMinor(exp int) (minor int64, exact bool) {
	var m int64 = 1
	for range Places - exp {
		m *= 10
	}
	return int64(d) / m, int64(d)%m == 0
}

// MulDiv returns d*a/b computed exactly and rounded toward zero (roundUp false) or away
// from zero (roundUp true), as a Decimal with 8 decimals; a, b are Decimals too.
// It fails on b == 0 or a result out of range.
func (d Decimal) MulDiv(a, b Decimal, roundUp bool) (Decimal, error) {
	if b == 0 {
		return 0, errors.New("cryptogw: division by zero")
	}
	n := new(big.Int).Mul(big.NewInt(int64(d)), big.NewInt(int64(a)))
	den := big.NewInt(int64(b))
	q, r := new(big.Int).QuoRem(n, den, new(big.Int))
	if roundUp && r.Sign() != 0 {
		if (n.Sign() < 0) == (den.Sign() < 0) {
			q.Add(q, big.NewInt(1))
		} else {
			q.Sub(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		return 0, errors.New("cryptogw: result out of range")
	}
	return Decimal(q.Int64()), nil
}

// Div returns d/b as a Decimal rounded as MulDiv does: (d * 1) / b.
func (d Decimal) Div(b Decimal, roundUp bool) (Decimal, error) { return d.MulDiv(one, b, roundUp) }

// Mul returns d*b as a Decimal rounded as MulDiv does: (d * b) / 1.
func (d Decimal) Mul(b Decimal, roundUp bool) (Decimal, error) { return d.MulDiv(b, one, roundUp) }

// invoiceExp returns the minor-unit digits of a fiat currency (2 when money does not know it).
func invoiceExp(code string) int { return money.Amount{Currency: code}.Exponent() }
