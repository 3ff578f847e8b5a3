package zvt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/terminald/terminald/money"
)

// Op names the kind of transaction a Result belongs to.
type Op string

// Transactions.
const (
	OpPay     Op = "pay"
	OpRefund  Op = "refund"
	OpReverse Op = "reverse"
)

// Progress is an intermediate state of a running transaction, sent to the ECR as 04 FF
// when it registered for intermediate status (config byte 0x08).
type Progress struct {
	Status byte   // intermediate status code, e.g. StatusPleaseWait
	Text   string // for logs
}

// Result is the final outcome of a payment, refund or reversal.
type Result struct {
	Op         Op
	Code       byte         // result code: RCOK, RCAborted (aborted, expired, cancelled), ...
	Amount     money.Amount // amount moved (or asked for, on failure)
	Trace      uint64       // trace number (BMP 0B), up to 6 digits
	OrigTrace  uint64       // reversal: trace of the reversed payment (BMP 37); 0 for none
	Receipt    uint64       // receipt number (BMP 87), sent modulo 10000
	Time       time.Time    // when it was decided (BMP 0C/0D)
	TerminalID uint64       // BMP 29; the server's TerminalID when zero
	Provider   string       // provider name, sent in BMP 3C with Reference
	Reference  string       // provider reference
	Lines      []string     // receipt lines for the ECR (06 D1), if it asked for them
}

// Totals is the outcome of an end-of-day.
type Totals struct {
	Code        byte         // RCOK or e.g. RCEndOfDayNotPoss
	Total       money.Amount // sum of the day
	Count       int          // number of transactions
	ReceiptFrom uint64       // first receipt number of the period
	ReceiptTo   uint64       // last receipt number of the period
	Trace       uint64
	Time        time.Time
	Lines       []string // report lines for the ECR
}

// Terminal is the payment side the Server drives. Every method may block; ctx is cancelled
// when the ECR aborts (06 B0) or the link dies, and the method must then return what
// really happened at the provider (a payment the customer completed stays paid).
type Terminal interface {
	// Pay takes amount. progress may be called any number of times.
	Pay(ctx context.Context, amount money.Amount, progress func(Progress)) (*Result, error)
	// Reverse reverses the payment with receipt number receipt.
	Reverse(ctx context.Context, receipt uint64, progress func(Progress)) (*Result, error)
	// Refund pays amount back.
	Refund(ctx context.Context, amount money.Amount, progress func(Progress)) (*Result, error)
	// EndOfDay closes the day and returns its totals.
	EndOfDay(ctx context.Context) (*Totals, error)
	// Confirm commits r: the ECR acknowledged the Status-Information and the receipt lines.
	// It is called only for results with Code RCOK.
	Confirm(ctx context.Context, r *Result) error
	// Unconfirmed is called for a result with Code RCOK that the ECR did not acknowledge
	// (link died, no answer, or 84 xx "goods not issued"): reverse it or flag it.
	Unconfirmed(ctx context.Context, r *Result) error
	// Ready reports whether the terminal can take payments (status enquiry).
	Ready() bool
}

// ServerConfig configures a Server. Zero durations mean the standard values.
type ServerConfig struct {
	Password     string        // 6 digits the ECR must send (registration, reversal, refund, end-of-day)
	Currency     string        // the only currency accepted, e.g. "EUR"
	TerminalID   uint64        // BMP 29, up to 8 digits
	Intermediate time.Duration // resend 04 FF at least this often while waiting (30 s)
	T3           time.Duration // wait for the ECR's 80/84 answer (5 s)
	BusyDelay    time.Duration // wait after 84 9C before resending (2 s)
	BusyRetries  int           // resends after 84 9C (5)
	AbortWait    time.Duration // how long an 06 B0 waits for the terminal's outcome before 80 00 00 (3 s)
	Handover     time.Duration // a new TCP connection waits this long for the old one to end before it is refused (500 ms)
	TCP          TCPConfig
	Logger       *slog.Logger
}

// Server is the PT side of ZVT. It serves one register connection at a time.
type Server struct {
	term Terminal
	cfg  ServerConfig
	pwd  [3]byte
	cur  money.Currency
	log  *slog.Logger

	mu     sync.Mutex
	active string // remote address of the connection being served; "" for none
	reg    registration
}

