package escposdoc

import (
	"fmt"
	"github.com/terminald/terminald/hw/printer/escpos"
	"strings"
)

// ItemKind says what a Document item is.
type ItemKind uint8

// Document item kinds.
const (
	ItemText    ItemKind = iota // one printed text line
	ItemFeed                    // blank lines (ESC d)
	ItemQR                      // a native QR code (GS ( k)
	ItemImage                   // a raster image (GS v 0)
	ItemCut                     // a paper cut (GS V, ESC i, ESC m)
	ItemBarcode                 // a 1D barcode (GS k)
)

// Style is the print mode a text line started with.
type Style struct {
	Align  escpos.Align
	Bold   bool
	Width  int // character width magnification, 1..8
	Height int // character height magnification, 1..8
}

// Double reports whether the style is double width and double height.
func (s Style) Double() bool { return s.Width == 2 && s.Height == 2 }

// QR is a QR code found in a stream: printed natively, or recognised in a raster image
// by Document.ScanImages.
type QR struct {
	Data       string
	ModuleSize int            // dots per module (native codes)
	Level      escpos.ECLevel // error correction (native codes)
	Native     bool           // printed with GS ( k rather than as an image
}

// Item is one printed element of a Document.
type Item struct {
	Kind    ItemKind
	Offset  int            // byte offset of the command or first character in the stream
	Style   Style          // ItemText: style at the start of the line; ItemImage: Width/Height scale
	Text    string         // ItemText: the line, decoded from its code page; ItemBarcode: the data
	Lines   int            // ItemFeed: number of blank lines
	QR      *QR            // ItemQR, and ItemImage when ScanImages found a code in it
	Image   *escpos.Raster // ItemImage
	Partial bool           // ItemCut: partial cut
}

// Document is an ESC/POS stream turned back into what a printer would put on paper.
type Document struct {
	Items []Item
}

// DecodeError reports a malformed or truncated command.
type DecodeError struct {
	Offset  int    // byte offset of the command in the stream
	Command string // e.g. "GS ( k"
	Reason  string
}

// Error implements error.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("escpos: offset %d: %s: %s", e.Offset, e.Command, e.Reason)
}

// Decode parses an ESC/POS byte stream. It understands the commands terminald writes and
// the common ones other software writes (print modes, line spacing, cash drawer pulse,
// barcodes, real-time requests), and rejects unknown commands, stray control bytes,
// out-of-range parameters and truncated sequences with a *DecodeError. Memory use is
// bounded by the length of the stream.
func Decode(b []byte) (*Document, error) {
	d := &decoder{b: b, cp: escpos.CP437, style: Style{Width: 1, Height: 1}, qrSize: 3}
	if err := d.run(); err != nil {
		return nil, err
	}
	return &d.doc, nil
}

type decoder struct {
	b   []byte
	pos int
	doc Document

	cp        escpos.CodePage
	style     Style
	line      []byte
	lineStart int
	lineStyle Style

	qrSize  int
	qrLevel escpos.ECLevel
	qrData  []byte
	qrSet   bool
}

func (d *decoder) fail(off int, cmd, format string, args ...any) error {
	return &DecodeError{Offset: off, Command: cmd, Reason: fmt.Sprintf(format, args...)}
}

// need returns the n bytes after the command prefix of length skip at off.
func (d *decoder) need(off, skip, n int, cmd string) ([]byte, error) {
	if off+skip+n > len(d.b) {
		return nil, d.fail(off, cmd, "truncated: want %d parameter bytes, have %d", n, max(0, len(d.b)-off-skip))
	}
	return d.b[off+skip : off+skip+n], nil
}

func (d *decoder) flush() {
	if d.line == nil {
		return
	}
	d.doc.Items = append(d.doc.Items, Item{Kind: ItemText, Offset: d.lineStart, Style: d.lineStyle, Text: d.cp.Decode(d.line)})
	d.line = nil
}

func (d *decoder) startLine(off int) {
	if d.line == nil {
		d.line = []byte{}
		d.lineStart = off
		d.lineStyle = d.style
	}
}

func (d *decoder) run() error {
	for d.pos < len(d.b) {
		off := d.pos
		c := d.b[off]
		switch {
		case c >= 0x20:
			d.startLine(off)
			d.line = append(d.line, c)
			d.pos++
		case c == escpos.LF:
			d.startLine(off)
			d.flush()
			d.pos++
		case c == '\r':
			d.pos++
		case c == '\t':
			d.startLine(off)
			d.line = append(d.line, ' ')
			d.pos++
		case c == escpos.DLE:
			if err := d.dle(off); err != nil {
				return err
			}
		case c == escpos.ESC:
			if err := d.esc(off); err != nil {
				return err
			}
		case c == escpos.GS:
			if err := d.gs(off); err != nil {
				return err
			}
		default:
			return d.fail(off, fmt.Sprintf("0x%02X", c), "unexpected control byte")
		}
	}
	d.flush()
	return nil
}

