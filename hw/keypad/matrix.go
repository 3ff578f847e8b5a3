package keypad

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/host/v3"

	"github.com/terminald/terminald/hw/gpiopin"
)

// Standard matrix layouts: rows separated by '/', one character per key.
const (
	Layout4x3 = "123/456/789/*0#"
	Layout4x4 = "123A/456B/789C/*0#D"
)

// Matrix timing defaults.
const (
	DefaultDebounce    = 15 * time.Millisecond
	DefaultHoldPoll    = 20 * time.Millisecond
	DefaultEdgeTimeout = 500 * time.Millisecond
)

// DefaultMatrixMap maps the characters of a matrix layout to keys: digits,
// '.', '*' cancel, '#' OK, and on a 4×4 pad 'A' menu, 'B' up, 'C' clear,
// 'D' down. MatrixConfig.Map overrides single entries.
func DefaultMatrixMap() map[rune]Key {
	m := map[rune]Key{
		'.': KeyDot, '*': KeyCancel, '#': KeyOK,
		'A': KeyMenu, 'B': KeyUp, 'C': KeyClear, 'D': KeyDown,
	}
	for r := '0'; r <= '9'; r++ {
		m[r] = Key(r)
	}
	return m
}

// MatrixConfig describes a GPIO matrix keypad.
type MatrixConfig struct {
	// Rows are driven low one at a time; Cols are read with pull-ups and
	// wake the scanner with a falling edge.
	Rows, Cols []gpio.PinIO
	// Layout names the keys row by row, rows separated by '/', e.g.
	// Layout4x4. Empty means Layout4x3 or Layout4x4 by the column count.
	Layout string
	// Map overrides entries of DefaultMatrixMap, e.g. {'*': KeyMenu}.
	Map map[rune]Key
	// Debounce is the wait between the two scans that must agree before a
	// press or release counts (10–20 ms suits most pads); 0 means
	// DefaultDebounce.
	Debounce time.Duration
	// HoldPoll is the scan interval while a key is down (releases and
	// further keys in a column already low make no falling edge);
	// 0 means DefaultHoldPoll. When no key is down nothing is polled.
	HoldPoll time.Duration
	// EdgeTimeout is the timeout of each WaitForEdge call (always
	// positive; it only bounds how fast Run notices cancellation);
	// 0 means DefaultEdgeTimeout.
	EdgeTimeout time.Duration
	// Sleep waits; nil means time.Sleep. Tests inject it.
	Sleep func(time.Duration)
	// Logger; nil discards.
	Logger *slog.Logger
}

// Matrix is a GPIO matrix keypad. Create it with NewMatrix or OpenMatrix.
type Matrix struct {
	rows, cols []gpio.PinIO
	keys       []Key // row-major, len(rows)*len(cols)
	debounce   time.Duration
	holdPoll   time.Duration
	edgeWait   time.Duration
	sleep      func(time.Duration)
	log        *slog.Logger
}

