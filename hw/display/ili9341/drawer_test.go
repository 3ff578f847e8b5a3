package ili9341

import (
	"bytes"
	"image"
	"image/color"
	"testing"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/terminald/terminald/hw/display/internal/dbitest"
	"github.com/terminald/terminald/hw/display/mipidbi"
)

// The driver used as a periph display.Drawer: the pixel bytes Draw sends
// are the ColorModel's colours, and Halt sends DISPOFF and SLPIN.
func TestDrawerThroughPeriph(t *testing.T) {
	p := &dbitest.Port{DC: &gpiotest.Pin{N: "DC"}}
	dev, err := New(p, p.DC, nil, nil, &Opts{Rotation: 90, Sleep: nosleep})
	if err != nil {
		t.Fatal(err)
	}
	var d display.Drawer = dev
	if d.Bounds() != image.Rect(0, 0, 320, 240) {
		t.Errorf("Bounds %v", d.Bounds())
	}
	src := image.NewGray(image.Rect(0, 0, 2, 1))
	src.SetGray(0, 0, color.Gray{0x40})
	src.SetGray(1, 0, color.Gray{0xff})
	p.Reset()
	if err := d.Draw(image.Rect(300, 10, 302, 11), src, image.Point{}); err != nil {
		t.Fatal(err)
	}
	var want []byte
	for x := 0; x < 2; x++ {
		v := uint16(d.ColorModel().Convert(src.At(x, 0)).(mipidbi.Color565))
		want = append(want, byte(v>>8), byte(v))
	}
	if !bytes.Equal(want, []byte{0x42, 0x08, 0xFF, 0xFF}) {
		t.Errorf("ColorModel gives % X for grey 40 and white", want)
	}
	if len(p.Log) != 6 || !p.Log[5].Data || !bytes.Equal(p.Log[5].B, want) {
		t.Fatalf("Draw sent\n%s\nwant the window, then % X", dbitest.Dump(p.Log), want)
	}
	p.Reset()
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if len(p.Log) != 2 || p.Log[0].B[0] != mipidbi.DISPOFF || p.Log[1].B[0] != mipidbi.SLPIN {
		t.Errorf("Halt sent\n%s", dbitest.Dump(p.Log))
	}
}
