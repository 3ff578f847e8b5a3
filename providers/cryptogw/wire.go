package cryptogw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
)

// DecodeError is a reply the client could not read: not JSON, or a field that does not
// parse (an amount that is not an exact decimal). The call did reach the gateway, so its
// outcome is unknown: DecodeError matches driver.ErrUnreachable under errors.Is.
type DecodeError struct {
	Endpoint string // e.g. "CheckPayment"
	Field    string // the JSON field, empty when the body as a whole is bad
	Err      error
}

// Error describes the bad reply, naming the field.
func (e *DecodeError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("cryptogw: %s: bad reply: %v", e.Endpoint, e.Err)
	}
	return fmt.Sprintf("cryptogw: %s: bad reply field %q: %v", e.Endpoint, e.Field, e.Err)
}

// Unwrap returns the cause and driver.ErrUnreachable.
func (e *DecodeError) Unwrap() []error { return []error{e.Err, driver.ErrUnreachable} }

// CashierMessage is a short text for the screen.
func (e *DecodeError) CashierMessage() string { return "Bad reply from gateway" }

// flex is one JSON value kept as text: a string, a number's literal text, true/false,
// or null. Gateways disagree whether amounts are strings or numbers; flex takes both
// and never goes through a float.
type flex struct {
	s    string
	kind byte // 0 absent, 's' string, 'n' number, 'b' bool, 'z' null, 'o' object/array
}

func (f *flex) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New("empty value")
	}
	switch b[0] {
	case 'n':
		f.kind = 'z'
	case '"':
		f.kind = 's'
		return json.Unmarshal(b, &f.s)
	case 't', 'f':
		f.kind, f.s = 'b', string(b)
	case '{', '[':
		f.kind = 'o'
	default:
		f.kind, f.s = 'n', string(b)
	}
	return nil
}

// fields converts flex values to typed ones and remembers the first failure.
type fields struct {
	endpoint string
	err      error
}

func (c *fields) fail(name string, err error) {
	if c.err == nil {
		c.err = &DecodeError{Endpoint: c.endpoint, Field: name, Err: err}
	}
}

// str returns a string field; numbers are taken as their text, null as "".
func (c *fields) str(name string, f flex) string {
	switch f.kind {
	case 's', 'n', 'b':
		return f.s
	case 'o':
		c.fail(name, errors.New("want a string"))
	}
	return ""
}

// dec parses a required decimal.
func (c *fields) dec(name string, f flex) Decimal {
	if f.kind != 's' && f.kind != 'n' {
		c.fail(name, errors.New("missing decimal"))
		return 0
	}
	d, err := ParseDecimal(strings.TrimSpace(f.s))
	if err != nil {
		c.fail(name, err)
	}
	if d < 0 {
		c.fail(name, errors.New("negative amount"))
	}
	return d
}

// optDec parses an optional decimal: absent, null and "" are 0.
func (c *fields) optDec(name string, f flex) Decimal {
	if f.kind == 0 || f.kind == 'z' || (f.kind == 's' && strings.TrimSpace(f.s) == "") {
		return 0
	}
	return c.dec(name, f)
}

// fiat parses an invoice amount in the currency cur into minor units.
func (c *fields) fiat(name string, f flex, cur string) money.Amount {
	if f.kind != 's' && f.kind != 'n' {
		c.fail(name, errors.New("missing amount"))
		return money.Amount{}
	}
	cur = strings.ToUpper(strings.TrimSpace(cur))
	m, err := money.ParseDecimal(f.s, invoiceExp(cur))
	if err != nil {
		c.fail(name, err)
	}
	return money.Amount{Minor: m, Currency: cur}
}

// optFiat parses an optional invoice amount: absent, null and "" give the zero Amount
// (no currency).
func (c *fields) optFiat(name string, f flex, cur string) money.Amount {
	if f.kind == 0 || f.kind == 'z' || (f.kind == 's' && strings.TrimSpace(f.s) == "") {
		return money.Amount{}
	}
	return c.fiat(name, f, cur)
}

// text returns the gateway's own text of a decimal field (absent/null: ""), checked to
// parse as a Decimal. It is what a later call must repeat byte for byte.
func (c *fields) text(name string, f flex) string {
	if f.kind == 0 || f.kind == 'z' || (f.kind == 's' && strings.TrimSpace(f.s) == "") {
		return ""
	}
	c.optDec(name, f)
	return strings.TrimSpace(f.s)
}

