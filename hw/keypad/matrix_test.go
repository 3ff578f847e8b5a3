package keypad

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// fakePad wires gpiotest pins into a key matrix: a column reads low when a
// closed key connects it to a row driven low.
type fakePad struct {
	mu      sync.Mutex
	closed  map[[2]int]bool
	rows    []*gpiotest.Pin
	cols    []*colPin
	script  [][][2]int // key states applied at successive sleeps
	sleeps  int
	drained chan struct{}
	waits   atomic.Int64
	waited  chan struct{} // closed at the 20th edge wait
}

type colPin struct {
	*gpiotest.Pin
	pad *fakePad
	c   int
}

func (p *colPin) Read() gpio.Level {
	p.pad.mu.Lock()
	defer p.pad.mu.Unlock()
	for r, row := range p.pad.rows {
		if p.pad.closed[[2]int{r, p.c}] && row.Read() == gpio.Low {
			return gpio.Low
		}
	}
	return gpio.High
}

func (p *colPin) WaitForEdge(d time.Duration) bool {
	if p.pad.waits.Add(1) == 20 {
		close(p.pad.waited)
	}
	return p.Pin.WaitForEdge(d)
}

func newFakePad(nrows, ncols int) *fakePad {
	f := &fakePad{closed: map[[2]int]bool{}, drained: make(chan struct{}), waited: make(chan struct{})}
	for i := range nrows {
		f.rows = append(f.rows, &gpiotest.Pin{N: "ROW", Num: i})
	}
	for j := range ncols {
		f.cols = append(f.cols, &colPin{Pin: &gpiotest.Pin{N: "COL", Num: j, EdgesChan: make(chan gpio.Level, 1)}, pad: f, c: j})
	}
	return f
}

// set closes exactly keys. A column that goes low (all rows are low between
// scans) gets a falling edge, as on hardware.
func (f *fakePad) set(keys ...[2]int) {
	before := f.levels()
	f.mu.Lock()
	f.closed = map[[2]int]bool{}
	for _, k := range keys {
		f.closed[k] = true
	}
	f.mu.Unlock()
	for j, l := range f.levels() {
		if before[j] == gpio.High && l == gpio.Low {
			select {
			case f.cols[j].EdgesChan <- gpio.Low:
			default:
			}
		}
	}
}

func (f *fakePad) levels() []gpio.Level {
	var out []gpio.Level
	for _, c := range f.cols {
		out = append(out, c.Read())
	}
	return out
}

// sleep plays the next script step; the debounce and hold-poll waits are
// where contacts bounce.
func (f *fakePad) sleep(time.Duration) {
	f.mu.Lock()
	f.sleeps++
	if len(f.script) == 0 {
		f.mu.Unlock()
		return
	}
	step := f.script[0]
	f.script = f.script[1:]
	last := len(f.script) == 0
	f.mu.Unlock()
	f.set(step...)
	if last {
		close(f.drained)
	}
}

func (f *fakePad) config(layout string) MatrixConfig {
	cfg := MatrixConfig{Layout: layout, Sleep: f.sleep, EdgeTimeout: 5 * time.Millisecond}
	for _, r := range f.rows {
		cfg.Rows = append(cfg.Rows, r)
	}
	for _, c := range f.cols {
		cfg.Cols = append(cfg.Cols, c)
	}
	return cfg
}

// press closes keys (their columns get a falling edge).
func (f *fakePad) press(keys ...[2]int) { f.set(keys...) }

// runPad runs the matrix until the script is played, then cancels it.
func runPad(t *testing.T, m *Matrix, f *fakePad, start func()) []Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu  sync.Mutex
		got []Event
	)
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, func(e Event) { mu.Lock(); got = append(got, e); mu.Unlock() })
	}()
	start()
	select {
	case <-f.drained:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("script not played: the matrix stopped scanning")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	return got
}

