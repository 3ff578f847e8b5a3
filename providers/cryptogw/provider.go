package cryptogw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

// Keys of the answers and provider data this package keeps in driver.Payment.Data.
const (
	KeyCurrency = "crypto.currency" // step answer: the chosen crypto symbol
	KeyQuote    = "crypto.quote"    // step answer: the customer saw the quote and OK'd it

	keyPaymentID = "crypto.payment_id" // gateway payment id, saved before StartPayment
	keyAddress   = "crypto.address"    // address from StartPayment
	keyAmount    = "crypto.amount"     // crypto amount asked
	keyQR        = "crypto.qr"         // payment URI from StartPayment
	keyExpires   = "crypto.expires"    // RFC 3339 local expiry
	keyCancel    = "crypto.cancel"     // "1" once the terminal asked to cancel
	keyAccepted  = "crypto.accepted"   // crypto amount accepted by AcceptPayment
	keyAccFiat   = "crypto.accepted_invoice"

	keyRefundAmount = "crypto.refund_amount" // crypto amount asked back, saved before RefundPayment
	keyRefundWait   = "crypto.refund_wait"
)

// Provider is the crypto gateway as a driver.Provider, driver.Asker, driver.Decider and
// driver.Refunder.
type Provider struct {
	cfg Config
	c   *Client
	log *slog.Logger

	mu        sync.Mutex
	curList   []Currency
	curExpiry time.Time
}

var (
	_ driver.Provider = (*Provider)(nil)
	_ driver.Asker    = (*Provider)(nil)
	_ driver.Decider  = (*Provider)(nil)
	_ driver.Refunder = (*Provider)(nil)
)

// New returns a Provider for cfg. cfg is validated; errors name the bad field.
func New(cfg Config, logger *slog.Logger) (*Provider, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("provider", cfg.Name)
	return &Provider{cfg: cfg, c: newClient(cfg, logger), log: logger}, nil
}

// Name returns the configured provider name.
func (pr *Provider) Name() string { return pr.cfg.Name }

// Client returns the underlying API client.
func (pr *Provider) Client() *Client { return pr.c }

// ErrNoCurrencies is returned (wrapped) when the gateway lists no enabled currency.
var ErrNoCurrencies = errors.New("cryptogw: the gateway offers no crypto currency now")

