package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/hw/printer"
	"github.com/terminald/terminald/internal/qrread"
	"github.com/terminald/terminald/providers/acountpay"
	acountpaysb "github.com/terminald/terminald/providers/acountpay/sandbox"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/screen"
)

func readQR(t *testing.T, img image.Image) string {
	t.Helper()
	// qrread samples a module-aligned code at its modules' centres (the general
	// detector alone misses some payloads: 1 run in 20 here).
	text, err := qrread.Decode(img)
	if err != nil {
		t.Fatalf("no QR code: %v", err)
	}
	return text
}

// textQRImage turns writeTextQR's block drawing back into pixels (light blocks white).
func textQRImage(t *testing.T, text string) image.Image {
	t.Helper()
	var rows [][]rune
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		rows = append(rows, []rune(l))
	}
	const px = 4
	w := len(rows[0])
	img := image.NewGray(image.Rect(0, 0, (w+8)*px, (2*len(rows)+8)*px))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	set := func(x, y int, light bool) {
		c := color.Gray{0}
		if light {
			c.Y = 0xff
		}
		for dy := 0; dy < px; dy++ {
			for dx := 0; dx < px; dx++ {
				img.SetGray((x+4)*px+dx, (y+4)*px+dy, c)
			}
		}
	}
	for y, r := range rows {
		for x, ch := range r {
			set(x, 2*y, ch == '█' || ch == '▀')
			set(x, 2*y+1, ch == '█' || ch == '▄')
		}
	}
	return img
}

type slipPrinter struct{ got []receipt.Receipt }

func (p *slipPrinter) Print(_ context.Context, r receipt.Receipt) error {
	p.got = append(p.got, r)
	return nil
}

type brokenScreen struct{}

func (brokenScreen) Show(screen.Screen) error { return errors.New("SPI write failed") }

// TestOnboardHandsOutTheURL: the merchant's onboarding URL is printed as text and as a
// QR code on stdout, drawn as a QR code on the terminal's display, and printed on the
// receipt printer as a QR code; opening it completes onboarding at the sandbox.
func TestOnboardHandsOutTheURL(t *testing.T) {
	sb := acountpaysb.New(acountpaysb.Options{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	pt, err := acountpay.NewPartner(acountpay.Config{BaseURL: srv.URL, Variant: acountpay.VariantPartner,
		ClientID: acountpaysb.DemoClientID, ClientSecret: acountpaysb.DemoClientSecret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := pt.CreateMerchant(context.Background(), "Restaurant XYZ", "owner@restaurant-xyz.dk")
	if err != nil {
		t.Fatal(err)
	}
	r, err := screen.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	disp := display.New(display.NewMemory(240, 320), r, nil)
	prn := &slipPrinter{}
	var out bytes.Buffer
	handOutOnboarding(context.Background(), m, disp, prn, &out)
	text := out.String()
	if !strings.Contains(text, "Onboarding URL:  "+m.OnboardingURL) || !strings.Contains(text, m.ClientID) ||
		!strings.Contains(text, "display: QR code shown") || !strings.Contains(text, "printer: onboarding slip printed") {
		t.Fatalf("stdout:\n%s", text)
	}
	if got := readQR(t, disp.Frame()); got != m.OnboardingURL {
		t.Fatalf("display QR %q, want %q", got, m.OnboardingURL)
	}
	if len(prn.got) != 1 || prn.got[0].QR != m.OnboardingURL || !prn.got[0].Cut || !strings.Contains(prn.got[0].Lines[1].Text, "Restaurant XYZ") {
		t.Fatalf("printed %+v", prn.got)
	}
	// The QR drawn on stdout decodes to the URL too.
	start := strings.Index(text, "\n\n") + 2
	end := strings.Index(text[start:], "\n\n") + start
	if got := readQR(t, textQRImage(t, text[start:end])); got != m.OnboardingURL {
		t.Fatalf("stdout QR %q", got)
	}
	// A display that fails is reported; the slip is still printed.
	out.Reset()
	handOutOnboarding(context.Background(), m, brokenScreen{}, prn, &out)
	if !strings.Contains(out.String(), "display: not shown: SPI write failed") || len(prn.got) != 2 {
		t.Fatalf("broken display: %s", out.String())
	}
}

// absentPrinter is a printer not connected for its first absent calls (still being
// opened), then connected.
type absentPrinter struct {
	slipPrinter
	absent, calls int
}

func (p *absentPrinter) Print(ctx context.Context, r receipt.Receipt) error {
	p.calls++
	if p.calls <= p.absent {
		return fmt.Errorf("printer: %w: not opened yet", printer.ErrAbsent)
	}
	return p.slipPrinter.Print(ctx, r)
}

// The onboarding slip waits for a printer that is still being opened (the command opens
// it in the background, as the daemon does) instead of reporting it absent at once; one
// that stays absent is reported after the wait, and another error at once.
func TestOnboardSlipWaitsForThePrinterToOpen(t *testing.T) {
	r := receipt.Receipt{Kind: receipt.Slip, QR: "https://onboard.example/1"}
	opening := &absentPrinter{absent: 3}
	if err := printWhenOpen(context.Background(), opening, r, time.Minute); err != nil || len(opening.got) != 1 {
		t.Fatalf("printer opened after 3 tries: err %v, %d slips printed, want 1", err, len(opening.got))
	}
	missing := &absentPrinter{absent: 1 << 30}
	if err := printWhenOpen(context.Background(), missing, r, 200*time.Millisecond); !errors.Is(err, printer.ErrAbsent) || missing.calls < 2 {
		t.Fatalf("missing printer: err %v after %d tries, want ErrAbsent after trying again", err, missing.calls)
	}
	broken := &failingPrinter{err: errors.New("paper out")}
	if err := printWhenOpen(context.Background(), broken, r, time.Minute); err == nil || broken.calls != 1 {
		t.Fatalf("a printer that answers with an error: err %v after %d tries, want it at once", err, broken.calls)
	}
}

type failingPrinter struct {
	err   error
	calls int
}

func (p *failingPrinter) Print(context.Context, receipt.Receipt) error { p.calls++; return p.err }
