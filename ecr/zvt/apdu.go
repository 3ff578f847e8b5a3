package zvt

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxData is the largest APDU data field: the extended length is 16 bits.
const MaxData = 0xFFFF

// APDU is one ZVT application message: CLASS INSTR LEN data.
type APDU struct {
	Class, Instr byte
	Data         []byte
}

// Command returns CLASS<<8 | INSTR, e.g. 0x0601 for Authorization.
func (a APDU) Command() uint16 { return uint16(a.Class)<<8 | uint16(a.Instr) }

// Commands and answers the package knows by name.
const (
	CmdRegistration   uint16 = 0x0600
	CmdAuthorization  uint16 = 0x0601
	CmdLogOff         uint16 = 0x0602
	CmdCompletion     uint16 = 0x060F
	CmdAbortPT        uint16 = 0x061E // abort sent by the PT, data: result code
	CmdReversal       uint16 = 0x0630
	CmdRefund         uint16 = 0x0631
	CmdEndOfDay       uint16 = 0x0650
	CmdAbortECR       uint16 = 0x06B0 // abort sent by the ECR
	CmdPrintLine      uint16 = 0x06D1
	CmdPrintText      uint16 = 0x06D3
	CmdStatusEnquiry  uint16 = 0x0501
	CmdStatusInfo     uint16 = 0x040F
	CmdIntermediate   uint16 = 0x04FF
	AnswerPositive    uint16 = 0x8000
	classNegative     byte   = 0x84
	classPositive     byte   = 0x80
	defaultConfigByte byte   = 0x86
)

// Ack is the positive answer 80 00 00.
var Ack = APDU{Class: classPositive, Instr: 0x00}

// Nack returns the negative answer 84 rc 00 for result code rc.
func Nack(rc byte) APDU { return APDU{Class: classNegative, Instr: rc} }

// IsAnswer reports whether a is an 80 or 84 answer.
func (a APDU) IsAnswer() bool { return a.Class == classPositive || a.Class == classNegative }

// AnswerCode returns the result code of an 80/84 answer: 00 for 80 xx and for 84 00, xx for 84 xx.
func (a APDU) AnswerCode() byte {
	if a.Class == classNegative {
		return a.Instr
	}
	return 0
}

// Marshal encodes a with a one-byte length for 0..254 data bytes and the extended
// `FF lo hi` (little-endian) length above.
func (a APDU) Marshal() ([]byte, error) {
	n := len(a.Data)
	if n > MaxData {
		return nil, fmt.Errorf("zvt: APDU %02X %02X: %d data bytes exceed %d", a.Class, a.Instr, n, MaxData)
	}
	var b []byte
	if n < 0xFF {
		b = make([]byte, 0, 3+n)
		b = append(b, a.Class, a.Instr, byte(n))
	} else {
		b = make([]byte, 0, 5+n)
		b = append(b, a.Class, a.Instr, 0xFF, byte(n), byte(n>>8))
	}
	return append(b, a.Data...), nil
}

// ErrShortAPDU is returned for bytes too short for the APDU header or the length they give.
var ErrShortAPDU = errors.New("zvt: short APDU")

// ParseAPDU decodes exactly one APDU from b. Trailing bytes are an error. Data aliases b.
func ParseAPDU(b []byte) (APDU, error) {
	if len(b) < 3 {
		return APDU{}, fmt.Errorf("%w: %d bytes", ErrShortAPDU, len(b))
	}
	n, hdr := int(b[2]), 3
	if b[2] == 0xFF {
		if len(b) < 5 {
			return APDU{}, fmt.Errorf("%w: extended length cut off", ErrShortAPDU)
		}
		n, hdr = int(b[3])|int(b[4])<<8, 5
	}
	switch {
	case len(b)-hdr < n:
		return APDU{}, fmt.Errorf("%w: %02X %02X says %d data bytes, has %d", ErrShortAPDU, b[0], b[1], n, len(b)-hdr)
	case len(b)-hdr > n:
		return APDU{}, fmt.Errorf("zvt: APDU %02X %02X: %d bytes after the %d data bytes", b[0], b[1], len(b)-hdr-n, n)
	}
	return APDU{Class: b[0], Instr: b[1], Data: b[hdr:]}, nil
}

// ReadAPDU reads one APDU from a byte stream (TCP), however it is fragmented. It allocates
// at most the length the header gives (≤ 65535 bytes).
func ReadAPDU(r io.Reader) (APDU, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:3]); err != nil {
		return APDU{}, err
	}
	n := int(h[2])
	if h[2] == 0xFF {
		if _, err := io.ReadFull(r, h[3:5]); err != nil {
			return APDU{}, fmt.Errorf("zvt: read extended length: %w", noEOF(err))
		}
		n = int(h[3]) | int(h[4])<<8
	}
	a := APDU{Class: h[0], Instr: h[1], Data: make([]byte, n)}
	if _, err := io.ReadFull(r, a.Data); err != nil {
		return APDU{}, fmt.Errorf("zvt: read %d data bytes of %02X %02X: %w", n, h[0], h[1], noEOF(err))
	}
	return a, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// String returns a's encoding as spaced hex, e.g. "80 00 00".
func (a APDU) String() string {
	b, err := a.Marshal()
	if err != nil {
		return fmt.Sprintf("%02X %02X <%d bytes>", a.Class, a.Instr, len(a.Data))
	}
	return hexSpaced(b)
}

// Masked returns String with the password bytes of commands that carry one replaced by "**".
func (a APDU) Masked() string {
	switch a.Command() {
	case CmdRegistration, CmdReversal, CmdRefund, CmdEndOfDay, CmdStatusEnquiry, CmdLogOff:
	default:
		return a.String()
	}
	if len(a.Data) < 3 {
		return a.String()
	}
	c := a
	c.Data = append([]byte(nil), a.Data...)
	for i := range 3 {
		c.Data[i] = 0
	}
	s := c.String()
	// Replace the three zeroed password bytes in the text: they follow the header.
	hdr := 3
	if len(a.Data) >= 0xFF {
		hdr = 5
	}
	parts := strings.Split(s, " ")
	for i := hdr; i < hdr+3 && i < len(parts); i++ {
		parts[i] = "**"
	}
	return strings.Join(parts, " ")
}

func hexSpaced(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	s := strings.ToUpper(hex.EncodeToString(b))
	var sb strings.Builder
	sb.Grow(len(s) + len(b))
	for i := 0; i < len(s); i += 2 {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(s[i : i+2])
	}
	return sb.String()
}
