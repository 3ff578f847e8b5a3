package display

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/terminald/terminald/screen"
)

// diffCase is one pair of frames Diff is run on, with the tile size.
type diffCase struct {
	name string
	a, b *image.RGBA
	tile int
}

// screenCases are the frame changes the terminal makes: every sample screen
// giving way to every other at each size the layouts are tuned for, the
// countdown ticks (whole frames, and the countdown region alone as Screen's
// showClock diffs it: sub-images off the origin), the QR of a new payment
// replacing "please wait" and the transitions of diff_test.go.
func screenCases(t testing.TB) []diffCase {
	t.Helper()
	r, err := screen.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC)
	s := screen.Samples(t0)
	var cs []diffCase
	for name, tr := range transitions(t) {
		cs = append(cs, diffCase{name, tr[0], tr[1], 16})
	}
	newQR := s[5]
	newQR.QR = "https://pay.example/T1-000042-abcdef"
	sizes, few := screen.Sizes, testing.Short() || raceEnabled
	if few { // one size, and each screen followed by the next only
		sizes = sizes[:1]
	}
	for _, sz := range sizes {
		w, h := sz[0], sz[1]
		frames := make([]*image.RGBA, len(s))
		for i := range s {
			frames[i] = r.Render(s[i], w, h, t0)
		}
		for i := range frames {
			for j := range frames {
				if i != j && (!few || j == (i+1)%len(frames)) {
					cs = append(cs, diffCase{fmt.Sprintf("%dx%d-%s-to-%s", w, h, s[i].Kind, s[j].Kind), frames[i], frames[j], 16})
				}
			}
		}
		cs = append(cs, diffCase{fmt.Sprintf("%dx%d-wait-to-new-qr", w, h), frames[4], r.Render(newQR, w, h, t0), 16})
		for _, k := range []int{5, 10} { // the screens with a countdown
			for _, tick := range [][2]time.Duration{{0, time.Second}, {59 * time.Second, 60 * time.Second}, {89 * time.Second, 90 * time.Second}} {
				was, now := t0.Add(tick[0]), t0.Add(tick[1])
				a, b := r.Render(s[k], w, h, was), r.Render(s[k], w, h, now)
				name := fmt.Sprintf("%dx%d-%s-tick-%v", w, h, s[k].Kind, tick[1])
				for _, tile := range []int{16, 8, 1, 0, 100} {
					cs = append(cs, diffCase{fmt.Sprintf("%s-tile%d", name, tile), a, b, tile})
				}
				if region, ok := r.ClockRegion(s[k], w, h, was, now); ok && !region.Empty() {
					cs = append(cs, diffCase{name + "-region", a.SubImage(region).(*image.RGBA), b.SubImage(region).(*image.RGBA), 16})
				}
			}
		}
	}
	return cs
}

// checkSameAsReference fails unless Diff returns exactly the rectangles of
// refDiff (the algorithm before the changed-pixel mask), in the same order,
// and they cover every change.
func checkSameAsReference(t *testing.T, c diffCase) {
	t.Helper()
	want := refDiff(c.a, c.b, c.tile)
	got := Diff(c.a, c.b, c.tile)
	if !slices.Equal(got, want) {
		t.Fatalf("%s (tile %d): Diff = %v (%d SPI bytes), reference %v (%d SPI bytes)", c.name, c.tile, got, spiCost(got), want, spiCost(want))
	}
	if c.a != nil && c.a.Rect == c.b.Rect {
		checkCover(t, c.name, c.a, c.b, got)
	}
}

func TestDiffSameAsReferenceOnScreens(t *testing.T) {
	for _, c := range screenCases(t) {
		checkSameAsReference(t, c)
	}
}

// randomFrames returns two w×h frames at origin (ox, oy), each a sub-image of
// a larger one (so the stride is wider than a row), that differ in scattered
// pixels, single bytes, blocks, rows and QR-like module grids.
func randomFrames(rng *rand.Rand, w, h, ox, oy int) (a, b *image.RGBA) {
	outer := image.Rect(ox-rng.IntN(3), oy-rng.IntN(3), ox+w+rng.IntN(70), oy+h+rng.IntN(3))
	fa, fb := image.NewRGBA(outer), image.NewRGBA(outer)
	var bits uint64
	for i := range fa.Pix { // black and white bytes
		if i%64 == 0 {
			bits = rng.Uint64()
		}
		fa.Pix[i] = uint8(bits>>(i%64)&1) * 255
	}
	copy(fb.Pix, fa.Pix)
	r := image.Rect(ox, oy, ox+w, oy+h)
	a, b = fa.SubImage(r).(*image.RGBA), fb.SubImage(r).(*image.RGBA)
	col := func() color.RGBA {
		return color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))}
	}
	for k := rng.IntN(30); k > 0; k-- {
		x, y := ox+rng.IntN(w), oy+rng.IntN(h)
		switch rng.IntN(5) {
		case 0: // one pixel
			b.SetRGBA(x, y, col())
		case 1: // one byte of one pixel
			b.Pix[b.PixOffset(x, y)+rng.IntN(4)] ^= 1 << rng.IntN(8)
		case 2: // a block
			c := col()
			for yy := y; yy < min(y+1+rng.IntN(24), r.Max.Y); yy++ {
				for xx := x; xx < min(x+1+rng.IntN(80), r.Max.X); xx++ {
					b.SetRGBA(xx, yy, c)
				}
			}
		case 3: // part of a row
			c := col()
			for xx := x; xx < min(x+1+rng.IntN(w), r.Max.X); xx++ {
				b.SetRGBA(xx, y, c)
			}
		case 4: // a module grid, as a QR code changes
			m := 1 + rng.IntN(5)
			n := 1 + rng.IntN(30)
			for my := 0; my < n; my++ {
				for mx := 0; mx < n; mx++ {
					if rng.IntN(2) == 0 {
						continue
					}
					for yy := y + my*m; yy < min(y+my*m+m, r.Max.Y); yy++ {
						for xx := x + mx*m; xx < min(x+mx*m+m, r.Max.X); xx++ {
							b.SetRGBA(xx, yy, color.RGBA{255, 255, 255, 255})
						}
					}
				}
			}
		}
	}
	return a, b
}

