package display

import (
	"bytes"
	"encoding/binary"
	"image"
	"math/bits"
	"slices"
)

// Diff returns rectangles covering every pixel that differs between a and b
// (same bounds), chosen to keep the SPI bytes low: a rectangle costs its
// window commands (CASET and RASET when they change, RAMWR; see spiCost)
// plus 2 bytes (RGB565) per pixel, changed or not.
//
// The frames are compared once, into a mask of the changed pixels (one bit a
// pixel, 64 to a word; a row equal in both frames costs one bytes.Equal, a
// changed row repeating the row above in both frames copies its mask, any
// other costs one 64-bit XOR per two pixels); everything after reads only the
// mask. The changed regions are found tile by tile (tile×tile blocks with a
// set bit, merged into runs and bands, each shrunk to the bounding box of its
// bits); each region is then covered with row bands whose rectangles share
// their rows (bandRects), keeping whichever of the two covers costs less. The
// rectangles come sorted by rows, then columns, so that rectangles of one
// band follow each other and the driver skips their RASET. A nil a means
// everything changed. Diff allocates its buffers on each call; a Screen keeps
// them from one frame to the next (differ).
func Diff(a, b *image.RGBA, tile int) []image.Rectangle {
	var d differ
	return d.diff(a, b, tile)
}

// differ computes Diff with buffers kept from one call to the next, so that a
// Screen diffing frame after frame allocates nothing once they have grown.
// The zero value is ready to use; it is not safe for concurrent use.
type differ struct {
	// mask holds the changed pixels of the last frames compared: h rows of
	// words words, pixel x of row y (from the frames' Min) at bit x%64 of
	// mask[y*words+x/64]; bits past the width are 0.
	mask    []uint64
	words   int
	w, h    int
	or      []uint64          // words: the OR of a tile band's rows
	open    []image.Rectangle // tile regions still growing down
	next    []image.Rectangle // the open regions of the next tile band
	run     []image.Rectangle // the runs of changed tiles of one tile band
	regions []image.Rectangle // the tile regions, tightened (mask coordinates)
	band    bandScratch       // bandRects' buffers
	out     []image.Rectangle // the result
	keys    []uint64          // the result's sort keys
}

// diff is Diff. The slice returned is d's: it is overwritten by the next call.
func (d *differ) diff(a, b *image.RGBA, tile int) []image.Rectangle {
	d.out = d.out[:0]
	if a == nil || a.Rect != b.Rect {
		return append(d.out, b.Rect)
	}
	if !d.compare(a, b) {
		return d.out
	}
	for _, r := range d.tileRegions(tile) {
		// The region's bands go straight into the result; the region itself
		// replaces them when it costs no more.
		n := len(d.out)
		d.out = d.bandRects(r, d.out)
		if spiCost(d.out[n:]) >= spiCost([]image.Rectangle{r}) {
			d.out = append(d.out[:n], r)
		}
	}
	d.sortOut()
	for i := range d.out {
		d.out[i] = d.out[i].Add(b.Rect.Min)
	}
	return d.out
}

// compare fills d.mask with the pixels that differ between a and b (equal
// bounds) and reports whether any does. Each image is read at its own
// stride. A row equal in both frames costs one bytes.Equal; a changed row
// that repeats the row above in both frames (a QR module, a flat area)
// repeats its mask; any other is compared pixel by pixel (maskRow).
func (d *differ) compare(a, b *image.RGBA) bool {
	d.w, d.h = b.Rect.Dx(), b.Rect.Dy()
	d.words = (d.w + 63) / 64
	d.mask = grow(d.mask, d.words*d.h)
	changed := false
	var prevA, prevB []byte
	for y := 0; y < d.h; y++ {
		row := d.mask[y*d.words : (y+1)*d.words]
		i, j := a.PixOffset(a.Rect.Min.X, a.Rect.Min.Y+y), b.PixOffset(b.Rect.Min.X, b.Rect.Min.Y+y)
		pa, pb := a.Pix[i:i+4*d.w], b.Pix[j:j+4*d.w]
		switch {
		case bytes.Equal(pa, pb):
			clear(row)
		case y > 0 && bytes.Equal(pa, prevA) && bytes.Equal(pb, prevB):
			copy(row, d.mask[(y-1)*d.words:y*d.words])
			changed = true
		default:
			maskRow(row, pa, pb)
			changed = true
		}
		prevA, prevB = pa, pb
	}
	return changed
}

