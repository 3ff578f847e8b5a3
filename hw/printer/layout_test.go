package printer

import (
	"bytes"
	"flag"
	goldenfile "github.com/terminald/terminald/hw/printer/internal/golden"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/hw/printer/escposdoc"
	"github.com/terminald/terminald/receipt"
)

var update = flag.Bool("update", false, "rewrite golden files and the README sample picture")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, name, got, *update)
}

// samples returns one receipt of every kind, as the payment flow builds them.
func samples() []receipt.Receipt {
	head := []receipt.Line{
		{Text: "Café Zentral", Align: receipt.Center, Bold: true, Double: true},
		{Text: "Hauptstraße 1, 10115 Berlin", Align: receipt.Center},
		{Text: "2025-03-14 12:30", Align: receipt.Center},
	}
	mk := func(k receipt.Kind, n uint64, qr, cp string, lines ...receipt.Line) receipt.Receipt {
		return receipt.Receipt{Kind: k, Number: n, Lines: append(append([]receipt.Line{}, head...), lines...), QR: qr, Copy: cp, Cut: true}
	}
	return []receipt.Receipt{
		mk(receipt.Sale, 1, "pi_3Nx7Y2KZ0a1b2c3d", "CUSTOMER COPY",
			receipt.Line{Text: "Payment", Right: "Stripe Terminal"},
			receipt.Line{Text: "Reference", Right: "pi_3Nx7Y2KZ0a1b2c3d"},
			receipt.Line{Text: "TOTAL", Right: "12,50 €", Bold: true, Double: true},
			receipt.Line{Text: "Thank you!", Align: receipt.Center}),
		mk(receipt.Slip, 2, "", "",
			receipt.Line{Text: "PAYMENT CANCELLED", Align: receipt.Center, Bold: true},
			receipt.Line{Text: "Amount", Right: "3,20 €"},
			receipt.Line{Text: "Reason", Right: "cancelled by the customer at the terminal before paying"}),
		mk(receipt.LatePaid, 3, "btcpay:inv_8f2k", "",
			receipt.Line{Text: "PAID AFTER CANCEL", Align: receipt.Center, Bold: true},
			receipt.Line{Text: "A payment that arrived after the cashier cancelled it was received and must be refunded or kept", Right: "0,00021 BTC"}),
		mk(receipt.Unconfirmed, 4, "sumup-TX77", "MERCHANT COPY",
			receipt.Line{Text: "Register did not confirm", Align: receipt.Center},
			receipt.Line{Text: "Amount", Right: "99,99 €"}),
		mk(receipt.Underpaid, 5, "lnbc1u1pj0xyz", "",
			receipt.Line{Text: "UNDERPAID - ACCEPTED", Bold: true},
			receipt.Line{Text: "Requested", Right: "10,00 €"},
			receipt.Line{Text: "Received", Right: "9,70 €"}),
		mk(receipt.Refund, 6, "re_1Abc", "",
			receipt.Line{Text: "REFUND", Align: receipt.Right, Double: true},
			receipt.Line{Text: "Amount", Right: "-12,50 €"}),
		mk(receipt.EndOfDay, 7, "", "",
			receipt.Line{Text: "END OF DAY 2025-03-14", Bold: true},
			receipt.Line{Text: "Payments settled", Right: "42"},
			receipt.Line{Text: "Sum", Right: "1.234,56 €"},
			receipt.Line{Text: "Refunds", Right: "2"},
			receipt.Line{},
			receipt.Line{Text: "averyveryverylongwordwithoutanyspacesthatmustbesplitsomewhere"}),
	}
}

func testLogo(t *testing.T) *escpos.Raster {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 600, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 600; x++ {
			dx, dy := x-300, y-100
			switch {
			case dx*dx/9+dy*dy < 90*90 && dx*dx/9+dy*dy > 70*70:
				img.Set(x, y, color.Black)
			case dy > -20 && dy < 20 && dx > -150 && dx < 150:
				img.Set(x, y, color.Gray{Y: uint8(x * 255 / 600)})
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	logo, err := LoadLogo(&buf, 384, false)
	if err != nil {
		t.Fatal(err)
	}
	return logo
}

func TestLayoutGolden(t *testing.T) {
	sale := samples()[0]
	logo := testLogo(t)
	for _, c := range []struct {
		name string
		l    Layout
		r    receipt.Receipt
	}{
		{"sale-58", Layout{Paper: escpos.Paper58, CodePage: escpos.PC858}, sale},
		{"sale-80", Layout{Paper: escpos.Paper80, CodePage: escpos.PC858}, sale},
		{"sale-58-cp437-rasterqr-partial", Layout{Paper: escpos.Paper58, CodePage: escpos.CP437, RasterQR: true, PartialCut: true}, sale},
		{"sale-80-wpc1252-logo", Layout{Paper: escpos.Paper80, CodePage: escpos.WPC1252, Logo: logo}, sale},
		{"slip-58", Layout{Paper: escpos.Paper58, CodePage: escpos.PC858}, samples()[1]},
		{"end-of-day-80", Layout{Paper: escpos.Paper80, CodePage: escpos.PC858}, samples()[6]},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.l.Encode(c.r)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name, b)
		})
	}
}

