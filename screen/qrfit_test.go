package screen

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boombuler/barcode/qr"
	"github.com/terminald/terminald/internal/cpuclock"
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
			for _, first := range []bool{true, false} {
				shape := "next"
				if first {
					shape = "first"
				}
				b.Run(fmt.Sprintf("%dx%d/%s/%s-of-shape", sz[0], sz[1], p.name, shape), func(b *testing.B) {
					lay := r.Layout(s, sz[0], sz[1])
					c0, _ := cpuclock.Now()
					for b.Loop() {
						r.qr.valid = false // measure the encode as well as the draw
						if first {
							r.fits = nil // and the sizing of a payload shape not seen before
						}
						r.Render(s, sz[0], sz[1], testNow)
					}
					c1, _ := cpuclock.Now()
					b.ReportMetric(float64((c1-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
					b.ReportMetric(float64(lay.QRModule), "px/module")
					b.ReportMetric(float64(lay.QR.Dx()/max(lay.QRModule, 1)-2*QRQuietZone), "modules")
					b.ReportMetric(float64(3-indexLevel(lay.QRLevel)), "ec(0=L..3=H)")
				})
			}
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

// TestQRFitReuse checks that the remembered sizing gives the same code, level
// and module size as a full search, for payloads of every mode that share a
// shape with one fitted before (and for ones that do not).
func TestQRFitReuse(t *testing.T) {
	warm := newRenderer(t)
	pairs := [][2]string{
		{"https://pay.example/T1-000001-abcdef", "https://pay.example/T1-000002-zyxwvu"},
		{"0123456789012", "9876543210987"},
		{"+12345", "012345"}, // strconv.Atoi reads "+12" as numeric
		{"BITCOIN:ABC123", "BITCOIN:XYZ789"},
		{"bitcoin:abc", "BITCOIN:ABC"}, // same length, other mode
		{"a", "b"},
	}
	for _, p := range qrPayloads {
		pairs = append(pairs, [2]string{p.payload, strings.ToUpper(p.payload)})
	}
	for _, pair := range pairs {
		for _, side := range []int{100, 200, 240} {
			warm.mu.Lock()
			warm.fitQR(pair[0], side)
			got, gotLevel, gotMod := warm.fitQR(pair[1], side)
			warm.mu.Unlock()
			want, wantLevel, wantMod := fitQR(pair[1], side)
			if (got == nil) != (want == nil) || gotLevel != wantLevel || gotMod != wantMod {
				t.Errorf("%q after %q in %d px: level %s, %d px/module; want %s, %d", pair[1], pair[0], side, gotLevel, gotMod, wantLevel, wantMod)
				continue
			}
			if got != nil && got.Bounds() != want.Bounds() {
				t.Errorf("%q after %q in %d px: code %v, want %v", pair[1], pair[0], side, got.Bounds(), want.Bounds())
			}
		}
	}
}

// BenchmarkQREncode is the mandated cost of a QR screen: one encode of the
// payload at the level the screen uses (240×320), the yardstick of issue 16's
// "terminal overhead ≤ 30% of the encode".
func BenchmarkQREncode(b *testing.B) {
	r := newRenderer(b)
	for _, p := range qrPayloads {
		b.Run(p.name, func(b *testing.B) {
			lay := r.Layout(qrScreenFor(p.name, p.payload), 240, 320)
			level := qr.L
			for _, l := range qrLevels {
				if l.name == lay.QRLevel {
					level = l.level
				}
			}
			c0, _ := cpuclock.Now()
			for b.Loop() {
				if _, err := qr.Encode(p.payload, level, qr.Auto); err != nil {
					b.Fatal(err)
				}
			}
			c1, _ := cpuclock.Now()
			b.ReportMetric(float64((c1-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
