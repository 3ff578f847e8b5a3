//go:build linux

package keypad

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// SetRaw puts the terminal f into raw mode so every key press reaches
// Terminal at once, without echo or line editing: Enter then arrives as
// '\r' and Backspace as 0x7f. Signal keys (Ctrl-C) and output processing
// stay on, so the simulator can still be interrupted and its log lines end
// properly. If f is not a terminal (a pipe or file), SetRaw does nothing and
// returns a no-op restore. Call restore to put the terminal back.
func SetRaw(f *os.File) (restore func(), err error) {
	// SyscallConn, unlike Fd, leaves f non-blocking, so Terminal can still
	// interrupt a pending read with a deadline.
	sc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("keypad: terminal %s: %w", f.Name(), err)
	}
	var fd int
	if err := sc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return nil, fmt.Errorf("keypad: terminal %s: %w", f.Name(), err)
	}
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
		return func() {}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keypad: get terminal mode of %s: %w", f.Name(), err)
	}
	raw := *old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN] = 1
	raw.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, fmt.Errorf("keypad: set raw mode on %s: %w", f.Name(), err)
	}
	// fd stays valid as long as f is open; restore before closing f.
	return func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }, nil
}
