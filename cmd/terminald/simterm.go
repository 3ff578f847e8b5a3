//go:build sim

package main

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/screen"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// simTerm draws the simulator's display live in the terminal it runs in.
//
// The drawing is a fixed region at the bottom of the window, sized to the window
// (TIOCGWINSZ, read again on SIGWINCH): the display's picture in Unicode half blocks on
// the left, the screen's text, countdown and key names beside it. Everything else the
// simulator writes to the same terminal (receipts, log lines) is written above that
// region, so it scrolls up into the terminal's history like paper from a printer, and
// a redraw never writes over it. A redraw writes only the cells that changed (a
// countdown tick: its digits), with cursor addressing.
//
// The picture keeps a QR code scannable from a phone: each module is drawn as whole
// cells' halves (one half-block pixel per module at least). When the whole display
// does not fit at that size (80×24), the QR screen's picture is the code alone, its
// quiet zone cut to what fits (two modules at least), and the text beside it says the
// rest.
type simTerm struct {
	out  io.Writer // the terminal
	fd   int       // its descriptor, for the window size
	rest io.Writer // where output goes once the drawing has stopped

	mu       sync.Mutex
	cols     int
	rows     int
	foot     int // rows of the drawing region, at the bottom of the window
	started  bool
	stopped  bool
	prev     *display.Grid // what the drawing region shows now
	s        screen.Screen // the frame drawn last
	img      *image.RGBA
	lay      screen.Layout
	pending  []byte // output not yet written (an unfinished line)
	flushing bool

	sig  chan os.Signal
	done chan struct{}
}

// minQRRows is the height the drawing region takes at least (window permitting): a
// 41-module crypto code with two modules of quiet zone each side is 45 half-block
// pixels, 23 rows.
const minQRRows = 23

// panelMin is the narrowest text panel beside the picture.
const panelMin = 24

// newSimTerm returns a simTerm drawing on f, or nil when f is not a terminal.
// rest receives output after stop.
func newSimTerm(f *os.File, rest io.Writer) *simTerm {
	if !isTerminal(f) {
		return nil
	}
	fd := int(f.Fd())
	t := &simTerm{out: f, fd: fd, rest: rest, sig: make(chan os.Signal, 1), done: make(chan struct{})}
	t.cols, t.rows = t.size()
	signal.Notify(t.sig, syscall.SIGWINCH)
	go func() {
		for {
			select {
			case <-t.done:
				return
			case <-t.sig:
				t.resize()
			}
		}
	}()
	return t
}

// sameTerminal reports whether a and b are the same terminal device (stdout and
// stderr of `make run`).
func sameTerminal(a, b *os.File) bool {
	if !isTerminal(a) || !isTerminal(b) {
		return false
	}
	var sa, sb unix.Stat_t
	if unix.Fstat(int(a.Fd()), &sa) != nil || unix.Fstat(int(b.Fd()), &sb) != nil {
		return false
	}
	return sa.Rdev == sb.Rdev
}

func (t *simTerm) size() (int, int) {
	c, r, err := term.GetSize(t.fd)
	if err != nil || c <= 0 || r <= 0 {
		return 80, 24
	}
	return c, r
}

// footRows is the height of the drawing region in a window of rows rows, for a
// w×h display: the whole display at 5 px per half block (a 240×320 QR screen at one
// pixel per module), at least minQRRows, and a quarter of the window left for output
// when there is room.
func footRows(rows, h int) int {
	want := (h/5 + 1) / 2
	f := min(want, max(rows-rows/4, min(want, minQRRows)))
	return max(1, min(f, rows-1))
}

// Write is the terminal's output for everything but the drawing (receipts, logs):
// whole lines are written above the drawing region; an unfinished line waits.
func (t *simTerm) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.started || t.stopped {
		return t.writeThrough(p)
	}
	t.pending = append(t.pending, p...)
	if !t.flushing && bytes.IndexByte(t.pending, '\n') >= 0 {
		// Coalesce the writes of one receipt into one redraw.
		t.flushing = true
		time.AfterFunc(20*time.Millisecond, func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.flushing = false
			t.flushLines(false)
		})
	}
	return len(p), nil
}

