package zvt

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/money"
)

func eur(minor int64) money.Amount { return money.New(minor, "EUR") }

func TestRegistrationAndPay(t *testing.T) {
	term := newFakeTerm()
	logs := &logBuf{}
	c := dialClient(t, startTCP(t, term, testConfig(logs)))
	c.Currency = "EUR"
	out, err := c.Register(context.Background())
	if err != nil || out.Code != 0 || out.Refused {
		t.Fatalf("register: %+v %v", out, err)
	}
	if v, _ := out.Completion.Get(BMPCurrency); !bytes.Equal(v, []byte{0x09, 0x78}) {
		t.Fatalf("registration completion lacks 49 09 78: %v", out.Completion)
	}
	out, err = c.Pay(context.Background(), eur(1234))
	if err != nil || out.Code != RCOK || out.Status == nil {
		t.Fatalf("pay: %+v %v", out, err)
	}
	si := out.Status
	if si.Amount != 1234 || si.Trace != 42 || si.Receipt != 7 || si.TerminalID != 12345678 || si.Text != "acme REF1" ||
		si.Currency != 978 || si.Time != "150926" || si.Date != "0314" {
		t.Fatalf("status info %+v", si)
	}
	if len(out.Lines) != 2 || out.Lines[1] != "Total 12.34 EUR" {
		t.Fatalf("receipt lines %q", out.Lines)
	}
	if len(out.Intermediate) == 0 {
		t.Fatal("no 04 FF although config 08 was registered")
	}
	select {
	case r := <-term.confirmed:
		if r.Op != OpPay || r.Amount != eur(1234) {
			t.Fatalf("confirmed %+v", r)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("payment not confirmed")
	}
	if s := logs.String(); strings.Contains(s, "06 00 06 12 34 56") || !strings.Contains(s, "06 00 06 ** ** **") {
		t.Fatalf("password not masked in logs:\n%s", s)
	}
}

func TestRegistrationRefusals(t *testing.T) {
	c := dialClient(t, startTCP(t, newFakeTerm(), testConfig(nil)))
	c.Currency = "DKK"
	out, err := c.Register(context.Background())
	if err != nil || !out.Refused || out.Code != RCWrongCurrency {
		t.Fatalf("wrong currency: %+v %v", out, err)
	}
	c.Currency, c.Password = "", "654321"
	out, err = c.Register(context.Background())
	if err != nil || !out.Refused {
		t.Fatalf("wrong password: %+v %v", out, err)
	}
}

func TestPayExpiredNoCurrencyEcho(t *testing.T) {
	term := newFakeTerm()
	term.pay = func(ctx context.Context, amt money.Amount, p func(Progress)) (*Result, error) {
		p(Progress{Status: StatusShowCode})
		return &Result{Code: RCAborted, Amount: amt, Trace: 9, Time: testTime, Lines: []string{"EXPIRED"}}, nil
	}
	c := dialClient(t, startTCP(t, term, testConfig(nil)))
	out, err := c.Pay(context.Background(), eur(500))
	if err != nil || out.Code != RCAborted || out.Status == nil || out.Status.ResultCode != RCAborted {
		t.Fatalf("expired: %+v %v", out, err)
	}
	if out.Status.Fields.Has(BMPCurrency) {
		t.Fatal("49 echoed although the ECR sent no currency")
	}
	if len(out.Lines) != 1 {
		t.Fatalf("failure slip lines %q (default config 86 asks for them)", out.Lines)
	}
	select {
	case r := <-term.confirmed:
		t.Fatalf("failed payment confirmed: %+v", r)
	default:
	}
}

func TestAbortMidPayment(t *testing.T) {
	for _, late := range []bool{false, true} {
		t.Run(map[bool]string{false: "cancelled", true: "customer-already-paid"}[late], func(t *testing.T) {
			term := newFakeTerm()
			started := make(chan struct{})
			term.pay = func(ctx context.Context, amt money.Amount, p func(Progress)) (*Result, error) {
				close(started)
				<-ctx.Done()
				if late {
					return paid(amt), nil
				}
				return &Result{Code: RCAborted, Amount: amt, Time: testTime}, nil
			}
			c := dialClient(t, startTCP(t, term, testConfig(nil)))
			go func() {
				<-started
				c.Abort(context.Background())
			}()
			out, err := c.Pay(context.Background(), eur(100))
			if err != nil || out.AbortAnswer == nil {
				t.Fatalf("pay: %+v %v", out, err)
			}
			if late {
				if out.Code != RCOK || out.AbortAnswer.Class != 0x84 {
					t.Fatalf("late abort: code %02X, abort answer %v", out.Code, out.AbortAnswer)
				}
				<-term.confirmed
			} else if out.Code != RCAborted || out.AbortAnswer.String() != "80 00 00" {
				t.Fatalf("abort: code %02X, abort answer %v", out.Code, out.AbortAnswer)
			}
		})
	}
}

func TestReversalRefundEndOfDayStatus(t *testing.T) {
	term := newFakeTerm()
	c := dialClient(t, startTCP(t, term, testConfig(nil)))
	ctx := context.Background()
	out, err := c.Reverse(ctx, 7)
	if err != nil || out.Code != 0 || out.Status.OrigTrace != 42 {
		t.Fatalf("reverse: %+v %v", out, err)
	}
	out, err = c.Refund(ctx, eur(250))
	if err != nil || out.Code != 0 || out.Status.Amount != 250 {
		t.Fatalf("refund: %+v %v", out, err)
	}
	term.mu.Lock()
	if len(term.reversed) != 1 || term.reversed[0] != 7 || term.refunded[0] != eur(250) {
		t.Fatalf("terminal saw reversed %v refunded %v", term.reversed, term.refunded)
	}
	term.mu.Unlock()
	out, err = c.EndOfDay(ctx)
	if err != nil || out.Code != 0 || out.Status.Totals == nil || out.Status.Totals.Count[TotalsOther] != 3 || out.Status.Amount != 5000 {
		t.Fatalf("end of day: %+v %v", out, err)
	}
	out, err = c.Status(ctx)
	if v, _ := out.Completion.Get(BMPPaymentType); err != nil || !bytes.Equal(v, []byte{TerminalReady}) {
		t.Fatalf("status: %+v %v", out, err)
	}
	term.ready = false
	out, _ = c.Status(ctx)
	if v, _ := out.Completion.Get(BMPPaymentType); !bytes.Equal(v, []byte{TerminalNotReady}) {
		t.Fatalf("status not ready: %v", out.Completion)
	}
	out, err = c.LogOff(ctx)
	if err != nil || out.Refused {
		t.Fatalf("log off: %+v %v", out, err)
	}
}

// rawConn speaks bytes to the server for exact golden checks.
type rawConn struct {
	t  *testing.T
	nc net.Conn
}

func dialRaw(t *testing.T, addr string) *rawConn {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t, nc}
}

