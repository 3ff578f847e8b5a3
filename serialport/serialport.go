// Package serialport opens serial lines behind a small interface, so that the rest of
// terminald reads and writes byte streams and tests can use ptys or pipes. On Linux the
// line is set up with termios and read through the Go runtime's poller, so an idle line
// costs no wakeups; elsewhere github.com/tarm/serial opens it.
//
// Why not github.com/tarm/serial on Linux too: its OpenPort calls (*os.File).Fd and
// clears O_NONBLOCK, so the descriptor leaves the poller. A Read then holds a thread in
// read(2), SetReadDeadline fails, and Close cannot end a waiting Read; the only way to
// notice a Close is a short VTIME timeout, which wakes the daemon every timeout (issue
// 19 measured 21 wakeups/s for an idle register link). Its port cannot be opened without
// that, so on Linux this package keeps tarm/serial's line settings (raw, CLOCAL, CREAD,
// IGNPAR, the same baud, size, parity and stop bits) and leaves the descriptor pollable.
package serialport

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Port is an open serial line. On Linux it is pollable: a Read waits in the Go runtime's
// poller (no thread, no wakeup) until a byte arrives, the read deadline passes
// (SetReadDeadline: os.ErrDeadlineExceeded) or the port is closed (Close ends a waiting
// Read at once). With Config.ReadTimeout set and no deadline, a Read that got nothing
// within the timeout returns (0, nil) or (0, io.EOF): callers treat that as "no data yet",
// never as end of stream (see ReadByte).
type Port interface {
	io.ReadWriteCloser
	// SetReadDeadline sets when a waiting Read gives up (os.ErrDeadlineExceeded); the
	// zero time: never (then Config.ReadTimeout applies again).
	SetReadDeadline(t time.Time) error
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
	Name     string // device path, e.g. /dev/ttyUSB0
	Baud     int    // 1200 … 115200
	DataBits int    // 8 when zero
	Parity   Parity // ParityNone when zero
	StopBits int    // 1 or 2; 1 when zero
	// ReadTimeout, when positive, bounds a Read made without a read deadline: it returns
	// no data after that long. Zero: a Read waits until a byte arrives or the port is
	// closed, which costs nothing while the line is idle (the way to read an idle line).
	ReadTimeout time.Duration
}

// Open opens the serial line cfg describes: raw mode, no flow control, the line
// settings of cfg.
func Open(cfg Config) (Port, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	p, err := open(cfg)
	if err != nil {
		return nil, fmt.Errorf("serialport: open %s: %w", cfg.Name, err)
	}
	return p, nil
}

// check validates cfg.
func (cfg Config) check() error {
	if cfg.Name == "" {
		return errors.New("serialport: no device name")
	}
	switch cfg.Baud {
	case 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200:
	default:
		return fmt.Errorf("serialport: %s: unsupported baud rate %d", cfg.Name, cfg.Baud)
	}
	if cfg.DataBits != 0 && (cfg.DataBits < 5 || cfg.DataBits > 8) {
		return fmt.Errorf("serialport: %s: unsupported data bits %d", cfg.Name, cfg.DataBits)
	}
	switch cfg.Parity {
	case 0, ParityNone, ParityOdd, ParityEven:
	default:
		return fmt.Errorf("serialport: %s: unsupported parity %q", cfg.Name, cfg.Parity)
	}
	switch cfg.StopBits {
	case 0, 1, 2:
	default:
		return fmt.Errorf("serialport: %s: unsupported stop bits %d", cfg.Name, cfg.StopBits)
	}
	return nil
}

// ReadByte reads one byte from p, waiting at most until deadline (a p with a
// SetReadDeadline method, such as a Port, gets it as its read deadline). It returns
// ErrTimeout, or the port's os.ErrDeadlineExceeded, when nothing arrived in time. A read
// that returns no data (a read timeout, or a pipe at EOF) is retried until the deadline.
func ReadByte(p io.Reader, deadline time.Time) (byte, error) {
	if d, ok := p.(interface{ SetReadDeadline(time.Time) error }); ok {
		_ = d.SetReadDeadline(deadline)
	}
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
		// A read timeout already waited; a pipe or pty at EOF would spin, so pause briefly.
		time.Sleep(time.Millisecond)
	}
}

// ErrHangup is returned by a Port's Read when the line hung up (the device went away):
// the port must be closed and opened again.
var ErrHangup = errors.New("serialport: line hung up")

// ErrTimeout is returned by ReadByte when no byte arrived before the deadline.
var ErrTimeout = errors.New("serialport: read timeout")
