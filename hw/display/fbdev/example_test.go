package fbdev_test

import (
	"fmt"
	"image"
	"image/color"
	"os"

	"github.com/terminald/terminald/hw/display/fbdev"
)

func Example() {
	// On a device: fb, err := fbdev.Open("/dev/fb1"). Any io.WriterAt works,
	// here a temporary file standing in for the framebuffer.
	f, _ := os.CreateTemp("", "fb")
	defer os.Remove(f.Name())
	defer f.Close()
	fb, err := fbdev.New(f, fbdev.RGB565(240, 320))
	if err != nil {
		panic(err)
	}
	_ = fb.Draw(image.Rect(0, 0, 1, 1), image.NewUniform(color.RGBA{0, 0, 0xff, 0xff}), image.Point{})
	b := make([]byte, 2)
	_, _ = f.ReadAt(b, 0)
	fmt.Printf("% x\n", b)
	// Output: 1f 00
}
