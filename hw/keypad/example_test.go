package keypad_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/terminald/terminald/hw/keypad"
)

// The simulator reads its keypad from stdin; tests and scripts type keys
// and "scan:" lines.
func ExampleTerminal() {
	in := strings.NewReader("12.50\r\x7fc\nscan:wallet-7F3A\n")
	err := keypad.Terminal(context.Background(), in, func(e keypad.Event) {
		if e.Code != "" {
			fmt.Println("scanned", e.Code)
			return
		}
		fmt.Println("key", e.Key)
	})
	fmt.Println("err", err)
	// Output:
	// key 1
	// key 2
	// key .
	// key 5
	// key 0
	// key OK
	// key Clear
	// key Cancel
	// key OK
	// scanned wallet-7F3A
	// err <nil>
}

// KeypadKey maps evdev events of a USB numeric keypad.
func ExampleKeypadKey() {
	for _, ev := range []keypad.InputEvent{
		{Type: keypad.EvKey, Code: 79, Value: keypad.ValuePress},  // KP1
		{Type: keypad.EvKey, Code: 79, Value: keypad.ValueRepeat}, // held: repeats
		{Type: keypad.EvKey, Code: 79, Value: keypad.ValueRelease},
		{Type: keypad.EvKey, Code: 69, Value: keypad.ValuePress},  // NumLock: ignored
		{Type: keypad.EvKey, Code: 96, Value: keypad.ValuePress},  // KPENTER
		{Type: keypad.EvKey, Code: 96, Value: keypad.ValueRepeat}, // no second OK
	} {
		if k, ok := keypad.KeypadKey(ev); ok {
			fmt.Println(k)
		}
	}
	// Output:
	// 1
	// 1
	// OK
}

// An Assembler turns a scanner's key presses into a code.
func ExampleAssembler() {
	a := &keypad.Assembler{Layout: keypad.LayoutDE}
	now := time.Now()
	press := func(code uint16) {
		s, err := a.Feed(keypad.InputEvent{Type: keypad.EvKey, Code: code, Value: keypad.ValuePress}, now)
		if err != nil {
			fmt.Println(err)
		}
		if s != "" {
			fmt.Println(s)
		}
	}
	for _, c := range []uint16{21, 44, 53, 2, 28} { // QWERTZ: Z, Y, '-', '1', Enter
		press(c)
	}
	// Output: zy-1
}

// A daemon runs all configured inputs into one handler.
func ExampleRunAll() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	keys := &keypad.Keypad{Device: keypad.Device{
		Path:   "/dev/input/by-id/usb-Keypad-event-kbd",
		Logger: log,
	}}
	scanner := &keypad.Scanner{
		Device: keypad.Device{Path: "/dev/input/by-id/usb-Scanner-event-kbd", Logger: log},
		Layout: keypad.LayoutUS,
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_ = keypad.RunAll(ctx, func(e keypad.Event) { fmt.Println(e) }, keys, scanner)
}

// A 4×4 membrane keypad on Raspberry Pi GPIOs.
func ExampleOpenMatrix() {
	m, err := keypad.OpenMatrix(
		[]string{"GPIO5", "GPIO6", "GPIO13", "GPIO19"},   // rows
		[]string{"GPIO12", "GPIO16", "GPIO20", "GPIO21"}, // columns
		keypad.MatrixConfig{Layout: keypad.Layout4x4, Debounce: 15 * time.Millisecond},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = m.Run(context.Background(), func(e keypad.Event) { fmt.Println(e) })
}
