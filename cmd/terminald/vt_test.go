package main

// vt is a small terminal emulator for the tests that run the simulator on a real pty:
// it keeps what a terminal window would show (characters with their 24-bit colours),
// the lines scrolled off its top, and turns half-block drawings back into pixels.

import (
	"image"
	"image/color"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

const vtDefault = 1 << 24 // the terminal's own colour

type vtCell struct {
	ch     rune
	fg, bg uint32
}

type vt struct {
	mu         sync.Mutex
	cols, rows int
	cells      [][]vtCell
	history    []string // lines scrolled off the top, as text
	x, y       int
	wrapNext   bool
	fg, bg     uint32
	pend       []byte // an unfinished escape sequence or UTF-8 rune
	total      int64  // bytes fed
}

func newVT(cols, rows int) *vt {
	v := &vt{}
	v.resize(cols, rows)
	return v
}

func blankVTCell() vtCell { return vtCell{' ', vtDefault, vtDefault} }

// resize empties the window and sets its size (the simulator redraws after SIGWINCH).
func (v *vt) resize(cols, rows int) {
	v.cols, v.rows = cols, rows
	v.cells = make([][]vtCell, rows)
	for i := range v.cells {
		v.cells[i] = v.blankRow()
	}
	v.x, v.y, v.wrapNext = 0, 0, false
	v.fg, v.bg = vtDefault, vtDefault
}

func (v *vt) blankRow() []vtCell {
	r := make([]vtCell, v.cols)
	for i := range r {
		r[i] = blankVTCell()
	}
	return r
}

func (v *vt) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.total += int64(len(p))
	b := append(v.pend, p...)
	v.pend = nil
	for len(b) > 0 {
		n := v.step(b)
		if n == 0 {
			v.pend = append([]byte(nil), b...)
			break
		}
		b = b[n:]
	}
	return len(p), nil
}

// step consumes one character or sequence from b; 0 when b holds only part of one.
func (v *vt) step(b []byte) int {
	switch c := b[0]; {
	case c == 0x1b:
		if len(b) < 2 {
			return 0
		}
		if b[1] != '[' {
			return 2
		}
		for i := 2; i < len(b); i++ {
			if b[i] >= 0x40 && b[i] <= 0x7e {
				v.csi(string(b[2:i]), b[i])
				return i + 1
			}
		}
		return 0
	case c == '\r':
		v.x, v.wrapNext = 0, false
		return 1
	case c == '\n':
		v.lineFeed()
		return 1
	case c < 0x20:
		return 1
	}
	if !utf8.FullRune(b) {
		return 0
	}
	r, n := utf8.DecodeRune(b)
	if v.wrapNext {
		v.x, v.wrapNext = 0, false
		v.lineFeed()
	}
	v.cells[v.y][v.x] = vtCell{r, v.fg, v.bg}
	if v.x == v.cols-1 {
		v.wrapNext = true
	} else {
		v.x++
	}
	return n
}

func (v *vt) lineFeed() {
	v.wrapNext = false
	if v.y < v.rows-1 {
		v.y++
		return
	}
	v.history = append(v.history, rowText(v.cells[0]))
	copy(v.cells, v.cells[1:])
	v.cells[v.rows-1] = v.blankRow()
}

func (v *vt) csi(params string, final byte) {
	var ns []int
	if !strings.HasPrefix(params, "?") {
		for _, f := range strings.Split(params, ";") {
			n, _ := strconv.Atoi(f)
			ns = append(ns, n)
		}
	}
	arg := func(i, def int) int {
		if i < len(ns) && ns[i] > 0 {
			return ns[i]
		}
		return def
	}
	switch final {
	case 'H':
		v.y, v.x, v.wrapNext = min(arg(0, 1), v.rows)-1, min(arg(1, 1), v.cols)-1, false
	case 'J':
		from := 0
		switch arg(0, 0) {
		case 0:
			for x := v.x; x < v.cols; x++ {
				v.cells[v.y][x] = blankVTCell()
			}
			from = v.y + 1
		case 2:
		default:
			return
		}
		for y := from; y < v.rows; y++ {
			v.cells[y] = v.blankRow()
		}
	case 'K':
		for x := v.x; x < v.cols; x++ {
			v.cells[v.y][x] = blankVTCell()
		}
	case 'm':
		if len(ns) == 0 {
			ns = []int{0}
		}
		for i := 0; i < len(ns); i++ {
			switch n := ns[i]; {
			case n == 0:
				v.fg, v.bg = vtDefault, vtDefault
			case n == 39:
				v.fg = vtDefault
			case n == 49:
				v.bg = vtDefault
			case (n == 38 || n == 48) && i+4 < len(ns) && ns[i+1] == 2:
				c := uint32(ns[i+2])<<16 | uint32(ns[i+3])<<8 | uint32(ns[i+4])
				if n == 38 {
					v.fg = c
				} else {
					v.bg = c
				}
				i += 4
			}
		}
	}
}

func rowText(r []vtCell) string {
	var b strings.Builder
	for _, c := range r {
		b.WriteRune(c.ch)
	}
	return strings.TrimRight(b.String(), " ")
}

// text is the window's text, row by row.
func (v *vt) text() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var rows []string
	for _, r := range v.cells {
		rows = append(rows, rowText(r))
	}
	return strings.Join(rows, "\n")
}

// all is the history and the window as text.
func (v *vt) all() string {
	h := func() string {
		v.mu.Lock()
		defer v.mu.Unlock()
		return strings.Join(v.history, "\n")
	}()
	return h + "\n" + v.text()
}

// bytes is how many bytes the terminal was sent.
func (v *vt) bytes() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.total
}

// pixels turns the window into the picture a phone's camera sees: each cell two
// square pixels (upper and lower half), scale×scale image pixels each, text and
// empty cells in the terminal's background, taken as black (a dark theme, the
// harder case for a QR code's quiet zone).
func (v *vt) pixels(scale int) *image.RGBA {
	v.mu.Lock()
	defer v.mu.Unlock()
	img := image.NewRGBA(image.Rect(0, 0, v.cols*scale, v.rows*2*scale))
	rgb := func(c uint32) color.RGBA {
		if c == vtDefault {
			return color.RGBA{A: 0xff}
		}
		return color.RGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 0xff}
	}
	for y, row := range v.cells {
		for x, c := range row {
			up, lo := rgb(c.bg), rgb(c.bg)
			switch c.ch {
			case '▀':
				up = rgb(c.fg)
			case '▄':
				lo = rgb(c.fg)
			case '█':
				up, lo = rgb(c.fg), rgb(c.fg)
			}
			for dy := 0; dy < 2*scale; dy++ {
				col := up
				if dy >= scale {
					col = lo
				}
				for dx := 0; dx < scale; dx++ {
					img.SetRGBA(x*scale+dx, y*2*scale+dy, col)
				}
			}
		}
	}
	return img
}
