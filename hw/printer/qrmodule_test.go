package printer

import (
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/hw/printer/escposdoc"
	"github.com/terminald/terminald/receipt"
)

// payloadOfModules returns a refund-style URL whose QR code at level M in
// byte mode is n modules a side.
func payloadOfModules(t *testing.T, n int) string {
	t.Helper()
	for k := 10; k < 1000; k++ {
		s := "https://pay.example.test/refund/" + strings.Repeat("x7", k)
		c, err := qr.Encode(s, qr.M, qr.Unicode)
		if err != nil {
			t.Fatal(err)
		}
		if c.Bounds().Dx() == n {
			return s
		}
	}
	t.Fatalf("no payload of %d modules", n)
	return ""
}

// A native QR code is sent at a module size whose code and quiet zone fit
// the paper: a 69-module code on 58 mm paper (384 dots) used to go out at 6
// dots a module (414 dots of code).
func TestNativeQRModuleFitsPaper(t *testing.T) {
	long := payloadOfModules(t, 69)
	short := "pi_3Nx7Y2KZ0a1b2c3d"
	tests := []struct {
		name   string
		paper  escpos.Paper
		want   int // module size the printer gets
		data   string
		config int // Layout.QRModuleSize
	}{
		{"long on 58 mm", escpos.Paper58, 4, long, 0}, // 77 modules with quiet zone: 384/77 = 4
		{"long on 80 mm", escpos.Paper80, 6, long, 0}, // 576/77 = 7, capped at the default 6
		{"long on 80 mm, 8 asked", escpos.Paper80, 7, long, 8},
		{"short on 58 mm", escpos.Paper58, 6, short, 0},
		{"short on 58 mm, 3 asked", escpos.Paper58, 3, short, 3},
	}
	for _, tt := range tests {
		l := Layout{Paper: tt.paper, CodePage: escpos.PC858, QRModuleSize: tt.config}
		b, err := l.Encode(receipt.Receipt{Kind: receipt.Refund, Number: 7, QR: tt.data, Cut: true,
			Lines: []receipt.Line{{Text: "Refund"}}})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		doc, err := escposdoc.Decode(b)
		if err != nil {
			t.Fatalf("%s: decode: %v", tt.name, err)
		}
		var q *escposdoc.QR
		for _, it := range doc.Items {
			if it.Kind == escposdoc.ItemQR {
				q = it.QR
			}
		}
		if q == nil || !q.Native || q.Data != tt.data {
			t.Fatalf("%s: no native QR of the payload in %+v", tt.name, doc.Items)
		}
		c, _ := qr.Encode(q.Data, qr.M, qr.Unicode)
		if dots := (c.Bounds().Dx() + 8) * q.ModuleSize; q.ModuleSize != tt.want || dots > tt.paper.Dots {
			t.Errorf("%s: module size %d (%d dots with quiet zone on a %d-dot line), want %d",
				tt.name, q.ModuleSize, dots, tt.paper.Dots, tt.want)
		}
	}
}

func TestNativeQRModuleTooBig(t *testing.T) {
	if _, err := NativeQRModule(strings.Repeat("x", 2900), escpos.QROptions{Level: escpos.ECMedium}, 100); err == nil {
		t.Error("a 2,900-byte QR code fits 100 dots?")
	}
}
