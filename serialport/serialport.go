// Package serialport keeps github.com/tarm/serial behind a small interface, so that the
// rest of terminald reads and writes byte streams and tests can use ptys or pipes.
package serialport

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tarm/serial"
)

// Port is an open serial line. Read returns (0, nil) or (0, io.EOF) when no byte arrived
// within the read timeout; callers treat that as "no data yet", never as end of stream
// (see Read helper below).
type Port interface {
	io.ReadWriteCloser
}

// Parity of a serial line.
type Parity byte

// Parities supported on Linux.
const (
	ParityNone Parity = 'N'
	ParityOdd  Parity = 'O'
	ParityEven Parity = 'E'
)

// Config describes a serial line.
type Config struct {
	Name        string        // device path, e.g. /dev/ttyUSB0
	Baud        int           // 9600, 19200, 38400, 57600, 115200
	DataBits    int           // 8 when zero
	Parity      Parity        // ParityNone when zero
	StopBits    int           // 1 or 2; 1 when zero
	ReadTimeout time.Duration // how long one Read waits; 100 ms when zero (never 0: Close would hang)
}

// Open opens the serial line cfg describes through github.com/tarm/serial.
func Open(cfg Config) (Port, error) {
	c, err := cfg.serial()
	if err != nil {
		return nil, err
	}
	p, err := serial.OpenPort(c)
	if err != nil {
		return nil, fmt.Errorf("serialport: open %s: %w", cfg.Name, err)
	}
	return p, nil
}

func (cfg Config) serial() (*serial.Config, error) {
	c := &serial.Config{Name: cfg.Name, Baud: cfg.Baud, Size: byte(cfg.DataBits), ReadTimeout: cfg.ReadTimeout}
	if c.Name == "" {
		return nil, errors.New("serialport: no device name")
	}
	switch cfg.Baud {
	case 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200:
	default:
		return nil, fmt.Errorf("serialport: %s: unsupported baud rate %d", cfg.Name, cfg.Baud)
	}
	if c.Size == 0 {
		c.Size = 8
	}
	if c.Size < 5 || c.Size > 8 {
		return nil, fmt.Errorf("serialport: %s: unsupported data bits %d", cfg.Name, cfg.DataBits)
	}
	switch cfg.Parity {
	case 0, ParityNone:
		c.Parity = serial.ParityNone
	case ParityOdd:
		c.Parity = serial.ParityOdd
	case ParityEven:
		c.Parity = serial.ParityEven
	default:
		return nil, fmt.Errorf("serialport: %s: unsupported parity %q", cfg.Name, cfg.Parity)
	}
	switch cfg.StopBits {
	case 0, 1:
		c.StopBits = serial.Stop1
	case 2:
		c.StopBits = serial.Stop2
	default:
		return nil, fmt.Errorf("serialport: %s: unsupported stop bits %d", cfg.Name, cfg.StopBits)
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 100 * time.Millisecond
	}
	return c, nil
}

// ReadByte reads one byte from p, waiting at most until deadline. It returns
// os.ErrDeadlineExceeded when nothing arrived in time. A read that returns no data with
// io.EOF (tarm/serial's timeout) is retried until the deadline.
func ReadByte(p io.Reader, deadline time.Time) (byte, error) {
	var b [1]byte
	for {
		n, err := p.Read(b[:])
		if n == 1 {
			return b[0], nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if !time.Now().Before(deadline) {
			return 0, ErrTimeout
		}
		if err == nil || errors.Is(err, io.EOF) {
			// tarm/serial already waited its ReadTimeout; a pipe or pty at EOF would spin,
			// so pause briefly.
			time.Sleep(time.Millisecond)
		}
	}
}

// ErrTimeout is returned by ReadByte when no byte arrived before the deadline.
var ErrTimeout = errors.New("serialport: read timeout")
