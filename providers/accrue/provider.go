package accrue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/terminald/terminald/driver"
)

// Keys in driver.Payment.Data. The first three hold the answers to the input steps.
const (
	KeyMethod = "accrue.method" // "Scan wallet code" or "Phone number"
	KeyCode   = "accrue.code"   // the scanned wallet code (lookUpId)
	KeyPhone  = "accrue.phone"  // the customer's phone number

	keyWallet    = "accrue.wallet"     // wallet id found by phone
	keyIntentKey = "accrue.intent.key" // idempotency key of the create call, saved before it
	keyIntent    = "accrue.intent"     // payment intent id
	keyAuthorize = "accrue.authorize"  // "asked": authorize was sent (maybe applied)
	keyPayment   = "accrue.payment"    // payment id
	keyCapture   = "accrue.capture"    // "asked" before the capture call, "done" after
	keyCancel    = "accrue.cancel"     // "asked": cancel wanted; never authorize or capture again

	// KeyFlag holds why the payment needs a person's attention (an Accrue payment whose
	// amount is not the sale's); empty when nothing is wrong.
	KeyFlag = "accrue.flag"
)

// Channel is the channel identifier terminald sends with authorize.
const Channel = "terminald"

// Option texts of the method step.
const (
	OptionScan  = "Scan wallet code"
	OptionPhone = "Phone number"
)

// Provider is the Accrue wallet payment provider for the payment driver. It implements
// driver.Provider, driver.Asker and driver.Refunder.
type Provider struct {
	cl  *Client
	log *slog.Logger
}

var (
	_ driver.Provider = (*Provider)(nil)
	_ driver.Asker    = (*Provider)(nil)
	_ driver.Refunder = (*Provider)(nil)
)

// New returns a Provider for cfg.
func New(cfg Config, logger *slog.Logger) (*Provider, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cl, err := NewClient(cfg, logger)
	if err != nil {
		return nil, err
	}
	return &Provider{cl: cl, log: logger.With("provider", "accrue")}, nil
}

// Client returns the API client the provider uses.
func (pr *Provider) Client() *Client { return pr.cl }

// Name implements driver.Provider.
func (pr *Provider) Name() string { return "accrue" }

// Ping implements driver.Provider.
func (pr *Provider) Ping(ctx context.Context) error { return pr.cl.Ping(ctx) }

// RefundNeedsDestination implements driver.Refunder: refunds go back to the wallet.
func (pr *Provider) RefundNeedsDestination() bool { return false }

// method returns MethodScan or MethodPhone for p, or "" when not chosen yet.
func (pr *Provider) method(p *driver.Payment) string {
	if m := pr.cl.cfg.Methods; len(m) == 1 {
		return m[0]
	}
	switch strings.ToLower(strings.TrimSpace(p.Data[KeyMethod])) {
	case strings.ToLower(OptionScan), "1", MethodScan:
		return MethodScan
	case strings.ToLower(OptionPhone), "2", MethodPhone:
		return MethodPhone
	}
	return ""
}

// NextStep implements driver.Asker: first the method (unless Config.Methods fixes it), then
// the wallet code to scan or the phone number to key in.
func (pr *Provider) NextStep(ctx context.Context, p *driver.Payment) (*driver.Step, error) {
	switch pr.method(p) {
	case "":
		return &driver.Step{Key: KeyMethod, Prompt: "Pay with Accrue", Options: []string{OptionScan, OptionPhone}}, nil
	case MethodScan:
		if strings.TrimSpace(p.Data[KeyCode]) == "" {
			return &driver.Step{Key: KeyCode, Prompt: "Scan wallet code", Scan: true, Text: true}, nil
		}
	case MethodPhone:
		if strings.TrimSpace(p.Data[KeyPhone]) == "" {
			return &driver.Step{Key: KeyPhone, Prompt: "Customer phone number", Text: true}, nil
		}
	}
	return nil, nil
}

// normalizePhone turns keyed digits into an E.164 number: "+" kept, a 10-digit number
// gets the US "+1" (Accrue is a US service), other digit strings get a "+".
func normalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", fmt.Errorf("accrue: phone number %q: unexpected %q", clip(s, 20), r)
		}
	}
	d := b.String()
	if len(d) < 7 || len(d) > 15 {
		return "", fmt.Errorf("accrue: phone number has %d digits, want 7..15", len(d))
	}
	if !strings.HasPrefix(s, "+") && len(d) == 10 {
		d = "1" + d
	}
	return "+" + d, nil
}

