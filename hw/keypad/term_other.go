//go:build !linux

package keypad

import "os"

// SetRaw puts a terminal into raw mode. It is implemented on Linux only;
// elsewhere it does nothing and returns a no-op restore.
func SetRaw(f *os.File) (restore func(), err error) {
	return func() {}, nil
}
