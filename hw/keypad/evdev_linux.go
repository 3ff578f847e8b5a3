//go:build linux

package keypad

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// eviocgrab is EVIOCGRAB, _IOW('E', 0x90, int), in the generic ioctl
// encoding used by arm, arm64 and amd64.
const eviocgrab = 0x40044590

// OpenEvdev opens an evdev device node (/dev/input/eventN or a
// /dev/input/by-id/… link) for reading and grabs it exclusively with
// EVIOCGRAB, so its keys do not also reach a console or another reader.
// The grab ends when the file is closed. Reads from the returned file can be
// interrupted by closing it.
func OpenEvdev(path string) (io.ReadCloser, error) {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("evdev: open %s: %w", path, err)
	}
	sc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("evdev: %s: %w", path, err)
	}
	var ioErr error
	if err := sc.Control(func(fd uintptr) {
		ioErr = unix.IoctlSetInt(int(fd), eviocgrab, 1)
	}); err != nil {
		f.Close()
		return nil, fmt.Errorf("evdev: %s: %w", path, err)
	}
	if ioErr != nil {
		f.Close()
		return nil, fmt.Errorf("evdev: grab %s (EVIOCGRAB): %w", path, ioErr)
	}
	return f, nil
}
