package qrscan

import (
	"image"
	"image/color"
	"testing"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

func TestDecode(t *testing.T) {
	code, err := qr.Encode("pay:123", qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	code, _ = barcode.Scale(code, 200, 200)
	// A quiet zone around the code, as on a screen or a receipt.
	img := image.NewGray(image.Rect(0, 0, 240, 240))
	for y := range 240 {
		for x := range 240 {
			img.SetGray(x, y, color.Gray{255})
		}
	}
	for y := range 200 {
		for x := range 200 {
			img.Set(x+20, y+20, code.At(x, y))
		}
	}
	if got, err := Decode(img); err != nil || got != "pay:123" {
		t.Fatalf("Decode = %q, %v", got, err)
	}
	if _, err := Decode(image.NewGray(image.Rect(0, 0, 50, 50))); err == nil {
		t.Fatal("a blank picture gave a QR code")
	}
}
