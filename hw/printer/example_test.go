package printer_test

import (
	"context"
	"fmt"
	"os"

	"github.com/terminald/terminald/hw/printer"
	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/hw/printer/escposdoc"
	"github.com/terminald/terminald/receipt"
)

// A FilePrinter writes the ESC/POS bytes; escposdoc.TextWriter shows them as text. A
// real printer is opened with OpenSerial or OpenUSB and used the same way.
func ExampleFilePrinter() {
	layout := printer.Layout{Paper: escpos.Paper58, CodePage: escpos.PC858}
	p := printer.NewFilePrinter(escposdoc.TextWriter(os.Stdout, escpos.Paper58.Columns), layout)
	err := p.Print(context.Background(), receipt.Receipt{
		Kind: receipt.Sale,
		Lines: []receipt.Line{
			{Text: "No. 1"},
			{Text: "Café Zentral", Align: receipt.Center, Bold: true},
			{Text: "Total", Right: "12,50 €"},
		},
		QR:  "pi_123",
		Cut: true,
	})
	fmt.Println(err)
	// Output:
	// No. 1
	//           Café Zentral
	// Total                    12,50 €
	//
	// [QR pi_123]
	//
	// ---------------- cut ----------------
	// <nil>
}

// Serial printers are wired to a UART or USB-serial adapter; status requests need the
// printer's TX line connected.
func ExampleOpenSerial() {
	cfg := printer.Config{
		Layout: printer.Layout{Paper: escpos.Paper80, CodePage: escpos.PC858},
		Pacing: printer.Pacing{XONXOFF: true},
	}
	p, err := printer.OpenSerial(serialportConfig("/dev/ttyUSB0"), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	st, err := p.Status(context.Background())
	fmt.Println(st.Text(), err)
}
