package ecrcli_test

import (
	"context"
	"os"

	"github.com/terminald/terminald/ecr/ecrcli"
)

// A usage error exits with status 2 and explains itself on stderr.
func ExampleMain() {
	code := ecrcli.Main(context.Background(), []string{"pay"}, os.Stdout, os.Stdout)
	_ = code
	// Output:
	// ecr: pay needs exactly one AMOUNT
	// usage: ecr COMMAND [ARG] --to tcp://HOST:PORT|serial:/dev/ttyX [flags]
	// commands: register, pay AMOUNT, refund AMOUNT, reverse RECEIPT, abort, status, end-of-day, log-off
	// flags: --password 123456 --currency EUR --timeout 200s --baud 9600 --config 8E --abort-after DURATION
}
