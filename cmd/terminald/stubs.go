package main

import (
	"context"
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("todo")
}
func cmdAdmin(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	return errors.New("todo")
}
func adminCall(ctx context.Context, sock, cmd string, args any, out any) error {
	return errors.New("todo")
}