func TestLayoutLines58(t *testing.T) {
	b, err := Layout{Paper: escpos.Paper58, CodePage: escpos.PC858}.Encode(samples()[0])
	if err != nil {
		t.Fatal(err)
	}
	doc, err := escposdoc.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CUSTOMER COPY",
		"Café Zentral",
		"Hauptstraße 1, 10115 Berlin",
		"2025-03-14 12:30",
		"Payment          Stripe Terminal",
		"Reference    pi_3Nx7Y2KZ0a1b2c3d",
		"TOTAL    12,50 €", // double width: 16 columns
		"Thank you!",
	}
	if got := doc.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, it := range doc.Items {
		if it.Kind == escposdoc.ItemText && len([]rune(it.Text))*it.Style.Width > 32 {
			t.Errorf("line %q wider than 32 columns", it.Text)
		}
	}
}

func TestLabelValueWrap(t *testing.T) {
	cases := []struct {
		label, value string
		cols         int
		want         []string
	}{
		{"Total", "1,00", 12, []string{"Total   1,00"}},
		{"", "1,00", 8, []string{"    1,00"}},
		{"Reason for it", "cancelled", 12, []string{"Reason for", "it cancelled"}},
		{"Long label words", "value-that-is-long", 12, []string{"Long label", "words", "value-that-i", "      s-long"}},
	}
	for _, c := range cases {
		got := labelValue(c.label, c.value, c.cols)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("labelValue(%q, %q, %d) = %q, want %q", c.label, c.value, c.cols, got, c.want)
		}
		for _, s := range got {
			if len([]rune(s)) > c.cols {
				t.Errorf("line %q longer than %d", s, c.cols)
			}
		}
	}
}

// Every kind survives encode → decode with its words, in order, and its QR payload, at
// both paper widths and with native and raster QR codes.
func TestRoundTripEveryKind(t *testing.T) {
	for _, l := range []Layout{
		{Paper: escpos.Paper58, CodePage: escpos.PC858},
		{Paper: escpos.Paper80, CodePage: escpos.PC858, RasterQR: true},
	} {
		for _, r := range samples() {
			t.Run(string(r.Kind)+"-"+map[int]string{32: "58", 48: "80"}[l.Paper.Columns], func(t *testing.T) {
				b, err := l.Encode(r)
				if err != nil {
					t.Fatal(err)
				}
				doc, err := escposdoc.Decode(b)
				if err != nil {
					t.Fatal(err)
				}
				doc.ScanImages()
				var want []string
				want = append(want, strings.Fields(r.Copy)...)
				for _, ln := range r.Lines {
					want = append(append(want, strings.Fields(ln.Text)...), strings.Fields(ln.Right)...)
				}
				got := strings.Fields(strings.Join(doc.Lines(), " "))
				if strings.Join(got, " ") != strings.Join(want, " ") {
					// Words longer than a line are split; compare without spaces then.
					if strings.Join(got, "") != strings.Join(want, "") {
						t.Errorf("text:\n%q\nwant:\n%q", got, want)
					}
				}
				var qrs []string
				if r.QR != "" {
					qrs = []string{r.QR}
				}
				if strings.Join(doc.QRs(), "|") != strings.Join(qrs, "|") {
					t.Errorf("QR %q, want %q", doc.QRs(), qrs)
				}
				if doc.Cuts() != 1 {
					t.Errorf("%d cuts, want 1", doc.Cuts())
				}
			})
		}
	}
}

func TestLayoutErrors(t *testing.T) {
	if _, err := (Layout{CodePage: 99}).Encode(samples()[0]); err == nil {
		t.Error("unknown code page accepted")
	}
	r := samples()[0]
	r.QR = strings.Repeat("x", escpos.MaxQRData+1)
	if _, err := (Layout{}).Encode(r); err == nil {
		t.Error("oversized QR accepted")
	}
}

// TestReceiptSample draws the README picture (written with -update) and checks that its
// QR code scans.
func TestReceiptSample(t *testing.T) {
	l := Layout{Paper: escpos.Paper58, CodePage: escpos.PC858, Logo: testLogo(t), QRModuleSize: 5}
	b, err := l.Encode(samples()[0])
	if err != nil {
		t.Fatal(err)
	}
	doc, err := escposdoc.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	img := escposdoc.RenderPNG(doc, l.Paper.Dots)
	r, err := escpos.RasterFromImage(img, escpos.ImageOptions{Threshold: true})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := escposdoc.DecodeQR(r); err != nil || s != samples()[0].QR {
		t.Errorf("QR in picture = %q, %v", s, err)
	}
	if *update {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "receipt-sample.png"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzLayout: receipt text comes from providers and registers; any text lays out into a
// well-formed stream with no line wider than the paper.
func FuzzLayout(f *testing.F) {
	f.Add("Total", "12,50 €", "pi_123", false, true)
	f.Add("\x1b@\x1dV\x00", "\x10\x04\x01", "", true, false)
	f.Add("averyveryverylongwordwithoutanyspacesthatmustbesplit", "", "x", false, false)
	f.Fuzz(func(t *testing.T, text, right, qr string, double, bold bool) {
		l := Layout{Paper: escpos.Paper58, CodePage: escpos.PC858}
		r := receipt.Receipt{Lines: []receipt.Line{{Text: text, Right: right, Double: double, Bold: bold}}, QR: qr, Cut: true}
		b, err := l.Encode(r)
		if err != nil {
			if len(qr) > escpos.MaxQRData {
				return
			}
			t.Fatal(err)
		}
		doc, err := escposdoc.Decode(b)
		if err != nil {
			t.Fatalf("layout wrote a malformed stream: %v", err)
		}
		for _, it := range doc.Items {
			if it.Kind == escposdoc.ItemText && len([]rune(it.Text))*it.Style.Width > l.Paper.Columns {
				t.Fatalf("line %q too wide", it.Text)
			}
		}
		if doc.Cuts() != 1 {
			t.Fatalf("%d cuts", doc.Cuts())
		}
	})
}