func (t *simTerm) writeThrough(p []byte) (int, error) {
	if t.stopped {
		return t.rest.Write(p)
	}
	return t.out.Write(p)
}

// flushLines writes the whole lines pending (all of it when all) above the drawing
// region and draws the region again below them. t.mu is held.
func (t *simTerm) flushLines(all bool) {
	n := bytes.LastIndexByte(t.pending, '\n') + 1
	if all {
		n = len(t.pending)
	}
	if n == 0 || !t.started || t.stopped {
		return
	}
	text := t.pending[:n]
	t.pending = append(t.pending[:0:0], t.pending[n:]...)
	var b bytes.Buffer
	fmt.Fprintf(&b, "\x1b[%d;1H\x1b[0m\x1b[J", t.rows-t.foot+1)
	b.Write(bytes.ReplaceAll(bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n")))
	if text[len(text)-1] != '\n' {
		b.WriteString("\r\n")
	}
	t.emit(b.Bytes())
	t.drawFull()
}

// emit writes b to the terminal.
func (t *simTerm) emit(b []byte) {
	t.out.Write(b)
}

// show draws a frame: img is the display's framebuffer showing s, lay where its
// parts lie.
func (t *simTerm) show(s screen.Screen, img *image.RGBA, lay screen.Layout) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.s, t.img, t.lay = s, img, lay
	if !t.started {
		t.started = true
		t.foot = footRows(t.rows, img.Bounds().Dy())
		// Make room at the bottom: what is on the window scrolls up by the region's height.
		t.emit([]byte(fmt.Sprintf("\x1b[?25l\x1b[%d;1H%s\x1b[%d;1H", t.rows, strings.Repeat("\r\n", t.foot), t.rows-t.foot+1)))
		t.drawFull()
		return
	}
	next := t.grid()
	if t.prev == nil || next.W != t.prev.W || next.H != t.prev.H {
		t.emit([]byte(fmt.Sprintf("\x1b[%d;1H", t.rows-t.foot+1)))
		t.drawFull()
		return
	}
	var b bytes.Buffer
	display.WriteDiff(&b, t.prev, next, t.rows-t.foot+1)
	t.emit(b.Bytes())
	t.prev = next
}

// drawFull writes the whole region from the cursor (the region's first row) on.
func (t *simTerm) drawFull() {
	if t.img == nil {
		return
	}
	g := t.grid()
	var b bytes.Buffer
	display.WriteFull(&b, g)
	t.emit(b.Bytes())
	t.prev = g
}

// resize reads the window size again and redraws the region at the new bottom.
func (t *simTerm) resize() {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, r := t.size()
	if c == t.cols && r == t.rows || t.stopped {
		return
	}
	t.cols, t.rows = c, r
	if !t.started {
		return
	}
	t.foot = footRows(t.rows, t.img.Bounds().Dy())
	// The terminal has reflowed what it showed; start the window afresh (the history
	// above stays).
	t.emit([]byte(fmt.Sprintf("\x1b[0m\x1b[H\x1b[2J\x1b[%d;1H", t.rows-t.foot+1)))
	t.drawFull()
}

// stop writes what output is pending, leaves the cursor under the drawing and the
// terminal as it was; later output goes to rest.
func (t *simTerm) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	signal.Stop(t.sig)
	close(t.done)
	if t.started {
		t.flushLines(true)
		t.emit([]byte(fmt.Sprintf("\x1b[0m\x1b[%d;1H\r\n\x1b[?25h", t.rows)))
	}
	t.stopped = true
}

