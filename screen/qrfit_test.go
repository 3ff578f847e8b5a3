package screen

import (
	"fmt"
	"testing"
	"time"

	"github.com/boombuler/barcode/qr"
)

// Payloads as the providers put them in the QR (lengths of the real ones).
var qrPayloads = []struct{ name, payload string }{
	{"acountpay-url", "https://pay.acountpay.com/pay/7Hq2LmX9pQzR4sTv8WyB3nK6dF1gJ5cA"},
	{"accrue-wallet", "5f0c2d3e-0001-4a6b-9c1d-000000000001"},
	{"crypto-uri", "bitcoin:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq?amount=0.00843504"},
}

// qrScreenFor is the QR screen the flow shows for a payload: the crypto
// screen carries two status lines (amount in coin, confirmations).
func qrScreenFor(name, payload string) Screen {
	s := Screen{Kind: QR, Title: "Scan to pay", Amount: "48.25 EUR", Provider: "AcountPay", QR: payload,
		Deadline: testNow.Add(10 * time.Minute), Lines: []string{"Waiting for customer"}, Hint: "X = cancel"}
	if name == "crypto-uri" {
		s.Provider = "ForumPay"
		s.Lines = []string{"0.00843504 BTC", "Waiting for payment"}
	}
	return s
}

// Module size beats error correction: the largest module size at which the
// code fits at all, then the highest level that fits at that size. Checked
// against every (level, module size) pair at each side where the answer
// can change (a code size times a module size, and one pixel less).
func TestFitQRModuleSizeFirst(t *testing.T) {
	levels := []qr.ErrorCorrectionLevel{qr.H, qr.Q, qr.M, qr.L}
	names := []string{"H", "Q", "M", "L"}
	payloads := append(qrPayloads, struct{ name, payload string }{"long", "https://pay.example.com/i/" + fmt.Sprint(make([]int, 30))})
	if testing.Short() {
		payloads = payloads[2:3]
	}
	for _, p := range payloads {
		var sizes [4]int
		for i, l := range levels {
			c, err := qr.Encode(p.payload, l, qr.Auto)
			if err != nil {
				t.Fatal(err)
			}
			sizes[i] = c.Bounds().Dx() + 2*QRQuietZone
		}
		sides := map[int]bool{}
		for _, n := range sizes {
			for m := MinQRModule; m <= 6; m++ {
				if n*m <= 320 {
					sides[n*m], sides[n*m-1] = true, true
				}
			}
		}
		for side := range sides {
			wantM, wantL := 0, ""
			for m := side; m >= MinQRModule && wantM == 0; m-- {
				for i := range levels {
					if sizes[i]*m <= side {
						wantM, wantL = m, names[i]
						break
					}
				}
			}
			code, level, m := fitQR(p.payload, side)
			if m != wantM || level != wantL || (wantM == 0) != (code == nil) {
				t.Fatalf("%s in %d px: module %d level %q, want module %d level %q", p.name, side, m, level, wantM, wantL)
			}
		}
	}
}

// The crypto screen at 240×320 used to pick level H at 3 px a module when
// level M fits at 4 px.
func TestCryptoQRAt240x320UsesFourPixelModules(t *testing.T) {
	r := newRenderer(t)
	s := qrScreenFor("crypto-uri", qrPayloads[2].payload)
	lay := r.Layout(s, 240, 320)
	if lay.QRModule < 4 {
		t.Errorf("crypto QR at 240x320: %d px/module level %s, want 4 px or more", lay.QRModule, lay.QRLevel)
	}
	img := r.Render(s, 240, 320, testNow)
	if got := decodeQR(t, img.SubImage(lay.QR)); got != s.QR {
		t.Errorf("decodes as %q", got)
	}
}

// BenchmarkQRScreen renders the QR screen per display size and payload kind
// and reports the module size and code size chosen (the README's table):
//
//	go test ./screen -run XXX -bench QRScreen
func BenchmarkQRScreen(b *testing.B) {
	r := newRenderer(b)
	for _, sz := range Sizes {
		for _, p := range qrPayloads {
			s := qrScreenFor(p.name, p.payload)
			b.Run(fmt.Sprintf("%dx%d/%s", sz[0], sz[1], p.name), func(b *testing.B) {
				lay := r.Layout(s, sz[0], sz[1])
				for b.Loop() {
					r.qr.valid = false // measure the encode as well as the draw
					r.Render(s, sz[0], sz[1], testNow)
				}
				b.ReportMetric(float64(lay.QRModule), "px/module")
				b.ReportMetric(float64(lay.QR.Dx()/max(lay.QRModule, 1)-2*QRQuietZone), "modules")
				b.ReportMetric(float64(3-indexLevel(lay.QRLevel)), "ec(0=L..3=H)")
			})
		}
	}
}

func indexLevel(l string) int {
	for i, n := range []string{"H", "Q", "M", "L"} {
		if n == l {
			return i
		}
	}
	return 0
}
