package screen

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// MinQRModule is the smallest QR module size in pixels the renderer draws.
// A code that does not fit at this size is replaced by an error text.
const MinQRModule = 3

// QRQuietZone is the width of the white margin around a QR code, in modules.
const QRQuietZone = 4

// Colours used by the renderer.
var (
	colWhite  = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colBlack  = color.RGBA{0x00, 0x00, 0x00, 0xff}
	colText   = color.RGBA{0x18, 0x18, 0x18, 0xff}
	colGrey   = color.RGBA{0x60, 0x60, 0x60, 0xff}
	colBar    = color.RGBA{0x20, 0x24, 0x2a, 0xff}
	colBarTxt = color.RGBA{0xe8, 0xe8, 0xe8, 0xff}
	colGreen  = color.RGBA{0x1b, 0x8a, 0x3a, 0xff}
	colRed    = color.RGBA{0xc6, 0x28, 0x28, 0xff}
	colAmber  = color.RGBA{0xc7, 0x7c, 0x02, 0xff}
	colBlue   = color.RGBA{0x15, 0x5e, 0xb0, 0xff}
	colSlate  = color.RGBA{0x55, 0x5f, 0x6b, 0xff}
	colBadge  = color.RGBA{0xe4, 0xea, 0xf2, 0xff}
)

// Renderer draws Screens into images. It holds the parsed fonts and a cache of
// font faces; it is safe for concurrent use.
type Renderer struct {
	mu      sync.Mutex
	regular *opentype.Font
	bold    *opentype.Font
	faces   map[faceKey]font.Face
	qr      qrCache // last QR encoded, reused while the countdown ticks
	fits    map[qrShape]qrFit
	text    textCache // strings measured and drawn before
}

// qrShape is what decides a QR code's size at every error-correction level:
// the encoding mode qr.Auto picks, the payload's length in bytes, and the
// side it must fit. Payloads of one shape get the same module size and level.
type qrShape struct {
	mode byte // 'n' numeric, 'a' alphanumeric, 'b' bytes
	n    int
	side int
}

// qrFit is fitQR's choice for a qrShape, with the code's width in modules to
// check a reuse against.
type qrFit struct {
	level  qr.ErrorCorrectionLevel
	name   string
	module int
	width  int
}

// maxQRFits bounds the fit cache; it is cleared when full.
const maxQRFits = 64

type qrCache struct {
	valid   bool
	payload string
	side    int
	code    barcode.Barcode
	level   string
	module  int
	pix     []byte // the code's pixel rows (qrCache.draw), built on its first draw
}

// draw paints the cached code with its quiet zone into at, a rectangle of img
// (n+2·QRQuietZone modules a side): every pixel as filling at white and
// drawing the dark modules gives. The code's module rows are built once, as
// pixel rows, and copied to every pixel row of their module.
func (q *qrCache) draw(img *image.RGBA, at image.Rectangle) {
	n, mod := q.code.Bounds().Dx(), q.module
	w := 4 * at.Dx()
	if len(q.pix) != (n+1)*w {
		if cap(q.pix) < (n+1)*w {
			q.pix = make([]byte, (n+1)*w)
		}
		q.pix = q.pix[:(n+1)*w]
		// Every row white, then each module row's dark modules black, a
		// module's pixels copied from the first black one of its row.
		fillBytes(q.pix, colWhite)
		for j := 0; j < n; j++ {
			row := q.pix[j*w : (j+1)*w]
			black := -1 // offset of a dark module's pixels in row
			for i := 0; i < n; i++ {
				if r, _, _, _ := q.code.At(i, j).RGBA(); r == 0 {
					o := (QRQuietZone + i) * mod * 4
					if black < 0 {
						fillBytes(row[o:o+mod*4], colBlack)
						black = o
					} else {
						copy(row[o:o+mod*4], row[black:black+mod*4])
					}
				}
			}
		}
	}
	white := q.pix[n*w:]
	for y := 0; y < at.Dy(); y++ {
		src := white
		if j := y/mod - QRQuietZone; j >= 0 && j < n {
			src = q.pix[j*w : (j+1)*w]
		}
		o := img.PixOffset(at.Min.X, at.Min.Y+y)
		copy(img.Pix[o:o+w], src)
	}
}

type faceKey struct {
	bold bool
	size int
}

// NewRenderer parses the embedded Go fonts and returns a Renderer.
func NewRenderer() (*Renderer, error) {
	reg, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("screen: parse regular font: %w", err)
	}
	bold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("screen: parse bold font: %w", err)
	}
	return &Renderer{regular: reg, bold: bold, faces: make(map[faceKey]font.Face)}, nil
}