func ensureData(p *driver.Payment) {
	if p.Data == nil {
		p.Data = map[string]string{}
	}
}

// set stores k=v in p.Data and saves p.
func set(p *driver.Payment, save driver.Saver, k, v string) error {
	ensureData(p)
	if p.Data[k] == v {
		return nil
	}
	p.Data[k] = v
	if err := save(p); err != nil {
		return fmt.Errorf("accrue: save %s: %w", k, err)
	}
	return nil
}

// Start implements driver.Provider: (phone) wallet lookup, then payment intent, authorize and
// capture of the full amount. Every sub-step id is saved as soon as it is known, and the
// intent to call before each call, so Check resumes without repeating a money movement.
func (pr *Provider) Start(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error) {
	if p.Amount.Currency != "USD" {
		return driver.Update{}, fmt.Errorf("accrue: currency %q: Accrue takes USD only", p.Amount.Currency)
	}
	if p.Amount.Minor <= 0 {
		return driver.Update{}, fmt.Errorf("accrue: amount %d must be positive", p.Amount.Minor)
	}
	ensureData(p)
	if p.Data[keyIntentKey] == "" {
		switch pr.method(p) {
		case MethodScan:
			code := strings.TrimSpace(p.Data[KeyCode])
			if code == "" || len(code) > 255 {
				return driver.Update{}, errors.New("accrue: no wallet code scanned")
			}
		case MethodPhone:
			if p.Data[keyWallet] == "" {
				phone, err := normalizePhone(p.Data[KeyPhone])
				if err != nil {
					return driver.Update{}, err
				}
				w, err := pr.cl.FindWalletByPhone(ctx, phone)
				var ae *APIError
				if errors.As(err, &ae) && (ae.HTTPStatus == 404 || ae.Code() == "WalletNotFound") {
					return driver.Update{Remote: driver.RemoteFailed, Reason: "No Accrue wallet for this phone"}, nil
				}
				if err != nil {
					return driver.Update{}, err
				}
				if err := set(p, save, keyWallet, w.ID); err != nil {
					return driver.Update{}, err
				}
			}
		default:
			return driver.Update{}, errors.New("accrue: no payment method chosen")
		}
	}
	return pr.drive(ctx, p, save, false)
}

// Check implements driver.Provider: it reads the state and drives authorize and capture on
// where a crash or a lost answer left them.
func (pr *Provider) Check(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error) {
	ensureData(p)
	return pr.drive(ctx, p, save, true)
}

// drive moves the payment forward from what p.Data records.
func (pr *Provider) drive(ctx context.Context, p *driver.Payment, save driver.Saver, checking bool) (driver.Update, error) {
	// 1. The payment intent.
	if p.Data[keyIntent] == "" {
		if p.Data[keyIntentKey] == "" {
			if checking {
				return driver.Update{Remote: driver.RemoteNotFound}, nil
			}
			if err := set(p, save, keyIntentKey, p.ID+":intent"); err != nil {
				return driver.Update{}, err
			}
		} else if checking {
			// The create may or may not have reached Accrue: look for it by reference.
			pi, err := pr.findIntent(ctx, p.ID)
			if err != nil {
				return driver.Update{}, err
			}
			if pi == nil {
				return driver.Update{Remote: driver.RemoteNotFound}, nil
			}
			if err := pr.saveIntent(p, save, pi); err != nil {
				return driver.Update{}, err
			}
		}
		if p.Data[keyIntent] == "" {
			req := IntentRequest{Amount: p.Amount.Minor, Reference: p.ID, IdempotencyKey: p.Data[keyIntentKey]}
			if pr.method(p) == MethodPhone || p.Data[keyWallet] != "" {
				req.WalletID = p.Data[keyWallet]
			} else {
				req.LookUpID = strings.TrimSpace(p.Data[KeyCode])
			}
			pi, err := pr.cl.CreatePaymentIntent(ctx, req)
			if err != nil {
				if ae, ok := refused(err); ok {
					return driver.Update{Remote: driver.RemoteFailed, Reason: ae.CashierMessage()}, nil
				}
				return driver.Update{}, err
			}
			if err := pr.saveIntent(p, save, pi); err != nil {
				return driver.Update{}, err
			}
			return pr.fromIntent(ctx, p, save, pi)
		}
	}
	// 2. With a payment, its state decides.
	if p.Data[keyPayment] != "" {
		pay, err := pr.cl.GetPayment(ctx, p.Data[keyPayment])
		if err != nil {
			return driver.Update{}, err
		}
		return pr.fromPayment(ctx, p, save, pay)
	}
	pi, err := pr.cl.GetPaymentIntent(ctx, p.Data[keyIntent])
	if err != nil {
		return driver.Update{}, err
	}
	return pr.fromIntent(ctx, p, save, pi)
}

