package st7789_test

import (
	"fmt"
	"image"
	"image/color"
	"time"

	"github.com/terminald/terminald/hw/display/emulator"
	"github.com/terminald/terminald/hw/display/st7789"
)

func Example() {
	// On a Raspberry Pi the port and pins come from spireg and gpioreg (see
	// display.Open); here the emulated controller stands in for them.
	o := emulator.DefaultOpts(emulator.ST7789)
	o.Rotation = 90 // the viewer holds the panel turned like the driver
	emu, _ := emulator.New(&o)
	dev, err := st7789.New(emu, emu.DC(), emu.RST(), nil, &st7789.Opts{Rotation: 90, Sleep: func(time.Duration) {}})
	if err != nil {
		panic(err)
	}
	red := image.NewUniform(color.RGBA{0xff, 0, 0, 0xff})
	if err := dev.Draw(image.Rect(0, 0, 10, 10), red, image.Point{}); err != nil {
		panic(err)
	}
	fmt.Println(dev.Bounds(), emu.Image().RGBAAt(5, 5))
	// Output: (0,0)-(320,240) {255 0 0 255}
}
