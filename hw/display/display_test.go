package display_test

import (
	"bytes"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/hw/display/emulator"
	"github.com/terminald/terminald/hw/display/ili9341"
	"github.com/terminald/terminald/hw/display/mipidbi"
	"github.com/terminald/terminald/hw/display/st7789"
	"github.com/terminald/terminald/screen"
)

var t0 = time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC)

func nosleep(time.Duration) {}

func renderer(t testing.TB) *screen.Renderer {
	t.Helper()
	r, err := screen.NewRenderer()
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

func sameImage(a, b *image.RGBA) (image.Point, bool) {
	if a.Rect.Size() != b.Rect.Size() {
		return image.Point{-1, -1}, false
	}
	for y := 0; y < a.Rect.Dy(); y++ {
		for x := 0; x < a.Rect.Dx(); x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				return image.Pt(x, y), false
			}
		}
	}
	return image.Point{}, true
}

type rig struct {
	name string
	emu  *emulator.Panel
	dev  *mipidbi.Dev
}

func newST7789(t testing.TB, w, h, rot int) rig {
	t.Helper()
	o := emulator.DefaultOpts(emulator.ST7789)
	o.Width, o.Height, o.Rotation = w, h, rot
	emu, err := emulator.New(&o)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := st7789.New(emu, emu.DC(), emu.RST(), nil, &st7789.Opts{Width: w, Height: h, Rotation: rot, Sleep: nosleep})
	if err != nil {
		t.Fatal(err)
	}
	return rig{"st7789", emu, dev}
}

func newILI9341(t testing.TB, rot int) rig {
	t.Helper()
	o := emulator.DefaultOpts(emulator.ILI9341)
	o.Rotation = rot
	emu, err := emulator.New(&o)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := ili9341.New(emu, emu.DC(), emu.RST(), nil, &ili9341.Opts{Rotation: rot, Sleep: nosleep})
	if err != nil {
		t.Fatal(err)
	}
	return rig{"ili9341", emu, dev}
}

// TestRoundTripThroughDrivers renders every screen through the real drivers
// into the emulated controller and compares what the glass shows with the
// directly rendered image.
func TestRoundTripThroughDrivers(t *testing.T) {
	r := renderer(t)
	samples := screen.Samples(t0)
	var rigs []rig
	for _, rot := range []int{0, 90, 180, 270} {
		rigs = append(rigs, newST7789(t, 240, 320, rot), newILI9341(t, rot))
	}
	rigs = append(rigs, newST7789(t, 240, 240, 180), newST7789(t, 240, 240, 270))
	for i, rg := range rigs {
		d := display.New(rg.dev, r, &display.Options{Now: func() time.Time { return t0 }})
		b := rg.dev.Bounds()
		// Every screen on two rigs; the QR and a result screen on the rest
		// (rotations and offsets are what they add).
		list := samples
		if i > 1 || testing.Short() {
			list = []screen.Screen{samples[5], samples[6]}
		}
		for _, s := range list {
			if err := d.Show(s); err != nil {
				t.Fatal(err)
			}
			want := emulator.Quantize(r.Render(s, b.Dx(), b.Dy(), t0))
			got := rg.emu.Image()
			if p, ok := sameImage(got, want); !ok {
				t.Fatalf("%s %v %s: glass differs at %v: %v vs %v", rg.name, b.Size(), s.Kind, p, got.RGBAAt(p.X, p.Y), want.RGBAAt(p.X, p.Y))
			}
			if s.Kind == screen.QR {
				lay := r.Layout(s, b.Dx(), b.Dy())
				if txt := decodeQR(t, got.SubImage(lay.QR)); txt != screen.SamplePaymentURL {
					t.Errorf("%s: QR on glass says %q", rg.name, txt)
				}
			}
		}
	}
}

// TestCountdownTickIsSmall: a second of countdown resends only the digits,
// never the QR, and costs a small fraction of a full frame over SPI.
func TestCountdownTickIsSmall(t *testing.T) {
	r := renderer(t)
	now := t0
	for _, sz := range [][2]int{{240, 320}, {240, 240}, {320, 240}} {
		rot := 0
		if sz[0] > sz[1] {
			rot = 90
		}
		h := sz[1]
		if rot == 90 {
			h = sz[0]
		}
		rg := newST7789(t, 240, h, rot)
		mem := &spy{Panel: rg.dev}
		d := display.New(mem, r, &display.Options{Now: func() time.Time { return now }})
		qr := screen.Samples(t0)[5]
		now = t0
		if err := d.Show(qr); err != nil {
			t.Fatal(err)
		}
		full := rg.dev.BytesSent()
		before := full
		mem.rects = nil
		now = t0.Add(time.Second)
		if err := d.Show(qr); err != nil {
			t.Fatal(err)
		}
		tick := rg.dev.BytesSent() - before
		if tick*10 > int64(sz[0]*sz[1]*2) {
			t.Errorf("%v: countdown tick sent %d bytes, full frame is %d", sz, tick, sz[0]*sz[1]*2)
		}
		lay := r.Layout(qr, sz[0], sz[1])
		if len(mem.rects) == 0 {
			t.Errorf("%v: tick drew nothing", sz)
		}
		for _, rc := range mem.rects {
			if rc.Overlaps(lay.QR) {
				t.Errorf("%v: tick redrew %v over the QR %v", sz, rc, lay.QR)
			}
		}
		// Showing the same screen at the same second sends nothing.
		before = rg.dev.BytesSent()
		if err := d.Show(qr); err != nil {
			t.Fatal(err)
		}
		if n := rg.dev.BytesSent() - before; n != 0 {
			t.Errorf("%v: unchanged screen sent %d bytes", sz, n)
		}
	}
}

