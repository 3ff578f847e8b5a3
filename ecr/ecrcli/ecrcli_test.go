package ecrcli

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/ecr/zvt"
	"github.com/terminald/terminald/money"
)

type term struct{ block bool }

func (t *term) Pay(ctx context.Context, a money.Amount, p func(zvt.Progress)) (*zvt.Result, error) {
	if t.block {
		<-ctx.Done()
		return &zvt.Result{Code: zvt.RCAborted, Amount: a}, nil
	}
	return &zvt.Result{Code: zvt.RCOK, Amount: a, Trace: 5, Receipt: 9, Provider: "acme", Reference: "R1", Lines: []string{"PAID"}}, nil
}
func (t *term) Reverse(ctx context.Context, r uint64, p func(zvt.Progress)) (*zvt.Result, error) {
	return &zvt.Result{Code: zvt.RCReversalNotPoss}, nil
}
func (t *term) Refund(ctx context.Context, a money.Amount, p func(zvt.Progress)) (*zvt.Result, error) {
	return &zvt.Result{Code: zvt.RCOK, Amount: a}, nil
}
func (t *term) EndOfDay(ctx context.Context) (*zvt.Totals, error) {
	return &zvt.Totals{Code: zvt.RCOK, Total: money.New(100, "EUR"), Count: 1}, nil
}
func (t *term) Confirm(context.Context, *zvt.Result) error     { return nil }
func (t *term) Unconfirmed(context.Context, *zvt.Result) error { return nil }
func (t *term) Ready() bool                                    { return true }

func serve(t *testing.T, tm zvt.Terminal) string {
	t.Helper()
	s, err := zvt.NewServer(tm, zvt.ServerConfig{Password: "123456", Currency: "EUR", TerminalID: 1, Intermediate: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return "tcp://" + ln.Addr().String()
}

func runMain(t *testing.T, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestPay(t *testing.T) {
	to := serve(t, &term{})
	code, out, errs := runMain(t, "pay", "12.34", "--to", to, "--password", "123456")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"-> 06 01 07 04 00 00 00 00 12 34", "<- 80 00 00", "result: 00 ok", "amount: 12.34 EUR", "text: acme R1", "| PAID"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestFailuresExitOne(t *testing.T) {
	to := serve(t, &term{})
	if code, out, _ := runMain(t, "reverse", "9", "--to", to, "--password", "123456"); code != 1 || !strings.Contains(out, "result: B5") {
		t.Fatalf("reverse: exit %d\n%s", code, out)
	}
	if code, out, _ := runMain(t, "register", "--to", to, "--password", "111111"); code != 1 || !strings.Contains(out, "refused") {
		t.Fatalf("wrong password: exit %d\n%s", code, out)
	}
	if code, out, _ := runMain(t, "end-of-day", "--to", to, "--password", "123456"); code != 0 || !strings.Contains(out, "totals") {
		t.Fatalf("end-of-day: exit %d\n%s", code, out)
	}
}

func TestPayAbortAfter(t *testing.T) {
	to := serve(t, &term{block: true})
	code, out, _ := runMain(t, "pay", "1", "--to", to, "--abort-after", "50ms", "--timeout", "10s")
	if code != 1 || !strings.Contains(out, "-> 06 B0 00") || !strings.Contains(out, "result: 6C aborted") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		nil, {"dance"}, {"pay", "--to", "tcp://127.0.0.1:1"}, {"pay", "1.234", "--to", "tcp://127.0.0.1:1"},
		{"status"}, {"status", "--to", "ftp://x"}, {"abort", "--abort-after", "1s", "--to", "tcp://127.0.0.1:1"},
		{"status", "--to", "tcp://127.0.0.1:1", "--password", "12"},
	} {
		code, _, errs := runMain(t, args...)
		if code != 2 || !strings.Contains(errs, "ecr: ") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
	}
}

// -h prints the usage (and a command's flags) on stdout and exits 0; an unknown flag is
// said once, with exit status 2.
func TestHelpAndUnknownFlag(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"pay", "-h"}} {
		code, out, errs := runMain(t, args...)
		if code != 0 || !strings.Contains(out, "usage: ecr") || errs != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", args, code, out, errs)
		}
	}
	code, out, errs := runMain(t, "pay", "1", "--bogus", "--to", "tcp://127.0.0.1:1")
	if code != 2 || out != "" || strings.Count(errs, "not defined") != 1 {
		t.Errorf("unknown flag: exit %d, stdout %q, stderr %q; want 2 and the mistake said once", code, out, errs)
	}
}