func (pr *Provider) saveIntent(p *driver.Payment, save driver.Saver, pi *PaymentIntent) error {
	ensureData(p)
	p.Data[keyIntent] = pi.ID
	p.ProviderID = pi.ID
	if !pi.ExpiresAt.IsZero() {
		p.ExpiresAt = pi.ExpiresAt
	}
	if err := save(p); err != nil {
		return fmt.Errorf("accrue: save intent id: %w", err)
	}
	return nil
}

// findIntent pages through recent payment intents for one with reference ref. Accrue has
// no reference filter, so it looks at the newest 200 only.
func (pr *Provider) findIntent(ctx context.Context, ref string) (*PaymentIntent, error) {
	for off := 0; off < 200; off += 50 {
		l, meta, err := pr.cl.ListPaymentIntents(ctx, IntentFilter{Sort: "-createdAt", Page: Page{Limit: 50, Offset: off}})
		if err != nil {
			return nil, err
		}
		for i := range l {
			if l[i].Reference == ref {
				return &l[i], nil
			}
		}
		if len(l) < 50 || (meta.Total > 0 && off+len(l) >= meta.Total) {
			break
		}
	}
	return nil, nil
}

// fromIntent acts on the intent's state: authorize a promotable one, follow a promoted one
// to its payment, report the others.
func (pr *Provider) fromIntent(ctx context.Context, p *driver.Payment, save driver.Saver, pi *PaymentIntent) (driver.Update, error) {
	u := driver.Update{ProviderID: pi.ID, ExpiresAt: pi.ExpiresAt}
	switch pi.Status {
	case IntentInvalid:
		u.Remote, u.Reason = driver.RemoteFailed, reasonOrCode(pi.Error)
		return u, nil
	case IntentExpired:
		u.Remote, u.Reason = driver.RemoteExpired, "Expired at Accrue"
		return u, nil
	case IntentCanceled:
		u.Remote, u.Reason = driver.RemoteCancelled, "Cancelled at Accrue"
		return u, nil
	case IntentPromotedToPayment:
		id := pi.PaymentID()
		if id == "" {
			u.Remote, u.Detail = driver.RemotePending, "Waiting for Accrue"
			return u, nil
		}
		if err := set(p, save, keyPayment, id); err != nil {
			return driver.Update{}, err
		}
		pay, err := pr.cl.GetPayment(ctx, id)
		if err != nil {
			return driver.Update{}, err
		}
		return pr.fromPayment(ctx, p, save, pay)
	case IntentPromotable:
		if p.Data[keyCancel] != "" || p.CancelRequested() {
			u.Remote, u.Detail = driver.RemotePending, "Cancelling at Accrue"
			return u, nil
		}
		if err := set(p, save, keyAuthorize, "asked"); err != nil {
			return driver.Update{}, err
		}
		pay, err := pr.cl.AuthorizePaymentIntent(ctx, pi.ID, AuthorizeRequest{Amount: p.Amount.Minor, Reference: p.ID, Channel: Channel})
		if err != nil {
			if ae, ok := refused(err); ok {
				// Refused: the intent tells why (it turned Invalid with an error).
				pi2, err2 := pr.cl.GetPaymentIntent(ctx, pi.ID)
				if err2 == nil && pi2.Status != IntentPromotable {
					return pr.fromIntent(ctx, p, save, pi2)
				}
				u.Remote, u.Reason = driver.RemoteFailed, ae.CashierMessage()
				return u, nil
			}
			return driver.Update{}, err
		}
		if err := set(p, save, keyPayment, pay.ID); err != nil {
			return driver.Update{}, err
		}
		return pr.fromPayment(ctx, p, save, pay)
	}
	u.Remote, u.Detail = driver.RemotePending, "Waiting for Accrue"
	return u, nil
}

