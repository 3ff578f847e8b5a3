package zvt

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestCRC16CheckValue(t *testing.T) {
	if got := CRC16([]byte("123456789")); got != 0x2189 {
		t.Fatalf("CRC16(123456789) = %04X, want 2189", got)
	}
}

func TestFrameGolden(t *testing.T) {
	got := Frame([]byte{0x80, 0x00, 0x00})
	want := mustHex(t, "10 02 80 00 00 10 03 F5 1F")
	if !bytes.Equal(got, want) {
		t.Fatalf("Frame(80 00 00) = % X, want % X", got, want)
	}
}

func TestFrameStuffing(t *testing.T) {
	apdu := []byte{0x06, 0xD1, 0x03, 0x00, 0x10, 0x41}
	f := Frame(apdu)
	crc := CRC16(apdu, []byte{ETX}) // stuffed DLE not in the CRC
	want := append(mustHex(t, "10 02 06 D1 03 00 10 10 41 10 03"), byte(crc), byte(crc>>8))
	if !bytes.Equal(f, want) {
		t.Fatalf("Frame = % X, want % X", f, want)
	}
	fr := FrameReader{R: bytes.NewReader(f), T1: 50 * time.Millisecond}
	ev, err := fr.Next(time.Now().Add(time.Second))
	if err != nil || !bytes.Equal(ev.APDU, apdu) {
		t.Fatalf("read back % X, %v", ev.APDU, err)
	}
}

func TestFrameReaderNoise(t *testing.T) {
	good := Frame([]byte{0x06, 0x01, 0x00})
	// noise, a lone DLE, a truncated frame start, then the good frame and an ACK
	stream := append(mustHex(t, "FF 00 10 41 10 02 12 34"), good...)
	stream = append(stream, ACK)
	fr := FrameReader{R: bytes.NewReader(stream), T1: 50 * time.Millisecond}
	ev, err := fr.Next(time.Now().Add(time.Second))
	if err != nil || !bytes.Equal(ev.APDU, []byte{0x06, 0x01, 0x00}) {
		t.Fatalf("got % X, %v; want 06 01 00", ev.APDU, err)
	}
	ev, err = fr.Next(time.Now().Add(time.Second))
	if err != nil || ev.Control != ACK {
		t.Fatalf("got %+v, %v; want ACK", ev, err)
	}
}

func TestFrameReaderErrors(t *testing.T) {
	bad := Frame([]byte{0x80, 0x00, 0x00})
	bad[len(bad)-1] ^= 0xFF
	for name, tc := range map[string]struct {
		in   []byte
		want error
	}{
		"crc":        {bad, ErrBadCRC},
		"dle-x":      {mustHex(t, "10 02 80 10 41"), ErrBadFrame},
		"t1-gap":     {mustHex(t, "10 02 80 00"), ErrT1},
		"no-data":    {nil, ErrTimeout},
		"noise-only": {mustHex(t, "01 02 03"), ErrTimeout},
	} {
		t.Run(name, func(t *testing.T) {
			fr := FrameReader{R: bytes.NewReader(tc.in), T1: 20 * time.Millisecond}
			_, err := fr.Next(time.Now().Add(30 * time.Millisecond))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFrameReaderMaxLen(t *testing.T) {
	fr := FrameReader{R: bytes.NewReader(Frame(make([]byte, 100))), MaxLen: 10}
	if _, err := fr.Next(time.Now().Add(time.Second)); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("err = %v, want ErrBadFrame", err)
	}
}

func TestAPDUExtendedLength(t *testing.T) {
	data := bytes.Repeat([]byte{0xAB}, 0x0461)
	b, err := APDU{Class: 0x06, Instr: 0xD3, Data: data}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[:5], mustHex(t, "06 D3 FF 61 04")) {
		t.Fatalf("header % X, want 06 D3 FF 61 04", b[:5])
	}
	a, err := ParseAPDU(b)
	if err != nil || len(a.Data) != 0x461 {
		t.Fatalf("ParseAPDU: %d bytes, %v", len(a.Data), err)
	}
	// 254 bytes still use one length byte, 255 the extended form.
	b, _ = APDU{Class: 1, Instr: 2, Data: make([]byte, 254)}.Marshal()
	if b[2] != 0xFE || len(b) != 257 {
		t.Fatalf("254 bytes: % X", b[:3])
	}
	b, _ = APDU{Class: 1, Instr: 2, Data: make([]byte, 255)}.Marshal()
	if !bytes.Equal(b[:5], mustHex(t, "01 02 FF FF 00")) {
		t.Fatalf("255 bytes: % X", b[:5])
	}
	if _, err := (APDU{Data: make([]byte, 70000)}).Marshal(); err == nil {
		t.Fatal("70000 data bytes encoded")
	}
}

func TestParseAPDUErrors(t *testing.T) {
	for _, in := range []string{"", "80 00", "80 00 01", "06 D3 FF 61", "06 D3 FF 02 00 01", "80 00 00 00"} {
		if _, err := ParseAPDU(mustHex(t, in)); err == nil {
			t.Errorf("ParseAPDU(%s) accepted", in)
		}
	}
}

// fragReader returns one byte per Read, like a slow TCP peer.
type fragReader struct{ b []byte }

func (f *fragReader) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, io.EOF
	}
	p[0] = f.b[0]
	f.b = f.b[1:]
	return 1, nil
}

