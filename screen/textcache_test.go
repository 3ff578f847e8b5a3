package screen

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"testing"
	"time"
)

// TestTextCacheDrawsAsUncached renders every sample screen at every size, in
// English and with the renderer's own words in German, with the text caches
// cold and warm, and checks each render, full and countdown-only, is pixel
// for pixel what a renderer that measures and draws every string afresh
// gives.
func TestTextCacheDrawsAsUncached(t *testing.T) {
	plain := newRenderer(t)
	plain.text.off = true
	cached := newRenderer(t)
	words := []Words{{}, {Online: "Verbunden", Offline: "Getrennt", Printer: "Drucker: Papier fehlt",
		QRTooLarge: "QR-Code zu groß für diese Anzeige", NoQR: "Kein QR-Code"}}
	screens := append(Samples(testNow),
		Screen{Kind: QR, QR: "lightning:" + strings.Repeat("lnbc1qwertyuiopasdfghjkl", 17), Deadline: testNow.Add(time.Minute)},
		Screen{Kind: QR, QR: SamplePaymentURL, Lines: []string{"0.00012345 BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
			Deadline: testNow.Add(20 * time.Second), Status: Status{Printer: "paper out", Terminal: "T-0042"}})
	for pass := range 2 {
		for _, s := range screens {
			for _, w := range words {
				s.Words = w
				for _, sz := range append(Sizes, [2]int{128, 128}) {
					for _, now := range []time.Time{testNow, testNow.Add(45 * time.Second)} {
						want := plain.Render(s, sz[0], sz[1], now)
						got := cached.Render(s, sz[0], sz[1], now)
						if !bytes.Equal(got.Pix, want.Pix) {
							t.Fatalf("pass %d: %s %v at %v (%q): cached render differs", pass, s.Kind, sz, now, w.Online)
						}
						next := now.Add(time.Second)
						_, okw := plain.RenderClock(want, s, now, next)
						_, okg := cached.RenderClock(got, s, now, next)
						if okw != okg || !bytes.Equal(got.Pix, want.Pix) {
							t.Fatalf("pass %d: %s %v at %v (%q): cached countdown update differs", pass, s.Kind, sz, next, w.Online)
						}
					}
				}
			}
		}
	}
	if len(cached.text.runs) == 0 || len(cached.text.widths) == 0 {
		t.Fatal("the caches were not used")
	}
}

// TestTextRunNeedsUniformBackground draws a string over a background of two
// colours, where no composited run may be copied, and over one colour, where
// one is, and compares both with drawing the glyphs.
func TestTextRunNeedsUniformBackground(t *testing.T) {
	plain := newRenderer(t)
	plain.text.off = true
	cached := newRenderer(t)
	for _, split := range []int{0, 7, 30} {
		draw := func(r *Renderer) *image.RGBA {
			img := image.NewRGBA(image.Rect(0, 0, 120, 30))
			c := &canvas{r: r, img: img, paint: true}
			r.mu.Lock()
			defer r.mu.Unlock()
			for range 2 { // the second time from the cache
				c.fill(img.Rect, colWhite)
				c.fill(image.Rect(0, 0, 120, split), colBar)
				c.text("Scan to pay 05:00", true, 18, 3, 4, colText)
			}
			return img
		}
		if !bytes.Equal(draw(cached).Pix, draw(plain).Pix) {
			t.Errorf("background split at %d: cached text differs", split)
		}
	}
}

// TestQRRowsDrawAsModules checks that the QR code copied from its cached
// pixel rows is what filling its rectangle white and drawing its dark
// modules gives, at every size, for the first render and the ones after.
func TestQRRowsDrawAsModules(t *testing.T) {
	r := newRenderer(t)
	for _, p := range []string{SamplePaymentURL, "https://pay.example.com/i/" + strings.Repeat("x", 150)} {
		s := Screen{Kind: QR, QR: p, Amount: "12.34 EUR", Deadline: testNow.Add(time.Minute)}
		for _, sz := range append(Sizes, [2]int{128, 128}) {
			for range 2 {
				got := r.Render(s, sz[0], sz[1], testNow)
				lay := r.Layout(s, sz[0], sz[1])
				if lay.QRTooBig {
					continue
				}
				want := image.NewRGBA(got.Rect)
				copy(want.Pix, got.Pix)
				c := &canvas{r: r, img: want, paint: true}
				c.fill(lay.QR, colWhite)
				q := QRQuietZone * lay.QRModule
				drawModules(want, r.qr.code, lay.QR.Min.Add(image.Pt(q, q)), lay.QRModule)
				if !bytes.Equal(got.Pix, want.Pix) {
					t.Fatalf("%v %.30q: QR %v drawn from rows differs from its modules", sz, p, lay.QR)
				}
			}
		}
	}
}

// TestFillRGBAIsDrawSrc checks fillRGBA against draw.Draw with a uniform
// source and draw.Src, for rectangles inside, across and outside the image.
func TestFillRGBAIsDrawSrc(t *testing.T) {
	for _, r := range []image.Rectangle{image.Rect(3, 4, 17, 9), image.Rect(-5, -5, 50, 3), image.Rect(19, 0, 40, 20), image.Rect(30, 30, 40, 40), image.Rect(2, 2, 3, 3)} {
		for _, col := range []color.RGBA{colBar, {0x10, 0x20, 0x30, 0x80}} {
			got := image.NewRGBA(image.Rect(0, 0, 20, 10))
			want := image.NewRGBA(got.Rect)
			fillRGBA(got, r, col)
			draw.Draw(want, r, image.NewUniform(col), image.Point{}, draw.Src)
			if !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("%v %v: fillRGBA differs from draw.Draw", r, col)
			}
		}
	}
}