// integer parses an optional integer (absent/null → 0).
func (c *fields) integer(name string, f flex) int {
	switch f.kind {
	case 0, 'z':
		return 0
	case 's', 'n':
		n, err := strconv.Atoi(strings.TrimSpace(f.s))
		if err != nil || n < 0 {
			c.fail(name, fmt.Errorf("not a count: %q", trunc(f.s)))
		}
		return n
	}
	c.fail(name, errors.New("want an integer"))
	return 0
}

// boolean parses an optional boolean; "true"/"1" strings are accepted, absent/null is false.
func (c *fields) boolean(name string, f flex) bool {
	switch f.kind {
	case 0, 'z':
		return false
	case 'b', 's', 'n':
		switch strings.ToLower(strings.TrimSpace(f.s)) {
		case "true", "1":
			return true
		case "false", "0", "":
			return false
		}
	}
	c.fail(name, fmt.Errorf("not a boolean: %q", trunc(f.s)))
	return false
}

// gatewayTimeLayout is how GetTransactions writes times ("2020-03-27 11:00:00").
const gatewayTimeLayout = "2006-01-02 15:04:05"

// when parses an optional time: absent/null/"" → zero; "2006-01-02 15:04:05" (taken as
// UTC) or RFC 3339. A bare boolean (some replies use true/false) gives zero time.
func (c *fields) when(name string, f flex) time.Time {
	if f.kind != 's' || strings.TrimSpace(f.s) == "" {
		if f.kind == 'o' || f.kind == 'n' {
			c.fail(name, errors.New("want a time"))
		}
		return time.Time{}
	}
	s := strings.TrimSpace(f.s)
	if t, err := time.Parse(gatewayTimeLayout, s); err == nil {
		return t
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		c.fail(name, fmt.Errorf("not a time: %q", trunc(s)))
	}
	return t
}

// Rate is the GetRate reply: what the customer would pay now.
type Rate struct {
	Invoice                    money.Amount // invoice_amount in invoice_currency
	Currency                   string       // crypto symbol, e.g. "BTC"
	Rate                       Decimal      // fiat per 1 crypto unit
	AmountExchange             Decimal      // crypto amount before fees
	NetworkProcessingFee       Decimal      // network fee in crypto
	Amount                     Decimal      // crypto amount to pay
	FastTransactionFee         Decimal      // suggested fee for a fast transaction
	FastTransactionFeeCurrency string       // unit of FastTransactionFee, e.g. "BTC/Byte"
	WaitTime                   string       // e.g. "5 seconds"
	PaymentID                  string       // id to pass to StartPayment
}

type wireRate struct {
	InvoiceAmount              flex `json:"invoice_amount"`
	InvoiceCurrency            flex `json:"invoice_currency"`
	Currency                   flex `json:"currency"`
	Rate                       flex `json:"rate"`
	AmountExchange             flex `json:"amount_exchange"`
	NetworkProcessingFee       flex `json:"network_processing_fee"`
	Amount                     flex `json:"amount"`
	FastTransactionFee         flex `json:"fast_transaction_fee"`
	FastTransactionFeeCurrency flex `json:"fast_transaction_fee_currency"`
	WaitTime                   flex `json:"wait_time"`
	PaymentID                  flex `json:"payment_id"`
}

func (w *wireRate) convert(c *fields) Rate {
	cur := c.str("invoice_currency", w.InvoiceCurrency)
	r := Rate{
		Invoice:                    c.fiat("invoice_amount", w.InvoiceAmount, cur),
		Currency:                   c.str("currency", w.Currency),
		Rate:                       c.dec("rate", w.Rate),
		AmountExchange:             c.optDec("amount_exchange", w.AmountExchange),
		NetworkProcessingFee:       c.optDec("network_processing_fee", w.NetworkProcessingFee),
		Amount:                     c.dec("amount", w.Amount),
		FastTransactionFee:         c.optDec("fast_transaction_fee", w.FastTransactionFee),
		FastTransactionFeeCurrency: c.str("fast_transaction_fee_currency", w.FastTransactionFeeCurrency),
		WaitTime:                   c.str("wait_time", w.WaitTime),
		PaymentID:                  c.str("payment_id", w.PaymentID),
	}
	return r
}