// Currencies returns the crypto currencies the terminal offers now: the configured
// ones the gateway lists as enabled (GetCurrencyList, cached for CurrencyCacheTTL).
// Only a list with at least one enabled currency is cached: an empty list, null or an
// error is not, so the next payment asks again. While a good list is cached, a failed
// or empty refresh keeps using it (logged); without one the cashier sees the reason.
func (pr *Provider) Currencies(ctx context.Context) ([]string, error) {
	pr.mu.Lock()
	list, fresh := pr.curList, pr.cfg.Now().Before(pr.curExpiry)
	pr.mu.Unlock()
	if !fresh {
		l, err := pr.refreshCurrencies(ctx)
		switch {
		case err == nil:
			list = l
		case list != nil:
			pr.log.Warn("cryptogw: currency list refresh failed, using the last good list", "err", err)
		default:
			return nil, err
		}
	}
	gw := enabled(list)
	if len(pr.cfg.Currencies) == 0 {
		return gw, nil
	}
	var out []string
	for _, c := range pr.cfg.Currencies {
		if slices.Contains(gw, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// refreshCurrencies asks GetCurrencyList and caches the answer when it lists at least
// one enabled currency.
func (pr *Provider) refreshCurrencies(ctx context.Context) ([]Currency, error) {
	l, err := pr.c.GetCurrencyList(ctx)
	if err != nil {
		return nil, err
	}
	if len(enabled(l)) == 0 {
		return nil, fmt.Errorf("%w (GetCurrencyList listed %d, none enabled)", ErrNoCurrencies, len(l))
	}
	pr.mu.Lock()
	pr.curList, pr.curExpiry = l, pr.cfg.Now().Add(pr.cfg.CurrencyCacheTTL)
	pr.mu.Unlock()
	return l, nil
}

// enabled returns the symbols of the enabled currencies in l.
func enabled(l []Currency) []string {
	var out []string
	for _, c := range l {
		if c.Enabled() {
			out = append(out, c.Currency)
		}
	}
	return out
}

// NextStep asks for the crypto currency when more than one is offered, then shows the
// quote (refreshed every QuoteEvery) until the customer OKs it.
func (pr *Provider) NextStep(ctx context.Context, p *driver.Payment) (*driver.Step, error) {
	if p.Data == nil {
		p.Data = map[string]string{}
	}
	if p.Data[KeyCurrency] == "" {
		curs, err := pr.Currencies(ctx)
		if err != nil {
			return nil, err // names cryptogw and GetCurrencyList already
		}
		switch len(curs) {
		case 0:
			return nil, errors.New("cryptogw: no crypto currency enabled")
		case 1:
			p.Data[KeyCurrency] = curs[0]
		default:
			return &driver.Step{Key: KeyCurrency, Prompt: "Choose crypto currency", Options: curs}, nil
		}
	}
	if p.Data[KeyQuote] == "" {
		cur, err := pr.currency(ctx, p)
		if err != nil {
			return nil, err
		}
		lines, err := pr.quote(ctx, p)
		if err != nil {
			return nil, err
		}
		return &driver.Step{
			Key: KeyQuote, Prompt: "Pay " + p.Amount.String() + " in " + cur + "? OK",
			Refresh: pr.quote, Every: pr.cfg.QuoteEvery, Lines: lines,
		}, nil
	}
	return nil, nil
}

// quote calls GetRate and renders it for the screen.
func (pr *Provider) quote(ctx context.Context, p *driver.Payment) ([]string, error) {
	cur, err := pr.currency(ctx, p)
	if err != nil {
		return nil, err
	}
	r, err := pr.c.GetRate(ctx, pr.rateRequest(p, cur))
	if err != nil {
		return nil, err
	}
	return []string{
		fmt.Sprintf("1 %s = %s %s", r.Currency, r.Rate.Trim(2), r.Invoice.Currency),
		fmt.Sprintf("Amount %s %s", r.Amount, r.Currency),
		fmt.Sprintf("Network fee %s %s", r.NetworkProcessingFee, r.Currency),
	}, nil
}

func (pr *Provider) rateRequest(p *driver.Payment, cur string) RateRequest {
	return RateRequest{Invoice: p.Amount, Currency: cur,
		AcceptZeroConfirmations: pr.cfg.AcceptZeroConfirmations, RequireKYTForConfirmation: pr.cfg.RequireKYT}
}

// currency returns the payment's crypto currency, checked against the offered ones.
func (pr *Provider) currency(ctx context.Context, p *driver.Payment) (string, error) {
	curs, err := pr.Currencies(ctx)
	if err != nil {
		return "", err // names cryptogw and GetCurrencyList already
	}
	cur := strings.ToUpper(p.Data[KeyCurrency])
	if cur == "" && len(curs) == 1 {
		cur = curs[0]
	}
	if cur == "" || !slices.Contains(curs, cur) {
		return "", fmt.Errorf("cryptogw: crypto currency %q is not offered", cur)
	}
	return cur, nil
}

// Start gets a fresh quote and starts the payment with it. The gateway payment id is
// saved before StartPayment so that Check finds the payment after a crash.
func (pr *Provider) Start(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error) {
	if p.Data == nil {
		p.Data = map[string]string{}
	}
	if p.Data[keyPaymentID] != "" {
		// Started before (a repeated Start, or a crash): ask before starting again.
		u, started, err := pr.startedAfterFault(ctx, p, save)
		if err != nil || started {
			return u, err
		}
		delete(p.Data, keyPaymentID)
	}
	cur, err := pr.currency(ctx, p)
	if err != nil {
		return driver.Update{}, err
	}
	rate, err := pr.c.GetRate(ctx, pr.rateRequest(p, cur))
	if err != nil {
		return driver.Update{}, err
	}
	p.Data[KeyCurrency] = cur
	p.Data[keyPaymentID] = rate.PaymentID
	expires := pr.cfg.Now().Add(pr.cfg.Expiry)
	p.Data[keyExpires] = expires.UTC().Format(time.RFC3339)
	if err := save(p); err != nil {
		return driver.Update{}, fmt.Errorf("cryptogw: save payment id: %w", err)
	}
	req := StartRequest{
		RateRequest: pr.rateRequest(p, cur), PaymentID: rate.PaymentID, ReferenceNo: p.ID,
		PayerIPAddress: p.Data["crypto.payer_ip"], PayerUserAgent: p.Data["crypto.payer_user_agent"],
		WebhookURL:             pr.cfg.WebhookURL,
		AutoAcceptUnderpayment: pr.cfg.AutoAcceptUnderpayment, AutoAcceptUnderpaymentMin: pr.cfg.AutoAcceptUnderpaymentMin,
		AutoAcceptOverpayment: pr.cfg.AutoAcceptOverpayment, AutoAcceptOverpaymentMax: pr.cfg.AutoAcceptOverpaymentMax,
		AutoAcceptLatePayment: pr.cfg.AutoAcceptLatePayment,
	}
	st, err := pr.c.StartPayment(ctx, req)
	// Ask, then retry (see the package doc, Faults): after a fault whose outcome is
	// unknown, CheckPayment by the quote's payment id tells whether the gateway started
	// it; only when it did not is the same request sent again.
	for sent := 1; err != nil && errors.Is(err, driver.ErrUnreachable); {
		pr.log.Warn("cryptogw: StartPayment outcome unknown; asking the gateway", "payment", p.ID, "err", err)
		if perr := pause(ctx, pr.c.backoff(sent, err)); perr != nil {
			break
		}
		u, started, aerr := pr.startedAfterFault(ctx, p, save)
		if aerr != nil {
			err = aerr // still unknown
			if !errors.Is(aerr, driver.ErrUnreachable) || sent >= pr.cfg.MaxAttempts+1 {
				break
			}
			sent++ // an ask that failed counts against the same budget
			continue
		}
		if started {
			return u, nil
		}
		if sent >= pr.cfg.MaxAttempts {
			// Not started, and no sends left: a failure the gateway confirms.
			err = fmt.Errorf("%w (sent %d times, the gateway has no payment)", err, sent)
			break
		}
		sent++
		st, err = pr.c.StartPayment(ctx, req)
	}
	if err != nil {
		return driver.Update{ProviderID: rate.PaymentID}, err
	}
	p.Data[keyAddress] = st.Address
	p.Data[keyAmount] = st.Amount.String()
	p.Data[keyQR] = st.QR
	if err := save(p); err != nil {
		return driver.Update{}, fmt.Errorf("cryptogw: save address: %w", err)
	}
	qr := st.QR
	if qr == "" {
		qr = st.Address
	}
	return driver.Update{
		Remote: driver.RemotePending, ProviderID: st.PaymentID, QR: qr, ExpiresAt: expires,
		Detail: "Waiting for transaction",
		Lines:  []string{fmt.Sprintf("Pay %s %s", st.Amount, st.Currency), "to " + st.Address},
	}, nil
}

// startedAfterFault asks the gateway whether it started p (its saved payment id): the
// payment is found by reference_no in GetTransactions (which also gives its address)
// and read with CheckPayment. started is false only when the gateway answered that it
// has no such payment (RemoteNotFound); an error leaves the outcome unknown. When the
// payment was started, its address and a payment URI for the QR are saved, since the
// StartPayment answer that carried them was lost.
func (pr *Provider) startedAfterFault(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, bool, error) {
	u, err := pr.Check(ctx, p, save)
	if err != nil {
		return u, false, err
	}
	if u.Remote == driver.RemoteNotFound {
		return u, false, nil
	}
	if p.Data[keyQR] == "" && p.Data[keyAddress] != "" {
		p.Data[keyQR] = paymentURI(p.Data[KeyCurrency], p.Data[keyAddress], p.Data[keyAmount])
		if err := save(p); err != nil {
			return driver.Update{}, false, fmt.Errorf("cryptogw: save address: %w", err)
		}
	}
	if u.QR == "" {
		u.QR = p.Data[keyQR]
	}
	if u.ProviderID == "" {
		u.ProviderID = p.Data[keyPaymentID]
	}
	return u, true, nil
}

// uriSchemes are the BIP21-style URI schemes of common currencies, used to rebuild a QR
// when StartPayment's answer (with its "qr") was lost. Others get the bare address.
var uriSchemes = map[string]string{"BTC": "bitcoin", "LTC": "litecoin", "ETH": "ethereum", "BCH": "bitcoincash", "DOGE": "dogecoin"}

// paymentURI is "<scheme>:<address>?amount=<amount>", or the bare address when the
// currency's scheme is not known.
func paymentURI(currency, address, amount string) string {
	scheme := uriSchemes[strings.ToUpper(currency)]
	if scheme == "" || address == "" {
		return address
	}
	if amount == "" {
		return scheme + ":" + address
	}
	return scheme + ":" + address + "?amount=" + amount
}

// ref resolves the gateway reference of p. ok is false when p never got a payment id.
// A payment whose StartPayment answer was lost has no address: it is looked up in
// GetTransactions and, when found, saved.
func (pr *Provider) ref(ctx context.Context, p *driver.Payment, save driver.Saver) (PaymentRef, bool, error) {
	if p.Data == nil {
		p.Data = map[string]string{}
	}
	r := PaymentRef{PaymentID: p.Data[keyPaymentID], Currency: p.Data[KeyCurrency], Address: p.Data[keyAddress]}
	if r.PaymentID == "" {
		r.PaymentID = p.ProviderID
	}
	if r.PaymentID == "" {
		return r, false, nil
	}
	if r.Address != "" && r.Currency != "" {
		return r, true, nil
	}
	tx, found, err := pr.findTransaction(ctx, p, r.PaymentID)
	if err != nil {
		return r, false, err
	}
	if !found {
		return r, true, nil // CheckPayment decides (404: never started)
	}
	if r.Currency == "" {
		r.Currency = tx.Currency
	}
	r.Address = tx.Address
	p.Data[keyAddress], p.Data[KeyCurrency], p.Data[keyAmount] = tx.Address, r.Currency, tx.Amount.String()
	if save != nil {
		if err := save(p); err != nil {
			return r, false, fmt.Errorf("cryptogw: save address: %w", err)
		}
	}
	return r, true, nil
}

// pageSize is how many transactions one GetTransactions page asks for.
const pageSize = 100

// findTransaction looks payment p up in GetTransactions filtered by reference_no (p's
// local id, sent as reference_no on StartPayment): one call, no paging. A gateway that
// ignores the filter answers with its newest transactions; they are matched by the
// gateway payment id (or by reference_no where the reply carries it).
func (pr *Provider) findTransaction(ctx context.Context, p *driver.Payment, paymentID string) (Transaction, bool, error) {
	txs, err := pr.c.TransactionsByReference(ctx, p.ID)
	if err != nil {
		return Transaction{}, false, err
	}
	for _, t := range txs {
		if paymentID != "" && t.PaymentID == paymentID {
			return t, true, nil
		}
	}
	for _, t := range txs {
		if paymentID == "" && t.ReferenceNo == p.ID && t.PaymentID != "" {
			return t, true, nil
		}
	}
	return Transaction{}, false, nil
}

// Check asks CheckPayment and maps the state for the driver.
func (pr *Provider) Check(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error) {
	r, ok, err := pr.ref(ctx, p, save)
	if err != nil {
		return driver.Update{}, err
	}
	if !ok {
		return driver.Update{Remote: driver.RemoteNotFound}, nil
	}
	st, err := pr.c.CheckPayment(ctx, r)
	if err != nil {
		var ae *APIError
		if r.Address == "" && errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return driver.Update{Remote: driver.RemoteNotFound, ProviderID: r.PaymentID}, nil
		}
		return driver.Update{}, err
	}
	u, err := pr.update(p, r, st)
	if p.Data[keyReceived] != "" && save != nil {
		if serr := save(p); serr != nil {
			return driver.Update{}, fmt.Errorf("cryptogw: save settlement: %w", serr)
		}
	}
	return u, err
}

// expiry returns when p expires locally.
func (pr *Provider) expiry(p *driver.Payment) time.Time {
	if !p.ExpiresAt.IsZero() {
		return p.ExpiresAt
	}
	t, _ := time.Parse(time.RFC3339, p.Data[keyExpires])
	return t
}

// update maps a CheckPayment status to a flow update. A confirmed payment's settlement
// is recorded in p.Data (see confirmedUpdate); a confirmed payment the client cannot take
// as paid returns a pending update with a *SettlementError.
func (pr *Provider) update(p *driver.Payment, r PaymentRef, st Status) (driver.Update, error) {
	u := driver.Update{ProviderID: r.PaymentID, QR: p.Data[keyQR], ExpiresAt: pr.expiry(p), Detail: st.Status}
	if u.QR == "" {
		u.QR = p.QR
	}
	cur := st.Currency
	if cur == "" {
		cur = r.Currency
	}
	switch {
	case st.Confirmed:
		return confirmedUpdate(p, u, r.PaymentID, st)
	case st.State == "cancelled" || st.Cancelled:
		u.Remote = driver.RemoteCancelled
		exp := pr.expiry(p)
		if p.Data[keyCancel] == "" && !exp.IsZero() && !pr.cfg.Now().Before(exp) {
			u.Remote = driver.RemoteExpired
		}
		u.Reason = st.Status
		if st.Payment > 0 {
			u.Lines = []string{fmt.Sprintf("Received %s %s", st.Payment, cur), "Refund needed"}
		}
	case st.State == "underpayment":
		u.Remote, u.Detail = driver.RemoteUnderpaid, "Underpaid"
		missing := st.Amount - st.Payment
		if st.Underpayment != nil {
			if st.Underpayment.MissingAmount > 0 {
				missing = st.Underpayment.MissingAmount
			}
			if st.Underpayment.QR != "" {
				u.QR = st.Underpayment.QR
			} else if st.Underpayment.Address != "" {
				u.QR = st.Underpayment.Address
			}
		}
		u.Lines = []string{
			fmt.Sprintf("Received %s %s", st.Payment, cur),
			fmt.Sprintf("Expected %s %s", st.Amount, cur),
			fmt.Sprintf("Missing %s %s", missing, cur),
		}
	case st.State == "processing":
		u.Remote = driver.RemotePending
		u.Detail = fmt.Sprintf("%d/%d confirmations", st.Confirmations, st.MinConfirmations)
	case st.State == "blocked":
		u.Remote, u.Detail = driver.RemotePending, "Blocked (KYT)"
	case st.State == "waiting" || st.State == "":
		u.Remote, u.Detail = driver.RemotePending, "Waiting for transaction"
	default:
		u.Remote = driver.RemotePending
	}
	return u, nil
}

// CancelRefused is returned by Cancel when the gateway refuses to cancel because a
// transaction is on its way. It matches driver.ErrPaymentInProgress (and so
// driver.ErrCannotCancel): the flow keeps the payment on screen and watches it.
type CancelRefused struct{ State string }

// Error describes the refusal.
func (e *CancelRefused) Error() string {
	return fmt.Sprintf("cryptogw: cancel refused: funds on the way (state %s)", e.State)
}

// Unwrap returns driver.ErrPaymentInProgress.
func (e *CancelRefused) Unwrap() error { return driver.ErrPaymentInProgress }

// CashierMessage is a short text for the screen.
func (e *CancelRefused) CashierMessage() string { return "Funds on the way" }

// Cancel cancels the payment at the gateway. When the gateway refuses because a
// transaction was seen, it returns the current state and an error matching
// driver.ErrPaymentInProgress (*CancelRefused) so the flow keeps watching.
func (pr *Provider) Cancel(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error) {
	r, ok, err := pr.ref(ctx, p, save)
	if err != nil {
		return driver.Update{}, err
	}
	if !ok {
		return driver.Update{Remote: driver.RemoteCancelled, Detail: "Not started"}, nil
	}
	p.Data[keyCancel] = "1"
	if err := save(p); err != nil {
		return driver.Update{}, fmt.Errorf("cryptogw: save cancel: %w", err)
	}
	cancelled, err := pr.c.CancelPayment(ctx, r, "other", "cancelled at terminal")
	if err == nil && cancelled {
		return driver.Update{Remote: driver.RemoteCancelled, ProviderID: r.PaymentID, Detail: "Cancelled"}, nil
	}
	var ae *APIError
	if err != nil && errors.As(err, &ae) && ae.Status == http.StatusNotFound && r.Address == "" {
		return driver.Update{Remote: driver.RemoteCancelled, ProviderID: r.PaymentID, Detail: "Not started"}, nil
	}
	if err != nil && (ae == nil || ae.Status == http.StatusUnauthorized || errors.Is(err, driver.ErrUnreachable)) {
		return driver.Update{}, err
	}
	// Refused: find out why.
	st, cerr := pr.c.CheckPayment(ctx, r)
	if cerr != nil {
		if err == nil {
			err = errors.New("cryptogw: CancelPayment: not cancelled")
		}
		return driver.Update{}, fmt.Errorf("%w; check: %w", err, cerr)
	}
	u, uerr := pr.update(p, r, st)
	if uerr != nil {
		return u, uerr
	}
	switch u.Remote {
	case driver.RemoteCancelled, driver.RemoteExpired:
		return u, nil
	}
	return u, &CancelRefused{State: st.State}
}

// Accept accepts an underpayment with exactly the amounts CheckPayment reports now. The
// accepted invoice amount is the invoice amount × payment / amount, rounded down to
// minor units.
func (pr *Provider) Accept(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error) {
	r, ok, err := pr.ref(ctx, p, save)
	if err != nil {
		return driver.Update{}, err
	}
	if !ok {
		return driver.Update{Remote: driver.RemoteNotFound}, nil
	}
	st, err := pr.c.CheckPayment(ctx, r)
	if err != nil {
		return driver.Update{}, err
	}
	if st.State != "underpayment" || st.Confirmed {
		u, uerr := pr.update(p, r, st)
		if uerr != nil {
			return u, uerr
		}
		if u.Remote == driver.RemotePaid {
			return u, nil
		}
		return u, fmt.Errorf("cryptogw: accept: nothing to accept in state %q", st.State)
	}
	fiat, err := acceptedInvoice(st)
	if err != nil {
		return driver.Update{}, err
	}
	if st.PaymentText == "" || st.Payment <= 0 {
		return driver.Update{}, fmt.Errorf("cryptogw: accept: the gateway reports nothing received (payment %q)", st.PaymentText)
	}
	p.Data[keyAccepted], p.Data[keyAccFiat] = st.PaymentText, fiat.Decimal()
	if err := save(p); err != nil {
		return driver.Update{}, fmt.Errorf("cryptogw: save accept: %w", err)
	}
	okAcc, err := pr.c.AcceptPayment(ctx, r, st.PaymentText, fiat)
	if err != nil {
		return driver.Update{}, err
	}
	if !okAcc {
		return driver.Update{}, errors.New("cryptogw: AcceptPayment: gateway did not accept")
	}
	return driver.Update{
		Remote: driver.RemotePaid, ProviderID: r.PaymentID, Detail: "Underpayment accepted", Paid: fiat,
		Lines: []string{fmt.Sprintf("Accepted %s %s", st.PaymentText, st.Currency), "= " + fiat.String()},
	}, nil
}

// acceptedInvoice is the invoice value of what arrived: invoice × payment / amount,
// rounded down to the invoice currency's minor units.
func acceptedInvoice(st Status) (money.Amount, error) {
	if st.Amount <= 0 {
		return money.Amount{}, errors.New("cryptogw: accept: payment has no amount")
	}
	n := new(big.Int).Mul(big.NewInt(st.Invoice.Minor), big.NewInt(int64(st.Payment)))
	n.Quo(n, big.NewInt(int64(st.Amount)))
	if !n.IsInt64() {
		return money.Amount{}, errors.New("cryptogw: accept: amount out of range")
	}
	return money.Amount{Minor: n.Int64(), Currency: st.Invoice.Currency}, nil
}

// RefundNeedsDestination is true: the refund goes to a crypto address the customer gives.
func (pr *Provider) RefundNeedsDestination() bool { return true }

// RefundsWholeOnly is true (driver.WholeRefunder): the gateway refunds whole payments only.
func (pr *Provider) RefundsWholeOnly() bool { return true }

var _ driver.WholeRefunder = (*Provider)(nil)

// Refund refunds the whole open refund amount (refund_amount_opened from CheckPayment,
// or the received payment when the gateway does not report it) to r.Destination. The
// gateway refunds whole payments only, so r.Amount must equal the payment's (accepted)
// invoice amount. Before calling RefundPayment again after an unknown outcome it looks
// at GetTransactions and does not ask twice.
func (pr *Provider) Refund(ctx context.Context, p *driver.Payment, r *driver.Refund, save func(*driver.Refund) error) (driver.RefundUpdate, error) {
	dest := strings.TrimSpace(r.Destination)
	if !ValidAddress(dest) {
		return driver.RefundUpdate{}, fmt.Errorf("cryptogw: refund destination %q is not a crypto address", trunc(dest))
	}
	want := p.Paid()
	if f := p.Data[keyAccFiat]; f != "" {
		if m, err := money.ParseDecimal(f, p.Amount.Exponent()); err == nil {
			want.Minor = m
		}
	}
	if p.Refunded > 0 || r.Amount.Minor != want.Minor || (r.Amount.Currency != "" && r.Amount.Currency != want.Currency) {
		return driver.RefundUpdate{}, fmt.Errorf("cryptogw: refund of %s: the gateway refunds whole payments only (%s)", r.Amount, want)
	}
	ref, ok, err := pr.ref(ctx, p, nil)
	if err != nil {
		return driver.RefundUpdate{}, err
	}
	if !ok {
		return driver.RefundUpdate{}, errors.New("cryptogw: refund: payment was never started")
	}
	if r.Data[keyRefundAmount] != "" {
		// Asked before: did it land?
		tx, found, err := pr.findTransaction(ctx, p, ref.PaymentID)
		if err != nil {
			return driver.RefundUpdate{}, err
		}
		if found && (tx.Refund > 0 || tx.RefundStatus != "") {
			return refundUpdate(ref.PaymentID, tx, r.Data[keyRefundWait]), nil
		}
	}
	st, err := pr.c.CheckPayment(ctx, ref)
	if err != nil {
		return driver.RefundUpdate{}, err
	}
	// The gateway compares the text: repeat its own, never re-format.
	amt, amtText := st.RefundAmountOpened, st.RefundAmountOpenedText
	if amt == 0 && st.Refund == 0 && st.RefundStatus == "" {
		amt, amtText = st.Payment, st.PaymentText
	}
	if amt <= 0 || amtText == "" {
		return driver.RefundUpdate{}, fmt.Errorf("cryptogw: refund: nothing open to refund (state %q)", st.State)
	}
	if r.Data == nil {
		r.Data = map[string]string{}
	}
	r.Data[keyRefundAmount] = amtText
	if err := save(r); err != nil {
		return driver.RefundUpdate{}, fmt.Errorf("cryptogw: save refund: %w", err)
	}
	wait, err := pr.c.RefundPayment(ctx, ref.PaymentID, ref.Currency, dest, amtText)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && !errors.Is(err, driver.ErrUnreachable) && ae.Status != http.StatusUnauthorized {
			return driver.RefundUpdate{State: driver.RefundFailed, ProviderID: ref.PaymentID, Reason: ae.CashierMessage()}, err
		}
		return driver.RefundUpdate{}, err
	}
	r.Data[keyRefundWait] = wait
	return driver.RefundUpdate{State: driver.RefundSent, ProviderID: ref.PaymentID,
		Detail: fmt.Sprintf("Refund %s %s, wait %s", amtText, ref.Currency, wait)}, nil
}

// CheckRefund reads the refund's progress from GetTransactions (refund, refund_status):
// CheckPayment documents no refund state.
func (pr *Provider) CheckRefund(ctx context.Context, p *driver.Payment, r *driver.Refund) (driver.RefundUpdate, error) {
	ref, ok, err := pr.ref(ctx, p, nil)
	if err != nil {
		return driver.RefundUpdate{}, err
	}
	if !ok {
		return driver.RefundUpdate{}, errors.New("cryptogw: check refund: payment was never started")
	}
	tx, found, err := pr.findTransaction(ctx, p, ref.PaymentID)
	if err != nil {
		return driver.RefundUpdate{}, err
	}
	if !found {
		return driver.RefundUpdate{}, fmt.Errorf("cryptogw: check refund: payment %s not in GetTransactions", ref.PaymentID)
	}
	return refundUpdate(ref.PaymentID, tx, r.Data[keyRefundWait]), nil
}

// refundUpdate maps a transaction's refund fields. refund_status values are not
// documented: failed/rejected/cancelled → failed; refunded/completed/confirmed/done/
// success → done; anything else (or none yet) → sent.
func refundUpdate(id string, tx Transaction, wait string) driver.RefundUpdate {
	s := strings.ToLower(tx.RefundStatus)
	u := driver.RefundUpdate{State: driver.RefundSent, ProviderID: id, Detail: "Refund pending"}
	if tx.RefundStatus != "" {
		u.Detail = "Refund " + tx.RefundStatus
	}
	if wait != "" && u.State == driver.RefundSent {
		u.Detail += ", wait " + wait
	}
	for _, w := range []string{"fail", "reject", "cancel"} {
		if strings.Contains(s, w) {
			return driver.RefundUpdate{State: driver.RefundFailed, ProviderID: id, Reason: "Refund " + tx.RefundStatus}
		}
	}
	for _, w := range []string{"refunded", "complete", "confirm", "done", "success"} {
		if strings.Contains(s, w) {
			return driver.RefundUpdate{State: driver.RefundDone, ProviderID: id, Detail: "Refunded " + tx.Refund.String() + " " + tx.Currency}
		}
	}
	return u
}

// Ping calls GetCurrencyList (and refreshes the currency cache when the answer lists an
// enabled currency). An empty list is an error: the terminal could take no payment.
func (pr *Provider) Ping(ctx context.Context) error {
	_, err := pr.refreshCurrencies(ctx)
	return err
}
