package cryptogw

import (
	"errors"
	"math/rand/v2"
	"net/url"
	"testing"

	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/cryptogw/sandbox"
)

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Decimal
		ok   bool
	}{
		{"0.00701726", 701726, true},
		{"6467.18", 646718000000, true},
		{"100", 10000000000, true},
		{"0", 0, true},
		{"-1.5", -150000000, true},
		{"0.000000010000", 1, true},
		{"0.000000001", 0, false}, // 9 decimals: never rounded
		{"1.", 0, false},
		{".5", 0, false},
		{"", 0, false},
		{"1e5", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1,5", 0, false},
		{"92233720368.54775807", 9223372036854775807, true},
		{"92233720368.54775808", 0, false},
		{"-", 0, false},
	} {
		got, err := ParseDecimal(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDecimal(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrDecimal) {
			t.Errorf("ParseDecimal(%q) error %v does not wrap ErrDecimal", tc.in, err)
		}
	}
	if s := Decimal(701726).String(); s != "0.00701726" {
		t.Errorf("String = %q", s)
	}
	if s := MustDecimal("6467.1").Trim(2); s != "6467.10" {
		t.Errorf("Trim = %q", s)
	}
}

func TestDecimalArithmetic(t *testing.T) {
	inv, _ := FromMinor(4825, 2) // 48.25
	rate := MustDecimal("6467.18")
	down, _ := inv.Div(rate, false)
	up, _ := inv.Div(rate, true)
	if down.String() != "0.00746074" || up.String() != "0.00746075" {
		t.Errorf("48.25/6467.18 = %s / %s", down, up)
	}
	if m, exact := MustDecimal("48.25").ToMinor(2); m != 4825 || !exact {
		t.Errorf("ToMinor = %d %v", m, exact)
	}
	if _, exact := MustDecimal("48.251").ToMinor(2); exact {
		t.Error("ToMinor of 48.251 claims exact")
	}
	if _, err := FromMinor(money.MaxMinor, 2); err != nil {
		t.Errorf("FromMinor(max) = %v", err)
	}
}

// Property: random invoice amounts (minor units) and random 8-decimal crypto amounts
// survive the wire and the sandbox exactly.
func TestDecimalRoundTripThroughSandbox(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 7, ConfirmationInterval: 1}, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	c := e.pr.Client()
	ctx := t.Context()
	for i := range 40 {
		minor := 1 + rng.Int64N(99_999_999)
		if i == 0 {
			minor = 1
		}
		inv := money.New(minor, "EUR")
		rate, err := c.GetRate(ctx, RateRequest{Invoice: inv, Currency: "BTC"})
		if err != nil {
			t.Fatal(err)
		}
		if rate.Invoice != inv {
			t.Fatalf("invoice %v came back as %v", inv, rate.Invoice)
		}
		if rate.Amount != rate.AmountExchange+rate.NetworkProcessingFee {
			t.Fatalf("amount %s != exchange %s + fee %s", rate.Amount, rate.AmountExchange, rate.NetworkProcessingFee)
		}
		st, err := c.StartPayment(ctx, StartRequest{RateRequest: RateRequest{Invoice: inv, Currency: "BTC"}, PaymentID: rate.PaymentID})
		if err != nil {
			t.Fatal(err)
		}
		uri, err := ParsePaymentURI(st.QR)
		if err != nil || uri.Amount != st.Amount || uri.Address != st.Address {
			t.Fatalf("qr %q parses to %+v, %v; want %s at %s", st.QR, uri, err, st.Amount, st.Address)
		}
		sent := Decimal(1 + rng.Int64N(int64(st.Amount)))
		// Send through HTTP as a wallet would, with the amount as text.
		resp, err := e.srv.Client().Post(e.srv.URL+"/sandbox/pay?address="+url.QueryEscape(st.Address)+"&amount="+sent.String(), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got, err := c.CheckPayment(ctx, PaymentRef{PaymentID: st.PaymentID, Currency: "BTC", Address: st.Address})
		if err != nil {
			t.Fatal(err)
		}
		if got.Payment != sent || got.Amount != st.Amount || got.Invoice != inv {
			t.Fatalf("sent %s of %s for %v; gateway reports %s of %s for %v", sent, st.Amount, inv, got.Payment, got.Amount, got.Invoice)
		}
	}
}

func TestFiatRoundTripQuick(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		minor := rng.Int64N(money.MaxMinor + 1)
		d, err := FromMinor(minor, 2)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseDecimal(d.String())
		if err != nil || back != d {
			t.Fatalf("%d: %s parsed back as %d, %v", minor, d, back, err)
		}
		m, exact := back.ToMinor(2)
		if m != minor || !exact {
			t.Fatalf("%d: ToMinor = %d", minor, m)
		}
		crypto := Decimal(rng.Int64())
		if got, err := ParseDecimal(crypto.String()); err != nil || got != crypto {
			t.Fatalf("%d: round trip %s → %d, %v", crypto, crypto, got, err)
		}
	}
}