// Started is the StartPayment reply: the quote plus where to pay.
type Started struct {
	Rate
	Address  string // crypto address to pay to
	QR       string // payment URI, e.g. "bitcoin:<address>?amount=0.00701648"
	QRAlt    string // the bare address
	QRImg    string // URL of a QR image (not used by the terminal: it draws its own)
	QRAltImg string

	// Live fields (the official client reads them; the seed does not show them).
	MinConfirmations int
	AccessURL        string   // the gateway's payment page for this payment
	PrintString      string   // the gateway's receipt markup; not printed as is
	Notices          []string // notices for the payer, as text
}

type wireStarted struct {
	wireRate
	Address  flex `json:"address"`
	QR       flex `json:"qr"`
	QRAlt    flex `json:"qr_alt"`
	QRImg    flex `json:"qr_img"`
	QRAltImg flex `json:"qr_alt_img"`

	MinConfirmations flex              `json:"min_confirmations"`
	AccessURL        flex              `json:"access_url"`
	PrintString      flex              `json:"print_string"`
	Notices          []json.RawMessage `json:"notices"`
}

func (w *wireStarted) convert(c *fields) Started {
	s := Started{
		Rate:     w.wireRate.convert(c),
		Address:  c.str("address", w.Address),
		QR:       c.str("qr", w.QR),
		QRAlt:    c.str("qr_alt", w.QRAlt),
		QRImg:    c.str("qr_img", w.QRImg),
		QRAltImg: c.str("qr_alt_img", w.QRAltImg),

		MinConfirmations: c.integer("min_confirmations", w.MinConfirmations),
		AccessURL:        c.str("access_url", w.AccessURL),
		PrintString:      c.str("print_string", w.PrintString),
	}
	for _, n := range w.Notices {
		// A notice is a string or an object; keep strings and the text of objects.
		var t string
		if json.Unmarshal(n, &t) != nil {
			t = string(n)
		}
		s.Notices = append(s.Notices, t)
	}
	if s.Address == "" {
		c.fail("address", errors.New("missing"))
	}
	if s.PaymentID == "" {
		c.fail("payment_id", errors.New("missing"))
	}
	return s
}

// Underpayment describes what is missing after an underpayment and where to send it.
type Underpayment struct {
	Address       string
	MissingAmount Decimal
	QR            string
}

// Status is the CheckPayment reply.
type Status struct {
	ReferenceNo string
	Invoice     money.Amount
	Currency    string
	Amount      Decimal // crypto amount asked (after an accepted underpayment: accepted)
	// OriginalAmount is the crypto amount first asked, when the gateway reports it
	// (live: original_amount, set once an underpayment changed amount); 0 otherwise.
	OriginalAmount Decimal
	Payment        Decimal // crypto amount received; 0 when the gateway sent null
	// PaymentText is the gateway's own text of payment ("0.0012340"), repeated byte for
	// byte as AcceptPayment's accepted_amount; "" when absent or null.
	PaymentText       string
	UnconfirmedAmount Decimal
	Confirmations     int
	MinConfirmations  int
	Confirmed         bool
	ConfirmedTime     time.Time
	Cancelled         bool
	CancelledTime     time.Time
	State             string // waiting, processing, underpayment, blocked, cancelled, ...
	Status            string // human text, e.g. "Waiting for transaction."
	WaitTime          string
	Underpayment      *Underpayment // set in state underpayment when the gateway sent it
	// RefundAmountOpened is the crypto amount a RefundPayment must ask for (0 when none
	// is open or the gateway did not say).
	RefundAmountOpened Decimal
	// RefundAmountOpenedText is the gateway's own text of refund_amount_opened, repeated
	// byte for byte as RefundPayment's refund_amount.
	RefundAmountOpenedText string
	Refund                 Decimal // crypto amount refunded so far, when reported
	RefundStatus           string

	// Live fields (the official client reads them; the seed does not show them).
	Inserted    time.Time // when the gateway created the payment (UTC)
	Type        string    // "Sell"
	Reason      string    // why it was cancelled, when it was
	PrintString string    // the gateway's receipt markup (<BR>, <CENTER>...); not printed as is
	Sid         string
}

type wireUnderpayment struct {
	Address       flex `json:"address"`
	MissingAmount flex `json:"missing_amount"`
	QR            flex `json:"qr"`
}

