//go:build !linux

package serialport

import (
	"errors"
	"time"

	"github.com/tarm/serial"
)

// port is tarm/serial's blocking port: a Read waits at most its read timeout (100 ms when
// Config.ReadTimeout is zero, since Close cannot end a waiting Read), and read deadlines
// are not supported.
type port struct{ *serial.Port }

func open(cfg Config) (*port, error) {
	c := &serial.Config{Name: cfg.Name, Baud: cfg.Baud, Size: byte(cfg.DataBits), ReadTimeout: cfg.ReadTimeout,
		Parity: serial.ParityNone, StopBits: serial.Stop1}
	if c.Size == 0 {
		c.Size = 8
	}
	switch cfg.Parity {
	case ParityOdd:
		c.Parity = serial.ParityOdd
	case ParityEven:
		c.Parity = serial.ParityEven
	}
	if cfg.StopBits == 2 {
		c.StopBits = serial.Stop2
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 100 * time.Millisecond
	}
	p, err := serial.OpenPort(c)
	if err != nil {
		return nil, err
	}
	return &port{p}, nil
}

// SetReadDeadline is not supported here: reads are bounded by the read timeout.
func (p *port) SetReadDeadline(time.Time) error { return errUnsupported }

var errUnsupported = errors.New("serialport: read deadlines are not supported on this system")
