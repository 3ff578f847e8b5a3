package escposdoc_test

import (
	"fmt"

	"github.com/terminald/terminald/hw/printer/escposdoc"
)

func ExampleDecode() {
	doc, err := escposdoc.Decode([]byte("\x1b@\x1bt\x13\x1b\x61\x01Total 1,50 \xd5\n\x1dVA\x00"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(doc.TextWidth(32))
	_, err = escposdoc.Decode([]byte("\x1d(k\x03\x001C"))
	fmt.Println(err)
	// Output:
	//           Total 1,50 €
	// ---------------- cut ----------------
	// escpos: offset 0: GS ( k: truncated: want 3 parameter bytes, have 2
}
