package keypad

import (
	"fmt"
	"strings"
	"unicode"
)

// Layout is the keyboard layout a USB barcode scanner emulates. A scanner
// types its code as key presses; the same key code means different
// characters on a US and a German keyboard, so the layout configured in the
// scanner must match the one configured here.
type Layout string

// Supported layouts.
const (
	LayoutUS Layout = "us" // US QWERTY (the scanners' factory default)
	LayoutDE Layout = "de" // German QWERTZ
	LayoutDK Layout = "dk" // Danish QWERTY
)

// ParseLayout parses a layout name ("us", "de", "dk", case-insensitive).
// An empty name means LayoutUS.
func ParseLayout(s string) (Layout, error) {
	switch l := Layout(strings.ToLower(strings.TrimSpace(s))); l {
	case "":
		return LayoutUS, nil
	case LayoutUS, LayoutDE, LayoutDK:
		return l, nil
	}
	return "", fmt.Errorf("keypad: unknown keyboard layout %q (want us, de or dk)", s)
}

// keyChars is the character of a key without modifier, with Shift and with
// AltGr; 0 means the combination types nothing this package knows.
type keyChars [3]rune

// qwertyLetters maps key codes to the letters of a QWERTY keyboard.
var qwertyLetters = map[uint16]rune{
	16: 'q', 17: 'w', 18: 'e', 19: 'r', 20: 't', 21: 'y', 22: 'u', 23: 'i', 24: 'o', 25: 'p',
	30: 'a', 31: 's', 32: 'd', 33: 'f', 34: 'g', 35: 'h', 36: 'j', 37: 'k', 38: 'l',
	44: 'z', 45: 'x', 46: 'c', 47: 'v', 48: 'b', 49: 'n', 50: 'm',
}

// Per-layout keys other than letters. Dead keys (´ ` ^ ¨ ~ on DE/DK) are
// mapped to their character directly. Keypad keys are shared below.
var (
	usKeys = map[uint16]keyChars{
		codeGrave: {'`', '~'},
		2:         {'1', '!'}, 3: {'2', '@'}, 4: {'3', '#'}, 5: {'4', '$'}, 6: {'5', '%'},
		7: {'6', '^'}, 8: {'7', '&'}, 9: {'8', '*'}, 10: {'9', '('}, 11: {'0', ')'},
		codeMinus: {'-', '_'}, codeEqual: {'=', '+'},
		codeLeftBrace: {'[', '{'}, codeRightBrace: {']', '}'}, codeBackslash: {'\\', '|'},
		codeSemicolon: {';', ':'}, codeApostrophe: {'\'', '"'},
		codeComma: {',', '<'}, codeDot: {'.', '>'}, codeSlash: {'/', '?'},
		code102nd: {'\\', '|'}, codeSpace: {' ', ' '},
		codeKPDot: {'.', '.'},
	}
	deKeys = map[uint16]keyChars{
		codeGrave: {'^', '°'},
		2:         {'1', '!'}, 3: {'2', '"', '²'}, 4: {'3', '§', '³'}, 5: {'4', '$'}, 6: {'5', '%'},
		7: {'6', '&'}, 8: {'7', '/', '{'}, 9: {'8', '(', '['}, 10: {'9', ')', ']'}, 11: {'0', '=', '}'},
		codeMinus: {'ß', '?', '\\'}, codeEqual: {'´', '`'},
		codeLeftBrace: {'ü', 'Ü'}, codeRightBrace: {'+', '*', '~'}, codeBackslash: {'#', '\''},
		codeSemicolon: {'ö', 'Ö'}, codeApostrophe: {'ä', 'Ä'},
		codeComma: {',', ';'}, codeDot: {'.', ':'}, codeSlash: {'-', '_'},
		code102nd: {'<', '>', '|'}, codeSpace: {' ', ' '},
		codeQ: {'q', 'Q', '@'}, codeE: {'e', 'E', '€'}, codeM: {'m', 'M', 'µ'},
		codeY: {'z', 'Z'}, codeZ: {'y', 'Y'},
		codeKPDot: {',', ','},
	}
	dkKeys = map[uint16]keyChars{
		codeGrave: {'½', '§'},
		2:         {'1', '!'}, 3: {'2', '"', '@'}, 4: {'3', '#', '£'}, 5: {'4', '¤', '$'}, 6: {'5', '%', '€'},
		7: {'6', '&'}, 8: {'7', '/', '{'}, 9: {'8', '(', '['}, 10: {'9', ')', ']'}, 11: {'0', '=', '}'},
		codeMinus: {'+', '?'}, codeEqual: {'´', '`', '|'},
		codeLeftBrace: {'å', 'Å'}, codeRightBrace: {'¨', '^', '~'}, codeBackslash: {'\'', '*'},
		codeSemicolon: {'æ', 'Æ'}, codeApostrophe: {'ø', 'Ø'},
		codeComma: {',', ';'}, codeDot: {'.', ':'}, codeSlash: {'-', '_'},
		code102nd: {'<', '>', '\\'}, codeSpace: {' ', ' '},
		codeE: {'e', 'E', '€'}, codeM: {'m', 'M', 'µ'},
		codeKPDot: {',', ','},
	}
	keypadChars = map[uint16]rune{
		codeKP0: '0', codeKP1: '1', codeKP2: '2', codeKP3: '3', codeKP4: '4',
		codeKP5: '5', codeKP6: '6', codeKP7: '7', codeKP8: '8', codeKP9: '9',
		codeKPSlash: '/', codeKPAsterisk: '*', codeKPMinus: '-', codeKPPlus: '+',
	}
)

func (l Layout) table() map[uint16]keyChars {
	switch l {
	case LayoutDE:
		return deKeys
	case LayoutDK:
		return dkKeys
	}
	return usKeys
}

// Rune returns the character the key code types on layout l with the given
// modifiers, and false when the combination types nothing known (function
// keys, AltGr on a US layout, …). An unknown layout behaves like LayoutUS.
func (l Layout) Rune(code uint16, shift, altGr bool) (rune, bool) {
	if r, ok := keypadChars[code]; ok && !altGr {
		return r, true
	}
	i := 0
	switch {
	case altGr && shift:
		return 0, false
	case altGr:
		i = 2
	case shift:
		i = 1
	}
	if kc, ok := l.table()[code]; ok {
		return kc[i], kc[i] != 0
	}
	if r, ok := qwertyLetters[code]; ok {
		switch i {
		case 0:
			return r, true
		case 1:
			return unicode.ToUpper(r), true
		}
	}
	return 0, false
}
