package keypad

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

var allLayouts = []Layout{LayoutUS, LayoutDE, LayoutDK}

// typeOn returns the key events a scanner set to layout l sends to type s:
// each character on the lowest level that types it, a character only a dead
// key types as dead key + Space, and Enter at the end.
func typeOn(t *testing.T, l Layout, s string) [][2]int32 {
	t.Helper()
	type stroke struct {
		code  uint16
		level int
		dead  bool
	}
	keys := map[rune]stroke{}
	for level := 2; level >= 0; level-- {
		for code := uint16(255); code > 0; code-- {
			shift, altGr := level == 1, level == 2
			r, ok := l.Rune(code, shift, altGr)
			if !ok {
				continue
			}
			if old, seen := keys[r]; seen && !old.dead && l.Dead(code, shift, altGr) {
				continue // prefer a plain key to a dead one
			}
			keys[r] = stroke{code, level, l.Dead(code, shift, altGr)}
		}
	}
	var out [][2]int32
	for _, r := range s {
		st, ok := keys[r]
		if !ok {
			t.Fatalf("layout %s cannot type %q", l, r)
		}
		c := int32(st.code)
		switch st.level {
		case 0:
			out = append(out, k(c)...)
		case 1:
			out = append(out, sh(c)...)
		case 2:
			out = append(out, ag(c)...)
		}
		if st.dead {
			out = append(out, k(codeSpace)...)
		}
	}
	return append(out, k(codeEnter)...)
}

// The field report: a 2D scanner sends NumLock before every code.
func TestAssemblerNumLockBeforeCode(t *testing.T) {
	const url = "https://example.test/52109618"
	for _, l := range allLayouts {
		keys := seq(k(codeNumLock), typeOn(t, l, url))
		codes, errs := feed(&Assembler{Layout: l}, time.Unix(0, 0), keys)
		if len(errs) != 0 || len(codes) != 1 || codes[0] != url {
			t.Errorf("layout %s: codes %q errors %v, want [%q]", l, codes, errs, url)
		}
	}
	// The exact report on the US layout, as evdev bytes through a Scanner.
	us := seq(tap(codeNumLock), k(35), k(20), k(20), k(25), k(31), sh(codeSemicolon), k(codeSlash), k(codeSlash),
		k(18), k(45), k(30), k(50), k(25), k(38), k(18), k(codeDot), k(20), k(18), k(31), k(20), k(codeSlash),
		k(6), k(3), k(2), k(code0), k(10), k(7), k(2), k(9), k(codeEnter))
	o := &fakeOpener{script: []func() (io.ReadCloser, error){data(stream(24, us...), io.EOF)}}
	s := &Scanner{Device: Device{Path: "scanner", Open: o.open, RecordSize: 24, MinBackoff: time.Millisecond}}
	got, _ := collect(t, s, 1)
	if got[0] != (Event{Code: url}) {
		t.Errorf("scanner delivered %v, want the code %q", got[0], url)
	}
}

// silentKeys are keys that type nothing: locks, modifiers on both sides,
// Meta and Compose, function keys, media and system keys, KEY_UNKNOWN.
var silentKeys = []int32{
	codeCapsLock, codeNumLock, codeScrollLock,
	codeLeftShift, codeRightShift, codeLeftCtrl, codeRightCtrl, codeLeftAlt, codeRightAlt,
	codeLeftMeta, codeRightMeta, codeCompose,
	codeF1, codeF1 + 4, codeF10, codeF11, codeF12, codeF13, codeF24,
	codeMute, codeVolumeUp, codePower, codePause, codePlayPause, 140 /* KEY_CALC */, 150, /* KEY_WWW */
	codeSysRq, codeUnknown, codeReserved, 0x160 /* KEY_OK */, 0x110, /* BTN_LEFT */
}

func TestAssemblerSilentKeysNeverDropACode(t *testing.T) {
	const want = "AB-12/x"
	for _, l := range allLayouts {
		for _, key := range silentKeys {
			if key != codeCapsLock && !Silent(uint16(key)) {
				t.Errorf("Silent(%d) = false", key)
			}
			typed := typeOn(t, l, want)
			// The silent key (press+release; CapsLock twice, so it leaves
			// the state as it found it) before the code and between every
			// two key events of it.
			var keys [][2]int32
			noise := tap(key)
			if key == codeCapsLock {
				noise = tap(key, key)
			}
			keys = append(keys, noise...)
			for _, e := range typed {
				if e[1] == ValueRelease && !isModifier(e[0]) {
					keys = append(keys, e)
					keys = append(keys, noise...)
					continue
				}
				keys = append(keys, e)
			}
			if isModifier(key) {
				keys = append(tap(key), typed...) // held modifiers change characters
			}
			codes, errs := feed(&Assembler{Layout: l}, time.Unix(0, 0), keys)
			if len(errs) != 0 || len(codes) != 1 || codes[0] != want {
				t.Errorf("layout %s, key %d: codes %q errors %v, want [%q]", l, key, codes, errs, want)
			}
		}
	}
}

