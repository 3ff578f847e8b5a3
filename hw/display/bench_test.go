package display_test

import (
	"fmt"
	"image"
	"testing"
	"time"

	"github.com/boombuler/barcode/qr"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/hw/display/internal/dbitest"
	"github.com/terminald/terminald/hw/display/st7789"
	"github.com/terminald/terminald/internal/cpuclock"
	"github.com/terminald/terminald/screen"
)

// BenchmarkTransition measures the SPI bytes one screen change costs on a
// 240×320 ST7789 (through the real driver into the emulator), against a full
// frame redraw. spi/changed is the SPI bytes over the RGB565 bytes of the
// pixels that changed (1.0 is the floor; windowing commands and unchanged
// pixels inside the rectangles sent add to it; issue 16's goal is 1.05);
// spi/bbox is the SPI bytes over the RGB565 bytes of the bounding box of the
// changed pixels (what one window around the change would cost); of-frame is
// the bytes over a full frame's; rendered-px/op is the pixels rendered into
// the frame buffer for the change (a countdown tick renders only the digits
// that change). TestSPIBytesPerChange asserts the ratios.
func BenchmarkTransition(b *testing.B) {
	r := renderer(b)
	s := screen.Samples(t0)
	type step struct {
		name       string
		from, to   screen.Screen
		fromT, toT time.Time
		full       bool
	}
	var steps []step
	for _, c := range transitions() {
		steps = append(steps, step{c.name, c.from, c.to, c.fromT, c.toT, false})
	}
	steps = append(steps, step{"full-frame", s[5], s[5], t0, t0, true})
	for _, c := range steps {
		b.Run(c.name, func(b *testing.B) {
			rg := newST7789(b, 240, 320, 0)
			now := t0
			d := display.New(rg.dev, r, &display.Options{Now: func() time.Time { return now }})
			var sent, rendered int64
			for b.Loop() {
				now = c.fromT
				if err := d.Show(c.from); err != nil {
					b.Fatal(err)
				}
				if c.full {
					d.Redraw()
				}
				before, r0 := rg.dev.BytesSent(), d.Stats().Rendered
				now = c.toT
				if err := d.Show(c.to); err != nil {
					b.Fatal(err)
				}
				sent += rg.dev.BytesSent() - before
				rendered += d.Stats().Rendered - r0
			}
			per := float64(sent) / float64(b.N)
			b.ReportMetric(per, "spi-bytes/op")
			b.ReportMetric(float64(rendered)/float64(b.N), "rendered-px/op")
			if !c.full {
				n, box := changedPixels(r.Render(c.from, 240, 320, c.fromT), r.Render(c.to, 240, 320, c.toT))
				b.ReportMetric(per/float64(2*n), "spi/changed")
				b.ReportMetric(per/float64(2*box.Dx()*box.Dy()), "spi/bbox")
				b.ReportMetric(per/(240*320*2), "of-frame")
			}
			b.ReportMetric(per*8/40e6*1e3, "wire-ms@40MHz/op")
		})
	}
}

// changedPixels counts the pixels that differ between a and b and returns
// their bounding box.
func changedPixels(a, b *image.RGBA) (int, image.Rectangle) {
	n := 0
	var box image.Rectangle
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := a.Rect.Min.X; x < a.Rect.Max.X; x++ {
			i := a.PixOffset(x, y)
			if a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] || a.Pix[i+3] != b.Pix[i+3] {
				n++
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return n, box
}

// BenchmarkShow measures the CPU a Show costs on the OK → QR path (render,
// diff, copy into a memory panel; the -st7789 variants send through the ST7789
// driver, windows joined as the daemon joins them for an SPI panel, to a port
// that discards): the amount screen giving way to "please
// wait", and "please wait" giving way to the QR of a new payment (a payload
// not shown before, of the same shape as the previous payment's, as a
// provider's next link is). cpu-ns/op is the process's CPU time per Show;
// qr-encode-ns/op is one encode of that payload at the level drawn, the cost
// the QR screen cannot avoid.
func BenchmarkShow(b *testing.B) {
	r := renderer(b)
	s := screen.Samples(t0)
	amount, wait, qrs := s[1], s[4], s[5]
	payload := func(i int) string { return fmt.Sprintf("https://pay.example/T1-%06d-abcdef", i) }
	for _, c := range []struct {
		name     string
		from, to func(i int) screen.Screen
	}{
		{"amount-to-wait", func(int) screen.Screen { return amount }, func(int) screen.Screen { return wait }},
		{"wait-to-new-qr", func(int) screen.Screen { return wait }, func(i int) screen.Screen { q := qrs; q.QR = payload(i); return q }},
		{"qr-countdown-tick", func(int) screen.Screen { return qrs }, func(int) screen.Screen { return qrs }},
	} {
		for _, panel := range []string{"memory", "st7789"} {
			name := c.name
			if panel != "memory" {
				name += "-" + panel
			}
			b.Run(name, func(b *testing.B) {
				now := t0
				d := display.New(display.NewMemory(240, 320), r, &display.Options{Now: func() time.Time { return now }})
				if panel == "st7789" {
					// The daemon's path to an SPI panel: the driver, windows joined for the
					// default transfer gap, a port that discards (the kernel's part left out).
					dev, err := st7789.New(&dbitest.Discard{}, &gpiotest.Pin{N: "DC"}, nil, nil, &st7789.Opts{Width: 240, Height: 320, Sleep: func(time.Duration) {}})
					if err != nil {
						b.Fatal(err)
					}
					sec := display.DefaultSection()
					sec.Driver = panel
					d = display.New(dev, r, &display.Options{Now: func() time.Time { return now }, TransferCost: sec.Options(nil).TransferCost})
				}
				var cpu time.Duration
				i := 0
				for b.Loop() {
					i++
					b.StopTimer()
					now = t0
					if err := d.Show(c.from(i)); err != nil {
						b.Fatal(err)
					}
					now = t0.Add(time.Second)
					c0, _ := cpuclock.Now()
					b.StartTimer()
					if err := d.Show(c.to(i)); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					c1, _ := cpuclock.Now()
					cpu += c1 - c0
					b.StartTimer()
				}
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
				if c.name == "wait-to-new-qr" {
					lay := r.Layout(c.to(0), 240, 320)
					level := map[string]qr.ErrorCorrectionLevel{"L": qr.L, "M": qr.M, "Q": qr.Q, "H": qr.H}[lay.QRLevel]
					c0, _ := cpuclock.Now()
					for j := 0; j < 20; j++ {
						if _, err := qr.Encode(payload(-j), level, qr.Auto); err != nil {
							b.Fatal(err)
						}
					}
					c1, _ := cpuclock.Now()
					b.ReportMetric(float64((c1-c0).Nanoseconds())/20, "qr-encode-ns/op")
				}
			})
		}
	}
}
