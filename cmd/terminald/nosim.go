//go:build !sim

package main

import (
	"context"
	"fmt"
	"io"
)

// The production build: the simulator, the provider sandboxes, the panel emulator, the
// ESC/POS decoder and the QR reader are not linked (deps_test.go holds that). Their
// commands say how to get them.

func cmdSim(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return noSim("sim", args, stderr)
}

func cmdSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return noSim("sandbox", args, stderr)
}

func cmdScreens(args []string, stdout, stderr io.Writer) error { return noSim("screens", args, stderr) }

// noSim answers a simulator-only command: -h says where it is (exit 0), anything else
// is errNoSim.
func noSim(cmd string, args []string, stderr io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fmt.Fprintf(stderr, "terminald %s: simulator builds only (go build -tags sim, or terminald-sim)\n", cmd)
			return nil
		}
	}
	return errNoSim
}

// cmdReceipt needs the ESC/POS decoder, which only the simulator build links; -h works.
func cmdReceipt(args []string, stdout, stderr io.Writer) error {
	if receiptHelp(args, stderr) {
		return nil
	}
	return noSim("receipt", args, stderr)
}
