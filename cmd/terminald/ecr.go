package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/terminald/terminald/ecr/ecrcli"
	"github.com/terminald/terminald/ecr/register"
	"github.com/terminald/terminald/flow"
)

func cmdECR(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return ecrcli.Main(ctx, args, stdout, stderr)
}

// startECR serves a cash register (cfg.Addr: tcp://HOST:PORT or serial:/dev/ttyX) until
// ctx ends. The returned function waits for the link to stop.
func startECR(ctx context.Context, eng *flow.Engine, cfg register.Config, log *slog.Logger) (func(), error) {
	cfg.Logger = log
	return register.Start(ctx, eng, cfg)
}
