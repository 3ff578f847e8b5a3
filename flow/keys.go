package flow

import (
	"strings"
	"unicode"
)

// More keys a keypad may deliver (see Key): the list screens page with them.
const (
	KeyUp   Key = 'u' // scroll up: newer entries, the page before
	KeyDown Key = 'd' // scroll down: older entries, the next page
)

// KeyNamer names the keys of the configured keypad, so that the screens' hints name keys
// that exist on it ("Enter = pay   [/] = cancel" on a USB numpad, "[#] = pay   [*] = cancel" on
// a matrix, the simulator's own keys on its stdin). The keypad drivers (package
// hw/keypad) offer the names; the daemon hands them to the engine (Config.Keys).
type KeyNamer interface {
	// KeyName returns the label of the key that gives k on this keypad ("Enter", "/",
	// "#", "Esc"), or "" when no key of the keypad gives k: hints leave such keys out.
	KeyName(k Key) string
}

// KeyNamerFunc adapts a function to KeyNamer.
type KeyNamerFunc func(Key) string

// KeyName calls f.
func (f KeyNamerFunc) KeyName(k Key) string { return f(k) }

var _ KeyNamer = KeyNamerFunc(nil)

// defaultKeyName is the key names when Config.Keys is nil: what the screens have always
// said.
func defaultKeyName(k Key) string {
	switch k {
	case KeyOK:
		return "OK"
	case KeyCancel:
		return "X"
	case KeyClear:
		return "Clear"
	case KeyMenu:
		return "Menu"
	case KeyUp:
		return "Up"
	case KeyDown:
		return "Down"
	}
	return string(rune(k))
}

// keyName is the label of the keypad's key that gives k, "" when it has none.
func (u *ui) keyName(k Key) string {
	if u.e.cfg.Keys == nil {
		return defaultKeyName(k)
	}
	return u.e.cfg.Keys.KeyName(k)
}

// keyUse is one entry of a hint: a key and what it does.
type keyUse struct {
	k    Key
	what string // a key of the [key] messages: "pay", "cancel"
}

// use is a hint entry: key k does what (a [key] message: "pay" is key.pay).
func use(k Key, what string) keyUse { return keyUse{k, what} }

// keyHint is a screen hint naming the keypad's own keys: "OK = pay   X = cancel". A key
// the keypad does not have is left out. A key named by one symbol is bracketed, so that
// "[/] = cancel" and "[-] = older" do not read as punctuation of the hint.
func (u *ui) keyHint(uses ...keyUse) string {
	var parts []string
	for _, x := range uses {
		n := u.keyName(x.k)
		if n == "" {
			continue
		}
		if r := []rune(n); len(r) == 1 && !unicode.IsLetter(r[0]) && !unicode.IsDigit(r[0]) {
			n = "[" + n + "]"
		}
		parts = append(parts, n+" = "+u.t("key."+x.what))
	}
	return strings.Join(parts, "   ")
}

// hasKey reports whether the keypad has a key that gives k.
func (u *ui) hasKey(k Key) bool { return u.keyName(k) != "" }
