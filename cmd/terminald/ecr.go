package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/terminald/terminald/ecr/ecrcli"
	"github.com/terminald/terminald/ecr/register"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/hw/reopen"
)

func cmdECR(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return ecrcli.Main(ctx, args, stdout, stderr)
}

// ecrSettings configure the register link.
type ecrSettings struct {
	password   string
	terminalID string
	currency   string
	baud       int
	onState    func(reopen.State, error) // serial port state; nil: not reported
	display    func() string             // the customer display's health state; nil: not checked
}

// startECR serves a cash register on addr (tcp://HOST:PORT or serial:/dev/ttyX) until ctx
// ends. The returned function waits for the link to stop.
func startECR(ctx context.Context, addr string, eng *flow.Engine, s ecrSettings, log *slog.Logger) (func(), error) {
	return register.Start(ctx, eng, register.Config{Addr: addr, Password: s.password, TerminalID: s.terminalID,
		Currency: s.currency, Baud: s.baud, Logger: log, OnState: s.onState, Display: s.display})
}
