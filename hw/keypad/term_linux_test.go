//go:build linux

package keypad

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// termFD returns f's descriptor without switching f to blocking mode.
func termFD(t *testing.T, f *os.File) int {
	t.Helper()
	sc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd int
	sc.Control(func(u uintptr) { fd = int(u) })
	return fd
}

func TestSetRawOnPty(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	restore, err := SetRaw(tty)
	if err != nil {
		t.Fatal(err)
	}
	tio, err := unix.IoctlGetTermios(termFD(t, tty), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&(unix.ICANON|unix.ECHO) != 0 || tio.Iflag&unix.ICRNL != 0 {
		t.Errorf("raw mode still has line editing, echo or CR translation: lflag %#x iflag %#x", tio.Lflag, tio.Iflag)
	}
	if tio.Lflag&unix.ISIG == 0 {
		t.Error("raw mode disabled Ctrl-C")
	}
	// Keys arrive unbuffered: '5' reaches the reader without Enter.
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan Event, 4)
	done := make(chan error, 1)
	go func() { done <- Terminal(ctx, tty, func(e Event) { got <- e }) }()
	ptmx.Write([]byte("5"))
	select {
	case e := <-got:
		if e.Key != Key5 {
			t.Errorf("got %v, want 5", e)
		}
	case <-time.After(10 * time.Second):
		t.Error("key did not arrive before Enter: terminal not raw")
	}
	cancel()
	<-done
	restore()
	tio, _ = unix.IoctlGetTermios(termFD(t, tty), unix.TCGETS)
	if tio.Lflag&unix.ICANON == 0 {
		t.Error("restore did not bring back canonical mode")
	}
}

func TestSetRawNotATerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	restore, err := SetRaw(r)
	if err != nil || restore == nil {
		t.Fatalf("SetRaw on a pipe: %v", err)
	}
	restore()
}
