package accrue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/terminald/terminald/driver"
)

// MediaType is the JSON:API media type Accrue speaks both ways.
const MediaType = "application/vnd.api+json"

// document is a JSON:API top-level document.
type document struct {
	Data     json.RawMessage `json:"data,omitempty"`
	Errors   []ErrorObject   `json:"errors,omitempty"`
	Included []resource      `json:"included,omitempty"`
	Meta     json.RawMessage `json:"meta,omitempty"`
	Links    json.RawMessage `json:"links,omitempty"`
}

// resource is a JSON:API resource object.
type resource struct {
	ID            string                  `json:"id,omitempty"`
	Type          string                  `json:"type"`
	Attributes    json.RawMessage         `json:"attributes,omitempty"`
	Relationships map[string]relationship `json:"relationships,omitempty"`
}

// identifier is a JSON:API resource identifier.
type identifier struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// relationship is a JSON:API relationship object; Data is null, one identifier or a list.
type relationship struct {
	Data json.RawMessage `json:"data"`
}

// ids returns the identifiers of r whatever its shape.
func (r relationship) ids() []identifier {
	d := bytes.TrimSpace(r.Data)
	if len(d) == 0 || bytes.Equal(d, []byte("null")) {
		return nil
	}
	if d[0] == '[' {
		var l []identifier
		if json.Unmarshal(d, &l) != nil {
			return nil
		}
		return l
	}
	var one identifier
	if json.Unmarshal(d, &one) != nil || one.ID == "" {
		return nil
	}
	return []identifier{one}
}

// rel returns the ids of the relationship named name (case-insensitive: Accrue's samples
// use both "User" and "user").
func (r *resource) rel(name string) []string {
	for k, v := range r.Relationships {
		if strings.EqualFold(k, name) {
			var out []string
			for _, id := range v.ids() {
				out = append(out, id.ID)
			}
			return out
		}
	}
	return nil
}

// ErrorMeta is the meta member of an Accrue error object.
type ErrorMeta struct {
	Environment string `json:"environment,omitempty"`
	Timestamp   string `json:"timestamp,omitempty"`
	Path        string `json:"path,omitempty"`
}

// ErrorObject is one JSON:API error object as Accrue sends it.
type ErrorObject struct {
	ID     string     `json:"id,omitempty"`
	Status flexString `json:"status,omitempty"` // JSON:API says string; Accrue's samples send a number
	Code   string     `json:"code,omitempty"`   // Accrue-specific code, e.g. "InsufficientBalance"
	Title  string     `json:"title,omitempty"`
	Detail string     `json:"detail,omitempty"`
	Meta   *ErrorMeta `json:"meta,omitempty"`
}

// flexString accepts a JSON string or number and keeps it as text.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("status is neither string nor number")
	}
	*f = flexString(n.String())
	return nil
}

// errorDoc accepts both shapes Accrue's document shows: {"errors":[...]} and a bare error object.
type errorDoc struct {
	Errors []ErrorObject `json:"errors"`
	ErrorObject
}

// decodeAPIError builds an *APIError from an error response. A body that is not a
// JSON:API error document still gives an APIError carrying the HTTP status.
func decodeAPIError(op string, status int, body []byte) *APIError {
	e := &APIError{Op: op, HTTPStatus: status}
	var d errorDoc
	if json.Unmarshal(body, &d) == nil {
		switch {
		case len(d.Errors) > 0:
			e.Errors = d.Errors
		case d.Code != "" || d.Title != "" || d.Detail != "" || d.Status != "":
			e.Errors = []ErrorObject{d.ErrorObject}
		}
	}
	if len(e.Errors) > 8 {
		e.Errors = e.Errors[:8]
	}
	return e
}

// decodeDocument parses a JSON:API document that must carry primary data.
func decodeDocument(body []byte) (*document, error) {
	var d document
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if len(d.Errors) > 0 {
		return nil, fmt.Errorf("%w: errors in a success response", ErrBadResponse)
	}
	return &d, nil
}

