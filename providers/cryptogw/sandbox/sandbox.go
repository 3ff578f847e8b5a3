package sandbox

import (
	"encoding/json"
	"fmt"
	"html"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/terminald/terminald/money"
)

// Demo credentials the sandbox accepts by default (the same as cryptogw.DemoUsername,
// cryptogw.DemoAPIKey and cryptogw.DemoPosID, so cryptogw.DemoConfig talks to it).
const (
	DemoUsername = "demo"
	DemoAPIKey   = "sandbox-demo-key"
	DemoPosID    = "POS1"
)

// Shape chooses which published reading of the API the sandbox plays.
type Shape string

// Shapes.
const (
	// ShapeLive answers as the live gateway does according to its own client: counts as
	// strings, amounts with 7 decimals, GetTransactions as {"invoices": [...]}, every
	// field the official client reads, and AcceptPayment/RefundPayment amounts compared
	// as text. The default.
	ShapeLive Shape = "live"
	// ShapeSeed answers as the quick-start document shows: numbers as numbers, 8
	// decimals, GetTransactions as a bare array, only the documented fields.
	ShapeSeed Shape = "seed"
)

// Options configures a Sandbox. Zero values take the defaults named.
type Options struct {
	Shape    Shape  // ShapeLive (default) or ShapeSeed
	Username string // default DemoUsername
	APIKey   string // default DemoAPIKey
	Seed     uint64 // seeds the rate walk, ids and addresses

	ConfirmationInterval time.Duration // time per block confirmation; default 10 s
	MinConfirmations     int           // confirmations to confirm; default 2 (0 with accept_zero_confirmations)
	Expiry               time.Duration // unpaid payments are cancelled after this; default 5 min
	RefundWait           time.Duration // refunds complete after this; default 2 min
	// Underpayment is how much less than sent the first transaction of every payment
	// carries (0: none): a wallet that pays the QR's amount then underpays.
	Underpayment Amount
	Now          func() time.Time // clock; default time.Now
	PublicURL    string           // base of qr_img and access_url links; default "http://127.0.0.1"
	// HoldConfirmations starts the sandbox with the chain held (see Hold): transactions
	// are seen but no payment confirms until Hold(false). Tests use it to act on a
	// payment in progress without racing the clock.
	HoldConfirmations bool
	// WebhookClient delivers the webhook_test probe of Ping(webhook_url); default a
	// client with a 5 s timeout.
	WebhookClient *http.Client
}

// FaultKind is a failure the sandbox injects into its next API replies.
type FaultKind string

// Faults.
const (
	FaultNone    FaultKind = ""        // answer normally (a gap in InjectFaults)
	Fault500     FaultKind = "500"     // answer 500 without doing anything
	FaultGarbage FaultKind = "garbage" // do the call, answer 200 with garbage
	FaultDelay   FaultKind = "delay"   // do the call, answer after a delay
)

type fault struct {
	kind  FaultKind
	delay time.Duration
}

type sbCurrency struct {
	code, name, scheme, prefix string
	rateCents                  int64 // EUR cents per unit
	fee                        Amount
	enabled                    bool
}

type sbTx struct {
	amount Amount
	at     time.Time
}

type sbQuote struct {
	id, currency, invCur, invText string
	invoice                       money.Amount
	rate, exch, fee, amount       Amount
}

type sbPayment struct {
	sbQuote
	pos, ref, address, underAddr string
	zeroConf, kyt                bool
	created                      time.Time
	txs                          []sbTx
	blocked                      bool
	alert                        time.Time
	confirmedAt, cancelledAt     time.Time
	accepted                     bool
	refund                       Amount
	refundAt                     time.Time
	refundOut                    string
	token                        string // access_token
}

func (p *sbPayment) paid() Amount {
	var s Amount
	for _, t := range p.txs {
		s += t.amount
	}
	return s
}

// Sandbox is an in-process fake of the gateway: every endpoint with Basic auth and
// {"err"} errors, moving rates, a simulated chain whose confirmations grow with the
// clock, underpayments, KYT blocks, refunds with a wait time and fault injection.
// Besides the API it serves
//
//	GET  /pay?payment_id=..&currency=..          a page a customer "opens"
//	POST /sandbox/pay?address=..[&amount=..]      send a transaction to an address
//	POST /sandbox/block?payment_id=..[&on=false]  raise (or clear) a KYT/double-spend alert
//	POST /sandbox/fault?kind=500|garbage|delay&n=..[&delay=2s]
//	POST /sandbox/hold[?on=false]                 hold (or release) confirmations
//
// The only outbound traffic is the webhook_test probe of Ping with a webhook_url. By
// default it answers in the live shape (Options.Shape). It is safe for concurrent use.
type Sandbox struct {
	opt Options

	mu     sync.Mutex
	rng    *rand.Rand
	curs   []*sbCurrency
	quotes map[string]*sbQuote
	pays   map[string]*sbPayment
	order  []*sbPayment
	byAddr map[string]*sbPayment
	faults []fault
	counts map[string]int
	held   bool // the chain is held: confirmations stop short of confirming
}

