package keypad

import (
	"errors"
	"fmt"
	"strings"
)

// Namer names the keys of a keypad for the screens' hints: the label of the key that gives
// k ("Enter", "/", "#"), or "" when the keypad has no key that gives k. Keypad (evdev,
// through its Keymap), the matrix layouts (MatrixNames) and the simulator's terminal
// input offer one; the daemon hands it to the payment flow.
type Namer interface {
	KeyName(k Key) string
}

// evdevKey is one key a USB keypad or keyboard may have: its name in keypad.keys (the
// Linux KEY_ name without "KEY_"), its code and the label printed on it. The keypad
// block comes first: it is what a 17-key numpad has, and hints prefer its keys.
type evdevKey struct {
	name  string
	code  uint16
	label string
	block bool // on the numeric keypad block (a 17-key numpad has exactly these but KPEQUAL/KPCOMMA)
}

var evdevKeys = func() []evdevKey {
	ks := []evdevKey{
		{"KPENTER", codeKPEnter, "Enter", true},
		{"KPSLASH", codeKPSlash, "/", true}, {"KPASTERISK", codeKPAsterisk, "*", true},
		{"KPMINUS", codeKPMinus, "-", true}, {"KPPLUS", codeKPPlus, "+", true},
		{"KPDOT", codeKPDot, ".", true}, {"NUMLOCK", codeNumLock, "Num", true},
		{"KPCOMMA", codeKPComma, ",", true}, {"KPEQUAL", codeKPEqual, "=", true},
	}
	for i, c := range []uint16{codeKP0, codeKP1, codeKP2, codeKP3, codeKP4, codeKP5, codeKP6, codeKP7, codeKP8, codeKP9} {
		ks = append(ks, evdevKey{fmt.Sprintf("KP%d", i), c, fmt.Sprint(i), true})
	}
	ks = append(ks,
		evdevKey{"ENTER", codeEnter, "Enter", false}, evdevKey{"ESC", codeEsc, "Esc", false},
		evdevKey{"BACKSPACE", codeBackspace, "Backspace", false}, evdevKey{"DELETE", codeDelete, "Del", false},
		evdevKey{"UP", codeUp, "Up", false}, evdevKey{"DOWN", codeDown, "Down", false},
		evdevKey{"LEFT", 105, "Left", false}, evdevKey{"RIGHT", 106, "Right", false},
		evdevKey{"HOME", 102, "Home", false}, evdevKey{"END", 107, "End", false},
		evdevKey{"PAGEUP", 104, "PgUp", false}, evdevKey{"PAGEDOWN", 109, "PgDn", false},
		evdevKey{"INSERT", 110, "Ins", false}, evdevKey{"TAB", codeTab, "Tab", false},
		evdevKey{"SPACE", codeSpace, "Space", false}, evdevKey{"DOT", codeDot, ".", false},
		evdevKey{"COMMA", codeComma, ",", false}, evdevKey{"MINUS", codeMinus, "-", false},
		evdevKey{"EQUAL", codeEqual, "=", false},
	)
	for i := range 10 {
		c := uint16(code0)
		if i > 0 {
			c = code1 + uint16(i-1) // KEY_1..KEY_9 are 2..10
		}
		ks = append(ks, evdevKey{fmt.Sprint(i), c, fmt.Sprint(i), false})
	}
	for i := 1; i <= 12; i++ {
		c := codeF1 + uint16(i-1)
		if i > 10 {
			c = codeF11 + uint16(i-11)
		}
		ks = append(ks, evdevKey{fmt.Sprintf("F%d", i), c, fmt.Sprintf("F%d", i), false})
	}
	return ks
}()

// functions are the names of the keys' functions in keypad.keys.
var functions = func() map[string]Key {
	m := map[string]Key{"ok": KeyOK, "cancel": KeyCancel, "clear": KeyClear, "menu": KeyMenu,
		"up": KeyUp, "down": KeyDown, "dot": KeyDot, "none": 0}
	for r := '0'; r <= '9'; r++ {
		m[string(r)] = Key(r)
	}
	return m
}()

// defaultKeymap is the USB keypad's default: what a 17-key numpad (NumLock, / * -, 7 8 9 +,
// 4 5 6, 1 2 3 Enter, 0 .) needs, plus the keys of a full keyboard that mean the same.
var defaultKeymap = map[string]string{
	"KPENTER": "ok", "ENTER": "ok",
	"KPSLASH": "cancel", "ESC": "cancel",
	"KPASTERISK": "clear", "BACKSPACE": "clear", "DELETE": "clear",
	"KPPLUS": "menu", "F1": "menu",
	"KPMINUS": "down", "DOWN": "down", "UP": "up",
	"KPDOT": "dot", "KPCOMMA": "dot", "DOT": "dot",
}

// Keymap maps the key codes of a USB keypad (evdev) to Keys and names them for the
// screens' hints. The zero Keymap maps nothing; use DefaultKeymap or ParseKeymap.
type Keymap struct {
	keys  map[uint16]Key
	named map[uint16]bool // keys a hint may name: the keypad block and the keys set in the configuration
}

