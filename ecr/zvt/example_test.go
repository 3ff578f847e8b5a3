package zvt_test

import (
	"fmt"

	"github.com/terminald/terminald/ecr/zvt"
)

// Frame an APDU for the serial line.
func ExampleFrame() {
	fmt.Printf("% X\n", zvt.Frame([]byte{0x80, 0x00, 0x00}))
	// Output: 10 02 80 00 00 10 03 F5 1F
}

// Decode an Authorization and its BMPs.
func ExampleParseFields() {
	a, _ := zvt.ParseAPDU([]byte{0x06, 0x01, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34, 0x49, 0x09, 0x78})
	fs, _ := zvt.ParseFields(a.Data)
	amount, _, _ := fs.BCD(zvt.BMPAmount)
	cc, _, _ := fs.BCD(zvt.BMPCurrency)
	fmt.Printf("%04X amount=%d currency=%03d\n", a.Command(), amount, cc)
	// Output: 0601 amount=1234 currency=978
}
