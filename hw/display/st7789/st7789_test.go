package st7789

import (
	"bytes"
	"image"
	"image/color"
	"reflect"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/terminald/terminald/hw/display/internal/dbitest"
	"github.com/terminald/terminald/hw/display/mipidbi"
)

func nosleep(time.Duration) {}

func TestInitSequencePerRotation(t *testing.T) {
	want := map[int]byte{0: 0x00, 90: 0x60, 180: 0xC0, 270: 0xA0}
	for rot, m := range want {
		for _, bgr := range []bool{false, true} {
			p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
			d, err := New(p, p.DC, nil, nil, &Opts{Rotation: rot, BGR: bgr, Sleep: nosleep})
			if err != nil {
				t.Fatal(err)
			}
			wm := m
			if bgr {
				wm |= mipidbi.BGR
			}
			exp := dbitest.Expect(InitSequence(true), wm)
			if !reflect.DeepEqual(p.Log, exp) {
				t.Errorf("rotation %d bgr %v:\ngot\n%s\nwant\n%s", rot, bgr, dbitest.Dump(p.Log), dbitest.Dump(exp))
			}
			if d.MADCTL() != wm {
				t.Errorf("rotation %d: MADCTL %#x, want %#x", rot, d.MADCTL(), wm)
			}
			wb := image.Rect(0, 0, 240, 320)
			if rot == 90 || rot == 270 {
				wb = image.Rect(0, 0, 320, 240)
			}
			if d.Bounds() != wb {
				t.Errorf("rotation %d: bounds %v, want %v", rot, d.Bounds(), wb)
			}
		}
	}
}

func TestInitSequenceOrder(t *testing.T) {
	var ops []byte
	for _, c := range InitSequence(true) {
		ops = append(ops, c.Op)
	}
	want := []byte{0x01, 0x11, 0x3A, 0x36, 0xB2, 0xC6, 0xE0, 0xE1, 0x21, 0x13, 0x29}
	if !bytes.Equal(ops, want) {
		t.Errorf("init ops % X, want % X", ops, want)
	}
	if InitSequence(false)[8].Op != mipidbi.INVOFF {
		t.Error("NoInvert does not send INVOFF")
	}
	if c := InitSequence(true)[2]; !bytes.Equal(c.Data, []byte{0x55}) {
		t.Errorf("COLMOD %X, want 55 (RGB565)", c.Data)
	}
}

