//go:build sim

package main

import (
	"image"
	"time"

	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/hw/display/emulator"
	"github.com/terminald/terminald/hw/display/st7789"
)

// emulatedST7789 runs the real ST7789 driver against the panel emulator: what the
// simulator shows is what the controller would have made of the SPI stream.
func emulatedST7789(w, h int) (display.Panel, func() *image.RGBA, error) {
	rot, nw, nh := 0, w, h
	if w > h {
		rot, nw, nh = 90, h, w
	}
	emu, err := emulator.New(&emulator.Opts{Controller: emulator.ST7789, Width: nw, Height: nh, Rotation: rot, InvertedPanel: true})
	if err != nil {
		return nil, nil, err
	}
	dev, err := st7789.New(emu, emu.DC(), emu.RST(), nil, &st7789.Opts{Width: nw, Height: nh, Rotation: rot, Sleep: func(time.Duration) {}})
	if err != nil {
		return nil, nil, err
	}
	return dev, emu.Image, nil
}
