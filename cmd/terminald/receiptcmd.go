package main

import (
	"fmt"
	"io"
)

// receiptUsage is the help of `terminald receipt`, in every build.
const receiptUsage = `Usage: terminald receipt render [--png OUT] [--paper 58|80] FILE

Decodes FILE, the ESC/POS bytes sent to a receipt printer (the simulator's receipt
file, or a capture of a printer port), and prints it as text, or draws it into the PNG
file OUT as the printer would print it.

Simulator builds only (go build -tags sim, or terminald-sim): the production daemon does
not link the ESC/POS decoder.
`

// receiptHelp answers -h for `terminald receipt` in a build without the decoder; it
// reports whether args asked for help.
func receiptHelp(args []string, stderr io.Writer) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help", "help":
			fmt.Fprint(stderr, receiptUsage)
			return true
		}
	}
	return false
}
