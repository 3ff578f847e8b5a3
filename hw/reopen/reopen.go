// Package reopen keeps optional devices (a receipt printer, a keypad, a scanner, the
// register's serial port) that come and go: a device is opened by a function, retried
// with exponential backoff while it is absent, reopened when it fails, and its state is
// reported, so that the terminal starts and keeps running without it.
//
// Two shapes share one backoff loop. Supervise suits a device that is read in a loop
// (a keypad, a serial link): open, use until use returns, close, open again. Port suits
// a device used on request (a printer): Run keeps it open in the background, Get hands
// out the open device or ErrAbsent, and Fail reports that it broke so it is reopened.
package reopen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Default backoff between open attempts.
const (
	DefaultMinBackoff = 500 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
)

// ErrAbsent is matched (errors.Is) by the error Get returns while the device is not open.
var ErrAbsent = errors.New("device absent")

// State is a device's state as Port and Supervise report it.
type State string

// Device states.
const (
	StateOpening State = "opening" // not tried yet
	StateOpen    State = "open"    // opened and in use
	StateAbsent  State = "missing" // the last open failed; retrying
)

// Options tune the open loop; zero values take the defaults.
type Options struct {
	// Name names the device in logs and errors, e.g. "printer /dev/usb/lp0".
	Name string
	// MinBackoff is the first wait after a failed open; it doubles per failure up to
	// MaxBackoff and starts again after a successful open.
	MinBackoff, MaxBackoff time.Duration
	// Logger gets one line per change (absent with the reason, opened, lost); nil
	// discards.
	Logger *slog.Logger
	// OnState, when set, is called on every change of state with the last error
	// (nil when open). It must not block.
	OnState func(State, error)
}

func (o *Options) defaults() {
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Name != "" {
		o.Logger = o.Logger.With("device", o.Name)
	}
}

// loop is the backoff state shared by Supervise and Port.
type loop struct {
	o       Options
	backoff time.Duration
	state   State
	lastErr string
}

func newLoop(o Options) *loop {
	o.defaults()
	return &loop{o: o, backoff: o.MinBackoff, state: StateOpening}
}

func (l *loop) set(s State, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if s == l.state && msg == l.lastErr {
		return
	}
	switch {
	case s == StateOpen && l.state == StateOpening:
		l.o.Logger.Info("device opened")
	case s == StateOpen:
		l.o.Logger.Info("device back")
	case s == StateAbsent && l.state == StateOpen:
		l.o.Logger.Warn("device lost, reopening", "err", err)
	default:
		l.o.Logger.Warn("device missing, waiting for it", "err", err, "retry", l.backoff)
	}
	l.state, l.lastErr = s, msg
	if l.o.OnState != nil {
		l.o.OnState(s, err)
	}
}

// wait sleeps the current backoff and doubles it; false when ctx ended.
func (l *loop) wait(ctx context.Context) bool {
	t := time.NewTimer(l.backoff)
	defer t.Stop()
	l.backoff = min(2*l.backoff, l.o.MaxBackoff)
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func closeIt(v any) {
	if c, ok := v.(io.Closer); ok {
		c.Close()
	}
}

// Supervise opens a device with open and passes it to use until use returns; then it
// closes the device (when it is an io.Closer) and opens it again, waiting with backoff
// while open fails, until ctx ends. It returns ctx.Err(). use should return when ctx
// ends or the device fails; the error it returns is logged as the reason for reopening.
func Supervise[T any](ctx context.Context, o Options, open func(context.Context) (T, error), use func(context.Context, T) error) error {
	return supervise(ctx, newLoop(o), open, use)
}

func supervise[T any](ctx context.Context, l *loop, open func(context.Context) (T, error), use func(context.Context, T) error) error {
	for ctx.Err() == nil {
		d, err := open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			l.set(StateAbsent, err)
			if !l.wait(ctx) {
				break
			}
			continue
		}
		l.backoff = l.o.MinBackoff
		l.set(StateOpen, nil)
		err = use(ctx, d)
		closeIt(d)
		if ctx.Err() != nil {
			break
		}
		if err == nil {
			err = errors.New("device stopped")
		}
		l.set(StateAbsent, err)
		if !l.wait(ctx) {
			break
		}
	}
	return ctx.Err()
}

// Port is a device used on request that Run keeps open; T is a pointer or another
// comparable handle. The zero value is not usable;
// use NewPort. Its methods are safe for concurrent use.
type Port[T comparable] struct {
	open func(context.Context) (T, error)
	l    *loop

	mu     sync.Mutex
	dev    T
	isOpen bool
	err    error         // why it is absent
	broken chan struct{} // closed by Fail for the device held
	state  State
}

// NewPort returns a Port whose Run opens devices with open.
func NewPort[T comparable](o Options, open func(context.Context) (T, error)) *Port[T] {
	p := &Port[T]{open: open, state: StateOpening, err: errors.New("not opened yet")}
	user := o.OnState
	o.OnState = func(s State, err error) {
		p.mu.Lock()
		p.state = s
		if err != nil && !p.isOpen {
			p.err = err
		}
		p.mu.Unlock()
		if user != nil {
			user(s, err)
		}
	}
	p.l = newLoop(o)
	return p
}

// Run keeps the device open until ctx ends: it opens it (with backoff while absent),
// holds it until Fail, closes it and opens it again. On return the device is closed.
// It returns ctx.Err().
func (p *Port[T]) Run(ctx context.Context) error {
	// The device is installed as soon as it opened, before the state says so.
	open := func(ctx context.Context) (T, error) {
		d, err := p.open(ctx)
		if err == nil {
			p.mu.Lock()
			p.dev, p.isOpen, p.err, p.broken = d, true, nil, make(chan struct{})
			p.mu.Unlock()
		}
		return d, err
	}
	return supervise(ctx, p.l, open, func(ctx context.Context, d T) error {
		p.mu.Lock()
		broken := p.broken
		p.mu.Unlock()
		var err error
		select {
		case <-ctx.Done():
		case <-broken:
			p.mu.Lock()
			err = p.err
			p.mu.Unlock()
		}
		p.mu.Lock()
		var zero T
		p.dev, p.isOpen = zero, false
		if p.err == nil {
			p.err = ctx.Err()
		}
		p.mu.Unlock()
		return err
	})
}

// Get returns the open device, or an error matching ErrAbsent (with the last open
// error) while there is none.
func (p *Port[T]) Get() (T, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.isOpen {
		var zero T
		return zero, fmt.Errorf("%s: %w: %v", p.l.o.Name, ErrAbsent, p.err)
	}
	return p.dev, nil
}

// Fail reports that the device d handed out by Get broke (unplugged, I/O error): Run
// closes it and opens the device again. A stale d (already replaced) is ignored.
func (p *Port[T]) Fail(d T, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.isOpen || p.dev != d {
		return
	}
	p.isOpen, p.err = false, err
	close(p.broken)
}

// State returns the device's state: opening before the first attempt, open, or missing.
func (p *Port[T]) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}
