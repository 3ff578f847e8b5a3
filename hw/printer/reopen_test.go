package printer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/terminald/terminald/hw/reopen"
	"github.com/terminald/terminald/receipt"
)

// A USB/serial printer that is absent at start is picked up when it appears; unplugged,
// Print fails with ErrAbsent until it is back. The device is a pty behind a symlink that
// appears and disappears like /dev/usb/lp0.
func TestReopeningPrinterComesAndGoes(t *testing.T) {
	node := filepath.Join(t.TempDir(), "lp0")
	states := make(chan reopen.State, 64)
	r := NewReopening(reopen.Options{Name: "printer " + node, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		OnState: func(s reopen.State, err error) { states <- s }},
		func() (*Printer, error) { return OpenUSB(node, Config{StatusTimeout: 20 * time.Millisecond}) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wait := func(want reopen.State) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case s := <-states:
				if s == want {
					return
				}
			case <-deadline:
				t.Fatalf("printer never became %s", want)
			}
		}
	}
	rc := receipt.Receipt{Number: 7, Lines: []receipt.Line{{Text: "TOTAL 5.00 EUR"}}}

	wait(reopen.StateAbsent)
	if err := r.Print(ctx, rc); !errors.Is(err, ErrAbsent) {
		t.Fatalf("Print with no printer = %v, want ErrAbsent", err)
	}
	if _, err := r.Status(ctx); !errors.Is(err, ErrAbsent) {
		t.Fatalf("Status with no printer = %v, want ErrAbsent", err)
	}

	// Plug it in.
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	if err := os.Symlink(tty.Name(), node); err != nil {
		t.Fatal(err)
	}
	wait(reopen.StateOpen)
	tty.Close() // the printer holds its own descriptor now
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, 4096)
		n, _ := master.Read(b)
		got <- b[:n]
	}()
	if err := r.Print(ctx, rc); err != nil {
		t.Fatalf("Print once plugged in: %v", err)
	}
	select {
	case b := <-got:
		if len(b) == 0 {
			t.Error("the printer received nothing")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the printer received nothing")
	}

	// Unplug it: the node goes, the other end hangs up.
	os.Remove(node)
	master.Close()
	if err := r.Print(ctx, rc); err == nil {
		t.Fatal("Print on an unplugged printer succeeded")
	}
	wait(reopen.StateAbsent)
	if err := r.Print(ctx, rc); !errors.Is(err, ErrAbsent) {
		t.Errorf("Print after unplugging = %v, want ErrAbsent", err)
	}
}
