// Package ecrcli is the `ecr` command: a ZVT cash register for technicians, to drive a
// payment terminal (terminald or any other) by hand over TCP or a serial line.
//
//	ecr register|pay AMOUNT|refund AMOUNT|reverse RECEIPT|abort|status|end-of-day|log-off
//	    --to tcp://HOST:PORT|serial:/dev/ttyX [--password 123456] [--currency EUR]
//	    [--timeout 200s] [--baud 9600] [--config 8E] [--abort-after DURATION (pay)]
//
// Every APDU is printed as hex with its direction (-> sent, <- received; passwords
// masked), then the decoded result. The exit status is 0 for result code 00, 1 for any
// other result or failure, and 2 for a usage error.
package ecrcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/terminald/terminald/ecr/zvt"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/serialport"
)

const usage = `usage: ecr COMMAND [ARG] --to tcp://HOST:PORT|serial:/dev/ttyX [flags]
commands: register, pay AMOUNT, refund AMOUNT, reverse RECEIPT, abort, status, end-of-day, log-off
flags: --password 123456 --currency EUR --timeout 200s --baud 9600 --config 8E --abort-after DURATION`

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type options struct {
	cmd, arg   string
	to         string
	password   string
	currency   string
	timeout    time.Duration
	baud       int
	config     string
	abortAfter time.Duration
}

// parse reads the command line; -h prints the usage and the flags on help and returns
// flag.ErrHelp.
func parse(args []string, help io.Writer) (*options, error) {
	if len(args) > 0 && args[0] == "ecr" {
		args = args[1:]
	}
	if len(args) == 0 {
		return nil, usageError{"no command given"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(help, usage)
		return nil, flag.ErrHelp
	}
	o := &options{cmd: args[0]}
	fs := flag.NewFlagSet("ecr "+o.cmd, flag.ContinueOnError)
	// The flag package's own message is held back: Main says a mistake once; -h prints
	// the flags on stdout.
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.to, "to", "", "terminal: tcp://HOST:PORT or serial:/dev/ttyX")
	fs.StringVar(&o.password, "password", "000000", "6-digit ZVT password")
	fs.StringVar(&o.currency, "currency", "", "currency to send (BMP 49); EUR amounts when empty")
	fs.DurationVar(&o.timeout, "timeout", 200*time.Second, "overall time limit")
	fs.IntVar(&o.baud, "baud", 9600, "serial baud rate")
	fs.StringVar(&o.config, "config", "8E", "registration config byte, hex")
	fs.DurationVar(&o.abortAfter, "abort-after", 0, "pay: send abort (06 B0) after this long")
	var pos []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(help, usage)
				fs.SetOutput(help)
				fs.PrintDefaults()
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	needArg := map[string]string{"pay": "AMOUNT", "refund": "AMOUNT", "reverse": "RECEIPT"}
	switch o.cmd {
	case "register", "pay", "refund", "reverse", "abort", "status", "end-of-day", "log-off":
	default:
		return nil, usageError{fmt.Sprintf("unknown command %q", o.cmd)}
	}
	if name, ok := needArg[o.cmd]; ok {
		if len(pos) != 1 {
			return nil, usageError{fmt.Sprintf("%s needs exactly one %s", o.cmd, name)}
		}
		o.arg = pos[0]
	} else if len(pos) > 0 {
		return nil, usageError{fmt.Sprintf("%s takes no argument, got %q", o.cmd, pos[0])}
	}
	if o.to == "" {
		return nil, usageError{"--to is required"}
	}
	if o.abortAfter != 0 && o.cmd != "pay" {
		return nil, usageError{"--abort-after works only with pay"}
	}
	if o.timeout <= 0 {
		return nil, usageError{"--timeout must be positive"}
	}
	return o, nil
}

// Main runs the ecr command with args (without the program name) and returns the exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "ecr: %v\n", err)
		fmt.Fprintln(stderr, usage)
		return 2
	}
	code, err := run(ctx, o, stdout)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "ecr: %v\n%s\n", err, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "ecr: %v\n", err)
		return 1
	}
	return code
}

func dial(o *options) (zvt.Conn, error) {
	switch {
	case strings.HasPrefix(o.to, "tcp://"):
		addr := strings.TrimPrefix(o.to, "tcp://")
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, usageError{fmt.Sprintf("--to %s: %v", o.to, err)}
		}
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return nil, fmt.Errorf("connect %s: %w", addr, err)
		}
		return zvt.NewTCPConn(nc, zvt.TCPConfig{}), nil
	case strings.HasPrefix(o.to, "serial:"):
		p, err := serialport.Open(serialport.Config{Name: strings.TrimPrefix(o.to, "serial:"), Baud: o.baud, StopBits: 2})
		if err != nil {
			return nil, err
		}
		return zvt.NewSerialConn(p, zvt.SerialConfig{}), nil
	}
	return nil, usageError{fmt.Sprintf("--to %q: want tcp://HOST:PORT or serial:/dev/ttyX", o.to)}
}

