package display_test

import (
	"image"
	"testing"
	"time"

	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/hw/display/emulator"
	"github.com/terminald/terminald/screen"
)

// transitions are the screen changes the SPI figures are measured on (BenchmarkTransition
// and TestSPIBytesPerChange): typing an amount, the QR of a payment coming up, a
// countdown tick, the result replacing the QR.
func transitions() []struct {
	name       string
	from, to   screen.Screen
	fromT, toT time.Time
} {
	s := screen.Samples(t0)
	amount1 := screen.Screen{Kind: screen.Amount, Title: "Amount", Amount: "0.01 EUR", Status: s[1].Status, Hint: s[1].Hint}
	amount2 := amount1
	amount2.Amount = "0.12 EUR"
	return []struct {
		name       string
		from, to   screen.Screen
		fromT, toT time.Time
	}{
		{"amount-typing", amount1, amount2, t0, t0},
		{"qr-shown", s[2], s[5], t0, t0},
		{"countdown-tick", s[5], s[5], t0, t0.Add(time.Second)},
		{"countdown-tick-minute", s[5], s[5], t0.Add(59 * time.Second), t0.Add(60 * time.Second)},
		{"paid", s[5], s[6], t0, t0},
	}
}

// changedBytes is the RGB565 bytes of the pixels that differ between a and b.
func changedBytes(a, b *image.RGBA) int {
	n, _ := changedPixels(a, b)
	return 2 * n
}

// TestSPIBytesPerChange holds the SPI bytes each screen change costs on a 240×320 ST7789
// (the real driver into the emulated controller) against the RGB565 bytes of the pixels
// that changed, and checks that the panel then shows exactly the new frame. The bounds are
// today's figures with a little room: a change of the cover (Diff, bands.go) that sends
// more fails here. Issue 16's goal of 1.05 is not met by text changes (README, "What a
// screen change costs"); the countdown tick's other goal, at most 2% of a full frame, is
// asserted as is. The same numbers every run: no timing is involved.
func TestSPIBytesPerChange(t *testing.T) {
	bound := map[string]float64{
		"amount-typing":         1.26,
		"qr-shown":              1.16,
		"countdown-tick":        1.47,
		"countdown-tick-minute": 1.50,
		"paid":                  1.10,
	}
	r := renderer(t)
	for _, c := range transitions() {
		rg := newST7789(t, 240, 320, 0)
		now := c.fromT
		d := display.New(rg.dev, r, &display.Options{Now: func() time.Time { return now }})
		if err := d.Show(c.from); err != nil {
			t.Fatal(err)
		}
		before := rg.dev.BytesSent()
		now = c.toT
		if err := d.Show(c.to); err != nil {
			t.Fatal(err)
		}
		sent := float64(rg.dev.BytesSent() - before)
		want := r.Render(c.to, 240, 320, c.toT)
		changed := float64(changedBytes(r.Render(c.from, 240, 320, c.fromT), want))
		ratio := sent / changed
		t.Logf("%s: %.0f SPI bytes for %.0f changed, %.3f×, %.2f%% of a frame", c.name, sent, changed, ratio, 100*sent/(240*320*2+1))
		if ratio > bound[c.name] {
			t.Errorf("%s: %.3f× the changed pixels' bytes, want at most %.2f×", c.name, ratio, bound[c.name])
		}
		if c.from.Kind == c.to.Kind && sent > 0.02*(240*320*2) {
			t.Errorf("%s: %.0f bytes, more than 2%% of a frame", c.name, sent)
		}
		if p, ok := sameImage(rg.emu.Image(), emulator.Quantize(want)); !ok {
			t.Errorf("%s: the panel differs from the new frame at %v", c.name, p)
		}
	}
}

// A countdown tick renders only the characters that change into the frame buffer (the
// last digit on most ticks, the last three when the minute changes), sends only those
// pixels that changed, and leaves the frame exactly as a full render; showing the same
// screen in the same second renders and sends nothing.
func TestCountdownTickRendersItsDigitsOnly(t *testing.T) {
	r := renderer(t)
	mem := display.NewMemory(240, 320)
	now := t0
	d := display.New(mem, r, &display.Options{Now: func() time.Time { return now }})
	qr := screen.Samples(t0)[5]
	if err := d.Show(qr); err != nil {
		t.Fatal(err)
	}
	lay := r.Layout(qr, 240, 320)
	digit := lay.Countdown.Dx() * lay.Countdown.Dy() / 4
	for i := 1; i <= 70; i++ {
		now = t0.Add(time.Duration(i) * time.Second)
		st0 := d.Stats()
		if err := d.Show(qr); err != nil {
			t.Fatal(err)
		}
		st := d.Stats()
		rendered := st.Rendered - st0.Rendered
		limit := int64(digit)
		if screen.Countdown(qr.Deadline, now)[3:] == "59" { // a minute's tick: three characters change
			limit = int64(3 * digit)
		}
		if rendered == 0 || rendered > limit {
			t.Fatalf("tick to %s rendered %d pixels, want 1..%d", screen.Countdown(qr.Deadline, now), rendered, limit)
		}
		if p, ok := sameImage(mem.Snapshot(), r.Render(qr, 240, 320, now)); !ok {
			t.Fatalf("tick to %s: panel differs from a full render at %v", screen.Countdown(qr.Deadline, now), p)
		}
		// The same screen again in the same second.
		st0 = d.Stats()
		if err := d.Show(qr); err != nil {
			t.Fatal(err)
		}
		if st = d.Stats(); st.Rendered != st0.Rendered || st.Rects != st0.Rects || st.Same != st0.Same+1 {
			t.Fatalf("the same screen again rendered %d pixels and sent %d rectangles", st.Rendered-st0.Rendered, st.Rects-st0.Rects)
		}
	}
}