// fromPayment acts on the payment's state: capture an authorized one in full, report the
// others.
func (pr *Provider) fromPayment(ctx context.Context, p *driver.Payment, save driver.Saver, pay *Payment) (driver.Update, error) {
	u := driver.Update{ProviderID: p.ProviderID}
	switch pay.Status {
	case PaymentFailed, PaymentReturned, PaymentCanceled:
		// No money held: the state is the answer whatever the amount.
	default:
		if pay.Amount != p.Amount.Minor {
			return driver.Update{}, pr.mismatch(p, save, pay)
		}
	}
	switch pay.Status {
	case PaymentProcessing, PaymentSent, PaymentComplete:
		if p.Data[keyCapture] != "done" {
			if err := set(p, save, keyCapture, "done"); err != nil {
				return driver.Update{}, err
			}
		}
		u.Remote, u.Detail = driver.RemotePaid, "Paid with Accrue"
		return u, nil
	case PaymentWaiting:
		u.Remote, u.Detail = driver.RemotePending, "Waiting for Accrue"
		return u, nil
	case PaymentFailed, PaymentReturned:
		u.Remote, u.Reason = driver.RemoteFailed, "Payment "+strings.ToLower(pay.Status)+" at Accrue"
		return u, nil
	case PaymentCanceled:
		if p.Data[keyCancel] == "declined" {
			u.Remote, u.Reason = driver.RemoteFailed, "Payment declined"
			return u, nil
		}
		u.Remote, u.Reason = driver.RemoteCancelled, "Cancelled at Accrue"
		return u, nil
	case PaymentCreated, PaymentAuthorized:
		if p.Data[keyCancel] != "" || p.CancelRequested() {
			u.Remote, u.Detail = driver.RemotePending, "Cancelling at Accrue"
			return u, nil
		}
		if pay.Captured() {
			u.Remote, u.Detail = driver.RemotePending, "Waiting for Accrue"
			return u, nil
		}
		// The capture may have been asked before (answer lost): the payment we just read
		// shows none, so it did not apply and asking again is safe.
		if err := set(p, save, keyCapture, "asked"); err != nil {
			return driver.Update{}, err
		}
		pay2, err := pr.cl.CapturePayment(ctx, pay.ID, p.Amount.Minor)
		if err != nil {
			if errors.Is(err, ErrCaptureDeclined) {
				var ae *APIError
				errors.As(err, &ae)
				// Release the customer's authorized funds now rather than at expiry;
				// never capture this payment again.
				if err := set(p, save, keyCancel, "declined"); err != nil {
					return driver.Update{}, err
				}
				if _, err := pr.cl.CancelPayment(ctx, pay.ID); err != nil {
					pr.log.Warn("accrue: cancel after declined capture", "payment", p.ID, "err", err)
				}
				u.Remote, u.Reason = driver.RemoteFailed, ae.CashierMessage()
				return u, nil
			}
			if _, ok := refused(err); ok {
				// Not a decline: maybe it raced another capture. Ask the payment.
				pay3, err3 := pr.cl.GetPayment(ctx, pay.ID)
				if err3 != nil {
					return driver.Update{}, err3
				}
				if pay3.Status != PaymentCreated && pay3.Status != PaymentAuthorized {
					return pr.fromPayment(ctx, p, save, pay3)
				}
			}
			return driver.Update{}, err
		}
		if pay2.Status == PaymentCreated || pay2.Status == PaymentAuthorized {
			u.Remote, u.Detail = driver.RemotePending, "Waiting for Accrue"
			return u, nil
		}
		return pr.fromPayment(ctx, p, save, pay2)
	}
	u.Remote, u.Detail = driver.RemotePending, "Waiting for Accrue"
	return u, nil
}

