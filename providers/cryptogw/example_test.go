package cryptogw_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/cryptogw"
	"github.com/terminald/terminald/providers/cryptogw/sandbox"
)

// A payment against the sandbox: start, the customer's wallet pays the QR, and the
// gateway confirms after two blocks.
func Example() {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sb := sandbox.New(sandbox.Options{Seed: 1, Now: clock})
	srv := httptest.NewServer(sb)
	defer srv.Close()

	cfg := cryptogw.DemoConfig(srv.URL + "/v2/")
	cfg.Currencies = []string{"BTC"}
	cfg.Now = clock
	pr, err := cryptogw.New(cfg, nil)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	p := &driver.Payment{ID: "demo-1", Amount: money.New(4825, "EUR"),
		Data: map[string]string{cryptogw.KeyQuote: "OK"}}
	save := func(*driver.Payment) error { return nil }

	u, err := pr.Start(ctx, p, save)
	if err != nil {
		panic(err)
	}
	uri, _ := cryptogw.ParsePaymentURI(u.QR)
	fmt.Println(uri.Scheme, uri.Amount.String() != "")
	sb.PayURI(u.QR) // the customer's wallet
	now = now.Add(20 * time.Second)
	u, _ = pr.Check(ctx, p, save)
	fmt.Println(u.Remote)
	// Output:
	// bitcoin true
	// paid
}

func ExampleParseDecimal() {
	d, _ := cryptogw.ParseDecimal("0.00701726")
	fmt.Println(int64(d), d)
	_, err := cryptogw.ParseDecimal("0.000000001")
	fmt.Println(err != nil)
	// Output:
	// 701726 0.00701726
	// true
}