// fakeTimer is an Options.AfterFunc that fires only when told to.
type fakeTimer struct {
	f       func()
	stopped bool
	n       int // timers started
}

func (ft *fakeTimer) after(_ time.Duration, f func()) func() bool {
	ft.f, ft.stopped = f, false
	ft.n++
	return func() bool { ft.stopped = true; return true }
}

// With WaitDelay a "please wait" screen that the provider's answer replaces at once is
// never rendered or sent (the panel goes from the amount straight to the QR); one that
// is not replaced in time is drawn when its delay passes; without WaitDelay it is drawn
// at once.
func TestWaitScreenHeldBack(t *testing.T) {
	r := renderer(t)
	s := screen.Samples(t0)
	amount, wait, qr := s[1], s[4], s[5]
	ft := &fakeTimer{}
	mem := display.NewMemory(240, 320)
	d := display.New(mem, r, &display.Options{Now: func() time.Time { return t0 }, WaitDelay: display.DefaultWaitDelay, AfterFunc: ft.after})
	show := func(s screen.Screen) {
		t.Helper()
		if err := d.Show(s); err != nil {
			t.Fatal(err)
		}
	}
	show(amount)
	st0 := d.Stats()
	show(wait)
	if st := d.Stats(); st.Rendered != st0.Rendered || st.Rects != st0.Rects || st.Held != 1 {
		t.Fatalf("wait screen drawn at once: %+v", st)
	}
	show(qr) // the provider answered within the delay
	if !ft.stopped {
		t.Error("the held wait screen's timer was not stopped")
	}
	ft.f() // a timer that fired anyway draws nothing
	if p, ok := sameImage(mem.Snapshot(), r.Render(qr, 240, 320, t0)); !ok {
		t.Fatalf("panel is not the QR screen (differs at %v)", p)
	}
	if st := d.Stats(); st.Rendered != st0.Rendered+240*320 {
		t.Errorf("rendered %d pixels for amount → QR, want one frame", st.Rendered-st0.Rendered)
	}
	// A provider that takes longer: the wait screen comes up when the delay passes; one
	// changed meanwhile replaces it without starting the delay again.
	show(amount)
	show(wait)
	timers := ft.n
	checking := wait
	checking.Lines = []string{"Checking with Lightning…"}
	show(checking)
	if ft.n != timers {
		t.Error("a second wait screen started a new delay")
	}
	ft.f()
	if p, ok := sameImage(mem.Snapshot(), r.Render(checking, 240, 320, t0)); !ok {
		t.Fatalf("panel is not the latest wait screen after the delay (differs at %v)", p)
	}
	// Without WaitDelay (the simulator) it is drawn at once.
	d = display.New(mem, r, &display.Options{Now: func() time.Time { return t0 }})
	show(amount)
	show(wait)
	if p, ok := sameImage(mem.Snapshot(), r.Render(wait, 240, 320, t0)); !ok {
		t.Fatalf("wait screen not drawn at once without WaitDelay (differs at %v)", p)
	}
}

// With the daemon's SPI settings (display.spi_transfer_gap, 15 µs at 40 MHz) a screen
// change goes out in fewer SPI transfers than Diff's byte-minimal cover, and the panel
// shows exactly the new frame; the estimated bus time (bytes at 40 MHz plus the gap per
// transfer) is lower for every change that has more than one window.
func TestTransferGapCutsSPITransfers(t *testing.T) {
	sec := display.DefaultSection()
	sec.Driver = "st7789"
	opts := sec.Options(nil)
	if opts.TransferCost != 75 {
		t.Fatalf("TransferCost %d for %v at %d Hz, want 75 bytes", opts.TransferCost, sec.SPITransferGap, sec.SpeedHz)
	}
	r := renderer(t)
	bus := func(st emulator.Stats) time.Duration {
		return time.Duration(st.Bytes)*200*time.Nanosecond + time.Duration(st.Transfers)*sec.SPITransferGap
	}
	for _, c := range transitions() {
		var stats [2]emulator.Stats
		for i, cost := range []int{0, opts.TransferCost} {
			rg := newST7789(t, 240, 320, 0)
			now := c.fromT
			d := display.New(rg.dev, r, &display.Options{Now: func() time.Time { return now }, TransferCost: cost})
			if err := d.Show(c.from); err != nil {
				t.Fatal(err)
			}
			rg.emu.ResetStats()
			now = c.toT
			if err := d.Show(c.to); err != nil {
				t.Fatal(err)
			}
			stats[i] = rg.emu.Stats()
			if p, ok := sameImage(rg.emu.Image(), emulator.Quantize(r.Render(c.to, 240, 320, c.toT))); !ok {
				t.Fatalf("%s, transfer cost %d: the panel differs from the new frame at %v", c.name, cost, p)
			}
		}
		t.Logf("%s: %d → %d transfers, %d → %d bytes, bus ≈ %v → %v", c.name, stats[0].Transfers, stats[1].Transfers,
			stats[0].Bytes, stats[1].Bytes, bus(stats[0]), bus(stats[1]))
		if stats[1].Transfers > stats[0].Transfers || bus(stats[1]) > bus(stats[0]) {
			t.Errorf("%s: %d transfers (bus ≈ %v) with the gap counted, Diff's cover alone %d (%v)", c.name,
				stats[1].Transfers, bus(stats[1]), stats[0].Transfers, bus(stats[0]))
		}
		if c.name == "qr-shown" && stats[1].Transfers*4 > stats[0].Transfers {
			t.Errorf("qr-shown: %d transfers, want at most a quarter of %d", stats[1].Transfers, stats[0].Transfers)
		}
	}
}
