package main

// End-to-end tests of the simulator's end of input through the built binary: a prompt
// nobody can answer any more ends, the payment ends, the simulator exits 0 saying what
// happened; the README's piped examples that pay, pay.

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/ecr/zvt"
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

// A register that answers the paid result with 84 66 00 gets no APPROVED sale receipt
// printed for the customer: only the "not confirmed" slip, then the reversal's refund
// slip (Accrue can reverse).
func TestECRRefusedResultPrintsNoApprovedSale(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := t.TempDir()
	to := "tcp://" + freeAddr(t)
	s := ecrtStartSim(t, dir, to, "--provider", "accrue", "--pay-after", "200ms")
	nc, err := net.Dial("tcp", strings.TrimPrefix(to, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	conn := zvt.NewTCPConn(nc, zvt.TCPConfig{})
	defer conn.Close()
	type res struct {
		si  *zvt.StatusInfo
		err error
	}
	done := make(chan res, 1)
	refuse := zvt.Nack(0x66) // 84 66 00
	go func() { si, err := ecrtRegisterAnswering(conn, 2500, "USD", &refuse); done <- res{si, err} }()
	s.chooseScan(t, 1)
	r := <-done
	if r.err != nil || r.si.ResultCode != 0 {
		t.Fatalf("register: %+v, %v\n%s", r.si, r.err, s.diag())
	}
	waitUntil(t, 20*time.Second, "the slip and the refund slip printed", func() bool {
		return strings.Contains(s.stderr(), "kind=unconfirmed") && strings.Contains(s.stderr(), "kind=refund")
	}, s.diag)
	s.term(t)
	doc := receipts(t, s.rfile)
	text := doc.Text()
	if strings.Contains(text, "APPROVED") || doc.Cuts() != 2 {
		t.Fatalf("a sale the register refused printed as approved, or not two slips (%d cuts):\n%s", doc.Cuts(), text)
	}
	slip, refund := strings.Index(text, "PAID - NOT CONFIRMED TO REGISTER"), strings.Index(text, "REFUND")
	if slip < 0 || refund < slip {
		t.Fatalf("want the not-confirmed slip, then the refund slip:\n%s", text)
	}
}

// At the end of input the simulator waits for payments in flight at most --settle, then
// exits 0 naming what is still open (it resumes at the next start with the same state).
func TestSimSettleBoundNamesWhatIsOpen(t *testing.T) {
	skipShort(t)
	t.Parallel()
	d := simDirsIn(t.TempDir())
	errs := runSim(t, d, "2500\n", "--provider", "acountpay", "--pay-after", "never", "--settle", "1s")
	p := onePayment(t, d.state)
	if p.State != "awaiting" {
		t.Fatalf("payment %+v, want still awaiting the customer", p)
	}
	if !strings.Contains(errs, "terminald sim: still open after 1s") || !strings.Contains(errs, p.ID) {
		t.Fatalf("stderr does not name the open payment %s:\n%s", p.ID, errs)
	}
}
