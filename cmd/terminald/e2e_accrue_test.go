package main

// End-to-end tests of the Accrue wallet provider through the built binary: the cashier
// picks "Scan wallet code" or "Phone number", the simulated customer shows a demo wallet,
// and refunds are driven from the command line over the admin socket.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/hw/printer/escposdoc"
	"github.com/terminald/terminald/providers/accrue"
	accruesb "github.com/terminald/terminald/providers/accrue/sandbox"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// accFault injects a fault into the sandbox over its control endpoint.
func accFault(t *testing.T, base, body string) {
	t.Helper()
	resp, err := httpClient().Post(base+"/sandbox/faults", "application/json", strings.NewReader(body))
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
	req.Header.Set("Authorization", "Bearer "+accruesb.DemoClientSecret)
	req.Header.Set("Client-ID", accruesb.DemoClientID)
	req.Header.Set("Accept", accrue.MediaType)
	resp, err := httpClient().Do(req)
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
	var w struct {
		Attributes struct {
			Balance *struct {
				Available struct {
					Total int64 `json:"total"`
				} `json:"available"`
			} `json:"balance"`
		} `json:"attributes"`
	}
	if err := json.Unmarshal(accAPI(t, base, "/api/v1/wallets/"+wallet+"/balance").Data, &w); err != nil || w.Attributes.Balance == nil {
		t.Fatalf("wallet %s balance: %v", wallet, err)
	}
	return w.Attributes.Balance.Available.Total
}