func (d *decoder) dle(off int) error {
	p, err := d.need(off, 1, 2, "DLE")
	if err != nil {
		return err
	}
	switch p[0] {
	case escpos.EOT:
		if p[1] < 1 || p[1] > 4 {
			return d.fail(off, "DLE EOT", "status type %d out of range 1..4", p[1])
		}
	case 0x05: // DLE ENQ n: real-time request to the printer
		if p[1] > 2 {
			return d.fail(off, "DLE ENQ", "request %d out of range 0..2", p[1])
		}
	default:
		return d.fail(off, fmt.Sprintf("DLE 0x%02X", p[0]), "unknown command")
	}
	d.pos = off + 3
	return nil
}

func (d *decoder) esc(off int) error {
	if off+1 >= len(d.b) {
		return d.fail(off, "ESC", "truncated command")
	}
	c := d.b[off+1]
	name := "ESC " + cmdName(c)
	// Commands without parameters.
	switch c {
	case '@':
		d.line = nil // the printer clears its buffer
		d.style = Style{Width: 1, Height: 1}
		d.cp = escpos.CP437
		d.qrData, d.qrSet, d.qrSize, d.qrLevel = nil, false, 3, escpos.ECLow
		d.pos = off + 2
		return nil
	case '2':
		d.pos = off + 2
		return nil
	case 'i', 'm':
		d.flush()
		d.doc.Items = append(d.doc.Items, Item{Kind: ItemCut, Offset: off, Partial: true})
		d.pos = off + 2
		return nil
	}
	var plen int
	switch c {
	case 't', 'a', 'E', 'G', '-', '!', 'd', 'J', '3', 'M', 'R', ' ', '{', 'V', 'e', 'U':
		plen = 1
	case 'c':
		plen = 2
	case 'p':
		plen = 3
	default:
		return d.fail(off, name, "unknown command")
	}
	p, err := d.need(off, 2, plen, name)
	if err != nil {
		return err
	}
	n := p[0]
	switch c {
	case 't':
		d.cp = escpos.CodePage(n) // unknown tables decode as U+FFFD above 0x7F
	case 'a':
		switch n {
		case 0, 1, 2, 48, 49, 50:
			d.style.Align = escpos.Align(n % 48)
		default:
			return d.fail(off, name, "justification %d out of range", n)
		}
	case 'E':
		d.style.Bold = n&1 != 0
	case '!':
		d.style.Bold = n&0x08 != 0
		d.style.Height = 1 + int(n>>4&1)
		d.style.Width = 1 + int(n>>5&1)
	case 'd':
		d.flush()
		if n > 0 {
			d.doc.Items = append(d.doc.Items, Item{Kind: ItemFeed, Offset: off, Lines: int(n)})
		}
	case 'J':
		d.flush()
	case 'c':
		if p[0] < '3' || p[0] > '5' {
			return d.fail(off, name, "unknown sub-command 0x%02X", p[0])
		}
	case 'p':
		if n > 1 && n != 48 && n != 49 {
			return d.fail(off, name, "drawer pin %d out of range", n)
		}
	}
	d.pos = off + 2 + plen
	return nil
}

func (d *decoder) gs(off int) error {
	if off+1 >= len(d.b) {
		return d.fail(off, "GS", "truncated command")
	}
	c := d.b[off+1]
	name := "GS " + cmdName(c)
	switch c {
	case '!':
		p, err := d.need(off, 2, 1, name)
		if err != nil {
			return err
		}
		w, h := int(p[0]>>4)+1, int(p[0]&0x0f)+1
		if w > 8 || h > 8 {
			return d.fail(off, name, "size 0x%02X out of range", p[0])
		}
		d.style.Width, d.style.Height = w, h
		d.pos = off + 3
	case 'V':
		return d.cut(off, name)
	case 'v':
		return d.raster(off)
	case '(':
		return d.gsParen(off)
	case 'k':
		return d.barcode(off)
	case 'B', 'a', 'H', 'h', 'w', 'f', 'I', 'r', 'b', 'E':
		if _, err := d.need(off, 2, 1, name); err != nil {
			return err
		}
		d.pos = off + 3
	case 'L', 'W':
		if _, err := d.need(off, 2, 2, name); err != nil {
			return err
		}
		d.pos = off + 4
	default:
		return d.fail(off, name, "unknown command")
	}
	return nil
}

