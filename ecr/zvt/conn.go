package zvt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Conn carries whole APDUs between the ECR and the PT. Send and Recv may be called from
// different goroutines at the same time; a Recv cancelled by its ctx loses no APDU.
type Conn interface {
	// Send delivers a: over TCP it is written, over serial it is framed and sent until
	// the other side ACKs it (T2, at most 2 resends).
	Send(ctx context.Context, a APDU) error
	// Recv returns the next APDU from the other side. It fails once the link is dead.
	Recv(ctx context.Context) (APDU, error)
	// Close ends the link and closes the underlying port or connection.
	Close() error
}

// ErrClosed is returned by a Conn after Close.
var ErrClosed = errors.New("zvt: connection closed")

// inbox is the receiving half shared by both Conn implementations: a reader goroutine
// puts APDUs in, Recv takes them out.
type inbox struct {
	in      chan APDU
	done    chan struct{} // closed by Close
	dead    chan struct{} // closed when the reader stopped
	errOnce sync.Once
	err     error
}

func newInbox() inbox {
	return inbox{in: make(chan APDU, 16), done: make(chan struct{}), dead: make(chan struct{})}
}

func (ib *inbox) fail(err error) {
	ib.errOnce.Do(func() { ib.err = err; close(ib.dead) })
}

func (ib *inbox) put(a APDU) bool {
	select {
	case ib.in <- a:
		return true
	case <-ib.done:
		return false
	}
}

func (ib *inbox) Recv(ctx context.Context) (APDU, error) {
	select {
	case a := <-ib.in:
		return a, nil
	default:
	}
	select {
	case a := <-ib.in:
		return a, nil
	case <-ctx.Done():
		return APDU{}, ctx.Err()
	case <-ib.dead:
		select {
		case a := <-ib.in:
			return a, nil
		default:
		}
		return APDU{}, ib.err
	}
}

// SerialConfig holds the serial link timings; zero values mean the standard ones.
type SerialConfig struct {
	T1      time.Duration // inter-byte limit inside a frame (200 ms)
	T2      time.Duration // wait for ACK/NAK after sending a frame (5 s)
	Resends int           // resends after a NAK or T2 timeout (2); -1 for none
	// Poll is how long the idle reader waits for a frame before it checks for Close
	// (100 ms). A port that Close closes ends the wait at once, and one with
	// SetReadDeadline waits without waking (serialport's ports): give it a long Poll.
	Poll   time.Duration
	Logger *slog.Logger // nil: no logging
}

// SerialConn is the serial (RS-232) ZVT link: DLE STX framing, CRC, ACK/NAK.
type SerialConn struct {
	port io.ReadWriter
	cfg  SerialConfig
	log  *slog.Logger
	inbox
	wmu    sync.Mutex // one write at a time (frames and ACK/NAK bytes)
	sendMu sync.Mutex // one frame waiting for its ACK at a time
	ctl    chan byte  // ACK/NAK bytes read outside frames
	closed sync.Once
}

