package main

// End-to-end tests of the cash-register (ZVT) link: `terminald sim --ecr ...` driven by
// `terminald ecr ...` processes over TCP and over a pair of ptys, plus a raw register
// written here that never acknowledges a result.

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/terminald/terminald/ecr/zvt"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/serialport"
)

// ecrtSim is a running `terminald sim --ecr ...`.
type ecrtSim struct {
	*simProc
	to string // the --ecr address, also what `ecr --to` takes
}

// ecrtStartSim starts the simulator in dir (state, receipts and screens live there) serving
// a register on to ("tcp://..." or "serial:...").
func ecrtStartSim(t *testing.T, dir, to string, args ...string) *ecrtSim {
	t.Helper()
	s := startSim(t, dir, append([]string{"--ecr", to, "--log-level", "info"}, args...)...)
	s.waitLogged(t, 20*time.Second, "listening for a cash register")
	return &ecrtSim{simProc: s, to: to}
}

// ecrtOut is the printed output of one `terminald ecr` run.
type ecrtOut struct {
	text string
	code int // exit status
}

// ecrtRun runs `terminald ecr ARGS --to TO` to completion.
func ecrtRun(t *testing.T, to string, args ...string) ecrtOut {
	t.Helper()
	all := append(append([]string{"ecr"}, args...), "--to", to, "--timeout", "40s")
	out, errs, code := run(t, "", all...)
	return ecrtOut{text: out + errs, code: code}
}

// result is the two hex digits of the decoded "result: XX ..." line.
func (o ecrtOut) result() string {
	for _, l := range strings.Split(o.text, "\n") {
		if rest, ok := strings.CutPrefix(l, "result: "); ok && len(rest) >= 2 {
			return rest[:2]
		}
	}
	return "none"
}

// received returns the APDUs the register received ("<- " lines) with command cmd.
func (o ecrtOut) received(t *testing.T, cmd uint16) []zvt.APDU {
	t.Helper()
	var as []zvt.APDU
	for _, l := range strings.Split(o.text, "\n") {
		h, ok := strings.CutPrefix(l, "<- ")
		if !ok {
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(h), " ", ""))
		if err != nil {
			t.Fatalf("ecr printed an APDU that is not hex: %q", l)
		}
		a, err := zvt.ParseAPDU(b)
		if err != nil {
			t.Fatalf("ecr printed an APDU that does not parse: %q: %v", l, err)
		}
		if a.Command() == cmd {
			as = append(as, a)
		}
	}
	return as
}

// status decodes the one Status-Information (04 0F) the register received.
func (o ecrtOut) status(t *testing.T) *zvt.StatusInfo {
	t.Helper()
	as := o.received(t, zvt.CmdStatusInfo)
	if len(as) != 1 {
		t.Fatalf("register received %d Status-Information (04 0F), want 1:\n%s", len(as), o.text)
	}
	si, err := zvt.ParseStatusInfo(as[0].Data)
	if err != nil {
		t.Fatalf("04 0F does not decode: %v\n%s", err, o.text)
	}
	return si
}

// lines are the receipt lines (06 D1) the register received, decoded.
func (o ecrtOut) lines(t *testing.T) []string {
	t.Helper()
	var ls []string
	for _, a := range o.received(t, zvt.CmdPrintLine) {
		ls = append(ls, zvt.DecodeText(a.Data[1:]))
	}
	return ls
}

// want checks the exit status and the result code.
func (o ecrtOut) want(t *testing.T, rc string) {
	t.Helper()
	code := 0
	if rc != "00" {
		code = 1
	}
	if o.result() != rc || o.code != code {
		t.Fatalf("result %s exit %d, want result %s exit %d:\n%s", o.result(), o.code, rc, code, o.text)
	}
}

