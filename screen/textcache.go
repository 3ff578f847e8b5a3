package screen

import (
	"bytes"
	"image"
	"image/color"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// The renderer draws the same strings in the same places screen after screen
// (the status bar, titles, hints, the countdown's first value), so it keeps
// what measuring and drawing a string cost: its width per face, where its
// glyphs fall relative to the dot, and its pixels composited over a uniform
// background. A composited run is only ever copied onto pixels checked, at
// draw time, to all be that background colour: drawing glyphs with
// draw.Over onto such pixels gives each pixel a value that depends on
// nothing but the background colour, the text colour and the glyph masks,
// so the copy is pixel for pixel what drawing the glyphs there would give.

// maxTextEntries bounds the width and run caches, maxRunBytes the pixels the
// composited runs hold; a cache past its bound is cleared.
const (
	maxTextEntries = 1024
	maxRunBytes    = 1 << 20
)

// textCache is the Renderer's cache of measured and composited strings. Used
// under Renderer.mu.
type textCache struct {
	widths   map[widthKey]fixed.Int26_6
	inks     map[runKey]image.Rectangle
	runs     map[pixKey]*image.RGBA
	seen     map[pixKey]struct{} // runs drawn once, composited when drawn again
	runBytes int
	off      bool   // measure and draw every string afresh
	row      []byte // a row of one colour, for uniformIn
}

type widthKey struct {
	face font.Face
	s    string
}

// runKey names a string drawn with a face at a dot's sub-pixel offset: its
// glyphs' pixels relative to the dot's whole-pixel position are the same
// wherever it is drawn.
type runKey struct {
	face   font.Face
	s      string
	fx, fy fixed.Int26_6
}

type pixKey struct {
	run runKey
	col color.RGBA
	bg  [4]uint8
}

// width returns s's advance in f (font.MeasureString).
func (t *textCache) width(f font.Face, s string) fixed.Int26_6 {
	if t.off {
		return font.MeasureString(f, s)
	}
	k := widthKey{f, s}
	if w, ok := t.widths[k]; ok {
		return w
	}
	w := font.MeasureString(f, s)
	if t.widths == nil || len(t.widths) >= maxTextEntries {
		t.widths = make(map[widthKey]fixed.Int26_6)
	}
	t.widths[k] = w
	return w
}

// ink returns the pixels the glyphs of s drawn at dot cover, as
// font.Drawer.DrawString places them.
func (t *textCache) ink(f font.Face, s string, dot fixed.Point26_6) image.Rectangle {
	if t.off {
		return (clockText{text: s, face: f, dot: dot}).ink(0)
	}
	k := runKey{f, s, dot.X & 63, dot.Y & 63}
	base := image.Pt(dot.X.Floor(), dot.Y.Floor())
	if r, ok := t.inks[k]; ok {
		return r.Add(base)
	}
	r := (clockText{text: s, face: f, dot: dot}).ink(0)
	if t.inks == nil || len(t.inks) >= maxTextEntries {
		t.inks = make(map[runKey]image.Rectangle)
	}
	t.inks[k] = r.Sub(base)
	return r
}

// draw draws s with face f and colour col at dot into dst as
// font.Drawer.DrawString does, copying a composited run when every pixel
// it covers in dst is of one colour.
func (t *textCache) draw(dst *image.RGBA, f font.Face, s string, dot fixed.Point26_6, col color.RGBA) {
	ink := t.ink(f, s, dot)
	area := ink.Intersect(dst.Rect)
	bg, uniform := t.uniformIn(dst, area)
	k := pixKey{runKey{f, s, dot.X & 63, dot.Y & 63}, col, bg}
	run, ok := t.runs[k]
	if !ok && !t.off && uniform {
		// A run is composited the second time it is drawn: text drawn once (a
		// countdown's value, an amount) costs no more than before.
		if _, again := t.seen[k]; !again {
			if t.seen == nil || len(t.seen) >= maxTextEntries {
				t.seen = make(map[pixKey]struct{})
			}
			t.seen[k] = struct{}{}
			uniform = false
		}
	}
	if t.off || area.Empty() || !uniform {
		d := font.Drawer{Dst: dst, Src: image.NewUniform(col), Face: f, Dot: dot}
		d.DrawString(s)
		return
	}
	base := image.Pt(dot.X.Floor(), dot.Y.Floor())
	if !ok {
		run = image.NewRGBA(ink.Sub(base))
		// Drawn at its place in ink's coordinates, then moved to the dot's.
		run.Rect = ink
		fillRGBA(run, ink, color.RGBA{bg[0], bg[1], bg[2], bg[3]})
		d := font.Drawer{Dst: run, Src: image.NewUniform(col), Face: f, Dot: dot}
		d.DrawString(s)
		run.Rect = ink.Sub(base)
		if t.runs == nil || len(t.runs) >= maxTextEntries || t.runBytes+len(run.Pix) > maxRunBytes {
			t.runs = make(map[pixKey]*image.RGBA)
			t.runBytes = 0
		}
		t.runs[k] = run
		t.runBytes += len(run.Pix)
	}
	rel := area.Sub(base)
	n := 4 * area.Dx()
	for y := 0; y < area.Dy(); y++ {
		do := dst.PixOffset(area.Min.X, area.Min.Y+y)
		so := run.PixOffset(rel.Min.X, rel.Min.Y+y)
		copy(dst.Pix[do:do+n], run.Pix[so:so+n])
	}
}

// uniformIn reports whether every pixel of img in r (within img's bounds)
// has one colour, and which. It compares each row with a row of that colour
// kept in t.row.
func (t *textCache) uniformIn(img *image.RGBA, r image.Rectangle) ([4]uint8, bool) {
	var c [4]uint8
	if r.Empty() {
		return c, false
	}
	o := img.PixOffset(r.Min.X, r.Min.Y)
	copy(c[:], img.Pix[o:o+4])
	n := 4 * r.Dx()
	if cap(t.row) < n {
		t.row = make([]byte, n)
	}
	ref := t.row[:n]
	fillBytes(ref, color.RGBA{c[0], c[1], c[2], c[3]})
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o := img.PixOffset(r.Min.X, y)
		if !bytes.Equal(img.Pix[o:o+n], ref) {
			return c, false
		}
	}
	return c, true
}

// fillRGBA sets every pixel of img in r (within img's bounds) to col, as
// draw.Draw with a uniform source of col and draw.Src does.
func fillRGBA(img *image.RGBA, r image.Rectangle, col color.RGBA) {
	if r = r.Intersect(img.Rect); r.Empty() {
		return
	}
	n := 4 * r.Dx()
	o := img.PixOffset(r.Min.X, r.Min.Y)
	row := img.Pix[o : o+n : o+n]
	fillBytes(row, col)
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		o := img.PixOffset(r.Min.X, y)
		copy(img.Pix[o:o+n], row)
	}
}

// fillBytes sets the pixels of row, RGBA bytes (a multiple of 4), to col.
func fillBytes(row []byte, col color.RGBA) {
	if len(row) < 4 {
		return
	}
	row[0], row[1], row[2], row[3] = col.R, col.G, col.B, col.A
	for i := 4; i < len(row); i *= 2 {
		copy(row[i:], row[:i])
	}
}
