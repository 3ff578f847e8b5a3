package ili9341

import (
	"bytes"
	"image"
	"image/color"
	"reflect"
	"testing"
	"time"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/terminald/terminald/hw/display/internal/dbitest"
	"github.com/terminald/terminald/hw/display/mipidbi"
)

func nosleep(time.Duration) {}

func TestInitSequencePerRotation(t *testing.T) {
	want := map[int]byte{0: 0x48, 90: 0x28, 180: 0x88, 270: 0xE8}
	for rot, m := range want {
		for _, rgb := range []bool{false, true} {
			p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
			d, err := New(p, p.DC, nil, nil, &Opts{Rotation: rot, RGB: rgb, Sleep: nosleep})
			if err != nil {
				t.Fatal(err)
			}
			wm := m
			if rgb {
				wm &^= mipidbi.BGR
			}
			exp := dbitest.Expect(InitSequence(false), wm)
			if !reflect.DeepEqual(p.Log, exp) {
				t.Errorf("rotation %d rgb %v:\ngot\n%s\nwant\n%s", rot, rgb, dbitest.Dump(p.Log), dbitest.Dump(exp))
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

func TestInitSequenceEssentials(t *testing.T) {
	seq := InitSequence(false)
	if seq[0].Op != mipidbi.SWRESET {
		t.Error("does not start with SWRESET")
	}
	var ops []byte
	for _, c := range seq {
		ops = append(ops, c.Op)
		if c.Op == mipidbi.COLMOD && !bytes.Equal(c.Data, []byte{0x55}) {
			t.Errorf("COLMOD % X, want 55", c.Data)
		}
	}
	if !bytes.HasSuffix(ops, []byte{mipidbi.INVOFF, mipidbi.SLPOUT, mipidbi.NORON, mipidbi.DISPON}) {
		t.Errorf("sequence ends % X", ops[len(ops)-4:])
	}
	if InitSequence(true)[len(seq)-4].Op != mipidbi.INVON {
		t.Error("Invert does not send INVON")
	}
}

func TestPlaybackWindow(t *testing.T) {
	var ops []conntest.IO
	for _, tx := range dbitest.Expect(InitSequence(false), 0xE8) {
		ops = append(ops, conntest.IO{W: tx.B})
	}
	ops = append(ops,
		conntest.IO{W: []byte{0x2A}}, conntest.IO{W: []byte{0x01, 0x3F, 0x01, 0x3F}},
		conntest.IO{W: []byte{PASET}}, conntest.IO{W: []byte{0x00, 0xEF, 0x00, 0xEF}},
		conntest.IO{W: []byte{0x2C}},
		conntest.IO{W: []byte{0x84, 0x10}},
	)
	pb := &spitest.Playback{Playback: conntest.Playback{Ops: ops, DontPanic: true}}
	d, err := New(pb, &gpiotest.Pin{N: "DC"}, nil, nil, &Opts{Rotation: 270, Sleep: nosleep})
	if err != nil {
		t.Fatal(err)
	}
	grey := image.NewUniform(color.RGBA{0x80, 0x80, 0x80, 0xff})
	if err := d.Draw(image.Rect(319, 239, 320, 240), grey, image.Point{}); err != nil {
		t.Fatal(err)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBacklightAndReset(t *testing.T) {
	p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	rst := &dbitest.LevelPin{Pin: gpiotest.Pin{N: "RST"}}
	bl := &gpiotest.Pin{N: "BL"}
	d, err := New(p, p.DC, rst, bl, &Opts{Sleep: nosleep})
	if err != nil {
		t.Fatal(err)
	}
	if want := []gpio.Level{gpio.High, gpio.Low, gpio.High}; !reflect.DeepEqual(rst.Levels, want) {
		t.Errorf("reset levels %v", rst.Levels)
	}
	if err := d.SetBacklight(255); err != nil || bl.Read() != gpio.High {
		t.Errorf("backlight on: %v %v", bl.Read(), err)
	}
	if err := d.SetBacklight(0); err != nil || bl.Read() != gpio.Low {
		t.Errorf("backlight off: %v %v", bl.Read(), err)
	}
	if _, err := New(&dbitest.Port{DC: p.DC}, nil, nil, nil, nil); err == nil {
		t.Error("nil D/C accepted")
	}
}
