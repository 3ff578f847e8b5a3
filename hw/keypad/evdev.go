package keypad

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
	"unsafe"
)

// Linux input event types and key codes used by this package
// (linux/input-event-codes.h).
const (
	EvSyn uint16 = 0x00 // EV_SYN
	EvKey uint16 = 0x01 // EV_KEY
	EvMsc uint16 = 0x04 // EV_MSC
)

// Key values of an EV_KEY event.
const (
	ValueRelease int32 = 0
	ValuePress   int32 = 1
	ValueRepeat  int32 = 2
)

// Linux key codes (KEY_*) the keypad and scanner decoders use.
const (
	codeReserved       = 0
	codeEsc            = 1
	code1              = 2 // KEY_1 .. KEY_9 are 2..10
	code0              = 11
	codeMinus          = 12
	codeEqual          = 13
	codeBackspace      = 14
	codeTab            = 15
	codeQ              = 16
	codeE              = 18
	codeY              = 21
	codeLeftBrace      = 26
	codeRightBrace     = 27
	codeEnter          = 28
	codeLeftCtrl       = 29
	codeSemicolon      = 39
	codeApostrophe     = 40
	codeGrave          = 41
	codeLeftShift      = 42
	codeBackslash      = 43
	codeZ              = 44
	codeM              = 50
	codeComma          = 51
	codeDot            = 52
	codeSlash          = 53
	codeRightShift     = 54
	codeKPAsterisk     = 55
	codeLeftAlt        = 56
	codeSpace          = 57
	codeCapsLock       = 58
	codeF1             = 59
	codeF10            = 68
	codeNumLock        = 69
	codeScrollLock     = 70
	codeKP7            = 71
	codeKP8            = 72
	codeKP9            = 73
	codeKPMinus        = 74
	codeKP4            = 75
	codeKP5            = 76
	codeKP6            = 77
	codeKPPlus         = 78
	codeKP1            = 79
	codeKP2            = 80
	codeKP3            = 81
	codeKP0            = 82
	codeKPDot          = 83
	codeZenkakuHankaku = 85
	code102nd          = 86
	codeF11            = 87
	codeF12            = 88
	codeRO             = 89
	codeMuhenkan       = 94
	codeKPJPComma      = 95
	codeKPEnter        = 96
	codeRightCtrl      = 97
	codeKPSlash        = 98
	codeSysRq          = 99
	codeRightAlt       = 100
	codeLineFeed       = 101
	codeUp             = 103
	codeDown           = 108
	codeDelete         = 111
	codeMacro          = 112
	codeMute           = 113
	codePower          = 116
	codeKPEqual        = 117
	codeKPPlusMinus    = 118
	codePause          = 119
	codeScale          = 120
	codeKPComma        = 121
	codeHangeul        = 122
	codeHanja          = 123
	codeYen            = 124
	codeLeftMeta       = 125
	codeRightMeta      = 126
	codeCompose        = 127
	codeStop           = 128
	codeKPLeftParen    = 179
	codeKPRightParen   = 180
	codeF13            = 183
	codeF24            = 194
	codeUnknown        = 240
	codePlayPause      = 164
	codeVolumeUp       = 115
)

// NativeEventSize is the size of struct input_event on this platform: a
// struct timeval of two C longs (8 bytes each on 64-bit, 4 on 32-bit ARM),
// type u16, code u16 and value s32. It is 24 on arm64/amd64 and 16 on arm.
const NativeEventSize = 2*int(unsafe.Sizeof(uintptr(0))) + 8

// InputEvent is one decoded struct input_event.
type InputEvent struct {
	Time  time.Time // kernel timestamp (CLOCK_REALTIME unless reconfigured)
	Type  uint16    // EV_* (EvKey for keys)
	Code  uint16    // KEY_* for EV_KEY
	Value int32     // ValueRelease, ValuePress or ValueRepeat for EV_KEY
}