// TestPlayback checks the exact bytes with periph's playback: init, then a
// 2×2 window write.
func TestPlayback(t *testing.T) {
	var ops []conntest.IO
	for _, tx := range dbitest.Expect(InitSequence(true), 0) {
		ops = append(ops, conntest.IO{W: tx.B})
	}
	ops = append(ops,
		conntest.IO{W: []byte{0x2A}}, conntest.IO{W: []byte{0x00, 10, 0x00, 11}},
		conntest.IO{W: []byte{0x2B}}, conntest.IO{W: []byte{0x00, 20, 0x00, 21}},
		conntest.IO{W: []byte{0x2C}},
		conntest.IO{W: []byte{0xF8, 0x00, 0x07, 0xE0, 0x00, 0x1F, 0xFF, 0xFF}},
	)
	pb := &spitest.Playback{Playback: conntest.Playback{Ops: ops, DontPanic: true}}
	dc := &gpiotest.Pin{N: "DC"}
	d, err := New(pb, dc, nil, nil, &Opts{Sleep: nosleep})
	if err != nil {
		t.Fatal(err)
	}
	src := image.NewRGBA(image.Rect(0, 0, 2, 2))
	src.Set(0, 0, color.RGBA{0xff, 0, 0, 0xff})
	src.Set(1, 0, color.RGBA{0, 0xff, 0, 0xff})
	src.Set(0, 1, color.RGBA{0, 0, 0xff, 0xff})
	src.Set(1, 1, color.RGBA{0xff, 0xff, 0xff, 0xff})
	if err := d.Draw(image.Rect(10, 20, 12, 22), src, image.Point{}); err != nil {
		t.Fatal(err)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
	if dc.Read() != gpio.High {
		t.Error("D/C not high after pixel data")
	}
}

func TestWindowOffsets240x240(t *testing.T) {
	// A 240×240 panel at the top of the 240×320 memory: mirrored rotations
	// address rows (or columns) 80..319.
	cases := map[int][2][]byte{
		0:   {{0, 0, 0, 239}, {0, 0, 0, 239}},
		90:  {{0, 0, 0, 239}, {0, 0, 0, 239}},
		180: {{0, 0, 0, 239}, {0, 80, 0x01, 0x3F}},
		270: {{0, 80, 0x01, 0x3F}, {0, 0, 0, 239}},
	}
	for rot, want := range cases {
		p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
		d, err := New(p, p.DC, nil, nil, &Opts{Width: 240, Height: 240, Rotation: rot, Sleep: nosleep})
		if err != nil {
			t.Fatal(err)
		}
		p.Reset()
		if err := d.Draw(d.Bounds(), image.NewUniform(color.White), image.Point{}); err != nil {
			t.Fatal(err)
		}
		if got := p.Log[1].B; !bytes.Equal(got, want[0]) {
			t.Errorf("rotation %d: CASET % X, want % X", rot, got, want[0])
		}
		if got := p.Log[3].B; !bytes.Equal(got, want[1]) {
			t.Errorf("rotation %d: RASET % X, want % X", rot, got, want[1])
		}
	}
}

func TestChunking(t *testing.T) {
	for _, max := range []int{0, 1000, 4095} {
		p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
		d, err := New(p, p.DC, nil, nil, &Opts{MaxTx: max, Sleep: nosleep})
		if err != nil {
			t.Fatal(err)
		}
		p.Reset()
		img := image.NewRGBA(image.Rect(0, 0, 240, 320))
		if err := d.Draw(img.Bounds(), img, image.Point{}); err != nil {
			t.Fatal(err)
		}
		limit := max &^ 1
		if max == 0 {
			limit = 4096
		}
		total := 0
		for _, tx := range p.Log[5:] {
			if !tx.Data || len(tx.B) > limit || len(tx.B)%2 != 0 {
				t.Fatalf("MaxTx %d: bad pixel write of %d bytes (data %v)", max, len(tx.B), tx.Data)
			}
			total += len(tx.B)
		}
		if total != 240*320*2 {
			t.Errorf("MaxTx %d: %d pixel bytes, want %d", max, total, 240*320*2)
		}
	}
}

func TestDrawClips(t *testing.T) {
	p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	d, err := New(p, p.DC, nil, nil, &Opts{Sleep: nosleep})
	if err != nil {
		t.Fatal(err)
	}
	p.Reset()
	src := image.NewRGBA(image.Rect(0, 0, 50, 50))
	if err := d.Draw(image.Rect(230, 310, 280, 360), src, image.Point{}); err != nil {
		t.Fatal(err)
	}
	if got := p.Log[1].B; !bytes.Equal(got, []byte{0, 230, 0, 239}) {
		t.Errorf("CASET % X", got)
	}
	if n := len(p.Log[5].B); n != 10*10*2 {
		t.Errorf("%d pixel bytes, want 200", n)
	}
	p.Reset()
	if err := d.Draw(image.Rect(300, 400, 310, 410), src, image.Point{}); err != nil || len(p.Log) != 0 {
		t.Errorf("off-screen draw sent %d writes, err %v", len(p.Log), err)
	}
}

func TestResetPulseAndSleeps(t *testing.T) {
	p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	rst := &dbitest.LevelPin{Pin: gpiotest.Pin{N: "RST"}}
	var s dbitest.Sleeps
	if _, err := New(p, p.DC, rst, nil, &Opts{Sleep: s.Sleep}); err != nil {
		t.Fatal(err)
	}
	if want := []gpio.Level{gpio.High, gpio.Low, gpio.High}; !reflect.DeepEqual(rst.Levels, want) {
		t.Errorf("reset levels %v, want %v", rst.Levels, want)
	}
	if s.D[1] < 10*time.Microsecond || s.D[2] < 120*time.Millisecond {
		t.Errorf("reset timing %v", s.D[:3])
	}
	var total time.Duration
	for _, d := range s.D {
		total += d
	}
	if total < 400*time.Millisecond {
		t.Errorf("init waits only %v in total", total)
	}
}

func TestBacklight(t *testing.T) {
	p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	bl := &gpiotest.Pin{N: "BL"}
	d, err := New(p, p.DC, nil, bl, &Opts{Sleep: nosleep})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetBacklight(255); err != nil || bl.Read() != gpio.High {
		t.Errorf("full: level %v err %v", bl.Read(), err)
	}
	if err := d.SetBacklight(128); err != nil {
		t.Fatal(err)
	}
	if bl.D < gpio.DutyHalf-gpio.DutyMax/100 || bl.D > gpio.DutyHalf+gpio.DutyMax/100 || bl.F != physic.KiloHertz {
		t.Errorf("dim: duty %v freq %v", bl.D, bl.F)
	}
	if err := d.SetBacklight(0); err != nil || bl.Read() != gpio.Low {
		t.Errorf("off: level %v err %v", bl.Read(), err)
	}
}

func TestErrors(t *testing.T) {
	p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	if _, err := New(p, nil, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "D/C") {
		t.Errorf("nil D/C: %v", err)
	}
	p = &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	if _, err := New(p, gpio.INVALID, nil, nil, nil); err == nil {
		t.Error("INVALID D/C accepted")
	}
	p = &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	if _, err := New(p, p.DC, nil, nil, &Opts{Rotation: 45, Sleep: nosleep}); err == nil {
		t.Error("rotation 45 accepted")
	}
	p = &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	if _, err := New(p, p.DC, nil, nil, &Opts{Width: 240, Height: 240, RowOffset: 100, Sleep: nosleep}); err == nil {
		t.Error("panel outside memory accepted")
	}
	if _, err := New(nil, p.DC, nil, nil, nil); err == nil {
		t.Error("nil port accepted")
	}
}

func TestConnectSettings(t *testing.T) {
	p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	if _, err := New(p, p.DC, nil, nil, &Opts{Mode: spi.Mode3, Sleep: nosleep}); err != nil {
		t.Fatal(err)
	}
	if p.F != DefaultFrequency || p.M != spi.Mode3 {
		t.Errorf("connect %v mode %v", p.F, p.M)
	}
}