type wireStatus struct {
	ReferenceNo        flex              `json:"reference_no"`
	InvoiceAmount      flex              `json:"invoice_amount"`
	InvoiceCurrency    flex              `json:"invoice_currency"`
	Currency           flex              `json:"currency"`
	Amount             flex              `json:"amount"`
	OriginalAmount     flex              `json:"original_amount"`
	Payment            flex              `json:"payment"`
	UnconfirmedAmount  flex              `json:"unconfirmed_amount"`
	Confirmations      flex              `json:"confirmations"`
	MinConfirmations   flex              `json:"min_confirmations"`
	Confirmed          flex              `json:"confirmed"`
	ConfirmedTime      flex              `json:"confirmed_time"`
	Cancelled          flex              `json:"cancelled"`
	CancelledTime      flex              `json:"cancelled_time"`
	State              flex              `json:"state"`
	Status             flex              `json:"status"`
	WaitTime           flex              `json:"wait_time"`
	Underpayment       *wireUnderpayment `json:"underpayment"`
	RefundAmountOpened flex              `json:"refund_amount_opened"`
	Refund             flex              `json:"refund"`
	RefundStatus       flex              `json:"refund_status"`
	Inserted           flex              `json:"inserted"`
	Type               flex              `json:"type"`
	Reason             flex              `json:"reason"`
	PrintString        flex              `json:"print_string"`
	Sid                flex              `json:"sid"`
}

func (w *wireStatus) convert(c *fields) Status {
	cur := c.str("invoice_currency", w.InvoiceCurrency)
	s := Status{
		ReferenceNo:            c.str("reference_no", w.ReferenceNo),
		Invoice:                c.optFiat("invoice_amount", w.InvoiceAmount, cur),
		Currency:               c.str("currency", w.Currency),
		Amount:                 c.dec("amount", w.Amount),
		OriginalAmount:         c.optDec("original_amount", w.OriginalAmount),
		Payment:                c.optDec("payment", w.Payment),
		PaymentText:            c.text("payment", w.Payment),
		UnconfirmedAmount:      c.optDec("unconfirmed_amount", w.UnconfirmedAmount),
		Confirmations:          c.integer("confirmations", w.Confirmations),
		MinConfirmations:       c.integer("min_confirmations", w.MinConfirmations),
		Confirmed:              c.boolean("confirmed", w.Confirmed),
		ConfirmedTime:          c.when("confirmed_time", w.ConfirmedTime),
		CancelledTime:          c.when("cancelled_time", w.CancelledTime),
		State:                  strings.ToLower(c.str("state", w.State)),
		Status:                 c.str("status", w.Status),
		WaitTime:               c.str("wait_time", w.WaitTime),
		RefundAmountOpened:     c.optDec("refund_amount_opened", w.RefundAmountOpened),
		RefundAmountOpenedText: c.text("refund_amount_opened", w.RefundAmountOpened),
		Refund:                 c.optDec("refund", w.Refund),
		RefundStatus:           c.str("refund_status", w.RefundStatus),
		Inserted:               c.when("inserted", w.Inserted),
		Type:                   c.str("type", w.Type),
		Reason:                 c.str("reason", w.Reason),
		PrintString:            c.str("print_string", w.PrintString),
		Sid:                    c.str("sid", w.Sid),
	}
	// "cancelled" is a boolean in CheckPayment, a time in GetTransactions: take either.
	if w.Cancelled.kind == 's' && strings.TrimSpace(w.Cancelled.s) != "" && !isBoolText(w.Cancelled.s) {
		s.Cancelled = true
		if s.CancelledTime.IsZero() {
			s.CancelledTime = c.when("cancelled", w.Cancelled)
		}
	} else {
		s.Cancelled = c.boolean("cancelled", w.Cancelled)
	}
	if u := w.Underpayment; u != nil {
		s.Underpayment = &Underpayment{
			Address:       c.str("underpayment.address", u.Address),
			MissingAmount: c.optDec("underpayment.missing_amount", u.MissingAmount),
			QR:            c.str("underpayment.qr", u.QR),
		}
	}
	return s
}

func isBoolText(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "false", "0", "1":
		return true
	}
	return false
}

// Currency is one entry of GetCurrencyList.
type Currency struct {
	Currency    string // symbol, e.g. "BTC"
	Description string
	Status      string // "OK" when available
	ZeroConf    bool   // zero_confirmations_enabled
}

// Enabled reports whether the gateway offers the currency now (status "OK" or none given).
func (c Currency) Enabled() bool {
	s := strings.ToUpper(strings.TrimSpace(c.Status))
	return s == "" || s == "OK"
}

