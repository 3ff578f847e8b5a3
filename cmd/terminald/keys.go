package main

import (
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/hw/keypad"
)

// keyNames hands the configured keypad's key names to the engine (flow.Config.Keys), so
// the screens' hints name keys the keypad has; nil without a keypad (the engine's own
// names).
func keyNames(s keypad.Section) flow.KeyNamer {
	n := s.KeyNames()
	if n == nil {
		return nil
	}
	return namerFor(n)
}

// namerFor adapts a keypad's names (keypad.Namer: the USB keypad's keymap, a matrix
// layout, the simulator's stdin) to the engine's flow.KeyNamer.
func namerFor(n keypad.Namer) flow.KeyNamer {
	return flow.KeyNamerFunc(func(k flow.Key) string { return n.KeyName(keypad.Key(k)) })
}