func TestReadAPDUFragmented(t *testing.T) {
	want := mustHex(t, "04 0F 02 27 00")
	a, err := ReadAPDU(&fragReader{b: append(want, 0x80)})
	if err != nil || a.String() != "04 0F 02 27 00" {
		t.Fatalf("got %v, %v", a, err)
	}
	if _, err := ReadAPDU(&fragReader{b: mustHex(t, "04 0F 05 27")}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short APDU: %v", err)
	}
}

func TestBCD(t *testing.T) {
	b, err := EncodeBCD(1234, 6)
	if err != nil || !bytes.Equal(b, mustHex(t, "00 00 00 00 12 34")) {
		t.Fatalf("EncodeBCD(1234,6) = % X, %v", b, err)
	}
	if _, err := EncodeBCD(1000, 1); err == nil {
		t.Fatal("1000 fit in one BCD byte")
	}
	if v, err := DecodeBCD(mustHex(t, "09 78")); err != nil || v != 978 {
		t.Fatalf("DecodeBCD(09 78) = %d, %v", v, err)
	}
	if _, err := DecodeBCD([]byte{0x1A}); err == nil || !strings.Contains(err.Error(), "1A") {
		t.Fatalf("bad BCD error %v", err)
	}
	if s, err := BCDDigits(mustHex(t, "67 EE EE 12 3F")); err != nil || s != "67****123" {
		t.Fatalf("PAN digits %q, %v", s, err)
	}
}

func TestVar(t *testing.T) {
	b, _ := AppendVar(nil, []byte("hello"), 3)
	if !bytes.Equal(b[:3], mustHex(t, "F0 F0 F5")) {
		t.Fatalf("LLLVAR prefix % X", b[:3])
	}
	d, rest, err := DecodeVar(append(b, 0x99), 3)
	if err != nil || string(d) != "hello" || !bytes.Equal(rest, []byte{0x99}) {
		t.Fatalf("DecodeVar: %q % X %v", d, rest, err)
	}
	if _, _, err := DecodeVar(mustHex(t, "F1 F2 00"), 2); err == nil {
		t.Fatal("LLVAR of 12 bytes with 1 byte accepted")
	}
	if _, _, err := DecodeVar(mustHex(t, "F1 0A"), 2); err == nil {
		t.Fatal("bad LLVAR prefix accepted")
	}
}

