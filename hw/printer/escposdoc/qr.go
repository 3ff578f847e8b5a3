package escposdoc

import (
	"fmt"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/terminald/terminald/hw/printer/escpos"
)

// DecodeQR looks for a QR code in r and returns its payload (with gozxing).
func DecodeQR(r *escpos.Raster) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(r.Image())
	if err != nil {
		return "", fmt.Errorf("escposdoc: QR bitmap: %w", err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_TRY_HARDER: true,
	})
	if err != nil {
		return "", fmt.Errorf("escposdoc: no QR code in image: %w", err)
	}
	return res.GetText(), nil
}
