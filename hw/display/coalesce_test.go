package display

import (
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
	"testing"
)

// coalesce keeps every changed pixel covered, never costs more bus time than the
// cover it joins, and changes nothing when transfers cost nothing: over the screen
// changes and random frames, at transfer costs from none to 300 bytes.
func TestCoalesceCoversAndSavesBusTime(t *testing.T) {
	type pair struct {
		name string
		a, b *image.RGBA
	}
	var pairs []pair
	for name, tr := range transitions(t) {
		pairs = append(pairs, pair{name, tr[0], tr[1]})
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		w, h := 1+rng.IntN(120), 1+rng.IntN(120)
		a := image.NewRGBA(image.Rect(0, 0, w, h))
		b := image.NewRGBA(a.Rect)
		for k := rng.IntN(60); k > 0; k-- {
			x, y, bw, bh := rng.IntN(w), rng.IntN(h), 1+rng.IntN(8), 1+rng.IntN(8)
			for yy := y; yy < min(y+bh, h); yy++ {
				for xx := x; xx < min(x+bw, w); xx++ {
					b.SetRGBA(xx, yy, color.RGBA{uint8(1 + rng.IntN(255)), 0, 0, 255})
				}
			}
		}
		pairs = append(pairs, pair{"random", a, b})
	}
	for _, p := range pairs {
		rs := Diff(p.a, p.b, 16)
		if got := coalesce(slices.Clone(rs), 0); !slices.Equal(got, rs) {
			t.Fatalf("%s: with free transfers coalesce changed the cover", p.name)
		}
		for _, perTx := range []int{1, 25, 75, 300} {
			got := coalesce(slices.Clone(rs), perTx)
			checkCover(t, p.name, p.a, p.b, got)
			if c, was := busCost(got, perTx), busCost(rs, perTx); c > was {
				t.Fatalf("%s, %d bytes a transfer: %d bytes of bus time, more than Diff's %d", p.name, perTx, c, was)
			}
		}
	}
}

// What a board notices: at the daemon's default (15 µs a transfer, 75 bytes at 40 MHz)
// the QR coming up and the result replacing it take a fraction of the transfers and
// well under the bus time of Diff's byte-minimal cover.
func TestCoalesceCutsTransfers(t *testing.T) {
	const perTx = 75
	trs := transitions(t)
	for _, name := range []string{"qr-shown", "paid", "amount-typing"} {
		tr := trs[name]
		rs := Diff(tr[0], tr[1], 16)
		got := coalesce(slices.Clone(rs), perTx)
		tx := func(rs []image.Rectangle) int { return busCost(rs, 1) - spiCost(rs) }
		if tx(got)*4 > tx(rs) {
			t.Errorf("%s: %d transfers, want at most a quarter of Diff's %d", name, tx(got), tx(rs))
		}
		if c, was := busCost(got, perTx), busCost(rs, perTx); c*3 > was*2 {
			t.Errorf("%s: %d bytes of bus time, want at most two thirds of Diff's %d", name, c, was)
		}
	}
}
