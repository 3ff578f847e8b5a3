package ili9341_test

import (
	"fmt"
	"image"
	"image/color"
	"time"

	"github.com/terminald/terminald/hw/display/emulator"
	"github.com/terminald/terminald/hw/display/ili9341"
)

func Example() {
	emu, _ := emulator.New(&emulator.Opts{Controller: emulator.ILI9341, BGRPanel: true, MirrorX: true})
	dev, err := ili9341.New(emu, emu.DC(), emu.RST(), nil, &ili9341.Opts{Sleep: func(time.Duration) {}})
	if err != nil {
		panic(err)
	}
	blue := image.NewUniform(color.RGBA{0, 0, 0xff, 0xff})
	if err := dev.Draw(image.Rect(0, 0, 4, 4), blue, image.Point{}); err != nil {
		panic(err)
	}
	fmt.Println(emu.Image().RGBAAt(1, 1))
	// Output: {0 0 255 255}
}