// grid lays out the region for the frame drawn last: picture, then text. t.mu is held.
func (t *simTerm) grid() *display.Grid {
	g := display.NewGrid(t.cols, t.foot)
	b := t.img.Bounds()
	W, H := b.Dx(), b.Dy()
	pxRows := 2 * t.foot
	picCols := t.cols
	if t.cols >= 2*panelMin {
		picCols = t.cols - panelMin - 1
	}
	var smp display.Sampling
	var w, h int
	qr, m := t.lay.QR, t.lay.QRModule
	fitted := false
	if t.s.Kind == screen.QR && m > 0 && !qr.Empty() {
		// The largest k with the whole display at k half-block pixels per module.
		ox, oy := qr.Min.X%m, qr.Min.Y%m
		for k := 8; k >= 1; k-- {
			w, h = (W-ox)*k/m, (H-oy)*k/m
			if w <= picCols && h <= pxRows {
				smp, fitted = display.Sampling{Origin: image.Pt(ox, oy), Num: m, Den: k}, true
				break
			}
		}
		if !fitted {
			// The code alone, one pixel per module, its quiet zone cut to what fits.
			mods := qr.Dx() / m
			cutX := max(0, (mods-picCols+1)/2)
			cutY := max(0, (mods-pxRows+1)/2)
			cut := min(max(cutX, cutY), screen.QRQuietZone-2)
			w, h = min(mods-2*cut, picCols), min(mods-2*cut, pxRows)
			smp = display.Sampling{Origin: image.Pt(qr.Min.X+cut*m, qr.Min.Y+cut*m), Num: m, Den: 1}
		}
	} else {
		// Scaled to fit, never enlarged: num/den display pixels per half-block pixel.
		num, den := W, picCols
		if H*picCols > W*pxRows {
			num, den = H, pxRows
		}
		if num < den {
			num, den = 1, 1
		}
		smp = display.Sampling{Num: num, Den: den}
		w, h = W*den/num, H*den/num
	}
	w, h = min(w, picCols), min(h, pxRows)
	top := max(0, (t.foot-(h+1)/2)/2)
	g.HalfBlocks(0, top, t.img, smp, w, h)
	t.panel(g, w+2)
	return g
}

// panel writes the screen's text from column x: what the picture shows in words
// (readable at any size), the countdown and the keys.
func (t *simTerm) panel(g *display.Grid, x int) {
	width := g.W - x
	if width < 8 {
		return
	}
	var lines []string
	bold := map[int]bool{}
	add := func(s string) {
		lines = append(lines, wrap(s, width)...)
	}
	s := t.s
	if s.Title != "" {
		bold[len(lines)] = true
		add(s.Title)
	}
	if s.Amount != "" && !strings.Contains(s.Title, s.Amount) {
		bold[len(lines)] = true
		add(s.Amount)
	}
	if s.Provider != "" {
		add(s.Provider)
	}
	for _, l := range s.Lines {
		add(l)
	}
	for i, o := range s.Options {
		add(strconv.Itoa(i+1) + "  " + o)
	}
	if !s.Deadline.IsZero() {
		add(screen.Countdown(s.Deadline, time.Now()))
	}
	if s.Hint != "" {
		lines = append(lines, "")
		add(s.Hint)
	}
	keys := []string{"", "keys: 0-9 .  Enter = OK", "Backspace = clear", "x, c, Esc = cancel (X)", "m = menu   arrows = up/down", "scan:CODE Enter = a scan"}
	if len(lines)+len(keys) <= g.H {
		for _, k := range keys {
			add(k)
		}
	}
	for i, l := range lines {
		if i >= g.H {
			break
		}
		g.Text(x, i, width, l, bold[i])
	}
}

// wrap breaks s into lines of at most width runes, at spaces where it can.
func wrap(s string, width int) []string {
	if s == "" {
		return []string{""}
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		r := []rune(para)
		for len(r) > width {
			cut := width
			for i := width; i > width/2; i-- {
				if r[i] == ' ' {
					cut = i
					break
				}
			}
			out = append(out, strings.TrimRight(string(r[:cut]), " "))
			r = []rune(strings.TrimLeft(string(r[cut:]), " "))
		}
		out = append(out, string(r))
	}
	return out
}
