// Package qrscan reads a QR code out of a picture (with gozxing): the simulator's
// customer scanning the screen, tests reading receipts and screens. The production
// daemon does not link it (cmd/terminald's deps_test.go holds that).
package qrscan

import (
	"fmt"
	"image"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Decode returns the payload of the QR code in img, trying hard (rotations, noise).
func Decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("qrscan: bitmap: %w", err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", fmt.Errorf("qrscan: no QR code found: %w", err)
	}
	return res.GetText(), nil
}
