package acountpay_test

import (
	"context"
	"fmt"
	"github.com/terminald/terminald/providers/acountpay/sandbox"
	"net/http"
	"net/http/httptest"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/acountpay"
)

// A payment against the sandbox: create, show the QR (the payment URL), the customer opens
// it and pays, the terminal polls.
func Example() {
	srv := httptest.NewServer(sandbox.New(sandbox.Options{}))
	defer srv.Close()

	p, err := acountpay.New(acountpay.Config{
		BaseURL:          srv.URL,
		Variant:          acountpay.VariantOAuth,
		ClientID:         sandbox.DemoClientID,
		ClientSecret:     sandbox.DemoClientSecret,
		MerchantClientID: sandbox.DemoMerchantClientID,
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	pay := &driver.Payment{ID: "T1-000042", Amount: money.New(14999, "DKK")}
	save := func(*driver.Payment) error { return nil } // the flow commits to the store here

	u, err := p.Start(ctx, pay, save)
	if err != nil {
		fmt.Println(err)
		return
	}
	pay.ProviderID, pay.QR = u.ProviderID, u.QR
	fmt.Println("created:", u.Remote)

	resp, err := http.Get(u.QR) // the customer "pays" by opening the bank page
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	u, err = p.Check(ctx, pay, save)
	fmt.Println("checked:", u.Remote, err)
	// Output:
	// created: pending
	// checked: paid <nil>
}

// Receiving webhooks: wire the handler to an HTTP server; it only hints the driver.
func ExampleNewWebhookHandler() {
	h := acountpay.NewWebhookHandler(sandbox.DemoWebhookSecret, func(reference, paymentID string) {
		fmt.Println("poll", reference, "now")
	}, nil)
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/acountpay", h)
	_ = mux
}
