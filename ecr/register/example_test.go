package register_test

import (
	"context"
	"fmt"

	"github.com/terminald/terminald/ecr/register"
	"github.com/terminald/terminald/ecr/zvt"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// busyEngine is an engine with a payment on screen: it refuses every register payment.
type busyEngine struct{ register.Engine }

func (busyEngine) Pay(context.Context, money.Amount, func(*store.Payment)) (*store.Payment, error) {
	return nil, flow.ErrBusy
}

// A register's payment refused by the engine is answered with the ZVT result code for
// the engine's error (83: function not possible), chosen by the error's identity.
// In the daemon the engine is a *flow.Engine and register.Start serves the link.
func Example() {
	term := register.New(busyEngine{}, "EUR", nil)
	res, _ := term.Pay(context.Background(), money.New(1234, "EUR"), func(zvt.Progress) {})
	fmt.Printf("result %02X: %s\n", res.Code, res.Lines[1])
	// Output: result 83: terminal busy with another payment
}
