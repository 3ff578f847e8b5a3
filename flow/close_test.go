package flow

import (
	"context"
	"errors"
	"testing"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// After Close the terminal takes no new payment, from the register or the keypad, while
// the payment already in flight goes on to its end.
func TestCloseRefusesNewWorkAndLetsInFlightSettle(t *testing.T) {
	r := newRig(t, "", testConfig(), nil)
	paid := make(chan struct{})
	r.prov.checkFn = func(*driver.Payment) (driver.Update, error) {
		select {
		case <-paid:
			return driver.Update{Remote: driver.RemotePaid}, nil
		default:
			return driver.Update{Remote: driver.RemotePending}, nil
		}
	}
	r.run()
	r.keys("1000\n")
	r.waitFor("the QR", r.state(store.StateAwaiting))
	ctx := context.Background()
	if err := r.e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.e.Pay(ctx, money.New(500, "EUR"), nil); !errors.Is(err, ErrClosing) && !errors.Is(err, ErrBusy) {
		t.Fatalf("register payment after Close: %v, want ErrClosing (or busy)", err)
	}
	close(paid)
	r.waitFor("the payment in flight to settle", r.state(store.StatePaid))
	var err error
	r.waitFor("the terminal to be free again", func() bool {
		_, err = r.e.Pay(ctx, money.New(500, "EUR"), nil)
		return !errors.Is(err, ErrBusy)
	})
	if !errors.Is(err, ErrClosing) {
		t.Fatalf("register payment after Close, terminal idle: %v, want ErrClosing", err)
	}
	r.keys("700\n")
	r.waitFor("the keypad refusal", func() bool { return r.disp.last().Title == "Terminal closing" })
	if n := r.prov.count("start"); n != 1 {
		t.Fatalf("%d payments started, want only the one before Close", n)
	}
}
