package escposdoc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/terminald/terminald/hw/printer/escpos"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecodeRoundTrip(t *testing.T) {
	e := escpos.NewEncoder(escpos.PC858).Init()
	e.Align(escpos.AlignCenter).Bold(true).Double(true).Line("SHOP €")
	e.Double(false).Bold(false).Align(escpos.AlignLeft).Line("Total        1,50 €")
	e.Feed(2)
	e.QR("pay:ref-42", escpos.QROptions{ModuleSize: 4, Level: escpos.ECQuartile})
	e.QRRaster("RASTER-77", escpos.QROptions{ModuleSize: 6}, 384)
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
	if it := doc.Items[0]; !it.Style.Bold || !it.Style.Double() || it.Style.Align != escpos.AlignCenter {
		t.Errorf("first line style %+v", it.Style)
	}
	if it := doc.Items[1]; it.Style.Bold || it.Style.Double() || it.Style.Align != escpos.AlignLeft {
		t.Errorf("second line style %+v", it.Style)
	}
	if n := doc.ScanImages(); n != 1 {
		t.Fatalf("ScanImages found %d QR codes, want 1", n)
	}
	if got := strings.Join(doc.QRs(), "|"); got != "pay:ref-42|RASTER-77" {
		t.Errorf("QRs %q", got)
	}
	qr := doc.Items[3].QR
	if !qr.Native || qr.ModuleSize != 4 || qr.Level != escpos.ECQuartile {
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
	r := escpos.NewRaster(64, 600)
	for y := 0; y < 600; y++ {
		r.Set(y%64, y)
	}
	b, err := escpos.NewEncoder(escpos.CP437).Raster(r).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte{escpos.GS, 'v', '0'}); n != 3 {
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

func TestRenderPNG(t *testing.T) {
	b, err := escpos.NewEncoder(escpos.PC858).Init().Align(escpos.AlignCenter).Line("HELLO").QR("render-me", escpos.QROptions{ModuleSize: 5}).Cut(false, 0).Bytes()
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
	r := &escpos.Raster{WidthBytes: (gray.Rect.Dx() + 7) / 8, Height: gray.Rect.Dy()}
	r.Data = make([]byte, r.WidthBytes*r.Height)
	for y := 0; y < r.Height; y++ {
		for x := 0; x < gray.Rect.Dx(); x++ {
			if gray.GrayAt(x, y).Y < 128 {
				r.Set(x, y)
			}
		}
	}
	if s, err := DecodeQR(r); err != nil || s != "render-me" {
		t.Errorf("QR in rendered picture: %q, %v", s, err)
	}
}

func FuzzDecode(f *testing.F) {
	seed, _ := escpos.NewEncoder(escpos.PC858).Init().Bold(true).Line("x €").QR("q", escpos.QROptions{}).Raster(escpos.NewRaster(8, 2)).Cut(true, 1).Bytes()
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
