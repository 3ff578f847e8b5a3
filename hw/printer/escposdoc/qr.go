package escposdoc

import (
	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/internal/qrscan"
)

// DecodeQR looks for a QR code in r and returns its payload.
func DecodeQR(r *escpos.Raster) (string, error) { return qrscan.Decode(r.Image()) }