// one returns the single primary resource of d, checking its type.
func (d *document) one(typ string) (*resource, error) {
	t := bytes.TrimSpace(d.Data)
	if len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("%w: data is not a resource object", ErrBadResponse)
	}
	var r resource
	if err := json.Unmarshal(t, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if typ != "" && r.Type != typ {
		return nil, fmt.Errorf("%w: data type %q, want %q", ErrBadResponse, r.Type, typ)
	}
	if r.ID == "" {
		return nil, fmt.Errorf("%w: %s without id", ErrBadResponse, typ)
	}
	return &r, nil
}

// many returns the primary resources of a collection document.
func (d *document) many(typ string) ([]resource, error) {
	t := bytes.TrimSpace(d.Data)
	if len(t) == 0 || t[0] != '[' {
		return nil, fmt.Errorf("%w: data is not a list", ErrBadResponse)
	}
	var l []resource
	if err := json.Unmarshal(t, &l); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	for _, r := range l {
		if r.Type != typ || r.ID == "" {
			return nil, fmt.Errorf("%w: list item type %q id %q, want %s", ErrBadResponse, r.Type, r.ID, typ)
		}
	}
	return l, nil
}

// ListMeta is the paging information of a list answer.
type ListMeta struct {
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

func (d *document) listMeta() ListMeta {
	var m ListMeta
	_ = json.Unmarshal(d.Meta, &m)
	return m
}

// Wallet is an Accrue wallet.
type Wallet struct {
	ID      string
	Status  string // e.g. "Active"
	UserID  string
	Balance *Balance // set when the answer carried one
}

// Balance is the available part of a wallet balance, in cents.
type Balance struct {
	Available int64
	Total     int64
}

type walletAttrs struct {
	Status  string `json:"status"`
	Balance *struct {
		Available struct {
			Total int64 `json:"total"`
		} `json:"available"`
		Total struct {
			Total int64 `json:"total"`
		} `json:"total"`
	} `json:"balance"`
}

func walletFrom(r *resource) (*Wallet, error) {
	var a walletAttrs
	if err := unmarshalAttrs(r, &a); err != nil {
		return nil, err
	}
	w := &Wallet{ID: r.ID, Status: canon(a.Status, []string{"Active"})}
	if u := r.rel("user"); len(u) > 0 {
		w.UserID = u[0]
	}
	if a.Balance != nil {
		w.Balance = &Balance{Available: a.Balance.Available.Total, Total: a.Balance.Total.Total}
	}
	return w, nil
}

// Payment intent states.
const (
	IntentPromotable        = "Promotable"
	IntentPromotedToPayment = "PromotedToPayment"
	IntentInvalid           = "Invalid"
	IntentExpired           = "Expired"
	IntentCanceled          = "Canceled"
)

var intentStates = []string{IntentPromotable, IntentPromotedToPayment, IntentInvalid, IntentExpired, IntentCanceled}

// canon returns the constant of known that equals s ignoring case ("sent" → "Sent"), or
// s itself when none does. Accrue's enums are PascalCase; the comparison does not rely on it.
func canon(s string, known []string) string {
	s = strings.TrimSpace(s)
	for _, k := range known {
		if strings.EqualFold(s, k) {
			return k
		}
	}
	return s
}

// PaymentIntent is an Accrue payment intent.
type PaymentIntent struct {
	ID         string
	Status     string // one of the Intent* constants
	Error      string // why it is Invalid, e.g. "InsufficientBalance"
	Amount     int64  // cents, when the answer carried it
	WalletID   string
	Reference  string
	ExpiresAt  time.Time
	PaymentIDs []string // payments it was promoted to
	// Balance is the wallet's balance for this intent when the answer carried one (the
	// live create answer always does).
	Balance *IntentBalance
}

// IntentBalance is a payment intent's balance information, in cents.
type IntentBalance struct {
	Available      int64 `json:"available"`      // what the wallet (or gift) can still spend
	EligibleReward int64 `json:"eligibleReward"` // reward for this purchase
	UpperLimit     int64 `json:"upperLimit"`     // largest checkout amount supported
}

// PaymentID returns the id of the payment the intent was promoted to, if any.
func (pi *PaymentIntent) PaymentID() string {
	if len(pi.PaymentIDs) == 0 {
		return ""
	}
	return pi.PaymentIDs[len(pi.PaymentIDs)-1]
}

type intentAttrs struct {
	Status    string         `json:"status"`
	Error     *string        `json:"error"`
	Amount    int64          `json:"amount"`
	WalletID  *string        `json:"walletId"`
	Reference *string        `json:"reference"`
	ExpiresAt *flexTime      `json:"expiresAt"`
	Balance   *IntentBalance `json:"balance"`
}

func intentFrom(r *resource) (*PaymentIntent, error) {
	var a intentAttrs
	if err := unmarshalAttrs(r, &a); err != nil {
		return nil, err
	}
	pi := &PaymentIntent{ID: r.ID, Status: canon(a.Status, intentStates), Amount: a.Amount,
		Error: deref(a.Error), WalletID: deref(a.WalletID), Reference: deref(a.Reference),
		PaymentIDs: r.rel("payments"), Balance: a.Balance}
	if a.ExpiresAt != nil {
		pi.ExpiresAt = time.Time(*a.ExpiresAt)
	}
	return pi, nil
}

// Payment states.
const (
	PaymentCreated    = "Created"
	PaymentAuthorized = "Authorized" // seen in Accrue's samples; treated like Created
	PaymentWaiting    = "Waiting"
	PaymentProcessing = "Processing"
	PaymentSent       = "Sent"
	PaymentFailed     = "Failed"
	PaymentReturned   = "Returned"
	PaymentCanceled   = "Canceled"
	PaymentComplete   = "Complete"
)

var paymentStates = []string{PaymentCreated, PaymentAuthorized, PaymentWaiting, PaymentProcessing, PaymentSent,
	PaymentFailed, PaymentReturned, PaymentCanceled, PaymentComplete}

// Payment is an Accrue payment.
type Payment struct {
	ID              string
	Status          string // one of the Payment* constants
	Amount          int64  // authorized amount in cents
	Reference       string
	ExpiresAt       time.Time
	PaymentIntentID string
	CaptureIDs      []string
	RefundIDs       []string
	Captures        []Capture // included captures, when asked for
	Refunds         []Refund  // included refunds, when asked for
	Message         string    // meta.message of the answer, if any
}

// Captured reports whether the payment has been captured (or is being captured).
func (p *Payment) Captured() bool {
	switch p.Status {
	case PaymentWaiting, PaymentProcessing, PaymentSent, PaymentReturned, PaymentComplete:
		return true
	}
	for _, c := range p.Captures {
		if c.Success {
			return true
		}
	}
	return false
}

// Capture is one capture of a payment.
type Capture struct {
	ID      string
	Amount  int64
	Success bool
	Method  string
}

// Refund states.
const (
	RefundStatePending = "Pending"
	RefundStateWaiting = "Waiting"
	RefundStateSent    = "Sent"
	RefundStateFailed  = "Failed"
)

var refundStates = []string{RefundStatePending, RefundStateWaiting, RefundStateSent, RefundStateFailed}

// Refund is an Accrue refund of a payment.
type Refund struct {
	ID     string
	Status string // one of the RefundState* constants
	Amount int64
}

type paymentAttrs struct {
	Status    string    `json:"status"`
	Amount    int64     `json:"amount"`
	Reference *string   `json:"reference"`
	ExpiresAt *flexTime `json:"expiresAt"`
}

func paymentFrom(r *resource, d *document) (*Payment, error) {
	var a paymentAttrs
	if err := unmarshalAttrs(r, &a); err != nil {
		return nil, err
	}
	p := &Payment{ID: r.ID, Status: canon(a.Status, paymentStates), Amount: a.Amount, Reference: deref(a.Reference),
		CaptureIDs: r.rel("captures"), RefundIDs: r.rel("refunds")}
	if a.ExpiresAt != nil {
		p.ExpiresAt = time.Time(*a.ExpiresAt)
	}
	if pi := r.rel("paymentIntent"); len(pi) > 0 {
		p.PaymentIntentID = pi[0]
	}
	if d != nil {
		for i := range d.Included {
			inc := &d.Included[i]
			switch inc.Type {
			case "Refund":
				rf, err := refundFrom(inc)
				if err != nil {
					return nil, err
				}
				p.Refunds = append(p.Refunds, *rf)
			case "Capture":
				var ca struct {
					Amount  int64  `json:"amount"`
					Success bool   `json:"success"`
					Method  string `json:"method"`
				}
				if err := unmarshalAttrs(inc, &ca); err != nil {
					return nil, err
				}
				p.Captures = append(p.Captures, Capture{ID: inc.ID, Amount: ca.Amount, Success: ca.Success, Method: ca.Method})
			case "PaymentIntent":
				if p.PaymentIntentID == "" {
					p.PaymentIntentID = inc.ID
				}
			}
		}
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(d.Meta, &m) == nil {
			p.Message = m.Message
		}
	}
	return p, nil
}

func refundFrom(r *resource) (*Refund, error) {
	var a struct {
		Status string `json:"status"`
		Amount int64  `json:"amount"`
	}
	if err := unmarshalAttrs(r, &a); err != nil {
		return nil, err
	}
	if r.ID == "" {
		return nil, fmt.Errorf("%w: refund without id", ErrBadResponse)
	}
	return &Refund{ID: r.ID, Status: canon(a.Status, refundStates), Amount: a.Amount}, nil
}

// Webhook is a registered webhook endpoint.
type Webhook struct {
	ID      string
	Name    string
	URL     string
	Enabled bool
	Topics  []string
	Secret  string // only in the answer to its creation
}

type webhookAttrs struct {
	Enabled bool     `json:"enabled"`
	Name    string   `json:"name,omitempty"`
	URL     string   `json:"url"`
	Secret  string   `json:"secret,omitempty"`
	Topics  []string `json:"topics"`
}

func webhookFrom(r *resource) (*Webhook, error) {
	var a webhookAttrs
	if err := unmarshalAttrs(r, &a); err != nil {
		return nil, err
	}
	return &Webhook{ID: r.ID, Name: a.Name, URL: a.URL, Enabled: a.Enabled, Topics: a.Topics, Secret: a.Secret}, nil
}

func unmarshalAttrs(r *resource, v any) error {
	if len(r.Attributes) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Attributes, v); err != nil {
		return fmt.Errorf("%w: %s %q attributes: %v", ErrBadResponse, r.Type, r.ID, err)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// flexTime is an RFC 3339 time that tolerates null and empty strings.
type flexTime time.Time

// UnmarshalJSON implements json.Unmarshaler.
func (t *flexTime) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil || *s == "" {
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return err
	}
	*t = flexTime(v)
	return nil
}

// ErrBadResponse is wrapped by errors for answers that are not the JSON:API document the
// call expects (garbage, wrong type, too large).
var ErrBadResponse = errors.New("bad response")

// ErrCaptureDeclined is wrapped by the error of a capture Accrue refused with 402.
var ErrCaptureDeclined = errors.New("accrue: capture declined")

// ErrAmountMismatch is matched (errors.Is) by the error for an Accrue payment whose amount
// is not the sale's amount.
var ErrAmountMismatch = errors.New("accrue: payment amount differs from the sale")

// AmountMismatchError reports an Accrue payment whose amount is not the sale's. It is an
// answer not understood: it matches ErrAmountMismatch and wraps driver.ErrUnreachable, so
// the engine keeps the payment open and asks again; the provider neither captures nor
// reports such a payment as paid, and flags it in the payment's data (KeyFlag).
type AmountMismatchError struct {
	PaymentID string // Accrue's payment id
	Want, Got int64  // cents: the sale, and what Accrue's payment holds
}

// Error implements error.
func (e *AmountMismatchError) Error() string {
	return fmt.Sprintf("accrue: payment %s holds %d cents, the sale is %d: kept open", e.PaymentID, e.Got, e.Want)
}

// Is makes errors.Is(err, ErrAmountMismatch) true.
func (e *AmountMismatchError) Is(target error) bool { return target == ErrAmountMismatch }

// Unwrap returns driver.ErrUnreachable: the outcome is not understood, so it stays open.
func (e *AmountMismatchError) Unwrap() error { return driver.ErrUnreachable }

// CashierMessage implements driver.CashierMessager.
func (e *AmountMismatchError) CashierMessage() string { return "Amount differs at Accrue: check" }

// Attention implements driver.Attentioner: the engine flags the payment, shows it and
// counts Accrue as reachable.
func (e *AmountMismatchError) Attention() string { return "Amount differs at Accrue" }

// APIError is an error answer from Accrue: the HTTP status and its JSON:API error objects.
// Inspect it with errors.As.
type APIError struct {
	Op         string // the operation, e.g. "capture payment"
	HTTPStatus int
	Errors     []ErrorObject
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "accrue: %s: HTTP %d", e.Op, e.HTTPStatus)
	for i, o := range e.Errors {
		if i == 3 {
			b.WriteString("; ...")
			break
		}
		b.WriteString("; ")
		parts := []string{}
		for _, s := range []string{o.Code, o.Title, o.Detail} {
			if s != "" {
				parts = append(parts, clip(s, 120))
			}
		}
		b.WriteString(strings.Join(parts, ": "))
	}
	return b.String()
}