// spy records the rectangles drawn.
type spy struct {
	display.Panel
	rects []image.Rectangle
	fail  error
}

func (s *spy) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	if s.fail != nil {
		return s.fail
	}
	s.rects = append(s.rects, r)
	return s.Panel.Draw(r, src, sp)
}

func TestBacklightPolicy(t *testing.T) {
	r := renderer(t)
	now := t0
	mem := display.NewMemory(240, 320)
	d := display.New(mem, r, &display.Options{DimAfter: 30 * time.Second, OffAfter: 2 * time.Minute, Dim: 40,
		Now: func() time.Time { return now }})
	s := screen.Samples(t0)
	idle, amount, qr := s[0], s[1], s[5]
	step := func(what string, f func() error, want uint8) {
		t.Helper()
		if err := f(); err != nil {
			t.Fatal(err)
		}
		if got := mem.Backlight(); got != want {
			t.Errorf("%s: backlight %d, want %d", what, got, want)
		}
	}
	step("idle shown", func() error { return d.Show(idle) }, 255)
	now = now.Add(29 * time.Second)
	step("idle 29s", d.Tick, 255)
	now = now.Add(2 * time.Second)
	step("idle 31s", d.Tick, 40)
	step("idle re-shown", func() error { return d.Show(idle) }, 40)
	now = now.Add(2 * time.Minute)
	step("idle 2m31s", d.Tick, 0)
	step("amount typed", func() error { return d.Show(amount) }, 255)
	step("qr", func() error { return d.Show(qr) }, 255)
	now = now.Add(10 * time.Minute)
	step("qr 10 minutes later", d.Tick, 255)
	step("qr countdown", func() error { return d.Show(qr) }, 255)
	step("back to idle", func() error { return d.Show(idle) }, 255)
	now = now.Add(40 * time.Second)
	step("idle again 40s", d.Tick, 40)
	step("key press", d.Wake, 255)
}

func TestFailedDrawForcesFullRedraw(t *testing.T) {
	r := renderer(t)
	mem := display.NewMemory(240, 240)
	sp := &spy{Panel: mem}
	d := display.New(sp, r, &display.Options{Now: func() time.Time { return t0 }})
	s := screen.Samples(t0)
	if err := d.Show(s[0]); err != nil {
		t.Fatal(err)
	}
	sp.fail = errTest
	if err := d.Show(s[1]); err == nil || !strings.Contains(err.Error(), "amount") {
		t.Fatalf("want error naming the screen, got %v", err)
	}
	sp.fail = nil
	sp.rects = nil
	if err := d.Show(s[1]); err != nil {
		t.Fatal(err)
	}
	if len(sp.rects) != 1 || sp.rects[0] != mem.Bounds() {
		t.Errorf("after a failure want one full redraw, got %v", sp.rects)
	}
	want := r.Render(s[1], 240, 240, t0)
	if p, ok := sameImage(mem.Snapshot(), want); !ok {
		t.Errorf("memory differs at %v", p)
	}
}

type testErr string

func (e testErr) Error() string { return string(e) }

const errTest = testErr("spi broken")

func TestDiffCoversChanges(t *testing.T) {
	a := image.NewRGBA(image.Rect(0, 0, 100, 60))
	b := image.NewRGBA(a.Rect)
	pts := []image.Point{{0, 0}, {99, 59}, {50, 30}, {51, 31}, {17, 45}}
	for _, p := range pts {
		b.Pix[b.PixOffset(p.X, p.Y)] = 0xff
	}
	rects := display.Diff(a, b, 16)
	for _, p := range pts {
		in := false
		for _, r := range rects {
			in = in || p.In(r)
		}
		if !in {
			t.Errorf("changed pixel %v not covered by %v", p, rects)
		}
	}
	area := 0
	for _, r := range rects {
		area += r.Dx() * r.Dy()
	}
	if area > 20 {
		t.Errorf("diff of 5 pixels covers %d pixels: %v", area, rects)
	}
	if got := display.Diff(a, a, 16); len(got) != 0 {
		t.Errorf("identical frames: %v", got)
	}
	if got := display.Diff(nil, b, 16); len(got) != 1 || got[0] != b.Rect {
		t.Errorf("first frame: %v", got)
	}
}

func TestANSI(t *testing.T) {
	r := renderer(t)
	s := screen.Samples(t0)[5]
	img := r.Render(s, 240, 320, t0)
	lay := r.Layout(s, 240, 320)
	var buf bytes.Buffer
	if err := display.ANSIScaled(&buf, img, lay.QRModule); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if want := (320/lay.QRModule + 1) / 2; len(lines) != want {
		t.Errorf("%d lines, want %d", len(lines), want)
	}
	if n := strings.Count(lines[0], "▀"); n != 240/lay.QRModule {
		t.Errorf("%d cells in a line, want %d", n, 240/lay.QRModule)
	}
	if !strings.Contains(out, "\x1b[38;2;0;0;0m") || !strings.Contains(out, "\x1b[48;2;255;255;255m") {
		t.Error("no black/white 24-bit colours in output")
	}
	buf.Reset()
	if err := display.ANSI(&buf, image.NewRGBA(image.Rect(0, 0, 4, 3))); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "\n"); got != 2 {
		t.Errorf("4x3 image: %d lines, want 2", got)
	}
}

func TestMemorySnapshotIsACopy(t *testing.T) {
	m := display.NewMemory(10, 10)
	s := m.Snapshot()
	s.Pix[0] = 0x42
	if m.Snapshot().Pix[0] == 0x42 {
		t.Error("Snapshot shares memory with the panel")
	}
}
