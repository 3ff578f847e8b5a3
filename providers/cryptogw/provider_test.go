package cryptogw

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/providers/cryptogw/sandbox"
)

func TestStepsCurrencyThenQuote(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 3}, func(c *Config) { c.Currencies = []string{"XMR", "ETH", "BTC"} })
	ctx := t.Context()
	p := &driver.Payment{ID: "p1", Amount: money.New(4825, "EUR")}
	step, err := e.pr.NextStep(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	// XMR is disabled at the gateway; order follows the configuration.
	if step.Key != KeyCurrency || !slices.Equal(step.Options, []string{"ETH", "BTC"}) {
		t.Fatalf("first step = %+v", step)
	}
	p.Data[KeyCurrency] = "BTC"
	step, err = e.pr.NextStep(ctx, p)
	if err != nil || step.Key != KeyQuote || step.Refresh == nil || step.Every != 5*time.Second || len(step.Lines) != 3 {
		t.Fatalf("second step = %+v, %v", step, err)
	}
	if !strings.HasPrefix(step.Lines[0], "1 BTC = ") || !strings.HasSuffix(step.Lines[1], " BTC") {
		t.Errorf("quote lines %q", step.Lines)
	}
	lines, err := step.Refresh(ctx, p)
	if err != nil || slices.Equal(lines, step.Lines) {
		t.Errorf("refresh gave %q, %v; the rate should have moved", lines, err)
	}
	p.Data[KeyQuote] = "OK"
	if step, err := e.pr.NextStep(ctx, p); step != nil || err != nil {
		t.Fatalf("third step = %+v, %v", step, err)
	}
	if n := e.sb.Requests("GetCurrencyList"); n != 1 {
		t.Errorf("currency list fetched %d times, want cached", n)
	}
}

func TestOneCurrencyIsNotAsked(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, func(c *Config) { c.Currencies = []string{"LTC"} })
	p := &driver.Payment{ID: "p1", Amount: money.New(100, "EUR")}
	step, err := e.pr.NextStep(t.Context(), p)
	if err != nil || step.Key != KeyQuote || !strings.Contains(step.Prompt, "LTC") {
		t.Fatalf("step = %+v, %v", step, err)
	}
	// The flow answers on its own copy: Start still knows the currency.
	p2 := &driver.Payment{ID: "p1", Amount: money.New(100, "EUR"), Data: map[string]string{KeyQuote: "OK"}}
	d := &disk{}
	u, err := e.pr.Start(t.Context(), p2, d.save)
	if err != nil || !strings.HasPrefix(u.QR, "litecoin:") {
		t.Fatalf("Start = %+v, %v", u, err)
	}
}

func TestPaidPath(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 5, ConfirmationInterval: 10 * time.Second, MinConfirmations: 2}, nil)
	ctx := t.Context()
	p, d := e.start("pay-1", 4825)
	if d.p.Data[keyPaymentID] == "" || d.p.Data[keyAddress] == "" || !strings.HasPrefix(p.QR, "bitcoin:") {
		t.Fatalf("after Start: %+v qr %q", d.p.Data, p.QR)
	}
	if p.ExpiresAt != e.clk.Now().Add(5*time.Minute) {
		t.Errorf("ExpiresAt = %v", p.ExpiresAt)
	}
	u, err := e.pr.Check(ctx, p, d.save)
	if err != nil || u.Remote != driver.RemotePending || u.Detail != "Waiting for transaction" {
		t.Fatalf("Check = %+v, %v", u, err)
	}
	if err := e.sb.PayURI(p.QR); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(10 * time.Second)
	u, _ = e.pr.Check(ctx, p, d.save)
	if u.Remote != driver.RemotePending || u.Detail != "1/2 confirmations" {
		t.Fatalf("after 1 block: %+v", u)
	}
	e.clk.Advance(10 * time.Second)
	u, _ = e.pr.Check(ctx, p, d.save)
	if u.Remote != driver.RemotePaid {
		t.Fatalf("after 2 blocks: %+v", u)
	}
	// The gateway knows our reference: its reference_no filter finds the payment.
	txs, err := e.pr.Client().TransactionsByReference(ctx, "pay-1")
	if err != nil || len(txs) != 1 || txs[0].PaymentID != p.ProviderID {
		t.Errorf("by reference pay-1: %+v, %v", txs, err)
	}
}

