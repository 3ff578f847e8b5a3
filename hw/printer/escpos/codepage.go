package escpos

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// CodePage is a character code table, named by the n of ESC t n on Epson printers.
type CodePage uint8

// Code pages terminald maps text to.
const (
	CP437   CodePage = 0  // PC437 (USA, standard Europe), no euro sign
	WPC1252 CodePage = 16 // Windows-1252, euro sign at 0x80
	PC858   CodePage = 19 // PC858 (multilingual Latin I + euro), euro sign at 0xD5
)

// ParseCodePage returns the code page called name: "cp437"/"pc437", "pc858"/"cp858" or
// "wpc1252"/"cp1252"/"windows-1252" (case-insensitive).
func ParseCodePage(name string) (CodePage, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "cp437", "pc437", "437":
		return CP437, nil
	case "pc858", "cp858", "858":
		return PC858, nil
	case "wpc1252", "cp1252", "windows-1252", "1252":
		return WPC1252, nil
	}
	return 0, fmt.Errorf("escpos: unknown code page %q (want pc858, cp437 or wpc1252)", name)
}

// String returns the code page's name.
func (c CodePage) String() string {
	switch c {
	case CP437:
		return "cp437"
	case PC858:
		return "pc858"
	case WPC1252:
		return "wpc1252"
	}
	return fmt.Sprintf("codepage(%d)", uint8(c))
}

// Valid reports whether terminald knows how to map text to c.
func (c CodePage) Valid() bool { return c.charmap() != nil }

func (c CodePage) charmap() *charmap.Charmap {
	switch c {
	case CP437:
		return charmap.CodePage437
	case PC858:
		return charmap.CodePage858
	case WPC1252:
		return charmap.Windows1252
	}
	return nil
}

// Encode maps s to bytes of code page c, one byte per rune. Runes the code page lacks
// become '?', and so do control characters, so that text can never inject a command.
// A tab becomes a space. An unknown code page maps printable ASCII only.
func (c CodePage) Encode(s string) []byte {
	cm := c.charmap()
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == '\t':
			out = append(out, ' ')
		case r < 0x20 || r == 0x7f:
			out = append(out, '?')
		case r < 0x7f:
			out = append(out, byte(r))
		case cm == nil || (r >= 0x80 && r < 0xa0):
			out = append(out, '?')
		default:
			b, ok := cm.EncodeRune(r)
			if !ok || b < 0x20 || b == 0x7f {
				b = '?'
			}
			out = append(out, b)
		}
	}
	return out
}

// Decode maps bytes of code page c back to a string. Bytes below 0x20 become U+FFFD.
func (c CodePage) Decode(b []byte) string {
	cm := c.charmap()
	var sb strings.Builder
	sb.Grow(len(b))
	for _, x := range b {
		switch {
		case x < 0x20 || x == 0x7f:
			sb.WriteRune('\uFFFD')
		case x < 0x80:
			sb.WriteByte(x)
		case cm == nil:
			sb.WriteRune('\uFFFD')
		default:
			sb.WriteRune(cm.DecodeByte(x))
		}
	}
	return sb.String()
}
