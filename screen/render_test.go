package screen

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

var testNow = time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC)

func newRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func decodeQR(t testing.TB, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

// inkIn counts non-background pixels in r.
func inkIn(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) != (color.RGBA{0xff, 0xff, 0xff, 0xff}) {
				n++
			}
		}
	}
	return n
}

func TestEveryKindEverySize(t *testing.T) {
	r := newRenderer(t)
	for _, s := range Samples(testNow) {
		for _, sz := range Sizes {
			img := r.Render(s, sz[0], sz[1], testNow)
			if img.Bounds() != image.Rect(0, 0, sz[0], sz[1]) {
				t.Fatalf("%s %v: bounds %v", s.Kind, sz, img.Bounds())
			}
			lay := r.Layout(s, sz[0], sz[1])
			body := image.Rect(0, lay.StatusBar.Max.Y, sz[0], sz[1])
			if ink := inkIn(img, body); ink < 200 {
				t.Errorf("%s %v: body nearly empty (%d ink pixels)", s.Kind, sz, ink)
			}
			if lay.StatusBar.Dy() < 16 {
				t.Errorf("%s %v: status bar %v", s.Kind, sz, lay.StatusBar)
			}
		}
	}
}

func TestQRDecodesAtEverySize(t *testing.T) {
	r := newRenderer(t)
	s := Samples(testNow)[5]
	if s.Kind != QR {
		t.Fatal("sample 5 is not the QR screen")
	}
	for _, sz := range Sizes {
		img := r.Render(s, sz[0], sz[1], testNow)
		lay := r.Layout(s, sz[0], sz[1])
		if got := decodeQR(t, img.SubImage(lay.QR)); got != SamplePaymentURL {
			t.Errorf("%v: QR says %q, want %q", sz, got, SamplePaymentURL)
		}
		if lay.QRModule < MinQRModule {
			t.Errorf("%v: module %d px", sz, lay.QRModule)
		}
		if lay.QRLevel == "" || lay.QRTooBig {
			t.Errorf("%v: layout %+v", sz, lay)
		}
		// Quiet zone: 4 modules of pure white on every side.
		q := QRQuietZone * lay.QRModule
		inner := lay.QR.Inset(q)
		for _, band := range []image.Rectangle{
			{lay.QR.Min, image.Pt(lay.QR.Max.X, inner.Min.Y)},
			{image.Pt(lay.QR.Min.X, inner.Max.Y), lay.QR.Max},
			{image.Pt(lay.QR.Min.X, inner.Min.Y), image.Pt(inner.Min.X, inner.Max.Y)},
			{image.Pt(inner.Max.X, inner.Min.Y), image.Pt(lay.QR.Max.X, inner.Max.Y)},
		} {
			if n := inkIn(img, band); n != 0 {
				t.Errorf("%v: %d dark pixels in quiet zone %v", sz, n, band)
			}
		}
		// Modules are pure black or white.
		for y := inner.Min.Y; y < inner.Max.Y; y++ {
			for x := inner.Min.X; x < inner.Max.X; x++ {
				c := img.RGBAAt(x, y)
				if c != (color.RGBA{0, 0, 0, 0xff}) && c != (color.RGBA{0xff, 0xff, 0xff, 0xff}) {
					t.Fatalf("%v: grey QR pixel %v at %d,%d", sz, c, x, y)
				}
			}
		}
		// The countdown must not overlap the code.
		if lay.Countdown.Overlaps(lay.QR) {
			t.Errorf("%v: countdown %v overlaps QR %v", sz, lay.Countdown, lay.QR)
		}
	}
}

func TestQRLongPayloadFitsAtLowerLevel(t *testing.T) {
	r := newRenderer(t)
	// A long payload that only fits at a lower level on 240×240.
	long := Screen{Kind: QR, QR: "https://pay.example.com/i/" + strings.Repeat("x", 150)}
	lay := r.Layout(long, 240, 240)
	if lay.QRTooBig || lay.QRLevel == "H" || lay.QRModule < MinQRModule {
		t.Errorf("long payload on 240x240: %+v", lay)
	}
	img := r.Render(long, 240, 240, testNow)
	if got := decodeQR(t, img.SubImage(lay.QR)); got != long.QR {
		t.Errorf("long payload decodes as %q", got)
	}
}

func TestQRTooLarge(t *testing.T) {
	r := newRenderer(t)
	s := Screen{Kind: QR, QR: "lightning:" + strings.Repeat("lnbc1qwertyuiopasdfghjkl", 17), Deadline: testNow.Add(time.Minute)}
	lay := r.Layout(s, 240, 240)
	if !lay.QRTooBig || lay.QRModule != 0 || !lay.QR.Empty() {
		t.Fatalf("layout %+v: want QRTooBig", lay)
	}
	img := r.Render(s, 240, 240, testNow)
	red := 0
	for y := 0; y < 240; y++ {
		for x := 0; x < 240; x++ {
			c := img.RGBAAt(x, y)
			if c.R > 0x90 && c.G < 0x60 && c.B < 0x60 {
				red++
			}
		}
	}
	if red < 100 {
		t.Errorf("no red error text drawn (%d red pixels)", red)
	}
}

