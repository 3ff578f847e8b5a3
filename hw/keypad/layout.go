package keypad

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
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
		code102nd: {'\\', '|'}, codeSpace: {' ', ' '}, codeTab: {'\t', '\t'},
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
		code102nd: {'<', '>', '|'}, codeSpace: {' ', ' '}, codeTab: {'\t', '\t'},
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
		code102nd: {'<', '>', '\\'}, codeSpace: {' ', ' '}, codeTab: {'\t', '\t'},
		codeE: {'e', 'E', '€'}, codeM: {'m', 'M', 'µ'},
		codeKPDot: {',', ','},
	}
	// keypadChars is the keypad block: the same characters on every
	// layout and with every NumLock state (a scanner's keypad digits are
	// digits; KPDOT is per layout above). KEY_KPENTER ends a code.
	keypadChars = map[uint16]rune{
		codeKP0: '0', codeKP1: '1', codeKP2: '2', codeKP3: '3', codeKP4: '4',
		codeKP5: '5', codeKP6: '6', codeKP7: '7', codeKP8: '8', codeKP9: '9',
		codeKPSlash: '/', codeKPAsterisk: '*', codeKPMinus: '-', codeKPPlus: '+',
		codeKPEqual: '=', codeKPPlusMinus: '±', codeKPComma: ',', codeKPJPComma: ',',
		codeKPLeftParen: '(', codeKPRightParen: ')',
	}
)

// deadKey is one key-and-level that is a dead key on a layout: it types
// nothing at once and changes the next character (´ then e types é).
type deadKey struct {
	code  uint16
	level int // 0 plain, 1 Shift, 2 AltGr
}

// Dead keys of the German and Danish layouts as the scanners' "Germany" and
// "Denmark" keyboard settings (Windows and X11 alike) type them. The US
// layout has none.
var (
	deDead = map[deadKey]bool{{codeGrave, 0}: true, {codeEqual, 0}: true, {codeEqual, 1}: true}
	dkDead = map[deadKey]bool{
		{codeEqual, 0}: true, {codeEqual, 1}: true,
		{codeRightBrace, 0}: true, {codeRightBrace, 1}: true, {codeRightBrace, 2}: true,
	}
	// combining maps a dead key's spacing accent to its combining mark.
	combining = map[rune]rune{'^': '\u0302', '´': '\u0301', '`': '\u0300', '¨': '\u0308', '~': '\u0303'}
)

// Dead reports whether code with the given modifiers is a dead key on layout
// l. Rune returns the key's spacing accent (´ ` ^ ¨ ~).
func (l Layout) Dead(code uint16, shift, altGr bool) bool {
	k := deadKey{code: code, level: level(shift, altGr)}
	switch l {
	case LayoutDE:
		return deDead[k]
	case LayoutDK:
		return dkDead[k]
	}
	return false
}

// Compose returns the character a dead key's accent and the following
// character r type together (´ and e give é, ¨ and U give Ü), and false when
// the pair does not combine; then a keyboard types the accent and r apart.
func Compose(accent, r rune) (rune, bool) {
	mark, ok := combining[accent]
	if !ok {
		return 0, false
	}
	c := []rune(norm.NFC.String(string([]rune{r, mark})))
	if len(c) != 1 {
		return 0, false
	}
	return c[0], true
}

func level(shift, altGr bool) int {
	switch {
	case altGr:
		return 2
	case shift:
		return 1
	}
	return 0
}

// Silent reports whether a key types nothing on any layout: modifiers
// (Shift, Ctrl, Alt, AltGr, Meta) on either side, Compose, the lock keys,
// function keys F1–F24, media and system keys, KEY_UNKNOWN and every code
// from 0x100 up (buttons and extra keys). A barcode scanner may send any of
// them around a code (many send NumLock first); they are skipped.
func Silent(code uint16) bool {
	switch code {
	case codeReserved, codeLeftCtrl, codeRightCtrl, codeLeftShift, codeRightShift,
		codeLeftAlt, codeRightAlt, codeLeftMeta, codeRightMeta, codeCompose,
		codeCapsLock, codeNumLock, codeScrollLock, codeSysRq, codeF11, codeF12,
		codeZenkakuHankaku, codeLineFeed, codePause, codeScale, codeHangeul, codeHanja, codeYen:
		return true
	}
	switch {
	case code >= codeF1 && code <= codeF10:
		return true
	case code >= codeRO && code <= codeMuhenkan: // Japanese input keys
		return true
	case code >= codeMacro && code <= codePower: // macro, mute, volume, power
		return true
	case code >= codeStop && code <= codeKPLeftParen-1: // KEY_STOP..KEY_SCROLLDOWN: media and system
		return true
	case code > codeKPRightParen: // KEY_NEW, KEY_REDO, F13–F24, media, KEY_UNKNOWN, buttons
		return true
	}
	return false
}

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
	if altGr && shift {
		return 0, false
	}
	i := level(shift, altGr)
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
