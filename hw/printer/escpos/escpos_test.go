package escpos

import (
	"bytes"
	"encoding/hex"
	"flag"
	goldenfile "github.com/terminald/terminald/hw/printer/internal/golden"
	"image"
	"image/color"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, name, got, *update)
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// The expected bytes come from the Epson ESC/POS reference, not from the encoder.
func TestCommands(t *testing.T) {
	cases := []struct {
		name string
		do   func(e *Encoder)
		want string
	}{
		{"init-pc858", func(e *Encoder) { e.Init() }, "1b40 1b7413"},
		{"codepage-cp437", func(e *Encoder) { e.CodePage(CP437) }, "1b7400"},
		{"codepage-wpc1252", func(e *Encoder) { e.CodePage(WPC1252) }, "1b7410"},
		{"align-left", func(e *Encoder) { e.Align(AlignLeft) }, "1b6100"},
		{"align-center", func(e *Encoder) { e.Align(AlignCenter) }, "1b6101"},
		{"align-right", func(e *Encoder) { e.Align(AlignRight) }, "1b6102"},
		{"bold-on", func(e *Encoder) { e.Bold(true) }, "1b4501"},
		{"bold-off", func(e *Encoder) { e.Bold(false) }, "1b4500"},
		{"double-on", func(e *Encoder) { e.Double(true) }, "1d2111"},
		{"double-off", func(e *Encoder) { e.Double(false) }, "1d2100"},
		{"size-3x2", func(e *Encoder) { e.Size(3, 2) }, "1d2121"},
		{"feed-3", func(e *Encoder) { e.Feed(3) }, "1b6403"},
		{"cut-full", func(e *Encoder) { e.Cut(false, 0) }, "1d564100"},
		{"cut-partial", func(e *Encoder) { e.Cut(true, 3) }, "1d564203"},
		{"line-euro", func(e *Encoder) { e.Line("Total 1,50 €") }, "546f74616c20312c353020d5 0a"},
		{"qr-native", func(e *Encoder) { e.QR("AB1", QROptions{ModuleSize: 6, Level: ECMedium}) },
			"1d286b0400314132 00" + "1d286b0300314306" + "1d286b0300314531" + "1d286b0600315030 414231" + "1d286b0300315130"},
		{"raster-16x2", func(e *Encoder) {
			r := NewRaster(16, 2)
			r.Set(0, 0)
			r.Set(15, 1)
			e.Raster(r)
		}, "1d763000 0200 0200 8000 0001"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := NewEncoder(PC858)
			c.do(e)
			got, err := e.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if want := mustHex(c.want); !bytes.Equal(got, want) {
				t.Errorf("got % x, want % x", got, want)
			}
			golden(t, c.name, got)
		})
	}
}

func TestCodePages(t *testing.T) {
	cases := []struct {
		cp   CodePage
		in   string
		want []byte
	}{
		{PC858, "€ äöü ß", []byte{0xd5, ' ', 0x84, 0x94, 0x81, ' ', 0xe1}},
		{CP437, "€ ä", []byte{'?', ' ', 0x84}},
		{WPC1252, "€ ä", []byte{0x80, ' ', 0xe4}},
		{PC858, "日本", []byte{'?', '?'}},
		{PC858, "a\x1b@b\x1dVA\n", []byte{'a', '?', '@', 'b', '?', 'V', 'A', '?'}},
		{PC858, "\u0085x", []byte{'?', 'x'}},
	}
	for _, c := range cases {
		if got := c.cp.Encode(c.in); !bytes.Equal(got, c.want) {
			t.Errorf("%v.Encode(%q) = % x, want % x", c.cp, c.in, got, c.want)
		}
	}
	if got := PC858.Decode([]byte{0xd5, 0x84}); got != "€ä" {
		t.Errorf("PC858.Decode = %q", got)
	}
	for _, name := range []string{"pc858", "CP437", "windows-1252"} {
		if _, err := ParseCodePage(name); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseCodePage("ebcdic"); err == nil {
		t.Error("ParseCodePage(ebcdic) succeeded")
	}
}

func TestEncoderErrors(t *testing.T) {
	if _, err := NewEncoder(PC858).QR("", QROptions{}).Bytes(); err == nil {
		t.Error("empty QR accepted")
	}
	if _, err := NewEncoder(PC858).QR(strings.Repeat("1", MaxQRData+1), QROptions{}).Bytes(); err == nil {
		t.Error("oversized QR accepted")
	}
	if _, err := NewEncoder(PC858).Raster(NewRaster(2000, 1)).Bytes(); err == nil {
		t.Error("2000 dot wide raster accepted")
	}
}

func TestRasterFromImage(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 800, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 800; x++ {
			switch {
			case x < 400:
				img.Set(x, y, color.Black)
			default:
				img.Set(x, y, color.Transparent) // transparent prints white
			}
		}
	}
	r, err := RasterFromImage(img, ImageOptions{MaxWidth: 384})
	if err != nil {
		t.Fatal(err)
	}
	if r.Width() != 384 || r.Height != 96 {
		t.Fatalf("raster %dx%d, want 384x96", r.Width(), r.Height)
	}
	if !r.Black(10, 10) || r.Black(300, 10) {
		t.Error("left half should be black, right half white")
	}
	if _, err := RasterFromImage(image.NewUniform(color.Black), ImageOptions{}); err == nil {
		t.Error("unbounded uniform image accepted")
	}
	// Mid grey dithers to about half the dots.
	gi := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range gi.Pix {
		gi.Pix[i] = 128
	}
	g, err := RasterFromImage(gi, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	black := 0
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			if g.Black(x, y) {
				black++
			}
		}
	}
	if black < 64*64*4/10 || black > 64*64*6/10 {
		t.Errorf("mid grey dithered to %d of %d black dots", black, 64*64)
	}
}
