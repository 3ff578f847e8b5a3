package mipidbi_test

import (
	"image"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/terminald/terminald/hw/display/internal/dbitest"
	"github.com/terminald/terminald/hw/display/mipidbi"
)

// opaque hides an image's concrete type, so Draw takes its path for any image.
type opaque struct{ image.Image }

// Draw sends the same SPI writes, D/C levels and chunks for the renderer's
// *image.RGBA frames (read row by row) as for any image with those pixels:
// random windows, partly off the panel or the source, from a frame and from
// a sub-image (another origin and stride), at several transfer sizes, with
// commands between the windows.
func TestDrawRGBAAsAnyImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	frame := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range frame.Pix {
		frame.Pix[i] = byte(rng.IntN(256))
	}
	srcs := []*image.RGBA{frame, frame.SubImage(image.Rect(9, 3, 50, 41)).(*image.RGBA)}
	open := func(maxTx int) (*dbitest.Port, *mipidbi.Dev) {
		p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
		c, _ := p.Connect(0, 0, 8)
		d, err := mipidbi.New(c, p.DC, nil, nil, mipidbi.Config{
			Name: "test", MemWidth: 60, MemHeight: 40, Width: 60, Height: 40, MaxTx: maxTx,
			Init: []mipidbi.Cmd{{Op: mipidbi.MADCTL}}, Sleep: func(time.Duration) {},
		})
		if err != nil {
			t.Fatal(err)
		}
		return p, d
	}
	for _, maxTx := range []int{4, 6, 64, 4096} {
		pa, fast := open(maxTx)
		pb, slow := open(maxTx)
		for i := 0; i < 400; i++ {
			src := srcs[i%2]
			r := image.Rect(rng.IntN(70)-5, rng.IntN(50)-5, rng.IntN(70)-5, rng.IntN(50)-5).Canon()
			sp := image.Pt(rng.IntN(70)-5, rng.IntN(50)-5)
			if err := fast.Draw(r, src, sp); err != nil {
				t.Fatal(err)
			}
			if err := slow.Draw(r, opaque{src}, sp); err != nil {
				t.Fatal(err)
			}
			if i%50 == 0 {
				fast.Command(mipidbi.NORON)
				slow.Command(mipidbi.NORON)
			}
		}
		if len(pa.Log) < 1000 {
			t.Fatalf("MaxTx %d: only %d writes: the windows were mostly empty", maxTx, len(pa.Log))
		}
		same := func(a, b dbitest.Tx) bool { return a.Data == b.Data && string(a.B) == string(b.B) }
		if !slices.EqualFunc(pa.Log, pb.Log, same) {
			i := 0
			for i < min(len(pa.Log), len(pb.Log)) && same(pa.Log[i], pb.Log[i]) {
				i++
			}
			t.Fatalf("MaxTx %d: write %d of the RGBA path (of %d) differs from any image's (of %d):\n%s\nwant\n%s",
				maxTx, i, len(pa.Log), len(pb.Log), dbitest.Dump(pa.Log[i:min(i+3, len(pa.Log))]), dbitest.Dump(pb.Log[i:min(i+3, len(pb.Log))]))
		}
	}
}