func TestDiffSameAsReferenceOnRandomFrames(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 2000
	if testing.Short() || raceEnabled {
		n = 200
	}
	for i := range n {
		w, h := 1+rng.IntN(300), 1+rng.IntN(200)
		ox, oy := rng.IntN(130)-30, rng.IntN(130)-30
		a, b := randomFrames(rng, w, h, ox, oy)
		tile := []int{16, 1 + rng.IntN(70), 0, -3}[rng.IntN(4)]
		checkSameAsReference(t, diffCase{fmt.Sprintf("random %d %dx%d at %d,%d", i, w, h, ox, oy), a, b, tile})
	}
	// Unequal bounds and no previous frame: everything is sent.
	a := image.NewRGBA(image.Rect(0, 0, 10, 10))
	checkSameAsReference(t, diffCase{"nil", nil, a, 16})
	checkSameAsReference(t, diffCase{"bounds", image.NewRGBA(image.Rect(0, 0, 10, 11)), a, 16})
	checkSameAsReference(t, diffCase{"empty", image.NewRGBA(image.Rectangle{}), image.NewRGBA(image.Rectangle{}), 16})
}

// FuzzDiff holds Diff to refDiff on frames built from the fuzzer's bytes: a
// w×h frame at (ox, oy) inside a wider one, and a copy with ops applied, 5
// bytes each (kind, x, y, size, value).
func FuzzDiff(f *testing.F) {
	f.Add(uint8(100), uint8(60), int8(0), int8(0), int8(16), []byte{0, 0, 0, 0, 1, 0, 99, 59, 0, 2})
	f.Add(uint8(240), uint8(200), int8(-7), int8(3), int8(16), []byte{2, 40, 30, 200, 255, 3, 10, 10, 120, 1, 1, 63, 64, 0, 128})
	f.Add(uint8(65), uint8(1), int8(0), int8(0), int8(1), []byte{1, 63, 0, 3, 1, 1, 64, 0, 2, 1})
	f.Fuzz(func(t *testing.T, w, h uint8, ox, oy, tile int8, ops []byte) {
		r := image.Rect(int(ox), int(oy), int(ox)+int(w), int(oy)+int(h))
		outer := image.Rect(r.Min.X-1, r.Min.Y, r.Max.X+5, r.Max.Y+1)
		fa, fb := image.NewRGBA(outer), image.NewRGBA(outer)
		for i := range fa.Pix {
			fa.Pix[i] = uint8(i * 7 % 5 * 60)
		}
		copy(fb.Pix, fa.Pix)
		a, b := fa.SubImage(r).(*image.RGBA), fb.SubImage(r).(*image.RGBA)
		for len(ops) >= 5 && !r.Empty() {
			kind, x, y, size, v := ops[0], r.Min.X+int(ops[1])%r.Dx(), r.Min.Y+int(ops[2])%r.Dy(), int(ops[3]), ops[4]
			ops = ops[5:]
			switch kind % 4 {
			case 0: // one byte
				b.Pix[b.PixOffset(x, y)+int(kind/4%4)] ^= v | 1
			case 1: // a row of pixels
				for xx := x; xx < min(x+size+1, r.Max.X); xx++ {
					b.Pix[b.PixOffset(xx, y)] = v
				}
			case 2: // a block
				for yy := y; yy < min(y+size%32+1, r.Max.Y); yy++ {
					for xx := x; xx < min(x+size+1, r.Max.X); xx++ {
						b.Pix[b.PixOffset(xx, yy)+1] = v
					}
				}
			case 3: // a checkerboard of size%6+1 modules
				m := size%6 + 1
				for yy := y; yy < min(y+8*m, r.Max.Y); yy++ {
					for xx := x; xx < min(x+8*m, r.Max.X); xx++ {
						if ((xx-x)/m+(yy-y)/m)%2 == 0 {
							b.Pix[b.PixOffset(xx, yy)+2] = v
						}
					}
				}
			}
		}
		checkSameAsReference(t, diffCase{"fuzz", a, b, int(tile)})
	})
}