// New returns a sandbox configured by opts.
func New(opts Options) *Sandbox {
	if opts.Username == "" {
		opts.Username = DemoUsername
	}
	if opts.APIKey == "" {
		opts.APIKey = DemoAPIKey
	}
	if opts.ConfirmationInterval <= 0 {
		opts.ConfirmationInterval = 10 * time.Second
	}
	if opts.MinConfirmations <= 0 {
		opts.MinConfirmations = 2
	}
	if opts.Expiry <= 0 {
		opts.Expiry = 5 * time.Minute
	}
	if opts.RefundWait <= 0 {
		opts.RefundWait = 2 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Shape == "" {
		opts.Shape = ShapeLive
	}
	if opts.WebhookClient == nil {
		opts.WebhookClient = &http.Client{Timeout: 5 * time.Second}
	}
	if opts.PublicURL == "" {
		opts.PublicURL = "http://127.0.0.1"
	}
	return &Sandbox{
		opt:  opts,
		held: opts.HoldConfirmations,
		rng:  rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		curs: []*sbCurrency{
			{code: "BTC", name: "Bitcoin", scheme: "bitcoin", prefix: "sb1q", rateCents: 6_000_000, fee: 152, enabled: true},
			{code: "ETH", name: "Ethereum", scheme: "ethereum", prefix: "0x", rateCents: 300_000, fee: 2100, enabled: true},
			{code: "LTC", name: "Litecoin", scheme: "litecoin", prefix: "tltc1q", rateCents: 8_000, fee: 1000, enabled: true},
			{code: "XMR", name: "Monero", scheme: "monero", prefix: "4", rateCents: 15_000, fee: 10000, enabled: false},
		},
		quotes: map[string]*sbQuote{},
		pays:   map[string]*sbPayment{},
		byAddr: map[string]*sbPayment{},
		counts: map[string]int{},
	}
}

// Requests returns how many requests reached the API endpoint (e.g. "GetRate").
func (s *Sandbox) Requests(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[endpoint]
}

// InjectFault makes the next n API requests fail with kind (delay applies to FaultDelay).
func (s *Sandbox) InjectFault(kind FaultKind, n int, delay time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{kind, delay})
	}
}

// InjectFaults makes the next len(kinds) API requests fail in turn with kinds;
// FaultNone lets one through.
func (s *Sandbox) InjectFaults(kinds ...FaultKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range kinds {
		s.faults = append(s.faults, fault{kind: k})
	}
}

// Block raises (on) or clears a KYT / double-spend alert on a payment: it then reports
// state "blocked" while it has a transaction.
func (s *Sandbox) Block(paymentID string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pays[paymentID]
	if p == nil {
		return fmt.Errorf("cryptogw sandbox: unknown payment %q", paymentID)
	}
	p.blocked = on
	if on && p.alert.IsZero() {
		p.alert = s.opt.Now()
	}
	return nil
}

// Pay sends a transaction of amount to address, as a customer's wallet would. A zero
// amount pays what is missing. The first transaction of a payment arrives
// Options.Underpayment short.
func (s *Sandbox) Pay(address string, amount Amount) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byAddr[address]
	if p == nil {
		return fmt.Errorf("cryptogw sandbox: no payment at address %q", address)
	}
	if amount < 0 {
		return fmt.Errorf("cryptogw sandbox: negative amount %s", amount)
	}
	now := s.opt.Now()
	s.eval(p, now)
	if amount == 0 {
		amount = p.amount - p.paid()
	}
	if len(p.txs) == 0 {
		amount -= s.opt.Underpayment
	}
	if amount <= 0 {
		return fmt.Errorf("cryptogw sandbox: nothing to pay at %q", address)
	}
	p.txs = append(p.txs, sbTx{amount: amount, at: now})
	if p.paid() < p.amount && p.underAddr == "" {
		p.underAddr = s.newAddress(p.currency)
		s.byAddr[p.underAddr] = p
	}
	return nil
}