func ecrtHas(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// Registration, payment, abort after the customer paid, end-of-day, and the refusals of a
// provider that cannot refund, over TCP with AcountPay (DKK).
func TestECRTCPAcountPay(t *testing.T) {
	skipShort(t)
	t.Parallel()
	to := "tcp://" + freeAddr(t)
	s := ecrtStartSim(t, t.TempDir(), to, "--pay-after", "200ms")

	reg := ecrtRun(t, to, "register", "--currency", "DKK")
	reg.want(t, "00")
	if c := reg.received(t, zvt.CmdCompletion); len(c) != 1 || !strings.Contains(c[0].String(), "49 02 08") {
		t.Fatalf("registration completion %v, want 06 0F echoing currency 49 02 08:\n%s", c, reg.text)
	}

	pay := ecrtRun(t, to, "pay", "12.34", "--currency", "DKK")
	pay.want(t, "00")
	si := pay.status(t)
	if !si.HasAmount || si.Amount != 1234 || si.Currency != 208 || si.ResultCode != 0 || si.Receipt == 0 || si.TerminalID != 12345678 {
		t.Fatalf("04 0F = %+v, want result 00, amount 12.34 DKK, a receipt number, terminal 12345678:\n%s", si, pay.text)
	}
	if ls := pay.lines(t); !ecrtHas(ls, "Amount 12.34 DKK") || !ecrtHas(ls, "APPROVED") {
		t.Fatalf("receipt lines (06 D1) = %q, want the amount and APPROVED", ls)
	}
	if !strings.Contains(pay.text, "<- 06 0F 00") {
		t.Fatalf("payment did not end with completion 06 0F 00:\n%s", pay.text)
	}
	receiptNo := si.Receipt

	// A second payment for the day's totals. (A register abort after the customer paid
	// at the bank is TestECRAbort's second half, where the order is made certain; racing
	// an abort timer against the customer here failed under load.)
	late := ecrtRun(t, to, "pay", "7.00", "--currency", "DKK")
	late.want(t, "00")
	if si := late.status(t); si.Amount != 700 || si.ResultCode != 0 {
		t.Fatalf("04 0F = %+v, want paid 7.00", si)
	}

	eod := ecrtRun(t, to, "end-of-day", "--currency", "DKK")
	eod.want(t, "00")
	tot := eod.status(t)
	if tot.Totals == nil {
		t.Fatalf("end-of-day 04 0F carries no individual totals (60):\n%s", eod.text)
	}
	var groupSum int64
	var groupCount int
	for i := range tot.Totals.Count {
		groupSum += tot.Totals.Amount[i]
		groupCount += int(tot.Totals.Count[i])
	}

	// AcountPay cannot refund from the terminal: a clear refusal, not a system error.
	rev := ecrtRun(t, to, "reverse", fmt.Sprint(receiptNo), "--currency", "DKK")
	rev.want(t, "B5")
	if !strings.Contains(rev.text, "<- 06 1E 01 B5") || !ecrtHas(rev.lines(t), "REVERSAL NOT POSSIBLE") {
		t.Fatalf("reversal refusal not clear:\n%s", rev.text)
	}
	ref := ecrtRun(t, to, "refund", "1.00", "--currency", "DKK")
	ref.want(t, "83")
	if !ecrtHas(ref.lines(t), "NOT POSSIBLE") {
		t.Fatalf("refund refusal not clear:\n%s", ref.text)
	}
	// A wrong currency is refused at once.
	ecrtRun(t, to, "pay", "1.00", "--currency", "EUR").want(t, "6F")

	// The terminal prints at its own pace: let it finish before stopping it.
	waitUntil(t, 20*time.Second, "the 7.00 receipt", func() bool { return strings.Contains(s.printed(), onReceipt(t, "7.00", "DKK")) }, s.diag)
	s.term(t)
	ps := payments(t, s.state)
	var paidSum int64
	var paid int
	for _, p := range ps {
		if p.State == "paid" {
			paidSum += p.Minor
			paid++
		}
		if p.Refunded != 0 || p.PaidLate || p.Unconfirmed {
			t.Errorf("payment %+v: refunded, late or unconfirmed", p)
		}
	}
	if p := byAmount(ps, "12.34"); p == nil || p.State != "paid" || p.Currency != "DKK" || p.Provider != "acountpay" || p.Receipt != receiptNo {
		t.Fatalf("payments = %+v, want 12.34 DKK paid with receipt %d", ps, receiptNo)
	}
	if p := byAmount(ps, "7.00"); p == nil || p.State != "paid" {
		t.Fatalf("payments = %+v, want the aborted-too-late 7.00 paid", ps)
	}
	if len(ps) != 2 || paid != 2 || tot.Amount != paidSum || groupSum != paidSum || groupCount != paid || paidSum != 1934 {
		t.Fatalf("end-of-day total %d, groups %d in %d transactions; paid payments sum %d in %d (%+v)",
			tot.Amount, groupSum, groupCount, paidSum, paid, ps)
	}
	if doc := receipts(t, s.rfile); !strings.Contains(doc.Text(), onReceipt(t, "12.34", "DKK")) || !strings.Contains(doc.Text(), onReceipt(t, "7.00", "DKK")) {
		t.Fatalf("terminal printer:\n%s\n%s", doc.Text(), s.diag())
	}
}

// A register abort while nobody pays ends the payment 6C and cancelled; an abort sent right
// after the customer paid at the bank reports the payment, paid.
func TestECRAbort(t *testing.T) {
	skipShort(t)
	t.Parallel()
	to := "tcp://" + freeAddr(t)
	s := ecrtStartSim(t, t.TempDir(), to, "--pay-after", "never")
	ecrtRun(t, to, "register", "--currency", "DKK").want(t, "00")

	ab := ecrtRun(t, to, "pay", "3.00", "--currency", "DKK", "--abort-after", "1s")
	ab.want(t, "6C")
	if !strings.Contains(ab.text, "-> 06 B0") || !strings.Contains(ab.text, "abort answer: 80 00 00") || !strings.Contains(ab.text, "<- 06 1E 01 6C") {
		t.Fatalf("abort exchange:\n%s", ab.text)
	}
	if si := ab.status(t); si.ResultCode != 0x6C || si.Amount != 300 {
		t.Fatalf("04 0F = %+v, want result 6C for 3.00", si)
	}
	if ls := ab.lines(t); !ecrtHas(ls, "NOT PAID") {
		t.Fatalf("receipt lines %q, want NOT PAID", ls)
	}

	// The same race, made certain: the customer pays at the bank page, then the register
	// aborts before the terminal has polled.
	qrs := len(s.shots("qr"))
	nc, err := net.Dial("tcp", strings.TrimPrefix(to, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	c := &zvt.Client{Conn: zvt.NewTCPConn(nc, zvt.TCPConfig{}), Password: "000000", Currency: "DKK", T4: 40 * time.Second}
	defer c.Conn.Close()
	type res struct {
		out *zvt.Outcome
		err error
	}
	done := make(chan res, 1)
	go func() {
		out, err := c.Pay(context.Background(), money.New(400, "DKK"))
		done <- res{out, err}
	}()
	s.waitShots(t, "qr", qrs+1)
	files := s.shots("qr")
	url := qrOf(t, files[len(files)-1])
	resp, err := httpClient().Get(url)
	if err != nil {
		t.Fatalf("customer opens the bank page %s: %v", url, err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ans, err := c.Abort(ctx)
	if err != nil {
		t.Fatalf("abort: %v", err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("pay: %v", r.err)
	}
	// The answer to 06 B0 depends on how soon the terminal learns the payment was made:
	// within AbortWait it refuses the abort (84 83 00, too late); later it acknowledges
	// it (80 00 00) and the real outcome follows. ZVT allows both: the result that
	// follows is what counts, and it must be paid (on a loaded machine the terminal's last
	// look at the provider can take longer than AbortWait).
	if a := ans.String(); a != "84 83 00" && a != "80 00 00" || r.out.Code != 0 || r.out.Status == nil || r.out.Status.Amount != 400 {
		t.Fatalf("abort answered %s, outcome %+v; want 84 83 00 (too late) or 80 00 00, then paid 4.00", ans, r.out)
	}

	s.term(t)
	ps := payments(t, s.state)
	if p := byAmount(ps, "3.00"); p == nil || p.State != "cancelled" {
		t.Fatalf("payments = %+v, want 3.00 cancelled", ps)
	}
	if p := byAmount(ps, "4.00"); p == nil || p.State != "paid" || p.PaidLate {
		t.Fatalf("payments = %+v, want 4.00 paid (not late: the abort never took effect)", ps)
	}
}

// chooseScan presses 1 (scan wallet code) when Accrue asks how the customer pays; the
// simulated customer then shows the wallet code.
func (s *ecrtSim) chooseScan(t *testing.T, n int) {
	t.Helper()
	s.waitShots(t, "choose", n)
	s.keys(t, "1")
}

// payAccrue runs `ecr pay` against an Accrue simulator, answering the terminal's
// "how does the customer pay" question on its keypad.
func (s *ecrtSim) payAccrue(t *testing.T, amount string) ecrtOut {
	t.Helper()
	n := len(s.shots("choose"))
	outc := make(chan ecrtOut, 1)
	go func() { outc <- ecrtRun(t, s.to, "pay", amount, "--currency", "USD") }()
	s.chooseScan(t, n+1)
	return <-outc
}

// Accrue can refund: the register's reversal by receipt number and its refund by amount
// both go through (00).
func TestECRTCPAccrueReversalAndRefund(t *testing.T) {
	skipShort(t)
	t.Parallel()
	to := "tcp://" + freeAddr(t)
	s := ecrtStartSim(t, t.TempDir(), to, "--provider", "accrue", "--pay-after", "200ms")
	ecrtRun(t, to, "register", "--currency", "USD").want(t, "00")

	first := s.payAccrue(t, "12.34")
	first.want(t, "00")
	si := first.status(t)
	rev := ecrtRun(t, to, "reverse", fmt.Sprint(si.Receipt), "--currency", "USD")
	rev.want(t, "00")
	if rsi := rev.status(t); rsi.Amount != 1234 || rsi.OrigTrace != si.Trace {
		t.Fatalf("reversal 04 0F = %+v, want 12.34 with original trace %d", rsi, si.Trace)
	}
	// A second reversal of the same receipt is refused.
	ecrtRun(t, to, "reverse", fmt.Sprint(si.Receipt), "--currency", "USD").want(t, "B4")

	second := s.payAccrue(t, "5.00")
	second.want(t, "00")
	ref := ecrtRun(t, to, "refund", "2.00", "--currency", "USD")
	ref.want(t, "00")
	if rsi := ref.status(t); rsi.Amount != 200 || !ecrtHas(ref.lines(t), "APPROVED") {
		t.Fatalf("refund 04 0F = %+v, lines %q", rsi, ref.lines(t))
	}
	waitUntil(t, 20*time.Second, "two refund receipts printed", func() bool {
		return strings.Count(s.stderr(), "kind=refund") >= 2
	}, s.diag)

	s.term(t)
	ps := payments(t, s.state)
	if p := byAmount(ps, "12.34"); p == nil || p.State != "paid" || p.Refunded != 1234 {
		t.Fatalf("payments = %+v, want 12.34 refunded in full", ps)
	}
	if p := byAmount(ps, "5.00"); p == nil || p.State != "paid" || p.Refunded != 200 {
		t.Fatalf("payments = %+v, want 2.00 of 5.00 refunded", ps)
	}
	if doc := receipts(t, s.rfile); strings.Count(doc.Text(), "REFUND ") != 2 || strings.Contains(doc.Text(), "FAILED") {
		t.Fatalf("terminal printed no refund receipts:\n%s", doc.Text())
	}
}

// Registration and a payment over serial: the simulator on one pty, `terminald ecr` on
// another, the test relaying the bytes between the two masters like a null-modem cable.
func TestECRSerialPty(t *testing.T) {
	skipShort(t)
	t.Parallel()
	ttyPT, ttyECR := nullModem(t)

	s := ecrtStartSim(t, t.TempDir(), "serial:"+ttyPT, "--pay-after", "200ms")
	to := "serial:" + ttyECR
	reg := ecrtRun(t, to, "register", "--currency", "DKK")
	reg.want(t, "00")
	pay := ecrtRun(t, to, "pay", "12.34", "--currency", "DKK")
	pay.want(t, "00")
	if si := pay.status(t); si.Amount != 1234 || si.Currency != 208 {
		t.Fatalf("04 0F = %+v, want 12.34 DKK", si)
	}
	if ls := pay.lines(t); !ecrtHas(ls, "APPROVED") {
		t.Fatalf("receipt lines %q", ls)
	}
	s.term(t)
	if ps := payments(t, s.state); len(ps) != 1 || ps[0].State != "paid" || ps[0].Amount != "12.34" {
		t.Fatalf("payments = %+v, want one paid 12.34", ps)
	}
}

// ecrtSilentRegister pays amount over a raw TCP connection (conn, kept open), answering
// everything up to the Status-Information (04 0F), which it never acknowledges. It returns
// that 04 0F.
func ecrtSilentRegister(conn zvt.Conn, amount int64, cur string) (*zvt.StatusInfo, error) {
	return ecrtRegisterAnswering(conn, amount, cur, nil)
}

// ecrtRegisterAnswering is ecrtSilentRegister that answers the 04 0F with answer, when
// not nil (e.g. 84 66 00: the register refuses the result).
func ecrtRegisterAnswering(conn zvt.Conn, amount int64, cur string, answer *zvt.APDU) (*zvt.StatusInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := money.Lookup(cur)
	if err != nil {
		return nil, err
	}
	af, _ := zvt.BCDField(zvt.BMPAmount, uint64(amount))
	cf, _ := zvt.BCDField(zvt.BMPCurrency, uint64(c.Numeric))
	data, _ := zvt.AppendFields(nil, af, cf)
	if err := conn.Send(ctx, zvt.APDU{Class: 0x06, Instr: 0x01, Data: data}); err != nil {
		return nil, err
	}
	for {
		a, err := conn.Recv(ctx)
		if err != nil {
			return nil, fmt.Errorf("register: %w", err)
		}
		switch {
		case a.Command() == zvt.CmdStatusInfo:
			si, err := zvt.ParseStatusInfo(a.Data)
			if err != nil || answer == nil {
				return si, err // never acknowledged
			}
			return si, conn.Send(ctx, *answer)
		case a.Command() == zvt.CmdIntermediate:
			if err := conn.Send(ctx, zvt.Ack); err != nil {
				return nil, err
			}
		case !a.IsAnswer():
			return nil, fmt.Errorf("register got %s before the result", a)
		case a.AnswerCode() != 0:
			return nil, fmt.Errorf("payment refused: %s", a)
		}
	}
}

// The register never acknowledges the result, then the terminal is killed -9. On restart
// the payment is flagged "paid, not confirmed to register"; where the provider can refund
// (Accrue) the terminal also reverses it.
func TestECRUnacknowledgedResultAfterKill9(t *testing.T) {
	skipShort(t)
	for _, tc := range []struct {
		provider, cur string
		reversed      bool
	}{{"acountpay", "DKK", false}, {"accrue", "USD", true}} {
		t.Run(tc.provider, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			to := "tcp://" + freeAddr(t)
			// The provider outlives the terminal: a separate sandbox process.
			sb := sandbox(t, tc.provider)
			s := ecrtStartSim(t, dir, to, "--sandbox", sb, "--provider", tc.provider, "--pay-after", "200ms")
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
			go func() { si, err := ecrtSilentRegister(conn, 2500, tc.cur); done <- res{si, err} }()
			if tc.provider == "accrue" {
				s.chooseScan(t, 1)
			}
			r := <-done
			if r.err != nil {
				t.Fatalf("%v\n%s", r.err, s.diag())
			}
			si := r.si
			if si.ResultCode != 0 || si.Amount != 2500 {
				t.Fatalf("04 0F = %+v, want paid 25.00", si)
			}
			s.kill9()
			if ps := payments(t, s.state); len(ps) != 1 || ps[0].State != "paid" || ps[0].Unconfirmed {
				t.Fatalf("after kill -9: %+v, want one paid payment not yet flagged", ps)
			}

			s = ecrtStartSim(t, dir, "tcp://"+freeAddr(t), "--sandbox", sb, "--provider", tc.provider, "--pay-after", "never")
			waitUntil(t, 20*time.Second, "the NOT CONFIRMED slip", func() bool {
				return strings.Contains(s.printed(), "NOT CONFIRMED")
			}, s.diag)
			if tc.reversed {
				waitUntil(t, 20*time.Second, "the reversal's refund receipt", func() bool {
					return strings.Contains(s.printed(), "REFUND")
				}, s.diag)
			}
			// Printed at the printer's pace: wait for the last cut before stopping.
			waitUntil(t, 20*time.Second, "printing to end", func() bool {
				return strings.Contains(s.stderr(), "kind=unconfirmed") && (!tc.reversed || strings.Contains(s.stderr(), "kind=refund"))
			}, s.diag)
			s.term(t)
			doc := receipts(t, s.rfile)
			if !strings.Contains(doc.Text(), "PAID - NOT CONFIRMED TO REGISTER") || !strings.Contains(doc.Text(), onReceipt(t, "25.00", tc.cur)) {
				t.Fatalf("slip:\n%s", doc.Text())
			}
			ps := payments(t, s.state)
			if len(ps) != 1 || ps[0].State != "paid" || !ps[0].Unconfirmed || ps[0].Receipt != si.Receipt {
				t.Fatalf("after restart: %+v, want the payment paid and unconfirmed: true", ps)
			}
			if tc.reversed && (!strings.Contains(doc.Text(), "Reference                  "+ps[0].ID+"-R1") || strings.Contains(doc.Text(), "FAILED")) {
				t.Fatalf("reversal receipt missing or failed:\n%s", doc.Text())
			}
			if want := map[bool]int64{true: 2500}[tc.reversed]; ps[0].Refunded != want {
				t.Fatalf("refunded %d, want %d (%s)\n%s\n%s", ps[0].Refunded, want, tc.provider, doc.Text(), s.diag())
			}
		})
	}
}

// SIGTERM while a register waits for a payment (QR shown, and again while its abort is
// being handled), over TCP and over a pty pair, ends the simulator within a few seconds,
// the TCP register gets an answer or a closed link, and the store keeps the payment's
// true state (issue 18).
func TestECRSigtermWhileRegisterWaits(t *testing.T) {
	skipShort(t)
	t.Parallel()
	for _, link := range []string{"tcp", "pty"} {
		for _, abort := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/abort=%v", link, abort), func(t *testing.T) {
				ecrtSigtermWhileWaiting(t, link, abort)
			})
		}
	}
}

func ecrtSigtermWhileWaiting(t *testing.T, link string, abort bool) {
	var to string
	var conn zvt.Conn
	switch link {
	case "tcp":
		to = "tcp://" + freeAddr(t)
	case "pty":
		ttyPT, ttyECR := nullModem(t)
		to = "serial:" + ttyPT
		port, err := serialport.Open(serialport.Config{Name: ttyECR, Baud: 9600, StopBits: 2, ReadTimeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		conn = zvt.NewSerialConn(port, zvt.SerialConfig{})
	}
	s := ecrtStartSim(t, t.TempDir(), to, "--pay-after", "never")
	if conn == nil {
		nc, err := net.Dial("tcp", strings.TrimPrefix(to, "tcp://"))
		if err != nil {
			t.Fatal(err)
		}
		conn = zvt.NewTCPConn(nc, zvt.TCPConfig{})
	}
	c := &zvt.Client{Conn: conn, Password: "000000", Currency: "DKK", T4: 60 * time.Second}
	defer c.Conn.Close()
	done := make(chan error, 1)
	go func() {
		_, err := c.Pay(context.Background(), money.New(1234, "DKK"))
		done <- err
	}()
	s.waitShots(t, "qr", 1)
	if abort {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c.Abort(ctx)
		}()
	}
	start := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Signal(syscall.SIGQUIT) // ends it with a goroutine dump in its stderr
		<-s.done
		t.Fatalf("simulator still running 10 s after SIGTERM\n%s", s.diag())
	}
	if link == "tcp" { // a serial line has no hang-up to notice: the register times out there
		select {
		case <-done: // a result or a closed link: either way the register is not left hanging
		case <-time.After(5 * time.Second):
			t.Fatalf("register still waiting %s after the simulator exited", time.Since(start).Round(time.Millisecond))
		}
	}
	p := byAmount(payments(t, s.state), "12.34")
	if p == nil || p.State == "paid" || p.State == "new" {
		t.Fatalf("payment after SIGTERM = %+v, want it in the store, not paid", p)
	}
	if left := running(t, s.state); len(left) > 0 {
		t.Fatalf("still running after the simulator exited: %v", left)
	}
}

// running lists the processes whose command line mentions marker (a test's own state
// directory): what a stopped terminald must not leave behind.
func running(t *testing.T, marker string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmd, []byte(marker)) {
			out = append(out, e.Name()+": "+string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
		}
	}
	return out
}

// The same through `terminald run`, which here has no display (driver "none"): the
// register's payment is refused before anything starts — no customer could scan its QR —
// with "function not possible" and a line naming the display's state; SIGTERM with the
// register connected still ends the daemon within a few seconds (issue 18). The engine
// side of SIGTERM while a QR waits is TestECRSigtermWhileRegisterWaits (the simulator has
// a display).
func TestDaemonRunSigtermWhileRegisterWaits(t *testing.T) {
	skipShort(t)
	t.Parallel()
	url := sandbox(t, "acountpay")
	for _, abort := range []bool{false, true} {
		t.Run(fmt.Sprintf("abort=%v", abort), func(t *testing.T) {
			dir := t.TempDir()
			state := simDirsIn(dir).state
			sock := adminSock(t)
			ecr := freeAddr(t)
			cfg := dmnConfig(t, dir, url, state, sock, freeAddr(t))
			text, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			text = fmt.Appendf(text, "\n[ecr]\nlisten = %q\npassword = \"000000\"\nterminal_id = \"12345678\"\nbaud = 9600\n", "tcp://"+ecr)
			if err := os.WriteFile(cfg, text, 0o600); err != nil {
				t.Fatal(err)
			}
			p := start(t, nil, "run", "--config", cfg)
			dmnWaitAdmin(t, p, sock)
			nc, err := net.Dial("tcp", ecr)
			if err != nil {
				t.Fatal(err)
			}
			c := &zvt.Client{Conn: zvt.NewTCPConn(nc, zvt.TCPConfig{}), Password: "000000", Currency: "DKK", T4: 60 * time.Second}
			defer c.Conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := c.Pay(ctx, money.New(1234, "DKK"))
			if err != nil {
				t.Fatalf("register payment: %v\n%s", err, p.diag())
			}
			if res.Code != zvt.RCNotPossible {
				t.Fatalf("register payment with no display: code %#x (lines %q), want %#x\n%s", res.Code, res.Lines, zvt.RCNotPossible, p.diag())
			}
			if !strings.Contains(p.stderr(), "display: missing") {
				t.Errorf("the daemon's log does not say the display is missing\n%s", p.diag())
			}
			done := make(chan error, 1)
			go func() {
				// The register waits on its link: an abort (answered or not), or a status
				// enquiry, while the daemon stops.
				if abort {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					_, err := c.Abort(ctx)
					done <- err
					return
				}
				done <- nil
			}()
			p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				p.cmd.Process.Signal(syscall.SIGQUIT) // ends it with a goroutine dump in its stderr
				<-p.done
				t.Fatalf("terminald run still running 10 s after SIGTERM\n%s", p.diag())
			}
			if !strings.Contains(p.stderr(), "stopping in order") || !strings.Contains(p.stderr(), "nothing in flight") {
				t.Errorf("the stop did not go through its order\n%s", p.diag())
			}
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("register still waiting after the daemon exited")
			}
			if q := byAmount(payments(t, state), "12.34"); q != nil {
				t.Fatalf("a payment was started with no display: %+v", q)
			}
		})
	}
}
