package keypad

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// Key sequences as a scanner types them.
func k(code int32) [][2]int32 { return tap(code) }

func sh(code int32) [][2]int32 {
	return [][2]int32{press(codeLeftShift), press(code), release(code), release(codeLeftShift)}
}

func rsh(code int32) [][2]int32 {
	return [][2]int32{press(codeRightShift), press(code), release(code), release(codeRightShift)}
}

func ag(code int32) [][2]int32 {
	return [][2]int32{press(codeRightAlt), press(code), release(code), release(codeRightAlt)}
}

func seq(parts ...[][2]int32) [][2]int32 {
	var out [][2]int32
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// feed runs evs through a and returns the codes and errors it produced; the
// clock advances 5 ms per event.
func feed(a *Assembler, t0 time.Time, evs [][2]int32) (codes []string, errs []error) {
	for i, e := range evs {
		code, err := a.Feed(InputEvent{Type: EvKey, Code: uint16(e[0]), Value: e[1]}, t0.Add(time.Duration(i)*5*time.Millisecond))
		if code != "" {
			codes = append(codes, code)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return codes, errs
}

func TestAssemblerLayouts(t *testing.T) {
	const want = "Zy-_./:7@Ab09"
	tests := []struct {
		layout Layout
		keys   [][2]int32
	}{
		{LayoutUS, seq(sh(44), k(21), k(codeMinus), sh(codeMinus), k(codeDot), k(codeSlash), sh(codeSemicolon), k(8), sh(3), rsh(30), k(48), k(code0), k(10), k(codeEnter))},
		{LayoutDE, seq(sh(21), k(44), k(codeSlash), sh(codeSlash), k(codeDot), sh(8), sh(codeDot), k(8), ag(codeQ), rsh(30), k(48), k(code0), k(10), k(codeEnter))},
		{LayoutDK, seq(sh(44), k(21), k(codeSlash), sh(codeSlash), k(codeDot), sh(8), sh(codeDot), k(8), ag(3), rsh(30), k(48), k(code0), k(10), k(codeKPEnter))},
	}
	for _, tt := range tests {
		a := &Assembler{Layout: tt.layout}
		codes, errs := feed(a, time.Unix(0, 0), tt.keys)
		if len(errs) != 0 || len(codes) != 1 || codes[0] != want {
			t.Errorf("layout %s: codes %q errors %v, want [%q]", tt.layout, codes, errs, want)
		}
	}
}

func TestAssemblerLayoutSpecials(t *testing.T) {
	tests := []struct {
		layout Layout
		keys   [][2]int32
		want   string
	}{
		{LayoutDE, seq(k(codeLeftBrace), sh(codeApostrophe), k(codeMinus), ag(codeE), sh(4), k(codeBackslash), k(codeKPDot)), "üÄß€§#,"},
		{LayoutDK, seq(k(codeLeftBrace), sh(codeSemicolon), k(codeApostrophe), ag(6), sh(5), k(codeMinus)), "åÆø€¤+"},
		{LayoutUS, seq(k(codeKP1), k(codeKPMinus), k(codeKPDot), sh(codeApostrophe), k(codeSpace), k(codeKPSlash)), "1-.\" /"},
	}
	for _, tt := range tests {
		a := &Assembler{Layout: tt.layout}
		codes, errs := feed(a, time.Unix(0, 0), append(tt.keys, k(codeEnter)...))
		if len(errs) != 0 || len(codes) != 1 || codes[0] != tt.want {
			t.Errorf("layout %s: codes %q errors %v, want [%q]", tt.layout, codes, errs, tt.want)
		}
	}
}

func TestAssemblerCapsLockAndRepeat(t *testing.T) {
	a := &Assembler{}
	keys := seq(k(codeCapsLock), k(30), sh(31), k(2), k(codeCapsLock), [][2]int32{press(32), repeat(32), repeat(32), release(32)}, k(codeEnter))
	codes, errs := feed(a, time.Unix(0, 0), keys)
	if len(errs) != 0 || len(codes) != 1 || codes[0] != "As1d" {
		t.Errorf("codes %q errors %v, want [\"As1d\"]", codes, errs)
	}
}

func TestAssemblerOverflow(t *testing.T) {
	a := &Assembler{MaxLen: 4}
	codes, errs := feed(a, time.Unix(0, 0), seq(k(2), k(3), k(4), k(5), k(6), k(7), k(codeEnter), k(2), k(3), k(codeEnter)))
	if len(codes) != 1 || codes[0] != "12" {
		t.Errorf("codes %q, want only the next code \"12\"", codes)
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrCodeTooLong) || !strings.Contains(errs[0].Error(), "4 characters") {
		t.Errorf("errors %v, want one ErrCodeTooLong naming the limit", errs)
	}
}

func TestAssemblerIdleTimeout(t *testing.T) {
	a := &Assembler{Idle: 100 * time.Millisecond}
	t0 := time.Unix(1000, 0)
	f := func(code int32, at time.Duration) (string, error) {
		return a.Feed(InputEvent{Type: EvKey, Code: uint16(code), Value: ValuePress}, t0.Add(at))
	}
	f(2, 0)
	f(3, 10*time.Millisecond) // "12", then the scanner stops mid-code
	_, err := f(4, 2*time.Second)
	if !errors.Is(err, ErrIdle) {
		t.Errorf("late key: err %v, want ErrIdle", err)
	}
	code, err := f(codeEnter, 2*time.Second+10*time.Millisecond)
	if code != "3" || err != nil {
		t.Errorf("code %q err %v, want \"3\" (partial \"12\" discarded)", code, err)
	}
}

func TestAssemblerUnknownKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys [][2]int32
	}{
		{"Backspace", seq(k(2), k(codeBackspace), k(3), k(codeEnter))},
		{"AltGr on US", seq(k(2), ag(codeQ), k(3), k(codeEnter))},
		{"Ctrl", seq(k(2), [][2]int32{press(codeLeftCtrl), press(27), release(27), release(codeLeftCtrl)}, k(codeEnter))},
	} {
		a := &Assembler{}
		codes, errs := feed(a, time.Unix(0, 0), append(tc.keys, seq(k(5), k(codeEnter))...))
		if len(codes) != 1 || codes[0] != "4" {
			t.Errorf("%s: codes %q, want the broken code dropped and then \"4\"", tc.name, codes)
		}
		if len(errs) != 1 || !errors.Is(errs[0], ErrUnknownKey) {
			t.Errorf("%s: errors %v, want one ErrUnknownKey", tc.name, errs)
		}
	}
}

func TestScannerRunDeliversCodesAndLogsWithoutContent(t *testing.T) {
	var logBuf syncBuffer
	secret := seq(k(30), k(31), k(32), k(33), k(34)) // "asdfg"
	o := &fakeOpener{script: []func() (io.ReadCloser, error){
		data(stream(24, seq(secret, secret, k(codeEnter), k(codeSpace), k(2), k(3), k(codeSpace), k(codeEnter))...), io.EOF),
	}}
	s := &Scanner{
		Device: Device{Path: "/dev/input/by-id/usb-scanner-event-kbd", Open: o.open, RecordSize: 24, MinBackoff: time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(&logBuf, nil))},
		MaxLen: 8,
	}
	got, _ := collect(t, s, 2)
	if !errors.Is(got[0].Err, ErrCodeTooLong) || got[1] != (Event{Code: "12"}) {
		t.Errorf("events %v, want a dropped scan, then Event{Code: \"12\"}", got)
	}
	log := logBuf.String()
	if !strings.Contains(log, "code dropped") || strings.Contains(log, "asdf") {
		t.Errorf("log must report the dropped code without its content:\n%s", log)
	}
	if err := (&Scanner{Layout: "fr"}).Run(t.Context(), func(Event) {}); err == nil || !strings.Contains(err.Error(), `"fr"`) {
		t.Errorf("unknown layout: %v", err)
	}
}

func TestParseLayout(t *testing.T) {
	for in, want := range map[string]Layout{"": LayoutUS, "US": LayoutUS, " de ": LayoutDE, "dk": LayoutDK} {
		if got, err := ParseLayout(in); got != want || err != nil {
			t.Errorf("ParseLayout(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseLayout("azerty"); err == nil {
		t.Error("ParseLayout accepted azerty")
	}
}
