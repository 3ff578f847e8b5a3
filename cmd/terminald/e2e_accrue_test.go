package main

// End-to-end tests of the Accrue wallet provider through the built binary: the cashier
// picks "Scan wallet code" or "Phone number", the simulated customer shows a demo wallet,
// and refunds are driven from the command line over the admin socket.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/providers/accrue"
	"github.com/terminald/terminald/store"
)

// accLine is one line of `terminald payments --json` with the fields these tests need.
type accLine struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
	Provider string `json:"provider"`
	Ref      string `json:"reference"`
	Receipt  int    `json:"receipt"`
	PaidLate bool   `json:"paid_late"`
	Refunded int64  `json:"refunded_minor"`
}

func accPayments(t *testing.T, state string) []accLine {
	t.Helper()
	out, errs, code := run(t, "", "payments", "--state", state, "--json")
	if code != 0 {
		t.Fatalf("payments: exit %d: %s", code, errs)
	}
	var ps []accLine
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var p accLine
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("payments --json line %q: %v", sc.Text(), err)
		}
		ps = append(ps, p)
	}
	return ps
}

// accOnePayment returns the only payment in state, failing unless there is exactly one.
func accOnePayment(t *testing.T, state string) accLine {
	t.Helper()
	ps := accPayments(t, state)
	if len(ps) != 1 {
		t.Fatalf("payments = %+v, want exactly one", ps)
	}
	return ps[0]
}

// accWait polls cond every 50 ms until it holds or within passes.
func accWait(t *testing.T, within time.Duration, what string, cond func() bool, diag func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s\n%s", within, what, diag())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// accBuffer is a bytes.Buffer safe for a process writing while the test reads.
type accBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *accBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *accBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// accSandbox starts `terminald sandbox --provider accrue` and returns its base URL.
func accSandbox(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(bin, "sandbox", "--provider", "accrue", "--listen", "127.0.0.1:0", "--log-level", "error")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "accrue sandbox listening on http://127.0.0.1:") {
		t.Fatalf("sandbox said %q (%v)", line, err)
	}
	return strings.TrimSpace(line[strings.LastIndex(line, " "):])
}

// accFault injects a fault into the sandbox over its control endpoint.
func accFault(t *testing.T, base, body string) {
	t.Helper()
	resp, err := http.Post(base+"/sandbox/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("sandbox fault %s: %s", body, resp.Status)
	}
}

// accRes is a JSON:API resource of the sandbox.
type accRes struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Attributes struct {
		Status    string  `json:"status"`
		Amount    int64   `json:"amount"`
		Reference string  `json:"reference"`
		WalletID  string  `json:"walletId"`
		Error     *string `json:"error"`
		Balance   *struct {
			Available struct {
				Total int64 `json:"total"`
			} `json:"available"`
		} `json:"balance"`
	} `json:"attributes"`
}

type accDoc struct {
	Data     json.RawMessage `json:"data"`
	Included []accRes        `json:"included"`
}

// accAPI reads path from the sandbox's Merchant API with the demo credentials.
func accAPI(t *testing.T, base, path string) accDoc {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+accrue.DemoClientSecret)
	req.Header.Set("Client-ID", accrue.DemoClientID)
	req.Header.Set("Accept", accrue.MediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, body)
	}
	var d accDoc
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
	return d
}

// accList reads a list endpoint (what these tests produce fits one page of 50).
func accList(t *testing.T, base, path string) []accRes {
	t.Helper()
	d := accAPI(t, base, path+"?page[limit]=50")
	var l []accRes
	if err := json.Unmarshal(d.Data, &l); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return l
}

// accSandboxPayment returns the sandbox's payment with reference ref, with its captures
// and refunds.
func accSandboxPayment(t *testing.T, base, ref string) (pay accRes, captures, refunds []accRes) {
	t.Helper()
	for _, p := range accList(t, base, "/api/v1/payments") {
		if p.Attributes.Reference != ref {
			continue
		}
		d := accAPI(t, base, "/api/v1/payments/"+p.ID+"?include=captures,refunds")
		if err := json.Unmarshal(d.Data, &pay); err != nil {
			t.Fatal(err)
		}
		for _, r := range d.Included {
			switch r.Type {
			case "Capture":
				captures = append(captures, r)
			case "Refund":
				refunds = append(refunds, r)
			}
		}
		return pay, captures, refunds
	}
	t.Fatalf("the sandbox has no payment with reference %s", ref)
	return
}

