package display

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"image"
	"math/bits"
	"slices"
)

// This file keeps Diff as it was before the changed-pixel mask (commit 0b42663):
// refDiff and its helpers, renamed, compare pixels afresh in each pass. The
// equivalence tests (diffequiv_test.go) hold the new Diff to the same
// rectangles. Do not optimise it: it is the reference.

// refDiff returns rectangles covering every pixel that differs between a and b
// (same bounds), chosen to keep the SPI bytes low: a rectangle costs its
// window commands (CASET and RASET when they change, RAMWR; see spiCost)
// plus 2 bytes (RGB565) per pixel, changed or not. It finds the changed
// regions tile by tile (tile×tile blocks merged into runs and bands, each
// shrunk to its changed pixels), then covers each region with row bands
// whose rectangles share their rows (refBandRects), keeping whichever of the
// two covers costs less. The rectangles come sorted by rows, then columns,
// so that rectangles of one band follow each other and the driver skips
// their RASET. A nil a means everything changed.
func refDiff(a, b *image.RGBA, tile int) []image.Rectangle {
	if a == nil || a.Rect != b.Rect {
		return []image.Rectangle{b.Rect}
	}
	var out []image.Rectangle
	for _, r := range refTileDiff(a, b, tile) {
		if bs := refBandRects(a, b, r); spiCost(bs) < spiCost([]image.Rectangle{r}) {
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

// refTileDiff returns the changed regions: tile×tile blocks that differ, merged
// into runs and bands, each shrunk to the changed pixels inside it.
func refTileDiff(a, b *image.RGBA, tile int) []image.Rectangle {
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
			if !refChanged(a, b, image.Rect(tx, ty, x1, y1)) {
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
		done[i] = refTighten(a, b, d)
	}
	return done
}

func refChanged(a, b *image.RGBA, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i, j := a.PixOffset(r.Min.X, y), a.PixOffset(r.Max.X, y)
		if !bytes.Equal(a.Pix[i:j], b.Pix[i:j]) {
			return true
		}
	}
	return false
}

// refTighten shrinks r to the bounding box of the pixels that differ inside it.
// Unchanged rows are skipped with one comparison each; in a changed row only
// the pixels outside the box found so far are scanned, from both ends.
func refTighten(a, b *image.RGBA, r image.Rectangle) image.Rectangle {
	out := image.Rectangle{Min: r.Max, Max: r.Min}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i0, i1 := a.PixOffset(r.Min.X, y), a.PixOffset(r.Max.X, y)
		if bytes.Equal(a.Pix[i0:i1], b.Pix[i0:i1]) {
			continue
		}
		out.Min.Y = min(out.Min.Y, y)
		out.Max.Y = y + 1
		for x := r.Min.X; x < out.Min.X; x++ {
			if refPixelDiffers(a, b, x, y) {
				out.Min.X = x
				break
			}
		}
		for x := r.Max.X - 1; x >= out.Max.X; x-- {
			if refPixelDiffers(a, b, x, y) {
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

func refPixelDiffers(a, b *image.RGBA, x, y int) bool {
	i := a.PixOffset(x, y)
	return a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] || a.Pix[i+3] != b.Pix[i+3]
}

// refBandRects covers the changed pixels of region r with horizontal bands:
// every rectangle of a band spans the band's rows, so after the first one
// the driver sends only CASET and RAMWR (6 bytes) per rectangle. Within a
// band, the columns that change in any of its rows form the rectangles; a
// gap narrower than a window's cost is sent rather than split. The bands
// are chosen by dynamic programming over the rows to minimise spiCost.
func refBandRects(a, b *image.RGBA, r image.Rectangle) []image.Rectangle {
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 {
		return nil
	}
	words := (w + 63) / 64
	rows := make([]uint64, words*h)
	for y := 0; y < h; y++ {
		row := rows[y*words : (y+1)*words]
		i := a.PixOffset(r.Min.X, r.Min.Y+y)
		pa, pb := a.Pix[i:i+4*w], b.Pix[i:i+4*w]
		if bytes.Equal(pa, pb) {
			continue
		}
		for k := range row { // 64 pixels a word, two per comparison
			x0, x1 := 64*k, min(64*k+64, w)
			qa, qb := pa[4*x0:4*x1], pb[4*x0:4*x1]
			if bytes.Equal(qa, qb) {
				continue
			}
			var m uint64
			j := 0
			for ; j+8 <= len(qa); j += 8 {
				d := binary.LittleEndian.Uint64(qa[j:]) ^ binary.LittleEndian.Uint64(qb[j:])
				if d == 0 {
					continue
				}
				if uint32(d) != 0 {
					m |= 1 << (j / 4)
				}
				if d>>32 != 0 {
					m |= 2 << (j / 4)
				}
			}
			if j < len(qa) && binary.LittleEndian.Uint32(qa[j:]) != binary.LittleEndian.Uint32(qb[j:]) {
				m |= 1 << (j / 4)
			}
			row[k] = m
		}
	}
	// Consecutive rows that change in the same columns (a QR module row,
	// a flat area) are one group: the bands start and end between groups,
	// which keeps the search small.
	var group []int // first row of each group, then h
	for y := 0; y < h; y++ {
		if y == 0 || !slices.Equal(rows[y*words:(y+1)*words], rows[(y-1)*words:y*words]) {
			group = append(group, y)
		}
	}
	group = append(group, h)
	g := len(group) - 1
	const inf = int(^uint(0) >> 1)
	best := make([]int, g+1) // best[j]: cost of groups [0, j)
	from := make([]int, g+1) // first group of the last band of best[j]
	for j := 1; j <= g; j++ {
		best[j] = inf
	}
	or := make([]uint64, words)
	tmp := make([]uint64, 3*words)
	for s := 0; s < g; s++ {
		clear(or)
		for e := s; e < g && (e == s || group[e+1]-group[s] <= maxBand); e++ {
			for k, v := range rows[group[e]*words : (group[e]+1)*words] {
				or[k] |= v
			}
			h := group[e+1] - group[s]
			if best[e+1] != inf {
				// Every changed column's pixels are sent: a band that cannot
				// beat best[e+1] even so is not costed.
				pop := 0
				for _, v := range or {
					pop += bits.OnesCount64(v)
				}
				if best[s]+setCost+2*h*pop >= best[e+1] {
					continue
				}
			}
			c := best[s] + refBandCostBits(or, w, h, tmp)
			if c < best[e+1] {
				best[e+1], from[e+1] = c, s
			}
		}
	}
	var starts []int
	for j := g; j > 0; j = from[j] {
		starts = append(starts, from[j])
	}
	var out []image.Rectangle
	for i := len(starts) - 1; i >= 0; i-- {
		s, e := starts[i], g
		if i > 0 {
			e = starts[i-1]
		}
		clear(or)
		for j := s; j < e; j++ {
			for k, v := range rows[group[j]*words : (group[j]+1)*words] {
				or[k] |= v
			}
		}
		bandCost(or, w, group[e]-group[s], &out, r.Min.X, r.Min.Y+group[s])
	}
	return out
}

// refBandCostBits is bandCost(cols, w, h, nil, 0, 0) computed word by word: the
// gaps bandCost sends rather than split (2·gap·h ≤ window: at most 3 columns
// for h = 1, 1 for h = 2 or 3, none above) are filled by shifting the column
// set against itself, then the band costs RASET, a window per run of the
// filled set and 2·h bytes per filled column. tmp holds 3·len(cols) words.
func refBandCostBits(cols []uint64, w, h int, tmp []uint64) int {
	const window = setCost + ramwrCost
	n := len(cols)
	filled, up, down := tmp[:n], tmp[n:2*n], tmp[2*n:3*n]
	copy(filled, cols)
	maxGap := window / (2 * h) // longest gap sent rather than split
	// A column in a gap of length ≤ maxGap has a set column a to its left and b to
	// its right with a + b ≤ maxGap + 1.
	for a := 1; a <= maxGap; a++ {
		refShiftUp(up, cols, a)
		for b := 1; a+b <= maxGap+1; b++ {
			refShiftDown(down, cols, b)
			for k := range filled {
				filled[k] |= up[k] & down[k]
			}
		}
	}
	pop, runs := 0, 0
	var carry uint64 // bit 63 of the previous word
	for _, v := range filled {
		pop += bits.OnesCount64(v)
		runs += bits.OnesCount64(v &^ (v<<1 | carry))
		carry = v >> 63
	}
	if pop == 0 {
		return 0
	}
	return setCost + window*runs + 2*h*pop
}

// refShiftUp sets dst to src with every bit moved from x to x+s (0 < s < 64).
func refShiftUp(dst, src []uint64, s int) {
	var carry uint64
	for k, v := range src {
		dst[k] = v<<s | carry
		carry = v >> (64 - s)
	}
}

// refShiftDown sets dst to src with every bit moved from x to x-s (0 < s < 64).
func refShiftDown(dst, src []uint64, s int) {
	for k := range src {
		v := src[k] >> s
		if k+1 < len(src) {
			v |= src[k+1] << (64 - s)
		}
		dst[k] = v
	}
}
