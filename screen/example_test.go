package screen_test

import (
	"fmt"
	"time"

	"github.com/terminald/terminald/screen"
)

func ExampleRenderer_Render() {
	r, err := screen.NewRenderer()
	if err != nil {
		panic(err)
	}
	now := time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC)
	s := screen.Screen{
		Kind: screen.QR, Amount: "12.34 EUR", Provider: "Lightning",
		QR: "https://pay.example.com/i/7Hq2ZkP9xRw4", Deadline: now.Add(5 * time.Minute),
		Status: screen.Status{Online: true, Printer: "ok"},
	}
	img := r.Render(s, 240, 320, now)
	lay := r.Layout(s, 240, 320)
	fmt.Println(img.Bounds().Dx(), img.Bounds().Dy(), lay.QRModule >= screen.MinQRModule)
	// Output: 240 320 true
}
