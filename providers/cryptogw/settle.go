package cryptogw

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

// Keys under which a confirmed payment's settlement is kept in driver.Payment.Data.
const (
	keyReceived = "crypto.received" // gateway's text of the crypto amount received, when it differs from the amount asked
	keyOverpaid = "crypto.overpaid" // "1" when more than asked arrived
)

// SettlementError is a confirmed CheckPayment whose money the client cannot take as
// paid: nothing received, or an invoice in another currency. The payment stays open
// (never paid) and the error names what the gateway said. It does not match
// driver.ErrUnreachable: asking again will not change the answer by itself, a person
// must look.
type SettlementError struct {
	PaymentID string
	Problem   string // e.g. "confirmed with nothing received"
}

// Error describes the problem.
func (e *SettlementError) Error() string {
	return fmt.Sprintf("cryptogw: payment %s: %s", e.PaymentID, e.Problem)
}

// CashierMessage is a short text for the screen.
func (e *SettlementError) CashierMessage() string { return "Check with gateway" }

// Attention implements driver.Attentioner: the engine keeps the payment open and flags it.
func (e *SettlementError) Attention() string { return "Check with gateway: " + e.Problem }

// settlement is what a confirmed payment settled for.
type settlement struct {
	paid  money.Amount // settled amount, in the payment's currency
	under bool         // paid < asked
	over  bool         // more than asked arrived
	// arrived is the fiat value of what arrived when more than asked arrived (the
	// invoice amount when the gateway gives one above the amount asked, else the amount
	// asked scaled by received/asked crypto); zero otherwise.
	arrived money.Amount
	lines   []string
}

// settle works out what a confirmed payment settled for (see the package doc, Money).
func settle(p *driver.Payment, paymentID string, st Status) (settlement, error) {
	asked := p.Amount
	fail := func(f string, a ...any) (settlement, error) {
		return settlement{}, &SettlementError{PaymentID: paymentID, Problem: fmt.Sprintf(f, a...)}
	}
	inv := st.Invoice
	if inv.Currency != "" && !strings.EqualFold(inv.Currency, asked.Currency) {
		return fail("confirmed for an invoice in %s, the payment is in %s", inv.Currency, asked.Currency)
	}
	askedCrypto := st.OriginalAmount
	if askedCrypto == 0 {
		askedCrypto = st.Amount
	}
	if st.Payment <= 0 {
		return fail("confirmed with nothing received (payment %q)", st.PaymentText)
	}
	if inv.Currency != "" && inv.Minor <= 0 {
		return fail("confirmed for an invoice amount of %s", inv)
	}
	s := settlement{paid: asked}
	switch {
	case inv.Currency != "" && inv.Minor < asked.Minor:
		// The gateway itself says it settled for less (accepted or auto-accepted
		// underpayment).
		s.paid = money.Amount{Minor: inv.Minor, Currency: asked.Currency}
	case askedCrypto > 0 && st.Payment < askedCrypto:
		n := new(big.Int).Mul(big.NewInt(asked.Minor), big.NewInt(int64(st.Payment)))
		n.Quo(n, big.NewInt(int64(askedCrypto)))
		s.paid = money.Amount{Minor: n.Int64(), Currency: asked.Currency}
	}
	if f := p.Data[keyAccFiat]; f != "" {
		// An underpayment the terminal accepted: at most what it accepted.
		if m, err := money.ParseDecimal(f, asked.Exponent()); err == nil && m < s.paid.Minor {
			s.paid.Minor = m
		}
	}
	if s.paid.Minor <= 0 {
		return fail("confirmed, but %s of %s received settles for nothing", st.PaymentText, askedCrypto)
	}
	s.under = s.paid.Minor < asked.Minor
	s.over = (askedCrypto > 0 && st.Payment > askedCrypto) || inv.Minor > asked.Minor
	if s.over && !s.under {
		s.arrived = money.Amount{Minor: inv.Minor, Currency: asked.Currency}
		if inv.Minor <= asked.Minor && askedCrypto > 0 {
			n := new(big.Int).Mul(big.NewInt(asked.Minor), big.NewInt(int64(st.Payment)))
			n.Quo(n, big.NewInt(int64(askedCrypto)))
			s.arrived.Minor = n.Int64()
		}
		if s.arrived.Minor <= asked.Minor {
			s.arrived = money.Amount{}
		}
	}
	cur := st.Currency
	switch {
	case s.under:
		s.lines = []string{fmt.Sprintf("Received %s %s", st.PaymentText, cur), fmt.Sprintf("Asked %s %s", askedCrypto, cur),
			"Settled " + s.paid.String() + " of " + asked.String()}
	case s.over:
		s.lines = []string{fmt.Sprintf("Received %s %s", st.PaymentText, cur), fmt.Sprintf("Asked %s %s", askedCrypto, cur),
			"Overpaid: refund the difference"}
	}
	return s, nil
}

// confirmedUpdate maps a confirmed CheckPayment into u, recording the settlement in
// p.Data (the caller saves it).
func confirmedUpdate(p *driver.Payment, u driver.Update, paymentID string, st Status) (driver.Update, error) {
	s, err := settle(p, paymentID, st)
	if err != nil {
		u.Remote, u.Detail = driver.RemotePending, "Confirmed: check with gateway"
		u.Lines = []string{err.(*SettlementError).Problem}
		return u, err
	}
	u.Remote, u.Detail, u.Lines = driver.RemotePaid, "Confirmed", s.lines
	if s.under || s.over {
		p.Data[keyReceived] = st.PaymentText
	}
	if s.under {
		u.Paid, u.Detail, u.Reason = s.paid, "Underpaid: settled "+s.paid.String(), "Underpaid"
		u.Attention = "Underpaid"
	}
	if s.over {
		p.Data[keyOverpaid] = "1"
		u.Detail, u.Reason = "Overpaid: received "+st.PaymentText+" "+st.Currency, "Overpaid"
		u.Paid, u.Attention = s.arrived, "Overpaid: received "+st.PaymentText+" "+st.Currency
	}
	return u, nil
}
