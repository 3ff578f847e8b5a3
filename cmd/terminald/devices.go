package main

import (
	"context"
	"log/slog"

	"github.com/terminald/terminald/health"
	"github.com/terminald/terminald/hw/keypad"
	"github.com/terminald/terminald/hw/printer"
	"github.com/terminald/terminald/hw/reopen"
)

// Optional devices never stop the daemon: each is opened by a function, retried with
// backoff while absent and reopened when it fails (package hw/reopen).

// startReopening runs r until the returned stop function is called; stop waits for it.
func startReopening(r *printer.Reopening) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	return func() { cancel(); <-done }
}

// noPrinter discards receipts when no printer is configured, and says so: its state is
// "missing", never "ok".
type noPrinter struct{ printer.Device }

func (noPrinter) PrinterStatus(context.Context) string { return health.DeviceMissing }

// matrixInput is a GPIO matrix keypad opened (and reopened) while the daemon runs: a
// wrong pin name or a GPIO chip the daemon may not use is logged and retried, not fatal.
type matrixInput struct {
	rows, cols []string
	cfg        keypad.MatrixConfig
	log        *slog.Logger
	onState    func(reopen.State, error) // nil: not reported
}

func (m matrixInput) Run(ctx context.Context, handle func(keypad.Event)) error {
	return reopen.Supervise(ctx, reopen.Options{Name: "keypad matrix", Logger: m.log, OnState: m.onState},
		func(context.Context) (*keypad.Matrix, error) { return keypad.OpenMatrix(m.rows, m.cols, m.cfg) },
		func(ctx context.Context, k *keypad.Matrix) error { return k.Run(ctx, handle) })
}

var _ keypad.Input = matrixInput{}
