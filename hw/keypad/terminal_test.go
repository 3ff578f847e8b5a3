package keypad

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

func terminalKeys(t *testing.T, r io.Reader) string {
	t.Helper()
	var got []Event
	if err := Terminal(context.Background(), r, func(e Event) { got = append(got, e) }); err != nil {
		t.Fatalf("Terminal: %v", err)
	}
	return keysOf(got)
}

func TestTerminalMapping(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"12.50\r", "1 2 . 5 0 OK"},
		{"7\n8\r\n9\n", "7 OK 8 OK 9 OK"}, // CRLF is one Enter
		{"12\x7f3\x08c", "1 2 Clear 3 Clear Cancel"},
		{"\x1b", "Cancel"},
		{"m4yz \t5", "Menu 4 5"},
		{"xXcC\x1b", "Cancel Cancel Cancel Cancel Cancel"}, // the hints' "X = cancel"
		{"M", "Menu"},
		{"\x1b[A\x1b[B\x1bOA\x1b[1;5C", "Up Down Up"},
		{"scan:ABC-123/xy\n", "code:ABC-123/xy"},
		{"5\nscan:  wallet:42 \r\n1", "5 OK code:wallet:42 1"},
		{"scan:ab\x7fc\n", "code:ac"},
		{"scan:\n", ""},
		{"scan:unterminated", ""},
		{"sc\r", "Cancel OK"},     // not a scan line: the bytes are keys
		{"s", ""},                 // held prefix replayed at EOF
		{"sca", "Cancel"},         // likewise
		{"1scan:9\n", "1 code:9"}, // a raw terminal has no lines: after a key too
		{"1scan:WALLET-42\r7", "1 code:WALLET-42 7"},
		{"ssscan:A\n", "code:A"}, // a broken prefix restarts at 's'
		{"sc1\n", "Cancel 1 OK"}, // not a scan: the held bytes are keys
		{"scan:" + strings.Repeat("x", MaxTerminalCodeLen+1) + "\nscan:ok\n", "code:ok"},
	} {
		if got := terminalKeys(t, strings.NewReader(tc.in)); got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestTerminalByteByByte(t *testing.T) {
	// A raw terminal delivers one key per read; a lone Esc at the end of a
	// read is the Esc key.
	in := "3scan" + "\r" + "scan:AB\r\x1b4" + "1scan:C-9\r"
	if got, want := terminalKeys(t, iotest.OneByteReader(strings.NewReader(in))), "3 Cancel OK code:AB Cancel 4 1 code:C-9"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTerminalCancel(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan Event, 10)
	done := make(chan error, 1)
	go func() { done <- Terminal(ctx, pr, func(e Event) { got <- e }) }()
	pw.Write([]byte("7"))
	if e := <-got; e.Key != Key7 {
		t.Fatalf("got %v, want 7", e)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Terminal returned %v after cancel, want context.Canceled", err)
	}
}

func TestTerminalReadError(t *testing.T) {
	boom := errors.New("boom")
	err := Terminal(context.Background(), iotest.ErrReader(boom), func(Event) {})
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the read error", err)
	}
}

func TestTerminalCancelLeavesFileUsable(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Terminal(ctx, r, func(Event) {}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Terminal returned %v", err)
	}
	// The interrupted read must not swallow input or leave a deadline set.
	w.Write([]byte("42\r"))
	w.Close()
	if got := terminalKeys(t, r); got != "4 2 OK" {
		t.Errorf("second Terminal on the same file got %q, want %q", got, "4 2 OK")
	}
}