func (d *decoder) cut(off int, name string) error {
	p, err := d.need(off, 2, 1, name)
	if err != nil {
		return err
	}
	m := p[0]
	size := 3
	var partial bool
	switch m {
	case 0, 48:
	case 1, 49:
		partial = true
	case 65, 97, 103:
		size = 4
	case 66, 98, 104:
		size, partial = 4, true
	default:
		return d.fail(off, name, "cut mode %d out of range", m)
	}
	if size == 4 {
		if _, err := d.need(off, 3, 1, name); err != nil {
			return err
		}
	}
	d.flush()
	d.doc.Items = append(d.doc.Items, Item{Kind: ItemCut, Offset: off, Partial: partial})
	d.pos = off + size
	return nil
}

func (d *decoder) raster(off int) error {
	const name = "GS v 0"
	p, err := d.need(off, 2, 6, name)
	if err != nil {
		return err
	}
	if p[0] != '0' {
		return d.fail(off, "GS v", "unknown function 0x%02X", p[0])
	}
	m := p[1]
	if m > 3 && (m < 48 || m > 51) {
		return d.fail(off, name, "mode %d out of range", m)
	}
	m %= 48
	x := int(p[2]) | int(p[3])<<8
	y := int(p[4]) | int(p[5])<<8
	if x == 0 || y == 0 {
		return d.fail(off, name, "empty image %d bytes x %d dots", x, y)
	}
	data, err := d.need(off, 8, x*y, name)
	if err != nil {
		return err
	}
	d.flush()
	sw, sh := 1+int(m&1), 1+int(m>>1&1)
	// Bands of the same image follow one another: join them.
	if n := len(d.doc.Items); n > 0 {
		last := &d.doc.Items[n-1]
		if last.Kind == ItemImage && last.QR == nil && last.Image.WidthBytes == x && last.Style.Width == sw && last.Style.Height == sh {
			last.Image.Data = append(last.Image.Data, data...)
			last.Image.Height += y
			d.pos = off + 8 + x*y
			return nil
		}
	}
	r := &escpos.Raster{WidthBytes: x, Height: y, Data: append([]byte(nil), data...)}
	d.doc.Items = append(d.doc.Items, Item{Kind: ItemImage, Offset: off, Image: r, Style: Style{Align: d.style.Align, Width: sw, Height: sh}})
	d.pos = off + 8 + x*y
	return nil
}

func (d *decoder) gsParen(off int) error {
	p, err := d.need(off, 2, 3, "GS (")
	if err != nil {
		return err
	}
	fnName := "GS ( " + cmdName(p[0])
	plen := int(p[1]) | int(p[2])<<8
	args, err := d.need(off, 5, plen, fnName)
	if err != nil {
		return err
	}
	d.pos = off + 5 + plen
	if p[0] != 'k' {
		return nil // other GS ( functions (graphics, settings) print nothing we track
	}
	if plen < 2 {
		return d.fail(off, fnName, "parameter length %d too short", plen)
	}
	if args[0] != 49 {
		return nil // other 2D symbols (PDF417, MaxiCode, ...) are skipped
	}
	fn := args[1]
	want := func(n int) error {
		if plen != n {
			return d.fail(off, fnName, "fn %d: parameter length %d, want %d", fn, plen, n)
		}
		return nil
	}
	switch fn {
	case 65:
		if err := want(4); err != nil {
			return err
		}
		if args[2] < 49 || args[2] > 51 || args[3] != 0 {
			return d.fail(off, fnName, "fn 65: model %d out of range 49..51", args[2])
		}
	case 67:
		if err := want(3); err != nil {
			return err
		}
		if args[2] < 1 || args[2] > 16 {
			return d.fail(off, fnName, "fn 67: module size %d out of range 1..16", args[2])
		}
		d.qrSize = int(args[2])
	case 69:
		if err := want(3); err != nil {
			return err
		}
		if args[2] < 48 || args[2] > 51 {
			return d.fail(off, fnName, "fn 69: error correction %d out of range 48..51", args[2])
		}
		d.qrLevel = escpos.ECLevel(args[2] - 48)
	case 80:
		if plen < 4 || args[2] != 48 {
			return d.fail(off, fnName, "fn 80: bad store header")
		}
		if k := plen - 3; k > escpos.MaxQRData {
			return d.fail(off, fnName, "fn 80: %d bytes of data, the most is %d", k, escpos.MaxQRData)
		}
		d.qrData = append(d.qrData[:0], args[3:]...)
		d.qrSet = true
	case 81:
		if err := want(3); err != nil {
			return err
		}
		if args[2] != 48 {
			return d.fail(off, fnName, "fn 81: m %d, want 48", args[2])
		}
		d.flush()
		if d.qrSet {
			d.doc.Items = append(d.doc.Items, Item{Kind: ItemQR, Offset: off, Style: Style{Align: d.style.Align, Width: 1, Height: 1},
				QR: &QR{Data: string(d.qrData), ModuleSize: d.qrSize, Level: d.qrLevel, Native: true}})
		}
	case 82:
		if err := want(3); err != nil {
			return err
		}
	default:
		return d.fail(off, fnName, "unknown QR function %d", fn)
	}
	return nil
}