func TestCountdown(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{5 * time.Minute, "05:00"},
		{4*time.Minute + 59*time.Second + 1, "05:00"},
		{59 * time.Second, "00:59"},
		{0, "00:00"},
		{-time.Hour, "00:00"},
		{125 * time.Minute, "125:00"},
	} {
		if got := Countdown(testNow.Add(c.d), testNow); got != c.want {
			t.Errorf("Countdown(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestCountdownTickChangesOnlyCountdown(t *testing.T) {
	r := newRenderer(t)
	for _, s := range Samples(testNow) {
		if s.Deadline.IsZero() {
			continue
		}
		for _, sz := range Sizes {
			a := r.Render(s, sz[0], sz[1], testNow)
			b := r.Render(s, sz[0], sz[1], testNow.Add(time.Second))
			lay := r.Layout(s, sz[0], sz[1])
			diff := 0
			for y := 0; y < sz[1]; y++ {
				for x := 0; x < sz[0]; x++ {
					if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
						diff++
						if !image.Pt(x, y).In(lay.Countdown) {
							t.Fatalf("%s %v: pixel %d,%d outside countdown %v changed", s.Kind, sz, x, y, lay.Countdown)
						}
					}
				}
			}
			if diff == 0 {
				t.Errorf("%s %v: countdown did not change after a second", s.Kind, sz)
			}
		}
	}
}

func TestLongTextIsClipped(t *testing.T) {
	r := newRenderer(t)
	s := Screen{Kind: Message, Title: strings.Repeat("Very long title ", 10),
		Lines: []string{strings.Repeat("word ", 60)}, Options: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"},
		Hint: strings.Repeat("hint ", 50)}
	for _, sz := range Sizes {
		_ = r.Render(s, sz[0], sz[1], testNow) // must not panic
	}
	_ = r.Render(Screen{}, 128, 128, testNow)
	_ = r.Render(Screen{Kind: QR}, 240, 240, testNow)
}

// WriteSizes writes a PNG of the screen at every size, named as terminald screens names
// them (NAME-WxH.png).
func TestWriteSizes(t *testing.T) {
	dir := t.TempDir()
	r := newRenderer(t)
	for _, s := range Samples(testNow) {
		if err := r.WriteSizes(dir, string(s.Kind), s, testNow); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []Kind{Idle, Amount, Choose, Input, Wait, QR, Paid, Failed, Expired, Cancelled, Decision, Offline, Message, Admin} {
		for _, sz := range Sizes {
			name := filepath.Join(dir, fmt.Sprintf("%s-%dx%d.png", k, sz[0], sz[1]))
			if st, err := os.Stat(name); err != nil || st.Size() < 500 {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

func BenchmarkRender(b *testing.B) {
	r := newRenderer(b)
	for _, s := range Samples(testNow) {
		b.Run(string(s.Kind), func(b *testing.B) {
			for b.Loop() {
				r.Render(s, 240, 320, testNow)
			}
		})
	}
}

// TestCachedGlyphsDrawAsRasterized checks that text drawn from the glyph
// cache (at whole-pixel and sub-pixel positions, after the same glyphs were
// drawn elsewhere) is pixel for pixel the text the font rasterizes.
func TestCachedGlyphsDrawAsRasterized(t *testing.T) {
	r := newRenderer(t)
	r.mu.Lock()
	cached := r.face(true, 20)
	r.mu.Unlock()
	raw := cached.(*cachedFace).Face
	const text = "Pay 12.34 EUR — 00:59 ÄÖÜ wait…"
	for i, dot := range []fixed.Point26_6{
		{X: fixed.I(3), Y: fixed.I(30)},
		{X: fixed.I(17), Y: fixed.I(61)},
		{X: fixed.I(5) + 21, Y: fixed.I(40) + 7},
	} {
		draw := func(f font.Face) *image.RGBA {
			img := image.NewRGBA(image.Rect(0, 0, 400, 80))
			d := font.Drawer{Dst: img, Src: image.Black, Face: f, Dot: dot}
			d.DrawString(text)
			return img
		}
		want := draw(raw)
		r.mu.Lock()
		draw(cached) // fill the cache
		got := draw(cached)
		r.mu.Unlock()
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("position %d: cached glyphs differ from rasterized ones", i)
		}
	}
}

// BenchmarkRenderWarmQR renders the QR screen into a reused frame with the
// QR code already encoded (the payload is unchanged, as while the countdown
// ticks): what is measured is the renderer's own work around the mandated
// encode.
func BenchmarkRenderWarmQR(b *testing.B) {
	r := newRenderer(b)
	s := Samples(testNow)[5]
	for _, sz := range Sizes {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			dst := r.Render(s, sz[0], sz[1], testNow)
			b.ReportAllocs()
			for b.Loop() {
				r.RenderInto(dst, s, sz[0], sz[1], testNow)
			}
		})
	}
}
