package display

import (
	"bytes"
	"encoding/binary"
	"image"
	"math/bits"
	"slices"
)

// Window costs as the mipidbi driver sends them: CASET and RASET are one
// command byte and four parameter bytes each and are skipped when equal to
// the last ones sent; RAMWR is one byte.
const (
	setCost   = 1 + 4
	ramwrCost = 1
)

// spiCost is the SPI bytes the driver sends for rects in this order: pixel
// data (2 bytes each, RGB565), RAMWR per rectangle, CASET and RASET when
// they differ from the previous rectangle's.
func spiCost(rects []image.Rectangle) int {
	n := 0
	var prev image.Rectangle
	for i, r := range rects {
		n += ramwrCost + 2*r.Dx()*r.Dy()
		if i == 0 || r.Min.X != prev.Min.X || r.Max.X != prev.Max.X {
			n += setCost
		}
		if i == 0 || r.Min.Y != prev.Min.Y || r.Max.Y != prev.Max.Y {
			n += setCost
		}
		prev = r
	}
	return n
}

// maxBand is the tallest band bandRects considers; a taller one saves at
// most one RASET per 64 rows.
const maxBand = 32

// bandRects covers the changed pixels of region r with horizontal bands:
// every rectangle of a band spans the band's rows, so after the first one
// the driver sends only CASET and RAMWR (6 bytes) per rectangle. Within a
// band, the columns that change in any of its rows form the rectangles; a
// gap narrower than a window's cost is sent rather than split. The bands
// are chosen by dynamic programming over the rows to minimise spiCost.
func bandRects(a, b *image.RGBA, r image.Rectangle) []image.Rectangle {
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
			c := best[s] + bandCostBits(or, w, h, tmp)
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

// bandCost returns the SPI bytes of one band h rows high whose changed
// columns are the set bits of cols (w wide): RASET once, then CASET, RAMWR
// and pixels per column run; runs closer than a window's cost are joined.
// With out non-nil it appends the band's rectangles, left to right, placed
// at x0, y0.
func bandCost(cols []uint64, w, h int, out *[]image.Rectangle, x0, y0 int) int {
	const window = setCost + ramwrCost // CASET + RAMWR within a band
	x := nextSet(cols, 0, w)
	if x >= w {
		return 0
	}
	n := setCost // RASET
	start, end := x, nextClear(cols, x, w)
	for {
		next := nextSet(cols, end, w)
		if next < w && 2*(next-end)*h <= window {
			end = nextClear(cols, next, w) // send the gap rather than a new window
			continue
		}
		n += window + 2*(end-start)*h
		if out != nil {
			*out = append(*out, image.Rect(x0+start, y0, x0+end, y0+h))
		}
		if next >= w {
			return n
		}
		start, end = next, nextClear(cols, next, w)
	}
}

// bandCostBits is bandCost(cols, w, h, nil, 0, 0) computed word by word: the
// gaps bandCost sends rather than split (2·gap·h ≤ window: at most 3 columns
// for h = 1, 1 for h = 2 or 3, none above) are filled by shifting the column
// set against itself, then the band costs RASET, a window per run of the
// filled set and 2·h bytes per filled column. tmp holds 3·len(cols) words.
func bandCostBits(cols []uint64, w, h int, tmp []uint64) int {
	const window = setCost + ramwrCost
	n := len(cols)
	filled, up, down := tmp[:n], tmp[n:2*n], tmp[2*n:3*n]
	copy(filled, cols)
	maxGap := window / (2 * h) // longest gap sent rather than split
	// A column in a gap of length ≤ maxGap has a set column a to its left and b to
	// its right with a + b ≤ maxGap + 1.
	for a := 1; a <= maxGap; a++ {
		shiftUp(up, cols, a)
		for b := 1; a+b <= maxGap+1; b++ {
			shiftDown(down, cols, b)
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

// shiftUp sets dst to src with every bit moved from x to x+s (0 < s < 64).
func shiftUp(dst, src []uint64, s int) {
	var carry uint64
	for k, v := range src {
		dst[k] = v<<s | carry
		carry = v >> (64 - s)
	}
}

// shiftDown sets dst to src with every bit moved from x to x-s (0 < s < 64).
func shiftDown(dst, src []uint64, s int) {
	for k := range src {
		v := src[k] >> s
		if k+1 < len(src) {
			v |= src[k+1] << (64 - s)
		}
		dst[k] = v
	}
}

// nextSet returns the first set bit at or after x, or w.
func nextSet(bs []uint64, x, w int) int {
	for x < w {
		k := x / 64
		v := bs[k] >> (x % 64)
		if v != 0 {
			return min(x+bits.TrailingZeros64(v), w)
		}
		x = (k + 1) * 64
	}
	return w
}

// nextClear returns the first clear bit at or after x, or w.
func nextClear(bs []uint64, x, w int) int {
	for x < w {
		k := x / 64
		v := ^bs[k] >> (x % 64)
		if v != 0 {
			return min(x+bits.TrailingZeros64(v), w)
		}
		x = (k + 1) * 64
	}
	return w
}