// registration is what the ECR set with 06 00; Log-Off resets it.
type registration struct {
	config     byte
	sentCC     bool // the ECR sent a currency code: echo BMP 49
	tlv        bool // the ECR sent BMP 06: TLV may be used
	registered bool
}

// NewServer returns a Server driving term.
func NewServer(term Terminal, cfg ServerConfig) (*Server, error) {
	if term == nil {
		return nil, errors.New("zvt: server needs a Terminal")
	}
	if len(cfg.Password) != 6 || strings.Trim(cfg.Password, "0123456789") != "" {
		return nil, errors.New("zvt: password must be 6 digits")
	}
	if cfg.Currency == "" {
		cfg.Currency = "EUR"
	}
	cur, err := money.Lookup(cfg.Currency)
	if err != nil {
		return nil, fmt.Errorf("zvt: server currency: %w", err)
	}
	if cfg.TerminalID > 99999999 {
		return nil, fmt.Errorf("zvt: terminal id %d has more than 8 digits", cfg.TerminalID)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Intermediate, 30*time.Second)
	def(&cfg.T3, 5*time.Second)
	def(&cfg.BusyDelay, 2*time.Second)
	def(&cfg.AbortWait, 3*time.Second)
	def(&cfg.Handover, 500*time.Millisecond)
	if cfg.BusyRetries <= 0 {
		cfg.BusyRetries = 5
	}
	s := &Server{term: term, cfg: cfg, cur: cur, log: cfg.Logger, reg: registration{config: defaultConfigByte}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	p, _ := EncodeBCD(uint64(atoi(cfg.Password)), 3)
	copy(s.pwd[:], p)
	return s, nil
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// Serve accepts register connections on ln until ctx is done. While one connection is
// served, a second one is refused: logged and closed at once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	go func() { <-ctx.Done(); ln.Close() }()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("zvt: accept: %w", err)
		}
		remote := nc.RemoteAddr().String()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if busy := s.acquire(ctx, remote); busy != "" {
				s.log.Warn("zvt: refusing second register connection: one register is already connected",
					"refused", remote, "connected", busy)
				nc.Close()
				return
			}
			c := NewTCPConn(nc, s.cfg.TCP)
			err := s.serve(ctx, c, remote)
			s.log.Info("zvt: register disconnected", "remote", remote, "err", err)
		}()
	}
}

// acquire makes remote the served connection. A register that reconnects right after
// closing may find its old connection not yet noticed as closed, so acquire waits up to
// Handover for the slot; it returns the address of the connection still served, or "".
func (s *Server) acquire(ctx context.Context, remote string) string {
	deadline := time.Now().Add(s.cfg.Handover)
	for {
		s.mu.Lock()
		busy := s.active
		if busy == "" {
			s.active = remote
		}
		s.mu.Unlock()
		if busy == "" || !time.Now().Before(deadline) || sleep(ctx, 10*time.Millisecond) != nil {
			return busy
		}
	}
}

// ServeConn serves one link (serial, or an accepted TCP connection) until it dies or ctx
// is done, then closes it.
func (s *Server) ServeConn(ctx context.Context, c Conn) error {
	s.mu.Lock()
	if s.active != "" {
		busy := s.active
		s.mu.Unlock()
		c.Close()
		return fmt.Errorf("zvt: a register is already connected (%s)", busy)
	}
	s.active = "conn"
	s.mu.Unlock()
	return s.serve(ctx, c, "conn")
}