// face returns a cached face; r.mu must be held.
func (r *Renderer) face(bold bool, size int) font.Face {
	if size < 6 {
		size = 6
	}
	k := faceKey{bold, size}
	if f, ok := r.faces[k]; ok {
		return f
	}
	src := r.regular
	if bold {
		src = r.bold
	}
	f, err := opentype.NewFace(src, &opentype.FaceOptions{Size: float64(size), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		// NewFace only fails on invalid options; sizes here are always valid.
		panic(fmt.Sprintf("screen: font face %d: %v", size, err))
	}
	cf := &cachedFace{Face: f, glyphs: make(map[glyphKey]glyph)}
	r.faces[k] = cf
	return cf
}

// cachedFace is a font.Face that keeps each glyph's rasterized mask, so a
// screen redrawn each second (the countdown) or put up again (please wait)
// does not rasterize its text again. Glyphs are keyed by rune and the dot's
// sub-pixel position: moving the dot by whole pixels moves the glyph's
// rectangle by as much and leaves its mask unchanged. Used under Renderer.mu.
type cachedFace struct {
	font.Face
	glyphs map[glyphKey]glyph
}

type glyphKey struct {
	r      rune
	fx, fy fixed.Int26_6 // dot's sub-pixel offset, 0..63
}

type glyph struct {
	dr      image.Rectangle // relative to the dot's whole-pixel position
	mask    *image.Alpha
	advance fixed.Int26_6
	ok      bool
}

// maxGlyphs bounds a face's glyph cache; glyphs past it are rasterized each time.
const maxGlyphs = 2048

// Glyph implements font.Face.
func (f *cachedFace) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	base := image.Pt(dot.X.Floor(), dot.Y.Floor())
	k := glyphKey{r, dot.X & 63, dot.Y & 63}
	g, hit := f.glyphs[k]
	if !hit {
		dr, mask, mp, adv, ok := f.Face.Glyph(dot, r)
		g = glyph{advance: adv, ok: ok}
		if ok {
			g.dr = dr.Sub(base)
			g.mask = image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
			if mask != nil {
				draw.Draw(g.mask, g.mask.Rect, mask, mp, draw.Src)
			}
		}
		if len(f.glyphs) < maxGlyphs {
			f.glyphs[k] = g
		}
	}
	if !g.ok {
		return image.Rectangle{}, nil, image.Point{}, g.advance, false
	}
	return g.dr.Add(base), g.mask, image.Point{}, g.advance, true
}

// Layout tells where the parts of a rendered screen lie. Rectangles are empty
// when the part is not shown.
type Layout struct {
	StatusBar image.Rectangle // status bar at the top
	QR        image.Rectangle // QR code including its quiet zone
	QRModule  int             // QR module size in pixels (0 without QR)
	QRLevel   string          // error correction level used: "L", "M", "Q" or "H"
	QRTooBig  bool            // the payload does not fit at MinQRModule; an error text is shown
	Countdown image.Rectangle // the mm:ss countdown

	clock clockText // how the countdown's text was drawn (RenderClock)
}

// clockText records how a countdown's text was drawn: RenderClock redraws only the
// pixels of the characters that change.
type clockText struct {
	text string
	face font.Face
	dot  fixed.Point26_6
	col  color.RGBA
}

// ink returns the pixels the characters of the text from byte index from on cover,
// glyph by glyph as font.Drawer.DrawString places them.
func (t clockText) ink(from int) image.Rectangle {
	var ink image.Rectangle
	dot := t.dot
	prev := rune(-1)
	for i, c := range t.text {
		if prev >= 0 {
			dot.X += t.face.Kern(prev, c)
		}
		dr, _, _, adv, _ := t.face.Glyph(dot, c)
		if i >= from {
			ink = ink.Union(dr)
		}
		dot.X += adv
		prev = c
	}
	return ink
}

// Layout computes where the parts of s go on a w×h display without drawing.
func (r *Renderer) Layout(s Screen, w, h int) Layout {
	img := &image.RGBA{Rect: image.Rect(0, 0, w, h)} // not painted: layout only
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.draw(img, s, time.Time{}, false)
}

// Render draws s on a new w×h image. now is used for the countdown to
// s.Deadline. Sizes from 128×128 up work; the layouts are tuned for 240×320,
// 240×240 and 320×240.
func (r *Renderer) Render(s Screen, w, h int, now time.Time) *image.RGBA {
	return r.RenderInto(nil, s, w, h, now)
}