// maskRow sets row (one word per 64 pixels) to the pixels that differ
// between the RGBA rows pa and pb (4 bytes a pixel, equal lengths).
func maskRow(row []uint64, pa, pb []byte) {
	pb = pb[:len(pa)]
	for k := range row {
		x0 := 256 * k // bytes of pixels 64k to 64k+63
		if x0+256 > len(pa) {
			row[k] = maskTail(pa[x0:], pb[x0:])
			continue
		}
		qa, qb := (*[256]byte)(pa[x0:x0+256]), (*[256]byte)(pb[x0:x0+256])
		if *qa == *qb {
			row[k] = 0
			continue
		}
		row[k] = mask16((*[64]byte)(qa[0:64]), (*[64]byte)(qb[0:64])) |
			mask16((*[64]byte)(qa[64:128]), (*[64]byte)(qb[64:128]))<<16 |
			mask16((*[64]byte)(qa[128:192]), (*[64]byte)(qb[128:192]))<<32 |
			mask16((*[64]byte)(qa[192:256]), (*[64]byte)(qb[192:256]))<<48
	}
}

// maskTail is the mask of the last, partial word of a row: fewer than 64
// pixels in qa and qb, 16 at a time, then one by one.
func maskTail(qa, qb []byte) uint64 {
	qb = qb[:len(qa)]
	var m uint64
	j := 0
	for ; j+64 <= len(qa); j += 64 {
		m |= mask16((*[64]byte)(qa[j:j+64]), (*[64]byte)(qb[j:j+64])) << (j / 4)
	}
	for ; j+4 <= len(qa); j += 4 {
		if binary.LittleEndian.Uint32(qa[j:]) != binary.LittleEndian.Uint32(qb[j:]) {
			m |= 1 << (j / 4)
		}
	}
	return m
}

// mask16 returns the pixels that differ between the 16 RGBA pixels of a and
// b: bit i for pixel i. Eight 64-bit XORs cover two pixels each; lanes turns
// each XOR into its pixels' bits.
func mask16(a, b *[64]byte) uint64 {
	le := binary.LittleEndian
	u := lanes(le.Uint64(a[0:])^le.Uint64(b[0:]))>>31 |
		lanes(le.Uint64(a[8:])^le.Uint64(b[8:]))>>29 |
		lanes(le.Uint64(a[16:])^le.Uint64(b[16:]))>>27 |
		lanes(le.Uint64(a[24:])^le.Uint64(b[24:]))>>25 |
		lanes(le.Uint64(a[32:])^le.Uint64(b[32:]))>>23 |
		lanes(le.Uint64(a[40:])^le.Uint64(b[40:]))>>21 |
		lanes(le.Uint64(a[48:])^le.Uint64(b[48:]))>>19 |
		lanes(le.Uint64(a[56:])^le.Uint64(b[56:]))>>17
	// Pixel 2i is at bit 2i of u, pixel 2i+1 at bit 32+2i.
	return (u | u>>31) & 0xffff
}

// lanes returns x with bit 31 set when its low 32 bits are not 0, bit 63 when
// its high 32 bits are not 0, and every other bit clear: adding 2³¹-1 to the
// low 31 bits of a lane carries into its top bit exactly when one is set.
func lanes(x uint64) uint64 {
	const low31 = 0x7fffffff_7fffffff
	return ((x & low31) + low31 | x) & 0x80000000_80000000
}

