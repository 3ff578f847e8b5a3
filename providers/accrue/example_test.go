package accrue_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/accrue"
	"github.com/terminald/terminald/providers/accrue/sandbox"
)

// Example runs the scan path against the in-memory sandbox: the cashier picked
// "Scan wallet code" and the scanner read the demo wallet's code.
func Example() {
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb) // loopback only
	defer srv.Close()

	pr, err := accrue.New(sandbox.Config(srv.URL), nil)
	if err != nil {
		log.Fatal(err)
	}
	p := &driver.Payment{ID: "20250623-0001", Amount: money.New(1250, "USD"),
		Data: map[string]string{accrue.KeyMethod: accrue.OptionScan, accrue.KeyCode: sandbox.DemoRichCode}}
	save := func(*driver.Payment) error { return nil } // the flow writes p to disk here

	step, _ := pr.NextStep(context.Background(), p)
	fmt.Println("more input needed:", step != nil)
	u, err := pr.Start(context.Background(), p, save)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Remote, u.Detail)
	// Output:
	// more input needed: false
	// paid Paid with Accrue
}

// ExampleClient_FindWalletByPhone looks up a wallet by the customer's phone number.
func ExampleClient_FindWalletByPhone() {
	srv := httptest.NewServer(sandbox.New(sandbox.Options{}))
	defer srv.Close()
	cl, err := accrue.NewClient(sandbox.Config(srv.URL), nil)
	if err != nil {
		log.Fatal(err)
	}
	w, err := cl.FindWalletByPhone(context.Background(), sandbox.DemoPoorPhone)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(w.ID == sandbox.DemoPoorWalletID, w.Status)
	// Output: true Active
}
