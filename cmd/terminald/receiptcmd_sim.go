//go:build sim

package main

import (
	"fmt"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/hw/printer/escposdoc"
)

// cmdReceipt is `terminald receipt render FILE`: ESC/POS bytes to text or PNG.
func cmdReceipt(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "render" {
		if receiptHelp(args, stderr) {
			return nil
		}
		if len(args) > 0 && strings.HasPrefix(args[0], "-") {
			return fmt.Errorf("%w: flag provided but not defined: %s (terminald receipt -h for help)", errUsage, args[0])
		}
		return fmt.Errorf("%w: want: receipt render [--png OUT] FILE (terminald receipt -h for help)", errUsage)
	}
	fs := flags("receipt render", stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), receiptUsage) }
	out := fs.String("png", "", "draw the receipt into the PNG file `OUT` instead of printing text")
	paperW := fs.Int("paper", 80, "paper width in mm: 58 or 80")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: receipt render takes one FILE", errUsage)
	}
	paper := escpos.Paper80
	switch *paperW {
	case 80:
	case 58:
		paper = escpos.Paper58
	default:
		return fmt.Errorf("%w: --paper %d: 58 or 80", errUsage, *paperW)
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	doc, err := escposdoc.Decode(data)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	if *out == "" {
		_, err := io.WriteString(stdout, doc.TextWidth(paper.Columns))
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := png.Encode(f, escposdoc.RenderPNG(doc, paper.Dots)); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d lines, %d cuts\n", *out, len(doc.Lines()), doc.Cuts())
	return nil
}
