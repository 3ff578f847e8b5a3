package reopen

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dev is a fake device; closed counts Close calls.
type dev struct {
	id     int
	closed atomic.Int32
}

func (d *dev) Close() error { d.closed.Add(1); return nil }

// plug is a fake device node: absent until plugged in.
type plug struct {
	mu      sync.Mutex
	present bool
	opened  []*dev
}

func (p *plug) set(present bool) {
	p.mu.Lock()
	p.present = present
	p.mu.Unlock()
}

func (p *plug) open(ctx context.Context) (*dev, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.present {
		return nil, &fs.PathError{Op: "open", Path: "/dev/usb/lp0", Err: fs.ErrNotExist}
	}
	d := &dev{id: len(p.opened) + 1}
	p.opened = append(p.opened, d)
	return d, nil
}

// states records state changes for the test to wait on.
func states() (chan State, func(State, error)) {
	ch := make(chan State, 64)
	return ch, func(s State, err error) { ch <- s }
}

func waitState(t *testing.T, ch chan State, want State) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case s := <-ch:
			if s == want {
				return
			}
		case <-deadline:
			t.Fatalf("device never became %s", want)
		}
	}
}

func fast(name string, on func(State, error)) Options {
	return Options{Name: name, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, OnState: on}
}

func TestPortAbsentAtStartIsPickedUpWhenItAppears(t *testing.T) {
	pl := &plug{}
	ch, on := states()
	p := NewPort(fast("printer", on), pl.open)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	waitState(t, ch, StateAbsent)
	if _, err := p.Get(); !errors.Is(err, ErrAbsent) || !strings.Contains(err.Error(), "open /dev/usb/lp0") {
		t.Fatalf("Get while absent = %v, want ErrAbsent with the open error", err)
	}
	if p.State() != StateAbsent {
		t.Errorf("State = %s, want missing", p.State())
	}

	pl.set(true)
	waitState(t, ch, StateOpen)
	d, err := p.Get()
	if err != nil || d.id != 1 {
		t.Fatalf("Get after plugging in = %v, %v", d, err)
	}

	// Unplugged: the user reports the failure; the port closes the device and waits.
	pl.set(false)
	p.Fail(d, errors.New("write: no such device"))
	waitState(t, ch, StateAbsent)
	if d.closed.Load() != 1 {
		t.Errorf("failed device closed %d times, want 1", d.closed.Load())
	}
	if _, err := p.Get(); !errors.Is(err, ErrAbsent) {
		t.Errorf("Get after unplug = %v, want ErrAbsent", err)
	}
	p.Fail(d, errors.New("stale")) // a stale handle changes nothing

	pl.set(true)
	waitState(t, ch, StateOpen)
	d2, err := p.Get()
	if err != nil || d2 == d {
		t.Fatalf("after replug Get = %v, %v; want a newly opened device", d2, err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v", err)
	}
	if d2.closed.Load() != 1 {
		t.Error("Run returned without closing the device it held")
	}
}

func TestSuperviseReopensWhenUseReturns(t *testing.T) {
	pl := &plug{present: true}
	ch, on := states()
	ctx, cancel := context.WithCancel(context.Background())
	uses := make(chan *dev, 8)
	done := make(chan error, 1)
	go func() {
		done <- Supervise(ctx, fast("register /dev/ttyUSB0", on), pl.open, func(ctx context.Context, d *dev) error {
			uses <- d
			if d.id == 1 {
				return errors.New("read: input/output error") // the link broke
			}
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	first := <-uses
	waitState(t, ch, StateAbsent)
	second := <-uses
	if first.closed.Load() != 1 || second.id != 2 {
		t.Errorf("first closed %d times, second id %d; want the broken link closed and a new one opened", first.closed.Load(), second.id)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Supervise = %v", err)
	}
	if second.closed.Load() != 1 {
		t.Error("device in use not closed at shutdown")
	}
}

func TestBackoffDoublesAndIsCapped(t *testing.T) {
	l := newLoop(Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	var got []time.Duration
	ctx := context.Background()
	for range 5 {
		got = append(got, l.backoff)
		l.wait(ctx)
	}
	want := []time.Duration{1, 2, 4, 5, 5}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("backoff %v, want %v ms", got, want)
		}
	}
}

func TestSuperviseStopsWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ch, on := states()
	done := make(chan error, 1)
	go func() {
		done <- Supervise(ctx, Options{MinBackoff: time.Hour, OnState: on}, (&plug{}).open,
			func(context.Context, *dev) error { return nil })
	}()
	waitState(t, ch, StateAbsent)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Supervise = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Supervise kept waiting its backoff after ctx ended")
	}
}
