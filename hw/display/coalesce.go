package display

import "image"

// Bus time of a window, counted in SPI transfers as the mipidbi driver makes them
// (the D/C pin changes between a command byte and its parameters, so each is a
// transfer of its own): CASET or RASET is two (command, parameters), RAMWR one, and
// the pixels at least one more.
const (
	setTransfers   = 2
	ramwrTransfers = 1 + 1 // RAMWR, then the pixel data
)

// windowCost is the cost in bytes of wire time of sending r right after prev (nil:
// first) as the driver does: CASET and RASET when they differ from prev's, RAMWR, the
// pixels; every transfer adds perTx bytes. Pixel data longer than a transfer's limit
// (mipidbi.Config.MaxTx) is split into more transfers, which this leaves out: one
// transfer more per 4 KB moves the cost by under 2 % at the perTx the daemon uses.
func windowCost(prev *image.Rectangle, r image.Rectangle, perTx int) int {
	n := ramwrCost + 2*r.Dx()*r.Dy() + ramwrTransfers*perTx
	if prev == nil || r.Min.X != prev.Min.X || r.Max.X != prev.Max.X {
		n += setCost + setTransfers*perTx
	}
	if prev == nil || r.Min.Y != prev.Min.Y || r.Max.Y != prev.Max.Y {
		n += setCost + setTransfers*perTx
	}
	return n
}

// coalesce joins neighbouring rectangles of rects (in the order they are sent) where
// that costs less bus time than sending them apart, when every SPI transfer costs
// perTx bytes of wire time beyond its bytes (on a Linux board each transfer is an
// spidev ioctl, and back-to-back transfers leave gaps on the bus of 10–20 µs,
// raspberrypi/linux#4567: 50–100 bytes at 40 MHz). Diff minimises bytes with windows
// that cost a few bytes each; with per-transfer gaps the QR screen's hundreds of
// small windows take longer than sending more bytes in fewer of them.
//
// Each rectangle is joined to the one before it (already joined) when that lowers the
// cost, so the result never costs more than rects; it covers every pixel of rects,
// keeps their order by first row, and may send pixels that did not change (taken, as
// the others, from the new frame). perTx ≤ 0 returns rects as they are. It works in
// place.
func coalesce(rects []image.Rectangle, perTx int) []image.Rectangle {
	if perTx <= 0 || len(rects) < 2 {
		return rects
	}
	out := rects[:1]
	for i := 1; i < len(rects); i++ {
		r := rects[i]
		last := len(out) - 1
		var before *image.Rectangle
		if last > 0 {
			before = &out[last-1]
		}
		a := out[last]
		u := a.Union(r)
		// A rectangle's cost depends on it and the one sent before it (whether its
		// CASET and RASET can be skipped): joining a and r changes the costs of a, r
		// and the next one only, so a join that lowers them lowers the whole.
		apart := windowCost(before, a, perTx) + windowCost(&a, r, perTx)
		joined := windowCost(before, u, perTx)
		if i+1 < len(rects) {
			apart += windowCost(&r, rects[i+1], perTx)
			joined += windowCost(&u, rects[i+1], perTx)
		}
		if joined < apart {
			out[last] = u
			continue
		}
		out = append(out, r)
	}
	return out
}

// busCost is the cost in bytes of wire time of sending rects in this order when
// every SPI transfer costs perTx bytes beyond its bytes: spiCost plus the transfers.
func busCost(rects []image.Rectangle, perTx int) int {
	n := 0
	for i, r := range rects {
		var prev *image.Rectangle
		if i > 0 {
			prev = &rects[i-1]
		}
		n += windowCost(prev, r, perTx)
	}
	return n
}