type wireCurrency struct {
	Currency    flex `json:"currency"`
	Description flex `json:"description"`
	Status      flex `json:"status"`
	ZeroConf    flex `json:"zero_confirmations_enabled"`
}

// Transaction is one entry of GetTransactions. AccessToken from the reply is dropped on
// purpose: it is a secret and must not reach logs or the store.
type Transaction struct {
	State                   string // live: waiting, processing, confirmed, cancelled, ... (lower case)
	Status                  string // e.g. "Confirmed", "Cancelled", "Waiting"
	PosID                   string
	PaymentID               string
	ReferenceNo             string // when the gateway reports it
	Invoice                 money.Amount
	Currency                string
	Amount                  Decimal
	Address                 string
	Type                    string
	Payment                 Decimal
	Refund                  Decimal
	RefundAmountOpened      Decimal
	RefundStatus            string
	Inserted                time.Time // gateway time, taken as UTC
	Confirmed               time.Time // zero when not confirmed
	Cancelled               time.Time // zero when not cancelled
	DoubleSpendingAlert     string    // non-empty when the gateway raised one
	AcceptZeroConfirmations bool
	ItemName                string
}

type wireTransaction struct {
	State                   flex `json:"state"`
	Status                  flex `json:"status"`
	PosID                   flex `json:"pos_id"`
	PaymentID               flex `json:"payment_id"`
	ReferenceNo             flex `json:"reference_no"`
	InvoiceCurrency         flex `json:"invoice_currency"`
	InvoiceAmount           flex `json:"invoice_amount"`
	Currency                flex `json:"currency"`
	Amount                  flex `json:"amount"`
	Address                 flex `json:"address"`
	Type                    flex `json:"type"`
	Payment                 flex `json:"payment"`
	Refund                  flex `json:"refund"`
	RefundAmountOpened      flex `json:"refund_amount_opened"`
	RefundStatus            flex `json:"refund_status"`
	Inserted                flex `json:"inserted"`
	Confirmed               flex `json:"confirmed"`
	Cancelled               flex `json:"cancelled"`
	DoubleSpendingAlert     flex `json:"double_spending_alert"`
	AcceptZeroConfirmations flex `json:"accept_zero_confirmations"`
	ItemName                flex `json:"item_name"`
}

func (w *wireTransaction) convert(c *fields, i int) Transaction {
	p := fmt.Sprintf("[%d].", i)
	cur := c.str(p+"invoice_currency", w.InvoiceCurrency)
	t := Transaction{
		State:                   strings.ToLower(c.str(p+"state", w.State)),
		Status:                  c.str(p+"status", w.Status),
		PosID:                   c.str(p+"pos_id", w.PosID),
		PaymentID:               c.str(p+"payment_id", w.PaymentID),
		ReferenceNo:             c.str(p+"reference_no", w.ReferenceNo),
		Invoice:                 c.optFiat(p+"invoice_amount", w.InvoiceAmount, cur),
		Currency:                c.str(p+"currency", w.Currency),
		Amount:                  c.optDec(p+"amount", w.Amount),
		Address:                 c.str(p+"address", w.Address),
		Type:                    c.str(p+"type", w.Type),
		Payment:                 c.optDec(p+"payment", w.Payment),
		Refund:                  c.optDec(p+"refund", w.Refund),
		RefundAmountOpened:      c.optDec(p+"refund_amount_opened", w.RefundAmountOpened),
		RefundStatus:            c.str(p+"refund_status", w.RefundStatus),
		Inserted:                c.when(p+"inserted", w.Inserted),
		Confirmed:               c.when(p+"confirmed", w.Confirmed),
		Cancelled:               c.when(p+"cancelled", w.Cancelled),
		DoubleSpendingAlert:     c.str(p+"double_spending_alert", w.DoubleSpendingAlert),
		AcceptZeroConfirmations: c.boolean(p+"accept_zero_confirmations", w.AcceptZeroConfirmations),
		ItemName:                c.str(p+"item_name", w.ItemName),
	}
	return t // an invoice without payment_id (live: s?) is kept; lookups skip it
}

// Paid reports whether the gateway counts t as paid: state or status "confirmed" (any
// case) or a confirmed time.
func (t Transaction) Paid() bool {
	return t.State == "confirmed" || strings.EqualFold(t.Status, "confirmed") || !t.Confirmed.IsZero()
}

