package escpos

import (
	"errors"
	"fmt"
	"image"

	"golang.org/x/image/draw"
)

// MaxRasterWidthBytes is the widest raster line GS v 0 accepts (128 bytes, 1024 dots).
const MaxRasterWidthBytes = 128

// rasterBand is the most rows sent in one GS v 0 command; taller images go in bands.
const rasterBand = 255

// maxSourceSide bounds the pictures RasterFromImage converts.
const maxSourceSide = 8192

// Raster is a 1-bit image laid out as GS v 0 expects: rows of WidthBytes bytes, the most
// significant bit leftmost, 1 = black.
type Raster struct {
	WidthBytes int
	Height     int
	Data       []byte // WidthBytes*Height bytes
}

// NewRaster returns a white raster at least widthDots wide (rounded up to whole bytes).
func NewRaster(widthDots, height int) *Raster {
	wb := (max(widthDots, 0) + 7) / 8
	height = max(height, 0)
	return &Raster{WidthBytes: wb, Height: height, Data: make([]byte, wb*height)}
}

// Width returns the width in dots.
func (r *Raster) Width() int { return r.WidthBytes * 8 }

// Black reports whether the dot at x, y is black; dots outside are white.
func (r *Raster) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= r.Width() || y >= r.Height {
		return false
	}
	return r.Data[y*r.WidthBytes+x/8]&(0x80>>(x%8)) != 0
}

// Set blackens the dot at x, y; dots outside are ignored.
func (r *Raster) Set(x, y int) {
	if x < 0 || y < 0 || x >= r.Width() || y >= r.Height {
		return
	}
	r.Data[y*r.WidthBytes+x/8] |= 0x80 >> (x % 8)
}

// Image returns the raster as a black-on-white grayscale image.
func (r *Raster) Image() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, r.Width(), r.Height))
	for y := 0; y < r.Height; y++ {
		for x := 0; x < r.Width(); x++ {
			if r.Black(x, y) {
				img.Pix[y*img.Stride+x] = 0
			} else {
				img.Pix[y*img.Stride+x] = 0xff
			}
		}
	}
	return img
}

// CenterIn returns a copy of r padded with white on both sides to widthDots, so that it
// prints centred whatever the printer's justification. r is returned unchanged when it is
// already as wide.
func (r *Raster) CenterIn(widthDots int) *Raster {
	if r.Width() >= widthDots {
		return r
	}
	out := NewRaster(widthDots, r.Height)
	off := (out.Width() - r.Width()) / 2
	for y := 0; y < r.Height; y++ {
		for x := 0; x < r.Width(); x++ {
			if r.Black(x, y) {
				out.Set(x+off, y)
			}
		}
	}
	return out
}

// ImageOptions controls how RasterFromImage converts a picture.
type ImageOptions struct {
	MaxWidth  int  // dots; wider images are scaled down keeping the aspect ratio (0: no limit)
	MaxHeight int  // dots; taller images are scaled down (0: no limit)
	Threshold bool // plain 50 % threshold instead of Floyd–Steinberg dithering (for line art)
}

// RasterFromImage converts img to a 1-bit raster: transparent pixels are white, the
// picture is scaled down to fit the limits in o (never up) and dithered or thresholded.
func RasterFromImage(img image.Image, o ImageOptions) (*Raster, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, errors.New("escpos: empty image")
	}
	if w > maxSourceSide || h > maxSourceSide {
		return nil, fmt.Errorf("escpos: image %dx%d too large, the most is %d on a side", w, h, maxSourceSide)
	}
	scale := 1.0
	if o.MaxWidth > 0 && w > o.MaxWidth {
		scale = float64(o.MaxWidth) / float64(w)
	}
	if o.MaxHeight > 0 && float64(h)*scale > float64(o.MaxHeight) {
		scale = float64(o.MaxHeight) / float64(h)
	}
	nw, nh := max(1, int(float64(w)*scale)), max(1, int(float64(h)*scale))
	if (nw+7)/8 > MaxRasterWidthBytes {
		return nil, fmt.Errorf("escpos: image %d dots wide, the most is %d", nw, MaxRasterWidthBytes*8)
	}
	// Flatten onto white, then scale.
	flat := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(flat, flat.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(flat, flat.Bounds(), img, b.Min, draw.Over)
	gray := image.NewGray(image.Rect(0, 0, nw, nh))
	if nw == w && nh == h {
		draw.Draw(gray, gray.Bounds(), flat, image.Point{}, draw.Src)
	} else {
		draw.CatmullRom.Scale(gray, gray.Bounds(), flat, flat.Bounds(), draw.Src, nil)
	}
	r := NewRaster(nw, nh)
	if o.Threshold {
		for y := 0; y < nh; y++ {
			for x := 0; x < nw; x++ {
				if gray.GrayAt(x, y).Y < 128 {
					r.Set(x, y)
				}
			}
		}
		return r, nil
	}
	// Floyd–Steinberg error diffusion on a row pair of int errors.
	cur, next := make([]int, nw+2), make([]int, nw+2)
	for y := 0; y < nh; y++ {
		for x := 0; x < nw; x++ {
			v := int(gray.GrayAt(x, y).Y) + cur[x+1]
			out := 255
			if v < 128 {
				out = 0
				r.Set(x, y)
			}
			e := v - out
			cur[x+2] += e * 7 / 16
			next[x] += e * 3 / 16
			next[x+1] += e * 5 / 16
			next[x+2] += e / 16
		}
		cur, next = next, cur
		clear(next)
	}
	return r, nil
}

// Raster appends r as GS v 0 commands (normal density), split into bands of at most 255
// rows so that small printer buffers cope.
func (e *Encoder) Raster(r *Raster) *Encoder {
	if r == nil || r.WidthBytes <= 0 || r.Height <= 0 {
		return e.fail(errors.New("escpos: empty raster image"))
	}
	if r.WidthBytes > MaxRasterWidthBytes {
		return e.fail(fmt.Errorf("escpos: raster %d bytes wide, the most is %d", r.WidthBytes, MaxRasterWidthBytes))
	}
	if len(r.Data) != r.WidthBytes*r.Height {
		return e.fail(fmt.Errorf("escpos: raster data is %d bytes, want %d", len(r.Data), r.WidthBytes*r.Height))
	}
	for y := 0; y < r.Height; y += rasterBand {
		h := min(rasterBand, r.Height-y)
		e.Raw(GS, 'v', '0', 0, byte(r.WidthBytes), byte(r.WidthBytes>>8), byte(h), byte(h>>8))
		e.Raw(r.Data[y*r.WidthBytes : (y+h)*r.WidthBytes]...)
	}
	return e
}
