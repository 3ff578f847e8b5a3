package zvt

import (
	"fmt"
)

// BMP numbers (bitmaps) of PA00P015 that this package reads and writes.
const (
	BMPTimeout        byte = 0x01 // 1 byte
	BMPMaxStatusInfos byte = 0x02 // 1 byte
	BMPServiceByte    byte = 0x03 // 1 byte
	BMPAmount         byte = 0x04 // 6 BCD, minor units
	BMPPumpNumber     byte = 0x05 // 1 byte
	BMPTLV            byte = 0x06 // TLV container, BER length
	BMPTrace          byte = 0x0B // 3 BCD
	BMPTime           byte = 0x0C // HHMMSS 3 BCD
	BMPDate           byte = 0x0D // MMDD 2 BCD
	BMPExpiry         byte = 0x0E // YYMM 2 BCD
	BMPSequence       byte = 0x17 // 2 BCD
	BMPPaymentType    byte = 0x19 // 1 byte status / payment type
	BMPPAN            byte = 0x22 // LLVAR BCD, E masks, F pads
	BMPTrack2         byte = 0x23 // LLVAR
	BMPTrack3         byte = 0x24 // LLLVAR
	BMPResultCode     byte = 0x27 // 1 byte
	BMPTerminalID     byte = 0x29 // 4 BCD
	BMPVUNumber       byte = 0x2A // 15 ASCII
	BMPTrack1         byte = 0x2D // LLVAR
	BMPSyncChip       byte = 0x2E // LLLVAR
	BMPOrigTrace      byte = 0x37 // 3 BCD
	BMPCVV            byte = 0x3A // 2 BCD
	BMPAID            byte = 0x3B // 8 bytes
	BMPText           byte = 0x3C // additional text, LLLVAR
	BMPPassword       byte = 0x3D // 3 BCD
	BMPCurrency       byte = 0x49 // 2 BCD ISO 4217 numeric
	BMPTotals         byte = 0x60 // individual totals, LLLVAR
	BMPReceipt        byte = 0x87 // 2 BCD
	BMPTurnover       byte = 0x88 // 3 BCD
	BMPCardType       byte = 0x8A // 1 byte
	BMPCardName       byte = 0x8B // LLVAR
	BMPCardTypeID     byte = 0x8C // 1 byte
	BMPGeldkarte      byte = 0x9A // LLLVAR
	BMPResultCodeAS   byte = 0xA0 // 1 byte
	BMPChipData       byte = 0xA7 // LLVAR
	BMPDateYYMMDD     byte = 0xAA // YYMMDD 3 BCD
	BMPEFID           byte = 0xAF // LLLVAR
	BMPAIDParam       byte = 0xBA // 5 bytes
)

const (
	varLL  = -2
	varLLL = -3
	varTLV = -4
)

// bmpSize gives each known BMP's length: a byte count, or varLL/varLLL/varTLV.
var bmpSize = map[byte]int{
	BMPTimeout: 1, BMPMaxStatusInfos: 1, BMPServiceByte: 1, BMPAmount: 6, BMPPumpNumber: 1,
	BMPTLV: varTLV, BMPTrace: 3, BMPTime: 3, BMPDate: 2, BMPExpiry: 2, BMPSequence: 2,
	BMPPaymentType: 1, BMPPAN: varLL, BMPTrack2: varLL, BMPTrack3: varLLL, BMPResultCode: 1,
	BMPTerminalID: 4, BMPVUNumber: 15, BMPTrack1: varLL, BMPSyncChip: varLLL, BMPOrigTrace: 3,
	BMPCVV: 2, BMPAID: 8, BMPText: varLLL, BMPPassword: 3, BMPCurrency: 2, BMPTotals: varLLL,
	BMPReceipt: 2, BMPTurnover: 3, BMPCardType: 1, BMPCardName: varLL, BMPCardTypeID: 1,
	BMPGeldkarte: varLLL, BMPResultCodeAS: 1, BMPChipData: varLL, BMPDateYYMMDD: 3,
	BMPEFID: varLLL, BMPAIDParam: 5,
}

// bcdBMP lists the BMPs whose value is packed BCD (checked when parsing).
var bcdBMP = map[byte]bool{
	BMPAmount: true, BMPTrace: true, BMPTime: true, BMPDate: true, BMPExpiry: true,
	BMPSequence: true, BMPTerminalID: true, BMPOrigTrace: true, BMPCurrency: true,
	BMPReceipt: true, BMPTurnover: true, BMPDateYYMMDD: true, BMPPassword: true,
}

// Field is one BMP with its value: for fixed-length BMPs the value bytes, for LLVAR/LLLVAR
// BMPs the data without the length prefix, for BMP 06 the TLV bytes without the length.
type Field struct {
	BMP   byte
	Value []byte
}