func TestMatrixPressWithBounceReportsOnce(t *testing.T) {
	f := newFakePad(4, 3)
	five := [2]int{1, 1}
	eight := [2]int{2, 1} // same column as 5
	// After the edge: one debounce wait, then pairs of (poll, debounce).
	f.script = [][][2]int{
		{},             // 5 bounces open during the first debounce
		{five}, {five}, // closed again and stable: reported
		{five}, {}, // held, one bounce: no repeat
		{five}, {five}, // still held
		{five, eight}, {five, eight}, // 8 joins in the same column (no edge): reported
		{}, {}, // all released: idle again
	}
	m, err := NewMatrix(f.config(""))
	if err != nil {
		t.Fatal(err)
	}
	got := runPad(t, m, f, func() { f.press(five) })
	if s := keysOf(got); s != "5 8" {
		t.Errorf("keys %q, want %q", s, "5 8")
	}
}

func TestMatrix4x4AndSecondPress(t *testing.T) {
	f := newFakePad(4, 4)
	a := [2]int{0, 3}
	star := [2]int{3, 0}
	hash := [2]int{3, 2}
	d := [2]int{3, 3}
	f.script = [][][2]int{{a}, {a, star}, {a, star}, {hash}, {hash}, {d}, {d}, {}, {}}
	m, err := NewMatrix(f.config(Layout4x4))
	if err != nil {
		t.Fatal(err)
	}
	got := runPad(t, m, f, func() { f.press(a) })
	if s := keysOf(got); s != "Menu Cancel OK Down" {
		t.Errorf("keys %q, want %q", s, "Menu Cancel OK Down")
	}
}

func TestMatrixIdleWaitsForEdgeWithoutScanning(t *testing.T) {
	f := newFakePad(4, 3)
	f.script = [][][2]int{{{0, 0}}, {}, {}}
	m, err := NewMatrix(f.config(""))
	if err != nil {
		t.Fatal(err)
	}
	got := runPad(t, m, f, func() {
		// Idle: the columns are waited on, nothing is scanned or slept.
		select {
		case <-f.waited:
		case <-time.After(10 * time.Second):
			t.Fatalf("the idle matrix waited for an edge %d times in 10 s, want 20", f.waits.Load())
		}
		f.mu.Lock()
		sleeps := f.sleeps
		f.mu.Unlock()
		if sleeps != 0 {
			t.Errorf("idle matrix slept %d times: it polls instead of waiting for an edge", sleeps)
		}
		for _, r := range f.rows {
			if r.Read() != gpio.Low {
				t.Errorf("row %s not driven low while idle", r)
			}
		}
		f.press([2]int{0, 0})
	})
	if s := keysOf(got); s != "1" {
		t.Errorf("keys %q, want %q", s, "1")
	}
}

func TestMatrixCustomMap(t *testing.T) {
	f := newFakePad(1, 3)
	cfg := f.config("*0#")
	cfg.Map = map[rune]Key{'*': KeyClear}
	f.script = [][][2]int{{{0, 0}}, {}, {}}
	m, err := NewMatrix(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := runPad(t, m, f, func() { f.press([2]int{0, 0}) })
	if s := keysOf(got); s != "Clear" {
		t.Errorf("keys %q, want Clear", s)
	}
}

func TestNewMatrixErrors(t *testing.T) {
	f := newFakePad(4, 3)
	for _, tc := range []struct {
		layout, want string
	}{
		{"123/456/789", "3 rows"},
		{"123/456/789/*0", `"*0" has 2 keys`},
		{"123/456/789/*0X", `'X'`},
	} {
		if _, err := NewMatrix(f.config(tc.layout)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("layout %q: error %v, want one containing %s", tc.layout, err, tc.want)
		}
	}
	if _, err := NewMatrix(MatrixConfig{}); err == nil {
		t.Error("NewMatrix accepted no pins")
	}
}

func TestOpenMatrixNamesUnknownPin(t *testing.T) {
	_, err := OpenMatrix([]string{"NO_SUCH_ROW_PIN"}, []string{"NO_SUCH_COL_PIN"}, MatrixConfig{})
	if err == nil || (!strings.Contains(err.Error(), "NO_SUCH_ROW_PIN") && !strings.Contains(err.Error(), "host init")) {
		t.Errorf("OpenMatrix with unknown pin: %v", err)
	}
}