// DefaultKeymap returns the default mapping of a USB numeric keypad:
//
//	0-9       KP0-KP9 and the top-row digits
//	.         KP . (and KP , and .)
//	OK        KP Enter, Enter
//	Cancel    KP /, Esc
//	Clear     KP *, Backspace, Delete
//	Menu      KP +, F1
//	Down      KP -, arrow down (older entries in lists)
//	Up        arrow up (newer entries)
//
// NumLock and every other key are ignored. A 17-key numpad has no Esc or Backspace: its
// Cancel is /, its Clear *. Hints name only the keypad block's keys (and keys set in
// the configuration): "Enter = pay   / = cancel".
func DefaultKeymap() *Keymap {
	m, _ := ParseKeymap(nil)
	return m
}

// ParseKeymap returns the default keymap with the entries of keypad.keys applied: each is
// "KEY=function", KEY a Linux key name without KEY_ (KPSLASH, ESC, F2, as evtest shows
// them; case does not matter), function one of ok, cancel, clear, menu, up, down, dot,
// 0-9 or none (the key does nothing). A key set here replaces its default; its hint
// names it. The result must leave OK, Cancel, Clear and Menu each on a key a hint may
// name (the keypad block or a key set here), or the numpad could not reach them. Errors
// name the entry as keypad.keys[i] and its value.
func ParseKeymap(entries []string) (*Keymap, error) {
	byName := map[string]evdevKey{}
	for _, k := range evdevKeys {
		byName[k.name] = k
	}
	m := &Keymap{keys: map[uint16]Key{}, named: map[uint16]bool{}}
	for _, k := range evdevKeys {
		if k.block {
			m.named[k.code] = true
		}
	}
	for name, fn := range defaultKeymap {
		m.keys[byName[name].code] = functions[fn]
	}
	for _, k := range evdevKeys {
		if strings.HasPrefix(k.name, "KP") && len(k.name) == 3 || len(k.name) == 1 {
			m.keys[k.code] = Key(k.name[len(k.name)-1]) // KP0..KP9 and 0..9: digits
		}
	}
	var errs []error
	seen := map[string]int{}
	for i, e := range entries {
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("keypad.keys[%d] %q: %s", i, e, fmt.Sprintf(format, a...)))
		}
		name, fn, ok := strings.Cut(e, "=")
		name = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(name)), "KEY_")
		fn = strings.ToLower(strings.TrimSpace(fn))
		k, known := byName[name]
		f, knownFn := functions[fn]
		switch {
		case !ok:
			bad("want KEY=function, e.g. \"KPSLASH=cancel\"")
		case !known:
			bad("unknown key %q (Linux key names without KEY_, as evtest shows them: KPSLASH, KPASTERISK, KPMINUS, KPPLUS, ESC, BACKSPACE, F1, ...)", name)
		case !knownFn:
			bad("unknown function %q (ok, cancel, clear, menu, up, down, dot, 0-9 or none)", fn)
		case seen[name] > 0:
			bad("key %s is already set by keypad.keys[%d]", name, seen[name]-1)
		default:
			seen[name] = i + 1
			m.named[k.code] = f != 0
			if f == 0 {
				delete(m.keys, k.code)
			} else {
				m.keys[k.code] = f
			}
		}
	}
	if len(errs) == 0 {
		for _, need := range []struct {
			k  Key
			fn string
		}{{KeyOK, "ok"}, {KeyCancel, "cancel"}, {KeyClear, "clear"}, {KeyMenu, "menu"}} {
			if m.KeyName(need.k) == "" {
				errs = append(errs, fmt.Errorf("keypad.keys: no key of the keypad block (nor one set here) is %s: a 17-key numpad could not reach it; set one, e.g. \"KPSLASH=%s\"", need.fn, need.fn))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// Key returns the key code's Key, false for a key that does nothing.
func (m *Keymap) Key(code uint16) (Key, bool) {
	k, ok := m.keys[code]
	return k, ok
}

// KeyName returns the label of the key that gives k: a key of the keypad block, or one
// set in the configuration; "" when none does (Namer).
func (m *Keymap) KeyName(k Key) string {
	for _, ek := range evdevKeys {
		if m.named[ek.code] && m.keys[ek.code] == k {
			return ek.label
		}
	}
	return ""
}

var _ Namer = (*Keymap)(nil)

// MatrixNames returns the names of a matrix keypad's keys: the characters of layout (see
// MatrixConfig.Layout; "" picks Layout4x3 or Layout4x4 by cols) mapped by
// DefaultMatrixMap with the entries of overrides applied.
func MatrixNames(layout string, cols int, overrides map[rune]Key) Namer {
	if layout == "" {
		layout = Layout4x3
		if cols == 4 {
			layout = Layout4x4
		}
	}
	keymap := DefaultMatrixMap()
	for r, k := range overrides {
		keymap[r] = k
	}
	names := map[Key]string{}
	for _, r := range layout {
		if k, ok := keymap[r]; ok && r != '/' && names[k] == "" {
			names[k] = string(r)
		}
	}
	return namesOf(names)
}

// namesOf is a fixed table of key names.
type namesOf map[Key]string

func (n namesOf) KeyName(k Key) string { return n[k] }
