package display

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"io"
	"strconv"
	"unicode"
)

// DefaultColor in a Cell's FG or BG is the terminal's own colour (its theme's
// foreground or background), for text that must stay readable in any theme.
const DefaultColor uint32 = 1 << 24

// RGB packs c into a Cell colour (0xRRGGBB).
func RGB(c color.Color) uint32 {
	r, g, b, _ := c.RGBA()
	return uint32(r>>8)<<16 | uint32(g>>8)<<8 | uint32(b>>8)
}

// Cell is one character cell of a terminal: a rune of display width one, its
// foreground and background (0xRRGGBB or DefaultColor) and boldness.
type Cell struct {
	Ch     rune
	FG, BG uint32
	Bold   bool
}

// blank is an empty cell in the terminal's own colours.
var blank = Cell{Ch: ' ', FG: DefaultColor, BG: DefaultColor}

// Grid is a rectangle of terminal cells, row by row: the simulator's picture of
// the display and the text beside it, kept so that only changed cells are
// written again (WriteDiff).
type Grid struct {
	W, H  int
	Cells []Cell // W*H, row-major
}

// NewGrid returns a w×h grid of blank cells in the terminal's own colours.
func NewGrid(w, h int) *Grid {
	g := &Grid{W: max(w, 0), H: max(h, 0)}
	g.Cells = make([]Cell, g.W*g.H)
	for i := range g.Cells {
		g.Cells[i] = blank
	}
	return g
}

// At returns the cell at column x, row y (both from 0); a blank cell outside.
func (g *Grid) At(x, y int) Cell {
	if x < 0 || y < 0 || x >= g.W || y >= g.H {
		return blank
	}
	return g.Cells[y*g.W+x]
}

func (g *Grid) set(x, y int, c Cell) {
	if x >= 0 && y >= 0 && x < g.W && y < g.H {
		g.Cells[y*g.W+x] = c
	}
}

// Text writes s from column x of row y in the terminal's own colours, cut at
// column x+width; it returns the number of cells written. Control characters
// and runes wider than one cell are written as '?'.
func (g *Grid) Text(x, y, width int, s string, bold bool) int {
	n := 0
	for _, r := range s {
		if n >= width || x+n >= g.W {
			break
		}
		if !unicode.IsPrint(r) || wide(r) {
			r = '?'
		}
		g.set(x+n, y, Cell{Ch: r, FG: DefaultColor, BG: DefaultColor, Bold: bold})
		n++
	}
	return n
}

// wide reports runes most terminals draw two cells wide (CJK, emoji).
func wide(r rune) bool {
	return r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
		(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) ||
		(r >= 0xffe0 && r <= 0xffe6) || (r >= 0x1f300 && r <= 0x1faff) || r >= 0x20000)
}

// Sampling maps the pixels of a half-block drawing to the image they show:
// output pixel (px, py) shows the image pixel at
// Origin + floor((2·p+1)·Num / (2·Den)) in each axis, the centre of the
// Num/Den-pixel square it stands for. With Num equal to a QR module size, Den
// a whole number and Origin on the module grid, every module is drawn as Den×Den
// whole output pixels, so the code stays readable.
type Sampling struct {
	Origin   image.Point
	Num, Den int
}