func TestUnderpaidAccept(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 9, Underpayment: sandbox.Amount(MustDecimal("0.00010000"))}, nil)
	ctx := t.Context()
	p, d := e.start("under-1", 10000)
	if err := e.sb.PayURI(p.QR); err != nil { // the wallet pays less
		t.Fatal(err)
	}
	u, err := e.pr.Check(ctx, p, d.save)
	if err != nil || u.Remote != driver.RemoteUnderpaid {
		t.Fatalf("Check = %+v, %v", u, err)
	}
	asked := MustDecimal(d.p.Data[keyAmount])
	got := asked - MustDecimal("0.0001")
	want := []string{"Received " + got.String() + " BTC", "Expected " + asked.String() + " BTC", "Missing 0.00010000 BTC"}
	if !slices.Equal(u.Lines, want) {
		t.Errorf("lines %q, want %q", u.Lines, want)
	}
	if uri, err := ParsePaymentURI(u.QR); u.QR == p.QR || err != nil || uri.Amount != MustDecimal("0.0001") {
		t.Errorf("underpayment QR %q (was %q)", u.QR, p.QR)
	}
	u, err = e.pr.Accept(ctx, p, d.save)
	if err != nil || u.Remote != driver.RemotePaid {
		t.Fatalf("Accept = %+v, %v", u, err)
	}
	u, _ = e.pr.Check(ctx, p, d.save)
	if u.Remote != driver.RemotePaid {
		t.Fatalf("Check after accept = %+v", u)
	}
	// accepted_invoice_amount is proportional and rounded down.
	acc, _ := money.ParseDecimal(d.p.Data[keyAccFiat], 2)
	if acc >= 10000 || acc < 9000 {
		t.Errorf("accepted invoice %d of 10000", acc)
	}
}

func TestUnderpaidTopUp(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 9, Underpayment: 500, MinConfirmations: 1, ConfirmationInterval: time.Second}, nil)
	p, d := e.start("under-2", 2000)
	e.sb.PayURI(p.QR)
	u, _ := e.pr.Check(t.Context(), p, d.save)
	if err := e.sb.PayURI(u.QR); err != nil { // the customer pays the rest at the new address
		t.Fatal(err)
	}
	e.clk.Advance(time.Second)
	if u, _ := e.pr.Check(t.Context(), p, d.save); u.Remote != driver.RemotePaid {
		t.Fatalf("after top-up: %+v", u)
	}
}

func TestUnderpaidCancel(t *testing.T) {
	e := newEnv(t, sandbox.Options{Underpayment: 1000}, nil)
	ctx := t.Context()
	p, d := e.start("under-3", 2500)
	e.sb.PayURI(p.QR)
	u, err := e.pr.Cancel(ctx, p, d.save)
	if err != nil || u.Remote != driver.RemoteCancelled {
		t.Fatalf("Cancel = %+v, %v", u, err)
	}
	e.clk.Advance(time.Hour) // past expiry: still "cancelled", the terminal asked
	u, _ = e.pr.Check(ctx, d.p, d.save)
	if u.Remote != driver.RemoteCancelled || len(u.Lines) == 0 || !strings.Contains(u.Lines[1], "Refund") {
		t.Fatalf("Check after cancel = %+v", u)
	}
}

func TestCancelRefusedAfterTransactionSeen(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	ctx := t.Context()
	p, d := e.start("c-1", 1500)
	e.sb.PayURI(p.QR)
	u, err := e.pr.Cancel(ctx, p, d.save)
	if !errors.Is(err, driver.ErrCannotCancel) || driver.CashierMessage(err) != "Funds on the way" || !strings.Contains(err.Error(), "funds on the way") {
		t.Fatalf("Cancel err = %v", err)
	}
	if u.Remote != driver.RemotePending || u.Detail != "0/2 confirmations" {
		t.Errorf("Cancel update = %+v", u)
	}
	e.clk.Advance(time.Minute)
	if u, _ := e.pr.Check(ctx, p, d.save); u.Remote != driver.RemotePaid {
		t.Errorf("the payment must still complete: %+v", u)
	}
}

func TestCancelWaitingAndExpiry(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	ctx := t.Context()
	p, d := e.start("c-2", 1500)
	if u, err := e.pr.Cancel(ctx, p, d.save); err != nil || u.Remote != driver.RemoteCancelled {
		t.Fatalf("Cancel = %+v, %v", u, err)
	}
	q, dq := e.start("c-3", 1500)
	e.clk.Advance(5*time.Minute + time.Second)
	if u, err := e.pr.Check(ctx, q, dq.save); err != nil || u.Remote != driver.RemoteExpired {
		t.Fatalf("Check after 5 min = %+v, %v", u, err)
	}
}