func (s *Server) serve(ctx context.Context, c Conn, remote string) error {
	defer func() {
		s.mu.Lock()
		s.active = ""
		s.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { <-ctx.Done(); c.Close() }()
	s.log.Info("zvt: register connected", "remote", remote)
	sess := &session{s: s, c: c, in: make(chan APDU), errc: make(chan error, 1)}
	go func() {
		for {
			a, err := c.Recv(ctx)
			if err != nil {
				sess.errc <- err
				close(sess.in)
				return
			}
			s.log.Debug("zvt: received", "apdu", a.Masked())
			select {
			case sess.in <- a:
			case <-ctx.Done():
			}
		}
	}()
	for {
		a, ok := <-sess.in
		if !ok {
			return <-sess.errc
		}
		if err := sess.handle(ctx, a); err != nil {
			return err
		}
	}
}

// session is one served link.
type session struct {
	s    *Server
	c    Conn
	in   chan APDU // closed when the link died
	errc chan error
	// pending counts 04 FF sent whose 80 00 00 has not arrived yet.
	pending int
}

var errLinkDead = errors.New("zvt: link closed")

func (ss *session) send(ctx context.Context, a APDU) error {
	ss.s.log.Debug("zvt: sending", "apdu", a.String())
	return ss.c.Send(ctx, a)
}

// RefusedError is an 84 xx answer from the ECR.
type RefusedError struct{ Code byte }

func (e *RefusedError) Error() string { return fmt.Sprintf("zvt: ECR refused with 84 %02X", e.Code) }

// request sends a and waits for the ECR's 80/84 answer; 84 9C resends after BusyDelay.
func (ss *session) request(ctx context.Context, a APDU) error {
	for try := 0; ; try++ {
		if err := ss.send(ctx, a); err != nil {
			return err
		}
		ans, err := ss.answer(ctx)
		if err != nil {
			return fmt.Errorf("zvt: answer to %02X %02X: %w", a.Class, a.Instr, err)
		}
		switch code := ans.AnswerCode(); {
		case code == RCOK:
			return nil
		case code == RCPleaseWait && try < ss.s.cfg.BusyRetries:
			if err := sleep(ctx, ss.s.cfg.BusyDelay); err != nil {
				return err
			}
		default:
			return &RefusedError{Code: code}
		}
	}
}

// answer waits T3 for an 80/84 answer. Commands arriving meanwhile get 84 83 00.
func (ss *session) answer(ctx context.Context) (APDU, error) {
	t := time.NewTimer(ss.s.cfg.T3)
	defer t.Stop()
	for {
		select {
		case a, ok := <-ss.in:
			if !ok {
				return APDU{}, errLinkDead
			}
			if a.IsAnswer() {
				return a, nil
			}
			if err := ss.send(ctx, Nack(RCNotPossible)); err != nil {
				return APDU{}, err
			}
		case <-t.C:
			return APDU{}, errors.New("no answer within T3")
		case <-ctx.Done():
			return APDU{}, ctx.Err()
		}
	}
}

// drain waits for the answers to intermediate statuses still outstanding.
func (ss *session) drain(ctx context.Context) error {
	for ; ss.pending > 0; ss.pending-- {
		if _, err := ss.answer(ctx); err != nil {
			ss.pending = 0
			if errors.Is(err, errLinkDead) || ctx.Err() != nil {
				return err
			}
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (ss *session) reg() registration {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	return ss.s.reg
}

// handle answers one command. An error ends the session (the link is dead).
func (ss *session) handle(ctx context.Context, a APDU) error {
	var err error
	switch a.Command() {
	case CmdRegistration:
		err = ss.registration(ctx, a)
	case CmdAuthorization:
		err = ss.authorization(ctx, a)
	case CmdReversal:
		err = ss.reversal(ctx, a)
	case CmdRefund:
		err = ss.refund(ctx, a)
	case CmdEndOfDay:
		err = ss.endOfDay(ctx, a)
	case CmdStatusEnquiry:
		err = ss.statusEnquiry(ctx, a)
	case CmdLogOff:
		ss.s.mu.Lock()
		ss.s.reg = registration{config: defaultConfigByte}
		ss.s.mu.Unlock()
		err = ss.send(ctx, Ack)
	case CmdAbortECR:
		// Nothing is running: nothing to abort.
		err = ss.send(ctx, Nack(RCNotPossible))
	default:
		if a.IsAnswer() {
			return nil // a late answer: nothing waits for it
		}
		ss.s.log.Info("zvt: unsupported command", "class", fmt.Sprintf("%02X", a.Class), "instr", fmt.Sprintf("%02X", a.Instr))
		err = ss.send(ctx, Nack(RCNotPossible))
	}
	if err != nil && (errors.Is(err, errLinkDead) || ctx.Err() != nil) {
		return err
	}
	if err != nil {
		ss.s.log.Warn("zvt: command failed", "cmd", fmt.Sprintf("%04X", a.Command()), "err", err)
	}
	return nil
}

func (ss *session) checkPassword(data []byte) bool {
	return len(data) >= 3 && [3]byte(data[:3]) == ss.s.pwd
}

// refuse answers a command with 84 rc 00 and logs why.
func (ss *session) refuse(ctx context.Context, rc byte, why string, args ...any) error {
	ss.s.log.Info("zvt: refusing command: "+why, append([]any{"rc", fmt.Sprintf("%02X", rc)}, args...)...)
	return ss.send(ctx, Nack(rc))
}

// splitRegistration returns the optional currency code and the BMPs after the config byte.
func splitRegistration(rest []byte) (cc []byte, fs Fields, err error) {
	if len(rest) == 0 {
		return nil, nil, nil
	}
	if rest[0] == BMPServiceByte || rest[0] == BMPTLV {
		if fs, err := ParseFields(rest); err == nil {
			return nil, fs, nil
		}
	}
	if len(rest) < 2 {
		return nil, nil, fmt.Errorf("zvt: registration: 1 byte after the config byte")
	}
	if _, err := DecodeBCD(rest[:2]); err != nil {
		return nil, nil, fmt.Errorf("zvt: registration currency: %w", err)
	}
	fs, err = ParseFields(rest[2:])
	return rest[:2], fs, err
}

func (ss *session) currencyOK(cc []byte) bool {
	n, err := DecodeBCD(cc)
	return err == nil && int(n) == ss.s.cur.Numeric
}

func (ss *session) registration(ctx context.Context, a APDU) error {
	d := a.Data
	if len(d) < 4 {
		return ss.refuse(ctx, RCProtocolError, "registration too short")
	}
	if !ss.checkPassword(d) {
		return ss.refuse(ctx, RCNotPossible, "wrong password in registration")
	}
	cc, fs, err := splitRegistration(d[4:])
	if err != nil {
		return ss.refuse(ctx, RCProtocolError, "bad registration", "err", err)
	}
	if cc != nil && !ss.currencyOK(cc) {
		return ss.refuse(ctx, RCWrongCurrency, "wrong currency in registration", "cc", hexSpaced(cc), "want", ss.s.cur.Code)
	}
	r := registration{config: d[3], sentCC: cc != nil, tlv: fs.Has(BMPTLV), registered: true}
	ss.s.mu.Lock()
	ss.s.reg = r
	ss.s.mu.Unlock()
	ss.s.log.Info("zvt: register registered", "config", fmt.Sprintf("%02X", r.config), "currency", cc != nil)
	if err := ss.send(ctx, Ack); err != nil {
		return err
	}
	return ss.request(ctx, ss.completion(r, true))
}

// completion returns 06 0F; after a registration with 19, 29 and 49 (if the ECR sent one).
func (ss *session) completion(r registration, full bool) APDU {
	if !full {
		return APDU{Class: 0x06, Instr: 0x0F}
	}
	tid, _ := BCDField(BMPTerminalID, ss.s.cfg.TerminalID)
	fs := []Field{{BMP: BMPPaymentType, Value: []byte{0x00}}, tid}
	if r.sentCC {
		cc, _ := BCDField(BMPCurrency, uint64(ss.s.cur.Numeric))
		fs = append(fs, cc)
	}
	data, _ := AppendFields(nil, fs...)
	return APDU{Class: 0x06, Instr: 0x0F, Data: data}
}

func (ss *session) statusEnquiry(ctx context.Context, a APDU) error {
	if len(a.Data) >= 3 && !ss.checkPassword(a.Data) {
		return ss.refuse(ctx, RCNotPossible, "wrong password in status enquiry")
	}
	if err := ss.send(ctx, Ack); err != nil {
		return err
	}
	st := TerminalReady
	if !ss.s.term.Ready() {
		st = TerminalNotReady
	}
	tid, _ := BCDField(BMPTerminalID, ss.s.cfg.TerminalID)
	data, _ := AppendFields(nil, Field{BMP: BMPPaymentType, Value: []byte{st}}, tid)
	return ss.request(ctx, APDU{Class: 0x06, Instr: 0x0F, Data: data})
}

// amountFields reads 04 and 49 of a request; ok is false (and the refusal sent) when bad.
func (ss *session) amountFields(ctx context.Context, fs Fields, what string) (amt money.Amount, sentCC, ok bool, err error) {
	if cc, has := fs.Get(BMPCurrency); has {
		if !ss.currencyOK(cc) {
			return amt, true, false, ss.refuse(ctx, RCWrongCurrency, "wrong currency in "+what, "cc", hexSpaced(cc), "want", ss.s.cur.Code)
		}
		sentCC = true
	}
	v, has, _ := fs.BCD(BMPAmount)
	if !has {
		return amt, sentCC, false, ss.refuse(ctx, RCNotPossible, what+" without amount (04)")
	}
	return money.Amount{Minor: int64(v), Currency: ss.s.cur.Code}, sentCC, true, nil
}

func (ss *session) parseRequest(ctx context.Context, data []byte, what string) (Fields, bool, error) {
	fs, err := ParseFields(data)
	if err != nil {
		return nil, false, ss.refuse(ctx, RCProtocolError, "bad "+what, "err", err)
	}
	return fs, true, nil
}

func (ss *session) authorization(ctx context.Context, a APDU) error {
	fs, ok, err := ss.parseRequest(ctx, a.Data, "authorization")
	if !ok {
		return err
	}
	amt, sentCC, ok, err := ss.amountFields(ctx, fs, "authorization")
	if !ok {
		return err
	}
	return ss.transaction(ctx, OpPay, sentCC, func(ctx context.Context, p func(Progress)) (*Result, error) {
		return ss.s.term.Pay(ctx, amt, p)
	}, amt)
}

func (ss *session) refund(ctx context.Context, a APDU) error {
	if !ss.checkPassword(a.Data) {
		return ss.refuse(ctx, RCNotPossible, "wrong password in refund")
	}
	fs, ok, err := ss.parseRequest(ctx, a.Data[3:], "refund")
	if !ok {
		return err
	}
	amt, sentCC, ok, err := ss.amountFields(ctx, fs, "refund")
	if !ok {
		return err
	}
	return ss.transaction(ctx, OpRefund, sentCC, func(ctx context.Context, p func(Progress)) (*Result, error) {
		return ss.s.term.Refund(ctx, amt, p)
	}, amt)
}

func (ss *session) reversal(ctx context.Context, a APDU) error {
	if !ss.checkPassword(a.Data) {
		return ss.refuse(ctx, RCNotPossible, "wrong password in reversal")
	}
	fs, ok, err := ss.parseRequest(ctx, a.Data[3:], "reversal")
	if !ok {
		return err
	}
	receipt, has, _ := fs.BCD(BMPReceipt)
	if !has {
		return ss.refuse(ctx, RCProtocolError, "reversal without receipt number (87)")
	}
	var sentCC bool
	if cc, has := fs.Get(BMPCurrency); has {
		if !ss.currencyOK(cc) {
			return ss.refuse(ctx, RCWrongCurrency, "wrong currency in reversal")
		}
		sentCC = true
	}
	return ss.transaction(ctx, OpReverse, sentCC, func(ctx context.Context, p func(Progress)) (*Result, error) {
		return ss.s.term.Reverse(ctx, receipt, p)
	}, money.Amount{Currency: ss.s.cur.Code})
}

func (ss *session) endOfDay(ctx context.Context, a APDU) error {
	if !ss.checkPassword(a.Data) {
		return ss.refuse(ctx, RCNotPossible, "wrong password in end-of-day")
	}
	var tot *Totals
	return ss.run(ctx, false, func(ctx context.Context, _ func(Progress)) (*Result, error) {
		t, err := ss.s.term.EndOfDay(ctx)
		if err != nil {
			return nil, err
		}
		tot = t
		return &Result{Code: t.Code, Amount: t.Total, Trace: t.Trace, Time: t.Time, Lines: t.Lines}, nil
	}, func(r *Result) (APDU, error) {
		return ss.totalsInfo(r, tot)
	}, money.Amount{Currency: ss.s.cur.Code}, "")
}

// transaction runs a payment, refund or reversal through the whole ZVT flow.
func (ss *session) transaction(ctx context.Context, op Op, sentCC bool, do func(context.Context, func(Progress)) (*Result, error), amt money.Amount) error {
	return ss.run(ctx, sentCC, do, func(r *Result) (APDU, error) { return ss.statusInfo(r, sentCC) }, amt, op)
}

type outcome struct {
	res *Result
	err error
}

// run is the common flow: 80 00 00, 04 FF while waiting, abort handling, 04 0F, receipt
// lines, 06 0F 00 or 06 1E rc, and Confirm/Unconfirmed for a result that moved money.
func (ss *session) run(ctx context.Context, sentCC bool, do func(context.Context, func(Progress)) (*Result, error),
	info func(*Result) (APDU, error), amt money.Amount, op Op) error {
	cfg := ss.s.cfg
	reg := ss.reg()
	intermediate := reg.config&0x08 != 0
	if err := ss.send(ctx, Ack); err != nil {
		return err
	}
	tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	progress := make(chan Progress, 1)
	done := make(chan outcome, 1)
	go func() {
		r, err := do(tctx, func(p Progress) {
			for {
				select {
				case progress <- p:
					return
				default:
				}
				select { // replace the unsent older one
				case <-progress:
				default:
				}
			}
		})
		done <- outcome{r, err}
	}()

	last := StatusPleaseWait
	sendStatus := func(st byte) error {
		if !intermediate {
			return nil
		}
		if err := ss.send(ctx, APDU{Class: 0x04, Instr: 0xFF, Data: []byte{st}}); err != nil {
			return err
		}
		ss.pending++
		return nil
	}
	var linkErr error
	if err := sendStatus(last); err != nil {
		linkErr = err
	}
	tick := time.NewTicker(cfg.Intermediate)
	defer tick.Stop()
	var out outcome
	haveOut := false // out came from done (done delivers once)
	aborted := false
	in := ss.in
wait:
	for linkErr == nil {
		select {
		case out = <-done:
			break wait
		case p := <-progress:
			last = p.Status
			ss.s.log.Debug("zvt: progress", "status", fmt.Sprintf("%02X", p.Status), "text", p.Text)
			linkErr = sendStatus(last)
		case <-tick.C:
			linkErr = sendStatus(last)
		case <-ctx.Done():
			linkErr = ctx.Err()
		case a, ok := <-in:
			switch {
			case !ok:
				linkErr = errLinkDead
			case a.IsAnswer():
				if ss.pending > 0 {
					ss.pending--
				}
			case a.Command() == CmdAbortECR && !aborted:
				aborted = true
				ss.s.log.Info("zvt: ECR aborts the running transaction")
				cancel()
				t := time.NewTimer(cfg.AbortWait)
				select {
				case out = <-done:
					haveOut = true
					t.Stop()
					ans := Ack
					if out.err == nil && out.res != nil && out.res.Code == RCOK {
						// Too late: the customer already paid. Say so; the result follows.
						ans = Nack(RCNotPossible)
					}
					if err := ss.send(ctx, ans); err != nil {
						linkErr = err
					}
					break wait
				case <-t.C:
					linkErr = ss.send(ctx, Ack) // the real outcome follows when the terminal knows it
				}
			default:
				linkErr = ss.send(ctx, Nack(RCNotPossible))
			}
		}
	}
	if linkErr != nil {
		cancel()
		if !haveOut {
			out = <-done
		}
		ss.s.log.Warn("zvt: link lost during transaction", "err", linkErr)
		if out.res != nil && out.res.Op == "" {
			out.res.Op = op
		}
		ss.unconfirmed(ctx, out.res, linkErr)
		return linkErr
	}
	res := out.res
	if out.err != nil || res == nil {
		ss.s.log.Error("zvt: terminal failed", "err", out.err)
		res = &Result{Op: op, Code: RCSystemError, Amount: amt, Time: time.Now()}
	}
	if res.Op == "" {
		res.Op = op
	}
	if err := ss.drain(ctx); err != nil {
		ss.unconfirmed(ctx, res, err)
		return err
	}
	st, err := info(res)
	if err != nil {
		ss.s.log.Error("zvt: cannot encode status information", "err", err)
		st, _ = ss.statusInfo(&Result{Code: RCSystemError, Time: time.Now()}, false)
		res.Code = RCSystemError // unsure what happened: never confirm it
	}
	if err := ss.request(ctx, st); err != nil {
		return ss.notAcknowledged(ctx, res, err)
	}
	if reg.config&0x82 != 0 {
		for i, line := range res.Lines {
			attr := byte(0x00)
			if i == len(res.Lines)-1 {
				attr = 0x81
			}
			if err := ss.request(ctx, printLine(attr, line)); err != nil {
				return ss.notAcknowledged(ctx, res, err)
			}
		}
	}
	if res.Code != RCOK {
		return ss.request(ctx, APDU{Class: 0x06, Instr: 0x1E, Data: []byte{res.Code}})
	}
	if op != "" {
		if err := ss.s.term.Confirm(context.WithoutCancel(ctx), res); err != nil {
			ss.s.log.Error("zvt: confirm failed", "err", err)
		}
	}
	return ss.request(ctx, ss.completion(reg, false))
}

// notAcknowledged handles an ECR that did not acknowledge the result or receipt: the
// result is reported Unconfirmed, and a refusing ECR gets 06 1E 6C.
func (ss *session) notAcknowledged(ctx context.Context, res *Result, err error) error {
	ss.unconfirmed(ctx, res, err)
	var re *RefusedError
	if errors.As(err, &re) {
		_ = ss.send(ctx, APDU{Class: 0x06, Instr: 0x1E, Data: []byte{RCAborted}})
		return nil
	}
	return err
}

func (ss *session) unconfirmed(ctx context.Context, res *Result, why error) {
	if res == nil || res.Code != RCOK || res.Op == "" {
		return
	}
	ss.s.log.Warn("zvt: result not acknowledged by the ECR", "op", res.Op, "receipt", res.Receipt, "err", why)
	if err := ss.s.term.Unconfirmed(context.WithoutCancel(ctx), res); err != nil {
		ss.s.log.Error("zvt: unconfirmed handling failed", "err", err)
	}
}

func printLine(attr byte, text string) APDU {
	t := EncodeText(text)
	if len(t) > 200 {
		t = t[:200]
	}
	return APDU{Class: 0x06, Instr: 0xD1, Data: append([]byte{attr}, t...)}
}

// statusInfo builds 04 0F for a payment, refund or reversal.
func (ss *session) statusInfo(r *Result, sentCC bool) (APDU, error) {
	tid := r.TerminalID
	if tid == 0 {
		tid = ss.s.cfg.TerminalID
	}
	if r.Amount.Minor < 0 {
		return APDU{}, fmt.Errorf("zvt: negative amount %d", r.Amount.Minor)
	}
	fs := []Field{{BMP: BMPResultCode, Value: []byte{r.Code}}}
	add := func(id byte, v uint64) error {
		f, err := BCDField(id, v)
		if err == nil {
			fs = append(fs, f)
		}
		return err
	}
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	if err := add(BMPAmount, uint64(r.Amount.Minor)); err != nil {
		return APDU{}, err
	}
	if sentCC {
		_ = add(BMPCurrency, uint64(ss.s.cur.Numeric))
	}
	if err := add(BMPTrace, r.Trace%1000000); err != nil {
		return APDU{}, err
	}
	fs = append(fs, timeFields(t)...)
	_ = add(BMPReceipt, r.Receipt%10000)
	if r.OrigTrace != 0 {
		_ = add(BMPOrigTrace, r.OrigTrace%1000000)
	}
	if err := add(BMPTerminalID, tid); err != nil {
		return APDU{}, err
	}
	if text := strings.TrimSpace(r.Provider + " " + r.Reference); text != "" {
		b := EncodeText(text)
		if len(b) > 999 {
			b = b[:999]
		}
		fs = append(fs, Field{BMP: BMPText, Value: b})
	}
	data, err := AppendFields(nil, fs...)
	if err != nil {
		return APDU{}, err
	}
	return APDU{Class: 0x04, Instr: 0x0F, Data: data}, nil
}

// totalsInfo builds 04 0F for an end-of-day.
func (ss *session) totalsInfo(r *Result, tot *Totals) (APDU, error) {
	fs := []Field{{BMP: BMPResultCode, Value: []byte{r.Code}}}
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	if r.Amount.Minor < 0 {
		return APDU{}, fmt.Errorf("zvt: negative total %d", r.Amount.Minor)
	}
	amt, err := BCDField(BMPAmount, uint64(r.Amount.Minor))
	if err != nil {
		return APDU{}, err
	}
	trace, err := BCDField(BMPTrace, r.Trace%1000000)
	if err != nil {
		return APDU{}, err
	}
	fs = append(fs, amt, trace)
	fs = append(fs, timeFields(t)...)
	if tot != nil {
		it := IndividualTotals{ReceiptFrom: tot.ReceiptFrom, ReceiptTo: tot.ReceiptTo}
		n := min(tot.Count, 255) // one byte on the wire
		it.Count[TotalsOther] = uint8(n)
		it.Amount[TotalsOther] = tot.Total.Minor
		v, err := it.Encode()
		if err != nil {
			return APDU{}, err
		}
		fs = append(fs, Field{BMP: BMPTotals, Value: v})
	}
	data, err := AppendFields(nil, fs...)
	if err != nil {
		return APDU{}, err
	}
	return APDU{Class: 0x04, Instr: 0x0F, Data: data}, nil
}
