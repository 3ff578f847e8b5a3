package display

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/terminald/terminald/screen"
)

// transitions are screen changes the terminal makes, rendered at 240×320.
func transitions(t testing.TB) map[string][2]*image.RGBA {
	t.Helper()
	r, err := screen.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC)
	s := screen.Samples(t0)
	a1 := screen.Screen{Kind: screen.Amount, Title: "Amount", Amount: "0.01 EUR", Status: s[1].Status, Hint: s[1].Hint}
	a2 := a1
	a2.Amount = "0.12 EUR"
	at := func(s screen.Screen, d time.Duration) *image.RGBA { return r.Render(s, 240, 320, t0.Add(d)) }
	return map[string][2]*image.RGBA{
		"amount-typing":  {at(a1, 0), at(a2, 0)},
		"qr-shown":       {at(s[2], 0), at(s[5], 0)},
		"countdown-tick": {at(s[5], 0), at(s[5], time.Second)},
		"paid":           {at(s[5], 0), at(s[6], 0)},
	}
}

// checkCover fails unless every pixel that differs is inside a rectangle and
// every rectangle lies inside the frame.
func checkCover(t *testing.T, name string, a, b *image.RGBA, rs []image.Rectangle) {
	t.Helper()
	w := b.Rect.Dx()
	covered := make([]bool, w*b.Rect.Dy()) // row-major from b.Rect.Min
	for _, r := range rs {
		if r.Empty() || !r.In(b.Rect) {
			t.Fatalf("%s: rectangle %v outside %v or empty", name, r, b.Rect)
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				covered[(y-b.Rect.Min.Y)*w+x-b.Rect.Min.X] = true
			}
		}
	}
	for y := b.Rect.Min.Y; y < b.Rect.Max.Y; y++ {
		for x := b.Rect.Min.X; x < b.Rect.Max.X; x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) && !covered[(y-b.Rect.Min.Y)*w+x-b.Rect.Min.X] {
				t.Fatalf("%s: changed pixel %d,%d not sent", name, x, y)
			}
		}
	}
}

func TestDiffCoversEveryChange(t *testing.T) {
	for name, tr := range transitions(t) {
		checkCover(t, name, tr[0], tr[1], Diff(tr[0], tr[1], 16))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		w, h := 1+rng.IntN(100), 1+rng.IntN(100)
		a := image.NewRGBA(image.Rect(0, 0, w, h))
		b := image.NewRGBA(a.Rect)
		for k := rng.IntN(40); k > 0; k-- { // scattered pixels and blocks
			x, y := rng.IntN(w), rng.IntN(h)
			bw, bh := 1+rng.IntN(20), 1+rng.IntN(20)
			if rng.IntN(2) == 0 {
				bw, bh = 1, 1
			}
			for yy := y; yy < min(y+bh, h); yy++ {
				for xx := x; xx < min(x+bw, w); xx++ {
					b.SetRGBA(xx, yy, color.RGBA{uint8(rng.IntN(256)), 0, 0, 255})
				}
			}
		}
		checkCover(t, "random", a, b, Diff(a, b, 1+rng.IntN(32)))
	}
}

// The bands never cost more than the tile regions, and the screen changes
// cost well under the old 1.35–2.1× of the changed pixels' bytes.
func TestDiffCost(t *testing.T) {
	limit := map[string]float64{"amount-typing": 1.3, "qr-shown": 1.2, "countdown-tick": 1.5, "paid": 1.1}
	for name, tr := range transitions(t) {
		a, b := tr[0], tr[1]
		n := 0
		for i := 0; i < len(a.Pix); i += 4 {
			if a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] || a.Pix[i+3] != b.Pix[i+3] {
				n++
			}
		}
		var d differ
		d.compare(a, b)
		got, tiles := spiCost(Diff(a, b, 16)), spiCost(d.tileRegions(16))
		if got > tiles {
			t.Errorf("%s: %d bytes, more than the tile regions' %d", name, got, tiles)
		}
		if ratio := float64(got) / float64(2*n); ratio > limit[name] {
			t.Errorf("%s: %d bytes for %d changed pixels: %.3f×, want ≤ %.2f×", name, got, n, ratio, limit[name])
		}
	}
}

func TestBandCostJoinsNarrowGaps(t *testing.T) {
	// Columns 0-9 and 12-21 change in a band 1 row high: a 2-pixel gap (4
	// bytes) is cheaper than a second CASET+RAMWR (6 bytes); in a band 2
	// rows high (8 bytes) it is not.
	cols := []uint64{(1<<10 - 1) | (1<<10-1)<<12}
	var one, two []image.Rectangle
	bandCost(cols, 64, 1, &one, 0, 0)
	bandCost(cols, 64, 2, &two, 0, 0)
	if len(one) != 1 || one[0] != image.Rect(0, 0, 22, 1) {
		t.Errorf("1 row: %v, want one rectangle over the gap", one)
	}
	if len(two) != 2 {
		t.Errorf("2 rows: %v, want two rectangles", two)
	}
}

// diffBenchCases are the transitions above and the two of the OK → QR path,
// the amount giving way to "please wait" and "please wait" to the QR.
func diffBenchCases(b *testing.B) map[string][2]*image.RGBA {
	r, err := screen.NewRenderer()
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC)
	s := screen.Samples(t0)
	trs := transitions(b)
	render := func(s screen.Screen) *image.RGBA { return r.Render(s, 240, 320, t0) }
	trs["amount-to-wait"] = [2]*image.RGBA{render(s[1]), render(s[4])}
	trs["wait-to-qr"] = [2]*image.RGBA{render(s[4]), render(s[5])}
	return trs
}

// BenchmarkDiff is the CPU cost of choosing the rectangles per change with
// Diff, which starts with no buffers (diffBenchCases).
func BenchmarkDiff(b *testing.B) {
	for name, tr := range diffBenchCases(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Diff(tr[0], tr[1], 16)
			}
		})
	}
}

// BenchmarkDiffer is BenchmarkDiff as a Screen diffs, frame after frame with
// the buffers of the previous one.
func BenchmarkDiffer(b *testing.B) {
	for name, tr := range diffBenchCases(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var d differ
			for b.Loop() {
				d.diff(tr[0], tr[1], 16)
			}
		})
	}
}

// bandCostBits, the DP's word-parallel cost, agrees with bandCost, which builds the
// rectangles, on random column sets of every density, width and band height.
func TestBandCostBitsMatchesBandCost(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		w := 1 + rng.IntN(320)
		h := 1 + rng.IntN(8)
		words := (w + 63) / 64
		cols := make([]uint64, words)
		density := rng.Float64()
		for x := 0; x < w; x++ {
			if rng.Float64() < density*density {
				cols[x/64] |= 1 << (x % 64)
			}
		}
		want := bandCost(cols, w, h, nil, 0, 0)
		if got := bandCostBits(cols, w, h); got != want {
			t.Fatalf("w=%d h=%d cols=%x: bandCostBits = %d, bandCost = %d", w, h, cols, got, want)
		}
	}
}
