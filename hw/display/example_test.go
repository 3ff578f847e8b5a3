package display_test

import (
	"fmt"
	"os"
	"time"

	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/screen"
)

func Example() {
	r, err := screen.NewRenderer()
	if err != nil {
		panic(err)
	}
	panel := display.NewMemory(240, 320) // or display.Open(cfg) on a device
	d := display.New(panel, r, &display.Options{DimAfter: 30 * time.Second})
	if err := d.Show(screen.Screen{Kind: screen.Amount, Amount: "12.34 EUR"}); err != nil {
		panic(err)
	}
	fmt.Println(panel.Backlight())
	// Output: 255
}

func ExampleANSIScaled() {
	img := display.NewMemory(4, 4).Snapshot()
	_ = display.ANSIScaled(os.Stdout, img, 2)
}
