package mipidbi_test

import (
	"fmt"
	"time"

	"github.com/terminald/terminald/hw/display/emulator"
	"github.com/terminald/terminald/hw/display/mipidbi"
)

func Example() {
	// A controller not covered by st7789/ili9341 can be described directly.
	emu, _ := emulator.New(&emulator.Opts{Width: 240, Height: 320})
	c, _ := emu.Connect(0, 0, 8)
	dev, err := mipidbi.New(c, emu.DC(), nil, nil, mipidbi.Config{
		Name: "custom", MemWidth: 240, MemHeight: 320, Width: 240, Height: 320,
		Init: []mipidbi.Cmd{
			{Op: mipidbi.SWRESET, Delay: 150 * time.Millisecond},
			{Op: mipidbi.SLPOUT, Delay: 120 * time.Millisecond},
			{Op: mipidbi.COLMOD, Data: []byte{0x55}},
			{Op: mipidbi.MADCTL},
			{Op: mipidbi.DISPON},
		},
		Sleep: func(time.Duration) {},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(dev.Bounds(), emu.State().DisplayOn)
	// Output: (0,0)-(240,320) true
}
