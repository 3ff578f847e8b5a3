// Command terminald is the payment-terminal daemon.
//
//	terminald sim              the whole terminal on a laptop (the default)
//	terminald run              the daemon on terminal hardware
//	terminald help             all commands
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `terminald — payment-terminal daemon

Usage:
  terminald [command] [flags]

Commands:
  sim            run the whole terminal with simulated hardware and sandbox providers (default;
                 simulator builds only: go build -tags sim, or terminald-sim)
  run            run the daemon on terminal hardware (--config FILE)
  sandbox        run a provider sandbox standalone (--provider NAME --listen ADDR); prints credentials and a config (simulator builds)
  acountpay      AcountPay tasks: onboard --company NAME --email ADDR (QR on the display and printer)
  check-config   validate a configuration file as run does (--credentials DIR; exit 1 on errors)
  payments       list payments with what was refunded (--socket PATH, --state DIR or --config FILE;
                 --json, --only/--day/--receipt N)
  compact        shrink the database file after pruning (daemon stopped; --state DIR or --config FILE)
  status         show the running daemon's state (admin socket: --socket PATH; --json)
  reprint        reprint the last receipt, or receipt N (admin socket)
  refund         refund a payment: refund PAYMENT|RECEIPT [AMOUNT] [--to ADDRESS] (admin socket)
  end-of-day     print the end-of-day report (admin socket)
  x-report       show and print the day's totals so far without closing it (--no-print; admin socket)
  receipt        receipt render FILE: an ESC/POS file as text or PNG (--png OUT; simulator builds)
  set-pin        ask for a new manager PIN and print its admin.manager_pin_hash line
  screens        render every screen at every size to PNG (--out DIR; simulator builds)
  ecr            ZVT cash-register client for technicians and tests
  version        print the version
  help           this text

Run 'terminald COMMAND -h' for a command's flags.
`

// errUsage marks command-line mistakes: exit status 2.
var errUsage = errors.New("usage")

// errConfig marks a configuration `run` refuses: exit status 78 (EX_CONFIG), which
// the systemd unit does not restart on (RestartPreventExitStatus=78).
var errConfig = errors.New("configuration")

// configError is a refused configuration: it says the configuration's own error (which
// names the file and every key) and matches errConfig, without a second prefix.
type configError struct{ err error }

func (e configError) Error() string        { return e.err.Error() }
func (e configError) Unwrap() error        { return e.err }
func (e configError) Is(target error) bool { return target == errConfig }

// exitConfig is the exit status for errConfig.
const exitConfig = 78

// errNoSim is the answer of sim, sandbox and screens in a build without the simulator
// (built without -tags sim): exit status 2.
var errNoSim = errors.New("this build has no simulator; build with -tags sim or use terminald-sim")

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigc := make(chan os.Signal, 2)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	go stopOnSignal(sigc, cancel, os.Stderr, os.Exit)
	os.Exit(Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// stopOnSignal cancels the command's context at the first SIGTERM or SIGINT on sigc (the
// stop order: README "Stopping") and ends the process at once, with status 1, at the
// second.
func stopOnSignal(sigc <-chan os.Signal, cancel func(), stderr io.Writer, exit func(int)) {
	s := <-sigc
	fmt.Fprintf(stderr, "terminald: %v: stopping in order (the same signal again stops at once)\n", s)
	cancel()
	s = <-sigc
	fmt.Fprintf(stderr, "terminald: %v again: stopping at once; payments in flight stay on disk and resume at the next start\n", s)
	exit(1)
}

// Main runs terminald with args and returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "sim"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "sim":
		err = cmdSim(ctx, args, stdin, stdout, stderr)
	case "run":
		err = cmdRun(ctx, args, stdout, stderr)
	case "sandbox":
		err = cmdSandbox(ctx, args, stdout, stderr)
	case "acountpay":
		err = cmdAcountPay(ctx, args, stdout, stderr)
	case "check-config":
		err = cmdCheckConfig(args, stdout, stderr)
	case "payments":
		err = cmdPayments(ctx, args, stdout, stderr)
	case "compact":
		err = cmdCompact(args, stdout, stderr)
	case "status", "reprint", "refund", "end-of-day", "x-report":
		err = cmdAdmin(ctx, cmd, args, stdout, stderr)
	case "screens":
		err = cmdScreens(args, stdout, stderr)
	case "receipt":
		err = cmdReceipt(args, stdout, stderr)
	case "set-pin":
		err = cmdSetPIN(args, stdin, stdout, stderr)
	case "ecr":
		return cmdECR(ctx, args, stdout, stderr)
	case "version", "--version", "-version", "help", "-h", "--help", "-help":
		err = cmdVersionHelp(cmd, args, stdout)
	default:
		if len(cmd) > 0 && cmd[0] == '-' {
			// Flags without a command belong to the default command.
			return Main(ctx, append([]string{"sim", cmd}, args...), stdin, stdout, stderr)
		}
		fmt.Fprintf(stderr, "terminald: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errNoSim):
		fmt.Fprintf(stderr, "terminald %s: %v\n", cmd, err)
		return 2
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "terminald %s: %v\n", cmd, err)
		return 2
	case errors.Is(err, errConfig):
		fmt.Fprintf(stderr, "terminald %s: %v\n", cmd, err)
		return exitConfig
	default:
		fmt.Fprintf(stderr, "terminald %s: %v\n", cmd, err)
		return 1
	}
}

// cmdVersionHelp prints the version or the usage; they take no flags but -h.
func cmdVersionHelp(cmd string, args []string, stdout io.Writer) error {
	verb := strings.TrimLeft(cmd, "-")
	fs := flag.NewFlagSet("terminald "+verb, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "Usage: terminald %s\n", verb) }
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if verb == "version" {
		fmt.Fprintln(stdout, "terminald", version)
	} else {
		fmt.Fprint(stdout, usage)
	}
	return nil
}

// flags returns a FlagSet for cmd that reports errors as usage errors.
func flags(cmd string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("terminald "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses args and wraps mistakes as usage errors.
// The flag package's own message is held back so that a mistake is said once, by Main;
// -h prints the usage and exits 0.
func parse(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return err
		}
		return fmt.Errorf("%w: %v (%s -h for help)", errUsage, err, fs.Name())
	}
	return nil
}