// accBalance returns a demo wallet's available balance in cents.
func accBalance(t *testing.T, base, wallet string) int64 {
	t.Helper()
	var w accRes
	if err := json.Unmarshal(accAPI(t, base, "/api/v1/wallets/"+wallet+"/balance").Data, &w); err != nil || w.Attributes.Balance == nil {
		t.Fatalf("wallet %s balance: %v", wallet, err)
	}
	return w.Attributes.Balance.Available.Total
}

// accSim is a running `terminald sim --provider accrue` whose keypad is a pipe.
type accSim struct {
	cmd                         *exec.Cmd
	in                          io.WriteCloser
	errb                        *accBuffer
	done                        chan struct{}
	screens, rfile, state, sock string
}

func accStartSim(t *testing.T, args ...string) *accSim {
	t.Helper()
	dir := t.TempDir()
	sockDir, err := os.MkdirTemp("", "acc") // unix socket paths must stay short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	s := &accSim{screens: filepath.Join(dir, "screens"), rfile: filepath.Join(dir, "receipts.bin"),
		state: filepath.Join(dir, "state"), sock: filepath.Join(sockDir, "admin.sock"), errb: &accBuffer{}, done: make(chan struct{})}
	all := append([]string{"sim", "--provider", "accrue", "--display-dir", s.screens, "--receipt-file", s.rfile,
		"--state", s.state, "--admin-socket", s.sock}, args...)
	s.cmd = exec.Command(bin, all...)
	s.cmd.Stderr = s.errb
	if s.in, err = s.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	accWait(t, 20*time.Second, "the simulator to be ready", func() bool { return strings.Contains(s.errb.String(), "terminald sim: ready") }, s.diag)
	return s
}

func (s *accSim) keys(t *testing.T, k string) {
	t.Helper()
	if _, err := io.WriteString(s.in, k); err != nil {
		t.Fatalf("keypad: %v\n%s", err, s.diag())
	}
}

func (s *accSim) diag() string { return "sim stderr:\n" + s.errb.String() }

// shot returns the screen PNGs of kind written so far.
func (s *accSim) shots(kind string) []string {
	m, _ := filepath.Glob(filepath.Join(s.screens, "screen-*-"+kind+".png"))
	return m
}

// receipts decodes what the printer printed so far.
func (s *accSim) receipts(t *testing.T) *escpos.Document {
	t.Helper()
	data, err := os.ReadFile(s.rfile)
	if os.IsNotExist(err) {
		data, err = nil, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	doc, err := escpos.Decode(data)
	if err != nil {
		t.Fatalf("receipt bytes do not decode as ESC/POS: %v", err)
	}
	return doc
}

// cuts is the number of slips printed so far (0 while the file does not decode yet).
func (s *accSim) cuts() int {
	data, _ := os.ReadFile(s.rfile)
	doc, err := escpos.Decode(data)
	if err != nil {
		return 0
	}
	return doc.Cuts()
}

// stop ends the keypad input and waits for the simulator to leave by itself (it does once
// nothing is in flight), exit status 0.
func (s *accSim) stop(t *testing.T) {
	t.Helper()
	s.in.Close()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		t.Fatalf("sim did not exit after its input ended\n%s", s.diag())
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("sim exit %d\n%s", code, s.diag())
	}
	if strings.Contains(s.errb.String(), "admin accept failed") {
		t.Errorf("a normal exit warned about the admin socket\n%s", s.diag())
	}
}

// admin runs `terminald CMD ARGS... --socket S` against the running simulator.
func (s *accSim) admin(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return run(t, "", append(args, "--socket", s.sock)...)
}