// RenderInto is Render drawing into dst when dst is a w×h image at the
// origin (every pixel is overwritten), so that a display can reuse its frame
// buffers instead of allocating one per frame; otherwise it allocates a new
// image. It returns the image drawn.
func (r *Renderer) RenderInto(dst *image.RGBA, s Screen, w, h int, now time.Time) *image.RGBA {
	if dst == nil || dst.Rect != image.Rect(0, 0, w, h) || dst.Stride != 4*w {
		dst = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.draw(dst, s, now, true)
	return dst
}

// Clock returns what of s depends on the time: the countdown's text and colour at now
// ("" when s has none). Two renders of s whose Clock is the same are identical.
func Clock(s Screen, now time.Time) string {
	if s.Deadline.IsZero() {
		return ""
	}
	if s.Deadline.Sub(now) <= 30*time.Second {
		return Countdown(s.Deadline, now) + " red"
	}
	return Countdown(s.Deadline, now)
}

// ClockRegion returns the pixels of a w×h render of s that change from was to now: the
// characters of the countdown that change, old and new (empty when none does). False
// when s has no countdown or those characters cannot be redrawn alone (they would cut
// into the QR code): render the whole screen then.
func (r *Renderer) ClockRegion(s Screen, w, h int, was, now time.Time) (image.Rectangle, bool) {
	if s.Deadline.IsZero() {
		return image.Rectangle{}, false
	}
	bounds := &image.RGBA{Rect: image.Rect(0, 0, w, h)} // not painted: layout only
	r.mu.Lock()
	defer r.mu.Unlock()
	a, b := r.draw(bounds, s, was, false), r.draw(bounds, s, now, false)
	if a.clock.face == nil || b.clock.face == nil {
		return image.Rectangle{}, false
	}
	from := 0
	if a.clock.dot == b.clock.dot && a.clock.col == b.clock.col && len(a.clock.text) == len(b.clock.text) {
		for from < len(a.clock.text) && a.clock.text[from] == b.clock.text[from] {
			from++
		}
	}
	region := a.clock.ink(from).Union(b.clock.ink(from)).Intersect(bounds.Rect)
	if region.Overlaps(b.QR) {
		return image.Rectangle{}, false
	}
	return region, true
}

// RenderRegion redraws only region of dst (a render of a screen at the origin) as
// RenderInto would draw s at now: the screen is replayed with every paint clipped to
// region, nothing outside it is touched. region must not overlap the QR code (a
// ClockRegion never does).
func (r *Renderer) RenderRegion(dst *image.RGBA, s Screen, now time.Time, region image.Rectangle) {
	if region = region.Intersect(dst.Rect); region.Empty() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drawClipped(dst, s, now, true, region)
}

// RenderClock brings dst, which holds s rendered at was (as RenderInto drew it), to s
// at now by redrawing only ClockRegion, and returns that region; false, with dst
// untouched, when ClockRegion is.
func (r *Renderer) RenderClock(dst *image.RGBA, s Screen, was, now time.Time) (image.Rectangle, bool) {
	if dst == nil || dst.Rect.Min != (image.Point{}) {
		return image.Rectangle{}, false
	}
	region, ok := r.ClockRegion(s, dst.Rect.Dx(), dst.Rect.Dy(), was, now)
	if ok {
		r.RenderRegion(dst, s, now, region)
	}
	return region, ok
}

// Countdown formats the time left until deadline as mm:ss, rounded up to the
// next second and never negative.
func Countdown(deadline, now time.Time) string {
	d := deadline.Sub(now)
	if d < 0 {
		d = 0
	}
	secs := int64((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%02d:%02d", secs/60, secs%60)
}

// canvas carries the drawing state of one render.
type canvas struct {
	r     *Renderer
	img   *image.RGBA
	paint bool
	// clip, when not empty, limits every paint to it (RenderClock): what lies inside
	// comes out as a full render would draw it, nothing outside is touched.
	clip image.Rectangle
	// clock is set while the countdown's text is drawn; its drawing is recorded in lay.
	clock bool
	lay   *Layout
}

func (c *canvas) fill(rect image.Rectangle, col color.RGBA) {
	if !c.paint {
		return
	}
	if !c.clip.Empty() {
		if rect = rect.Intersect(c.clip); rect.Empty() {
			return
		}
	}
	fillRGBA(c.img, rect, col)
}

// text draws s with its left edge at x and its line box top at top; it returns
// the line height.
func (c *canvas) text(s string, bold bool, size, x, top int, col color.RGBA) int {
	f := c.r.face(bold, size)
	m := f.Metrics()
	dot := fixed.Point26_6{X: fixed.I(x), Y: fixed.I(top) + m.Ascent}
	if c.clock && c.lay != nil {
		c.lay.clock = clockText{text: s, face: f, dot: dot, col: col}
	}
	if c.paint {
		dst := c.img
		if !c.clip.Empty() {
			if !c.r.text.ink(f, s, dot).Overlaps(c.clip) {
				return (m.Ascent + m.Descent).Ceil()
			}
			dst = c.img.SubImage(c.clip).(*image.RGBA)
		}
		c.r.text.draw(dst, f, s, dot, col)
	}
	return (m.Ascent + m.Descent).Ceil()
}

func (c *canvas) width(s string, bold bool, size int) int {
	return c.r.text.width(c.r.face(bold, size), s).Ceil()
}

func (c *canvas) lineHeight(bold bool, size int) int {
	m := c.r.face(bold, size).Metrics()
	return (m.Ascent + m.Descent).Ceil()
}

// fitSize returns the largest size ≤ max (and ≥ min) at which s fits in w.
func (c *canvas) fitSize(s string, bold bool, max, min, w int) int {
	for size := max; size > min; size -= 2 {
		if c.width(s, bold, size) <= w {
			return size
		}
	}
	return min
}

// ellipsize shortens s with "…" until it fits in w.
func (c *canvas) ellipsize(s string, bold bool, size, w int) string {
	if c.width(s, bold, size) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 {
		rs = rs[:len(rs)-1]
		t := strings.TrimRight(string(rs), " ") + "…"
		if c.width(t, bold, size) <= w {
			return t
		}
	}
	return ""
}

// wrap breaks s into lines no wider than w, at most max lines (the last one
// ellipsized).
func (c *canvas) wrap(s string, bold bool, size, w, max int) []string {
	words := strings.Fields(s)
	var lines []string
	cur := ""
	for _, word := range words {
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if c.width(try, bold, size) <= w || cur == "" {
			cur = try
			continue
		}
		lines = append(lines, cur)
		cur = word
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	if max > 0 && len(lines) > max {
		last := strings.Join(lines[max-1:], " ")
		lines = append(lines[:max-1], last)
	}
	for i := range lines {
		lines[i] = c.ellipsize(lines[i], bold, size, w)
	}
	return lines
}

// centered draws s centred horizontally in [x0, x1).
func (c *canvas) centered(s string, bold bool, size, x0, x1, top int, col color.RGBA) int {
	s = c.ellipsize(s, bold, size, x1-x0)
	w := c.width(s, bold, size)
	return c.text(s, bold, size, x0+(x1-x0-w)/2, top, col)
}

// accent returns the band colour and default title of a kind.
func accent(k Kind) (band color.RGBA, title string, banded bool) {
	switch k {
	case Paid:
		return colGreen, "Paid", true
	case Failed:
		return colRed, "Payment failed", true
	case Expired:
		return colAmber, "Expired", true
	case Cancelled:
		return colSlate, "Cancelled", true
	case Offline:
		return colRed, "Offline", true
	case Decision:
		return colAmber, "Decision needed", true
	case Wait:
		return colBlue, "Please wait", false
	case Amount:
		return colBlue, "Amount", false
	case Choose:
		return colBlue, "Choose", false
	case Admin:
		return colBlue, "Admin", false
	case Input:
		return colBlue, "Input", false
	case QR:
		return colBlue, "Scan to pay", false
	}
	return colBlue, "", false
}

func (r *Renderer) draw(img *image.RGBA, s Screen, now time.Time, paint bool) Layout {
	return r.drawClipped(img, s, now, paint, image.Rectangle{})
}

// drawClipped is draw with every paint limited to clip (none when empty).
func (r *Renderer) drawClipped(img *image.RGBA, s Screen, now time.Time, paint bool, clip image.Rectangle) Layout {
	var lay Layout
	c := &canvas{r: r, img: img, paint: paint, clip: clip, lay: &lay}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	c.fill(b, colWhite)

	// Status bar.
	barH := 22
	if h < 200 {
		barH = 16
	}
	lay.StatusBar = image.Rect(0, 0, w, barH)
	r.statusBar(c, s.Status, s.Words, lay.StatusBar)
	body := image.Rect(0, barH, w, h)

	if s.Kind == QR {
		r.qrScreen(c, s, body, now, &lay)
		return lay
	}
	r.generic(c, s, body, now, &lay)
	return lay
}

func (r *Renderer) statusBar(c *canvas, st Status, words Words, rect image.Rectangle) {
	c.fill(rect, colBar)
	size := 13
	if rect.Dy() < 20 {
		size = 10
	}
	lh := c.lineHeight(false, size)
	top := rect.Min.Y + (rect.Dy()-lh)/2
	pad := 6
	// Network state: a coloured dot and a word.
	dot := rect.Dy() / 3
	dotCol, word := colRed, or(words.Offline, "Offline")
	if st.Online {
		dotCol, word = colGreen, or(words.Online, "Online")
	}
	cy := rect.Min.Y + rect.Dy()/2
	c.fill(image.Rect(pad, cy-dot/2, pad+dot, cy-dot/2+dot), dotCol)
	x := pad + dot + 4
	c.text(word, true, size, x, top, colBarTxt)
	left := x + c.width(word, true, size)

	// Printer state on the right; problems in amber.
	pr := st.Printer
	if pr == "" {
		pr = "unknown"
	}
	label := or(words.Printer, "Printer "+pr)
	pcol := colBarTxt
	if pr != "ok" {
		pcol = color.RGBA{0xff, 0xc1, 0x4d, 0xff}
	}
	label = c.ellipsize(label, false, size, rect.Dx()/2-pad)
	pw := c.width(label, false, size)
	c.text(label, false, size, rect.Max.X-pad-pw, top, pcol)

	// Terminal id in the middle when there is room.
	if st.Terminal != "" {
		tw := c.width(st.Terminal, false, size)
		mid := rect.Min.X + (rect.Dx()-tw)/2
		if mid > left+8 && mid+tw < rect.Max.X-pad-pw-8 {
			c.text(st.Terminal, false, size, mid, top, color.RGBA{0x9a, 0xa4, 0xb0, 0xff})
		}
	}
}

// generic lays out every screen but QR: title (band for result screens),
// amount, lines, options, countdown and hint.
func (r *Renderer) generic(c *canvas, s Screen, body image.Rectangle, now time.Time, lay *Layout) {
	w := body.Dx()
	short := body.Dy() < 240 // landscape or square: less vertical room
	pad := 10
	x0, x1 := body.Min.X+pad, body.Max.X-pad
	y := body.Min.Y

	band, defTitle, banded := accent(s.Kind)
	title := s.Title
	if title == "" {
		title = defTitle
	}

	// Hint at the bottom, reserved first.
	bottom := body.Max.Y - 4
	if s.Hint != "" {
		hs := 14
		lines := c.wrap(s.Hint, false, hs, x1-x0, 2)
		lh := c.lineHeight(false, hs)
		bottom -= lh * len(lines)
		c.fill(image.Rect(body.Min.X, bottom-4, body.Max.X, bottom-3), color.RGBA{0xd0, 0xd4, 0xda, 0xff})
		for i, l := range lines {
			c.centered(l, false, hs, x0, x1, bottom+i*lh, colGrey)
		}
		bottom -= 6
	}
	// Countdown above the hint.
	if !s.Deadline.IsZero() {
		cs := 26
		if short {
			cs = 22
		}
		lh := c.lineHeight(true, cs)
		bottom -= lh
		txt := Countdown(s.Deadline, now)
		col := colText
		if s.Deadline.Sub(now) <= 30*time.Second {
			col = colRed
		}
		cw := c.width("00:00", true, cs) + 8
		lay.Countdown = image.Rect(body.Min.X+(w-cw)/2, bottom, body.Min.X+(w+cw)/2, bottom+lh)
		c.clock = true
		c.centered(txt, true, cs, x0, x1, bottom, col)
		c.clock = false
		bottom -= 4
	}

	// Title.
	if title != "" {
		ts := 24
		if short {
			ts = 22
		}
		// titleWidth is the room for a title line at size ts (a band leaves room for
		// its symbol).
		symbol := banded
		titleWidth := func(ts int) (lh, tw int) {
			lh, tw = c.lineHeight(true, ts), x1-x0
			if symbol {
				tw -= 2*lh + 8
			}
			return lh, tw
		}
		lh, tw := titleWidth(ts)
		if short && c.width(title, true, ts) > tw {
			// Little height: a title on one line at up to 4 px less, then without the
			// band's symbol, before it takes two lines of the body's room.
		fit:
			for _, sym := range []bool{banded, false} {
				symbol = sym
				for try := ts; try >= ts-4; try-- {
					if l, w := titleWidth(try); c.width(title, true, try) <= w {
						ts, lh, tw = try, l, w
						break fit
					}
				}
				symbol = banded
			}
		}
		lines := c.wrap(title, true, ts, tw, 2)
		if banded {
			bh := lh*len(lines) + 14
			c.fill(image.Rect(body.Min.X, y, body.Max.X, y+bh), band)
			tx0, tx1 := x0, x1
			if symbol {
				r.symbol(c, s.Kind, image.Rect(x0, y+7, x0+lh, y+7+lh))
				tx0, tx1 = x0+lh+4, x1-lh-4
			}
			for i, l := range lines {
				c.centered(l, true, ts, tx0, tx1, y+7+i*lh, colWhite)
			}
			y += bh + 6
		} else {
			y += 6
			for i, l := range lines {
				c.centered(l, true, ts, x0, x1, y+i*lh, colText)
			}
			y += lh*len(lines) + 4
		}
	}

	// On a short panel, body lines that would not fit even at their smallest size take
	// room from the amount (down to 26 px) and then from the provider line (left out):
	// what the cashier must read (an underpayment's received and missing amounts) comes
	// before how large the amount is drawn.
	amountMax, showProvider := 44, s.Provider != ""
	if short {
		amountMax = 36
	}
	if s.Kind == Amount {
		amountMax += 8
	}
	if short && len(s.Lines) > 0 && len(s.Options) == 0 && s.Amount != "" {
		n := 0
		for _, l := range s.Lines {
			n += max(1, len(c.wrap(l, false, 13, x1-x0, 3)))
		}
		need := n*c.lineHeight(false, 13) + 2 + 8
		provider := 0
		if showProvider {
			provider = c.lineHeight(false, 16) + 4
		}
		amount := func(size int) int { return c.lineHeight(true, c.fitSize(s.Amount, true, size, 16, x1-x0)) }
		if y+amount(amountMax)+provider+need > bottom {
			amountMax = 26
			if y+amount(amountMax)+provider+need > bottom {
				showProvider = false
			}
		}
	}

	// Amount, as large as fits.
	if s.Amount != "" {
		as := c.fitSize(s.Amount, true, amountMax, 16, x1-x0)
		lh := c.lineHeight(true, as)
		if y+lh <= bottom {
			y += 2
			if s.Kind == Amount {
				// The amount being typed sits in an entry box.
				c.fill(image.Rect(x0-4, y-2, x1+4, y+lh+4), colBadge)
			}
			c.centered(s.Amount, true, as, x0, x1, y, colText)
			y += lh + 8
		}
	}
	if showProvider {
		ps := 16
		lh := c.lineHeight(false, ps)
		if y+lh <= bottom {
			c.centered(s.Provider, false, ps, x0, x1, y, colGrey)
			y += lh + 4
		}
	}

	// Body lines.
	if len(s.Lines) > 0 {
		bs := 18
		if short {
			bs = 16
		}
		// A smaller size before a cut: every line the cashier must read back (a
		// scanned refund address) is shown whole where 13 px text can hold it.
		var wrapped []string
		var lh int
		for ; ; bs-- {
			lh = c.lineHeight(false, bs)
			wrapped = wrapped[:0]
			for _, l := range s.Lines {
				if l == "" {
					wrapped = append(wrapped, "")
					continue
				}
				wrapped = append(wrapped, c.wrap(l, false, bs, x1-x0, 3)...)
			}
			if bs <= 13 || y+len(wrapped)*lh <= bottom {
				break
			}
		}
		for i, l := range wrapped {
			if y+lh > bottom {
				break
			}
			if i < len(wrapped)-1 && y+2*lh > bottom {
				c.centered("…", false, bs, x0, x1, y, colGrey)
				y += lh
				break
			}
			c.centered(l, false, bs, x0, x1, y, colText)
			y += lh
		}
		y += 6
	}

	// Options, numbered as on the keypad.
	if len(s.Options) > 0 {
		os := 20
		if short || len(s.Options) > 4 {
			os = 18
		}
		lh := c.lineHeight(false, os)
		gap := 6
		room := bottom - y
		for len(s.Options)*(lh+gap) > room && gap > 1 {
			gap--
		}
		if len(s.Options)*(lh+gap) > room && os > 14 {
			os = 14
			lh = c.lineHeight(false, os)
		}
		for i, o := range s.Options {
			if y+lh > bottom {
				break
			}
			n := fmt.Sprintf("%d", i+1)
			bw := lh
			c.fill(image.Rect(x0, y, x0+bw, y+lh), colBlue)
			nw := c.width(n, true, os)
			c.text(n, true, os, x0+(bw-nw)/2, y, colWhite)
			label := c.ellipsize(o, false, os, x1-x0-bw-8)
			c.text(label, false, os, x0+bw+8, y, colText)
			y += lh + gap
		}
	}
}

// symbol draws a simple check mark, cross or exclamation in rect (white on
// the band) for result screens.
func (r *Renderer) symbol(c *canvas, k Kind, rect image.Rectangle) {
	if !c.paint {
		return
	}
	sz := rect.Dx()
	th := sz / 8
	if th < 2 {
		th = 2
	}
	line := func(x0, y0, x1, y1 int) {
		steps := sz * 2
		for i := 0; i <= steps; i++ {
			x := x0 + (x1-x0)*i/steps
			y := y0 + (y1-y0)*i/steps
			c.fill(image.Rect(rect.Min.X+x-th/2, rect.Min.Y+y-th/2, rect.Min.X+x-th/2+th, rect.Min.Y+y-th/2+th), colWhite)
		}
	}
	switch k {
	case Paid:
		line(sz/8, sz/2, sz*3/8, sz*3/4)
		line(sz*3/8, sz*3/4, sz*7/8, sz/4)
	case Failed, Cancelled, Offline:
		line(sz/5, sz/5, sz*4/5, sz*4/5)
		line(sz*4/5, sz/5, sz/5, sz*4/5)
	case Expired, Decision:
		line(sz/2, sz/8, sz/2, sz*5/8)
		c.fill(image.Rect(rect.Min.X+sz/2-th/2, rect.Min.Y+sz*3/4, rect.Min.X+sz/2-th/2+th, rect.Min.Y+sz*3/4+th), colWhite)
	}
}

// qrLevels lists the error-correction levels from the highest down.
var qrLevels = []struct {
	level qr.ErrorCorrectionLevel
	name  string
}{{qr.H, "H"}, {qr.Q, "Q"}, {qr.M, "M"}, {qr.L, "L"}}

// fitQR chooses how payload is drawn in side×side pixels: module size
// first, then error correction. On a small screen a phone reads bigger
// modules more reliably than it profits from more redundancy, so it takes
// the largest integer module size at which the code fits at all (at level L,
// the smallest code, with its quiet zone of QRQuietZone modules a side),
// then the highest level (H, Q, M, L) whose code still fits at that module
// size. It returns nil when not even level L fits at MinQRModule.
func fitQR(payload string, side int) (barcode.Barcode, string, int) {
	low, err := qr.Encode(payload, qr.L, qr.Auto)
	if err != nil {
		return nil, "", 0
	}
	m := side / (low.Bounds().Dx() + 2*QRQuietZone)
	if m < MinQRModule {
		return nil, "", 0
	}
	for _, l := range qrLevels[:len(qrLevels)-1] {
		code, err := qr.Encode(payload, l.level, qr.Auto)
		if err != nil {
			continue
		}
		if (code.Bounds().Dx()+2*QRQuietZone)*m <= side {
			return code, l.name, m
		}
	}
	return low, "L", m
}

// qrMode returns the mode qr.Auto encodes payload in, as qrShape.mode: it
// tries numeric (three-character groups that strconv.Atoi reads as
// non-negative), then alphanumeric (the QR alphanumeric set), then bytes.
func qrMode(payload string) byte {
	numeric := true
	for i := 0; i < len(payload) && numeric; i += 3 {
		v, err := strconv.Atoi(payload[i:min(i+3, len(payload))])
		numeric = err == nil && v >= 0
	}
	if numeric {
		return 'n'
	}
	for _, c := range payload {
		if !strings.ContainsRune(qrAlphanumeric, c) {
			return 'b'
		}
	}
	return 'a'
}

// qrAlphanumeric is the QR code's alphanumeric character set.
const qrAlphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// fitQR is fitQR with the sizing remembered per qrShape: once a payload of a
// shape has been fitted, the next payload of that shape (a provider's next
// payment link) is encoded once, at the level chosen before, instead of once
// for sizing and once or more per level. A code of another width than
// remembered falls back to the full search. r.mu must be held.
func (r *Renderer) fitQR(payload string, side int) (barcode.Barcode, string, int) {
	key := qrShape{qrMode(payload), len(payload), side}
	if f, ok := r.fits[key]; ok {
		if code, err := qr.Encode(payload, f.level, qr.Auto); err == nil && code.Bounds().Dx() == f.width {
			return code, f.name, f.module
		}
	}
	code, name, mod := fitQR(payload, side)
	if code == nil {
		return code, name, mod
	}
	if r.fits == nil || len(r.fits) >= maxQRFits {
		r.fits = make(map[qrShape]qrFit)
	}
	for _, l := range qrLevels {
		if l.name == name {
			r.fits[key] = qrFit{level: l.level, name: name, module: mod, width: code.Bounds().Dx()}
		}
	}
	return code, name, mod
}

func (r *Renderer) qrScreen(c *canvas, s Screen, body image.Rectangle, now time.Time, lay *Layout) {
	w, h := body.Dx(), body.Dy()
	landscape := w >= h+60
	var qrArea, info image.Rectangle
	if landscape {
		qrArea = image.Rect(body.Min.X, body.Min.Y, body.Min.X+h, body.Max.Y)
		info = image.Rect(qrArea.Max.X, body.Min.Y, body.Max.X, body.Max.Y)
	} else {
		// Portrait or square: a heading line above, the countdown line below.
		top := 0
		if h-w >= 40 {
			top = 30
		}
		qrArea = image.Rect(body.Min.X, body.Min.Y+top, body.Max.X, body.Max.Y-32)
		info = body
	}
	side := qrArea.Dx()
	if qrArea.Dy() < side {
		side = qrArea.Dy()
	}
	// Portrait and square screens keep room under the QR for up to two status lines
	// (crypto amount and address, confirmations); the QR is fitted into what is left.
	var infoLines []string
	const infoSize = 13
	if !landscape && len(s.Lines) > 0 {
		infoLines = s.Lines
		if len(infoLines) > 2 {
			infoLines = infoLines[:2]
		}
		reserve := len(infoLines)*c.lineHeight(false, infoSize) + 2
		if qrArea.Dy()-reserve < side {
			side = qrArea.Dy() - reserve
		}
		qrArea.Max.Y -= reserve
	}
	if !r.qr.valid || r.qr.payload != s.QR || r.qr.side != side {
		code, level, mod := r.fitQR(s.QR, side)
		// The next code's pixel rows reuse the last one's buffer.
		r.qr = qrCache{valid: true, payload: s.QR, side: side, code: code, level: level, module: mod, pix: r.qr.pix[:0]}
	}
	code, level, mod := r.qr.code, r.qr.level, r.qr.module
	if code == nil || s.QR == "" {
		lay.QRTooBig = s.QR != ""
		msg := or(s.Words.QRTooLarge, "QR too large for this display")
		if s.QR == "" {
			msg = or(s.Words.NoQR, "No QR code")
		}
		lines := c.wrap(msg, true, 20, qrArea.Dx()-20, 3)
		lh := c.lineHeight(true, 20)
		y := qrArea.Min.Y + (qrArea.Dy()-lh*len(lines))/2
		for i, l := range lines {
			c.centered(l, true, 20, qrArea.Min.X+10, qrArea.Max.X-10, y+i*lh, colRed)
		}
	} else {
		n := code.Bounds().Dx()
		full := (n + 2*QRQuietZone) * mod
		// Centre, snapped to the module grid so terminal previews that
		// downscale by the module size stay sharp.
		x := qrArea.Min.X + (qrArea.Dx()-full)/2
		y := qrArea.Min.Y + (qrArea.Dy()-full)/2
		x -= x % mod
		y -= y % mod
		if x < qrArea.Min.X {
			x += mod
		}
		if y < qrArea.Min.Y {
			y += mod
		}
		lay.QR = image.Rect(x, y, x+full, y+full)
		lay.QRModule = mod
		lay.QRLevel = level
		if c.paint && c.clip.Empty() && lay.QR.In(c.img.Rect) {
			r.qr.draw(c.img, lay.QR)
		} else {
			c.fill(lay.QR, colWhite)
			if c.paint && c.clip.Empty() {
				// RenderClock never clips into the code (it checks first).
				drawModules(c.img, code, image.Pt(x+QRQuietZone*mod, y+QRQuietZone*mod), mod)
			}
		}
	}

	left := "00:00"
	if !s.Deadline.IsZero() {
		left = Countdown(s.Deadline, now)
	}
	ccol := colText
	if !s.Deadline.IsZero() && s.Deadline.Sub(now) <= 30*time.Second {
		ccol = colRed
	}
	title := s.Title
	if title == "" {
		title = s.Provider
	}

	if landscape {
		pad := 6
		x0, x1 := info.Min.X+pad, info.Max.X-pad
		y := info.Min.Y + 8
		if title != "" {
			for _, l := range c.wrap(title, true, 16, x1-x0, 2) {
				y += c.centered(l, true, 16, x0, x1, y, colText)
			}
			y += 6
		}
		if s.Amount != "" {
			as := c.fitSize(s.Amount, true, 26, 12, x1-x0)
			y += c.centered(s.Amount, true, as, x0, x1, y, colText) + 6
		}
		if s.Provider != "" && s.Provider != title {
			y += c.centered(s.Provider, false, 14, x0, x1, y, colGrey) + 4
		}
		if !s.Deadline.IsZero() {
			cs := c.fitSize("00:00", true, 28, 14, x1-x0)
			lh := c.lineHeight(true, cs)
			cy := info.Min.Y + info.Dy()/2
			if cy < y {
				cy = y
			}
			lay.Countdown = image.Rect(info.Min.X, cy, info.Max.X, cy+lh)
			c.clock = true
			c.centered(left, true, cs, x0, x1, cy, ccol)
			c.clock = false
		}
		if s.Hint != "" {
			lines := c.wrap(s.Hint, false, 13, x1-x0, 3)
			lh := c.lineHeight(false, 13)
			hy := info.Max.Y - 4 - lh*len(lines)
			for i, l := range lines {
				c.centered(l, false, 13, x0, x1, hy+i*lh, colGrey)
			}
		}
		// Body lines have no room beside a QR in landscape.
		return
	}

	// Portrait / square.
	pad := 8
	x0, x1 := body.Min.X+pad, body.Max.X-pad
	if qrArea.Min.Y > body.Min.Y {
		head := title
		if s.Amount != "" {
			head = s.Amount
			if title != "" {
				head = title + " · " + s.Amount
			}
		}
		hs := c.fitSize(head, true, 22, 12, x1-x0)
		lh := c.lineHeight(true, hs)
		c.centered(head, true, hs, x0, x1, qrArea.Min.Y-lh-2+((30-lh)/2), colText)
	}
	if len(infoLines) > 0 {
		lh := c.lineHeight(false, infoSize)
		y := qrArea.Max.Y + 1
		for _, l := range infoLines {
			c.centered(c.ellipsize(l, false, infoSize, x1-x0), false, infoSize, x0, x1, y, colText)
			y += lh
		}
	}
	// Bottom line: amount (square screens, where the heading is absent) or the
	// hint on the left, countdown on the right.
	by := body.Max.Y - 30
	cs := 24
	lh := c.lineHeight(true, cs)
	cw := c.width("00:00", true, cs)
	leftText := s.Hint
	if qrArea.Min.Y == body.Min.Y && s.Amount != "" {
		leftText = s.Amount
	}
	if !s.Deadline.IsZero() {
		lay.Countdown = image.Rect(x1-cw-4, by, body.Max.X, by+lh)
		c.clock = true
		c.text(left, true, cs, x1-cw, by+(30-lh)/2, ccol)
		c.clock = false
	} else {
		cw = 0
	}
	if leftText != "" {
		bold := leftText == s.Amount
		max := 16
		if bold {
			max = 20
		}
		ls := c.fitSize(leftText, bold, max, 11, x1-x0-cw-8)
		llh := c.lineHeight(bold, ls)
		l := c.ellipsize(leftText, bold, ls, x1-x0-cw-8)
		col := colGrey
		if bold {
			col = colText
		}
		c.text(l, bold, ls, x0, by+(30-llh)/2, col)
	}
}

// drawModules paints code's dark modules, mod×mod pixels each, with the top
// left module at q0, onto a white background: it builds each module row's
// first pixel row once and copies it to the module's other pixel rows.
func drawModules(img *image.RGBA, code barcode.Barcode, q0 image.Point, mod int) {
	n := code.Bounds().Dx()
	for j := 0; j < n; j++ {
		py := q0.Y + j*mod
		row := img.Pix[img.PixOffset(q0.X, py):img.PixOffset(q0.X+n*mod, py)]
		for i := 0; i < n; i++ {
			if r, _, _, _ := code.At(i, j).RGBA(); r == 0 {
				px := row[i*mod*4 : (i+1)*mod*4]
				for k := 0; k < len(px); k += 4 {
					px[k], px[k+1], px[k+2], px[k+3] = colBlack.R, colBlack.G, colBlack.B, colBlack.A
				}
			}
		}
		for k := 1; k < mod; k++ {
			o := img.PixOffset(q0.X, py+k)
			copy(img.Pix[o:o+len(row)], row)
		}
	}
}
