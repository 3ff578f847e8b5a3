//go:build linux

package serialport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// port is a serial line opened non-blocking, so that *os.File reads it through the
// runtime's poller: Read waits without a thread, SetReadDeadline works and Close ends a
// waiting Read.
type port struct {
	f        *os.File
	timeout  time.Duration // Config.ReadTimeout
	deadline atomic.Bool   // a read deadline is set: timeout does not apply
}

var bauds = map[int]uint32{
	1200: unix.B1200, 2400: unix.B2400, 4800: unix.B4800, 9600: unix.B9600,
	19200: unix.B19200, 38400: unix.B38400, 57600: unix.B57600, 115200: unix.B115200,
}

func open(cfg Config) (*port, error) {
	cflag := unix.CREAD | unix.CLOCAL | bauds[cfg.Baud]
	switch cfg.DataBits {
	case 5:
		cflag |= unix.CS5
	case 6:
		cflag |= unix.CS6
	case 7:
		cflag |= unix.CS7
	default:
		cflag |= unix.CS8
	}
	if cfg.StopBits == 2 {
		cflag |= unix.CSTOPB
	}
	switch cfg.Parity {
	case ParityOdd:
		cflag |= unix.PARENB | unix.PARODD
	case ParityEven:
		cflag |= unix.PARENB
	}
	// O_NONBLOCK: os.OpenFile then registers the descriptor with the poller.
	f, err := os.OpenFile(cfg.Name, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	var terr error
	// Control, not Fd: Fd would put the descriptor back into blocking mode.
	err = rc.Control(func(fd uintptr) {
		t := unix.Termios{Iflag: unix.IGNPAR, Cflag: cflag, Ispeed: bauds[cfg.Baud], Ospeed: bauds[cfg.Baud]}
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		terr = unix.IoctlSetTermios(int(fd), unix.TCSETS, &t)
	})
	if err == nil {
		err = terr
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("termios: %w", err)
	}
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		// Not pollable (the poller refused it): a Read would block a thread and Close
		// would not end it.
		f.Close()
		return nil, fmt.Errorf("not pollable: %w", err)
	}
	return &port{f: f, timeout: cfg.ReadTimeout}, nil
}

// Read reads what has arrived, waiting as Port describes. A line that hung up (the
// device unplugged) returns ErrHangup, not io.EOF, which callers take as "no data yet".
func (p *port) Read(b []byte) (int, error) {
	if p.timeout <= 0 || p.deadline.Load() {
		return hangup(p.f.Read(b))
	}
	if err := p.f.SetReadDeadline(time.Now().Add(p.timeout)); err != nil {
		return 0, err
	}
	n, err := p.f.Read(b)
	if errors.Is(err, os.ErrDeadlineExceeded) && !p.deadline.Load() {
		return n, nil // the read timeout: no data yet
	}
	return hangup(n, err)
}

// hangup turns the end of file of a non-blocking terminal into ErrHangup: with no data
// the read would have waited (EAGAIN), so nothing read means the line hung up.
func hangup(n int, err error) (int, error) {
	if n == 0 && errors.Is(err, io.EOF) {
		return 0, ErrHangup
	}
	return n, err
}

// Write writes b to the line.
func (p *port) Write(b []byte) (int, error) { return p.f.Write(b) }

// Close closes the line; a Read waiting on it returns at once.
func (p *port) Close() error { return p.f.Close() }

// SetReadDeadline sets when a waiting Read gives up; zero: never.
func (p *port) SetReadDeadline(t time.Time) error {
	p.deadline.Store(!t.IsZero())
	return p.f.SetReadDeadline(t)
}
