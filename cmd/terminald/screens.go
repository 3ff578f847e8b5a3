//go:build sim

package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/screen"
)

// screensTime is the sample screens' clock: fixed, so that every run draws the same.
var screensTime = time.Date(2026, 3, 12, 14, 5, 0, 0, time.UTC)

// cmdScreens draws the terminal's screens (flow.SampleScreens: the ui's own code on
// sample payments) in every language, at every supported size, as PNG files:
// DIR/LANG/NAME-WxH.png.
func cmdScreens(args []string, stdout, stderr io.Writer) error {
	fs := flags("screens", stderr)
	out := fs.String("out", "screens", "write the PNGs into `DIR`, one directory per language")
	if err := parse(fs, args); err != nil {
		return err
	}
	n, err := writeScreens(*out, screensTime)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d screens written to %s (%v)\n", n, *out, locale.Languages())
	return nil
}

// writeScreens writes every sample screen of every language under dir; it returns how
// many screens (each at every size) it wrote.
func writeScreens(dir string, now time.Time) (int, error) {
	r, err := screen.NewRenderer()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, lang := range locale.Languages() {
		loc, err := locale.New(locale.Options{Language: lang, TimeZone: "UTC"})
		if err != nil {
			return n, fmt.Errorf("screens: %w", err)
		}
		for _, s := range flow.SampleScreens(loc, now) {
			if err := r.WriteSizes(filepath.Join(dir, lang), s.Name, s.Screen, now); err != nil {
				return n, fmt.Errorf("screens: %w", err)
			}
			n++
		}
	}
	return n, nil
}
