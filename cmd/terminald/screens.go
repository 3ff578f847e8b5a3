//go:build sim

package main

import (
	"fmt"
	"io"

	"github.com/terminald/terminald/screen"
)

// cmdScreens renders every screen at every size to PNG files.
func cmdScreens(args []string, stdout, stderr io.Writer) error {
	fs := flags("screens", stderr)
	out := fs.String("out", "screens", "write the PNGs into `DIR`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := screen.WriteScreens(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "screens written to %s\n", *out)
	return nil
}
