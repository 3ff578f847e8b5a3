package escpos_test

import (
	"fmt"

	"github.com/terminald/terminald/hw/printer/escpos"
)

func ExampleEncoder() {
	b, err := escpos.NewEncoder(escpos.PC858).Init().
		Align(escpos.AlignCenter).Bold(true).Line("Total 1,50 €").
		Cut(false, 0).Bytes()
	fmt.Printf("% x %v\n", b, err)
	// Output: 1b 40 1b 74 13 1b 61 01 1b 45 01 54 6f 74 61 6c 20 31 2c 35 30 20 d5 0a 1d 56 41 00 <nil>
}