func TestBlockedKYT(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	p, d := e.start("k-1", 1500)
	e.sb.PayURI(p.QR)
	if err := e.sb.Block(p.ProviderID, true); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	if u, _ := e.pr.Check(t.Context(), p, d.save); u.Remote != driver.RemotePending || u.Detail != "Blocked (KYT)" {
		t.Fatalf("Check = %+v", u)
	}
	txs, _ := e.pr.Client().GetTransactions(t.Context(), 0, 1)
	if txs[0].DoubleSpendingAlert == "" {
		t.Error("no double_spending_alert in GetTransactions")
	}
}

func TestRefundWithWaitTime(t *testing.T) {
	e := newEnv(t, sandbox.Options{RefundWait: 120 * time.Minute}, nil)
	ctx := t.Context()
	p, d := e.start("r-1", 4825)
	e.sb.PayURI(p.QR)
	e.clk.Advance(time.Minute)
	if u, _ := e.pr.Check(ctx, p, d.save); u.Remote != driver.RemotePaid {
		t.Fatalf("not paid: %+v", u)
	}
	if !e.pr.RefundNeedsDestination() {
		t.Fatal("RefundNeedsDestination = false")
	}
	var saved *driver.Refund
	saveR := func(r *driver.Refund) error { c := *r; saved = &c; return nil }
	r := &driver.Refund{ID: "rf-1", Amount: p.Amount, Destination: "bad address!"}
	if _, err := e.pr.Refund(ctx, p, r, saveR); err == nil {
		t.Fatal("refund to a bad address accepted")
	}
	r.Destination = "sb1qcustomerrefundaddress42"
	part := *r
	part.Amount.Minor = 100
	if _, err := e.pr.Refund(ctx, p, &part, saveR); err == nil {
		t.Fatal("partial refund accepted")
	}
	ru, err := e.pr.Refund(ctx, p, r, saveR)
	if err != nil || ru.State != driver.RefundSent || !strings.Contains(ru.Detail, "120 minutes") {
		t.Fatalf("Refund = %+v, %v", ru, err)
	}
	if saved == nil || saved.Data[keyRefundAmount] == "" {
		t.Error("refund amount not saved before RefundPayment")
	}
	// Repeating it (unknown outcome) does not ask the gateway twice.
	if ru, err := e.pr.Refund(ctx, p, r, saveR); err != nil || ru.State != driver.RefundSent || e.sb.Requests("RefundPayment") != 1 {
		t.Fatalf("repeat Refund = %+v, %v, %d calls", ru, err, e.sb.Requests("RefundPayment"))
	}
	if ru, err := e.pr.CheckRefund(ctx, p, r); err != nil || ru.State != driver.RefundSent {
		t.Fatalf("CheckRefund = %+v, %v", ru, err)
	}
	e.clk.Advance(121 * time.Minute)
	if ru, err := e.pr.CheckRefund(ctx, p, r); err != nil || ru.State != driver.RefundDone {
		t.Fatalf("CheckRefund later = %+v, %v", ru, err)
	}
}

func TestCrashAfterStartPaymentBeforeStoringAnswer(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	ctx := t.Context()
	p := newPayment("crash-1", 999)
	d := &disk{fail: 2} // the save after StartPayment never happens
	if _, err := e.pr.Start(ctx, p, d.save); !errors.Is(err, errSimulatedCrash) {
		t.Fatalf("Start = %v", err)
	}
	// After the restart only the first save is on disk: no address, no ProviderID.
	rec := d.p.Clone()
	if rec.Data[keyPaymentID] == "" || rec.Data[keyAddress] != "" || rec.ProviderID != "" {
		t.Fatalf("on disk: %+v", rec)
	}
	d.fail = 0
	u, err := e.pr.Check(ctx, rec, d.save)
	if err != nil || u.Remote != driver.RemotePending || u.ProviderID != rec.Data[keyPaymentID] {
		t.Fatalf("Check = %+v, %v", u, err)
	}
	if d.p.Data[keyAddress] == "" {
		t.Fatal("address found but not saved")
	}
	if err := e.sb.Pay(d.p.Data[keyAddress], 0); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	if u, _ := e.pr.Check(ctx, rec, d.save); u.Remote != driver.RemotePaid {
		t.Fatalf("Check = %+v", u)
	}
	// A repeated Start finds it too and starts nothing new.
	if u, err := e.pr.Start(ctx, rec, d.save); err != nil || u.Remote != driver.RemotePaid || e.sb.Requests("StartPayment") != 1 {
		t.Fatalf("Start again = %+v, %v, %d starts", u, err, e.sb.Requests("StartPayment"))
	}
}