// PayURI pays a BIP21 payment URI as shown in the QR code ("bitcoin:<address>?amount=x").
func (s *Sandbox) PayURI(uri string) error {
	addr, amt, err := parseURI(uri)
	if err != nil {
		return err
	}
	return s.Pay(addr, amt)
}

func (s *Sandbox) cur(code string) *sbCurrency {
	for _, c := range s.curs {
		if c.code == strings.ToUpper(code) {
			return c
		}
	}
	return nil
}

func (s *Sandbox) newUUID() string {
	a, b := s.rng.Uint64(), s.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}

func (s *Sandbox) newAddress(cur string) string {
	c := s.cur(cur)
	return fmt.Sprintf("%s%016x%016x%08x", c.prefix, s.rng.Uint64(), s.rng.Uint64(), s.rng.Uint32())
}

// eval brings p's state up to now and returns it with the confirmations of its last tx.
func (s *Sandbox) eval(p *sbPayment, now time.Time) (string, int) {
	confs := 0
	if n := len(p.txs); n > 0 {
		confs = int(now.Sub(p.txs[n-1].at) / s.opt.ConfirmationInterval)
		if confs < 0 {
			confs = 0
		}
	}
	switch {
	case !p.cancelledAt.IsZero():
		return "cancelled", confs
	case !p.confirmedAt.IsZero():
		return "confirmed", confs
	case len(p.txs) == 0:
		if now.Sub(p.created) >= s.opt.Expiry {
			p.cancelledAt = p.created.Add(s.opt.Expiry)
			return "cancelled", 0
		}
		return "waiting", 0
	case p.blocked:
		return "blocked", confs
	case p.accepted:
		p.confirmedAt = now
		return "confirmed", confs
	case p.paid() < p.amount:
		return "underpayment", confs
	}
	if min := s.minConf(p); s.held && confs >= min {
		return "processing", max(min-1, 0)
	} else if confs >= min {
		p.confirmedAt = p.txs[len(p.txs)-1].at.Add(time.Duration(min) * s.opt.ConfirmationInterval)
		return "confirmed", confs
	}
	return "processing", confs
}

// Hold holds (on) or releases the chain. While it is held, transactions arrive and
// gather confirmations up to one short of the payment's minimum, and no payment
// confirms; on release, confirmations count from each transaction's time again, so a
// payment whose blocks have passed confirms at its next look.
func (s *Sandbox) Hold(on bool) {
	s.mu.Lock()
	s.held = on
	s.mu.Unlock()
}

func (s *Sandbox) minConf(p *sbPayment) int {
	if p.zeroConf {
		return 0
	}
	return s.opt.MinConfirmations
}

// refundOpen is what RefundPayment must ask for now.
func (s *Sandbox) refundOpen(p *sbPayment, state string) Amount {
	if p.refund > 0 || (state != "confirmed" && state != "cancelled") {
		return 0
	}
	return p.paid()
}

func (s *Sandbox) refundStatus(p *sbPayment, now time.Time) string {
	switch {
	case p.refund == 0:
		return ""
	case now.Before(p.refundAt.Add(s.opt.RefundWait)):
		return "Pending"
	}
	return "Refunded"
}

// apiErr is a gateway error reply.
type apiErr struct {
	status int
	msg    string
}

func (e *apiErr) Error() string { return e.msg }

func errf(status int, format string, a ...any) *apiErr {
	return &apiErr{status, fmt.Sprintf(format, a...)}
}

// endpoint returns the handler of the API endpoint name.
func sandboxEndpoint(name string) (func(*Sandbox, url.Values, time.Time) (any, *apiErr), bool) {
	switch name {
	case "GetRate":
		return (*Sandbox).getRate, true
	case "StartPayment":
		return (*Sandbox).startPayment, true
	case "CheckPayment":
		return (*Sandbox).checkPayment, true
	case "CancelPayment":
		return (*Sandbox).cancelPayment, true
	case "AcceptPayment":
		return (*Sandbox).acceptPayment, true
	case "RefundPayment":
		return (*Sandbox).refundPayment, true
	case "GetCurrencyList":
		return (*Sandbox).currencyList, true
	case "GetTransactions":
		return (*Sandbox).transactions, true
	}
	return nil, false
}

// optionalPos are the endpoints the official client calls without pos_id.
var optionalPos = map[string]bool{"GetTransactions": true, "GetCurrencyList": true, "Ping": true}

