package keypad

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// FuzzDecoder feeds arbitrary bytes to the evdev decoder, the keypad mapping
// and the scanner assembler: none may panic, every key must be a defined
// one, and a record count must match the input length.
func FuzzDecoder(f *testing.F) {
	f.Add(stream(24, tap(codeKP1, codeKPEnter)...), true)
	f.Add(stream(16, seq(sh(30), k(2), k(codeEnter))...), false)
	f.Add([]byte{1, 2, 3}, true)
	f.Fuzz(func(t *testing.T, b []byte, wide bool) {
		size := 16
		if wide {
			size = 24
		}
		d, err := NewDecoderSize(bytes.NewReader(b), size)
		if err != nil {
			t.Fatal(err)
		}
		var as []*Assembler
		for _, l := range allLayouts {
			as = append(as, &Assembler{Layout: l, MaxLen: 16})
		}
		n := 0
		for {
			ev, err := d.Next()
			if err != nil {
				if n != len(b)/size {
					t.Fatalf("decoded %d records from %d bytes of %d-byte records", n, len(b), size)
				}
				if (len(b)%size == 0) != errors.Is(err, io.EOF) {
					t.Fatalf("end of %d bytes: %v", len(b), err)
				}
				return
			}
			n++
			if key, ok := KeypadKey(ev); ok && !key.Valid() {
				t.Fatalf("KeypadKey(%+v) = undefined key %v", ev, key)
			}
			for _, a := range as {
				code, err := a.Feed(ev, time.Unix(0, 0))
				var se *ScanError
				if err != nil && !errors.As(err, &se) {
					t.Fatalf("layout %s: Feed error %v is not a *ScanError", a.Layout, err)
				}
				if code != "" && err != nil {
					t.Fatalf("layout %s: Feed returned code and error %v", a.Layout, err)
				}
				if len([]rune(code)) > 16 {
					t.Fatalf("layout %s: code of %d runes exceeds MaxLen 16", a.Layout, len([]rune(code)))
				}
				if err != nil && ev.Type == EvKey && Silent(ev.Code) {
					t.Fatalf("layout %s: silent key %d dropped a code: %v", a.Layout, ev.Code, err)
				}
			}
		}
	})
}

// FuzzTerminal checks that the stdin mapper never panics, emits only
// defined keys or non-empty single-line codes, and that Terminal gives the
// same events whether the input comes in one read or in arbitrary chunks,
// as long as no Esc is split from what follows it.
func FuzzTerminal(f *testing.F) {
	f.Add([]byte("12.5\r"))
	f.Add([]byte("scan:wallet-1\nm\x7fc\x1b[A"))
	f.Add([]byte("sc\r\nscan:\x7f\x7fx\r"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var whole []Event
		if err := Terminal(context.Background(), bytes.NewReader(b), func(e Event) { whole = append(whole, e) }); err != nil {
			t.Fatal(err)
		}
		for _, e := range whole {
			if e.Code != "" {
				if e.Key != 0 || strings.ContainsAny(e.Code, "\r\n") || len(e.Code) > MaxTerminalCodeLen {
					t.Fatalf("bad code event %+v", e)
				}
			} else if !e.Key.Valid() {
				t.Fatalf("undefined key %v", e.Key)
			}
		}
		if bytes.IndexByte(b, 0x1b) >= 0 {
			return
		}
		var split []Event
		if err := Terminal(context.Background(), iotest.HalfReader(bytes.NewReader(b)), func(e Event) { split = append(split, e) }); err != nil {
			t.Fatal(err)
		}
		if keysOf(whole) != keysOf(split) {
			t.Fatalf("chunking changed events:\nwhole %s\nsplit %s", keysOf(whole), keysOf(split))
		}
	})
}
