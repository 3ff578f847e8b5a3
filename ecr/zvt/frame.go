package zvt

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/terminald/terminald/serialport"
)

// Transport control bytes of the serial link.
const (
	DLE byte = 0x10
	STX byte = 0x02
	ETX byte = 0x03
	ACK byte = 0x06
	NAK byte = 0x15
)

// DefaultT1 is the longest gap allowed between two bytes of one frame.
const DefaultT1 = 200 * time.Millisecond

// Frame returns the serial frame of an encoded APDU: DLE STX, the APDU with every DLE
// doubled, DLE ETX, and the CRC-16/KERMIT of the unstuffed APDU plus ETX, low byte first.
func Frame(apdu []byte) []byte {
	out := make([]byte, 0, len(apdu)+8)
	out = append(out, DLE, STX)
	for _, b := range apdu {
		if b == DLE {
			out = append(out, DLE)
		}
		out = append(out, b)
	}
	crc := CRC16(apdu, []byte{ETX})
	return append(out, DLE, ETX, byte(crc), byte(crc>>8))
}

// Errors of FrameReader.Next. A frame error is answered with NAK.
var (
	ErrBadCRC   = errors.New("zvt: frame CRC mismatch")
	ErrT1       = errors.New("zvt: inter-byte gap over T1 inside a frame")
	ErrBadFrame = errors.New("zvt: bad framing")
	// ErrTimeout is returned when nothing arrived before the deadline.
	ErrTimeout = serialport.ErrTimeout
)

// IsFrameError reports whether err is a CRC, framing or T1 error, which the receiver
// answers with NAK.
func IsFrameError(err error) bool {
	return errors.Is(err, ErrBadCRC) || errors.Is(err, ErrT1) || errors.Is(err, ErrBadFrame)
}

// FrameEvent is what FrameReader.Next found on the line: a control byte (ACK or NAK) sent
// outside a frame, or a checked frame's APDU bytes.
type FrameEvent struct {
	Control byte   // ACK or NAK; 0 for a frame
	APDU    []byte // unstuffed APDU bytes of a frame
}

// FrameReader reads frames and ACK/NAK bytes from a serial byte stream. Bytes outside a
// frame that are not DLE STX, ACK or NAK are skipped as noise; a DLE STX inside a frame
// restarts it, so a good frame right after garbage is not lost.
type FrameReader struct {
	R      io.Reader     // the line; a SetReadDeadline method is used when it has one
	T1     time.Duration // inter-byte limit inside a frame; DefaultT1 when zero
	MaxLen int           // largest APDU accepted; 5+MaxData when zero
}

type readDeadliner interface{ SetReadDeadline(time.Time) error }

func (fr *FrameReader) readByte(deadline time.Time) (byte, error) {
	if d, ok := fr.R.(readDeadliner); ok {
		_ = d.SetReadDeadline(deadline)
	}
	b, err := serialport.ReadByte(fr.R, deadline)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = ErrTimeout
	}
	return b, err
}

func (fr *FrameReader) t1() time.Duration {
	if fr.T1 > 0 {
		return fr.T1
	}
	return DefaultT1
}

// Next waits until deadline for the start of a frame or a control byte, then reads the
// frame with the T1 limit between bytes. It returns ErrTimeout when nothing started before
// deadline, and ErrBadCRC, ErrT1 or ErrBadFrame (wrapped) for a damaged frame.
func (fr *FrameReader) Next(deadline time.Time) (FrameEvent, error) {
	pendingDLE := false
	for {
		var b byte
		var err error
		if pendingDLE {
			b, err = fr.readByte(time.Now().Add(fr.t1()))
			if errors.Is(err, ErrTimeout) {
				pendingDLE = false // a lone DLE: noise
				continue
			}
		} else {
			b, err = fr.readByte(deadline)
		}
		if err != nil {
			return FrameEvent{}, err
		}
		switch {
		case pendingDLE && b == STX:
			return fr.body()
		case b == DLE:
			pendingDLE = true
		case b == ACK || b == NAK:
			return FrameEvent{Control: b}, nil
		default:
			pendingDLE = false
		}
	}
}

func (fr *FrameReader) body() (FrameEvent, error) {
	max := fr.MaxLen
	if max <= 0 {
		max = 5 + MaxData
	}
	buf := make([]byte, 0, 64)
	next := func() (byte, error) {
		b, err := fr.readByte(time.Now().Add(fr.t1()))
		if errors.Is(err, ErrTimeout) {
			return 0, fmt.Errorf("%w after %d bytes", ErrT1, len(buf))
		}
		return b, err
	}
	for {
		b, err := next()
		if err != nil {
			return FrameEvent{}, err
		}
		if b != DLE {
			if len(buf) >= max {
				return FrameEvent{}, fmt.Errorf("%w: frame longer than %d bytes", ErrBadFrame, max)
			}
			buf = append(buf, b)
			continue
		}
		b, err = next()
		if err != nil {
			return FrameEvent{}, err
		}
		switch b {
		case DLE:
			if len(buf) >= max {
				return FrameEvent{}, fmt.Errorf("%w: frame longer than %d bytes", ErrBadFrame, max)
			}
			buf = append(buf, DLE)
		case STX:
			buf = buf[:0] // a new frame starts: what came before was garbage
		case ETX:
			lo, err := next()
			if err != nil {
				return FrameEvent{}, err
			}
			hi, err := next()
			if err != nil {
				return FrameEvent{}, err
			}
			got, want := uint16(lo)|uint16(hi)<<8, CRC16(buf, []byte{ETX})
			if got != want {
				return FrameEvent{}, fmt.Errorf("%w: got %04X, computed %04X", ErrBadCRC, got, want)
			}
			return FrameEvent{APDU: buf}, nil
		default:
			return FrameEvent{}, fmt.Errorf("%w: DLE followed by %02X", ErrBadFrame, b)
		}
	}
}
