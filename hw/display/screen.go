package display

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/terminald/terminald/screen"
)

// Options tunes a Screen. The zero value works.
type Options struct {
	DimAfter time.Duration    // idle time before dimming; 0 means 30 s
	OffAfter time.Duration    // idle time before the backlight goes off; 0 means 5 min
	Bright   uint8            // level while anything but idle is shown; 0 means 255
	Dim      uint8            // dimmed level; 0 means 40
	Tile     int              // diff tile size in pixels; 0 means 16
	Now      func() time.Time // clock; nil means time.Now
	Logger   *slog.Logger     // nil means no logging
	// WaitDelay holds a "please wait" screen (screen.Wait) back this long: the screen
	// that follows within it (a provider's answer: the QR) replaces it without the wait
	// screen ever being rendered or sent. 0 draws it at once (the simulator, whose
	// frames are published per Show); the daemon uses DefaultWaitDelay.
	WaitDelay time.Duration
	// AfterFunc runs f after d unless the returned stop is called first; nil means
	// time.AfterFunc (tests replace it).
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// TransferCost is what one SPI transfer costs beyond its bytes, in bytes of wire
	// time: the gap an spidev ioctl leaves on the bus (Section.SPITransferGap at the
	// SPI clock). With it, neighbouring rectangles of a change are joined where that
	// takes less bus time (see coalesce); 0 sends the fewest bytes (Diff's cover),
	// for panels without per-transfer cost (Memory, fbdev).
	TransferCost int
}

// DefaultWaitDelay is the daemon's Options.WaitDelay: shorter than a person notices a
// screen not changing after a key, longer than a provider answering at once takes.
const DefaultWaitDelay = 150 * time.Millisecond

// Stats counts what a Screen sent to its panel.
type Stats struct {
	Frames   int64 // Show calls that rendered (the whole screen or its countdown)
	Rects    int64 // rectangles drawn
	Pixels   int64 // pixels drawn
	Rendered int64 // pixels rendered into the frame buffer (a whole screen: width×height)
	Same     int64 // Show calls of the screen already shown: nothing rendered or sent
	Held     int64 // wait screens held back (Options.WaitDelay), drawn later or never
}

// Screen shows screen.Screens on a Panel: it renders each one, sends only the
// rectangles that changed since the previous frame, and runs the backlight
// (full while anything but the idle screen is shown; dimmed, then off, after
// the idle screen has been up a while). Call Show again each second while a
// countdown runs, and Tick about each second to apply idle dimming. It is safe
// for concurrent use.
type Screen struct {
	mu     sync.Mutex
	p      Panel
	r      *screen.Renderer
	o      Options
	prev   *image.RGBA
	spare  *image.RGBA // the frame before prev, drawn over by the next Show
	last   screen.Screen
	lastAt time.Time // the time prev was rendered for
	diff   differ    // Diff's buffers, kept from one Show to the next
	shown  bool
	idleAt time.Time // when the idle screen came up; zero while not idle
	level  int       // backlight level set, -1 unknown
	stats  Stats
	// A wait screen held back (Options.WaitDelay): pending until drawn or replaced.
	pending    *screen.Screen
	pendingGen uint64
	stopWait   func() bool
}

// New returns a Screen drawing on p with r.
func New(p Panel, r *screen.Renderer, opts *Options) *Screen {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.DimAfter == 0 {
		o.DimAfter = 30 * time.Second
	}
	if o.OffAfter == 0 {
		o.OffAfter = 5 * time.Minute
	}
	if o.Bright == 0 {
		o.Bright = 255
	}
	if o.Dim == 0 {
		o.Dim = 40
	}
	if o.Tile == 0 {
		o.Tile = 16
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AfterFunc == nil {
		o.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	return &Screen{p: p, r: r, o: o, level: -1}
}

// idle reports whether k may dim the backlight.
func idle(k screen.Kind) bool { return k == screen.Idle }

// Show renders s and sends the changed parts to the panel. Showing a
// non-idle screen turns the backlight to full; showing the idle screen starts
// the idle timer (unless it was already up). The screen already shown costs
// nothing (no render, nothing sent) unless its countdown changed; then only
// the characters of the countdown that change are rendered (see
// screen.Renderer.ClockRegion) and compared. A "please wait" screen is held
// back for Options.WaitDelay and dropped if another screen comes first.
func (d *Screen) Show(s screen.Screen) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s.Kind == screen.Wait && d.o.WaitDelay > 0 && d.shown {
		return d.holdWait(s)
	}
	d.dropWait()
	return d.show(s)
}

// holdWait keeps wait screen s back for Options.WaitDelay; it is drawn then unless a
// Show replaced it. The backlight goes to full at once. d.mu held.
func (d *Screen) holdWait(s screen.Screen) error {
	if d.pending != nil {
		// Another wait screen while one is held: it replaces it, on the first one's
		// timer (wait screens changing quickly never postpone each other for ever).
		d.pending = &s
		return nil
	}
	d.pending = &s
	d.pendingGen++
	gen := d.pendingGen
	d.stopWait = d.o.AfterFunc(d.o.WaitDelay, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.pending == nil || d.pendingGen != gen {
			return // replaced meanwhile
		}
		s := *d.pending
		d.pending, d.stopWait = nil, nil
		if err := d.show(s); err != nil && d.o.Logger != nil {
			d.o.Logger.Warn("display", "err", err)
		}
	})
	d.stats.Held++
	d.idleAt = time.Time{}
	return d.backlight(d.o.Now())
}

// dropWait forgets a wait screen held back. d.mu held.
func (d *Screen) dropWait() {
	if d.pending == nil {
		return
	}
	if d.stopWait != nil {
		d.stopWait()
	}
	d.pending, d.stopWait = nil, nil
	d.pendingGen++
}

// show is Show without the wait hold. d.mu held.
func (d *Screen) show(s screen.Screen) error {
	now := d.o.Now()
	if d.prev != nil && d.shown && sameScreen(d.last, s) {
		if screen.Clock(s, d.lastAt) == screen.Clock(s, now) {
			d.stats.Same++
			return d.showed(s, now)
		}
		if done, err := d.showClock(s, now); done {
			return err
		}
	}
	b := d.p.Bounds()
	img := d.r.RenderInto(d.spare, s, b.Dx(), b.Dy(), now)
	d.spare = nil
	d.stats.Rendered += int64(b.Dx() * b.Dy())
	if err := d.send(s, coalesce(d.diff.diff(d.prev, img, d.o.Tile), d.o.TransferCost), img); err != nil {
		d.prev, d.spare = nil, img // resend everything next time
		return err
	}
	d.prev, d.spare = img, d.prev
	d.lastAt = now
	return d.showed(s, now)
}

// showClock redraws only the countdown of the screen shown (s equals d.last) and
// sends what changed; false when the whole screen must be rendered instead. d.mu held.
func (d *Screen) showClock(s screen.Screen, now time.Time) (bool, error) {
	b := d.p.Bounds()
	region, ok := d.r.ClockRegion(s, b.Dx(), b.Dy(), d.lastAt, now)
	if !ok {
		return false, nil
	}
	if d.spare == nil || d.spare.Rect != d.prev.Rect {
		d.spare = image.NewRGBA(d.prev.Rect)
	}
	// The region's old pixels go into the spare frame (drawn over whole by the next
	// full render anyway) to compare the new ones with.
	for y := region.Min.Y; y < region.Max.Y; y++ {
		i, j := d.prev.PixOffset(region.Min.X, y), d.prev.PixOffset(region.Max.X, y)
		copy(d.spare.Pix[i:j], d.prev.Pix[i:j])
	}
	d.r.RenderRegion(d.prev, s, now, region)
	d.stats.Rendered += int64(region.Dx() * region.Dy())
	var rects []image.Rectangle
	if !region.Empty() {
		rects = coalesce(d.diff.diff(d.spare.SubImage(region).(*image.RGBA), d.prev.SubImage(region).(*image.RGBA), d.o.Tile), d.o.TransferCost)
	}
	if err := d.send(s, rects, d.prev); err != nil {
		d.prev = nil // resend everything next time
		return true, err
	}
	d.lastAt = now
	return true, d.showed(s, now)
}

// send draws rects of img on the panel and counts the frame. d.mu held.
func (d *Screen) send(s screen.Screen, rects []image.Rectangle, img *image.RGBA) error {
	b := d.p.Bounds()
	var errs []error
	for _, rect := range rects {
		if err := d.p.Draw(rect.Add(b.Min), img, rect.Min); err != nil {
			errs = append(errs, err)
			continue
		}
		d.stats.Rects++
		d.stats.Pixels += int64(rect.Dx() * rect.Dy())
	}
	d.stats.Frames++
	if len(errs) > 0 {
		return fmt.Errorf("display: show %s: %w", s.Kind, errors.Join(errs...))
	}
	return nil
}

// showed records s as the screen shown at now and runs the backlight. d.mu held.
func (d *Screen) showed(s screen.Screen, now time.Time) error {
	if !idle(s.Kind) {
		d.idleAt = time.Time{}
	} else if !d.shown || !idle(d.last.Kind) || d.idleAt.IsZero() {
		d.idleAt = now
	}
	d.last, d.shown = s, true
	return d.backlight(now)
}

// sameScreen reports whether a and b draw the same, but for the time.
func sameScreen(a, b screen.Screen) bool {
	return a.Kind == b.Kind && a.Title == b.Title && a.Amount == b.Amount && a.Provider == b.Provider &&
		a.QR == b.QR && a.Deadline.Equal(b.Deadline) && a.Status == b.Status && a.Hint == b.Hint &&
		slices.Equal(a.Lines, b.Lines) && slices.Equal(a.Options, b.Options)
}

// Tick applies idle dimming at the current time.
func (d *Screen) Tick() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.backlight(d.o.Now())
}

// Wake restarts the idle timer and turns the backlight to full, e.g. on a
// key press while the idle screen is up.
func (d *Screen) Wake() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.o.Now()
	if !d.idleAt.IsZero() {
		d.idleAt = now
	}
	return d.backlight(now)
}

// Redraw forgets the previous frame so the next Show sends a full frame
// (after a panel reset or a suspected glitch).
func (d *Screen) Redraw() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.prev, d.spare = nil, d.prev
}

// Frame returns a copy of the last frame shown, or nil.
func (d *Screen) Frame() *image.RGBA {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.prev == nil {
		return nil
	}
	c := image.NewRGBA(d.prev.Rect)
	copy(c.Pix, d.prev.Pix)
	return c
}

// Stats returns what was sent so far.
func (d *Screen) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Backlight returns the level last set, or -1 before the first Show.
func (d *Screen) Backlight() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.level
}

// backlight sets the level for the current state; d.mu must be held.
func (d *Screen) backlight(now time.Time) error {
	if !d.shown {
		return nil
	}
	want := int(d.o.Bright)
	if !d.idleAt.IsZero() {
		switch idleFor := now.Sub(d.idleAt); {
		case idleFor >= d.o.OffAfter:
			want = 0
		case idleFor >= d.o.DimAfter:
			want = int(d.o.Dim)
		}
	}
	if want == d.level {
		return nil
	}
	if err := d.p.SetBacklight(uint8(want)); err != nil {
		return fmt.Errorf("display: backlight %d: %w", want, err)
	}
	if d.o.Logger != nil {
		d.o.Logger.Debug("display backlight", "level", want)
	}
	d.level = want
	return nil
}
