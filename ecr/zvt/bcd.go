package zvt

import (
	"errors"
	"fmt"
)

// EncodeBCD writes v as n bytes of packed BCD, most significant digit first.
// It fails when v has more than 2n digits.
func EncodeBCD(v uint64, n int) ([]byte, error) {
	b := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		lo := v % 10
		v /= 10
		hi := v % 10
		v /= 10
		b[i] = byte(hi<<4 | lo)
	}
	if v != 0 {
		return nil, fmt.Errorf("zvt: value does not fit %d BCD digits", 2*n)
	}
	return b, nil
}

// DecodeBCD reads packed BCD digits. A nibble above 9 is an error.
func DecodeBCD(b []byte) (uint64, error) {
	if len(b) > 9 {
		return 0, fmt.Errorf("zvt: BCD field of %d bytes is too long", len(b))
	}
	var v uint64
	for _, x := range b {
		hi, lo := x>>4, x&0x0F
		if hi > 9 || lo > 9 {
			return 0, fmt.Errorf("zvt: invalid BCD byte %02X", x)
		}
		v = v*100 + uint64(hi)*10 + uint64(lo)
	}
	return v, nil
}

// BCDDigits returns the packed BCD digits of b as text; nibble E becomes '*' (a masked PAN
// digit) and a trailing nibble F (padding) is dropped. Other nibbles above 9 are an error.
func BCDDigits(b []byte) (string, error) {
	out := make([]byte, 0, 2*len(b))
	for i, x := range b {
		for j, n := range [2]byte{x >> 4, x & 0x0F} {
			switch {
			case n <= 9:
				out = append(out, '0'+n)
			case n == 0xE:
				out = append(out, '*')
			case n == 0xF && i == len(b)-1 && (j == 1 || x == 0xFF):
				// padding
			default:
				return "", fmt.Errorf("zvt: invalid BCD nibble %X in byte %02X", n, x)
			}
		}
	}
	return string(out), nil
}

// errVarLen reports a bad LLVAR/LLLVAR length prefix.
var errVarLen = errors.New("bad variable length prefix")

// AppendVar appends data as an LLVAR (digits 2) or LLLVAR (digits 3) field: the length as
// decimal digits in the low nibbles of F-prefixed bytes (Fx Fy / Fx Fy Fz), then data.
func AppendVar(dst, data []byte, digits int) ([]byte, error) {
	max := 99
	if digits == 3 {
		max = 999
	} else if digits != 2 {
		return nil, fmt.Errorf("zvt: variable length with %d digits", digits)
	}
	if len(data) > max {
		return nil, fmt.Errorf("zvt: %d bytes do not fit a %d-digit length", len(data), digits)
	}
	n := len(data)
	if digits == 3 {
		dst = append(dst, 0xF0|byte(n/100))
	}
	dst = append(dst, 0xF0|byte(n/10%10), 0xF0|byte(n%10))
	return append(dst, data...), nil
}

// DecodeVar reads an LLVAR (digits 2) or LLLVAR (digits 3) field from the start of b and
// returns its data and the bytes after it.
func DecodeVar(b []byte, digits int) (data, rest []byte, err error) {
	if len(b) < digits {
		return nil, nil, fmt.Errorf("zvt: %w: need %d bytes, have %d", errVarLen, digits, len(b))
	}
	n := 0
	for _, x := range b[:digits] {
		if x>>4 != 0xF || x&0x0F > 9 {
			return nil, nil, fmt.Errorf("zvt: %w: byte %02X", errVarLen, x)
		}
		n = n*10 + int(x&0x0F)
	}
	b = b[digits:]
	if n > len(b) {
		return nil, nil, fmt.Errorf("zvt: variable field of %d bytes but only %d left", n, len(b))
	}
	return b[:n], b[n:], nil
}
