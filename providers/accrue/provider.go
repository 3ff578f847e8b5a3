package accrue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/store"
)

// Keys in store.Payment.Data. The first three hold the answers to the input steps.
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
)

// Option texts of the method step.
const (
	OptionScan  = "Scan wallet code"
	OptionPhone = "Phone number"
)

// Provider is the Accrue wallet payment provider for the payment flow. It implements
// flow.Provider, flow.Asker and flow.Refunder.
type Provider struct {
	cl  *Client
	log *slog.Logger
}

var (
	_ flow.Provider = (*Provider)(nil)
	_ flow.Asker    = (*Provider)(nil)
	_ flow.Refunder = (*Provider)(nil)
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

// Name implements flow.Provider.
func (pr *Provider) Name() string { return "accrue" }

// Ping implements flow.Provider.
func (pr *Provider) Ping(ctx context.Context) error { return pr.cl.Ping(ctx) }

// RefundNeedsDestination implements flow.Refunder: refunds go back to the wallet.
func (pr *Provider) RefundNeedsDestination() bool { return false }

// method returns MethodScan or MethodPhone for p, or "" when not chosen yet.
func (pr *Provider) method(p *store.Payment) string {
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

// NextStep implements flow.Asker: first the method (unless Config.Methods fixes it), then
// the wallet code to scan or the phone number to key in.
func (pr *Provider) NextStep(ctx context.Context, p *store.Payment) (*flow.Step, error) {
	switch pr.method(p) {
	case "":
		return &flow.Step{Key: KeyMethod, Prompt: "Pay with Accrue", Options: []string{OptionScan, OptionPhone}}, nil
	case MethodScan:
		if strings.TrimSpace(p.Data[KeyCode]) == "" {
			return &flow.Step{Key: KeyCode, Prompt: "Scan wallet code", Scan: true, Text: true}, nil
		}
	case MethodPhone:
		if strings.TrimSpace(p.Data[KeyPhone]) == "" {
			return &flow.Step{Key: KeyPhone, Prompt: "Customer phone number", Text: true}, nil
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

func ensureData(p *store.Payment) {
	if p.Data == nil {
		p.Data = map[string]string{}
	}
}

// set stores k=v in p.Data and saves p.
func set(p *store.Payment, save flow.Saver, k, v string) error {
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

// Start implements flow.Provider: (phone) wallet lookup, then payment intent, authorize and
// capture of the full amount. Every sub-step id is saved as soon as it is known, and the
// intent to call before each call, so Check resumes without repeating a money movement.
func (pr *Provider) Start(ctx context.Context, p *store.Payment, save flow.Saver) (flow.Update, error) {
	if p.Amount.Currency != "USD" {
		return flow.Update{}, fmt.Errorf("accrue: currency %q: Accrue takes USD only", p.Amount.Currency)
	}
	if p.Amount.Minor <= 0 {
		return flow.Update{}, fmt.Errorf("accrue: amount %d must be positive", p.Amount.Minor)
	}
	ensureData(p)
	if p.Data[keyIntentKey] == "" {
		switch pr.method(p) {
		case MethodScan:
			code := strings.TrimSpace(p.Data[KeyCode])
			if code == "" || len(code) > 255 {
				return flow.Update{}, errors.New("accrue: no wallet code scanned")
			}
		case MethodPhone:
			if p.Data[keyWallet] == "" {
				phone, err := normalizePhone(p.Data[KeyPhone])
				if err != nil {
					return flow.Update{}, err
				}
				w, err := pr.cl.FindWalletByPhone(ctx, phone)
				var ae *APIError
				if errors.As(err, &ae) && (ae.HTTPStatus == 404 || ae.Code() == "WalletNotFound") {
					return flow.Update{Remote: flow.RemoteFailed, Reason: "No Accrue wallet for this phone"}, nil
				}
				if err != nil {
					return flow.Update{}, err
				}
				if err := set(p, save, keyWallet, w.ID); err != nil {
					return flow.Update{}, err
				}
			}
		default:
			return flow.Update{}, errors.New("accrue: no payment method chosen")
		}
	}
	return pr.drive(ctx, p, save, false)
}

// Check implements flow.Provider: it reads the state and drives authorize and capture on
// where a crash or a lost answer left them.
func (pr *Provider) Check(ctx context.Context, p *store.Payment, save flow.Saver) (flow.Update, error) {
	ensureData(p)
	return pr.drive(ctx, p, save, true)
}

// drive moves the payment forward from what p.Data records.
func (pr *Provider) drive(ctx context.Context, p *store.Payment, save flow.Saver, checking bool) (flow.Update, error) {
	// 1. The payment intent.
	if p.Data[keyIntent] == "" {
		if p.Data[keyIntentKey] == "" {
			if checking {
				return flow.Update{Remote: flow.RemoteNotFound}, nil
			}
			if err := set(p, save, keyIntentKey, p.ID+":intent"); err != nil {
				return flow.Update{}, err
			}
		} else if checking {
			// The create may or may not have reached Accrue: look for it by reference.
			pi, err := pr.findIntent(ctx, p.ID)
			if err != nil {
				return flow.Update{}, err
			}
			if pi == nil {
				return flow.Update{Remote: flow.RemoteNotFound}, nil
			}
			if err := pr.saveIntent(p, save, pi); err != nil {
				return flow.Update{}, err
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
				var ae *APIError
				if errors.As(err, &ae) && ae.HTTPStatus >= 400 && ae.HTTPStatus < 500 && ae.HTTPStatus != 401 && ae.HTTPStatus != 403 {
					return flow.Update{Remote: flow.RemoteFailed, Reason: ae.CashierMessage()}, nil
				}
				return flow.Update{}, err
			}
			if err := pr.saveIntent(p, save, pi); err != nil {
				return flow.Update{}, err
			}
			return pr.fromIntent(ctx, p, save, pi)
		}
	}
	// 2. With a payment, its state decides.
	if p.Data[keyPayment] != "" {
		pay, err := pr.cl.GetPayment(ctx, p.Data[keyPayment])
		if err != nil {
			return flow.Update{}, err
		}
		return pr.fromPayment(ctx, p, save, pay)
	}
	pi, err := pr.cl.GetPaymentIntent(ctx, p.Data[keyIntent])
	if err != nil {
		return flow.Update{}, err
	}
	return pr.fromIntent(ctx, p, save, pi)
}

func (pr *Provider) saveIntent(p *store.Payment, save flow.Saver, pi *PaymentIntent) error {
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
func (pr *Provider) fromIntent(ctx context.Context, p *store.Payment, save flow.Saver, pi *PaymentIntent) (flow.Update, error) {
	u := flow.Update{ProviderID: pi.ID, ExpiresAt: pi.ExpiresAt}
	switch pi.Status {
	case IntentInvalid:
		u.Remote, u.Reason = flow.RemoteFailed, reasonOrCode(pi.Error)
		return u, nil
	case IntentExpired:
		u.Remote, u.Reason = flow.RemoteExpired, "Expired at Accrue"
		return u, nil
	case IntentCanceled:
		u.Remote, u.Reason = flow.RemoteCancelled, "Cancelled at Accrue"
		return u, nil
	case IntentPromotedToPayment:
		id := pi.PaymentID()
		if id == "" {
			u.Remote, u.Detail = flow.RemotePending, "Waiting for Accrue"
			return u, nil
		}
		if err := set(p, save, keyPayment, id); err != nil {
			return flow.Update{}, err
		}
		pay, err := pr.cl.GetPayment(ctx, id)
		if err != nil {
			return flow.Update{}, err
		}
		return pr.fromPayment(ctx, p, save, pay)
	case IntentPromotable:
		if p.Data[keyCancel] != "" || flow.CancelRequested(p) {
			u.Remote, u.Detail = flow.RemotePending, "Cancelling at Accrue"
			return u, nil
		}
		if err := set(p, save, keyAuthorize, "asked"); err != nil {
			return flow.Update{}, err
		}
		pay, err := pr.cl.AuthorizePaymentIntent(ctx, pi.ID)
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) && ae.HTTPStatus >= 400 && ae.HTTPStatus < 500 && ae.HTTPStatus != 401 && ae.HTTPStatus != 403 {
				// Refused: the intent tells why (it turned Invalid with an error).
				pi2, err2 := pr.cl.GetPaymentIntent(ctx, pi.ID)
				if err2 == nil && pi2.Status != IntentPromotable {
					return pr.fromIntent(ctx, p, save, pi2)
				}
				u.Remote, u.Reason = flow.RemoteFailed, ae.CashierMessage()
				return u, nil
			}
			return flow.Update{}, err
		}
		if err := set(p, save, keyPayment, pay.ID); err != nil {
			return flow.Update{}, err
		}
		return pr.fromPayment(ctx, p, save, pay)
	}
	u.Remote, u.Detail = flow.RemotePending, "Waiting for Accrue"
	return u, nil
}

// fromPayment acts on the payment's state: capture an authorized one in full, report the
// others.
func (pr *Provider) fromPayment(ctx context.Context, p *store.Payment, save flow.Saver, pay *Payment) (flow.Update, error) {
	u := flow.Update{ProviderID: p.ProviderID}
	switch pay.Status {
	case PaymentProcessing, PaymentSent, PaymentComplete:
		if p.Data[keyCapture] != "done" {
			if err := set(p, save, keyCapture, "done"); err != nil {
				return flow.Update{}, err
			}
		}
		u.Remote, u.Detail = flow.RemotePaid, "Paid with Accrue"
		return u, nil
	case PaymentWaiting:
		u.Remote, u.Detail = flow.RemotePending, "Waiting for Accrue"
		return u, nil
	case PaymentFailed, PaymentReturned:
		u.Remote, u.Reason = flow.RemoteFailed, "Payment "+strings.ToLower(pay.Status)+" at Accrue"
		return u, nil
	case PaymentCanceled:
		if p.Data[keyCancel] == "declined" {
			u.Remote, u.Reason = flow.RemoteFailed, "Payment declined"
			return u, nil
		}
		u.Remote, u.Reason = flow.RemoteCancelled, "Cancelled at Accrue"
		return u, nil
	case PaymentCreated, PaymentAuthorized:
		if p.Data[keyCancel] != "" || flow.CancelRequested(p) {
			u.Remote, u.Detail = flow.RemotePending, "Cancelling at Accrue"
			return u, nil
		}
		if pay.Captured() {
			u.Remote, u.Detail = flow.RemotePending, "Waiting for Accrue"
			return u, nil
		}
		// The capture may have been asked before (answer lost): the payment we just read
		// shows none, so it did not apply and asking again is safe.
		if err := set(p, save, keyCapture, "asked"); err != nil {
			return flow.Update{}, err
		}
		pay2, err := pr.cl.CapturePayment(ctx, pay.ID, p.Amount.Minor)
		if err != nil {
			if errors.Is(err, ErrCaptureDeclined) {
				var ae *APIError
				errors.As(err, &ae)
				// Release the customer's authorized funds now rather than at expiry;
				// never capture this payment again.
				if err := set(p, save, keyCancel, "declined"); err != nil {
					return flow.Update{}, err
				}
				if _, err := pr.cl.CancelPayment(ctx, pay.ID); err != nil {
					pr.log.Warn("accrue: cancel after declined capture", "payment", p.ID, "err", err)
				}
				u.Remote, u.Reason = flow.RemoteFailed, ae.CashierMessage()
				return u, nil
			}
			var ae *APIError
			if errors.As(err, &ae) && ae.HTTPStatus >= 400 && ae.HTTPStatus < 500 {
				// Not a decline: maybe it raced another capture. Ask the payment.
				pay3, err3 := pr.cl.GetPayment(ctx, pay.ID)
				if err3 != nil {
					return flow.Update{}, err3
				}
				if pay3.Status != PaymentCreated && pay3.Status != PaymentAuthorized {
					return pr.fromPayment(ctx, p, save, pay3)
				}
			}
			return flow.Update{}, err
		}
		if pay2.Status == PaymentCreated || pay2.Status == PaymentAuthorized {
			u.Remote, u.Detail = flow.RemotePending, "Waiting for Accrue"
			return u, nil
		}
		return pr.fromPayment(ctx, p, save, pay2)
	}
	u.Remote, u.Detail = flow.RemotePending, "Waiting for Accrue"
	return u, nil
}

// Cancel implements flow.Provider. Before capture it cancels the payment (Created or
// Waiting) or the payment intent; after capture it returns flow.ErrCannotCancel.
func (pr *Provider) Cancel(ctx context.Context, p *store.Payment, save flow.Saver) (flow.Update, error) {
	ensureData(p)
	if p.Data[keyCapture] == "done" {
		return flow.Update{}, fmt.Errorf("accrue: payment captured: %w", flow.ErrCannotCancel)
	}
	if err := set(p, save, keyCancel, "asked"); err != nil {
		return flow.Update{}, err
	}
	cancelled := flow.Update{Remote: flow.RemoteCancelled, ProviderID: p.ProviderID, Detail: "Cancelled at Accrue"}
	if p.Data[keyIntent] == "" && p.Data[keyIntentKey] != "" {
		pi, err := pr.findIntent(ctx, p.ID)
		if err != nil {
			return flow.Update{}, err
		}
		if pi == nil {
			return cancelled, nil // never reached Accrue; an unauthorized intent moves no money
		}
		if err := pr.saveIntent(p, save, pi); err != nil {
			return flow.Update{}, err
		}
		cancelled.ProviderID = pi.ID
	}
	if p.Data[keyIntent] == "" {
		return cancelled, nil
	}
	if p.Data[keyPayment] == "" {
		pi, err := pr.cl.GetPaymentIntent(ctx, p.Data[keyIntent])
		if err != nil {
			return flow.Update{}, err
		}
		switch pi.Status {
		case IntentCanceled:
			return cancelled, nil
		case IntentInvalid, IntentExpired:
			return pr.fromIntent(ctx, p, save, pi)
		case IntentPromotable:
			pi, err = pr.cl.CancelPaymentIntent(ctx, pi.ID)
			if err != nil {
				var ae *APIError
				if !errors.As(err, &ae) {
					return flow.Update{}, err
				}
				// Maybe promoted meanwhile: read it again.
				if pi, err = pr.cl.GetPaymentIntent(ctx, p.Data[keyIntent]); err != nil {
					return flow.Update{}, err
				}
			}
			if pi.Status == IntentCanceled {
				return cancelled, nil
			}
			if pi.Status != IntentPromotedToPayment {
				return pr.fromIntent(ctx, p, save, pi)
			}
		}
		if pi.PaymentID() == "" {
			return flow.Update{}, fmt.Errorf("accrue: intent %s promoted without payment id: %w", pi.ID, flow.ErrUnreachable)
		}
		if err := set(p, save, keyPayment, pi.PaymentID()); err != nil {
			return flow.Update{}, err
		}
	}
	pay, err := pr.cl.GetPayment(ctx, p.Data[keyPayment])
	if err != nil {
		return flow.Update{}, err
	}
	switch pay.Status {
	case PaymentCanceled:
		return cancelled, nil
	case PaymentCreated, PaymentAuthorized, PaymentWaiting:
		pay, err = pr.cl.CancelPayment(ctx, pay.ID)
		if err != nil {
			return flow.Update{}, err
		}
		if pay.Status == PaymentCanceled {
			return cancelled, nil
		}
	case PaymentFailed, PaymentReturned:
		return pr.fromPayment(ctx, p, save, pay)
	}
	if pay.Captured() {
		if err := set(p, save, keyCapture, "done"); err != nil {
			return flow.Update{}, err
		}
	}
	return flow.Update{}, fmt.Errorf("accrue: payment %s is %s: %w", pay.ID, pay.Status, flow.ErrCannotCancel)
}

// Refund implements flow.Refunder: a partial or full refund with r.ID as idempotency key.
func (pr *Provider) Refund(ctx context.Context, p *store.Payment, r *store.Refund, save func(*store.Refund) error) (flow.RefundUpdate, error) {
	payID := p.Data[keyPayment]
	if payID == "" {
		return flow.RefundUpdate{}, fmt.Errorf("accrue: refund: payment %s has no Accrue payment", p.ID)
	}
	if r.Amount.Currency != "" && r.Amount.Currency != p.Amount.Currency {
		return flow.RefundUpdate{}, fmt.Errorf("accrue: refund: currency %q differs from the payment's %q", r.Amount.Currency, p.Amount.Currency)
	}
	if r.ProviderID != "" {
		return pr.CheckRefund(ctx, p, r)
	}
	rf, _, err := pr.cl.RefundPayment(ctx, payID, r.Amount.Minor, r.ID)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.HTTPStatus >= 400 && ae.HTTPStatus < 500 && ae.HTTPStatus != 401 && ae.HTTPStatus != 403 && ae.HTTPStatus != 409 {
			return flow.RefundUpdate{State: store.RefundFailed, Reason: ae.CashierMessage()}, nil
		}
		return flow.RefundUpdate{}, err
	}
	r.ProviderID = rf.ID
	if err := save(r); err != nil {
		return flow.RefundUpdate{}, fmt.Errorf("accrue: save refund id: %w", err)
	}
	return refundUpdate(rf), nil
}

// CheckRefund implements flow.Refunder.
func (pr *Provider) CheckRefund(ctx context.Context, p *store.Payment, r *store.Refund) (flow.RefundUpdate, error) {
	payID := p.Data[keyPayment]
	if payID == "" || r.ProviderID == "" {
		return flow.RefundUpdate{}, fmt.Errorf("accrue: check refund %s: not accepted by Accrue yet", r.ID)
	}
	pay, err := pr.cl.GetPayment(ctx, payID)
	if err != nil {
		return flow.RefundUpdate{}, err
	}
	for i := range pay.Refunds {
		if pay.Refunds[i].ID == r.ProviderID {
			return refundUpdate(&pay.Refunds[i]), nil
		}
	}
	return flow.RefundUpdate{}, fmt.Errorf("accrue: check refund: refund %s not in payment %s: %w", r.ProviderID, payID, ErrBadResponse)
}

func refundUpdate(rf *Refund) flow.RefundUpdate {
	u := flow.RefundUpdate{ProviderID: rf.ID}
	switch rf.Status {
	case RefundStateSent:
		u.State, u.Detail = store.RefundDone, "Refund sent"
	case RefundStateFailed:
		u.State, u.Reason = store.RefundFailed, "Refund failed at Accrue"
	default: // Pending, Waiting, unknown
		u.State, u.Detail = store.RefundSent, "Refund "+strings.ToLower(clip(rf.Status, 20))
	}
	return u
}
