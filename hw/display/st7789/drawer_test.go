package st7789

import (
	"image"
	"image/color"
	"testing"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/terminald/terminald/hw/display/internal/dbitest"
	"github.com/terminald/terminald/hw/display/mipidbi"
)

// The driver used as a periph display.Drawer: Draw of a non-RGBA image from a
// source offset sends exactly the pixels its ColorModel gives, and Halt
// turns the backlight and the panel off. Checked byte for byte with periph's
// SPI playback.
func TestDrawerThroughPeriph(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 4, 1))
	cols := []color.Color{
		color.NRGBA{0x12, 0x34, 0x56, 0xff},
		color.NRGBA{0xff, 0x80, 0x00, 0x80}, // half transparent: premultiplied, as image.RGBA would hold it
		color.Gray{0x7f},
		mipidbi.Color565(0xF81F),
	}
	for i, c := range cols {
		src.Set(i, 0, c)
	}
	// Draw source pixels 1..3 at (5, 7): CASET 5..7, RASET 7..7, RAMWR, data.
	var ops []conntest.IO
	for _, tx := range dbitest.Expect(InitSequence(true), 0) {
		ops = append(ops, conntest.IO{W: tx.B})
	}
	// The colour model does not depend on the connection.
	p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	probe, err := New(p, p.DC, nil, nil, &Opts{Sleep: nosleep})
	if err != nil {
		t.Fatal(err)
	}
	m := probe.ColorModel()
	if v := m.Convert(cols[0]); v != mipidbi.Color565(0x11AA) {
		t.Errorf("ColorModel(%v) = %v, want RGB565 0x11AA", cols[0], v)
	}
	var want []byte
	for x := 1; x < 4; x++ {
		v := uint16(m.Convert(src.At(x, 0)).(mipidbi.Color565))
		want = append(want, byte(v>>8), byte(v))
	}
	ops = append(ops,
		conntest.IO{W: []byte{0x2A}}, conntest.IO{W: []byte{0, 5, 0, 7}},
		conntest.IO{W: []byte{0x2B}}, conntest.IO{W: []byte{0, 7, 0, 7}},
		conntest.IO{W: []byte{0x2C}}, conntest.IO{W: want},
		conntest.IO{W: []byte{mipidbi.DISPOFF}}, conntest.IO{W: []byte{mipidbi.SLPIN}},
	)
	pb := &spitest.Playback{Playback: conntest.Playback{Ops: ops, DontPanic: true}}
	bl := &gpiotest.Pin{N: "BL"}
	dev, err := New(pb, &gpiotest.Pin{N: "DC"}, nil, bl, &Opts{Sleep: nosleep})
	if err != nil {
		t.Fatal(err)
	}
	var d display.Drawer = dev
	if d.Bounds() != image.Rect(0, 0, 240, 320) {
		t.Errorf("Bounds %v", d.Bounds())
	}
	if err := d.Draw(image.Rect(5, 7, 8, 8), src, image.Pt(1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := dev.SetBacklight(255); err != nil {
		t.Fatal(err)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
	if bl.Read() != gpio.Low {
		t.Error("Halt left the backlight on")
	}
	// The model's colours are the panel's: converting twice changes nothing,
	// and a full-intensity channel stays full.
	for _, c := range cols {
		once := m.Convert(c)
		if twice := m.Convert(once); twice != once {
			t.Errorf("ColorModel not idempotent on %v: %v then %v", c, once, twice)
		}
	}
	if r, g, b, a := m.Convert(color.White).RGBA(); r != 0xFFFF || g != 0xFFFF || b != 0xFFFF || a != 0xFFFF {
		t.Errorf("white converts to %x %x %x %x", r, g, b, a)
	}
}

// A window on the rows (or columns) of the previous one skips RASET (or
// CASET): the controller keeps them. A raw Command forgets what was sent.
func TestWindowSkipsRepeatedRanges(t *testing.T) {
	p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	d, err := New(p, p.DC, nil, nil, &Opts{Sleep: nosleep})
	if err != nil {
		t.Fatal(err)
	}
	src := image.NewRGBA(image.Rect(0, 0, 240, 320))
	ops := func(r image.Rectangle) []byte {
		p.Reset()
		if err := d.Draw(r, src, r.Min); err != nil {
			t.Fatal(err)
		}
		var out []byte
		for _, tx := range p.Log {
			if !tx.Data {
				out = append(out, tx.B[0])
			}
		}
		return out
	}
	steps := []struct {
		r    image.Rectangle
		want []byte
	}{
		{image.Rect(0, 0, 10, 4), []byte{mipidbi.CASET, mipidbi.RASET, mipidbi.RAMWR}},
		{image.Rect(20, 0, 30, 4), []byte{mipidbi.CASET, mipidbi.RAMWR}}, // same rows
		{image.Rect(20, 8, 30, 9), []byte{mipidbi.RASET, mipidbi.RAMWR}}, // same columns
		{image.Rect(20, 8, 30, 9), []byte{mipidbi.RAMWR}},                // same window
		{image.Rect(0, 0, 10, 4), []byte{mipidbi.CASET, mipidbi.RASET, mipidbi.RAMWR}},
	}
	for i, st := range steps {
		if got := ops(st.r); string(got) != string(st.want) {
			t.Errorf("step %d %v: commands % X, want % X", i, st.r, got, st.want)
		}
	}
	if err := d.Command(mipidbi.NORON); err != nil {
		t.Fatal(err)
	}
	if got := ops(image.Rect(0, 0, 10, 4)); string(got) != string([]byte{mipidbi.CASET, mipidbi.RASET, mipidbi.RAMWR}) {
		t.Errorf("after a raw command: % X, want the full window", got)
	}
}