func (r *rawConn) send(h string) {
	r.t.Helper()
	if _, err := r.nc.Write(mustHex(r.t, h)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawConn) recv() APDU {
	r.t.Helper()
	r.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	a, err := ReadAPDU(r.nc)
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	return a
}

func (r *rawConn) expect(want string) {
	r.t.Helper()
	if got := r.recv().String(); got != want {
		r.t.Fatalf("got %s, want %s", got, want)
	}
}

func TestGoldenServerAnswers(t *testing.T) {
	term := newFakeTerm()
	term.pay = func(ctx context.Context, amt money.Amount, p func(Progress)) (*Result, error) {
		return &Result{Code: RCAborted, Amount: amt, Trace: 1, Receipt: 2, Time: testTime}, nil
	}
	r := dialRaw(t, startTCP(t, term, testConfig(nil)))
	// Registration with config 00 (no receipts, no intermediate status), no currency.
	r.send("06 00 04 12 34 56 00")
	r.expect("80 00 00")
	r.expect("06 0F 07 19 00 29 12 34 56 78")
	r.send("80 00 00")
	// Unknown command.
	r.send("06 99 00")
	r.expect("84 83 00")
	// Authorization that expires: minimal 04 0F, bare 06 1E 6C.
	r.send("06 01 07 04 00 00 00 00 01 00")
	r.expect("80 00 00")
	r.expect("04 0F 1C 27 6C 04 00 00 00 00 01 00 0B 00 00 01 0C 15 09 26 0D 03 14 87 00 02 29 12 34 56 78")
	r.send("80 00 00")
	r.expect("06 1E 01 6C")
	r.send("80 00 00")
	// Wrong currency in an authorization.
	r.send("06 01 0A 04 00 00 00 00 01 00 49 02 08")
	r.expect("84 6F 00")
	// Unknown BMP in an authorization.
	r.send("06 01 02 FE 00")
	r.expect("84 9A 00")
	// Abort with nothing running, log-off.
	r.send("06 B0 00")
	r.expect("84 83 00")
	r.send("06 02 00")
	r.expect("80 00 00")
}

func TestBusyResendAndGoodsNotIssued(t *testing.T) {
	term := newFakeTerm()
	r := dialRaw(t, startTCP(t, term, testConfig(nil)))
	r.send("06 00 04 12 34 56 00")
	r.expect("80 00 00")
	r.recv()
	r.send("80 00 00")
	r.send("06 01 07 04 00 00 00 00 12 34")
	r.expect("80 00 00")
	first := r.recv()
	r.send("84 9C 00") // please wait: the PT resends
	if again := r.recv(); again.String() != first.String() {
		t.Fatalf("after 84 9C got %s, want the same %s", again, first)
	}
	r.send("84 66 00") // goods not issued
	select {
	case res := <-term.unconfirmed:
		if res.Amount != eur(1234) {
			t.Fatalf("unconfirmed %+v", res)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Unconfirmed not called after 84 66")
	}
	r.expect("06 1E 01 6C")
	select {
	case <-term.confirmed:
		t.Fatal("refused payment confirmed")
	default:
	}
}

func TestECRNeverAcks(t *testing.T) {
	term := newFakeTerm()
	r := dialRaw(t, startTCP(t, term, testConfig(nil)))
	r.send("06 01 07 04 00 00 00 00 12 34")
	r.expect("80 00 00")
	if a := r.recv(); a.Command() != CmdStatusInfo {
		t.Fatalf("got %s, want 04 0F", a)
	}
	// no answer: after T3 the payment is unconfirmed
	select {
	case res := <-term.unconfirmed:
		if res.Code != RCOK || res.Op != OpPay {
			t.Fatalf("unconfirmed %+v", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Unconfirmed not called")
	}
}

func TestLinkDiesDuringPayment(t *testing.T) {
	term := newFakeTerm()
	started := make(chan struct{})
	term.pay = func(ctx context.Context, amt money.Amount, p func(Progress)) (*Result, error) {
		close(started)
		<-ctx.Done() // link gone: the customer had paid meanwhile
		return paid(amt), nil
	}
	r := dialRaw(t, startTCP(t, term, testConfig(nil)))
	r.send("06 01 07 04 00 00 00 00 12 34")
	r.expect("80 00 00")
	<-started
	r.nc.Close()
	select {
	case <-term.unconfirmed:
	case <-time.After(5 * time.Second):
		t.Fatal("Unconfirmed not called after the link died")
	}
}

func TestSecondConnectionRefused(t *testing.T) {
	logs := &logBuf{}
	addr := startTCP(t, newFakeTerm(), testConfig(logs))
	c := dialClient(t, addr)
	if _, err := c.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := dialRaw(t, addr)
	r.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := r.nc.Read(make([]byte, 1)); err == nil || errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("second connection not closed: %v", err)
	}
	if !strings.Contains(logs.String(), "refusing second register connection") {
		t.Fatalf("no log line for the refused connection:\n%s", logs.String())
	}
	// The first connection still works.
	if out, err := c.Status(context.Background()); err != nil || out.Code != 0 {
		t.Fatalf("first connection after refusal: %+v %v", out, err)
	}
}

func TestSerialServerClient(t *testing.T) {
	ptmx, tty := openPty(t)
	term := newFakeTerm()
	s, err := NewServer(term, testConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pt := NewSerialConn(tty, SerialConfig{T2: 300 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- s.ServeConn(ctx, pt) }()
	defer func() { cancel(); <-done }()
	ecr := NewSerialConn(ptmx, SerialConfig{T2: 300 * time.Millisecond})
	defer ecr.Close()
	c := &Client{Conn: ecr, Password: "123456", Currency: "EUR", T3: 2 * time.Second, T4: 5 * time.Second}
	if out, err := c.Register(ctx); err != nil || out.Code != 0 {
		t.Fatalf("register: %+v %v", out, err)
	}
	out, err := c.Pay(ctx, eur(1010)) // 10 10: DLE bytes in the amount get stuffed
	if err != nil || out.Code != 0 || out.Status.Amount != 1010 {
		t.Fatalf("pay: %+v %v", out, err)
	}
	<-term.confirmed
}
