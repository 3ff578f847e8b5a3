package main

// End-to-end tests of the crypto gateway (cryptogw) through the built binary: the
// quote, the BIP21 QR the simulated customer pays, confirmations, underpayment
// decisions, a cancel refused once funds are on the way, and a refund sent while the
// gateway is failing.

import (
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/hw/printer/escposdoc"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/cryptogw"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// cgStartSim starts `terminald sim --provider cryptogw` logging at info.
func cgStartSim(t *testing.T, args ...string) *simProc {
	t.Helper()
	return startSim(t, "", append([]string{"--provider", "cryptogw", "--log-level", "info"}, args...)...)
}

// cgAPI calls a gateway endpoint of the sandbox with the demo credentials.
func cgAPI(t *testing.T, base, endpoint string, q url.Values) (int, []byte) {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("pos_id", cryptogw.DemoPosID)
	req, err := http.NewRequest(http.MethodGet, base+"/v2/"+endpoint+"/?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(cryptogw.DemoUsername, cryptogw.DemoAPIKey)
	resp, err := httpClient().Do(req)
	if err != nil {
		t.Fatalf("sandbox %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// cgTx is one row of the gateway's GetTransactions.
type cgTx struct {
	Status       string  `json:"status"`
	PaymentID    string  `json:"payment_id"`
	Reference    string  `json:"reference_no"`
	Amount       string  `json:"amount"`
	Payment      string  `json:"payment"`
	Refund       string  `json:"refund"`
	RefundStatus *string `json:"refund_status"`
	Cancelled    *string `json:"cancelled"`
}

// cgGatewayTx returns the gateway's record of the terminal payment ref: GetTransactions
// filtered by reference_no, in the live shape ({"invoices": [...]}, amounts with 7
// decimals) or the seed's (a bare array); amounts come back with 8 decimals.
func cgGatewayTx(t *testing.T, base, ref string) cgTx {
	t.Helper()
	code, body := cgAPI(t, base, "GetTransactions", url.Values{"limit": {"100"}, "reference_no": {ref}})
	if code != http.StatusOK {
		t.Fatalf("GetTransactions: %d %s", code, body)
	}
	var txs []cgTx
	var live struct{ Invoices *[]cgTx }
	if err := json.Unmarshal(body, &live); err == nil && live.Invoices != nil {
		txs = *live.Invoices
		for i := range txs {
			txs[i].Reference = ref // the live API filters by reference_no instead of reporting it
		}
	} else if err := json.Unmarshal(body, &txs); err != nil {
		t.Fatalf("GetTransactions: %v: %s", err, body)
	}
	norm := func(s *string) {
		if d, err := cryptogw.ParseDecimal(*s); err == nil && *s != "" {
			*s = d.String()
		}
	}
	for _, tx := range txs {
		if tx.Reference == ref {
			norm(&tx.Amount)
			norm(&tx.Payment)
			norm(&tx.Refund)
			return tx
		}
	}
	t.Fatalf("gateway has no payment with reference %s: %s", ref, body)
	return cgTx{}
}

// cgOnePayment asserts exactly one payment of 20.00 EUR at cryptogw in state and returns it.
func cgOnePayment(t *testing.T, stateDir, state string) listed {
	t.Helper()
	ps := payments(t, stateDir)
	if len(ps) != 1 || ps[0].State != state || ps[0].Amount != "20.00" || ps[0].Minor != 2000 ||
		ps[0].Currency != "EUR" || ps[0].Provider != "cryptogw" {
		t.Fatalf("payments = %+v, want one %s payment of 20.00 EUR at cryptogw", ps, state)
	}
	return ps[0]
}

var (
	cgBTCRe   = regexp.MustCompile(`(\S+) BTC\b`)
	cgEURRe   = regexp.MustCompile(`€([0-9.,]+)`) // English receipts: "€20.00", "€59,756.79/BTC"
	cgEUR     = regexp.MustCompile(`^[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}$`)
	cgBTC     = regexp.MustCompile(`^[0-9]+\.[0-9]{8}$`)
	cgFloatRe = regexp.MustCompile(`[0-9]\.?[0-9]*[eE][-+][0-9]+\b`)
)

// cgExactAmounts fails when an amount on the receipt is not an exact decimal with the
// currency's places (a float such as "20", "19.999999" or "2e+01" would show).
func cgExactAmounts(t *testing.T, doc *escposdoc.Document) {
	t.Helper()
	for _, l := range doc.Lines() {
		for _, c := range []struct {
			find, exact *regexp.Regexp
			cur         string
		}{{cgBTCRe, cgBTC, "BTC"}, {cgEURRe, cgEUR, "EUR"}} {
			for _, m := range c.find.FindAllStringSubmatch(l, -1) {
				if !c.exact.MatchString(m[1]) {
					t.Errorf("receipt line %q: amount %q %s is not an exact decimal", l, m[1], c.cur)
				}
			}
		}
		if cgFloatRe.MatchString(l) {
			t.Errorf("receipt line %q shows a float in exponent notation", l)
		}
	}
}

// cgCount counts receipt lines equal to s (titles are printed on a line of their own).
func cgCount(doc *escposdoc.Document, s string) int {
	n := 0
	for _, l := range doc.Lines() {
		if strings.TrimSpace(l) == s {
			n++
		}
	}
	return n
}

// cgMatches reports whether the PNG file shows want, pixel for pixel, leaving out the
// status bar (clock) and the countdown, which change by themselves.
func cgMatches(t *testing.T, r *screen.Renderer, file string, want screen.Screen) bool {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		return false // written while we read
	}
	b := got.Bounds()
	img := r.Render(want, b.Dx(), b.Dy(), time.Now())
	lay := r.Layout(want, b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := image.Pt(x, y)
			if p.In(lay.StatusBar) || p.In(lay.Countdown) {
				continue
			}
			r1, g1, b1, _ := got.At(x, y).RGBA()
			r2, g2, b2, _ := img.At(x-b.Min.X, y-b.Min.Y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				return false
			}
		}
	}
	return true
}

// cgAnyShows reports whether one of files shows one of wants.
func cgAnyShows(t *testing.T, r *screen.Renderer, files []string, wants ...screen.Screen) bool {
	t.Helper()
	for _, f := range files {
		for _, w := range wants {
			if cgMatches(t, r, f, w) {
				return true
			}
		}
	}
	return false
}

// cgQRScreen is the QR screen of a 20.00 EUR crypto payment for uri with the status
// line under the QR ("Pay X BTC" and then status).
func cgQRScreen(uri cryptogw.PaymentURI, status string) screen.Screen {
	return screen.Screen{Kind: screen.QR, Title: "Scan to pay", Amount: "€20.00", Provider: "Crypto",
		QR: uri.String(), Deadline: time.Now().Add(5 * time.Minute), Hint: "X = cancel",
		Lines: []string{"Pay " + uri.Amount.String() + " BTC", status}}
}

// cgQR decodes the first QR screen as a BIP21 bitcoin: URI.
func cgQR(t *testing.T, screens string) cryptogw.PaymentURI {
	t.Helper()
	text := qrFromScreens(t, screens)
	if !strings.HasPrefix(text, "bitcoin:") || !strings.Contains(text, "?amount=") {
		t.Fatalf("QR on the display = %q, want a BIP21 bitcoin:ADDRESS?amount=X URI", text)
	}
	u, err := cryptogw.ParsePaymentURI(text)
	if err != nil || u.Scheme != "bitcoin" || u.Amount <= 0 {
		t.Fatalf("QR %q: %+v, %v", text, u, err)
	}
	if u.String() != text {
		t.Fatalf("QR %q does not round-trip (%q): amount not an exact decimal", text, u.String())
	}
	return u
}

func cgRenderer(t *testing.T) *screen.Renderer {
	t.Helper()
	r, err := screen.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The customer scans the QR, pays in full, the chain confirms, one sale receipt prints.
func TestCryptoPaysAfterConfirmations(t *testing.T) {
	skipShort(t)
	t.Parallel()
	d := simDirsIn(t.TempDir())
	// The amount's Enter, then OK on the quote (typed ahead, kept until the quote shows).
	runSim(t, d, "2000\n\n", "--provider", "cryptogw", "--pay-after", "100ms")
	uri := cgQR(t, d.screens)

	r := cgRenderer(t)
	qrs := d.shots(screen.QR)
	if !cgMatches(t, r, qrs[0], cgQRScreen(uri, "Waiting for transaction")) {
		t.Errorf("first QR screen %s does not show %q and the crypto amount", qrs[0], "Waiting for transaction")
	}
	if !cgAnyShows(t, r, qrs, cgQRScreen(uri, "0/2 confirmations"), cgQRScreen(uri, "1/2 confirmations")) {
		t.Errorf("no QR screen showed the transaction's confirmations (of %d QR screens)", len(qrs))
	}
	if paid := d.shots(screen.Paid); len(paid) != 1 {
		t.Errorf("paid screens: %v", paid)
	}

	p := cgOnePayment(t, d.state, "paid")
	if p.PaidLate || p.Receipt == 0 {
		t.Errorf("payment %+v", p)
	}
	doc := receipts(t, d.rfile)
	text := doc.Text()
	if doc.Cuts() != 1 || cgCount(doc, "PAYMENT") != 1 || cgCount(doc, "APPROVED") != 1 ||
		!strings.Contains(text, onReceipt(t, "20.00", "EUR")) || !strings.Contains(text, p.ID) {
		t.Fatalf("receipt (%d cuts):\n%s", doc.Cuts(), text)
	}
	if qrs := doc.QRs(); len(qrs) != 1 || qrs[0] != p.ID {
		t.Errorf("receipt QR = %v, want %s", qrs, p.ID)
	}
	cgExactAmounts(t, doc)
}

// cgUnderpaid runs a payment of 20.00 EUR where the customer sends 90 % against a
// standalone sandbox, waits for the decision screen and checks what it shows.
func cgUnderpaid(t *testing.T) (s *simProc, sb string, uri cryptogw.PaymentURI, received cryptogw.Decimal) {
	t.Helper()
	sb = sandbox(t, "cryptogw", "--block-time", "500ms")
	s = cgStartSim(t, "--sandbox", sb, "--pay-after", "100ms", "--customer-pays", "90")
	s.keys(t, "2000\n\n")
	decision := s.waitShot(t, screen.Decision)
	uri = cgQR(t, s.screens)
	received, err := uri.Amount.MulDiv(cryptogw.Decimal(90), cryptogw.Decimal(100), false)
	if err != nil {
		t.Fatal(err)
	}
	want := screen.Screen{Kind: screen.Decision, Title: "Underpaid", Amount: "€20.00", Provider: "Crypto",
		Hint: "OK = accept   X = cancel", Deadline: time.Now().Add(time.Minute), Lines: []string{ // the decision's countdown
			"Received " + received.String() + " BTC", "Underpaid",
			"Expected " + uri.Amount.String() + " BTC", "Missing " + (uri.Amount - received).String() + " BTC"}}
	if !cgMatches(t, cgRenderer(t), decision, want) {
		t.Errorf("decision screen %s does not show received/expected/missing %v", decision, want.Lines)
	}
	return s, sb, uri, received
}

// 90 % arrives; the cashier accepts it with OK: AcceptPayment, paid, one
// "UNDERPAYMENT ACCEPTED" receipt.
func TestCryptoUnderpaidAccepted(t *testing.T) {
	skipShort(t)
	t.Parallel()
	s, sb, _, received := cgUnderpaid(t)
	s.keys(t, "\n") // OK = accept
	s.waitShot(t, screen.Paid)
	s.stop(t)

	p := cgOnePayment(t, s.state, "paid")
	if p.PaidLate {
		t.Errorf("accepted underpayment marked paid late: %+v", p)
	}
	tx := cgGatewayTx(t, sb, p.ID)
	if tx.Status != "Confirmed" || tx.Payment != received.String() {
		t.Errorf("gateway: %+v, want Confirmed with payment %s", tx, received)
	}
	doc := receipts(t, s.rfile)
	if doc.Cuts() != 1 || cgCount(doc, "UNDERPAYMENT ACCEPTED") != 1 || cgCount(doc, "APPROVED") != 1 ||
		!strings.Contains(doc.Text(), p.ID) {
		t.Fatalf("receipt (%d cuts):\n%s", doc.Cuts(), doc.Text())
	}
	cgExactAmounts(t, doc)
	// It settled for what arrived: about 18.00 of the 20.00 EUR asked, on the receipt,
	// in the list and in the end-of-day totals.
	paid, err := money.Parse(p.Paid, "EUR")
	if err != nil || paid.Minor < 1790 || paid.Minor >= 2000 {
		t.Fatalf("payments --json paid = %q, want the accepted ~18.00 EUR", p.Paid)
	}
	if !strings.Contains(doc.Text(), onReceipt(t, paid.Decimal(), "EUR")) || !regexp.MustCompile(`Asked +€20\.00`).MatchString(doc.Text()) {
		t.Fatalf("receipt does not show the accepted %s and the 20.00 EUR asked:\n%s", paid, doc.Text())
	}
}

// 90 % arrives; the cashier cancels at the decision: cancelled at the gateway, not paid,
// the decision is in the payment's record.
func TestCryptoUnderpaidCancelled(t *testing.T) {
	skipShort(t)
	t.Parallel()
	s, sb, _, received := cgUnderpaid(t)
	s.keys(t, "c") // X = cancel
	s.waitShot(t, screen.Cancelled)
	s.stop(t)

	p := cgOnePayment(t, s.state, "cancelled")
	if paid := s.shots(screen.Paid); len(paid) != 0 {
		t.Errorf("paid screen shown after the cashier cancelled: %v", paid)
	}
	tx := cgGatewayTx(t, sb, p.ID)
	if tx.Status != "Cancelled" || tx.Cancelled == nil || tx.Payment != received.String() {
		t.Errorf("gateway: %+v, want Cancelled holding the %s received", tx, received)
	}
	st, err := store.Open(filepath.Join(s.state, "terminald.db"), &store.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rec *store.Payment
	if err := st.View(func(tx *store.Tx) (err error) { rec, err = tx.Payment(p.ID); return }); err != nil {
		t.Fatal(err)
	}
	if rec.Decision != store.DecisionCancelled {
		t.Errorf("payment record: decision %q, want cancelled (data %v)", rec.Decision, rec.Data)
	}
	doc := receipts(t, s.rfile)
	if doc.Cuts() != 1 || cgCount(doc, "NOT PAID") != 1 || cgCount(doc, "CANCELLED") != 1 || cgCount(doc, "APPROVED") != 0 {
		t.Fatalf("receipt (%d cuts):\n%s", doc.Cuts(), doc.Text())
	}
	cgExactAmounts(t, doc)
}

// Once the chain shows the customer's transaction, X cannot cancel: the terminal says
// so, keeps the payment on screen and it completes paid (not "paid after cancel").
func TestCryptoCancelRefusedOnceTransactionSeen(t *testing.T) {
	skipShort(t)
	t.Parallel()
	// The chain is held: the transaction gathers at most 1 of its 2 confirmations until
	// the test has seen the cancel refused, so the gateway cannot confirm first.
	sb := sandbox(t, "cryptogw", "--block-time", "300ms", "--hold-confirmations")
	s := cgStartSim(t, "--sandbox", sb, "--pay-after", "100ms")
	s.keys(t, "2000\n\n")
	s.waitShot(t, screen.QR)
	uri := cgQR(t, s.screens)
	r := cgRenderer(t)
	// The terminal polls every 0.5-2 s, so it may first see the transaction at 0 or at 1
	// of the 2 confirmations.
	seen := []screen.Screen{cgQRScreen(uri, "0/2 confirmations"), cgQRScreen(uri, "1/2 confirmations")}
	checked := map[string]bool{}
	waitUntil(t, 30*time.Second, "the QR screen to show the transaction (0/2 or 1/2 confirmations)", func() bool {
		for _, f := range s.shots(screen.QR) {
			if !checked[f] && (cgMatches(t, r, f, seen[0]) || cgMatches(t, r, f, seen[1])) {
				return true
			}
			checked[f] = true
		}
		return false
	}, s.diag)
	s.keys(t, "c")
	refused := cgQRScreen(uri, "Cannot cancel: payment in progress")
	waitUntil(t, 30*time.Second, "the cashier told the payment cannot be cancelled any more", func() bool {
		for _, f := range s.shots(screen.QR) {
			if !checked[f] && cgMatches(t, r, f, refused) {
				return true
			}
			checked[f] = true
		}
		return false
	}, s.diag)
	resp, err := httpClient().Post(sb+"/sandbox/hold?on=false", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.waitShot(t, screen.Paid)
	s.stop(t)

	if c := s.shots(screen.Cancelled); len(c) != 0 {
		t.Errorf("cancelled screen shown: %v", c)
	}
	p := cgOnePayment(t, s.state, "paid")
	if p.PaidLate {
		t.Errorf("payment marked paid after cancel: %+v", p)
	}
	if tx := cgGatewayTx(t, sb, p.ID); tx.Status != "Confirmed" || tx.Cancelled != nil {
		t.Errorf("gateway: %+v, want Confirmed, never cancelled", tx)
	}
	doc := receipts(t, s.rfile)
	if doc.Cuts() != 1 || cgCount(doc, "PAYMENT") != 1 || cgCount(doc, "APPROVED") != 1 {
		t.Fatalf("receipt (%d cuts), want one sale receipt:\n%s", doc.Cuts(), doc.Text())
	}
	cgExactAmounts(t, doc)
}

// A refund asked while the gateway fails stays pending; when the gateway answers again
// it is sent, completes, and its slip prints once.
func TestCryptoRefundQueuedWhileGatewayFails(t *testing.T) {
	skipShort(t)
	t.Parallel()
	sb := sandbox(t, "cryptogw", "--block-time", "300ms", "--refund-wait", "2s")
	s := cgStartSim(t, "--sandbox", sb, "--pay-after", "100ms", "--admin-socket", adminSock(t))
	s.keys(t, "2000\n\n")
	s.waitShot(t, screen.Paid)
	var id string
	waitUntil(t, 20*time.Second, "the sale receipt", func() bool {
		doc := s.decoded()
		if doc == nil || doc.Cuts() != 1 || len(doc.QRs()) != 1 {
			return false
		}
		id = doc.QRs()[0]
		return true
	}, s.diag)
	uri := cgQR(t, s.screens)

	// The gateway fails: every API call answers 500 until the injected failures are used up.
	resp, err := httpClient().Post(sb+"/sandbox/fault?kind=500&n=200", "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("inject faults: %v %v", resp, err)
	}
	resp.Body.Close()

	const dest = "sb1qrefunddestination0000000000000001"
	out, errs, code := s.admin(t, "refund", id, "--to", dest)
	if code != 0 {
		t.Fatalf("refund: exit %d: %s", code, errs)
	}
	var rf struct {
		ID          string `json:"id"`
		State       string `json:"state"`
		Destination string `json:"destination"`
	}
	if err := json.Unmarshal([]byte(out), &rf); err != nil || rf.State != "pending" || rf.Destination != dest {
		t.Fatalf("refund answered %q (%v), want a pending refund to %s", out, err, dest)
	}
	if n := s.openRefunds(t); n != 1 {
		t.Fatalf("open refunds = %d, want the pending one", n)
	}
	if s.cuts() != 1 {
		t.Fatalf("a slip printed while the gateway fails\n%s", s.diag())
	}
	// Still failing now, so nothing reached the gateway before: the calls are FIFO.
	if code, body := cgAPI(t, sb, "GetCurrencyList", nil); code != http.StatusInternalServerError {
		t.Fatalf("gateway answered %d %s while failures were injected (too few for this test?)", code, body)
	}

	// Lift the outage: the sandbox has no "clear faults" control, so use up the rest.
	for i := 0; ; i++ {
		if code, _ := cgAPI(t, sb, "GetCurrencyList", nil); code == http.StatusOK {
			break
		}
		if i > 250 {
			t.Fatal("the gateway never answered again")
		}
	}
	waitUntil(t, 30*time.Second, "the refund slip", func() bool { return s.cuts() == 2 }, s.diag)
	waitUntil(t, 30*time.Second, "the refund to complete (no open refunds)", func() bool { return s.openRefunds(t) == 0 }, s.diag)
	tx := cgGatewayTx(t, sb, id)
	if tx.Refund != uri.Amount.String() || tx.RefundStatus == nil || *tx.RefundStatus != "Refunded" {
		t.Errorf("gateway: %+v, want %s BTC refunded", tx, uri.Amount)
	}
	s.stop(t)

	p := cgOnePayment(t, s.state, "paid")
	if p.Refunded != 2000 {
		t.Errorf("payment %+v: refunded %d, want 2000", p, p.Refunded)
	}
	doc := receipts(t, s.rfile)
	text := doc.Text()
	if doc.Cuts() != 2 || cgCount(doc, "PAYMENT") != 1 || cgCount(doc, "REFUND") != 1 ||
		!strings.Contains(text, dest) || !strings.Contains(text, rf.ID) || strings.Count(text, onReceipt(t, "20.00", "EUR")) != 2 {
		t.Fatalf("receipts (%d cuts), want the sale and one refund slip of 20.00 EUR to %s:\n%s", doc.Cuts(), dest, text)
	}
	cgExactAmounts(t, doc)
}
