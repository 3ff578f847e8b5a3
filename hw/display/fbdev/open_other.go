//go:build !linux

package fbdev

import "errors"

// Open is only available on Linux.
func Open(path string) (*FB, error) {
	return nil, errors.New("fbdev: framebuffer devices need Linux")
}
