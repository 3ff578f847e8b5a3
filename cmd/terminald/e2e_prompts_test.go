package main

// End-to-end tests of the simulator's end of input through the built binary: a prompt
// nobody can answer any more ends, the payment ends, the simulator exits 0 saying what
// happened; the README's piped examples that pay, pay.

import (
	"strings"
	"testing"
)

// At the end of its input the simulator cancels the prompt nobody can answer (Accrue's
// method choice, the crypto quote confirmation) and exits 0 with a line saying so.
func TestSimEndOfInputEndsPrompt(t *testing.T) {
	skipShort(t)
	for _, tc := range []struct{ provider, keys string }{
		{"accrue", "2500\n"},
		{"cryptogw", "4825\n"},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			t.Parallel()
			d := simDirsIn(t.TempDir())
			errs := runSim(t, d, tc.keys, "--provider", tc.provider)
			p := onePayment(t, d.state)
			if p.State != "cancelled" {
				t.Fatalf("payment %+v, want cancelled", p)
			}
			if want := "terminald sim: payment " + p.ID; !strings.Contains(errs, want) || !strings.Contains(errs, "cancelled (Input ended)") {
				t.Fatalf("stderr does not say how %s ended:\n%s", p.ID, errs)
			}
			if strings.Contains(d.printed(), "APPROVED") {
				t.Fatal("a cancelled payment printed as approved")
			}
		})
	}
}

// The README's piped examples, one per provider, pay and exit 0.
func TestSimPipedExamplesPay(t *testing.T) {
	skipShort(t)
	for _, tc := range []struct{ provider, keys string }{
		{"acountpay", "2500\n"},
		{"accrue", "2500\n1"},    // method 1 = scan; the simulated customer scans its wallet
		{"cryptogw", "4825\n\n"}, // OK on the quote
	} {
		t.Run(tc.provider, func(t *testing.T) {
			t.Parallel()
			d := simDirsIn(t.TempDir())
			errs := runSim(t, d, tc.keys, "--provider", tc.provider, "--pay-after", "200ms")
			p := onePayment(t, d.state)
			if p.State != "paid" || p.Receipt == 0 {
				t.Fatalf("payment %+v, want paid with a receipt; stderr:\n%s", p, errs)
			}
			if !strings.Contains(errs, "terminald sim: payment "+p.ID) || !strings.Contains(errs, "terminald sim: nothing open") {
				t.Fatalf("stderr does not say how %s ended:\n%s", p.ID, errs)
			}
		})
	}
}