// tileRegions returns the changed regions in mask coordinates: tile×tile
// blocks (tile ≤ 0 means 16) with a changed pixel, merged into runs along a
// tile band and into bands of runs with the same columns down, each shrunk to
// the bounding box of its changed pixels. The slice is d's.
func (d *differ) tileRegions(tile int) []image.Rectangle {
	if tile <= 0 {
		tile = 16
	}
	d.or = grow(d.or, d.words)
	d.regions, d.open = d.regions[:0], d.open[:0]
	for ty := 0; ty < d.h; ty += tile {
		y1 := min(ty+tile, d.h)
		clear(d.or)
		for y := ty; y < y1; y++ {
			for k, v := range d.mask[y*d.words : (y+1)*d.words] {
				d.or[k] |= v
			}
		}
		d.run = d.run[:0]
		for tx := 0; tx < d.w; tx += tile {
			x1 := min(tx+tile, d.w)
			if nextSet(d.or, tx, x1) == x1 {
				continue
			}
			if n := len(d.run); n > 0 && d.run[n-1].Max.X == tx {
				d.run[n-1].Max.X = x1
			} else {
				d.run = append(d.run, image.Rect(tx, ty, x1, y1))
			}
		}
		// Extend open regions with the same column span; close the rest.
		d.next = d.next[:0]
		for _, nb := range d.run {
			merged := false
			for i, o := range d.open {
				if o.Min.X == nb.Min.X && o.Max.X == nb.Max.X && o.Max.Y == ty {
					d.open[i].Max.Y = y1
					d.next = append(d.next, d.open[i])
					d.open[i] = image.Rectangle{}
					merged = true
					break
				}
			}
			if !merged {
				d.next = append(d.next, nb)
			}
		}
		for _, o := range d.open {
			if !o.Empty() {
				d.regions = append(d.regions, o)
			}
		}
		d.open, d.next = d.next, d.open
	}
	d.regions = append(d.regions, d.open...)
	for i, r := range d.regions {
		d.regions[i] = d.tighten(r)
	}
	return d.regions
}

// tighten shrinks r (mask coordinates) to the bounding box of the changed
// pixels inside it; r itself when none is.
func (d *differ) tighten(r image.Rectangle) image.Rectangle {
	out := image.Rectangle{Min: r.Max, Max: r.Min}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := d.mask[y*d.words : (y+1)*d.words]
		x := nextSet(row, r.Min.X, r.Max.X)
		if x == r.Max.X {
			continue
		}
		out.Min.Y = min(out.Min.Y, y)
		out.Max.Y = y + 1
		out.Min.X = min(out.Min.X, x)
		out.Max.X = max(out.Max.X, lastSet(row, r.Min.X, r.Max.X)+1)
	}
	if out.Empty() {
		return r
	}
	return out
}

// sortOut sorts d.out (mask coordinates) by first row, last row, then first
// column, as one sort of packed integer keys (16 bits a coordinate) when the
// frame allows.
func (d *differ) sortOut() {
	if d.w >= 1<<16 || d.h >= 1<<16 {
		slices.SortFunc(d.out, compareRects)
		return
	}
	d.keys = slices.Grow(d.keys[:0], len(d.out))
	for _, r := range d.out {
		d.keys = append(d.keys, uint64(r.Min.Y)<<48|uint64(r.Max.Y)<<32|uint64(r.Min.X)<<16|uint64(r.Max.X))
	}
	slices.Sort(d.keys)
	for i, k := range d.keys {
		d.out[i] = image.Rect(int(k>>16&0xffff), int(k>>48), int(k&0xffff), int(k>>32&0xffff))
	}
}

// compareRects orders rectangles by first row, last row, then first column.
func compareRects(p, q image.Rectangle) int {
	switch {
	case p.Min.Y != q.Min.Y:
		return p.Min.Y - q.Min.Y
	case p.Max.Y != q.Max.Y:
		return p.Max.Y - q.Max.Y
	}
	return p.Min.X - q.Min.X
}

// grow returns s resized to n words (contents unspecified), reusing its array
// when large enough.
func grow(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n)
	}
	return s[:n]
}

// lastSet returns the last set bit in [x0, x1) of bs, or x0-1 when none is.
func lastSet(bs []uint64, x0, x1 int) int {
	x := x1 - 1
	for x >= x0 {
		k := x / 64
		v := bs[k] << (63 - x%64) // bit x at bit 63
		if v != 0 {
			return max(x-bits.LeadingZeros64(v), x0-1)
		}
		x = k*64 - 1
	}
	return x0 - 1
}
