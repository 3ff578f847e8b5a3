package emulator_test

import (
	"fmt"

	"github.com/terminald/terminald/hw/display/emulator"
)

func Example() {
	p, _ := emulator.New(nil)
	p.Feed(false, []byte{0x11, 0x29, 0x21, 0x3A}) // SLPOUT, DISPON, INVON (IPS glass), COLMOD
	p.Feed(true, []byte{0x55})                    // RGB565
	p.Feed(false, []byte{0x2C})                   // RAMWR at 0,0
	p.Feed(true, []byte{0x07, 0xE0})              // green
	fmt.Println(p.Image().RGBAAt(0, 0), p.Stats().Pixels)
	// Output: {0 255 0 255} 1
}
