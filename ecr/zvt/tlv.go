package zvt

import "fmt"

// TLV is one BER-TLV data object of a BMP 06 container. Tag holds the tag bytes as sent
// (e.g. 0x1F07 for the two-byte tag 1F 07).
type TLV struct {
	Tag   uint32
	Value []byte
}

// Constructed reports whether the tag marks a constructed object whose Value is itself a
// TLV list (bit 6 of the first tag byte).
func (t TLV) Constructed() bool {
	first := t.Tag
	for first > 0xFF {
		first >>= 8
	}
	return first&0x20 != 0
}

// Children parses the Value of a constructed object.
func (t TLV) Children() ([]TLV, error) { return ParseTLV(t.Value) }

// ParseTLV decodes a sequence of BER-TLV objects. Tags may be up to 4 bytes; lengths are
// `<80`, `81 xx` or `82 hi lo`. Values alias b.
func ParseTLV(b []byte) ([]TLV, error) {
	var out []TLV
	for off := 0; off < len(b); {
		start := off
		tag := uint32(b[off])
		off++
		if tag&0x1F == 0x1F {
			for {
				if off >= len(b) {
					return nil, fmt.Errorf("zvt: TLV tag at offset %d cut off", start)
				}
				if off-start >= 4 {
					return nil, fmt.Errorf("zvt: TLV tag at offset %d longer than 4 bytes", start)
				}
				x := b[off]
				off++
				tag = tag<<8 | uint32(x)
				if x&0x80 == 0 {
					break
				}
			}
		}
		if off >= len(b) {
			return nil, fmt.Errorf("zvt: TLV tag %X has no length", tag)
		}
		n := int(b[off])
		off++
		switch {
		case n < 0x80:
		case n == 0x81:
			if off+1 > len(b) {
				return nil, fmt.Errorf("zvt: TLV tag %X: length cut off", tag)
			}
			n = int(b[off])
			off++
		case n == 0x82:
			if off+2 > len(b) {
				return nil, fmt.Errorf("zvt: TLV tag %X: length cut off", tag)
			}
			n = int(b[off])<<8 | int(b[off+1])
			off += 2
		default:
			return nil, fmt.Errorf("zvt: TLV tag %X: unsupported length byte %02X", tag, n)
		}
		if n > len(b)-off {
			return nil, fmt.Errorf("zvt: TLV tag %X: length %d but %d bytes left", tag, n, len(b)-off)
		}
		out = append(out, TLV{Tag: tag, Value: b[off : off+n]})
		off += n
	}
	return out, nil
}

// AppendTLV appends the BER encoding of the objects to dst.
func AppendTLV(dst []byte, objs ...TLV) ([]byte, error) {
	for _, t := range objs {
		switch {
		case t.Tag > 0xFFFFFF:
			dst = append(dst, byte(t.Tag>>24), byte(t.Tag>>16), byte(t.Tag>>8), byte(t.Tag))
		case t.Tag > 0xFFFF:
			dst = append(dst, byte(t.Tag>>16), byte(t.Tag>>8), byte(t.Tag))
		case t.Tag > 0xFF:
			dst = append(dst, byte(t.Tag>>8), byte(t.Tag))
		default:
			dst = append(dst, byte(t.Tag))
		}
		n := len(t.Value)
		switch {
		case n < 0x80:
			dst = append(dst, byte(n))
		case n <= 0xFF:
			dst = append(dst, 0x81, byte(n))
		case n <= 0xFFFF:
			dst = append(dst, 0x82, byte(n>>8), byte(n))
		default:
			return nil, fmt.Errorf("zvt: TLV tag %X: value of %d bytes too long", t.Tag, n)
		}
		dst = append(dst, t.Value...)
	}
	return dst, nil
}

// parseTLVLen reads a BER length at the start of b (for BMP 06) and returns it with the
// number of bytes it took.
func parseTLVLen(b []byte) (n, size int, err error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("zvt: BMP 06: length missing")
	}
	switch {
	case b[0] < 0x80:
		return int(b[0]), 1, nil
	case b[0] == 0x81 && len(b) >= 2:
		return int(b[1]), 2, nil
	case b[0] == 0x82 && len(b) >= 3:
		return int(b[1])<<8 | int(b[2]), 3, nil
	}
	return 0, 0, fmt.Errorf("zvt: BMP 06: bad length byte %02X", b[0])
}