// refused reports whether err is Accrue's answer that it refuses the call for good: a 4xx
// other than 401, 403 (except WalletAccessDenied), 408 and 429, and not an exhausted retry
// (those wrap driver.ErrUnreachable: the outcome is unknown, never a failure).
func refused(err error) (*APIError, bool) {
	var ae *APIError
	if errors.Is(err, driver.ErrUnreachable) || !errors.As(err, &ae) {
		return nil, false
	}
	switch s := ae.HTTPStatus; {
	case s < 400 || s > 499, s == 401, s == 408, s == 429:
		return ae, false
	case s == 403:
		return ae, ae.Code() == "WalletAccessDenied"
	}
	return ae, true
}

// mismatch flags p (KeyFlag) for an Accrue payment whose amount is not the sale's and
// returns the error that keeps it open.
func (pr *Provider) mismatch(p *driver.Payment, save driver.Saver, pay *Payment) error {
	e := &AmountMismatchError{PaymentID: pay.ID, Want: p.Amount.Minor, Got: pay.Amount}
	pr.log.Error("accrue: payment amount differs from the sale; not capturing, not paid", "payment", p.ID,
		"accrue_payment", pay.ID, "want_cents", e.Want, "got_cents", e.Got, "status", pay.Status)
	flag := fmt.Sprintf("amount mismatch: Accrue payment %s (%s) holds %d cents, sale %d", pay.ID, pay.Status, e.Got, e.Want)
	if err := set(p, save, KeyFlag, flag); err != nil {
		return fmt.Errorf("%w (and %w)", e, err)
	}
	return e
}

// Cancel implements driver.Provider. Before capture it cancels the payment (Created or
// Waiting) or the payment intent; after capture it returns driver.ErrCannotCancel.
func (pr *Provider) Cancel(ctx context.Context, p *driver.Payment, save driver.Saver) (driver.Update, error) {
	ensureData(p)
	if p.Data[keyCapture] == "done" {
		return driver.Update{}, fmt.Errorf("accrue: payment captured: %w", driver.ErrCannotCancel)
	}
	if err := set(p, save, keyCancel, "asked"); err != nil {
		return driver.Update{}, err
	}
	cancelled := driver.Update{Remote: driver.RemoteCancelled, ProviderID: p.ProviderID, Detail: "Cancelled at Accrue"}
	if p.Data[keyIntent] == "" && p.Data[keyIntentKey] != "" {
		pi, err := pr.findIntent(ctx, p.ID)
		if err != nil {
			return driver.Update{}, err
		}
		if pi == nil {
			return cancelled, nil // never reached Accrue; an unauthorized intent moves no money
		}
		if err := pr.saveIntent(p, save, pi); err != nil {
			return driver.Update{}, err
		}
		cancelled.ProviderID = pi.ID
	}
	if p.Data[keyIntent] == "" {
		return cancelled, nil
	}
	if p.Data[keyPayment] == "" {
		pi, err := pr.cl.GetPaymentIntent(ctx, p.Data[keyIntent])
		if err != nil {
			return driver.Update{}, err
		}
		switch pi.Status {
		case IntentCanceled:
			return cancelled, nil
		case IntentInvalid, IntentExpired:
			return pr.fromIntent(ctx, p, save, pi)
		case IntentPromotable:
			pi, err = pr.cl.CancelPaymentIntent(ctx, pi.ID)
			noEndpoint := false
			if err != nil {
				var ae *APIError
				if !errors.As(err, &ae) || errors.Is(err, driver.ErrUnreachable) {
					return driver.Update{}, err
				}
				// Accrue's OpenAPI files publish no intent cancel: a 404/405 means there is
				// none to call.
				noEndpoint = ae.HTTPStatus == 404 || ae.HTTPStatus == 405
				// Maybe promoted meanwhile: read it again.
				if pi, err = pr.cl.GetPaymentIntent(ctx, p.Data[keyIntent]); err != nil {
					return driver.Update{}, err
				}
			}
			if pi.Status == IntentCanceled {
				return cancelled, nil
			}
			if pi.Status == IntentPromotable && noEndpoint {
				// An intent that was never authorized holds no money, and keyCancel (saved
				// above) keeps terminald from ever authorizing it: it expires at Accrue.
				cancelled.Detail = "Cancelled (Accrue lets the intent expire)"
				return cancelled, nil
			}
			if pi.Status != IntentPromotedToPayment {
				return pr.fromIntent(ctx, p, save, pi)
			}
		}
		if pi.PaymentID() == "" {
			return driver.Update{}, fmt.Errorf("accrue: intent %s promoted without payment id: %w", pi.ID, driver.ErrUnreachable)
		}
		if err := set(p, save, keyPayment, pi.PaymentID()); err != nil {
			return driver.Update{}, err
		}
	}
	pay, err := pr.cl.GetPayment(ctx, p.Data[keyPayment])
	if err != nil {
		return driver.Update{}, err
	}
	switch pay.Status {
	case PaymentCanceled:
		return cancelled, nil
	case PaymentCreated, PaymentAuthorized, PaymentWaiting:
		pay, err = pr.cl.CancelPayment(ctx, pay.ID)
		if err != nil {
			return driver.Update{}, err
		}
		if pay.Status == PaymentCanceled {
			return cancelled, nil
		}
	case PaymentFailed, PaymentReturned:
		return pr.fromPayment(ctx, p, save, pay)
	}
	if pay.Captured() {
		if err := set(p, save, keyCapture, "done"); err != nil {
			return driver.Update{}, err
		}
	}
	return driver.Update{}, fmt.Errorf("accrue: payment %s is %s: %w", pay.ID, pay.Status, driver.ErrCannotCancel)
}