func (d *decoder) barcode(off int) error {
	const name = "GS k"
	p, err := d.need(off, 2, 1, name)
	if err != nil {
		return err
	}
	m := p[0]
	var data []byte
	switch {
	case m <= 6:
		i := off + 3
		for i < len(d.b) && d.b[i] != 0 {
			i++
		}
		if i >= len(d.b) {
			return d.fail(off, name, "truncated: no NUL after barcode data")
		}
		data = d.b[off+3 : i]
		d.pos = i + 1
	case m >= 65 && m <= 79:
		q, err := d.need(off, 3, 1, name)
		if err != nil {
			return err
		}
		if data, err = d.need(off, 4, int(q[0]), name); err != nil {
			return err
		}
		d.pos = off + 4 + len(data)
	default:
		return d.fail(off, name, "barcode system %d out of range", m)
	}
	d.flush()
	d.doc.Items = append(d.doc.Items, Item{Kind: ItemBarcode, Offset: off, Text: escpos.CP437.Decode(data)})
	return nil
}

func cmdName(c byte) string {
	if c > 0x20 && c < 0x7f {
		return string(rune(c))
	}
	return fmt.Sprintf("0x%02X", c)
}

// Lines returns the text lines in order, without styles.
func (d *Document) Lines() []string {
	var out []string
	for _, it := range d.Items {
		if it.Kind == ItemText {
			out = append(out, it.Text)
		}
	}
	return out
}

// QRs returns the payloads of the QR codes in order: native ones, and raster ones that
// ScanImages recognised.
func (d *Document) QRs() []string {
	var out []string
	for _, it := range d.Items {
		if it.QR != nil {
			out = append(out, it.QR.Data)
		}
	}
	return out
}

// Cuts returns the number of paper cuts.
func (d *Document) Cuts() int {
	n := 0
	for _, it := range d.Items {
		if it.Kind == ItemCut {
			n++
		}
	}
	return n
}

// ScanImages looks for a QR code in every raster image (with gozxing) and records the
// ones found in Item.QR. It returns how many it found.
func (d *Document) ScanImages() int {
	n := 0
	for i := range d.Items {
		it := &d.Items[i]
		if it.Kind != ItemImage || it.QR != nil {
			continue
		}
		if s, err := DecodeQR(it.Image); err == nil {
			it.QR = &QR{Data: s}
			n++
		}
	}
	return n
}

// Text renders the document as plain text, one printed line per line, with QR codes,
// images and cuts as bracketed notes. Alignment is not rendered; see TextWidth.
func (d *Document) Text() string { return d.TextWidth(0) }

// TextWidth is Text with centred and right-aligned lines padded for a paper of cols
// font-A columns (magnified characters count as one column in the text).
func (d *Document) TextWidth(cols int) string {
	var sb strings.Builder
	for _, it := range d.Items {
		switch it.Kind {
		case ItemText:
			line := it.Text
			if cols > 0 && it.Style.Align != escpos.AlignLeft {
				if n := len([]rune(line)); n < cols {
					pad := cols - n
					if it.Style.Align == escpos.AlignCenter {
						pad /= 2
					}
					line = strings.Repeat(" ", pad) + line
				}
			}
			sb.WriteString(strings.TrimRight(line, " "))
			sb.WriteByte('\n')
		case ItemFeed:
			sb.WriteString(strings.Repeat("\n", it.Lines))
		case ItemQR:
			fmt.Fprintf(&sb, "[QR %s]\n", it.QR.Data)
		case ItemImage:
			if it.QR != nil {
				fmt.Fprintf(&sb, "[QR %s (image)]\n", it.QR.Data)
			} else {
				fmt.Fprintf(&sb, "[image %dx%d]\n", it.Image.Width(), it.Image.Height)
			}
		case ItemBarcode:
			fmt.Fprintf(&sb, "[barcode %s]\n", it.Text)
		case ItemCut:
			if it.Partial {
				sb.WriteString("- - - - - - - - partial cut - - - - - - - -\n")
			} else {
				sb.WriteString("---------------- cut ----------------\n")
			}
		}
	}
	return sb.String()
}