func isModifier(code int32) bool {
	switch code {
	case codeLeftShift, codeRightShift, codeLeftCtrl, codeRightCtrl, codeLeftAlt, codeRightAlt:
		return true
	}
	return false
}

func TestAssemblerKeypadBlock(t *testing.T) {
	kp := seq(k(codeKP0), k(codeKP1), k(codeKP2), k(codeKP3), k(codeKP4), k(codeKP5), k(codeKP6), k(codeKP7),
		k(codeKP8), k(codeKP9), k(codeKPSlash), k(codeKPAsterisk), k(codeKPMinus), k(codeKPPlus), k(codeKPEqual),
		k(codeKPComma), k(codeKPDot), k(codeKPEnter))
	for _, tt := range []struct {
		layout Layout
		want   string
	}{
		{LayoutUS, "0123456789/*-+=,."},
		{LayoutDE, "0123456789/*-+=,,"},
		{LayoutDK, "0123456789/*-+=,,"},
	} {
		// With and without NumLock sent first; a keypad '=' used to drop
		// the whole code.
		for _, keys := range [][][2]int32{kp, seq(k(codeNumLock), kp)} {
			codes, errs := feed(&Assembler{Layout: tt.layout}, time.Unix(0, 0), keys)
			if len(errs) != 0 || len(codes) != 1 || codes[0] != tt.want {
				t.Errorf("layout %s: codes %q errors %v, want [%q]", tt.layout, codes, errs, tt.want)
			}
		}
	}
}

func TestAssemblerAltGrAndDeadKeys(t *testing.T) {
	acute, grave, circ := int32(codeEqual), int32(codeEqual), int32(codeGrave)
	tests := []struct {
		name   string
		layout Layout
		keys   [][2]int32
		want   string
	}{
		{"de AltGr row", LayoutDE, seq(ag(codeQ), ag(3), ag(4), ag(8), ag(9), ag(10), ag(11), ag(codeMinus), ag(codeRightBrace), ag(code102nd), ag(codeE), ag(codeM)), "@²³{[]}\\~|€µ"},
		{"dk AltGr row", LayoutDK, seq(ag(3), ag(4), ag(5), ag(6), ag(8), ag(9), ag(10), ag(11), ag(codeEqual), ag(code102nd), ag(codeE), ag(codeM)), "@£$€{[]}|\\€µ"},
		{"de acute e", LayoutDE, seq(k(acute), k(codeE)), "é"},
		{"de grave A", LayoutDE, seq(sh(grave), sh(30)), "À"},
		{"de circumflex o", LayoutDE, seq(k(circ), k(24)), "ô"},
		{"de circumflex space", LayoutDE, seq(k(2), k(circ), k(codeSpace), k(3)), "1^2"},
		{"de circumflex digit", LayoutDE, seq(k(circ), k(2)), "^1"},
		{"de dead key last", LayoutDE, seq(k(2), k(acute)), "1´"},
		{"de dead twice", LayoutDE, seq(k(acute), k(acute), k(codeE)), "´é"},
		{"de degree is not dead", LayoutDE, seq(sh(circ), k(2)), "°1"},
		{"dk diaeresis u", LayoutDK, seq(k(codeRightBrace), k(22)), "ü"},
		{"dk circumflex O", LayoutDK, seq(sh(codeRightBrace), sh(24)), "Ô"},
		{"dk tilde n", LayoutDK, seq(ag(codeRightBrace), k(49)), "ñ"},
		{"dk acute y", LayoutDK, seq(k(codeEqual), k(21)), "ý"},
		{"dk tilde space", LayoutDK, seq(ag(codeRightBrace), k(codeSpace)), "~"},
		{"dk pipe is not dead", LayoutDK, seq(ag(codeEqual), k(30)), "|a"},
		{"us no dead keys", LayoutUS, seq(sh(codeGrave), k(30), sh(7), k(18)), "~a^e"},
		{"tab inside a code", LayoutUS, seq(k(2), k(codeTab), k(3)), "1\t2"},
	}
	for _, tt := range tests {
		codes, errs := feed(&Assembler{Layout: tt.layout}, time.Unix(0, 0), append(tt.keys, k(codeEnter)...))
		if len(errs) != 0 || len(codes) != 1 || codes[0] != tt.want {
			t.Errorf("%s: codes %q errors %v, want [%q]", tt.name, codes, errs, tt.want)
		}
	}
}

