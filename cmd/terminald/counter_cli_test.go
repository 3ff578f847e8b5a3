package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/pin"
)

// runMain runs the command line in process.
func runMain(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errs strings.Builder
	code = Main(context.Background(), args, strings.NewReader(stdin), &out, &errs)
	return out.String(), errs.String(), code
}

func TestSetPINPrintsAHashOfThePIN(t *testing.T) {
	out, errs, code := runMain(t, "4711\n4711\n", "set-pin")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	line := strings.TrimSpace(out)
	h, ok := strings.CutPrefix(line, `manager_pin_hash = "`)
	h = strings.TrimSuffix(h, `"`)
	if !ok || pin.Verify(h, "4711") != nil || strings.Contains(out+errs, "4711") {
		t.Fatalf("stdout %q, stderr %q: want the hash line, never the PIN", out, errs)
	}
	for _, tc := range []struct{ in, want string }{
		{"4711\n4712\n", "differ"},
		{"47\n47\n", "4 to 12 digits"},
		{"", "no PIN"},
	} {
		out, errs, code := runMain(t, tc.in, "set-pin")
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("set-pin with %q: exit %d, stdout %q, stderr %q; want 2, nothing and one line saying %q", tc.in, code, out, errs, tc.want)
		}
	}
}

// helpCommands are the commands `terminald help` lists.
func helpCommands(t *testing.T) []string {
	t.Helper()
	out, _, code := runMain(t, "", "help")
	_, list, ok := strings.Cut(out, "Commands:\n")
	if code != 0 || !ok {
		t.Fatalf("help: exit %d, no command list:\n%s", code, out)
	}
	var cmds []string
	for _, line := range strings.Split(list, "\n") {
		if line == "" {
			break
		}
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
			cmds = append(cmds, strings.Fields(line)[0])
		}
	}
	if len(cmds) < 15 {
		t.Fatalf("help lists %d commands (%v): is the list still read right?", len(cmds), cmds)
	}
	return cmds
}

// Every command `terminald help` lists answers -h with a help text and exit 0, and an
// unknown flag with exit status 2, nothing on stdout and the mistake said once.
func TestEveryCommandHelpAndUnknownFlag(t *testing.T) {
	for _, cmd := range helpCommands(t) {
		t.Run(cmd, func(t *testing.T) {
			out, errs, code := runMain(t, "", cmd, "-h")
			if code != 0 || out+errs == "" {
				t.Errorf("%s -h: exit %d, output %q; want 0 and a help text", cmd, code, out+errs)
			}
			out, errs, code = runMain(t, "", cmd, "--bogus-flag")
			said := strings.Count(errs, "bogus-flag")
			if strings.Contains(errs, errNoSim.Error()) && strings.Count(strings.TrimSpace(errs), "\n") == 0 {
				said = 1 // a production build answers a simulator command in one line without reading its flags
			}
			if code != 2 || out != "" || said != 1 {
				t.Errorf("%s --bogus-flag: exit %d, stdout %q, stderr %q; want 2, nothing on stdout and the mistake said once", cmd, code, out, errs)
			}
		})
	}
}

// An unknown flag among a command's arguments is said once, in one line, with exit
// status 2.
func TestUnknownFlagSaidOnce(t *testing.T) {
	for _, args := range [][]string{{"refund", "--bogus", "X"}, {"payments", "--bogus"}, {"set-pin", "--bogus"}, {"run", "--bogus"},
		{"status", "--json", "--bogus"}, {"version", "--bogus"}} {
		out, errs, code := runMain(t, "", args...)
		if code != 2 || out != "" || strings.Count(errs, "not defined") != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and one line", args, code, out, errs)
		}
	}
}

func TestRefundAmountInTheShopsFormat(t *testing.T) {
	da := mustLocale(t, "da")
	for _, tc := range []struct {
		in   string
		want int64
	}{{"1,00", 100}, {"1.234,56", 123456}, {"1.50", 150}, {"1.000", 100000}, {"7", 700}} {
		a, err := parseRefundAmount(da, tc.in, "DKK")
		if err != nil || a.Minor != tc.want {
			t.Errorf("da %q = %v, %v; want %d", tc.in, a, err, tc.want)
		}
	}
	if _, err := parseRefundAmount(da, "1,2,3", "DKK"); err == nil || !strings.Contains(err.Error(), `"1.234,56"`) {
		t.Errorf("bad amount: %v, want an error showing the form", err)
	}
	en := mustLocale(t, "en")
	for _, tc := range []struct {
		in   string
		want int64
	}{{"1,234.56", 123456}, {"1.00", 100}, {"1,00", 100}, {"1,5", 150}, {"1,000", 100000}} {
		if a, err := parseRefundAmount(en, tc.in, "USD"); err != nil || a.Minor != tc.want {
			t.Errorf("en %q = %v, %v; want %d", tc.in, a, err, tc.want)
		}
	}
	if _, err := parseRefundAmount(nil, "1,2,3", "USD"); !errors.Is(err, locale.ErrAmount) || strings.HasPrefix(err.Error(), "locale:") {
		t.Errorf("bad amount in English: %v; want locale.ErrAmount without the package's prefix", err)
	}
}
