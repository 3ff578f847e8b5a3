package printer

import (
	"fmt"
	"image"
	_ "image/png" // logos are PNG files
	"io"
	"strings"

	"github.com/boombuler/barcode/qr"
	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/receipt"
)

// Layout turns receipts into ESC/POS bytes for one printer model and paper.
type Layout struct {
	Paper        escpos.Paper    // escpos.Paper58 or escpos.Paper80; Paper80 when zero
	CodePage     escpos.CodePage // text code page: escpos.PC858 (€), CP437 or WPC1252
	RasterQR     bool            // draw QR codes as raster images (printers without GS ( k)
	QRModuleSize int             // largest dots per QR module; 6 when zero, smaller when the code would not fit the paper
	Logo         *escpos.Raster  // optional merchant logo printed centred at the top
	PartialCut   bool            // partial instead of full cut
}

func (l Layout) paper() escpos.Paper {
	if l.Paper.Dots <= 0 || l.Paper.Columns <= 0 {
		return escpos.Paper80
	}
	return l.Paper
}

// Encode lays out r: logo, copy label, lines, QR code, then a cut (or a feed to the tear
// bar when r.Cut is false). A label/value line prints Text left and Right flush right; when
// both do not fit on one line, Text wraps at word boundaries and Right goes flush right on
// the last line, or on a line of its own. Other lines wrap at word boundaries.
func (l Layout) Encode(r receipt.Receipt) ([]byte, error) {
	p := l.paper()
	if !l.CodePage.Valid() {
		return nil, fmt.Errorf("printer: unsupported code page %d", l.CodePage)
	}
	e := escpos.NewEncoder(l.CodePage).Init()
	st := state{align: escpos.AlignLeft}
	if l.Logo != nil {
		st.set(e, escpos.AlignCenter, false, false)
		e.Raster(l.Logo.CenterIn(p.Dots))
	}
	if r.Copy != "" {
		st.set(e, escpos.AlignCenter, true, false)
		for _, s := range wrap(r.Copy, p.Columns) {
			e.Line(s)
		}
	}
	for _, ln := range r.Lines {
		cols := p.Columns
		if ln.Double {
			cols /= 2
		}
		if ln.Right != "" {
			st.set(e, escpos.AlignLeft, ln.Bold, ln.Double)
			for _, s := range labelValue(ln.Text, ln.Right, cols) {
				e.Line(s)
			}
			continue
		}
		st.set(e, align(ln.Align), ln.Bold, ln.Double)
		for _, s := range wrap(ln.Text, cols) {
			e.Line(s)
		}
	}
	if r.QR != "" {
		st.set(e, escpos.AlignCenter, false, false)
		e.Feed(1)
		o := escpos.QROptions{ModuleSize: l.QRModuleSize, Level: escpos.ECMedium}
		if l.RasterQR {
			e.QRRaster(r.QR, o, p.Dots)
		} else {
			m, err := NativeQRModule(r.QR, o, p.Dots)
			if err != nil {
				return nil, fmt.Errorf("printer: receipt %d: %w", r.Number, err)
			}
			o.ModuleSize = m
			e.QR(r.QR, o) // the print position is back at the left margin afterwards
		}
	}
	st.set(e, escpos.AlignLeft, false, false)
	if r.Cut {
		e.Feed(1)
		e.Cut(l.PartialCut, 0)
	} else {
		e.Feed(4)
	}
	b, err := e.Bytes()
	if err != nil {
		return nil, fmt.Errorf("printer: receipt %d: %w", r.Number, err)
	}
	return b, nil
}

// state tracks the print mode so that only changes are sent.
type state struct {
	align  escpos.Align
	bold   bool
	double bool
}

func (s *state) set(e *escpos.Encoder, a escpos.Align, bold, double bool) {
	if a != s.align {
		e.Align(a)
		s.align = a
	}
	if bold != s.bold {
		e.Bold(bold)
		s.bold = bold
	}
	if double != s.double {
		e.Double(double)
		s.double = double
	}
}

func align(a receipt.Align) escpos.Align {
	switch a {
	case receipt.Center:
		return escpos.AlignCenter
	case receipt.Right:
		return escpos.AlignRight
	}
	return escpos.AlignLeft
}

// labelValue lays out label and value on lines of cols characters.
func labelValue(label, value string, cols int) []string {
	label, value = strings.TrimSpace(label), strings.TrimSpace(value)
	lr, vr := len([]rune(label)), len([]rune(value))
	if lr+1+vr <= cols || label == "" && vr <= cols {
		return []string{pad(label, value, cols)}
	}
	var out []string
	if label != "" {
		out = wrap(label, cols)
	}
	if n := len(out); n > 0 && len([]rune(out[n-1]))+1+vr <= cols {
		out[n-1] = pad(out[n-1], value, cols)
		return out
	}
	for _, s := range wrap(value, cols) {
		out = append(out, pad("", s, cols))
	}
	return out
}

// pad joins left and right with spaces so that right ends at column cols.
func pad(left, right string, cols int) string {
	n := cols - len([]rune(left)) - len([]rune(right))
	if left != "" {
		n = max(n, 1)
	}
	return left + strings.Repeat(" ", max(n, 0)) + right
}

// wrap breaks s into lines of at most cols characters at spaces, splitting words longer
// than a line. An empty s is one empty line.
func wrap(s string, cols int) []string {
	cols = max(cols, 1)
	words := strings.Fields(s)
	if len(words) == 0 {
		return []string{""}
	}
	var out []string
	var cur []rune
	for _, w := range words {
		wr := []rune(w)
		if len(cur) > 0 && len(cur)+1+len(wr) <= cols {
			cur = append(append(cur, ' '), wr...)
			continue
		}
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = nil
		}
		for len(wr) > cols {
			out = append(out, string(wr[:cols]))
			wr = wr[cols:]
		}
		cur = wr
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

// LoadLogo reads a PNG picture and converts it to a raster that fits maxWidth dots (the
// paper's Dots) and at most half as high, dithered (or thresholded for line art).
func LoadLogo(r io.Reader, maxWidth int, threshold bool) (*escpos.Raster, error) {
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("printer: logo: %w", err)
	}
	rs, err := escpos.RasterFromImage(img, escpos.ImageOptions{MaxWidth: maxWidth, MaxHeight: maxWidth / 2, Threshold: threshold})
	if err != nil {
		return nil, fmt.Errorf("printer: logo: %w", err)
	}
	return rs, nil
}

// NativeQRModule returns the module size (dots per module) for a native QR
// code (GS ( k) of data on a line of dots dots (escpos.Paper58.Dots = 384,
// Paper80.Dots = 576): o's module size (6 when zero), made smaller so that
// the code and its 4-module quiet zone fit the line, as the raster path does.
// The printer chooses the QR version itself; the code's size is taken in
// byte mode, the largest any printer picks for data. It returns an error
// when the code does not fit even at 1 dot a module.
func NativeQRModule(data string, o escpos.QROptions, dots int) (int, error) {
	levels := [...]qr.ErrorCorrectionLevel{qr.L, qr.M, qr.Q, qr.H}
	code, err := qr.Encode(data, levels[o.Level&3], qr.Unicode)
	if err != nil {
		return 0, fmt.Errorf("printer: QR code of %d bytes: %w", len(data), err)
	}
	total := code.Bounds().Dx() + 8
	size := o.ModuleSize
	if size <= 0 {
		size = 6
	}
	size = min(size, 16, dots/total)
	if size < 1 {
		return 0, fmt.Errorf("printer: QR code of %d modules does not fit %d dots", total-8, dots)
	}
	return size, nil
}