// errBody is the gateway's error shape.
type errBody struct {
	Err flex `json:"err"`
}

// decode reads a JSON reply of endpoint into the wire value v (a pointer).
func decode(endpoint string, body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return &DecodeError{Endpoint: endpoint, Err: err}
	}
	return nil
}

// DecodeRate decodes a GetRate reply body.
func DecodeRate(body []byte) (Rate, error) {
	var w wireRate
	if err := decode("GetRate", body, &w); err != nil {
		return Rate{}, err
	}
	c := fields{endpoint: "GetRate"}
	r := w.convert(&c)
	if r.PaymentID == "" {
		c.fail("payment_id", errors.New("missing"))
	}
	return r, c.err
}

// DecodeStarted decodes a StartPayment reply body.
func DecodeStarted(body []byte) (Started, error) {
	var w wireStarted
	if err := decode("StartPayment", body, &w); err != nil {
		return Started{}, err
	}
	c := fields{endpoint: "StartPayment"}
	s := w.convert(&c)
	return s, c.err
}

// DecodeStatus decodes a CheckPayment reply body.
func DecodeStatus(body []byte) (Status, error) {
	var w wireStatus
	if err := decode("CheckPayment", body, &w); err != nil {
		return Status{}, err
	}
	c := fields{endpoint: "CheckPayment"}
	s := w.convert(&c)
	return s, c.err
}

// DecodeCurrencies decodes a GetCurrencyList reply body: an array of currencies, or an
// object whose values are currencies (both shapes occur in the gateway's plugins).
func DecodeCurrencies(body []byte) ([]Currency, error) {
	c := fields{endpoint: "GetCurrencyList"}
	var list []wireCurrency
	if err := decode("GetCurrencyList", body, &list); err != nil {
		var m map[string]wireCurrency
		if err2 := decode("GetCurrencyList", body, &m); err2 != nil {
			return nil, err
		}
		for k, v := range m {
			if v.Currency.kind == 0 {
				v.Currency = flex{s: k, kind: 's'}
			}
			list = append(list, v)
		}
	}
	out := make([]Currency, 0, len(list))
	for i, w := range list {
		p := fmt.Sprintf("[%d].", i)
		cu := Currency{
			Currency:    strings.ToUpper(strings.TrimSpace(c.str(p+"currency", w.Currency))),
			Description: c.str(p+"description", w.Description),
			Status:      c.str(p+"status", w.Status),
			ZeroConf:    c.boolean(p+"zero_confirmations_enabled", w.ZeroConf),
		}
		if cu.Currency == "" {
			c.fail(p+"currency", errors.New("missing"))
		}
		out = append(out, cu)
	}
	return out, c.err
}

// DecodeTransactions decodes a GetTransactions reply body: the live object
// {"invoices": [...]} or the seed's bare array. null is an empty list; an object
// without "invoices" is a *DecodeError.
func DecodeTransactions(body []byte) ([]Transaction, error) {
	var list []wireTransaction
	trim := bytes.TrimSpace(body)
	if len(trim) > 0 && trim[0] == '{' {
		var obj struct {
			Invoices *[]wireTransaction `json:"invoices"`
		}
		if err := decode("GetTransactions", body, &obj); err != nil {
			return nil, err
		}
		if obj.Invoices == nil {
			return nil, &DecodeError{Endpoint: "GetTransactions", Field: "invoices", Err: errors.New("missing")}
		}
		list = *obj.Invoices
	} else if err := decode("GetTransactions", body, &list); err != nil {
		return nil, err
	}
	c := fields{endpoint: "GetTransactions"}
	out := make([]Transaction, 0, len(list))
	for i := range list {
		out = append(out, list[i].convert(&c, i))
	}
	return out, c.err
}

// decodeFlag decodes a {"<name>": true} reply (CancelPayment, AcceptPayment).
func decodeFlag(endpoint, name string, body []byte) (bool, error) {
	var m map[string]flex
	if err := decode(endpoint, body, &m); err != nil {
		return false, err
	}
	c := fields{endpoint: endpoint}
	v := c.boolean(name, m[name])
	return v, c.err
}

// errText returns the gateway's "err" text in body, or "".
func errText(body []byte) string {
	var e errBody
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	switch e.Err.kind {
	case 's', 'n':
		return e.Err.s
	case 'b':
		if e.Err.s == "true" {
			return "error"
		}
	case 'o':
		return "error"
	}
	return ""
}
