package escposdoc

import (
	"github.com/terminald/terminald/hw/printer/escpos"
	"image"
	"image/color"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Font A cell on Epson printers: 12 x 24 dots.
const (
	cellW = 12
	cellH = 24
	// maxRenderHeight bounds the picture RenderPNG draws.
	maxRenderHeight = 1 << 15
	margin          = 16
)

// RenderPNG draws doc as the printer would put it on paper of width dots (384 for 58 mm,
// 576 for 80 mm): text in Go Mono on a 12 x 24 dot cell, magnified and bold as styled,
// QR codes, images and cut marks, black on white with a small margin. The result is for
// previews and README pictures; encode it with image/png.
func RenderPNG(doc *Document, width int) image.Image {
	if width <= 0 {
		width = escpos.Paper80.Dots
	}
	cols := max(1, width/cellW)
	regular, bold := faces()
	defer regular.Close()
	defer bold.Close()

	h := margin
	for _, it := range doc.Items {
		h += itemHeight(it, width)
		if h > maxRenderHeight {
			h = maxRenderHeight
			break
		}
	}
	h += margin
	img := image.NewGray(image.Rect(0, 0, width+2*margin, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	y := margin
	for _, it := range doc.Items {
		ih := itemHeight(it, width)
		if y+ih > h-margin {
			break
		}
		switch it.Kind {
		case ItemText, ItemBarcode:
			text := it.Text
			st := it.Style
			if it.Kind == ItemBarcode {
				text, st = "[barcode "+it.Text+"]", Style{Width: 1, Height: 1}
			}
			face := regular
			if st.Bold {
				face = bold
			}
			sw, shh := max(1, st.Width), max(1, st.Height)
			runes := []rune(text)
			if n := cols / sw; len(runes) > n {
				runes = runes[:n]
			}
			lw := len(runes) * cellW
			if lw == 0 {
				break
			}
			line := image.NewGray(image.Rect(0, 0, lw, cellH))
			draw.Draw(line, line.Bounds(), image.White, image.Point{}, draw.Src)
			dr := font.Drawer{Dst: line, Src: image.Black, Face: face}
			for i, r := range runes {
				dr.Dot = fixed.P(i*cellW, 19)
				dr.DrawString(string(r))
			}
			dst := image.Rect(0, 0, lw*sw, cellH*shh)
			x := alignX(st.Align, dst.Dx(), width)
			draw.NearestNeighbor.Scale(img, dst.Add(image.Pt(margin+x, y)), line, line.Bounds(), draw.Over, nil)
		case ItemQR:
			r, err := escpos.QRImage(it.QR.Data, escpos.QROptions{ModuleSize: it.QR.ModuleSize, Level: it.QR.Level}, width)
			if err != nil {
				break
			}
			drawRaster(img, r, margin+alignX(it.Style.Align, r.Width(), width), y, 1, 1)
		case ItemImage:
			sw, shh := max(1, it.Style.Width), max(1, it.Style.Height)
			drawRaster(img, it.Image, margin+alignX(it.Style.Align, it.Image.Width()*sw, width), y, sw, shh)
		case ItemCut:
			for x := 0; x < img.Bounds().Dx(); x++ {
				if it.Partial && x%8 >= 4 || !it.Partial && x%8 >= 6 {
					continue
				}
				img.SetGray(x, y+cellH/2, color.Gray{Y: 0x80})
			}
		}
		y += ih
	}
	return img
}

func itemHeight(it Item, width int) int {
	switch it.Kind {
	case ItemText:
		return cellH * max(1, it.Style.Height)
	case ItemBarcode, ItemCut:
		return cellH
	case ItemFeed:
		return cellH * it.Lines
	case ItemQR:
		if r, err := escpos.QRImage(it.QR.Data, escpos.QROptions{ModuleSize: it.QR.ModuleSize, Level: it.QR.Level}, width); err == nil {
			return r.Height
		}
		return cellH
	case ItemImage:
		return it.Image.Height * max(1, it.Style.Height)
	}
	return 0
}

func alignX(a escpos.Align, w, width int) int {
	switch a {
	case escpos.AlignCenter:
		return max(0, (width-w)/2)
	case escpos.AlignRight:
		return max(0, width-w)
	}
	return 0
}

func drawRaster(dst *image.Gray, r *escpos.Raster, x0, y0, sw, sh int) {
	b := dst.Bounds()
	for y := 0; y < r.Height; y++ {
		for x := 0; x < r.Width(); x++ {
			if !r.Black(x, y) {
				continue
			}
			for dy := 0; dy < sh; dy++ {
				for dx := 0; dx < sw; dx++ {
					p := image.Pt(x0+x*sw+dx, y0+y*sh+dy)
					if p.In(b) {
						dst.Pix[(p.Y-b.Min.Y)*dst.Stride+p.X-b.Min.X] = 0
					}
				}
			}
		}
	}
}

func faces() (regular, bold font.Face) {
	return face(gomono.TTF), face(gomonobold.TTF)
}

func face(ttf []byte) font.Face {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return basicfont.Face7x13
	}
	// Go Mono advances 0.6 em: 20 px gives the 12-dot cell.
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 20, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return basicfont.Face7x13
	}
	return fc
}