// NewMatrix checks cfg and returns a matrix keypad. The layout must have
// one row per row pin and one character per column pin, and every
// character must map to a key.
func NewMatrix(cfg MatrixConfig) (*Matrix, error) {
	if len(cfg.Rows) == 0 || len(cfg.Cols) == 0 {
		return nil, errors.New("keypad matrix: need at least one row and one column pin")
	}
	for i, p := range append(append([]gpio.PinIO{}, cfg.Rows...), cfg.Cols...) {
		if p == nil {
			return nil, fmt.Errorf("keypad matrix: pin %d is nil", i)
		}
	}
	layout := cfg.Layout
	if layout == "" {
		switch len(cfg.Cols) {
		case 3:
			layout = Layout4x3
		case 4:
			layout = Layout4x4
		default:
			return nil, fmt.Errorf("keypad matrix: no default layout for %d columns; set Layout", len(cfg.Cols))
		}
	}
	keymap := DefaultMatrixMap()
	for r, k := range cfg.Map {
		keymap[r] = k
	}
	lines := strings.Split(layout, "/")
	if len(lines) != len(cfg.Rows) {
		return nil, fmt.Errorf("keypad matrix: layout %q has %d rows, but %d row pins are configured", layout, len(lines), len(cfg.Rows))
	}
	m := &Matrix{
		rows:     cfg.Rows,
		cols:     cfg.Cols,
		debounce: orDefault(cfg.Debounce, DefaultDebounce),
		holdPoll: orDefault(cfg.HoldPoll, DefaultHoldPoll),
		edgeWait: orDefault(cfg.EdgeTimeout, DefaultEdgeTimeout),
		sleep:    cfg.Sleep,
		log:      cfg.Logger,
	}
	for i, line := range lines {
		rs := []rune(line)
		if len(rs) != len(cfg.Cols) {
			return nil, fmt.Errorf("keypad matrix: layout row %d %q has %d keys, but %d column pins are configured", i+1, line, len(rs), len(cfg.Cols))
		}
		for _, r := range rs {
			k, ok := keymap[r]
			if !ok || !k.Valid() {
				return nil, fmt.Errorf("keypad matrix: layout character %q maps to no key; add it to Map", r)
			}
			m.keys = append(m.keys, k)
		}
	}
	if m.sleep == nil {
		m.sleep = time.Sleep
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// OpenMatrix initialises periph.io (host.Init), resolves the row and column
// pin names (e.g. "GPIO5") with gpioreg.ByName and returns NewMatrix(cfg)
// with those pins; cfg.Rows and cfg.Cols are replaced. An unknown name is an
// error naming the pin.
func OpenMatrix(rowNames, colNames []string, cfg MatrixConfig) (*Matrix, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("keypad matrix: periph host init: %w", err)
	}
	resolve := func(kind string, names []string) ([]gpio.PinIO, error) {
		pins := make([]gpio.PinIO, 0, len(names))
		for i, n := range names {
			p, err := gpiopin.ByName(fmt.Sprintf("keypad matrix: %s pin %d", kind, i+1), n)
			if err != nil {
				return nil, err
			}
			pins = append(pins, p)
		}
		return pins, nil
	}
	var err error
	if cfg.Rows, err = resolve("row", rowNames); err != nil {
		return nil, err
	}
	if cfg.Cols, err = resolve("column", colNames); err != nil {
		return nil, err
	}
	return NewMatrix(cfg)
}

// Run scans the keypad and delivers each new key press once (holding a key
// gives no repeats) until ctx is cancelled; it returns ctx.Err(), or an
// error if a pin cannot be configured or driven.
//
// While no key is down all rows are driven low and Run sleeps in
// WaitForEdge on the columns. After an edge it scans: each row in turn is
// driven low with the others released (high impedance with pull-up, so two
// keys in one column never short two outputs), and the columns read low
// show the closed keys. A change counts only when two scans Debounce apart
// agree.
func (m *Matrix) Run(ctx context.Context, handle func(Event)) error {
	for _, c := range m.cols {
		if err := c.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			return fmt.Errorf("keypad matrix: column %s as input with pull-up and falling edge: %w", c, err)
		}
	}
	if err := m.idleRows(); err != nil {
		return err
	}
	defer func() { _ = m.idleRows() }()

	edges := make(chan struct{}, 1)
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		stop()
		wg.Wait()
	}()
	for _, c := range m.cols {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for wctx.Err() == nil {
				if c.WaitForEdge(m.edgeWait) {
					select {
					case edges <- struct{}{}:
					default:
					}
				}
			}
		}()
	}

	n := len(m.keys)
	held := make([]bool, n)
	s1, s2 := make([]bool, n), make([]bool, n)
	active := false // a key is down or the last scans were not settled
	for {
		if active {
			m.sleep(m.holdPoll)
			if err := ctx.Err(); err != nil {
				return err
			}
		} else if !m.anyColLow() {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-edges:
			}
		}
		if err := m.scan(s1); err != nil {
			return err
		}
		m.sleep(m.debounce)
		if err := m.scan(s2); err != nil {
			return err
		}
		active = false
		for i := range held {
			switch {
			case s1[i] && s2[i] && !held[i]:
				held[i] = true
				m.log.Debug("matrix key pressed", "key", m.keys[i])
				handle(Event{Key: m.keys[i]})
			case !s1[i] && !s2[i]:
				held[i] = false
			}
			if held[i] || s1[i] || s2[i] {
				active = true
			}
		}
	}
}

// idleRows drives all rows low so any key press pulls its column low.
func (m *Matrix) idleRows() error {
	for _, r := range m.rows {
		if err := r.Out(gpio.Low); err != nil {
			return fmt.Errorf("keypad matrix: drive row %s low: %w", r, err)
		}
	}
	return nil
}

func (m *Matrix) anyColLow() bool {
	for _, c := range m.cols {
		if c.Read() == gpio.Low {
			return true
		}
	}
	return false
}

// scan fills down (row-major) with the keys closed now and leaves all rows
// driven low.
func (m *Matrix) scan(down []bool) error {
	for _, r := range m.rows {
		if err := r.In(gpio.PullUp, gpio.NoEdge); err != nil {
			return fmt.Errorf("keypad matrix: release row %s: %w", r, err)
		}
	}
	nc := len(m.cols)
	for i, r := range m.rows {
		if err := r.Out(gpio.Low); err != nil {
			return fmt.Errorf("keypad matrix: drive row %s low: %w", r, err)
		}
		for j, c := range m.cols {
			down[i*nc+j] = c.Read() == gpio.Low
		}
		if err := r.In(gpio.PullUp, gpio.NoEdge); err != nil {
			return fmt.Errorf("keypad matrix: release row %s: %w", r, err)
		}
	}
	return m.idleRows()
}