// Fields is a list of BMPs in the order they were sent.
type Fields []Field

// Get returns the value of the first field with BMP id and whether there was one.
func (fs Fields) Get(id byte) ([]byte, bool) {
	for _, f := range fs {
		if f.BMP == id {
			return f.Value, true
		}
	}
	return nil, false
}

// Has reports whether fs has a field with BMP id.
func (fs Fields) Has(id byte) bool { _, ok := fs.Get(id); return ok }

// BCD returns the value of BMP id decoded as BCD.
func (fs Fields) BCD(id byte) (uint64, bool, error) {
	v, ok := fs.Get(id)
	if !ok {
		return 0, false, nil
	}
	n, err := DecodeBCD(v)
	if err != nil {
		return 0, true, fmt.Errorf("zvt: BMP %02X: %w", id, err)
	}
	return n, true, nil
}

// UnknownBMPError reports a BMP this package has no length for; the rest of the data
// cannot be parsed after it.
type UnknownBMPError struct {
	BMP    byte
	Offset int
}

func (e *UnknownBMPError) Error() string {
	return fmt.Sprintf("zvt: unknown BMP %02X at offset %d", e.BMP, e.Offset)
}

// ParseFields decodes a sequence of BMPs. Unknown BMPs, cut-off values and invalid BCD in
// BCD fields are errors naming the BMP. Values alias b.
func ParseFields(b []byte) (Fields, error) {
	var fs Fields
	for off := 0; off < len(b); {
		id := b[off]
		size, ok := bmpSize[id]
		if !ok {
			return fs, &UnknownBMPError{BMP: id, Offset: off}
		}
		off++
		rest := b[off:]
		var val []byte
		switch size {
		case varLL, varLLL:
			d, r, err := DecodeVar(rest, -size)
			if err != nil {
				return fs, fmt.Errorf("zvt: BMP %02X: %w", id, err)
			}
			val = d
			off = len(b) - len(r)
		case varTLV:
			n, hs, err := parseTLVLen(rest)
			if err != nil {
				return fs, err
			}
			if n > len(rest)-hs {
				return fs, fmt.Errorf("zvt: BMP 06: length %d but %d bytes left", n, len(rest)-hs)
			}
			val = rest[hs : hs+n]
			if _, err := ParseTLV(val); err != nil {
				return fs, fmt.Errorf("zvt: BMP 06: %w", err)
			}
			off += hs + n
		default:
			if size > len(rest) {
				return fs, fmt.Errorf("zvt: BMP %02X needs %d bytes, %d left", id, size, len(rest))
			}
			val = rest[:size]
			if bcdBMP[id] {
				if _, err := DecodeBCD(val); err != nil {
					return fs, fmt.Errorf("zvt: BMP %02X: %w", id, err)
				}
			}
			off += size
		}
		fs = append(fs, Field{BMP: id, Value: val})
	}
	return fs, nil
}

// AppendFields appends the encoding of fs to dst: fixed fields must have their exact
// length, variable fields get their LLVAR/LLLVAR/BER prefix.
func AppendFields(dst []byte, fs ...Field) ([]byte, error) {
	for _, f := range fs {
		size, ok := bmpSize[f.BMP]
		if !ok {
			return nil, fmt.Errorf("zvt: cannot encode unknown BMP %02X", f.BMP)
		}
		dst = append(dst, f.BMP)
		var err error
		switch size {
		case varLL, varLLL:
			dst, err = AppendVar(dst, f.Value, -size)
			if err != nil {
				return nil, fmt.Errorf("zvt: BMP %02X: %w", f.BMP, err)
			}
		case varTLV:
			n := len(f.Value)
			switch {
			case n < 0x80:
				dst = append(dst, byte(n))
			case n <= 0xFF:
				dst = append(dst, 0x81, byte(n))
			case n <= 0xFFFF:
				dst = append(dst, 0x82, byte(n>>8), byte(n))
			default:
				return nil, fmt.Errorf("zvt: BMP 06: %d bytes too long", n)
			}
			dst = append(dst, f.Value...)
		default:
			if len(f.Value) != size {
				return nil, fmt.Errorf("zvt: BMP %02X must be %d bytes, not %d", f.BMP, size, len(f.Value))
			}
			dst = append(dst, f.Value...)
		}
	}
	return dst, nil
}

// BCDField returns BMP id holding v as BCD of the BMP's fixed length.
func BCDField(id byte, v uint64) (Field, error) {
	size := bmpSize[id]
	if size <= 0 {
		return Field{}, fmt.Errorf("zvt: BMP %02X is not a fixed-length field", id)
	}
	b, err := EncodeBCD(v, size)
	if err != nil {
		return Field{}, fmt.Errorf("zvt: BMP %02X: %w", id, err)
	}
	return Field{BMP: id, Value: b}, nil
}
