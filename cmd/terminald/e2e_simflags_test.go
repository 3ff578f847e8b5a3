package main

// End-to-end tests of the simulator's flags a newcomer uses: --language and --currency
// (the terminal's language and currency: the receipts follow), and where the state is
// kept and how to resume what stayed open.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/screen"
)

// `terminald sim --language da|de` draws the screens and prints the receipt in that
// language with the locale's amount format, in the currency --currency gives.
func TestSimLanguageAndCurrency(t *testing.T) {
	skipShort(t)
	for _, tc := range []struct {
		args []string
		want []string // on the printed receipt
		not  string
		qr   screen.Screen // the QR screen, without its code and countdown
	}{
		{[]string{"--language", "da"}, []string{"KUNDEKOPI", "BELØB", "25,00 kr.", "GODKENDT"}, "APPROVED",
			screen.Screen{Title: "Scan for at betale", Amount: "25,00 kr.", Hint: "X = annullér", Lines: []string{"Venter på kunden"}}},
		{[]string{"--language", "de", "--currency", "eur"}, []string{"KUNDENBELEG", "BETRAG", "25,00 €", "GENEHMIGT"}, "APPROVED",
			screen.Screen{Title: "Zum Bezahlen scannen", Amount: "25,00 €", Hint: "X = abbrechen", Lines: []string{"Warte auf Kunden"}}},
		{[]string{"--language", "en", "--currency", "USD"}, []string{"CUSTOMER COPY", "AMOUNT", "APPROVED"}, "GODKENDT",
			screen.Screen{Title: "Scan to pay", Amount: "$25.00", Hint: "X = cancel", Lines: []string{"Waiting for customer"}}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			d := simDirsIn(t.TempDir())
			errs := runSim(t, d, "2500\n", append([]string{"--provider", "acountpay", "--pay-after", "200ms"}, tc.args...)...)
			text := d.printout(t).Text()
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("the receipt has no %q:\n%s", w, text)
				}
			}
			if strings.Contains(text, tc.not) {
				t.Errorf("the receipt has %q, another language's word:\n%s", tc.not, text)
			}
			// The screens speak the language too: the QR screen as the renderer draws it.
			want := tc.qr
			want.Kind, want.Provider, want.QR, want.Deadline = screen.QR, "AcountPay", qrFromScreens(t, d.screens), time.Now().Add(5*time.Minute)
			noLines := want
			noLines.Lines = nil
			if qrs := d.shots(screen.QR); !cgAnyShows(t, cgRenderer(t), qrs, want, noLines) {
				t.Errorf("no QR screen of %d shows %q %q %q", len(qrs), want.Title, want.Amount, want.Hint)
			}
			if t.Failed() {
				t.Log(errs)
			}
		})
	}
}

// A language or currency the simulator does not know is a usage error naming the flag.
func TestSimLanguageUnknown(t *testing.T) {
	skipShort(t)
	for _, args := range [][]string{{"--language", "xx"}, {"--currency", "XXQ"}} {
		_, errs, code := run(t, "", append([]string{"sim"}, args...)...)
		if code != 2 || !strings.Contains(errs, args[0]) {
			t.Errorf("sim %v: exit %d, stderr %q; want exit 2 naming %s", args, code, errs, args[0])
		}
	}
}

// With --state the simulator says at start how to resume, and at exit names the
// payment left open and the command that resumes it; the next run finds it there.
func TestSimSaysHowToResume(t *testing.T) {
	skipShort(t)
	t.Parallel()
	d := simDirsIn(t.TempDir())
	errs := runSim(t, d, "2500\n", "--provider", "acountpay", "--pay-after", "never", "--settle", "1s")
	if want := "resumes when you start again with --state " + d.state; !strings.Contains(errs, want) {
		t.Errorf("the start does not say how to resume (%q):\n%s", want, errs)
	}
	if want := "resume it with: terminald sim --state " + d.state; !strings.Contains(errs, want) {
		t.Errorf("the exit does not say how to resume the open payment (%q):\n%s", want, errs)
	}
	p := onePayment(t, d.state)
	errs = runSim(t, d, "", "--provider", "acountpay", "--pay-after", "never", "--settle", "1s")
	if !strings.Contains(errs, p.ID) {
		t.Errorf("the next run does not name the open payment %s:\n%s", p.ID, errs)
	}
}

// Without --state the state is a temporary directory: removed at exit when nothing is
// open, kept (and named) when a payment is.
func TestSimTemporaryStateKeptWhileOpen(t *testing.T) {
	skipShort(t)
	t.Parallel()
	stateRe := regexp.MustCompile(`state (\S+)\)`)
	dirOf := func(errs string) string {
		m := stateRe.FindStringSubmatch(errs)
		if m == nil {
			t.Fatalf("the ready line names no state directory:\n%s", errs)
		}
		return m[1]
	}
	for _, tc := range []struct {
		payAfter string
		kept     bool
	}{{"200ms", false}, {"never", true}} {
		_, errs, code := run(t, "2500\n", "sim", "--provider", "acountpay", "--pay-after", tc.payAfter, "--settle", "1s")
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, errs)
		}
		dir := dirOf(errs)
		_, err := os.Stat(filepath.Join(dir, "terminald.db"))
		if kept := err == nil; kept != tc.kept {
			t.Errorf("--pay-after %s: state %s kept = %v, want %v\n%s", tc.payAfter, dir, kept, tc.kept, errs)
		}
		if tc.kept {
			if !strings.Contains(errs, "--state "+dir) {
				t.Errorf("the kept state %s is not named with --state:\n%s", dir, errs)
			}
			os.RemoveAll(dir)
		}
	}
}