func TestStartNeverReachedIsNotFound(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, func(c *Config) { c.MaxAttempts = 1 })
	ctx := t.Context()
	p := newPayment("lost-1", 999)
	d := &disk{}
	if err := e.pr.Ping(ctx); err != nil { // caches the currency list
		t.Fatal(err)
	}
	// GetRate passes, StartPayment gets a 500 before the sandbox does anything.
	e.sb.InjectFaults(sandbox.FaultNone, sandbox.Fault500)
	if _, err := e.pr.Start(ctx, p, d.save); !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("Start = %v", err)
	}
	rec := d.p.Clone()
	u, err := e.pr.Check(ctx, rec, d.save)
	if err != nil || u.Remote != driver.RemoteNotFound {
		t.Fatalf("Check = %+v, %v", u, err)
	}
	// Start again: a new quote and a real start.
	if u, err := e.pr.Start(ctx, rec, d.save); err != nil || u.Remote != driver.RemotePending || e.sb.Requests("StartPayment") != 2 {
		t.Fatalf("Start again = %+v, %v", u, err)
	}
}

func TestPingAndNameAndReconcile(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	ctx := t.Context()
	if err := e.pr.Ping(ctx); err != nil || e.pr.Name() != "cryptogw" {
		t.Fatalf("Ping = %v, name %q", err, e.pr.Name())
	}
	from := e.clk.Now()
	paid, dp := e.start("rec-1", 1000)
	e.sb.PayURI(paid.QR)
	ghost, _ := e.start("rec-2", 2000) // paid at the gateway, lost locally
	e.sb.PayURI(ghost.QR)
	open, _ := e.start("rec-3", 3000) // locally (wrongly) paid, never paid at the gateway
	e.clk.Advance(time.Minute)
	to := e.clk.Now()
	local := []driver.Record{
		{ID: dp.p.ID, Amount: dp.p.Amount, ProviderID: dp.p.ProviderID, Data: dp.p.Data, State: "paid", Paid: true},
		{ID: "rec-3", Amount: open.Amount, Data: open.Data, State: "paid", Paid: true},
	}
	diffs, err := e.pr.Reconcile(ctx, from, to, local)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 2 {
		t.Fatalf("diffs = %+v", diffs)
	}
	kinds := map[DiffKind]string{}
	for _, d := range diffs {
		kinds[d.Kind] = d.PaymentID + d.GatewayID
	}
	if kinds[DiffState] != "rec-3"+open.ProviderID || kinds[DiffMissingLocal] != ghost.ProviderID {
		t.Errorf("diffs = %+v", diffs)
	}
	// Outside the window the ghost is not reported.
	diffs, _ = e.pr.Reconcile(ctx, to, to.Add(time.Hour), local[:1])
	if len(diffs) != 0 {
		t.Errorf("diffs outside window = %+v", diffs)
	}
}

// After a restart the engine abandons a payment nobody waits for (README, "Same crash,
// same outcome"): Check only reports it, and Cancel releases it at the gateway.
func TestRestartReleasesAbandonedPayment(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	ctx := t.Context()
	d := &disk{fail: 2} // the save after StartPayment never happens
	if _, err := e.pr.Start(ctx, newPayment("restart-1", 999), d.save); !errors.Is(err, errSimulatedCrash) {
		t.Fatalf("Start = %v", err)
	}
	d.fail = 0
	rec := d.p.Clone()
	rec.StopRequested = func() bool { return true }
	if u, err := e.pr.Check(ctx, rec, d.save); err != nil || u.Remote != driver.RemotePending {
		t.Fatalf("Check after restart = %+v, %v", u, err)
	}
	rec = d.p.Clone()
	rec.StopRequested = func() bool { return true }
	u, err := e.pr.Cancel(ctx, rec, d.save)
	if err != nil || u.Remote != driver.RemoteCancelled {
		t.Fatalf("Cancel = %+v, %v; want released", u, err)
	}
	if u, err := e.pr.Check(ctx, d.p.Clone(), d.save); err != nil || u.Remote != driver.RemoteCancelled {
		t.Fatalf("Check after cancel = %+v, %v; want cancelled at the gateway", u, err)
	}
}
