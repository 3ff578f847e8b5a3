package serialport

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{Name: "/dev/ttyS0", Baud: 9600, StopBits: 2}, true},
		{Config{Name: "/dev/ttyS0", Baud: 115200}, true},
		{Config{Name: "", Baud: 9600}, false},
		{Config{Name: "/dev/ttyS0", Baud: 12345}, false},
		{Config{Name: "/dev/ttyS0", Baud: 9600, StopBits: 3}, false},
		{Config{Name: "/dev/ttyS0", Baud: 9600, Parity: 'M'}, false},
	} {
		err := tc.cfg.check()
		if (err == nil) != tc.ok {
			t.Errorf("%+v: err = %v, want ok %v", tc.cfg, err, tc.ok)
		}
	}
}

func TestReadByteTimeout(t *testing.T) {
	b, err := ReadByte(bytes.NewReader([]byte{0x42}), time.Now().Add(time.Second))
	if err != nil || b != 0x42 {
		t.Fatalf("ReadByte = %x, %v", b, err)
	}
	_, err = ReadByte(bytes.NewReader(nil), time.Now().Add(20*time.Millisecond))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("ReadByte on empty stream: %v, want ErrTimeout", err)
	}
}
