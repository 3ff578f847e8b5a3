package escpos

import (
	"errors"
	"fmt"

	"github.com/boombuler/barcode/qr"
)

// QROptions sets how a QR code prints.
type QROptions struct {
	ModuleSize int     // dots per module, 1..16; 6 when zero
	Level      ECLevel // error correction; ECLow is L
}

func (o QROptions) moduleSize() int {
	if o.ModuleSize <= 0 {
		return 6
	}
	return clamp(o.ModuleSize, 1, 16)
}

func checkQRData(data string) error {
	if len(data) == 0 {
		return errors.New("escpos: empty QR payload")
	}
	if len(data) > MaxQRData {
		return fmt.Errorf("escpos: QR payload of %d bytes, the most is %d", len(data), MaxQRData)
	}
	return nil
}

// QR appends a native QR code (GS ( k, model 2): select model, module size, error
// correction, store the data, print it. It prints at the current justification.
func (e *Encoder) QR(data string, o QROptions) *Encoder {
	if err := checkQRData(data); err != nil {
		return e.fail(err)
	}
	e.Raw(GS, '(', 'k', 4, 0, 49, 65, 50, 0)                // model 2
	e.Raw(GS, '(', 'k', 3, 0, 49, 67, byte(o.moduleSize())) // module size
	e.Raw(GS, '(', 'k', 3, 0, 49, 69, 48+byte(o.Level&3))   // error correction
	n := len(data) + 3
	e.Raw(GS, '(', 'k', byte(n), byte(n>>8), 49, 80, 48) // store
	e.buf = append(e.buf, data...)
	return e.Raw(GS, '(', 'k', 3, 0, 49, 81, 48) // print
}

// QRRaster draws a QR code of data with a 4-module quiet zone and appends it as a raster
// image (GS v 0), centred in maxDots, for printers without native QR support. The module
// size shrinks when the code would be wider than maxDots.
func (e *Encoder) QRRaster(data string, o QROptions, maxDots int) *Encoder {
	r, err := QRImage(data, o, maxDots)
	if err != nil {
		return e.fail(err)
	}
	return e.Raster(r.CenterIn(maxDots))
}

// QRImage draws a QR code of data as a raster: o.ModuleSize dots per module (made smaller
// so it fits maxDots when maxDots > 0) and a 4-module quiet zone.
func QRImage(data string, o QROptions, maxDots int) (*Raster, error) {
	if err := checkQRData(data); err != nil {
		return nil, err
	}
	levels := [...]qr.ErrorCorrectionLevel{qr.L, qr.M, qr.Q, qr.H}
	code, err := qr.Encode(data, levels[o.Level&3], qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("escpos: encode QR: %w", err)
	}
	modules := code.Bounds().Dx()
	total := modules + 8
	size := o.moduleSize()
	if maxDots > 0 && total*size > maxDots {
		size = maxDots / total
	}
	if size < 1 {
		return nil, fmt.Errorf("escpos: QR code of %d modules does not fit %d dots", modules, maxDots)
	}
	r := NewRaster(total*size, total*size)
	min := code.Bounds().Min
	for my := 0; my < modules; my++ {
		for mx := 0; mx < modules; mx++ {
			c, _, _, _ := code.At(min.X+mx, min.Y+my).RGBA()
			if c >= 0x8000 {
				continue
			}
			for dy := 0; dy < size; dy++ {
				for dx := 0; dx < size; dx++ {
					r.Set((mx+4)*size+dx, (my+4)*size+dy)
				}
			}
		}
	}
	return r, nil
}