func (s Sampling) src(p, origin int) int {
	return origin + floorDiv((2*p+1)*s.Num, 2*s.Den)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// HalfBlocks draws w×h output pixels of img, sampled by s, into the grid from
// cell (x0, y0): each cell shows two pixels one above the other with the upper
// half block '▀' (foreground above, background below). An odd h leaves the
// lower half of the last row in the terminal's background. Pixels outside img
// are drawn in the terminal's background.
func (g *Grid) HalfBlocks(x0, y0 int, img image.Image, s Sampling, w, h int) {
	if s.Den <= 0 || s.Num <= 0 {
		return
	}
	b := img.Bounds()
	at := func(px, py int) uint32 {
		p := image.Pt(s.src(px, s.Origin.X), s.src(py, s.Origin.Y))
		if !p.In(b) {
			return DefaultColor
		}
		return RGB(img.At(p.X, p.Y))
	}
	for cy := 0; cy*2 < h; cy++ {
		for cx := 0; cx < w; cx++ {
			c := Cell{Ch: '▀', FG: at(cx, 2*cy), BG: DefaultColor}
			if 2*cy+1 < h {
				c.BG = at(cx, 2*cy+1)
			}
			if c.FG == DefaultColor {
				// '▀' in the default foreground would show a light block on a
				// dark theme; a lower half block keeps the upper half empty.
				c.Ch, c.FG, c.BG = '▄', c.BG, DefaultColor
				if c.FG == DefaultColor {
					c.Ch = ' '
				}
			}
			g.set(x0+cx, y0+cy, c)
		}
	}
}

// ansiWriter writes cells with as few attribute changes as it can.
type ansiWriter struct {
	w    *bufio.Writer
	cur  Cell
	have bool // cur holds the attributes in force
}

func (a *ansiWriter) cell(c Cell) {
	if !a.have || c.FG != a.cur.FG || c.BG != a.cur.BG || c.Bold != a.cur.Bold {
		a.w.WriteString("\x1b[0")
		if c.Bold {
			a.w.WriteString(";1")
		}
		colour := func(kind string, v uint32) {
			if v == DefaultColor {
				return
			}
			a.w.WriteString(";" + kind + ";2;" + strconv.Itoa(int(v>>16&0xff)) + ";" + strconv.Itoa(int(v>>8&0xff)) + ";" + strconv.Itoa(int(v&0xff)))
		}
		colour("38", c.FG)
		colour("48", c.BG)
		a.w.WriteByte('m')
		a.cur, a.have = c, true
	}
	a.w.WriteRune(c.Ch)
}

func (a *ansiWriter) reset() {
	if a.have {
		a.w.WriteString("\x1b[0m")
		a.have = false
	}
}

// WriteFull writes every row of g from the cursor's position on, rows
// separated by "\r\n", without cursor addressing: written at the bottom of a
// terminal it scrolls what is above up. The cursor ends on the last row.
func WriteFull(w io.Writer, g *Grid) error {
	a := &ansiWriter{w: bufio.NewWriter(w)}
	for y := 0; y < g.H; y++ {
		if y > 0 {
			a.reset()
			a.w.WriteString("\r\n")
		}
		for x := 0; x < g.W; x++ {
			a.cell(g.At(x, y))
		}
	}
	a.reset()
	if err := a.w.Flush(); err != nil {
		return fmt.Errorf("display: terminal: %w", err)
	}
	return nil
}

// WriteDiff writes the cells of next that differ from prev, with cursor
// addressing: grid row 0 is terminal row top (from 1), column 0 terminal
// column 1. Runs of changed cells close together are written as one. prev
// must have next's size; use WriteFull after a size change. A countdown tick
// rewrites only its digits, not the screen.
func WriteDiff(w io.Writer, prev, next *Grid, top int) error {
	if prev == nil || prev.W != next.W || prev.H != next.H {
		return fmt.Errorf("display: terminal: diff of grids of different sizes")
	}
	a := &ansiWriter{w: bufio.NewWriter(w)}
	const gap = 6 // unchanged cells cheaper to write again than to jump over
	for y := 0; y < next.H; y++ {
		x := 0
		for x < next.W {
			if next.At(x, y) == prev.At(x, y) {
				x++
				continue
			}
			end := x + 1 // one past the last changed cell of the run
			for i := end; i < next.W && i < end+gap; i++ {
				if next.At(i, y) != prev.At(i, y) {
					end = i + 1
				}
			}
			fmt.Fprintf(a.w, "\x1b[%d;%dH", top+y, x+1)
			for i := x; i < end; i++ {
				a.cell(next.At(i, y))
			}
			x = end
		}
	}
	a.reset()
	if err := a.w.Flush(); err != nil {
		return fmt.Errorf("display: terminal: %w", err)
	}
	return nil
}
