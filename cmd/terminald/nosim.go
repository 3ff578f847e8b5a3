//go:build !sim

package main

import (
	"context"
	"io"
)

// The production build: the simulator, the provider sandboxes, the panel emulator, the
// ESC/POS decoder and the QR reader are not linked (deps_test.go holds that). Their
// commands say how to get them.

func cmdSim(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errNoSim
}

func cmdSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errNoSim
}

func cmdScreens(args []string, stdout, stderr io.Writer) error { return errNoSim }
