package display

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"io"
)

// ANSI draws img on a 24-bit colour terminal with Unicode upper half blocks:
// one character cell shows two pixels, one above the other.
func ANSI(w io.Writer, img image.Image) error {
	return ANSIScaled(w, img, 1)
}

// ANSIScaled is ANSI after downscaling by scale (sampling the centre of each
// scale×scale block). With scale equal to the QR module size (see
// screen.Layout), each QR module is one cell wide and the code stays
// scannable from a phone.
func ANSIScaled(w io.Writer, img image.Image, scale int) error {
	if scale < 1 {
		scale = 1
	}
	b := img.Bounds()
	cols := b.Dx() / scale
	rows := b.Dy() / scale
	bw := bufio.NewWriter(w)
	at := func(x, y int) color.RGBA {
		return color.RGBAModel.Convert(img.At(b.Min.X+x*scale+scale/2, b.Min.Y+y*scale+scale/2)).(color.RGBA)
	}
	for y := 0; y < rows; y += 2 {
		var lastFG, lastBG color.RGBA
		first := true
		for x := 0; x < cols; x++ {
			fg := at(x, y)
			bg := color.RGBA{A: 0xff}
			if y+1 < rows {
				bg = at(x, y+1)
			}
			if first || fg != lastFG {
				fmt.Fprintf(bw, "\x1b[38;2;%d;%d;%dm", fg.R, fg.G, fg.B)
			}
			if first || bg != lastBG {
				fmt.Fprintf(bw, "\x1b[48;2;%d;%d;%dm", bg.R, bg.G, bg.B)
			}
			first = false
			lastFG, lastBG = fg, bg
			bw.WriteString("▀")
		}
		bw.WriteString("\x1b[0m\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("display: ansi: %w", err)
	}
	return nil
}
