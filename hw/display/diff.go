package display

import (
	"bytes"
	"cmp"
	"image"
	"slices"
)

// Diff returns rectangles covering every pixel that differs between a and b
// (same bounds), chosen to keep the SPI bytes low: a rectangle costs its
// window commands (CASET and RASET when they change, RAMWR; see spiCost)
// plus 2 bytes (RGB565) per pixel, changed or not. It finds the changed
// regions tile by tile (tile×tile blocks merged into runs and bands, each
// shrunk to its changed pixels), then covers each region with row bands
// whose rectangles share their rows (bandRects), keeping whichever of the
// two covers costs less. The rectangles come sorted by rows, then columns,
// so that rectangles of one band follow each other and the driver skips
// their RASET. A nil a means everything changed.
func Diff(a, b *image.RGBA, tile int) []image.Rectangle {
	if a == nil || a.Rect != b.Rect {
		return []image.Rectangle{b.Rect}
	}
	var out []image.Rectangle
	for _, r := range tileDiff(a, b, tile) {
		if bs := bandRects(a, b, r); spiCost(bs) < spiCost([]image.Rectangle{r}) {
			out = append(out, bs...)
		} else {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(p, q image.Rectangle) int {
		if c := cmp.Compare(p.Min.Y, q.Min.Y); c != 0 {
			return c
		}
		if c := cmp.Compare(p.Max.Y, q.Max.Y); c != 0 {
			return c
		}
		return cmp.Compare(p.Min.X, q.Min.X)
	})
	return out
}

// tileDiff returns the changed regions: tile×tile blocks that differ, merged
// into runs and bands, each shrunk to the changed pixels inside it.
func tileDiff(a, b *image.RGBA, tile int) []image.Rectangle {
	if tile <= 0 {
		tile = 16
	}
	r := b.Rect
	var done, open []image.Rectangle
	for ty := r.Min.Y; ty < r.Max.Y; ty += tile {
		y1 := min(ty+tile, r.Max.Y)
		var band []image.Rectangle
		for tx := r.Min.X; tx < r.Max.X; tx += tile {
			x1 := min(tx+tile, r.Max.X)
			if !changed(a, b, image.Rect(tx, ty, x1, y1)) {
				continue
			}
			if n := len(band); n > 0 && band[n-1].Max.X == tx {
				band[n-1].Max.X = x1
			} else {
				band = append(band, image.Rect(tx, ty, x1, y1))
			}
		}
		// Extend open rectangles with the same column span; close the rest.
		var next []image.Rectangle
		for _, nb := range band {
			merged := false
			for i, o := range open {
				if o.Min.X == nb.Min.X && o.Max.X == nb.Max.X && o.Max.Y == ty {
					open[i].Max.Y = y1
					next = append(next, open[i])
					open[i] = image.Rectangle{}
					merged = true
					break
				}
			}
			if !merged {
				next = append(next, nb)
			}
		}
		for _, o := range open {
			if !o.Empty() {
				done = append(done, o)
			}
		}
		open = next
	}
	done = append(done, open...)
	for i, d := range done {
		done[i] = tighten(a, b, d)
	}
	return done
}

func changed(a, b *image.RGBA, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i, j := a.PixOffset(r.Min.X, y), a.PixOffset(r.Max.X, y)
		if !bytes.Equal(a.Pix[i:j], b.Pix[i:j]) {
			return true
		}
	}
	return false
}

// tighten shrinks r to the bounding box of the pixels that differ inside it.
// Unchanged rows are skipped with one comparison each; in a changed row only
// the pixels outside the box found so far are scanned, from both ends.
func tighten(a, b *image.RGBA, r image.Rectangle) image.Rectangle {
	out := image.Rectangle{Min: r.Max, Max: r.Min}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i0, i1 := a.PixOffset(r.Min.X, y), a.PixOffset(r.Max.X, y)
		if bytes.Equal(a.Pix[i0:i1], b.Pix[i0:i1]) {
			continue
		}
		out.Min.Y = min(out.Min.Y, y)
		out.Max.Y = y + 1
		for x := r.Min.X; x < out.Min.X; x++ {
			if pixelDiffers(a, b, x, y) {
				out.Min.X = x
				break
			}
		}
		for x := r.Max.X - 1; x >= out.Max.X; x-- {
			if pixelDiffers(a, b, x, y) {
				out.Max.X = x + 1
				break
			}
		}
	}
	if out.Empty() {
		return r
	}
	return out
}

func pixelDiffers(a, b *image.RGBA, x, y int) bool {
	i := a.PixOffset(x, y)
	return a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] || a.Pix[i+3] != b.Pix[i+3]
}
