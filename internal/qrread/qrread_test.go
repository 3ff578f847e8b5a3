package qrread

import (
	"errors"
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/terminald/terminald/screen"
)

// Every QR screen the terminal renders reads first time: all display sizes,
// all three providers' payload kinds, thousands of screens. (The general
// detector alone, as the simulator used it before, missed 26 of 2,700.)
func TestDecodeRenderedScreens(t *testing.T) {
	n := 200 // per size and payload kind: 1,800 screens
	if testing.Short() {
		n = 15
	}
	rd, err := screen.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	miss, total := 0, 0
	screens(n, func(s screen.Screen, img image.Image, w, h int) {
		total++
		got, err := Decode(img)
		if err != nil || got != s.QR {
			miss++
			t.Errorf("%dx%d %q: read %q, %v", w, h, s.QR, got, err)
			return
		}
		// The module grid found is the one the renderer drew.
		at, m, _, ok := Aligned(img)
		lay := rd.Layout(s, w, h)
		if !ok || m != lay.QRModule || at != lay.QR.Min.Add(image.Pt(screen.QRQuietZone*m, screen.QRQuietZone*m)) {
			t.Errorf("%dx%d %q: grid at %v module %d (ok=%t), renderer drew %v module %d",
				w, h, s.QR, at, m, ok, lay.QR, lay.QRModule)
		}
	})
	if miss > 0 {
		t.Errorf("%d of %d screens unread", miss, total)
	}
}

// An image that is not module aligned (a scaled preview) falls back to the
// general detector.
func TestDecodeScaledFallsBack(t *testing.T) {
	var src image.Image
	var want string
	screens(1, func(s screen.Screen, img image.Image, w, h int) {
		if src == nil && w == 320 {
			src, want = img, s.QR
		}
	})
	b := src.Bounds()
	// 5/3 nearest-neighbour: modules of 5 and 6 px mixed.
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx()*5/3, b.Dy()*5/3))
	for y := 0; y < dst.Bounds().Dy(); y++ {
		for x := 0; x < dst.Bounds().Dx(); x++ {
			dst.Set(x, y, src.At(x*3/5, y*3/5))
		}
	}
	if got, err := Decode(dst); err != nil || got != want {
		t.Errorf("scaled screen: %q, %v; want %q", got, err, want)
	}
}

func TestDecodeNoCode(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 240, 240))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	if _, err := Decode(img); !errors.Is(err, ErrNoCode) {
		t.Errorf("blank image: %v, want ErrNoCode", err)
	}
}

func BenchmarkDecode(b *testing.B) {
	var img image.Image
	screens(1, func(s screen.Screen, im image.Image, w, h int) {
		if img == nil {
			img = im
		}
	})
	for b.Loop() {
		if _, err := Decode(img); err != nil {
			b.Fatal(err)
		}
	}
}
