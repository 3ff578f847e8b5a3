package escpos

import (
	"bytes"
	"encoding/hex"
	"errors"
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

func TestDecodeRoundTrip(t *testing.T) {
	e := NewEncoder(PC858).Init()
	e.Align(AlignCenter).Bold(true).Double(true).Line("SHOP €")
	e.Double(false).Bold(false).Align(AlignLeft).Line("Total        1,50 €")
	e.Feed(2)
	e.QR("pay:ref-42", QROptions{ModuleSize: 4, Level: ECQuartile})
	e.QRRaster("RASTER-77", QROptions{ModuleSize: 6}, 384)
	e.Cut(true, 0)
	b, err := e.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(doc.Lines(), "|"); got != "SHOP €|Total        1,50 €" {
		t.Errorf("lines %q", got)
	}
	if it := doc.Items[0]; !it.Style.Bold || !it.Style.Double() || it.Style.Align != AlignCenter {
		t.Errorf("first line style %+v", it.Style)
	}
	if it := doc.Items[1]; it.Style.Bold || it.Style.Double() || it.Style.Align != AlignLeft {
		t.Errorf("second line style %+v", it.Style)
	}
	if n := doc.ScanImages(); n != 1 {
		t.Fatalf("ScanImages found %d QR codes, want 1", n)
	}
	if got := strings.Join(doc.QRs(), "|"); got != "pay:ref-42|RASTER-77" {
		t.Errorf("QRs %q", got)
	}
	qr := doc.Items[3].QR
	if !qr.Native || qr.ModuleSize != 4 || qr.Level != ECQuartile {
		t.Errorf("native QR %+v", qr)
	}
	if doc.Cuts() != 1 || !doc.Items[len(doc.Items)-1].Partial {
		t.Errorf("cuts: %d", doc.Cuts())
	}
	txt := doc.TextWidth(32)
	for _, want := range []string{"             SHOP €\n", "[QR pay:ref-42]", "[QR RASTER-77 (image)]", "partial cut"} {
		if !strings.Contains(txt, want) {
			t.Errorf("Text lacks %q:\n%s", want, txt)
		}
	}
}

func TestTallRasterBandsJoin(t *testing.T) {
	r := NewRaster(64, 600)
	for y := 0; y < 600; y++ {
		r.Set(y%64, y)
	}
	b, err := NewEncoder(CP437).Raster(r).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte{GS, 'v', '0'}); n != 3 {
		t.Errorf("%d GS v 0 bands, want 3", n)
	}
	doc, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Items) != 1 || !bytes.Equal(doc.Items[0].Image.Data, r.Data) {
		t.Errorf("decoded %d items, want the one image back", len(doc.Items))
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		in       string
		off      int
		cmd, why string
	}{
		{"41 1b", 1, "ESC", "truncated"},
		{"41 0a 1b 61", 2, "ESC a", "truncated"},
		{"1b 61 07", 0, "ESC a", "out of range"},
		{"1b 5a 00", 0, "ESC Z", "unknown command"},
		{"41 00", 1, "0x00", "unexpected control byte"},
		{"1d 76 30 00 02 00 02 00 ff ff ff", 0, "GS v 0", "truncated"},
		{"1d 28 6b 05 00 31 43 03", 0, "GS ( k", "truncated"},
		{"1d 28 6b 04 00 31 43 03 00", 0, "GS ( k", "parameter length"},
		{"1d 28 6b 03 00 31 51 31", 0, "GS ( k", "m 49"},
		{"1d 56 05", 0, "GS V", "cut mode"},
		{"1d 56 41", 0, "GS V", "truncated"},
		{"1d 21 99", 0, "GS !", "out of range"},
		{"10 04 09", 0, "DLE EOT", "out of range"},
		{"1d 6b 02 31 32", 0, "GS k", "NUL"},
	}
	for _, c := range cases {
		_, err := Decode(mustHex(c.in))
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("Decode(%s) = %v, want *DecodeError", c.in, err)
			continue
		}
		if de.Offset != c.off || de.Command != c.cmd || !strings.Contains(de.Reason, c.why) {
			t.Errorf("Decode(%s) = %v, want offset %d, %s, %q", c.in, err, c.off, c.cmd, c.why)
		}
	}
}

func TestDecodeOtherCommands(t *testing.T) {
	// Commands other software writes: ESC ! print mode, line spacing, drawer pulse,
	// real-time status request, barcode, underline.
	in := mustHex("1b40 1b2138 41 0a 1b3318 1b700019fa 100401 1b2d01 42 0d0a 1d6b04 313233 00 1b69")
	doc, err := Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(doc.Lines(), "|"); got != "A|B" {
		t.Errorf("lines %q", got)
	}
	if st := doc.Items[0].Style; !st.Bold || !st.Double() {
		t.Errorf("ESC ! 0x38 style %+v", st)
	}
	if doc.Items[2].Kind != ItemBarcode || doc.Items[2].Text != "123" || doc.Cuts() != 1 {
		t.Errorf("items %+v", doc.Items)
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

func TestRenderPNG(t *testing.T) {
	b, err := NewEncoder(PC858).Init().Align(AlignCenter).Line("HELLO").QR("render-me", QROptions{ModuleSize: 5}).Cut(false, 0).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	img := RenderPNG(doc, 384)
	if w := img.Bounds().Dx(); w != 384+2*margin {
		t.Errorf("width %d", w)
	}
	gray, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("RenderPNG returned %T", img)
	}
	r := &Raster{WidthBytes: (gray.Rect.Dx() + 7) / 8, Height: gray.Rect.Dy()}
	r.Data = make([]byte, r.WidthBytes*r.Height)
	for y := 0; y < r.Height; y++ {
		for x := 0; x < gray.Rect.Dx(); x++ {
			if gray.GrayAt(x, y).Y < 128 {
				r.Set(x, y)
			}
		}
	}
	if s, err := r.DecodeQR(); err != nil || s != "render-me" {
		t.Errorf("QR in rendered picture: %q, %v", s, err)
	}
}

func FuzzDecode(f *testing.F) {
	seed, _ := NewEncoder(PC858).Init().Bold(true).Line("x €").QR("q", QROptions{}).Raster(NewRaster(8, 2)).Cut(true, 1).Bytes()
	f.Add(seed)
	f.Add(mustHex("1d28 6b 0400 3141 3200"))
	f.Add(mustHex("1d763000 ffff ffff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Decode(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset >= len(b) {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		// Bounded allocation: decoded data never exceeds the input.
		size := 0
		for _, it := range doc.Items {
			size += len(it.Text)
			if it.Image != nil {
				size += len(it.Image.Data)
			}
			if it.QR != nil {
				size += len(it.QR.Data)
			}
		}
		if size > 4*len(b)+16 {
			t.Fatalf("decoded %d bytes from %d", size, len(b))
		}
		_ = doc.Text()
	})
}
