package display

import (
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
	window    = setCost + ramwrCost // CASET and RAMWR of a rectangle within a band
)

// spiCost is the SPI bytes the driver sends for rects in this order: pixel
// data (2 bytes each, RGB565), RAMWR per rectangle, CASET and RASET when
// they differ from the previous rectangle's (busCost with transfers free).
func spiCost(rects []image.Rectangle) int { return busCost(rects, 0) }

// maxBand is the tallest band bandRects considers; a taller one saves at
// most one RASET per 64 rows.
const maxBand = 32

// bandScratch holds bandRects' buffers between calls.
type bandScratch struct {
	rows   []uint64 // the columns of each group, words a group, from the region's Min.X
	group  []int    // first row of each group of equal rows, then the height
	best   []int    // best[j]: least cost of groups [0, j)
	from   []int    // from[j]: first group of the last band of best[j]
	starts []int    // the first groups of the bands chosen, last band first
	or     []uint64 // a band's columns
}

// bandRects appends to out, and returns, a cover of the changed pixels of
// region r (mask coordinates) with horizontal bands: every rectangle of a band
// spans the band's rows, so after the first one the driver sends only CASET
// and RAMWR (6 bytes) per rectangle. Within a band, the columns that change
// in any of its rows form the rectangles; a gap narrower than a window's cost
// is sent rather than split. The bands are chosen by dynamic programming over
// the rows to minimise spiCost. The rectangles are in mask coordinates,
// sorted by rows, then columns.
func (d *differ) bandRects(r image.Rectangle, out []image.Rectangle) []image.Rectangle {
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 {
		return out
	}
	bs := &d.band
	words := (w + 63) / 64
	// Consecutive rows that change in the same columns (a QR module row,
	// a flat area) are one group: the bands start and end between groups,
	// which keeps the search small. rows holds each group's columns.
	bs.rows = grow(bs.rows, words*(h+1))
	bs.group = bs.group[:0]
	for y := 0; y < h; y++ {
		g := len(bs.group)
		row := bs.rows[g*words : (g+1)*words]
		d.maskBits(row, r.Min.Y+y, r.Min.X, w)
		if g == 0 || !slices.Equal(row, bs.rows[(g-1)*words:g*words]) {
			bs.group = append(bs.group, y)
		}
	}
	bs.group = append(bs.group, h)
	group, rows := bs.group, bs.rows
	g := len(group) - 1
	const inf = int(^uint(0) >> 1)
	bs.best, bs.from = growInts(bs.best, g+1), growInts(bs.from, g+1)
	best, from := bs.best, bs.from
	best[0] = 0
	for j := 1; j <= g; j++ {
		best[j] = inf
	}
	bs.or = grow(bs.or, words)
	or := bs.or
	for s := 0; s < g; s++ {
		clear(or)
		for e := s; e < g && (e == s || group[e+1]-group[s] <= maxBand); e++ {
			h := group[e+1] - group[s]
			pop, runs := orRuns(or, rows[e*words:(e+1)*words])
			if best[e+1] != inf && best[s]+setCost+2*h*pop >= best[e+1] {
				// Every changed column's pixels are sent: a band that cannot
				// beat best[e+1] even so is not costed.
				continue
			}
			var c int
			switch {
			case pop == 0:
				c = best[s]
			case 2*h > window:
				// No gap is sent rather than split: the band's cost is
				// bandCostBits' without the filling.
				c = best[s] + setCost + window*runs + 2*h*pop
			case best[s]+setCost+window+2*h*pop >= best[e+1]:
				continue // filling gaps only adds pixels; one window at least
			default:
				c = best[s] + bandCostBits(or, w, h)
			}
			if c < best[e+1] {
				best[e+1], from[e+1] = c, s
			}
		}
	}
	bs.starts = bs.starts[:0]
	for j := g; j > 0; j = from[j] {
		bs.starts = append(bs.starts, from[j])
	}
	for i := len(bs.starts) - 1; i >= 0; i-- {
		s, e := bs.starts[i], g
		if i > 0 {
			e = bs.starts[i-1]
		}
		clear(or)
		for j := s; j < e; j++ {
			for k, v := range rows[j*words : (j+1)*words] {
				or[k] |= v
			}
		}
		bandCost(or, w, group[e]-group[s], &out, r.Min.X, r.Min.Y+group[s])
	}
	return out
}

// maskBits sets dst (⌈w/64⌉ words) to the w mask bits of row y from column x:
// bit i of dst is column x+i.
func (d *differ) maskBits(dst []uint64, y, x, w int) {
	row := d.mask[y*d.words : (y+1)*d.words]
	k0, s := x/64, uint(x%64)
	for k := range dst {
		v := row[k0+k] >> s
		if s > 0 && k0+k+1 < len(row) {
			v |= row[k0+k+1] << (64 - s)
		}
		dst[k] = v
	}
	if w%64 != 0 {
		dst[len(dst)-1] &= 1<<(w%64) - 1
	}
}

// orRuns ORs row into or (equal lengths) and returns the set bits of the
// result and its runs of consecutive set bits.
func orRuns(or, row []uint64) (pop, runs int) {
	row = row[:len(or)]
	var carry uint64 // bit 63 of the previous word
	for k, v := range row {
		v |= or[k]
		or[k] = v
		pop += bits.OnesCount64(v)
		runs += bits.OnesCount64(v &^ (v<<1 | carry))
		carry = v >> 63
	}
	return pop, runs
}

// growInts returns s resized to n (contents unspecified), reusing its array
// when large enough.
func growInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}

// bandCost returns the SPI bytes of one band h rows high whose changed
// columns are the set bits of cols (w wide): RASET once, then CASET, RAMWR
// and pixels per column run; runs closer than a window's cost are joined.
// With out non-nil it appends the band's rectangles, left to right, placed
// at x0, y0.
func bandCost(cols []uint64, w, h int, out *[]image.Rectangle, x0, y0 int) int {
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
// for h = 1, 1 for h = 2 or 3, none above) are filled by shifting each word of
// the column set against itself and its neighbours, then the band costs
// RASET, a window per run of the filled set and 2·h bytes per filled column.
func bandCostBits(cols []uint64, w, h int) int {
	maxGap := window / (2 * h) // longest gap sent rather than split, < 64
	pop, runs := 0, 0
	var prev, carry uint64 // the previous word of cols; bit 63 of the previous filled word
	for k, v := range cols {
		var next uint64
		if k+1 < len(cols) {
			next = cols[k+1]
		}
		// A column in a gap of length ≤ maxGap has a set column a to its left
		// and b to its right with a + b ≤ maxGap + 1.
		f := v
		for a := 1; a <= maxGap; a++ {
			up := v<<a | prev>>(64-a) // bit x: column x-a
			var down uint64           // bit x: any column x+b, b ≤ maxGap+1-a
			for b := 1; a+b <= maxGap+1; b++ {
				down |= v>>b | next<<(64-b)
			}
			f |= up & down
		}
		pop += bits.OnesCount64(f)
		runs += bits.OnesCount64(f &^ (f<<1 | carry))
		prev, carry = v, f>>63
	}
	if pop == 0 {
		return 0
	}
	return setCost + window*runs + 2*h*pop
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
