package escposdoc

import (
	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/internal/qrread"
)

// DecodeQR looks for a QR code in r and returns its payload.
func DecodeQR(r *escpos.Raster) (string, error) { return qrread.Decode(r.Image()) }