func TestTLV(t *testing.T) {
	long := bytes.Repeat([]byte{1}, 300)
	in := []TLV{{Tag: 0x1F07, Value: []byte{1}}, {Tag: 0x25, Value: long[:200]}, {Tag: 0x14, Value: long}}
	b, err := AppendTLV(nil, in...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[:4], mustHex(t, "1F 07 01 01")) || !bytes.Equal(b[4:7], mustHex(t, "25 81 C8")) {
		t.Fatalf("encoding % X", b[:8])
	}
	out, err := ParseTLV(b)
	if err != nil || len(out) != 3 || out[0].Tag != 0x1F07 || len(out[2].Value) != 300 {
		t.Fatalf("ParseTLV: %+v %v", out, err)
	}
	if !out[1].Constructed() || out[0].Constructed() {
		t.Fatal("constructed bit wrong")
	}
	for _, bad := range []string{"1F", "14", "14 05 01", "14 83 00 00 01", "1F 87 87 87 87 01 00"} {
		if _, err := ParseTLV(mustHex(t, bad)); err == nil {
			t.Errorf("ParseTLV(%s) accepted", bad)
		}
	}
}

func TestBMPRoundTrip(t *testing.T) {
	in := "27 00 04 00 00 00 00 12 34 49 09 78 0B 00 00 42 0C 15 09 26 0D 03 14 AA 25 03 14 17 00 01 19 40 " +
		"22 F0 F5 67 EE EE 12 3F 29 12 34 56 78 2A 41 42 43 44 45 46 47 48 49 4A 4B 4C 4D 4E 4F " +
		"3C F0 F0 F2 68 69 87 00 07 88 00 00 09 8A 05 8B F0 F2 4F 4B 60 F0 F0 F4 00 01 00 02 " +
		"37 00 00 41 06 04 1F 07 01 01 03 01"
	b := mustHex(t, in)
	fs, err := ParseFields(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 21 {
		t.Fatalf("%d fields", len(fs))
	}
	back, err := AppendFields(nil, fs...)
	if err != nil || !bytes.Equal(back, b) {
		t.Fatalf("re-encoded\n% X\nwant\n% X (%v)", back, b, err)
	}
	if v, _ := fs.Get(BMPText); string(v) != "hi" {
		t.Fatalf("3C = %q", v)
	}
}

func TestBMPErrors(t *testing.T) {
	_, err := ParseFields(mustHex(t, "27 00 FE 01"))
	var ue *UnknownBMPError
	if !errors.As(err, &ue) || ue.BMP != 0xFE || !strings.Contains(err.Error(), "FE") {
		t.Fatalf("unknown BMP error = %v", err)
	}
	for _, bad := range []string{"04 00 00", "04 00 00 00 00 12 3A", "3C F0 F1", "06 05 01", "06 02 14 05", "29 12"} {
		if _, err := ParseFields(mustHex(t, bad)); err == nil {
			t.Errorf("ParseFields(%s) accepted", bad)
		}
	}
	if _, err := AppendFields(nil, Field{BMP: BMPAmount, Value: []byte{1}}); err == nil {
		t.Error("short amount encoded")
	}
}

func TestStatusInfoAndTotals(t *testing.T) {
	it := IndividualTotals{ReceiptFrom: 1, ReceiptTo: 3}
	it.Count[TotalsOther], it.Amount[TotalsOther] = 3, 5000
	v, err := it.Encode()
	if err != nil || len(v) != 53 {
		t.Fatalf("totals: %d bytes, %v", len(v), err)
	}
	data, _ := AppendFields(nil, Field{BMPResultCode, []byte{0}}, Field{BMPTotals, v})
	si, err := ParseStatusInfo(data)
	if err != nil || si.Totals == nil || si.Totals.Amount[TotalsOther] != 5000 || si.Totals.ReceiptTo != 3 {
		t.Fatalf("ParseStatusInfo: %+v %v", si, err)
	}
}

func TestMasked(t *testing.T) {
	a := APDU{Class: 0x06, Instr: 0x00, Data: mustHex(t, "12 34 56 8E 09 78")}
	if got := a.Masked(); got != "06 00 06 ** ** ** 8E 09 78" {
		t.Fatalf("Masked = %q", got)
	}
	b := APDU{Class: 0x06, Instr: 0x01, Data: mustHex(t, "04 00 00 00 00 12 34")}
	if b.Masked() != b.String() {
		t.Fatal("authorization masked")
	}
}
