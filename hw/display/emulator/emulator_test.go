package emulator

import (
	"image/color"
	"testing"

	"periph.io/x/conn/v3/gpio"
)

func on(t *testing.T, o Opts) *Panel {
	t.Helper()
	p, err := New(&o)
	if err != nil {
		t.Fatal(err)
	}
	p.Feed(false, []byte{0x11, 0x29, 0x3A}) // SLPOUT, DISPON, COLMOD
	p.Feed(true, []byte{0x55})              // RGB565
	return p
}

func cmd(p *Panel, c byte, data ...byte) {
	p.Feed(false, []byte{c})
	if len(data) > 0 {
		p.Feed(true, data)
	}
}

func TestWindowWrapsAndAutoIncrements(t *testing.T) {
	p := on(t, Opts{Width: 240, Height: 320})
	cmd(p, 0x2A, 0, 10, 0, 11)
	cmd(p, 0x2B, 0, 5, 0, 5)
	// Three pixels into a 2×1 window: the third wraps to the window start.
	cmd(p, 0x2C, 0xF8, 0x00, 0x07, 0xE0, 0x00, 0x1F)
	g := p.Glass()
	if c := g.RGBAAt(10, 5); c != (color.RGBA{0, 0, 0xff, 0xff}) {
		t.Errorf("pixel 10,5 = %v, want blue (wrapped write)", c)
	}
	if c := g.RGBAAt(11, 5); c != (color.RGBA{0, 0xff, 0, 0xff}) {
		t.Errorf("pixel 11,5 = %v, want green", c)
	}
	if st := p.Stats(); st.Pixels != 3 || st.Bytes != 4+5+5+7 {
		t.Errorf("stats %+v", st)
	}
}

func TestColourOrderInversionAndMADCTL(t *testing.T) {
	p := on(t, Opts{Width: 240, Height: 320, BGRPanel: true, InvertedPanel: true})
	cmd(p, 0x3A, 0x55)
	cmd(p, 0x36, 0x08|0x40) // BGR, MX
	cmd(p, 0x21)            // INVON
	cmd(p, 0x2A, 0, 0, 0, 0)
	cmd(p, 0x2B, 0, 0, 0, 0)
	cmd(p, 0x2C, 0xF8, 0x00) // red
	if c := p.Glass().RGBAAt(239, 0); c != (color.RGBA{0xff, 0, 0, 0xff}) {
		t.Errorf("mirrored pixel = %v, want red at 239,0", c)
	}
	cmd(p, 0x20) // INVOFF on an IPS glass: colours come out inverted
	if c := p.Glass().RGBAAt(239, 0); c != (color.RGBA{0, 0xff, 0xff, 0xff}) {
		t.Errorf("INVOFF pixel = %v, want cyan", c)
	}
	if st := p.State(); st.MADCTL != 0x48 || st.Inverted {
		t.Errorf("state %+v", st)
	}
}

func TestRGB666(t *testing.T) {
	p := on(t, Opts{Width: 240, Height: 320})
	cmd(p, 0x3A, 0x66)
	cmd(p, 0x2A, 0, 0, 0, 0)
	cmd(p, 0x2B, 0, 0, 0, 0)
	cmd(p, 0x2C, 0xFC, 0xFC, 0x00)
	if c := p.Glass().RGBAAt(0, 0); c != (color.RGBA{0xff, 0xff, 0, 0xff}) {
		t.Errorf("18-bit pixel = %v, want yellow", c)
	}
}

func TestDisplayOffAndResetShowBlack(t *testing.T) {
	p := on(t, Opts{Width: 240, Height: 240})
	cmd(p, 0x2C, 0xFF, 0xFF)
	if c := p.Glass().RGBAAt(0, 0); c.R != 0xff {
		t.Fatalf("pixel %v, want white", c)
	}
	cmd(p, 0x28)
	if c := p.Glass().RGBAAt(0, 0); c != (color.RGBA{0, 0, 0, 0xff}) {
		t.Errorf("display off shows %v", c)
	}
	cmd(p, 0x29)
	rst := p.RST()
	_ = rst.Out(gpio.Low)
	p.Feed(false, []byte{0x29}) // ignored while in reset
	_ = rst.Out(gpio.High)
	if st := p.State(); st.DisplayOn || !st.Sleeping {
		t.Errorf("after reset: %+v", st)
	}
}

func TestBadOpts(t *testing.T) {
	if _, err := New(&Opts{Width: 240, Height: 240, RowOffset: 81}); err == nil {
		t.Error("glass outside memory accepted")
	}
	if _, err := New(&Opts{Rotation: 45}); err == nil {
		t.Error("rotation 45 accepted")
	}
}

// FuzzDecode feeds arbitrary command and data bytes: the decoder must never
// panic and must count every byte. The first byte of each 9-byte group says,
// bit by bit, whether the next 8 bytes are data or commands.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x00, 0x2A, 0x2B, 0x2C, 0x36, 0x3A, 0x01, 0x11, 0x29})
	f.Add([]byte{0xFE, 0x2A, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x2C, 0xAB, 0xCD, 0xEF, 0x01})
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := New(nil)
		if err != nil {
			t.Fatal(err)
		}
		for len(in) > 0 {
			mask := in[0]
			in = in[1:]
			for i := 0; i < 8 && len(in) > 0; i++ {
				p.Feed(mask&(1<<i) != 0, in[:1])
				in = in[1:]
			}
		}
		_ = p.Image()
	})
}
