package main

import (
	"context"
	"strings"
	"testing"

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

func TestEveryCommandHasHelp(t *testing.T) {
	for _, cmd := range []string{"sim", "run", "sandbox", "check-config", "payments", "compact", "status", "reprint",
		"refund", "end-of-day", "x-report", "screens", "set-pin", "receipt"} {
		out, errs, code := runMain(t, "", cmd, "-h")
		if code != 0 || out+errs == "" {
			t.Errorf("%s -h: exit %d, output %q; want 0 and a help text", cmd, code, out+errs)
		}
	}
}

// An unknown flag is said once, in one line, with exit status 2.
func TestUnknownFlagSaidOnce(t *testing.T) {
	for _, args := range [][]string{{"refund", "--bogus", "X"}, {"payments", "--bogus"}, {"set-pin", "--bogus"}, {"run", "--bogus"}} {
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
	if a, err := parseRefundAmount(nil, "1,234.56", "USD"); err != nil || a.Minor != 123456 {
		t.Errorf("English: %v, %v", a, err)
	}
}
