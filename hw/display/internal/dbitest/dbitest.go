// Package dbitest records MIPI DBI traffic for driver tests: every SPI write
// together with the D/C level at the time it was sent.
package dbitest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/terminald/terminald/hw/display/mipidbi"
)

// Tx is one SPI write.
type Tx struct {
	Data bool // D/C high
	B    []byte
}

func (t Tx) String() string {
	k := "C"
	if t.Data {
		k = "D"
	}
	return fmt.Sprintf("%s % X", k, t.B)
}

// Port is an spi.PortCloser that logs writes with the level of DC.
type Port struct {
	mu  sync.Mutex
	DC  *gpiotest.Pin
	Log []Tx
	F   physic.Frequency
	M   spi.Mode
}

// String implements spi.Port.
func (p *Port) String() string { return "dbitest" }

// Close implements spi.PortCloser.
func (p *Port) Close() error { return nil }

// LimitSpeed implements spi.PortCloser.
func (p *Port) LimitSpeed(physic.Frequency) error { return nil }

// Connect implements spi.Port.
func (p *Port) Connect(f physic.Frequency, m spi.Mode, bits int) (spi.Conn, error) {
	p.F, p.M = f, m
	return &c{p}, nil
}

type c struct{ p *Port }

func (c *c) String() string               { return "dbitest" }
func (c *c) Duplex() conn.Duplex          { return conn.Half }
func (c *c) TxPackets([]spi.Packet) error { return fmt.Errorf("dbitest: no packets") }
func (c *c) Tx(w, r []byte) error {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.p.Log = append(c.p.Log, Tx{Data: c.p.DC.Read() == gpio.High, B: append([]byte(nil), w...)})
	return nil
}

// Reset clears the log.
func (p *Port) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Log = nil
}

// Dump formats a log one write a line.
func Dump(l []Tx) string {
	var b strings.Builder
	for _, t := range l {
		b.WriteString(t.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Expect returns the writes an init sequence should produce, with MADCTL's
// parameter replaced by madctl.
func Expect(seq []mipidbi.Cmd, madctl byte) []Tx {
	var out []Tx
	for _, c := range seq {
		out = append(out, Tx{B: []byte{c.Op}})
		d := c.Data
		if c.Op == mipidbi.MADCTL {
			d = []byte{madctl}
		}
		if len(d) > 0 {
			out = append(out, Tx{Data: true, B: d})
		}
	}
	return out
}

// Sleeps records the durations passed to a driver's Sleep hook.
type Sleeps struct {
	mu sync.Mutex
	D  []time.Duration
}

// Sleep records d without waiting.
func (s *Sleeps) Sleep(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.D = append(s.D, d)
}

// LevelPin is a gpio.PinOut that records every level written.
type LevelPin struct {
	gpiotest.Pin
	Levels []gpio.Level
}

// Out records l.
func (p *LevelPin) Out(l gpio.Level) error {
	p.Levels = append(p.Levels, l)
	return p.Pin.Out(l)
}

// Discard is an spi.PortCloser and spi.Conn that counts the transfers and bytes
// written to it and keeps nothing: what a driver itself costs, without a
// controller behind it (benchmarks). Not safe for concurrent use.
type Discard struct {
	Transfers, Bytes int64
}

// String implements spi.Port.
func (d *Discard) String() string { return "discard" }

// Close implements spi.PortCloser.
func (d *Discard) Close() error { return nil }

// LimitSpeed implements spi.PortCloser.
func (d *Discard) LimitSpeed(physic.Frequency) error { return nil }

// Connect implements spi.Port: d is its own connection.
func (d *Discard) Connect(physic.Frequency, spi.Mode, int) (spi.Conn, error) { return d, nil }

// Duplex implements conn.Conn.
func (d *Discard) Duplex() conn.Duplex { return conn.Half }

// TxPackets implements spi.Conn; the drivers do not use it.
func (d *Discard) TxPackets([]spi.Packet) error { return errors.New("dbitest: discard: no packets") }

// Tx implements conn.Conn: it counts w.
func (d *Discard) Tx(w, r []byte) error {
	d.Transfers++
	d.Bytes += int64(len(w))
	return nil
}
