//go:build linux

package serialport

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/creack/pty"
)

// openLine opens a pty's terminal side as a serial line; the test holds the other side.
func openLine(t *testing.T, cfg Config) (*os.File, Port) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	name := tty.Name()
	tty.Close()
	cfg.Name, cfg.Baud = name, 9600
	p, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return ptmx, p
}

// An idle line's Read waits without a timeout (nothing wakes the daemon) and returns the
// bytes as they come; Close ends a waiting Read at once.
func TestIdleReadWaitsUntilDataOrClose(t *testing.T) {
	ptmx, p := openLine(t, Config{StopBits: 2})
	got := make(chan []byte, 1)
	errc := make(chan error, 1)
	go func() {
		var b [8]byte
		n, err := p.Read(b[:])
		if err != nil {
			errc <- err
			return
		}
		got <- b[:n]
		_, err = p.Read(b[:]) // waits until Close
		errc <- err
	}()
	if _, err := ptmx.Write([]byte{0x10, 0x02}); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if string(b) != "\x10\x02" {
			t.Fatalf("read % X, want 10 02", b)
		}
	case err := <-errc:
		t.Fatalf("read: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("bytes written to the line were not read")
	}
	start := time.Now()
	p.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("read after Close: %v, want os.ErrClosed", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("Close ended the waiting read after %v", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the waiting read")
	}
}

// A read deadline ends a waiting Read with os.ErrDeadlineExceeded (the ZVT link's T1 and
// T2 timers); a read timeout without a deadline returns no data and no error.
func TestReadDeadlineAndTimeout(t *testing.T) {
	_, p := openLine(t, Config{})
	var b [1]byte
	if err := p.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n, err := p.Read(b[:]); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline = %d, %v; want os.ErrDeadlineExceeded", n, err)
	}
	if _, err := ReadByte(p, time.Now().Add(20*time.Millisecond)); err == nil {
		t.Fatal("ReadByte on an idle line returned a byte")
	}

	_, q := openLine(t, Config{ReadTimeout: 20 * time.Millisecond})
	if n, err := q.Read(b[:]); n != 0 || err != nil {
		t.Fatalf("read on an idle line with a read timeout = %d, %v; want 0, nil", n, err)
	}
}

// The other end going away (a USB adapter unplugged; here the pty's master closed) ends
// a waiting Read with an error, so the register link fails and is reopened with backoff
// instead of waiting for ever.
func TestReadFailsWhenTheLineGoesAway(t *testing.T) {
	ptmx, p := openLine(t, Config{})
	errc := make(chan error, 1)
	go func() {
		var b [1]byte
		for {
			if _, err := p.Read(b[:]); err != nil {
				errc <- err
				return
			}
		}
	}()
	ptmx.Close()
	select {
	case err := <-errc:
		if errors.Is(err, os.ErrClosed) || errors.Is(err, io.EOF) {
			t.Fatalf("read error %v: want the line's failure (not EOF, which callers retry)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a read on a line whose other end went away still waits")
	}
}
