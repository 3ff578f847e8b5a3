// Package escpos writes the Epson ESC/POS printer language: an Encoder that builds
// command streams (text in a code page, alignment, bold, character size, feed, cut,
// native QR codes, raster images). Reading such a stream back (for tests, simulators and
// previews) is package escposdoc, which the daemon does not link.
//
// Command bytes follow the Epson ESC/POS command reference.
package escpos

import (
	"fmt"
)

// Control bytes.
const (
	LF  = 0x0a
	ESC = 0x1b
	GS  = 0x1d
	DLE = 0x10
	EOT = 0x04
)

// Paper is a paper width: printable dots and font-A columns.
type Paper struct {
	Dots    int // printable width in dots (8 dots/mm)
	Columns int // characters per line in font A (12 dots wide)
}

// Paper widths.
var (
	Paper58 = Paper{Dots: 384, Columns: 32}
	Paper80 = Paper{Dots: 576, Columns: 48}
)

// PaperFor returns the paper for a width in millimetres (58 or 80).
func PaperFor(mm int) (Paper, error) {
	switch mm {
	case 58:
		return Paper58, nil
	case 80:
		return Paper80, nil
	}
	return Paper{}, fmt.Errorf("escpos: unsupported paper width %d mm (want 58 or 80)", mm)
}

// Align is a justification, the n of ESC a n.
type Align uint8

// Justifications.
const (
	AlignLeft   Align = 0
	AlignCenter Align = 1
	AlignRight  Align = 2
)

// String returns "left", "center" or "right".
func (a Align) String() string {
	switch a {
	case AlignLeft:
		return "left"
	case AlignCenter:
		return "center"
	case AlignRight:
		return "right"
	}
	return fmt.Sprintf("align(%d)", uint8(a))
}

// ECLevel is a QR error correction level.
type ECLevel uint8

// QR error correction levels (the n of GS ( k fn 69 is 48 + level).
const (
	ECLow      ECLevel = 0 // L, 7 %
	ECMedium   ECLevel = 1 // M, 15 %
	ECQuartile ECLevel = 2 // Q, 25 %
	ECHigh     ECLevel = 3 // H, 30 %
)

// MaxQRData is the largest payload GS ( k can store (numeric mode, version 40, level L).
const MaxQRData = 7089

// Encoder appends ESC/POS commands to a buffer. Methods return the Encoder so calls chain;
// the first error (bad QR, oversized image) is kept and reported by Bytes.
type Encoder struct {
	buf []byte
	cp  CodePage
	err error
}

// NewEncoder returns an encoder that maps text to code page cp. It writes nothing yet;
// call Init to reset the printer and select cp.
func NewEncoder(cp CodePage) *Encoder { return &Encoder{cp: cp} }

// Bytes returns the commands written so far, or the first error met.
func (e *Encoder) Bytes() ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	return e.buf, nil
}

// Raw appends b unchanged.
func (e *Encoder) Raw(b ...byte) *Encoder {
	e.buf = append(e.buf, b...)
	return e
}

// Init resets the printer (ESC @) and selects the encoder's code page (ESC t n).
func (e *Encoder) Init() *Encoder {
	e.Raw(ESC, '@')
	return e.CodePage(e.cp)
}

// CodePage selects code page cp (ESC t n) and maps later text to it.
func (e *Encoder) CodePage(cp CodePage) *Encoder {
	e.cp = cp
	return e.Raw(ESC, 't', byte(cp))
}

// Align sets the justification of the following lines (ESC a n).
func (e *Encoder) Align(a Align) *Encoder {
	if a > AlignRight {
		a = AlignLeft
	}
	return e.Raw(ESC, 'a', byte(a))
}

// Bold turns emphasized mode on or off (ESC E n).
func (e *Encoder) Bold(on bool) *Encoder {
	return e.Raw(ESC, 'E', b2b(on))
}

// Size sets the character magnification (GS ! n), width and height 1..8.
func (e *Encoder) Size(width, height int) *Encoder {
	width, height = clamp(width, 1, 8), clamp(height, 1, 8)
	return e.Raw(GS, '!', byte((width-1)<<4|(height-1)))
}

// Double switches between double width and height (true) and normal size (false).
func (e *Encoder) Double(on bool) *Encoder {
	if on {
		return e.Size(2, 2)
	}
	return e.Size(1, 1)
}

// Text appends s mapped to the current code page, without a line feed.
func (e *Encoder) Text(s string) *Encoder {
	return e.Raw(e.cp.Encode(s)...)
}

// Line appends s and a line feed.
func (e *Encoder) Line(s string) *Encoder {
	return e.Text(s).Raw(LF)
}

// Feed prints the buffer and feeds n lines (ESC d n), n up to 255.
func (e *Encoder) Feed(n int) *Encoder {
	return e.Raw(ESC, 'd', byte(clamp(n, 0, 255)))
}

// Cut feeds the paper by n vertical motion units to the cutting position plus n and cuts
// it: fully (GS V 65 n) or partially, leaving one point uncut (GS V 66 n).
func (e *Encoder) Cut(partial bool, n int) *Encoder {
	m := byte(65)
	if partial {
		m = 66
	}
	return e.Raw(GS, 'V', m, byte(clamp(n, 0, 255)))
}

// Beep sounds the printer's buzzer times times (1-9), each for units × 50 ms (1-9):
// ESC B n t, the buzzer command of the common Epson-compatible thermal printers (Xprinter,
// Rongta, HPRT and the like; genuine Epson TM models use other commands and have no
// buzzer as standard). Values out of range are clamped.
func (e *Encoder) Beep(times, units int) *Encoder {
	return e.Raw(ESC, 'B', byte(clamp(times, 1, 9)), byte(clamp(units, 1, 9)))
}

func (e *Encoder) fail(err error) *Encoder {
	if e.err == nil {
		e.err = err
	}
	return e
}

func b2b(on bool) byte {
	if on {
		return 1
	}
	return 0
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}