// ParseInputEvent decodes one struct input_event of len(b) bytes, which must
// be 16 (32-bit kernels) or 24 (64-bit kernels). Fields are little-endian.
func ParseInputEvent(b []byte) (InputEvent, error) {
	le := binary.LittleEndian
	var sec, usec int64
	switch len(b) {
	case 16:
		sec, usec = int64(int32(le.Uint32(b[0:]))), int64(int32(le.Uint32(b[4:])))
	case 24:
		sec, usec = int64(le.Uint64(b[0:])), int64(le.Uint64(b[8:]))
	default:
		return InputEvent{}, fmt.Errorf("evdev: input_event of %d bytes, want 16 or 24", len(b))
	}
	t := b[len(b)-8:]
	return InputEvent{
		Time:  time.Unix(sec, usec*1000),
		Type:  le.Uint16(t[0:]),
		Code:  le.Uint16(t[2:]),
		Value: int32(le.Uint32(t[4:])),
	}, nil
}

// Decoder reads struct input_event records from a byte stream such as an
// open /dev/input/eventN.
type Decoder struct {
	r    *bufio.Reader
	buf  []byte
	size int
}

// NewDecoder returns a decoder for records of the native size
// (NativeEventSize) read from r.
func NewDecoder(r io.Reader) *Decoder {
	d, _ := NewDecoderSize(r, NativeEventSize)
	return d
}

// NewDecoderSize returns a decoder for records of size bytes: 24 for a
// 64-bit kernel, 16 for a 32-bit one.
func NewDecoderSize(r io.Reader, size int) (*Decoder, error) {
	if size != 16 && size != 24 {
		return nil, fmt.Errorf("evdev: record size %d, want 16 or 24", size)
	}
	// The kernel returns only whole records and refuses reads shorter than
	// one record, so the read buffer is a multiple of the record size.
	return &Decoder{r: bufio.NewReaderSize(r, 64*size), buf: make([]byte, size), size: size}, nil
}

// Next returns the next event. At a clean end of stream it returns io.EOF; a
// stream that ends inside a record gives io.ErrUnexpectedEOF. Read errors are
// returned wrapped, so errors.Is(err, syscall.ENODEV) detects an unplug.
func (d *Decoder) Next() (InputEvent, error) {
	if _, err := io.ReadFull(d.r, d.buf); err != nil {
		if errors.Is(err, io.EOF) {
			return InputEvent{}, io.EOF
		}
		return InputEvent{}, fmt.Errorf("evdev: read event: %w", err)
	}
	return ParseInputEvent(d.buf)
}

// KeypadKey maps one evdev event of a USB numeric keypad to a Key with the default
// keymap (DefaultKeymap; Keymap.KeyOf with a configured one). NumLock and keys the map
// does not know are ignored. A press gives a key; a release is ignored; an auto-repeat
// gives a key only for digits, '.', clear and up/down, never for OK, cancel or menu, so
// holding Enter cannot confirm twice.
func KeypadKey(ev InputEvent) (Key, bool) {
	return defaultKeys.KeyOf(ev)
}

// defaultKeys is DefaultKeymap, built once (a Keymap is never changed after it is made).
var defaultKeys = DefaultKeymap()

// KeyOf maps one evdev event to a Key with m, by the rules of KeypadKey.
func (m *Keymap) KeyOf(ev InputEvent) (Key, bool) {
	if ev.Type != EvKey || (ev.Value != ValuePress && ev.Value != ValueRepeat) {
		return 0, false
	}
	k, ok := m.Key(ev.Code)
	if !ok {
		return 0, false
	}
	if ev.Value == ValueRepeat {
		switch k {
		case KeyOK, KeyCancel, KeyMenu:
			return 0, false
		}
	}
	return k, true
}

// Keypad is a USB HID numeric keypad read through evdev. Configure Device
// (at least Device.Path) and call Run.
type Keypad struct {
	Device Device
	// Map maps its keys (keypad.keys: ParseKeymap); nil means DefaultKeymap.
	Map *Keymap
}

func (k *Keypad) keymap() *Keymap {
	if k.Map == nil {
		return defaultKeys
	}
	return k.Map
}

// Run delivers the keypad's keys (see KeypadKey and Map) to handle until ctx is
// cancelled, reopening the device after an unplug. It returns ctx.Err().
func (k *Keypad) Run(ctx context.Context, handle func(Event)) error {
	m := k.keymap()
	return k.Device.Run(ctx, func(ev InputEvent) {
		if key, ok := m.KeyOf(ev); ok {
			handle(Event{Key: key})
		}
	})
}

// KeyName names the key that gives k on this keypad (Namer; see Keymap.KeyName).
func (k *Keypad) KeyName(key Key) string { return k.keymap().KeyName(key) }

var _ Namer = (*Keypad)(nil)