// openRefunds is the open_refunds count `terminald status` reports.
func (s *accSim) openRefunds(t *testing.T) int {
	t.Helper()
	out, errs, code := s.admin(t, "status")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	var st struct {
		Ready   bool `json:"ready"`
		Refunds *int `json:"open_refunds"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || !st.Ready || st.Refunds == nil {
		t.Fatalf("status printed %q (%v)", out, err)
	}
	return *st.Refunds
}

// accRefunds reads the refunds of payment id from a state directory no process holds.
func accRefunds(t *testing.T, state, id string) []*store.Refund {
	t.Helper()
	st, err := store.Open(filepath.Join(state, "terminald.db"), &store.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rs []*store.Refund
	if err := st.View(func(tx *store.Tx) (err error) { rs, err = tx.RefundsOf(id); return }); err != nil {
		t.Fatal(err)
	}
	return rs
}

// accSlips splits a decoded receipt file's text into slips, one per cut.
func accSlips(doc *escpos.Document) []string {
	var out []string
	for _, s := range strings.Split(doc.Text(), "---------------- cut ----------------") {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// accPaid runs one payment to paid in s by the scan path (the customer scans the rich
// wallet) and returns it as the receipt shows it.
func accPaid(t *testing.T, s *accSim, amountKeys string) string {
	t.Helper()
	s.keys(t, amountKeys+"\n1")
	accWait(t, 20*time.Second, "the sale receipt", func() bool { return s.cuts() == 1 }, s.diag)
	qrs := s.receipts(t).QRs()
	if len(qrs) != 1 || !strings.HasPrefix(qrs[0], "SIM1-") {
		t.Fatalf("sale receipt QRs = %v, want the payment id", qrs)
	}
	return qrs[0]
}

func TestAccrueScanPays(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := t.TempDir()
	screens, rfile, state := filepath.Join(dir, "screens"), filepath.Join(dir, "receipts.bin"), filepath.Join(dir, "state")
	// 12.34, OK, "1" = Scan wallet code; the simulated customer shows the rich wallet.
	_, errs, code := run(t, "1234\n1", "sim", "--provider", "accrue", "--wallet", "rich", "--pay-after", "100ms",
		"--display-dir", screens, "--receipt-file", rfile, "--state", state)
	if code != 0 {
		t.Fatalf("sim exit %d:\n%s", code, errs)
	}
	for _, kind := range []string{"choose", "input", "paid"} {
		if m, _ := filepath.Glob(filepath.Join(screens, "screen-*-"+kind+".png")); len(m) == 0 {
			t.Errorf("no %s screen shown", kind)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(screens, "screen-*-qr.png")); len(m) != 0 {
		t.Errorf("a QR screen was shown for Accrue: %v", m)
	}
	p := accOnePayment(t, state)
	if p.State != "paid" || p.Amount != "12.34" || p.Currency != "USD" || p.Provider != "accrue" || p.Ref == "-" || p.PaidLate {
		t.Fatalf("payment = %+v, want paid 12.34 USD at accrue with Accrue's reference", p)
	}
	doc := receipts(t, rfile)
	text := doc.Text()
	if doc.Cuts() != 1 || !strings.Contains(text, "12.34 USD") || !strings.Contains(text, p.ID) ||
		!strings.Contains(text, p.Ref) || !strings.Contains(text, "APPROVED") {
		t.Fatalf("receipt (%d cuts), want one APPROVED 12.34 USD with %s and %s:\n%s", doc.Cuts(), p.ID, p.Ref, text)
	}
	if qrs := doc.QRs(); len(qrs) != 1 || qrs[0] != p.ID {
		t.Fatalf("receipt QR = %v, want %s", qrs, p.ID)
	}
}

func TestAccruePhonePays(t *testing.T) {
	skipShort(t)
	t.Parallel()
	sb := accSandbox(t)
	digits := strings.TrimPrefix(accrue.DemoRichPhone, "+1") // keyed as 10 digits: +1 is added
	if len(digits) != 10 {
		t.Fatalf("demo phone %q is not +1 and 10 digits", accrue.DemoRichPhone)
	}
	for _, tc := range []struct {
		name, phone, state, reason string
	}{
		{"rich wallet", digits, "paid", ""},
		{"unknown phone", "2125559999", "failed", "No Accrue wallet for this phone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			screens, rfile, state := filepath.Join(dir, "screens"), filepath.Join(dir, "receipts.bin"), filepath.Join(dir, "state")
			// The customer never scans: the phone number keyed by the cashier finds the wallet.
			_, errs, code := run(t, "2500\n2"+tc.phone+"\n", "sim", "--provider", "accrue", "--sandbox", sb, "--pay-after", "never",
				"--display-dir", screens, "--receipt-file", rfile, "--state", state)
			if code != 0 {
				t.Fatalf("sim exit %d:\n%s", code, errs)
			}
			p := accOnePayment(t, state)
			if p.State != tc.state || p.Amount != "25.00" || p.Currency != "USD" {
				t.Fatalf("payment = %+v, want %s 25.00 USD\n%s", p, tc.state, errs)
			}
			if m, _ := filepath.Glob(filepath.Join(screens, "screen-*-"+tc.state+".png")); len(m) == 0 {
				t.Errorf("no %s screen shown", tc.state)
			}
			doc := receipts(t, rfile)
			if tc.state == "paid" {
				if doc.Cuts() != 1 || !strings.Contains(doc.Text(), "APPROVED") || !strings.Contains(doc.Text(), "25.00 USD") {
					t.Fatalf("receipt (%d cuts):\n%s", doc.Cuts(), doc.Text())
				}
				// At Accrue: the intent names the rich wallet found by phone, and one capture of 25.00.
				var intent accRes
				if err := json.Unmarshal(accAPI(t, sb, "/api/v1/payment-intents/"+p.Ref).Data, &intent); err != nil {
					t.Fatal(err)
				}
				if intent.Attributes.WalletID != accrue.DemoRichWalletID || intent.Attributes.Amount != 2500 {
					t.Fatalf("payment intent at the sandbox = %+v, want 2500 from wallet %s", intent.Attributes, accrue.DemoRichWalletID)
				}
				_, caps, _ := accSandboxPayment(t, sb, p.ID)
				if len(caps) != 1 || caps[0].Attributes.Amount != 2500 {
					t.Fatalf("captures at the sandbox = %+v, want one of 2500", caps)
				}
				return
			}
			if p.Ref != "-" {
				t.Errorf("a payment intent was created (%s) for a phone without wallet", p.Ref)
			}
			if text := doc.Text(); doc.Cuts() != 1 || !strings.Contains(text, "DECLINED") || !strings.Contains(text, tc.reason) {
				t.Fatalf("slip (%d cuts), want DECLINED %q:\n%s", doc.Cuts(), tc.reason, text)
			}
			if !strings.Contains(errs, tc.reason) {
				t.Errorf("printed slip text on stderr does not say %q:\n%s", tc.reason, errs)
			}
		})
	}
}

func TestAccrueInsufficientBalance(t *testing.T) {
	skipShort(t)
	t.Parallel()
	sb := accSandbox(t)
	if before := accBalance(t, sb, accrue.DemoPoorWalletID); before != accrue.DemoPoorBalance {
		t.Fatalf("poor wallet holds %d, want %d", before, accrue.DemoPoorBalance)
	}
	dir := t.TempDir()
	screens, rfile, state := filepath.Join(dir, "screens"), filepath.Join(dir, "receipts.bin"), filepath.Join(dir, "state")
	// 10.00 from the poor wallet that holds 5.00.
	_, errs, code := run(t, "1000\n1", "sim", "--provider", "accrue", "--sandbox", sb, "--wallet", "poor", "--pay-after", "100ms",
		"--display-dir", screens, "--receipt-file", rfile, "--state", state)
	if code != 0 {
		t.Fatalf("sim exit %d:\n%s", code, errs)
	}
	p := accOnePayment(t, state)
	if p.State != "failed" || p.Amount != "10.00" || p.Currency != "USD" {
		t.Fatalf("payment = %+v, want failed 10.00 USD", p)
	}
	if m, _ := filepath.Glob(filepath.Join(screens, "screen-*-failed.png")); len(m) == 0 {
		t.Fatal("no failed screen shown")
	}
	if m, _ := filepath.Glob(filepath.Join(screens, "screen-*-paid.png")); len(m) != 0 {
		t.Fatalf("a paid screen was shown: %v", m)
	}
	doc := receipts(t, rfile)
	text := doc.Text()
	if doc.Cuts() != 1 || !strings.Contains(text, "NOT PAID") || !strings.Contains(text, "DECLINED") ||
		!strings.Contains(text, "Insufficient balance") || !strings.Contains(text, "10.00 USD") || len(doc.QRs()) != 0 {
		t.Fatalf("slip (%d cuts, QRs %v), want one NOT PAID / DECLINED / Insufficient balance for 10.00 USD:\n%s", doc.Cuts(), doc.QRs(), text)
	}
	if !strings.Contains(errs, "Insufficient balance") {
		t.Errorf("the printed slip text on stderr does not say Insufficient balance:\n%s", errs)
	}
	// At Accrue: the intent is Invalid for InsufficientBalance, nothing authorized or taken.
	var intent accRes
	if err := json.Unmarshal(accAPI(t, sb, "/api/v1/payment-intents/"+p.Ref).Data, &intent); err != nil {
		t.Fatal(err)
	}
	if intent.Attributes.Status != accrue.IntentInvalid || intent.Attributes.Error == nil || *intent.Attributes.Error != "InsufficientBalance" {
		t.Fatalf("intent at the sandbox = %+v, want Invalid / InsufficientBalance", intent.Attributes)
	}
	if l := accList(t, sb, "/api/v1/payments"); len(l) != 0 {
		t.Fatalf("the sandbox holds payments %+v, want none", l)
	}
	if after := accBalance(t, sb, accrue.DemoPoorWalletID); after != accrue.DemoPoorBalance {
		t.Fatalf("poor wallet holds %d after the refusal, want %d", after, accrue.DemoPoorBalance)
	}
}

// Cancel at the scan step: nothing reaches Accrue, no slip.
func TestAccrueCancelAtScanStep(t *testing.T) {
	skipShort(t)
	t.Parallel()
	sb := accSandbox(t)
	s := accStartSim(t, "--sandbox", sb, "--pay-after", "never")
	s.keys(t, "1500\n1")
	accWait(t, 20*time.Second, "the scan step", func() bool { return len(s.shots("input")) > 0 }, s.diag)
	s.keys(t, "c")
	accWait(t, 20*time.Second, "the cancelled screen", func() bool { return len(s.shots("cancelled")) > 0 }, s.diag)
	s.stop(t)

	p := accOnePayment(t, s.state)
	if p.State != "cancelled" || p.Amount != "15.00" || p.Ref != "-" {
		t.Fatalf("payment = %+v, want cancelled 15.00 without an Accrue reference", p)
	}
	if doc := s.receipts(t); doc.Cuts() != 0 {
		t.Fatalf("%d slips printed for a payment that never reached Accrue:\n%s", doc.Cuts(), doc.Text())
	}
	if l := accList(t, sb, "/api/v1/payment-intents"); len(l) != 0 {
		t.Fatalf("the sandbox holds payment intents %+v, want none", l)
	}
	if l := accList(t, sb, "/api/v1/payments"); len(l) != 0 {
		t.Fatalf("the sandbox holds payments %+v, want none", l)
	}
}

// Cancel pressed after the scan while Accrue is slow to authorize. The authorization
// still lands, but the provider sees the cancel before it would capture: the payment is
// cancelled at Accrue, nothing is captured and the customer's money never moves.
func TestAccrueCancelDuringAuthorizeIsNotCaptured(t *testing.T) {
	skipShort(t)
	t.Parallel()
	sb := accSandbox(t)
	richBefore := accBalance(t, sb, accrue.DemoRichWalletID)
	// The authorize applies at once but its answer comes 4 s late.
	accFault(t, sb, `{"kind":"delay","count":1,"method":"POST","path":"/api/v1/payment-intents/","delay":"4s"}`)
	s := accStartSim(t, "--sandbox", sb, "--pay-after", "never")
	s.keys(t, "1500\n1")
	accWait(t, 20*time.Second, "the scan step", func() bool { return len(s.shots("input")) > 0 }, s.diag)
	waits := len(s.shots("wait"))
	s.keys(t, "\nscan:"+accrue.DemoRichCode+"\n")
	accWait(t, 20*time.Second, "the wait screen after the scan", func() bool { return len(s.shots("wait")) > waits }, s.diag)
	s.keys(t, "c")
	accWait(t, 30*time.Second, "the cancellation slip", func() bool { return s.cuts() >= 1 }, s.diag)
	s.stop(t)

	p := accOnePayment(t, s.state)
	if p.State != "cancelled" || p.PaidLate || p.Refunded != 0 {
		t.Fatalf("payment = %+v, want cancelled, never paid\n%s", p, s.diag())
	}
	slips := accSlips(s.receipts(t))
	if len(slips) != 1 || !strings.Contains(slips[0], "CANCELLED") || strings.Contains(slips[0], "APPROVED") {
		t.Fatalf("slips = %q, want one CANCELLED slip", slips)
	}
	pay, caps, refunds := accSandboxPayment(t, sb, p.ID)
	if len(caps) != 0 || len(refunds) != 0 || pay.Attributes.Status != "Canceled" {
		t.Fatalf("at the sandbox: payment %s, captures %+v, refunds %+v; want the authorized payment canceled, nothing captured",
			pay.Attributes.Status, caps, refunds)
	}
	if after := accBalance(t, sb, accrue.DemoRichWalletID); after != richBefore {
		t.Fatalf("rich wallet holds %d, want %d untouched", after, richBefore)
	}
}

func TestAccrueRefundsFromCommandLine(t *testing.T) {
	skipShort(t)
	t.Parallel()
	sb := accSandbox(t)
	s := accStartSim(t, "--sandbox", sb, "--pay-after", "100ms")
	id := accPaid(t, s, "1000")

	refund := func(args ...string) store.Refund {
		t.Helper()
		out, errs, code := s.admin(t, append([]string{"refund", id}, args...)...)
		if code != 0 {
			t.Fatalf("refund %s %v: exit %d: %s\n%s", id, args, code, errs, s.diag())
		}
		var r store.Refund
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("refund printed %q: %v", out, err)
		}
		return r
	}
	r1 := refund("1.00")
	r2 := refund() // the rest
	if r1.Amount.Minor != 100 || r2.Amount.Minor != 900 || r1.Amount.Currency != "USD" || r1.ID == r2.ID {
		t.Fatalf("refunds %+v and %+v, want 1.00 and then the other 9.00 USD", r1, r2)
	}
	accWait(t, 30*time.Second, "both refunds to end (status open_refunds 0)", func() bool { return s.openRefunds(t) == 0 }, s.diag)

	// Nothing is left to refund.
	_, errs, code := s.admin(t, "refund", id)
	if code == 0 || !strings.Contains(errs, "0.00 USD left to refund") {
		t.Fatalf("third refund: exit %d, stderr %q; want a refusal saying nothing is left", code, errs)
	}
	_, errs, code = s.admin(t, "refund", id, "0.01")
	if code == 0 || !strings.Contains(errs, "0.00 USD left to refund") {
		t.Fatalf("refund of 0.01 more: exit %d, stderr %q; want a refusal saying nothing is left", code, errs)
	}
	s.stop(t)

	doc := s.receipts(t)
	slips := accSlips(doc)
	if len(slips) != 3 {
		t.Fatalf("%d slips, want the sale and one per refund:\n%s", len(slips), doc.Text())
	}
	for i, want := range []struct {
		r      store.Refund
		amount string
	}{{r1, "1.00 USD"}, {r2, "9.00 USD"}} {
		slip := slips[i+1]
		if !strings.Contains(slip, "REFUND") || !strings.Contains(slip, want.amount) || !strings.Contains(slip, want.r.ID) {
			t.Errorf("refund slip %d, want REFUND %s for %s:\n%s", i+1, want.amount, want.r.ID, slip)
		}
	}
	if qrs := doc.QRs(); len(qrs) != 3 || qrs[1] != r1.ID || qrs[2] != r2.ID {
		t.Errorf("receipt QRs = %v, want %s, %s, %s", qrs, id, r1.ID, r2.ID)
	}
	if p := accOnePayment(t, s.state); p.State != "paid" || p.Refunded != 1000 {
		t.Fatalf("payment = %+v, want paid with 10.00 refunded", p)
	}
	for _, r := range accRefunds(t, s.state, id) {
		if r.State != store.RefundDone {
			t.Errorf("refund %s is %s (%s), want done", r.ID, r.State, r.Reason)
		}
	}
	_, _, refunds := accSandboxPayment(t, sb, id)
	var amounts []int64
	for _, r := range refunds {
		amounts = append(amounts, r.Attributes.Amount)
	}
	if fmt.Sprint(amounts) != "[100 900]" {
		t.Fatalf("refunds at the sandbox %v, want [100 900]", amounts)
	}
}

// The sandbox answers 500 to everything while a refund is asked: the refund waits on
// disk and goes through once Accrue is back, with one slip and one refund at Accrue.
func TestAccrueRefundQueuedWhileSandboxDown(t *testing.T) {
	skipShort(t)
	t.Parallel()
	sb := accSandbox(t)
	s := accStartSim(t, "--sandbox", sb, "--pay-after", "100ms")
	id := accPaid(t, s, "1000")

	accFault(t, sb, `{"kind":"500","count":400,"path":"/api/v1/"}`)
	out, errs, code := s.admin(t, "refund", id, "4.00")
	if code != 0 {
		t.Fatalf("refund while Accrue is down: exit %d: %s", code, errs)
	}
	var r store.Refund
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.State != store.RefundPending || r.Amount.Minor != 400 {
		t.Fatalf("refund printed %q (%v), want a pending refund of 4.00", out, err)
	}
	accWait(t, 30*time.Second, "the terminal to fail sending the refund", func() bool {
		return strings.Contains(s.errb.String(), "refund not accepted yet; retrying")
	}, s.diag)
	if n := s.openRefunds(t); n != 1 {
		t.Fatalf("status open_refunds = %d while Accrue is down, want 1", n)
	}
	if n := s.cuts(); n != 1 {
		t.Fatalf("%d slips printed while Accrue is down, want only the sale", n)
	}

	// Accrue is back: use up the remaining faults (an unauthenticated request that is not
	// faulted is refused with 401).
	for i := 0; ; i++ {
		resp, err := http.Post(sb+"/api/v1/payments/drain/refund", accrue.MediaType, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized {
			break
		}
		if i > 500 {
			t.Fatalf("faults do not end: %s", resp.Status)
		}
	}
	accWait(t, 30*time.Second, "the refund to complete (status open_refunds 0)", func() bool { return s.openRefunds(t) == 0 }, s.diag)
	s.stop(t)

	slips := accSlips(s.receipts(t))
	if len(slips) != 2 || !strings.Contains(slips[1], "REFUND") || !strings.Contains(slips[1], "4.00 USD") || !strings.Contains(slips[1], r.ID) {
		t.Fatalf("slips %q, want the sale and one REFUND 4.00 USD slip", slips)
	}
	rs := accRefunds(t, s.state, id)
	if len(rs) != 1 || rs[0].State != store.RefundDone {
		t.Fatalf("refunds on disk %+v, want one done", rs)
	}
	if p := accOnePayment(t, s.state); p.Refunded != 400 {
		t.Fatalf("payment = %+v, want 4.00 refunded", p)
	}
	if _, _, refunds := accSandboxPayment(t, sb, id); len(refunds) != 1 || refunds[0].Attributes.Amount != 400 {
		t.Fatalf("refunds at the sandbox %+v, want exactly one of 400", refunds)
	}
}