func run(ctx context.Context, o *options, stdout io.Writer) (int, error) {
	cfg, err := strconv.ParseUint(o.config, 16, 8)
	if err != nil {
		return 0, usageError{fmt.Sprintf("--config %q: not a hex byte", o.config)}
	}
	curCode := o.currency
	if curCode == "" {
		curCode = "EUR"
	}
	if _, err := money.Lookup(curCode); err != nil {
		return 0, usageError{err.Error()}
	}
	var amount money.Amount
	var receipt uint64
	switch o.cmd {
	case "pay", "refund":
		if amount, err = money.Parse(o.arg, curCode); err != nil {
			return 0, usageError{fmt.Sprintf("amount %q: %v", o.arg, err)}
		}
	case "reverse":
		if receipt, err = strconv.ParseUint(o.arg, 10, 64); err != nil || receipt > 9999 {
			return 0, usageError{fmt.Sprintf("receipt %q: want a number 0..9999", o.arg)}
		}
	}
	if len(o.password) != 6 || strings.Trim(o.password, "0123456789") != "" {
		return 0, usageError{"--password must be 6 digits"}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	conn, err := dial(o)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	c := &zvt.Client{Conn: conn, Password: o.password, Config: byte(cfg), Currency: o.currency, T4: o.timeout,
		Trace: func(sent bool, a zvt.APDU) {
			dir := "<-"
			if sent {
				dir = "->"
			}
			fmt.Fprintf(stdout, "%s %s\n", dir, a.Masked())
		}}
	var out *zvt.Outcome
	switch o.cmd {
	case "register":
		out, err = c.Register(ctx)
	case "pay":
		if o.abortAfter > 0 {
			go func() {
				t := time.NewTimer(o.abortAfter)
				defer t.Stop()
				select {
				case <-t.C:
					c.Abort(ctx)
				case <-ctx.Done():
				}
			}()
		}
		out, err = c.Pay(ctx, amount)
	case "refund":
		out, err = c.Refund(ctx, amount)
	case "reverse":
		out, err = c.Reverse(ctx, receipt)
	case "abort":
		var a zvt.APDU
		a, err = c.Abort(ctx)
		if err == nil {
			out = &zvt.Outcome{Code: a.AnswerCode(), Refused: a.AnswerCode() != 0}
		}
	case "status":
		out, err = c.Status(ctx)
	case "end-of-day":
		out, err = c.EndOfDay(ctx)
	case "log-off":
		out, err = c.LogOff(ctx)
	}
	if err != nil {
		return 1, err
	}
	printOutcome(stdout, out, curCode)
	if out.Code != zvt.RCOK {
		return 1, nil
	}
	return 0, nil
}

var rcNames = map[byte]string{
	0x00: "ok", 0x64: "card not readable", 0x6C: "aborted", 0x6F: "wrong currency", 0x77: "end-of-day not possible",
	0x83: "function not possible", 0x9A: "protocol error", 0x9C: "please wait", 0xA0: "receiver not ready",
	0xB4: "already reversed", 0xB5: "reversal not possible", 0xC3: "maximum amount exceeded",
	0xC8: "amount too small", 0xFF: "system error",
}

func printOutcome(w io.Writer, out *zvt.Outcome, cur string) {
	name := rcNames[out.Code]
	if name == "" {
		name = "unknown"
	}
	how := ""
	if out.Refused {
		how = " (refused with 84)"
	}
	fmt.Fprintf(w, "result: %02X %s%s\n", out.Code, name, how)
	if out.AbortAnswer != nil {
		fmt.Fprintf(w, "abort answer: %s\n", out.AbortAnswer)
	}
	if s := out.Status; s != nil {
		if s.HasAmount {
			c, _ := money.Lookup(cur)
			if s.Currency != 0 {
				if bc, err := money.ByNumeric(s.Currency); err == nil {
					c = bc
				}
			}
			fmt.Fprintf(w, "amount: %s %s\n", money.FormatDecimal(s.Amount, c.Exponent), c.Code)
		}
		fmt.Fprintf(w, "trace: %d  receipt: %d  terminal: %08d  time: %s %s\n", s.Trace, s.Receipt, s.TerminalID, s.Date, s.Time)
		if s.OrigTrace != 0 {
			fmt.Fprintf(w, "original trace: %d\n", s.OrigTrace)
		}
		if s.Text != "" {
			fmt.Fprintf(w, "text: %s\n", s.Text)
		}
		if t := s.Totals; t != nil {
			fmt.Fprintf(w, "totals: receipts %d..%d\n", t.ReceiptFrom, t.ReceiptTo)
			for i := range t.Count {
				if t.Count[i] != 0 || t.Amount[i] != 0 {
					fmt.Fprintf(w, "  group %d: %d transactions, %s\n", i, t.Count[i], money.FormatDecimal(t.Amount[i], 2))
				}
			}
		}
	}
	if v, ok := out.Completion.Get(zvt.BMPPaymentType); ok {
		fmt.Fprintf(w, "terminal status: %02X\n", v[0])
	}
	for _, l := range out.Lines {
		fmt.Fprintf(w, "| %s\n", l)
	}
}
