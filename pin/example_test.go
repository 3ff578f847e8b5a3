package pin_test

import (
	"errors"
	"fmt"

	"github.com/terminald/terminald/pin"
)

func Example() {
	h, err := pin.Hash("4711") // terminald set-pin prints this for admin.manager_pin_hash
	if err != nil {
		panic(err)
	}
	g := &pin.Guard{Hash: h, MaxTries: 3}
	fmt.Println(g.Check("1234"))
	fmt.Println(g.Check("4711"))
	g.Check("0000")
	g.Check("0000")
	fmt.Println(errors.Is(g.Check("0000"), pin.ErrLocked))
	// Output:
	// pin: wrong PIN (2 tries left)
	// <nil>
	// true
}