// accStartSim starts `terminald sim --provider accrue` with an admin socket.
func accStartSim(t *testing.T, args ...string) *simProc {
	t.Helper()
	return startSim(t, "", append([]string{"--provider", "accrue", "--admin-socket", adminSock(t)}, args...)...)
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
func accSlips(doc *escposdoc.Document) []string {
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
func accPaid(t *testing.T, s *simProc, amountKeys string) string {
	t.Helper()
	s.keys(t, amountKeys+"\n1")
	waitUntil(t, 20*time.Second, "the sale receipt", func() bool { return s.cuts() == 1 }, s.diag)
	qrs := s.printout(t).QRs()
	if len(qrs) != 1 || !strings.HasPrefix(qrs[0], "SIM1-") {
		t.Fatalf("sale receipt QRs = %v, want the payment id", qrs)
	}
	return qrs[0]
}

func TestAccrueScanPays(t *testing.T) {
	skipShort(t)
	t.Parallel()
	d := simDirsIn(t.TempDir())
	// 12.34, OK, "1" = Scan wallet code; the simulated customer shows the rich wallet.
	runSim(t, d, "1234\n1", "--provider", "accrue", "--wallet", "rich", "--pay-after", "100ms")
	for _, kind := range []screen.Kind{"choose", "input", "paid"} {
		if m := d.shots(kind); len(m) == 0 {
			t.Errorf("no %s screen shown", kind)
		}
	}
	if m := d.shots("qr"); len(m) != 0 {
		t.Errorf("a QR screen was shown for Accrue: %v", m)
	}
	p := onePayment(t, d.state)
	if p.State != "paid" || p.Amount != "12.34" || p.Currency != "USD" || p.Provider != "accrue" || p.Ref == "-" || p.PaidLate {
		t.Fatalf("payment = %+v, want paid 12.34 USD at accrue with Accrue's reference", p)
	}
	doc := receipts(t, d.rfile)
	text := doc.Text()
	if doc.Cuts() != 1 || !strings.Contains(text, onReceipt(t, "12.34", "USD")) || !strings.Contains(text, p.ID) ||
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
	sb := sandbox(t, "accrue")
	digits := strings.TrimPrefix(accruesb.DemoRichPhone, "+1") // keyed as 10 digits: +1 is added
	if len(digits) != 10 {
		t.Fatalf("demo phone %q is not +1 and 10 digits", accruesb.DemoRichPhone)
	}
	for _, tc := range []struct {
		name, phone, state, reason string
	}{
		{"rich wallet", digits, "paid", ""},
		{"unknown phone", "2125559999", "failed", "No Accrue wallet for this phone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := simDirsIn(t.TempDir())
			// The customer never scans: the phone number keyed by the cashier finds the wallet.
			errs := runSim(t, d, "2500\n2"+tc.phone+"\n", "--provider", "accrue", "--sandbox", sb, "--pay-after", "never")
			p := onePayment(t, d.state)
			if p.State != tc.state || p.Amount != "25.00" || p.Currency != "USD" {
				t.Fatalf("payment = %+v, want %s 25.00 USD\n%s", p, tc.state, errs)
			}
			if m := d.shots(screen.Kind(tc.state)); len(m) == 0 {
				t.Errorf("no %s screen shown", tc.state)
			}
			doc := receipts(t, d.rfile)
			if tc.state == "paid" {
				if doc.Cuts() != 1 || !strings.Contains(doc.Text(), "APPROVED") || !strings.Contains(doc.Text(), onReceipt(t, "25.00", "USD")) {
					t.Fatalf("receipt (%d cuts):\n%s", doc.Cuts(), doc.Text())
				}
				// At Accrue: the intent names the rich wallet found by phone, and one capture of 25.00.
				var intent accRes
				if err := json.Unmarshal(accAPI(t, sb, "/api/v1/payment-intents/"+p.Ref).Data, &intent); err != nil {
					t.Fatal(err)
				}
				if intent.Attributes.WalletID != accruesb.DemoRichWalletID || intent.Attributes.Amount != 2500 {
					t.Fatalf("payment intent at the sandbox = %+v, want 2500 from wallet %s", intent.Attributes, accruesb.DemoRichWalletID)
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
	sb := sandbox(t, "accrue")
	if before := accBalance(t, sb, accruesb.DemoPoorWalletID); before != accruesb.DemoPoorBalance {
		t.Fatalf("poor wallet holds %d, want %d", before, accruesb.DemoPoorBalance)
	}
	d := simDirsIn(t.TempDir())
	// 10.00 from the poor wallet that holds 5.00.
	errs := runSim(t, d, "1000\n1", "--provider", "accrue", "--sandbox", sb, "--wallet", "poor", "--pay-after", "100ms")
	p := onePayment(t, d.state)
	if p.State != "failed" || p.Amount != "10.00" || p.Currency != "USD" {
		t.Fatalf("payment = %+v, want failed 10.00 USD", p)
	}
	if m := d.shots("failed"); len(m) == 0 {
		t.Fatal("no failed screen shown")
	}
	if m := d.shots("paid"); len(m) != 0 {
		t.Fatalf("a paid screen was shown: %v", m)
	}
	doc := receipts(t, d.rfile)
	text := doc.Text()
	if doc.Cuts() != 1 || !strings.Contains(text, "NOT PAID") || !strings.Contains(text, "DECLINED") ||
		!strings.Contains(text, "Insufficient balance") || !strings.Contains(text, onReceipt(t, "10.00", "USD")) || len(doc.QRs()) != 0 {
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
	if after := accBalance(t, sb, accruesb.DemoPoorWalletID); after != accruesb.DemoPoorBalance {
		t.Fatalf("poor wallet holds %d after the refusal, want %d", after, accruesb.DemoPoorBalance)
	}
}

// Cancel at the scan step: nothing reaches Accrue, no slip.
func TestAccrueCancelAtScanStep(t *testing.T) {
	skipShort(t)
	t.Parallel()
	sb := sandbox(t, "accrue")
	s := accStartSim(t, "--sandbox", sb, "--pay-after", "never")
	s.keys(t, "1500\n1")
	waitUntil(t, 20*time.Second, "the scan step", func() bool { return len(s.shots("input")) > 0 }, s.diag)
	s.keys(t, "c")
	waitUntil(t, 20*time.Second, "the cancelled screen", func() bool { return len(s.shots("cancelled")) > 0 }, s.diag)
	s.stop(t)

	p := onePayment(t, s.state)
	if p.State != "cancelled" || p.Amount != "15.00" || p.Ref != "-" {
		t.Fatalf("payment = %+v, want cancelled 15.00 without an Accrue reference", p)
	}
	if doc := s.printout(t); doc.Cuts() != 0 {
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
	sb := sandbox(t, "accrue")
	richBefore := accBalance(t, sb, accruesb.DemoRichWalletID)
	// The authorize applies at once but its answer comes 4 s late.
	accFault(t, sb, `{"kind":"delay","count":1,"method":"POST","path":"/api/v1/payment-intents/","delay":"4s"}`)
	s := accStartSim(t, "--sandbox", sb, "--pay-after", "never")
	s.keys(t, "1500\n1")
	waitUntil(t, 20*time.Second, "the scan step", func() bool { return len(s.shots("input")) > 0 }, s.diag)
	waits := len(s.shots("wait"))
	s.keys(t, "\nscan:"+accruesb.DemoRichCode+"\n")
	waitUntil(t, 20*time.Second, "the wait screen after the scan", func() bool { return len(s.shots("wait")) > waits }, s.diag)
	s.keys(t, "c")
	waitUntil(t, 30*time.Second, "the cancellation slip", func() bool { return s.cuts() >= 1 }, s.diag)
	s.stop(t)

	p := onePayment(t, s.state)
	if p.State != "cancelled" || p.PaidLate || p.Refunded != 0 {
		t.Fatalf("payment = %+v, want cancelled, never paid\n%s", p, s.diag())
	}
	slips := accSlips(s.printout(t))
	if len(slips) != 1 || !strings.Contains(slips[0], "CANCELLED") || strings.Contains(slips[0], "APPROVED") {
		t.Fatalf("slips = %q, want one CANCELLED slip", slips)
	}
	// Depending on when the key lands, the cancel stops it before the authorize (no
	// payment at Accrue, the intent canceled) or between authorize and capture (the
	// payment canceled). Never is anything captured.
	authorized := false
	for _, x := range accList(t, sb, "/api/v1/payments") {
		authorized = authorized || x.Attributes.Reference == p.ID
	}
	if authorized {
		pay, caps, refunds := accSandboxPayment(t, sb, p.ID)
		if len(caps) != 0 || len(refunds) != 0 || pay.Attributes.Status != "Canceled" {
			t.Fatalf("at the sandbox: payment %s, captures %+v, refunds %+v; want the authorized payment canceled, nothing captured",
				pay.Attributes.Status, caps, refunds)
		}
	} else {
		var intent *accRes
		for _, x := range accList(t, sb, "/api/v1/payment-intents") {
			if x.Attributes.Reference == p.ID {
				intent = &x
			}
		}
		if intent == nil || intent.Attributes.Status != accrue.IntentCanceled {
			t.Fatalf("at the sandbox: no payment and intent %+v; want the intent canceled", intent)
		}
	}
	if after := accBalance(t, sb, accruesb.DemoRichWalletID); after != richBefore {
		t.Fatalf("rich wallet holds %d, want %d untouched", after, richBefore)
	}
}

func TestAccrueRefundsFromCommandLine(t *testing.T) {
	skipShort(t)
	t.Parallel()
	sb := sandbox(t, "accrue")
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
	waitUntil(t, 30*time.Second, "both refunds to end (status open_refunds 0)", func() bool { return s.openRefunds(t) == 0 }, s.diag)

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

	doc := s.printout(t)
	slips := accSlips(doc)
	if len(slips) != 3 {
		t.Fatalf("%d slips, want the sale and one per refund:\n%s", len(slips), doc.Text())
	}
	for i, want := range []struct {
		r      store.Refund
		amount string
	}{{r1, onReceipt(t, "1.00", "USD")}, {r2, onReceipt(t, "9.00", "USD")}} {
		slip := slips[i+1]
		if !strings.Contains(slip, "REFUND") || !strings.Contains(slip, want.amount) || !strings.Contains(slip, want.r.ID) {
			t.Errorf("refund slip %d, want REFUND %s for %s:\n%s", i+1, want.amount, want.r.ID, slip)
		}
	}
	if qrs := doc.QRs(); len(qrs) != 3 || qrs[1] != r1.ID || qrs[2] != r2.ID {
		t.Errorf("receipt QRs = %v, want %s, %s, %s", qrs, id, r1.ID, r2.ID)
	}
	if p := onePayment(t, s.state); p.State != "paid" || p.Refunded != 1000 {
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
	sb := sandbox(t, "accrue")
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
	waitUntil(t, 30*time.Second, "the terminal to fail sending the refund", func() bool {
		return strings.Contains(s.stderr(), "refund not accepted yet; retrying")
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
		resp, err := httpClient().Post(sb+"/api/v1/payments/drain/refund", accrue.MediaType, nil)
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
	waitUntil(t, 30*time.Second, "the refund to complete (status open_refunds 0)", func() bool { return s.openRefunds(t) == 0 }, s.diag)
	s.stop(t)

	slips := accSlips(s.printout(t))
	if len(slips) != 2 || !strings.Contains(slips[1], "REFUND") || !strings.Contains(slips[1], onReceipt(t, "4.00", "USD")) || !strings.Contains(slips[1], r.ID) {
		t.Fatalf("slips %q, want the sale and one REFUND 4.00 USD slip", slips)
	}
	rs := accRefunds(t, s.state, id)
	if len(rs) != 1 || rs[0].State != store.RefundDone {
		t.Fatalf("refunds on disk %+v, want one done", rs)
	}
	if p := onePayment(t, s.state); p.Refunded != 400 {
		t.Fatalf("payment = %+v, want 4.00 refunded", p)
	}
	if _, _, refunds := accSandboxPayment(t, sb, id); len(refunds) != 1 || refunds[0].Attributes.Amount != 400 {
		t.Fatalf("refunds at the sandbox %+v, want exactly one of 400", refunds)
	}
}

// The simulated customer pays every payment it is shown, also twenty of the same amount
// back to back (it used to remember the scan screen by title and amount and never pay
// a second 12.34).
func TestAccrueSimPaysRepeatedAmounts(t *testing.T) {
	skipShort(t)
	t.Parallel()
	const n = 20
	s := startSim(t, "", "--provider", "accrue", "--wallet", "rich", "--pay-after", "1ms")
	for i := range n {
		s.keys(t, "1234\n1")
		waitUntil(t, 20*time.Second, fmt.Sprintf("payment %d paid", i+1), func() bool { return len(s.shots("paid")) >= i+1 }, s.diag)
	}
	s.stop(t)
	ps := payments(t, s.state)
	paid := 0
	for _, p := range ps {
		if p.State == "paid" && p.Amount == "12.34" {
			paid++
		}
	}
	if paid != n || len(ps) != n {
		t.Fatalf("%d payments, %d paid 12.34, want %d paid: %+v", len(ps), paid, n, ps)
	}
}
