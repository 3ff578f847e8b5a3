package display_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/internal/qrread"
	"github.com/terminald/terminald/screen"
)

// gridPixels turns the half blocks of g back into pixels, scale×scale image pixels
// each (a phone's view of the terminal); the terminal's own background is black.
func gridPixels(g *display.Grid, scale int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, g.W*scale, g.H*2*scale))
	rgb := func(c uint32) color.RGBA {
		if c == display.DefaultColor {
			return color.RGBA{A: 0xff}
		}
		return color.RGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 0xff}
	}
	for y := 0; y < g.H; y++ {
		for x := 0; x < g.W; x++ {
			c := g.At(x, y)
			up, lo := rgb(c.BG), rgb(c.BG)
			switch c.Ch {
			case '▀':
				up = rgb(c.FG)
			case '▄':
				lo = rgb(c.FG)
			}
			for dy := 0; dy < 2*scale; dy++ {
				col := up
				if dy >= scale {
					col = lo
				}
				for dx := 0; dx < scale; dx++ {
					img.SetRGBA(x*scale+dx, y*2*scale+dy, col)
				}
			}
		}
	}
	return img
}

// Sampled on the module grid, a QR screen's code decodes from the half blocks at one
// and at two half-block pixels per module, and the code alone (quiet zone cut to two
// modules) decodes too.
func TestHalfBlocksQRDecodes(t *testing.T) {
	r := renderer(t)
	codes := 0
	for _, s := range screen.Samples(t0) {
		if s.Kind != screen.QR {
			continue
		}
		codes++
		img := r.Render(s, 240, 320, t0)
		lay := r.Layout(s, 240, 320)
		m := lay.QRModule
		if m == 0 {
			t.Fatalf("%q: no QR in the layout", s.Title)
		}
		mods := lay.QR.Dx() / m
		for _, tc := range []struct {
			name string
			smp  display.Sampling
			w, h int
		}{
			{"whole screen, 1 px/module", display.Sampling{Origin: image.Pt(lay.QR.Min.X%m, lay.QR.Min.Y%m), Num: m, Den: 1}, 240 / m, 320 / m},
			{"whole screen, 2 px/module", display.Sampling{Origin: image.Pt(lay.QR.Min.X%m, lay.QR.Min.Y%m), Num: m, Den: 2}, 2 * 240 / m, 2 * 320 / m},
			{"code alone, quiet zone 2", display.Sampling{Origin: lay.QR.Min.Add(image.Pt(2*m, 2*m)), Num: m, Den: 1}, mods - 4, mods - 4},
		} {
			g := display.NewGrid(tc.w, (tc.h+1)/2)
			g.HalfBlocks(0, 0, img, tc.smp, tc.w, tc.h)
			got, err := qrread.Decode(gridPixels(g, 4))
			if err != nil || got != s.QR {
				t.Errorf("%q %s: decoded %q, %v; want %q", s.Title, tc.name, got, err, s.QR)
			}
		}
	}
	if codes == 0 {
		t.Fatal("no QR screen among the samples")
	}
	t.Logf("%d QR screens decoded from half blocks", codes)
}

// WriteDiff writes only the cells that changed, at their position; WriteFull writes
// every row without cursor addressing.
func TestWriteDiffOnlyChanged(t *testing.T) {
	a := display.NewGrid(40, 10)
	a.Text(0, 0, 40, "Waiting for customer", true)
	a.Text(0, 5, 40, "29:59", false)
	b := display.NewGrid(40, 10)
	copy(b.Cells, a.Cells)
	b.Text(0, 5, 40, "29:58", false)

	var full bytes.Buffer
	if err := display.WriteFull(&full, a); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(full.String(), "\r\n"); n != 9 {
		t.Errorf("WriteFull: %d row breaks, want 9", n)
	}
	if strings.Contains(full.String(), "H") && strings.Contains(full.String(), "\x1b[1;") {
		t.Errorf("WriteFull addresses the cursor: %q", full.String())
	}

	var diff bytes.Buffer
	if err := display.WriteDiff(&diff, a, b, 15); err != nil {
		t.Fatal(err)
	}
	want := "\x1b[20;5H\x1b[0m8\x1b[0m"
	if diff.String() != want {
		t.Errorf("WriteDiff of one changed digit = %q, want %q", diff.String(), want)
	}
	diff.Reset()
	if err := display.WriteDiff(&diff, a, a, 1); err != nil || diff.Len() != 0 {
		t.Errorf("WriteDiff of equal grids wrote %q (%v)", diff.String(), err)
	}
	if err := display.WriteDiff(&diff, a, display.NewGrid(41, 10), 1); err == nil {
		t.Error("WriteDiff of grids of different sizes: no error")
	}
}

// Text cuts at the width given and writes no control characters or wide runes.
func TestGridText(t *testing.T) {
	g := display.NewGrid(10, 1)
	if n := g.Text(2, 0, 5, "1.234,56 kr.", false); n != 5 {
		t.Errorf("wrote %d cells, want 5", n)
	}
	g.Text(0, 0, 2, "\x1b中", false)
	var got strings.Builder
	for x := 0; x < g.W; x++ {
		got.WriteRune(g.At(x, 0).Ch)
	}
	if want := "??1.234   "; got.String() != want {
		t.Errorf("row = %q, want %q", got.String(), want)
	}
}

func ExampleWriteDiff() {
	prev := display.NewGrid(8, 1)
	prev.Text(0, 0, 8, "0:10", false)
	next := display.NewGrid(8, 1)
	next.Text(0, 0, 8, "0:09", false)
	var b bytes.Buffer
	display.WriteDiff(&b, prev, next, 3) // the grid's first row is terminal row 3
	fmt.Printf("%q\n", b.String())
	// Output: "\x1b[3;3H\x1b[0m09\x1b[0m"
}
