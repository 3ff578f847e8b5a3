package cryptogw

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// PaymentURI is a BIP21-style payment URI, "bitcoin:<address>?amount=0.00701648".
type PaymentURI struct {
	Scheme  string  // e.g. "bitcoin", lower case
	Address string  // the address
	Amount  Decimal // 0 when the URI has no amount
}

// String formats u as a URI.
func (u PaymentURI) String() string {
	s := u.Scheme + ":" + u.Address
	if u.Amount > 0 {
		s += "?amount=" + u.Amount.String()
	}
	return s
}

// ParsePaymentURI reads a BIP21-style URI as the gateway's "qr" field holds it. A bare
// address (the "qr_alt" form) is accepted with an empty scheme.
func ParsePaymentURI(s string) (PaymentURI, error) {
	s = strings.TrimSpace(s)
	if len(s) > 512 {
		return PaymentURI{}, errors.New("cryptogw: payment URI too long")
	}
	var u PaymentURI
	rest := s
	if scheme, after, ok := strings.Cut(s, ":"); ok && !strings.ContainsAny(scheme, "?&=") {
		u.Scheme, rest = strings.ToLower(scheme), after
		if !saneID(u.Scheme, 32) {
			return PaymentURI{}, fmt.Errorf("cryptogw: payment URI scheme %q is malformed", trunc(scheme))
		}
	}
	addr, query, _ := strings.Cut(rest, "?")
	if !ValidAddress(addr) {
		return PaymentURI{}, fmt.Errorf("cryptogw: payment URI address %q is malformed", trunc(addr))
	}
	u.Address = addr
	q, err := url.ParseQuery(query)
	if err != nil {
		return PaymentURI{}, fmt.Errorf("cryptogw: payment URI query: %w", err)
	}
	if a := q.Get("amount"); a != "" {
		d, err := ParseDecimal(a)
		if err != nil {
			return PaymentURI{}, fmt.Errorf("cryptogw: payment URI amount: %w", err)
		}
		if d <= 0 {
			return PaymentURI{}, errors.New("cryptogw: payment URI amount must be positive")
		}
		u.Amount = d
	}
	return u, nil
}