// ServeHTTP serves the API and the simulation endpoints. An API endpoint takes its
// parameters from a GET query or a POST body (a form or a multipart form, as the
// official client sends StartPayment) and the query together.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch path {
	case "/pay":
		s.servePage(w, r)
		return
	case "/sandbox/pay", "/sandbox/block", "/sandbox/fault", "/sandbox/hold":
		s.serveControl(w, r, path)
		return
	}
	name := path[strings.LastIndexByte(path, '/')+1:]
	h, ok := sandboxEndpoint(name)
	if !ok && name != "Ping" {
		writeJSON(w, http.StatusNotFound, map[string]string{"err": "Not found"})
		return
	}
	s.mu.Lock()
	s.counts[name]++
	var f fault
	if len(s.faults) > 0 {
		f, s.faults = s.faults[0], s.faults[1:]
	}
	s.mu.Unlock()
	if f.kind == Fault500 {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"err": "Internal Server Error"})
		return
	}
	if u, k, ok := r.BasicAuth(); !ok || u != s.opt.Username || k != s.opt.APIKey {
		// The challenge: clients that wait for it (curl's CURLAUTH_ANY, as the official
		// client uses) send credentials only after it.
		w.Header().Set("WWW-Authenticate", `Basic realm="Payment Gateway API", charset="UTF-8"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"err": "Invalid API key or authentication failed"})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"err": "Use GET or POST"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"err": "Malformed multipart body"})
			return
		}
	} else if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"err": "Malformed parameters"})
		return
	}
	q := r.Form
	if name == "Ping" {
		writeJSON(w, http.StatusOK, s.ping(r, q.Get("webhook_url")))
		return
	}
	var (
		out  any
		aerr *apiErr
	)
	if q.Get("pos_id") == "" && !optionalPos[name] {
		aerr = errf(http.StatusBadRequest, "Missing parameter pos_id")
	} else {
		s.mu.Lock()
		out, aerr = h(s, q, s.opt.Now())
		s.mu.Unlock()
	}
	switch f.kind {
	case FaultGarbage:
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("<html>502 Bad Gateway\x00\xff"))
		return
	case FaultDelay:
		t := time.NewTimer(f.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	if aerr != nil {
		writeJSON(w, aerr.status, map[string]string{"err": aerr.msg})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// ping answers Ping: {"result":"pong"}; with a webhook_url it first delivers a
// {"webhook_test": ...} probe there (a POST with a JSON body, as a payment webhook) and
// reports the answer's HTTP status in webhook_response (the sandbox's choice of shape:
// the official client only passes the object on).
func (s *Sandbox) ping(r *http.Request, hook string) map[string]any {
	out := map[string]any{"result": "pong"}
	if hook == "" {
		return out
	}
	resp := map[string]any{"url": hook}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, hook,
		strings.NewReader(`{"webhook_test":"`+s.opt.PublicURL+`"}`))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		var res *http.Response
		if res, err = s.opt.WebhookClient.Do(req); err == nil {
			res.Body.Close()
			resp["http_code"] = res.StatusCode
		}
	}
	if err != nil {
		resp["error"] = "delivery failed"
	}
	out["webhook_response"] = resp
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func need(q url.Values, names ...string) *apiErr {
	for _, n := range names {
		if strings.TrimSpace(q.Get(n)) == "" {
			return errf(http.StatusBadRequest, "Missing parameter %s", n)
		}
	}
	return nil
}

func boolParam(q url.Values, name string) bool {
	b, _ := strconv.ParseBool(q.Get(name))
	return b
}

// quoteFor validates the invoice parameters and computes a quote at the current rate.
func (s *Sandbox) quoteFor(q url.Values, move bool) (*sbQuote, *apiErr) {
	if e := need(q, "invoice_currency", "invoice_amount", "currency"); e != nil {
		return nil, e
	}
	invCur := strings.ToUpper(q.Get("invoice_currency"))
	if len(invCur) != 3 || !saneID(invCur, 3) {
		return nil, errf(http.StatusBadRequest, "Invalid invoice_currency")
	}
	minor, err := money.ParseDecimal(q.Get("invoice_amount"), invoiceExp(invCur))
	if err != nil || minor <= 0 || minor > money.MaxMinor {
		return nil, errf(http.StatusBadRequest, "Invalid invoice_amount")
	}
	c := s.cur(q.Get("currency"))
	if c == nil || !c.enabled {
		return nil, errf(http.StatusBadRequest, "Currency not supported")
	}
	if move {
		step := s.rng.Int64N(201) - 100 // ±0.1 %
		c.rateCents += c.rateCents * step / 100_000
		if c.rateCents < 1 {
			c.rateCents = 1
		}
	}
	inv, _ := fromMinor(minor, invoiceExp(invCur))
	rate, _ := fromMinor(c.rateCents, 2)
	ex, err := mulDiv(int64(inv), 100_000_000, int64(rate), true)
	exch := Amount(ex)
	if err != nil {
		return nil, errf(http.StatusBadRequest, "Invalid invoice_amount")
	}
	return &sbQuote{
		currency: c.code, invCur: invCur, invText: money.FormatDecimal(minor, invoiceExp(invCur)),
		invoice: money.Amount{Minor: minor, Currency: invCur},
		rate:    rate, exch: exch, fee: c.fee, amount: exch + c.fee,
	}, nil
}

// amt writes a crypto amount in the sandbox's shape.
func (s *Sandbox) amt(a Amount) string {
	if s.opt.Shape == ShapeSeed {
		return a.String()
	}
	return a.live()
}

// count writes a count: a string on the live API, a number in the seed.
func (s *Sandbox) count(n int) any {
	if s.opt.Shape == ShapeSeed {
		return n
	}
	return strconv.Itoa(n)
}

func (s *Sandbox) live() bool { return s.opt.Shape != ShapeSeed }

func (s *Sandbox) quoteJSON(qt *sbQuote) map[string]any {
	m := map[string]any{
		"invoice_amount": qt.invText, "invoice_currency": qt.invCur, "currency": qt.currency,
		"rate": qt.rate.trim(2), "amount_exchange": s.amt(qt.exch),
		"network_processing_fee": s.amt(qt.fee), "amount": s.amt(qt.amount),
		"fast_transaction_fee": s.amt(9), "fast_transaction_fee_currency": qt.currency + "/Byte",
		"wait_time": "5 seconds", "payment_id": qt.id,
	}
	if s.live() {
		m["sid"] = nil
	}
	return m
}

func (s *Sandbox) getRate(q url.Values, _ time.Time) (any, *apiErr) {
	qt, e := s.quoteFor(q, true)
	if e != nil {
		return nil, e
	}
	qt.id = s.newUUID()
	s.quotes[qt.id] = qt
	return s.quoteJSON(qt), nil
}

func (s *Sandbox) startedJSON(p *sbPayment) map[string]any {
	m := s.quoteJSON(&p.sbQuote)
	qr := s.cur(p.currency).scheme + ":" + p.address + "?amount=" + s.amt(p.amount)
	m["address"] = p.address
	m["qr"] = qr
	m["qr_alt"] = p.address
	m["qr_img"] = s.opt.PublicURL + "/api/qr/?d=" + url.QueryEscape(qr)
	m["qr_alt_img"] = s.opt.PublicURL + "/api/qr/?d=" + url.QueryEscape(p.address)
	if s.live() {
		m["min_confirmations"] = s.minConf(p)
		m["cancelled"] = !p.cancelledAt.IsZero()
		m["print_string"] = "<BR>Reference: " + p.ref + "<BR><BOLD>Total:</BOLD><BR>" + s.amt(p.amount) + " " + p.currency + "<BR><CUT>"
		m["access_token"] = p.token
		m["access_url"] = s.accessURL(p)
		m["stats_token"] = "stats-" + p.token
		m["notices"] = []string{}
	}
	return m
}

func (s *Sandbox) accessURL(p *sbPayment) string {
	return s.opt.PublicURL + "/pay?payment_id=" + url.QueryEscape(p.id) + "&currency=" + p.currency
}

func (s *Sandbox) startPayment(q url.Values, now time.Time) (any, *apiErr) {
	if e := need(q, "payment_id", "invoice_currency", "invoice_amount", "currency"); e != nil {
		return nil, e
	}
	id := q.Get("payment_id")
	if p := s.pays[id]; p != nil {
		return s.startedJSON(p), nil // repeated start of the same quote
	}
	qt := s.quotes[id]
	if qt == nil {
		return nil, errf(http.StatusBadRequest, "Invalid payment_id")
	}
	chk, e := s.quoteFor(q, false)
	if e != nil {
		return nil, e
	}
	if chk.invoice != qt.invoice || chk.currency != qt.currency {
		return nil, errf(http.StatusBadRequest, "Parameters do not match the rate of payment_id")
	}
	p := &sbPayment{
		sbQuote: *qt, pos: q.Get("pos_id"), ref: q.Get("reference_no"), created: now,
		zeroConf: boolParam(q, "accept_zero_confirmations"), kyt: boolParam(q, "require_kyt_for_confirmation"),
	}
	p.address = s.newAddress(p.currency)
	p.token = fmt.Sprintf("%016x%016x", s.rng.Uint64(), s.rng.Uint64())
	delete(s.quotes, id)
	s.pays[id] = p
	s.byAddr[p.address] = p
	s.order = append(s.order, p)
	return s.startedJSON(p), nil
}

func (s *Sandbox) payment(q url.Values) (*sbPayment, *apiErr) {
	if e := need(q, "payment_id", "currency"); e != nil {
		return nil, e
	}
	p := s.pays[q.Get("payment_id")]
	if p == nil {
		return nil, errf(http.StatusNotFound, "Payment not found")
	}
	if !strings.EqualFold(q.Get("currency"), p.currency) {
		return nil, errf(http.StatusBadRequest, "Invalid currency")
	}
	if a := q.Get("address"); a != "" && a != p.address {
		return nil, errf(http.StatusBadRequest, "Invalid address")
	}
	return p, nil
}

var sbStatusText = map[string]string{
	"waiting": "Waiting for transaction.", "processing": "Processing", "confirmed": "Confirmed",
	"underpayment": "Underpayment", "blocked": "Blocked", "cancelled": "Cancelled",
}

func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

func (s *Sandbox) checkPayment(q url.Values, now time.Time) (any, *apiErr) {
	p, e := s.payment(q)
	if e != nil {
		return nil, e
	}
	state, confs := s.eval(p, now)
	paid := p.paid()
	var unconf Amount
	if state == "processing" || state == "blocked" {
		unconf = paid
	}
	m := map[string]any{
		"reference_no": p.ref, "invoice_amount": p.invText, "invoice_currency": p.invCur,
		"currency": p.currency, "amount": s.amt(p.amount), "payment": s.amt(paid),
		"unconfirmed_amount": s.amt(unconf), "confirmations": s.count(confs), "min_confirmations": s.count(s.minConf(p)),
		"confirmed": state == "confirmed", "confirmed_time": timeOrNull(p.confirmedAt),
		"cancelled": state == "cancelled", "cancelled_time": timeOrNull(p.cancelledAt),
		"state": state, "status": sbStatusText[state], "wait_time": "5 seconds",
		"refund_amount_opened": s.amtOrEmpty(s.refundOpen(p, state)),
		"refund":               s.amtOrEmpty(p.refund), "refund_status": s.refundStatus(p, now),
	}
	if s.live() {
		if p.ref == "" {
			m["reference_no"] = nil
		}
		if paid == 0 && state == "waiting" {
			m["payment"] = nil
		}
		inv, _ := fromMinor(p.invoice.Minor, invoiceExp(p.invCur))
		unconfInv, _ := mulDiv(int64(unconf), int64(inv), max(int64(p.amount), 1), false)
		var reason any
		if !p.cancelledAt.IsZero() {
			reason = "other"
		}
		m["inserted"] = p.created.UTC().Format(timeLayout)
		m["type"] = "Sell"
		m["original_amount"] = nil
		m["accept_zero_confirmations"] = boolText(p.zeroConf)
		m["require_kyt_for_confirmation"] = boolText(p.kyt)
		m["reason"] = reason
		m["sid"] = nil
		m["access_token"] = p.token
		m["access_url"] = s.accessURL(p)
		m["unconfirmed_invoice_amount"] = Amount(unconfInv).trim(2)
		m["print_string"] = "<BR>Reference: " + p.ref + "<BR><CENTER>=== " + sbStatusText[state] + " ===</CENTER><BR><CUT>"
		m["item_name"] = nil
	}
	if state == "underpayment" {
		missing := p.amount - paid
		qr := s.cur(p.currency).scheme + ":" + p.underAddr + "?amount=" + s.amt(missing)
		u := map[string]any{"address": p.underAddr, "missing_amount": s.amt(missing), "qr": qr}
		if s.live() {
			u["qr_alt"] = p.underAddr
			u["qr_img"] = s.opt.PublicURL + "/api/qr/?d=" + url.QueryEscape(qr)
			u["qr_alt_img"] = s.opt.PublicURL + "/api/qr/?d=" + url.QueryEscape(p.underAddr)
		}
		m["underpayment"] = u
	}
	return m, nil
}

func boolText(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func (s *Sandbox) amtOrEmpty(d Amount) string {
	if d == 0 {
		return ""
	}
	return s.amt(d)
}

func (s *Sandbox) cancelPayment(q url.Values, now time.Time) (any, *apiErr) {
	p, e := s.payment(q)
	if e != nil {
		return nil, e
	}
	switch state, _ := s.eval(p, now); state {
	case "waiting", "underpayment":
		p.cancelledAt = now
	case "cancelled":
	default:
		return nil, errf(http.StatusBadRequest, "Payment can not be cancelled: transaction already sent")
	}
	if !s.live() {
		return map[string]any{"cancelled": true}, nil
	}
	return map[string]any{"cancelled": true, "status": "Cancelled"}, nil
}

// sameAmount compares an amount a client sent with the sandbox's own: as text on the
// live shape (the gateway compares what it sent), as a number on the seed shape.
func (s *Sandbox) sameAmount(text string, want Amount) bool {
	if s.live() {
		return text == s.amt(want)
	}
	a, err := ParseAmount(text)
	return err == nil && a == want
}

func (s *Sandbox) acceptPayment(q url.Values, now time.Time) (any, *apiErr) {
	if e := need(q, "accepted_amount", "accepted_invoice_amount"); e != nil {
		return nil, e
	}
	p, e := s.payment(q)
	if e != nil {
		return nil, e
	}
	if state, _ := s.eval(p, now); state != "underpayment" {
		return nil, errf(http.StatusBadRequest, "Payment is not underpaid (state %s)", state)
	}
	if !s.sameAmount(q.Get("accepted_amount"), p.paid()) {
		return nil, errf(http.StatusBadRequest, "accepted_amount does not match payment")
	}
	inv, err := money.ParseDecimal(q.Get("accepted_invoice_amount"), invoiceExp(p.invCur))
	if err != nil || inv > p.invoice.Minor {
		return nil, errf(http.StatusBadRequest, "Invalid accepted_invoice_amount")
	}
	p.accepted = true
	s.eval(p, now)
	return map[string]any{"success": true}, nil
}

func (s *Sandbox) refundPayment(q url.Values, now time.Time) (any, *apiErr) {
	if e := need(q, "address_out", "refund_amount"); e != nil {
		return nil, e
	}
	p, e := s.payment(q)
	if e != nil {
		return nil, e
	}
	if !validAddress(q.Get("address_out")) {
		return nil, errf(http.StatusBadRequest, "Invalid address_out")
	}
	state, _ := s.eval(p, now)
	open := s.refundOpen(p, state)
	if open == 0 {
		return nil, errf(http.StatusBadRequest, "Nothing to refund")
	}
	if !s.sameAmount(q.Get("refund_amount"), open) {
		return nil, errf(http.StatusBadRequest, "refund_amount must match refund_amount_opened")
	}
	p.refund, p.refundAt, p.refundOut = open, now, q.Get("address_out")
	return map[string]any{"wait_time": formatWait(s.opt.RefundWait)}, nil
}

func formatWait(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return fmt.Sprintf("%d seconds", int(d/time.Second))
}

func (s *Sandbox) currencyList(url.Values, time.Time) (any, *apiErr) {
	out := []map[string]any{}
	for _, c := range s.curs {
		st := "OK"
		if !c.enabled {
			st = "DISABLED"
		}
		m := map[string]any{"currency": c.code, "description": c.name, "status": st, "zero_confirmations_enabled": true}
		if s.live() {
			rate, _ := fromMinor(c.rateCents, 2)
			var r any = rate.trim(2)
			if !c.enabled {
				r = nil
			}
			m["zero_confirmations_enabled"] = "1"
			m["currency_fiat"] = "EUR"
			m["icon_url"] = s.opt.PublicURL + "/images/coins/" + strings.ToLower(c.code) + ".png"
			m["rate"], m["sell_rate"], m["buy_rate"] = r, r, r
			m["sell_status"], m["buy_status"] = st, st
			m["sell_min_invoice_amount"], m["sell_max_invoice_amount"] = "0.10", "5000.00"
			m["sell_network_processing_fee"] = s.amt(c.fee)
			m["buy_min_invoice_amount"], m["buy_max_invoice_amount"] = "1.00", "1000.00"
			m["buy_network_processing_fee"] = s.amt(c.fee)
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *Sandbox) transactions(q url.Values, now time.Time) (any, *apiErr) {
	offset, limit := 0, 20
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errf(http.StatusBadRequest, "Invalid offset")
		}
		offset = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, errf(http.StatusBadRequest, "Invalid limit")
		}
		limit = min(n, 100)
	}
	ref := q.Get("reference_no")
	out := []map[string]any{}
	skip := offset
	for i := len(s.order) - 1; i >= 0 && len(out) < limit; i-- {
		p := s.order[i]
		if ref != "" && s.live() && p.ref != ref {
			continue // the live API filters by reference_no; the seed documents no filter
		}
		if skip > 0 {
			skip--
			continue
		}
		state, _ := s.eval(p, now)
		m := map[string]any{
			"status": sbStatusText[state], "pos_id": p.pos, "payment_id": p.id,
			"invoice_currency": p.invCur, "invoice_amount": p.invText, "currency": p.currency,
			"amount": s.amt(p.amount), "address": p.address, "type": "Sell", "payment": s.amt(p.paid()),
			"refund": s.amtOrEmpty(p.refund), "refund_amount_opened": s.amtOrEmpty(s.refundOpen(p, state)),
			"refund_status": nullIfEmpty(s.refundStatus(p, now)), "inserted": p.created.UTC().Format(timeLayout),
			"confirmed": timeOrNull(p.confirmedAt), "cancelled": timeOrNull(p.cancelledAt),
			"double_spending_alert": timeOrNull(p.alert), "accept_zero_confirmations": p.zeroConf,
			"item_name": "", "access_token": p.token,
		}
		if s.live() {
			if p.paid() == 0 {
				m["payment"] = nil
			}
			m["state"] = state
			m["status_loc"] = sbStatusText[state]
			m["type_loc"] = "Sell"
			m["amount_exchange"] = s.amt(p.exch)
			m["network_processing_fee"] = s.amt(p.fee)
			m["refund_status_loc"] = nullIfEmpty(s.refundStatus(p, now))
			m["invoice_date"] = nil
			m["item_name"] = nil
			m["sid"] = nil
		} else {
			m["reference_no"] = p.ref // not in the seed's example; kept for older readers
		}
		out = append(out, m)
	}
	if s.live() {
		return map[string]any{"invoices": out}, nil
	}
	return out, nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Sandbox) serveControl(w http.ResponseWriter, r *http.Request, path string) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"err": "Use POST"})
		return
	}
	q := r.URL.Query()
	var err error
	switch path {
	case "/sandbox/pay":
		var amt Amount
		if a := q.Get("amount"); a != "" {
			amt, err = ParseAmount(a)
		}
		if err == nil {
			err = s.Pay(q.Get("address"), amt)
		}
	case "/sandbox/block":
		on := true
		if v := q.Get("on"); v != "" {
			on, err = strconv.ParseBool(v)
		}
		if err == nil {
			err = s.Block(q.Get("payment_id"), on)
		}
	case "/sandbox/hold":
		on := true
		if v := q.Get("on"); v != "" {
			on, err = strconv.ParseBool(v)
		}
		if err == nil {
			s.Hold(on)
		}
	case "/sandbox/fault":
		n := 1
		if v := q.Get("n"); v != "" {
			n, err = strconv.Atoi(v)
		}
		var d time.Duration
		if v := q.Get("delay"); v != "" && err == nil {
			d, err = time.ParseDuration(v)
		}
		k := FaultKind(q.Get("kind"))
		if err == nil && k != Fault500 && k != FaultGarbage && k != FaultDelay {
			err = fmt.Errorf("unknown fault kind %q", k)
		}
		if err == nil && (n < 0 || n > 1000) {
			err = fmt.Errorf("n %d out of range", n)
		}
		if err == nil {
			s.InjectFault(k, n, d)
		}
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"err": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Sandbox) servePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	p := s.pays[q.Get("payment_id")]
	var addr, amount, cur, state string
	if p != nil {
		state, _ = s.eval(p, s.opt.Now())
		addr, amount, cur = p.address, (p.amount - p.paid()).String(), p.currency
		if p.underAddr != "" && state == "underpayment" {
			addr = p.underAddr
		}
	}
	s.mu.Unlock()
	if p == nil {
		http.Error(w, "unknown payment", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>Sandbox wallet</title><h1>Pay %s %s</h1><p>to %s (state %s)</p>
<form method="post" action="/sandbox/pay?address=%s&amp;amount=%s"><button>Send</button></form>`,
		html.EscapeString(amount), html.EscapeString(cur), html.EscapeString(addr), html.EscapeString(state),
		url.QueryEscape(addr), url.QueryEscape(amount))
}