// Refund implements driver.Refunder: a partial or full refund with r.ID as idempotency key.
func (pr *Provider) Refund(ctx context.Context, p *driver.Payment, r *driver.Refund, save func(*driver.Refund) error) (driver.RefundUpdate, error) {
	payID := p.Data[keyPayment]
	if payID == "" {
		return driver.RefundUpdate{}, fmt.Errorf("accrue: refund: payment %s has no Accrue payment", p.ID)
	}
	if r.Amount.Currency != "" && r.Amount.Currency != p.Amount.Currency {
		return driver.RefundUpdate{}, fmt.Errorf("accrue: refund: currency %q differs from the payment's %q", r.Amount.Currency, p.Amount.Currency)
	}
	if r.ProviderID != "" {
		return pr.CheckRefund(ctx, p, r)
	}
	rf, _, err := pr.cl.RefundPayment(ctx, payID, r.Amount.Minor, r.ID)
	if err != nil {
		if ae, ok := refused(err); ok && ae.HTTPStatus != 409 {
			return driver.RefundUpdate{State: driver.RefundFailed, Reason: ae.CashierMessage()}, nil
		}
		return driver.RefundUpdate{}, err
	}
	r.ProviderID = rf.ID
	if err := save(r); err != nil {
		return driver.RefundUpdate{}, fmt.Errorf("accrue: save refund id: %w", err)
	}
	return refundUpdate(rf), nil
}

// CheckRefund implements driver.Refunder.
func (pr *Provider) CheckRefund(ctx context.Context, p *driver.Payment, r *driver.Refund) (driver.RefundUpdate, error) {
	payID := p.Data[keyPayment]
	if payID == "" || r.ProviderID == "" {
		return driver.RefundUpdate{}, fmt.Errorf("accrue: check refund %s: not accepted by Accrue yet", r.ID)
	}
	pay, err := pr.cl.GetPayment(ctx, payID)
	if err != nil {
		return driver.RefundUpdate{}, err
	}
	for i := range pay.Refunds {
		if pay.Refunds[i].ID == r.ProviderID {
			return refundUpdate(&pay.Refunds[i]), nil
		}
	}
	return driver.RefundUpdate{}, fmt.Errorf("accrue: check refund: refund %s not in payment %s: %w", r.ProviderID, payID, ErrBadResponse)
}

func refundUpdate(rf *Refund) driver.RefundUpdate {
	u := driver.RefundUpdate{ProviderID: rf.ID}
	switch rf.Status {
	case RefundStateSent:
		u.State, u.Detail = driver.RefundDone, "Refund sent"
	case RefundStateFailed:
		u.State, u.Reason = driver.RefundFailed, "Refund failed at Accrue"
	default: // Pending, Waiting, unknown
		u.State, u.Detail = driver.RefundSent, "Refund "+strings.ToLower(clip(rf.Status, 20))
	}
	return u
}
