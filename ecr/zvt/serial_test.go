package zvt

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func TestSerialLostACKResend(t *testing.T) {
	ptmx, tty := openPty(t)
	// The test's ACK to the resent frame must land within T2 even on a loaded machine
	// under -race (100 ms failed 1 run in 20 there); the test waits one T2 for the resend.
	c := NewSerialConn(tty, SerialConfig{T2: time.Second})
	defer c.Close()
	errc := make(chan error, 1)
	go func() { errc <- c.Send(context.Background(), Ack) }()
	want := Frame([]byte{0x80, 0x00, 0x00})
	first := readN(t, ptmx, len(want), 2*time.Second) // "lost": not acknowledged
	second := readN(t, ptmx, len(want), 2*time.Second)
	if !bytes.Equal(first, want) || !bytes.Equal(second, want) {
		t.Fatalf("frames % X / % X, want % X twice", first, second, want)
	}
	ptmx.Write([]byte{ACK})
	if err := <-errc; err != nil {
		t.Fatalf("Send after resend: %v", err)
	}
}

func TestSerialGivesUpAfterTwoResends(t *testing.T) {
	ptmx, tty := openPty(t)
	c := NewSerialConn(tty, SerialConfig{T2: 50 * time.Millisecond})
	defer c.Close()
	errc := make(chan error, 1)
	go func() { errc <- c.Send(context.Background(), Ack) }()
	for range 3 {
		readN(t, ptmx, 9, 2*time.Second)
		ptmx.Write([]byte{NAK})
	}
	if err := <-errc; err == nil {
		t.Fatal("Send succeeded without ACK")
	}
}

func TestSerialBadCRCNAKAndRecovery(t *testing.T) {
	ptmx, tty := openPty(t)
	c := NewSerialConn(tty, SerialConfig{T1: 100 * time.Millisecond})
	defer c.Close()
	bad := Frame([]byte{0x06, 0x01, 0x00})
	bad[len(bad)-2] ^= 0x55
	ptmx.Write(bad)
	if got := readN(t, ptmx, 1, 2*time.Second); got[0] != NAK {
		t.Fatalf("bad CRC answered % X, want NAK", got)
	}
	// noise between frames, then the resent good frame
	ptmx.Write(append([]byte{0x00, 0xFF, DLE, 0x41}, Frame([]byte{0x06, 0x01, 0x00})...))
	if got := readN(t, ptmx, 1, 2*time.Second); got[0] != ACK {
		t.Fatalf("good frame answered % X, want ACK", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	a, err := c.Recv(ctx)
	if err != nil || a.String() != "06 01 00" {
		t.Fatalf("Recv = %v, %v", a, err)
	}
}

func TestSerialT1GapNAK(t *testing.T) {
	ptmx, tty := openPty(t)
	c := NewSerialConn(tty, SerialConfig{T1: 30 * time.Millisecond})
	defer c.Close()
	ptmx.Write([]byte{DLE, STX, 0x06})
	if got := readN(t, ptmx, 1, 2*time.Second); got[0] != NAK {
		t.Fatalf("T1 gap answered % X, want NAK", got)
	}
}