// Code returns the first error object's code ("" when none).
func (e *APIError) Code() string {
	for _, o := range e.Errors {
		if o.Code != "" {
			return o.Code
		}
	}
	return ""
}

// Is makes errors.Is(err, ErrCaptureDeclined) true for a 402 on capture.
func (e *APIError) Is(target error) bool {
	return target == ErrCaptureDeclined && e.HTTPStatus == 402 && strings.Contains(e.Op, "capture")
}

// CashierMessage returns a short text for the cashier's screen.
func (e *APIError) CashierMessage() string {
	if m := ReasonText(e.Code()); m != "" {
		return m
	}
	switch e.HTTPStatus {
	case 401, 403:
		return "Accrue: check credentials"
	case 402:
		return "Payment declined"
	case 404:
		return "Not found at Accrue"
	case 408, 429:
		return "Accrue busy, try again"
	}
	if e.HTTPStatus >= 500 {
		return "Accrue unavailable"
	}
	for _, o := range e.Errors {
		if o.Detail != "" {
			return clip(o.Detail, 60)
		}
		if o.Title != "" {
			return clip(o.Title, 60)
		}
	}
	return "Accrue error " + strconv.Itoa(e.HTTPStatus)
}

// reasons maps payment intent error reasons (and error codes of the same name) to
// cashier texts.
var reasons = map[string]string{
	"InsufficientBalance":       "Insufficient balance",
	"LinkedAccountUnverified":   "Bank account not verified",
	"LinkedAccountDisconnected": "Bank account disconnected",
	"LinkedAccountMissing":      "No bank account linked",
	"MissingFullName":           "Customer name missing in app",
	"WrongEmail":                "Customer e-mail invalid",
	"InvalidKycStatus":          "Customer ID check incomplete",
	"WalletNotFound":            "Wallet not found",
	"InvalidLookUpId":           "Wallet code not valid",
	// Error codes of the live create payment intent answers.
	"WalletIdentifierNotFound":        "Wallet code not found",
	"WalletAccessDenied":              "Wallet not accepted here",
	"InvalidAmountOrWalletIdentifier": "Wallet code or amount not valid",
}

// ReasonText returns the cashier text for an Accrue payment intent error reason such as
// "InsufficientBalance", or "" when the reason is unknown.
func ReasonText(code string) string { return reasons[code] }

// reasonOrCode is ReasonText with a fallback for unknown reasons.
func reasonOrCode(code string) string {
	if m := ReasonText(code); m != "" {
		return m
	}
	if code == "" {
		return "Declined by Accrue"
	}
	return "Declined: " + clip(code, 40)
}

func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
