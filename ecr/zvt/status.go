package zvt

import (
	"fmt"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Result codes of PA00P015 §10 that terminald uses.
const (
	RCOK               byte = 0x00
	RCCardNotReadable  byte = 0x64
	RCAborted          byte = 0x6C // timeout, abort key, ECR abort, expired
	RCWrongCurrency    byte = 0x6F
	RCEndOfDayNotPoss  byte = 0x77
	RCNotPossible      byte = 0x83
	RCProtocolError    byte = 0x9A
	RCPleaseWait       byte = 0x9C
	RCReceiverNotReady byte = 0xA0
	RCAlreadyReversed  byte = 0xB4
	RCReversalNotPoss  byte = 0xB5
	RCMaxAmount        byte = 0xC3
	RCAmountTooSmall   byte = 0xC8
	RCSystemError      byte = 0xFF
)

// Intermediate status codes sent in 04 FF.
const (
	StatusCustomerAction byte = 0x01 // e.g. "scan the code"
	StatusShowCode       byte = 0x0A // customer action at the terminal
	StatusPleaseWait     byte = 0x0E
)

// Terminal status codes in the completion of a status enquiry (BMP 19).
const (
	TerminalReady    byte = 0x00
	TerminalNotReady byte = 0xDF // out of order
)

// EncodeText encodes s in code page 437, unmappable runes as '?'.
func EncodeText(s string) []byte {
	b, err := encoding.ReplaceUnsupported(charmap.CodePage437.NewEncoder()).Bytes([]byte(s))
	if err != nil {
		return []byte(s)
	}
	return b
}

// DecodeText decodes code page 437 bytes.
func DecodeText(b []byte) string {
	s, err := charmap.CodePage437.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}

// StatusInfo is a decoded Status-Information (04 0F).
type StatusInfo struct {
	Fields     Fields // every BMP as sent
	ResultCode byte   // BMP 27 (00 when absent)
	Amount     int64  // BMP 04, minor units
	HasAmount  bool
	Currency   int    // BMP 49 numeric; 0 when absent
	Trace      uint64 // BMP 0B
	OrigTrace  uint64 // BMP 37
	Time       string // BMP 0C as HHMMSS
	Date       string // BMP 0D as MMDD
	Receipt    uint64 // BMP 87
	TerminalID uint64 // BMP 29
	Turnover   uint64 // BMP 88
	CardName   string // BMP 8B
	Text       string // BMP 3C
	Totals     *IndividualTotals
}

// ParseStatusInfo decodes the data of a 04 0F APDU.
func ParseStatusInfo(data []byte) (*StatusInfo, error) {
	fs, err := ParseFields(data)
	if err != nil {
		return nil, fmt.Errorf("zvt: status information: %w", err)
	}
	si := &StatusInfo{Fields: fs}
	if v, ok := fs.Get(BMPResultCode); ok {
		si.ResultCode = v[0]
	}
	num := func(id byte) uint64 { n, _, _ := fs.BCD(id); return n } // BCD already checked
	if fs.Has(BMPAmount) {
		si.HasAmount = true
		si.Amount = int64(num(BMPAmount))
	}
	si.Currency = int(num(BMPCurrency))
	si.Trace, si.OrigTrace, si.Receipt = num(BMPTrace), num(BMPOrigTrace), num(BMPReceipt)
	si.TerminalID, si.Turnover = num(BMPTerminalID), num(BMPTurnover)
	if v, ok := fs.Get(BMPTime); ok {
		si.Time, _ = BCDDigits(v)
	}
	if v, ok := fs.Get(BMPDate); ok {
		si.Date, _ = BCDDigits(v)
	}
	if v, ok := fs.Get(BMPCardName); ok {
		si.CardName = DecodeText(v)
	}
	if v, ok := fs.Get(BMPText); ok {
		si.Text = DecodeText(v)
	}
	if v, ok := fs.Get(BMPTotals); ok {
		t, err := ParseIndividualTotals(v)
		if err != nil {
			return nil, err
		}
		si.Totals = t
	}
	return si, nil
}

// Card groups of BMP 60 individual totals, in wire order.
const (
	TotalsEC = iota
	TotalsJCB
	TotalsEurocard
	TotalsAmex
	TotalsVisa
	TotalsDiners
	TotalsOther // remaining cards: terminald's QR payments are counted here
	numTotals
)

// IndividualTotals is BMP 60 of the end-of-day Status-Information: the receipt range and a
// count (1 byte) and turnover (6 BCD) per card group.
type IndividualTotals struct {
	ReceiptFrom, ReceiptTo uint64
	Count                  [numTotals]uint8
	Amount                 [numTotals]int64
}

// Encode returns the BMP 60 value (without the LLLVAR prefix).
func (t *IndividualTotals) Encode() ([]byte, error) {
	out := make([]byte, 0, 4+7*numTotals)
	for _, v := range []uint64{t.ReceiptFrom, t.ReceiptTo} {
		b, err := EncodeBCD(v%10000, 2)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	for i := range numTotals {
		if t.Amount[i] < 0 {
			return nil, fmt.Errorf("zvt: negative total %d", t.Amount[i])
		}
		b, err := EncodeBCD(uint64(t.Amount[i]), 6)
		if err != nil {
			return nil, fmt.Errorf("zvt: total: %w", err)
		}
		out = append(out, t.Count[i])
		out = append(out, b...)
	}
	return out, nil
}

// ParseIndividualTotals decodes a BMP 60 value. Fewer card groups than seven are accepted.
func ParseIndividualTotals(b []byte) (*IndividualTotals, error) {
	if len(b) < 4 || (len(b)-4)%7 != 0 || len(b) > 4+7*numTotals {
		return nil, fmt.Errorf("zvt: BMP 60: %d bytes is no individual totals record", len(b))
	}
	var t IndividualTotals
	var err error
	if t.ReceiptFrom, err = DecodeBCD(b[0:2]); err != nil {
		return nil, fmt.Errorf("zvt: BMP 60: %w", err)
	}
	if t.ReceiptTo, err = DecodeBCD(b[2:4]); err != nil {
		return nil, fmt.Errorf("zvt: BMP 60: %w", err)
	}
	for i, off := 0, 4; off < len(b); i, off = i+1, off+7 {
		t.Count[i] = b[off]
		v, err := DecodeBCD(b[off+1 : off+7])
		if err != nil {
			return nil, fmt.Errorf("zvt: BMP 60: %w", err)
		}
		t.Amount[i] = int64(v)
	}
	return &t, nil
}

// timeFields returns BMPs 0C (HHMMSS) and 0D (MMDD) for t.
func timeFields(t time.Time) []Field {
	hms, _ := EncodeBCD(uint64(t.Hour()*10000+t.Minute()*100+t.Second()), 3)
	md, _ := EncodeBCD(uint64(int(t.Month())*100+t.Day()), 2)
	return []Field{{BMP: BMPTime, Value: hms}, {BMP: BMPDate, Value: md}}
}