// Every key of the main and keypad blocks types a character, with and
// without Shift, on every layout.
func TestLayoutMapsEveryCharacterKey(t *testing.T) {
	var typing []uint16
	for c := uint16(code1); c <= codeBackspace-1; c++ {
		typing = append(typing, c)
	}
	for _, r := range [][2]uint16{{codeTab, codeRightBrace}, {30, codeGrave}, {codeBackslash, codeSlash}, {codeKP7, codeKPDot}} {
		for c := r[0]; c <= r[1]; c++ {
			typing = append(typing, c)
		}
	}
	typing = append(typing, codeKPAsterisk, codeSpace, code102nd, codeKPSlash, codeKPEqual, codeKPComma, codeKPPlusMinus,
		codeKPJPComma, codeKPLeftParen, codeKPRightParen)
	for _, l := range allLayouts {
		for _, c := range typing {
			if Silent(c) {
				t.Errorf("Silent(%d) = true for a character key", c)
			}
			for _, shift := range []bool{false, true} {
				if _, ok := l.Rune(c, shift, false); !ok {
					t.Errorf("layout %s: key %d shift=%t types nothing", l, c, shift)
				}
			}
		}
	}
}

// A key that types something the layout does not know drops the code; the
// error names the key and the partial code's shape, and reaches the handler
// as Event.Err so the cashier can be asked to scan again.
func TestScannerReportsUnmappableKey(t *testing.T) {
	for _, tc := range []struct {
		layout Layout
		keys   [][2]int32
		key    uint16
	}{
		{LayoutUS, seq(k(35), sh(20), k(2), ag(codeQ)), codeQ},
		{LayoutDE, seq(k(35), sh(20), k(2), k(codeBackspace)), codeBackspace},
		{LayoutDK, seq(k(35), sh(20), k(2), [][2]int32{press(codeLeftAlt), press(30), release(30), release(codeLeftAlt)}), 30},
		{LayoutUS, seq(k(35), sh(20), k(2), k(codeEsc)), codeEsc},
	} {
		var logBuf syncBuffer
		keys := seq(tc.keys, k(4), k(codeEnter), k(5), k(codeEnter))
		o := &fakeOpener{script: []func() (io.ReadCloser, error){data(stream(24, keys...), io.EOF)}}
		s := &Scanner{Layout: tc.layout, Device: Device{Path: "scanner", Open: o.open, RecordSize: 24, MinBackoff: time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(&logBuf, nil))}}
		got, _ := collect(t, s, 2)
		var se *ScanError
		if !errors.As(got[0].Err, &se) || !errors.Is(got[0].Err, ErrUnknownKey) || se.Key != tc.key || se.Partial != "hT1" {
			t.Errorf("layout %s: first event %v, want a *ScanError for key %d after \"hT1\"", tc.layout, got[0], tc.key)
		}
		if got[1] != (Event{Code: "4"}) {
			t.Errorf("layout %s: second event %v, want the next code \"4\"", tc.layout, got[1])
		}
		log := logBuf.String()
		for _, want := range []string{"code dropped", `partial=aA9`, "key=" + itoa(tc.key), "layout=" + string(tc.layout)} {
			if !strings.Contains(log, want) {
				t.Errorf("layout %s: log lacks %q:\n%s", tc.layout, want, log)
			}
		}
		if strings.Contains(log, "hT1") {
			t.Errorf("layout %s: log shows the code's characters:\n%s", tc.layout, log)
		}
	}
}

func itoa(n uint16) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Every key code with every modifier either types a character, is skipped,
// or drops the code with a *ScanError; a silent key never drops one.
func TestAssemblerEveryKeyCode(t *testing.T) {
	mods := [][]int32{nil, {codeLeftShift}, {codeRightAlt}, {codeRightShift, codeRightAlt}, {codeRightCtrl}, {codeLeftAlt}}
	for _, l := range allLayouts {
		for code := int32(0); code < 0x300; code++ {
			if code == codeEnter || code == codeKPEnter {
				continue
			}
			for _, m := range mods {
				var keys [][2]int32
				for _, c := range m {
					keys = append(keys, press(c))
				}
				keys = append(keys, tap(code)...)
				for _, c := range m {
					keys = append(keys, release(c))
				}
				keys = seq(k(2), keys, k(codeEnter))
				codes, errs := feed(&Assembler{Layout: l}, time.Unix(0, 0), keys)
				var se *ScanError
				switch {
				case Silent(uint16(code)) && (len(errs) != 0 || len(codes) != 1 || codes[0] != "1"):
					t.Errorf("layout %s mods %v: silent key %d gave codes %q errors %v", l, m, code, codes, errs)
				case len(errs) == 1 && (!errors.As(errs[0], &se) || se.Key != uint16(code) || se.Partial != "1"):
					t.Errorf("layout %s mods %v key %d: error %v, want a *ScanError naming the key", l, m, code, errs[0])
				case len(errs)+len(codes) != 1:
					t.Errorf("layout %s mods %v key %d: codes %q errors %v, want one of them", l, m, code, codes, errs)
				}
			}
		}
	}
}

func TestShape(t *testing.T) {
	if got := Shape("https://Ex.test/5210?x=ü"); got != "aaaaa://Aa.aaaa/9999?a=a" {
		t.Errorf("Shape = %q", got)
	}
}
