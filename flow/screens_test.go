package flow

import (
	"bytes"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/screen"
)

var updateScreens = flag.Bool("update-screens", false, "rewrite testdata/screens/LANG/*.png from the sample screens")

// screensNow is the sample screens' clock in the tests.
var screensNow = time.Date(2026, 3, 12, 14, 5, 0, 0, time.UTC)

// goldenScreens are the screens kept as golden PNGs in every language: one of each
// family (entry, choice, provider step, QR, decision, result to acknowledge, admin menu,
// PIN, list, confirmation, report).
var goldenScreens = []string{"idle-offline", "amount", "provider", "step-quote", "qr-crypto", "decision", "paid-less",
	"admin", "pin", "recent", "refund-confirm", "refund-address", "x-report"}

// goldenSquare are also golden at 240×240, where the room is tightest: the refund's
// payment and its scanned address, and an underpayment's amounts, must be readable whole
// there too.
var goldenSquare = []string{"refund-confirm", "refund-address", "decision"}

func sampleLocale(t *testing.T, lang string) *locale.Locale {
	t.Helper()
	loc, err := locale.New(locale.Options{Language: lang, TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func samplesByName(t *testing.T, lang string) map[string]screen.Screen {
	t.Helper()
	out := map[string]screen.Screen{}
	for _, s := range SampleScreens(sampleLocale(t, lang), screensNow) {
		if _, dup := out[s.Name]; dup {
			t.Fatalf("%s: sample %q twice", lang, s.Name)
		}
		out[s.Name] = s.Screen
	}
	return out
}

// The representative screens, drawn at 240×320 in every language, are the golden PNGs
// in testdata/screens (go test -run TestScreensGolden -update-screens rewrites them).
func TestScreensGolden(t *testing.T) {
	r, err := screen.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range locale.Languages() {
		samples := samplesByName(t, lang)
		type golden struct {
			name, file string
			h          int
		}
		var goldens []golden
		for _, name := range goldenScreens {
			goldens = append(goldens, golden{name, name, 320})
		}
		for _, name := range goldenSquare {
			goldens = append(goldens, golden{name, name + "-240x240", 240})
		}
		for _, g := range goldens {
			name := g.name
			s, ok := samples[name]
			if !ok {
				t.Fatalf("%s: no sample screen %q", lang, name)
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, r.Render(s, 240, g.h, screensNow)); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join("testdata", "screens", lang, g.file+".png")
			if *updateScreens {
				os.MkdirAll(filepath.Dir(file), 0o755)
				if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test ./flow -run TestScreensGolden -update-screens writes it)", err)
			}
			if !samePixels(t, want, buf.Bytes()) {
				got := filepath.Join(t.TempDir(), lang+"-"+name+".png")
				os.WriteFile(got, buf.Bytes(), 0o644)
				t.Errorf("%s/%s differs from its golden %s: got %s (lines %q)", lang, name, file, got, s.Lines)
			}
		}
	}
}

// samePixels compares two PNGs by their pixels (not their bytes: encoders may differ),
// with room for the rounding of anti-aliased glyph edges: arm64 fuses multiply-adds
// where amd64 does not, so the same text rasterizes a few levels apart on a few edge
// pixels (measured under qemu: up to 10 pixels, by 1 of 255). A channel may differ by up
// to 4 of 255 on up to 0.1 % of the pixels; a changed word, line or layout moves far more
// pixels by far more than that.
func samePixels(t *testing.T, a, b []byte) bool {
	t.Helper()
	ia, err1 := png.Decode(bytes.NewReader(a))
	ib, err2 := png.Decode(bytes.NewReader(b))
	if err1 != nil || err2 != nil {
		t.Fatalf("decode: %v, %v", err1, err2)
	}
	if ia.Bounds() != ib.Bounds() {
		return false
	}
	bd := ia.Bounds()
	var differ, worst int
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r1, g1, b1, a1 := ia.At(x, y).RGBA()
			r2, g2, b2, a2 := ib.At(x, y).RGBA()
			d := max(absDiff(r1, r2), absDiff(g1, g2), absDiff(b1, b2), absDiff(a1, a2)) >> 8
			if d > 0 {
				differ++
				worst = max(worst, d)
			}
		}
	}
	if differ > 0 {
		t.Logf("%d of %d pixels differ, by up to %d of 255", differ, bd.Dx()*bd.Dy(), worst)
	}
	return worst <= 4 && differ*1000 <= bd.Dx()*bd.Dy()
}

func absDiff(a, b uint32) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// rawKey is what a message key looks like on screen when no file has it.
var rawKey = regexp.MustCompile(`\b(screen|ui|key|status|step|phrase|receipt|format)\.[a-z_.-]+\b`)

// Every sample screen in every language but English (Danish, German) asks only for keys its own message file has
// (none falls back to English, none shows as a raw key), and every provider or engine
// text on them is matched by a [step] or [phrase] message: nothing on screen is English
// by accident. Checked through the texts the ui asked for, not by reading pixels.
func TestScreensHaveNoEnglishFallback(t *testing.T) {
	for _, lang := range locale.Languages() {
		if lang == "en" {
			continue // the fallback itself
		}
		loc := sampleLocale(t, lang)
		asked := map[string]bool{}
		var unmatched []string
		samples := sampleScreens(loc, screensNow, func(key, text string) {
			if key == "" {
				unmatched = append(unmatched, text)
				return
			}
			asked[key] = true
		})
		for key := range asked {
			if !loc.Translated(key) {
				t.Errorf("%s: the screens ask for %q, which messages/%s.toml lacks (English shown)", lang, key, lang)
			}
		}
		if len(unmatched) > 0 {
			t.Errorf("%s: texts shown as they came, untranslated: %q", lang, unmatched)
		}
		if len(asked) < 100 {
			t.Errorf("%s: only %d keys asked: the samples miss screens", lang, len(asked))
		}
		for _, s := range samples {
			texts := append([]string{s.Screen.Title, s.Screen.Amount, s.Screen.Hint, s.Screen.Provider, s.Screen.Words.Online,
				s.Screen.Words.Printer}, append(s.Screen.Lines, s.Screen.Options...)...)
			for _, txt := range texts {
				if m := rawKey.FindString(txt); m != "" {
					t.Errorf("%s/%s: raw key %q on screen: %q", lang, s.Name, m, txt)
				}
				if strings.Contains(txt, " EUR") && !strings.Contains(txt, " BTC") && !strings.HasPrefix(txt, "1 BTC") {
					t.Errorf("%s/%s: an amount not in the money format: %q", lang, s.Name, txt)
				}
			}
		}
	}
}

// The screens show amounts in the shop's money format and providers by display name.
func TestScreensMoneyAndBrands(t *testing.T) {
	for lang, want := range map[string][2]string{"da": {"12,50 €", "Betal med"}, "de": {"12,50 €", "Bezahlen mit"}, "en": {"€12.50", "Pay with"}} {
		s := samplesByName(t, lang)["provider"]
		if s.Amount != want[0] || s.Title != want[1] || strings.Join(s.Options, "|") != "AcountPay|Accrue|Crypto" {
			t.Errorf("%s provider choice: %q %q %q, want %q %q and the display names", lang, s.Title, s.Amount, s.Options, want[1], want[0])
		}
	}
	loc := sampleLocale(t, "de").WithBrands(map[string]string{"cryptogw": "ForumPay"})
	for _, s := range SampleScreens(loc, screensNow) {
		if s.Name == "qr-crypto" && s.Screen.Provider != "ForumPay" {
			t.Errorf("qr-crypto provider = %q, want providers.names' ForumPay", s.Screen.Provider)
		}
	}
}
