package main

import (
	"testing"

	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/hw/keypad"
)

// The engine gets the configured keypad's key names: a numpad's by its keymap, a matrix's
// by its layout, none without a keypad.
func TestKeyNamesFollowTheConfiguredKeypad(t *testing.T) {
	numpad := keyNames(keypad.Section{Driver: "evdev", Device: "/dev/input/event0", Keys: []string{"KPMINUS=cancel", "KPSLASH=down"}})
	if got := numpad.KeyName(flow.KeyCancel) + " " + numpad.KeyName(flow.KeyOK) + " " + numpad.KeyName(flow.KeyDown); got != "- Enter /" {
		t.Errorf("numpad names = %q, want \"- Enter /\"", got)
	}
	matrix := keyNames(keypad.Section{Driver: "matrix", Rows: []string{"a", "b", "c", "d"}, Cols: []string{"e", "f", "g"}})
	if got := matrix.KeyName(flow.KeyCancel) + " " + matrix.KeyName(flow.KeyOK) + " " + matrix.KeyName(flow.KeyClear); got != "* # " {
		t.Errorf("matrix names = %q, want \"* # \" (a 4x3 matrix has no Clear)", got)
	}
	if keyNames(keypad.Section{Driver: "none"}) != nil {
		t.Error("names without a keypad; want the engine's own")
	}
}
