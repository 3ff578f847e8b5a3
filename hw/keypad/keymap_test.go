package keypad

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// numpad17 is every key of a 17-key USB numpad, as it sends them.
var numpad17 = []int32{codeNumLock, codeKPSlash, codeKPAsterisk, codeKPMinus, codeKP7, codeKP8, codeKP9, codeKPPlus,
	codeKP4, codeKP5, codeKP6, codeKP1, codeKP2, codeKP3, codeKPEnter, codeKP0, codeKPDot}

// runKeypad feeds a byte stream of evdev events to a keypad with map m and returns the keys.
func runKeypad(t *testing.T, m *Keymap, evs [][2]int32, n int) string {
	t.Helper()
	o := &fakeOpener{script: []func() (io.ReadCloser, error){data(stream(24, evs...), io.EOF)}}
	k := &Keypad{Device: Device{Path: "kp", Open: o.open, RecordSize: 24, MinBackoff: time.Millisecond}, Map: m}
	got, err := collect(t, k, n)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	return keysOf(got)
}

// A 17-key numpad has no Esc and no Backspace: with the default map its / cancels, its *
// clears, its + opens the menu and its - pages down.
func TestNumpad17DefaultMap(t *testing.T) {
	got := runKeypad(t, nil, tap(numpad17...), 16)
	const want = "Cancel Clear Down 7 8 9 Menu 4 5 6 1 2 3 OK 0 ."
	if got != want {
		t.Errorf("keys\n got %s\nwant %s", got, want)
	}
	k := &Keypad{}
	for key, label := range map[Key]string{KeyOK: "Enter", KeyCancel: "/", KeyClear: "*", KeyMenu: "+", KeyDown: "-", KeyDot: ".", Key1: "1"} {
		if n := k.KeyName(key); n != label {
			t.Errorf("KeyName(%s) = %q, want %q", key, n, label)
		}
	}
	// The arrow keys still work on a full keyboard, but a numpad has none: no hint names Up.
	if n := k.KeyName(KeyUp); n != "" {
		t.Errorf("KeyName(Up) = %q, want none (not on the keypad block)", n)
	}
}

// keypad.keys moves functions to other keys; the hints follow.
func TestConfiguredKeymap(t *testing.T) {
	m, err := ParseKeymap([]string{"KPMINUS=cancel", "kpslash = clear", "KEY_KPASTERISK=up", "KPPLUS=down", "numlock=menu", "ESC=none", "F2=ok"})
	if err != nil {
		t.Fatal(err)
	}
	evs := tap(codeKPMinus, codeKPSlash, codeKPAsterisk, codeKPPlus, codeNumLock, codeEsc, codeF1+1, codeBackspace, codeKPEnter)
	const want = "Cancel Clear Up Down Menu OK Clear OK" // Esc does nothing now
	if got := runKeypad(t, m, evs, 8); got != want {
		t.Errorf("keys\n got %s\nwant %s", got, want)
	}
	for key, label := range map[Key]string{KeyCancel: "-", KeyClear: "/", KeyUp: "*", KeyDown: "+", KeyMenu: "Num", KeyOK: "Enter"} {
		if n := m.KeyName(key); n != label {
			t.Errorf("KeyName(%s) = %q, want %q", key, n, label)
		}
	}
	// A key set in the configuration is named even off the keypad block.
	m, err = ParseKeymap([]string{"F2=cancel", "KPSLASH=none"})
	if err != nil {
		t.Fatal(err)
	}
	if n := m.KeyName(KeyCancel); n != "F2" {
		t.Errorf("KeyName(Cancel) = %q, want F2", n)
	}
}

func TestKeymapErrorsNameTheEntry(t *testing.T) {
	for _, tc := range []struct {
		entries []string
		want    string
	}{
		{[]string{"KPSLASH"}, `keypad.keys[0] "KPSLASH": want KEY=function`},
		{[]string{"KPSLASH=cancel", "KPFOO=clear"}, `keypad.keys[1] "KPFOO=clear": unknown key "KPFOO"`},
		{[]string{"KPSLASH=abort"}, `keypad.keys[0] "KPSLASH=abort": unknown function "abort"`},
		{[]string{"KPSLASH=cancel", "kpslash=clear"}, `keypad.keys[1] "kpslash=clear": key KPSLASH is already set by keypad.keys[0]`},
		{[]string{"KPSLASH=clear"}, `no key of the keypad block (nor one set here) is cancel`},
		{[]string{"KPASTERISK=none"}, `is clear`},
		{[]string{"KPENTER=none"}, `is ok`},
	} {
		_, err := ParseKeymap(tc.entries)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseKeymap(%q) = %v, want an error with %q", tc.entries, err, tc.want)
		}
	}
}

func TestMatrixNames(t *testing.T) {
	n := MatrixNames("", 4, nil)
	for key, label := range map[Key]string{KeyOK: "#", KeyCancel: "*", KeyClear: "C", KeyMenu: "A", KeyUp: "B", KeyDown: "D"} {
		if got := n.KeyName(key); got != label {
			t.Errorf("4x4 KeyName(%s) = %q, want %q", key, got, label)
		}
	}
	n = MatrixNames("", 3, nil)
	if n.KeyName(KeyClear) != "" || n.KeyName(KeyMenu) != "" || n.KeyName(KeyOK) != "#" {
		t.Errorf("4x3: Clear %q, Menu %q, OK %q; want none, none, #", n.KeyName(KeyClear), n.KeyName(KeyMenu), n.KeyName(KeyOK))
	}
}
