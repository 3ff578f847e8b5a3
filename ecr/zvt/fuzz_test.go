package zvt

import (
	"bytes"
	"testing"
	"time"
)

func FuzzFrameReader(f *testing.F) {
	f.Add(Frame([]byte{0x80, 0x00, 0x00}))
	f.Add(append([]byte{0xFF, DLE, DLE, STX, 0x10, 0x10}, Frame([]byte{0x06, 0xD1, 0x02, 0x00, 0x10})...))
	f.Fuzz(func(t *testing.T, in []byte) {
		fr := FrameReader{R: bytes.NewReader(in), T1: time.Millisecond, MaxLen: 1024}
		for range 8 {
			ev, err := fr.Next(time.Now())
			if err != nil && !IsFrameError(err) {
				return
			}
			if err == nil && ev.Control == 0 {
				// A frame that passed the CRC re-frames to bytes the reader accepts again.
				back := FrameReader{R: bytes.NewReader(Frame(ev.APDU)), T1: time.Millisecond}
				ev2, err := back.Next(time.Now())
				if err != nil || !bytes.Equal(ev2.APDU, ev.APDU) {
					t.Fatalf("round trip of % X: % X, %v", ev.APDU, ev2.APDU, err)
				}
			}
		}
	})
}

func FuzzParseAPDU(f *testing.F) {
	f.Add([]byte{0x80, 0x00, 0x00})
	f.Add([]byte{0x06, 0xD3, 0xFF, 0x01, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := ParseAPDU(in)
		if err != nil {
			return
		}
		b, err := a.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseAPDU(b); err != nil {
			t.Fatalf("re-encoded % X does not parse: %v", b, err)
		}
		_, _ = ReadAPDU(bytes.NewReader(in))
	})
}

func FuzzParseFields(f *testing.F) {
	f.Add(mustHex(f, "27 00 04 00 00 00 00 12 34 3C F0 F0 F2 68 69 06 03 1F 07 00"))
	f.Add(mustHex(f, "60 F0 F0 F4 00 01 00 02 22 F0 F2 12 3F"))
	f.Fuzz(func(t *testing.T, in []byte) {
		fs, err := ParseFields(in)
		if err != nil {
			return
		}
		b, err := AppendFields(nil, fs...)
		if err != nil || !bytes.Equal(b, in) {
			// Only BER lengths may be re-encoded shorter; everything else is identical.
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if _, err := ParseFields(b); err != nil {
				t.Fatalf("re-encoded % X does not parse: %v", b, err)
			}
		}
		_, _ = ParseStatusInfo(in)
	})
}

func FuzzParseTLV(f *testing.F) {
	f.Add(mustHex(f, "1F 07 01 01 25 81 02 07 00"))
	f.Add(mustHex(f, "14 82 00 01 00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		objs, err := ParseTLV(in)
		if err != nil {
			return
		}
		b, err := AppendTLV(nil, objs...)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseTLV(b)
		if err != nil || len(again) != len(objs) {
			t.Fatalf("re-encoded % X: %d objects, %v", b, len(again), err)
		}
		for _, o := range objs {
			if o.Constructed() {
				_, _ = o.Children()
			}
		}
	})
}
