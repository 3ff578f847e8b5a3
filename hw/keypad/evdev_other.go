//go:build !linux

package keypad

import (
	"errors"
	"fmt"
	"io"
)

// OpenEvdev opens an evdev device node. evdev exists only on Linux; on
// other systems it always fails.
func OpenEvdev(path string) (io.ReadCloser, error) {
	return nil, fmt.Errorf("evdev: open %s: %w", path, errors.ErrUnsupported)
}