// NewSerialConn starts a serial link over port (a serialport.Port, a pty, a pipe). It
// answers every received frame at once with ACK, or NAK on bad CRC, framing or a T1 gap.
// If port has SetReadDeadline it is used for the timers.
func NewSerialConn(port io.ReadWriter, cfg SerialConfig) *SerialConn {
	if cfg.T1 <= 0 {
		cfg.T1 = DefaultT1
	}
	if cfg.T2 <= 0 {
		cfg.T2 = 5 * time.Second
	}
	if cfg.Resends == 0 {
		cfg.Resends = 2
	} else if cfg.Resends < 0 {
		cfg.Resends = 0
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	c := &SerialConn{port: port, cfg: cfg, log: cfg.Logger, inbox: newInbox(), ctl: make(chan byte, 1)}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	go c.readLoop()
	return c
}

func (c *SerialConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.port.Write(b)
	return err
}

func (c *SerialConn) readLoop() {
	fr := FrameReader{R: c.port, T1: c.cfg.T1}
	for {
		select {
		case <-c.done:
			c.fail(ErrClosed)
			return
		default:
		}
		ev, err := fr.Next(time.Now().Add(c.cfg.Poll))
		switch {
		case errors.Is(err, ErrTimeout):
			continue
		case IsFrameError(err):
			c.log.Warn("zvt: serial: bad frame, sending NAK", "err", err)
			if werr := c.write([]byte{NAK}); werr != nil {
				c.fail(fmt.Errorf("zvt: serial: write NAK: %w", werr))
				return
			}
			continue
		case err != nil:
			select {
			case <-c.done: // Close closed the port under the read
				c.fail(ErrClosed)
			default:
				c.fail(fmt.Errorf("zvt: serial: read: %w", err))
			}
			return
		}
		if ev.Control != 0 {
			select {
			case c.ctl <- ev.Control:
			default: // nobody waits for it: a stray byte
			}
			continue
		}
		a, perr := ParseAPDU(ev.APDU)
		reply := ACK
		if perr != nil {
			reply = NAK
			c.log.Warn("zvt: serial: frame holds no valid APDU, sending NAK", "err", perr)
		}
		if werr := c.write([]byte{reply}); werr != nil {
			c.fail(fmt.Errorf("zvt: serial: write ACK: %w", werr))
			return
		}
		if perr == nil && !c.put(a) {
			c.fail(ErrClosed)
			return
		}
	}
}

// Send frames a and waits T2 for the ACK, resending on NAK or silence at most Resends times.
func (c *SerialConn) Send(ctx context.Context, a APDU) error {
	b, err := a.Marshal()
	if err != nil {
		return err
	}
	frame := Frame(b)
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	select {
	case <-c.ctl: // drop a stale ACK/NAK
	default:
	}
	for attempt := 0; attempt <= c.cfg.Resends; attempt++ {
		if err := c.write(frame); err != nil {
			return fmt.Errorf("zvt: serial: write %02X %02X: %w", a.Class, a.Instr, err)
		}
		t := time.NewTimer(c.cfg.T2)
		select {
		case b := <-c.ctl:
			t.Stop()
			if b == ACK {
				return nil
			}
			c.log.Debug("zvt: serial: NAK, resending", "apdu", fmt.Sprintf("%02X %02X", a.Class, a.Instr), "attempt", attempt+1)
		case <-t.C:
			c.log.Debug("zvt: serial: no ACK within T2, resending", "apdu", fmt.Sprintf("%02X %02X", a.Class, a.Instr), "attempt", attempt+1)
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-c.dead:
			t.Stop()
			return c.err
		}
	}
	return fmt.Errorf("zvt: serial: %02X %02X not acknowledged after %d attempts", a.Class, a.Instr, c.cfg.Resends+1)
}

// Close stops the reader and closes the port if it is an io.Closer.
func (c *SerialConn) Close() error {
	var err error
	c.closed.Do(func() {
		close(c.done)
		if cl, ok := c.port.(io.Closer); ok {
			err = cl.Close()
		}
	})
	return err
}

// TCPConfig holds the TCP link timings; zero values mean the defaults.
type TCPConfig struct {
	ReadTimeout  time.Duration // rest of an APDU after its first byte (5 s)
	WriteTimeout time.Duration // one write (5 s)
	IdleTimeout  time.Duration // no APDU at all for this long closes the link; 0: never
}

// TCPConn is the TCP ZVT link: raw APDUs, no framing, CRC or ACK.
type TCPConn struct {
	nc  net.Conn
	cfg TCPConfig
	inbox
	wmu    sync.Mutex
	closed sync.Once
}

// NewTCPConn starts a ZVT link over an established TCP connection.
func NewTCPConn(nc net.Conn, cfg TCPConfig) *TCPConn {
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 5 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	c := &TCPConn{nc: nc, cfg: cfg, inbox: newInbox()}
	go c.readLoop()
	return c
}

func (c *TCPConn) readLoop() {
	var first [1]byte
	for {
		var idle time.Time
		if c.cfg.IdleTimeout > 0 {
			idle = time.Now().Add(c.cfg.IdleTimeout)
		}
		_ = c.nc.SetReadDeadline(idle)
		if _, err := io.ReadFull(c.nc, first[:]); err != nil {
			c.fail(fmt.Errorf("zvt: tcp: read: %w", err))
			return
		}
		_ = c.nc.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
		a, err := ReadAPDU(io.MultiReader(bytes.NewReader(first[:]), c.nc))
		if err != nil {
			c.fail(fmt.Errorf("zvt: tcp: read APDU: %w", noEOF(err)))
			return
		}
		if !c.put(a) {
			c.fail(ErrClosed)
			return
		}
	}
}

// Send writes a.
func (c *TCPConn) Send(ctx context.Context, a APDU) error {
	b, err := a.Marshal()
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	dl := time.Now().Add(c.cfg.WriteTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	_ = c.nc.SetWriteDeadline(dl)
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("zvt: tcp: write %02X %02X: %w", a.Class, a.Instr, err)
	}
	return nil
}

// Close closes the TCP connection.
func (c *TCPConn) Close() error {
	var err error
	c.closed.Do(func() {
		close(c.done)
		err = c.nc.Close()
	})
	return err
}

// RemoteAddr returns the address of the other side.
func (c *TCPConn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }
