package zvt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/terminald/terminald/money"
)

// Client is the ECR side of ZVT, for technicians and tests. One command runs at a time;
// Abort may be called while Pay (or another transaction) waits.
type Client struct {
	Conn     Conn
	Password string        // 6 digits
	Config   byte          // registration config byte; 0 means 0x86|0x08 (receipts to the ECR, intermediate status)
	Currency string        // when set, sent in the registration and with every amount (BMP 49)
	T3       time.Duration // wait for the PT's 80/84 answer (5 s)
	T4       time.Duration // wait for the final result, restarted by 04 FF and 04 0F (180 s)
	// Trace, when set, is called with every APDU sent (sent=true) and received.
	Trace func(sent bool, a APDU)

	mu      sync.Mutex
	running bool
	abortc  chan chan APDU // Abort asks the running transaction loop to send 06 B0
	once    sync.Once
}

// Outcome is the decoded end of a command.
type Outcome struct {
	Code         byte        // 00 ok; the 84 xx code, the 06 1E code or BMP 27 otherwise
	Refused      bool        // the PT answered the command itself with 84 xx
	Status       *StatusInfo // last 04 0F, if any
	Intermediate []byte      // 04 FF status codes in arrival order
	Lines        []string    // 06 D1 receipt lines
	Completion   Fields      // BMPs of 06 0F
	AbortAnswer  *APDU       // the PT's answer to an 06 B0 sent during the command
}

func (c *Client) init() {
	c.once.Do(func() { c.abortc = make(chan chan APDU) })
}

func (c *Client) t3() time.Duration {
	if c.T3 > 0 {
		return c.T3
	}
	return 5 * time.Second
}

func (c *Client) t4() time.Duration {
	if c.T4 > 0 {
		return c.T4
	}
	return 180 * time.Second
}

func (c *Client) password() ([]byte, error) {
	if len(c.Password) != 6 || strings.Trim(c.Password, "0123456789") != "" {
		return nil, errors.New("zvt: password must be 6 digits")
	}
	return EncodeBCD(uint64(atoi(c.Password)), 3)
}

func (c *Client) currencyField() (*Field, error) {
	if c.Currency == "" {
		return nil, nil
	}
	cur, err := money.Lookup(c.Currency)
	if err != nil {
		return nil, err
	}
	f, err := BCDField(BMPCurrency, uint64(cur.Numeric))
	return &f, err
}

func (c *Client) send(ctx context.Context, a APDU) error {
	if c.Trace != nil {
		c.Trace(true, a)
	}
	return c.Conn.Send(ctx, a)
}

func (c *Client) recv(ctx context.Context, d time.Duration) (APDU, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	a, err := c.Conn.Recv(ctx)
	if err != nil {
		return APDU{}, err
	}
	if c.Trace != nil {
		c.Trace(false, a)
	}
	return a, nil
}

// Register sends Registration 06 00 with Password, Config and Currency.
func (c *Client) Register(ctx context.Context) (*Outcome, error) {
	pwd, err := c.password()
	if err != nil {
		return nil, err
	}
	cfg := c.Config
	if cfg == 0 {
		cfg = 0x86 | 0x08
	}
	data := append(pwd, cfg)
	if f, err := c.currencyField(); err != nil {
		return nil, err
	} else if f != nil {
		data = append(data, f.Value...)
	}
	return c.do(ctx, APDU{Class: 0x06, Instr: 0x00, Data: data})
}

func (c *Client) amountData(prefix []byte, amount money.Amount) ([]byte, error) {
	if amount.Minor < 0 {
		return nil, fmt.Errorf("zvt: negative amount %d", amount.Minor)
	}
	af, err := BCDField(BMPAmount, uint64(amount.Minor))
	if err != nil {
		return nil, err
	}
	fs := []Field{af}
	if f, err := c.currencyField(); err != nil {
		return nil, err
	} else if f != nil {
		fs = append(fs, *f)
	}
	return AppendFields(prefix, fs...)
}

// Pay sends Authorization 06 01 for amount (minor units) and waits for the final result.
// Cancelling ctx sends Abort (06 B0) once and keeps waiting for the PT's final answer.
func (c *Client) Pay(ctx context.Context, amount money.Amount) (*Outcome, error) {
	data, err := c.amountData(nil, amount)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, APDU{Class: 0x06, Instr: 0x01, Data: data})
}

// Refund sends Refund 06 31 for amount.
func (c *Client) Refund(ctx context.Context, amount money.Amount) (*Outcome, error) {
	pwd, err := c.password()
	if err != nil {
		return nil, err
	}
	data, err := c.amountData(pwd, amount)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, APDU{Class: 0x06, Instr: 0x31, Data: data})
}

// Reverse sends Reversal 06 30 for the payment with receipt number receipt.
func (c *Client) Reverse(ctx context.Context, receipt uint64) (*Outcome, error) {
	pwd, err := c.password()
	if err != nil {
		return nil, err
	}
	f, err := BCDField(BMPReceipt, receipt)
	if err != nil {
		return nil, err
	}
	data, _ := AppendFields(pwd, f)
	return c.do(ctx, APDU{Class: 0x06, Instr: 0x30, Data: data})
}

// EndOfDay sends End-of-day 06 50.
func (c *Client) EndOfDay(ctx context.Context) (*Outcome, error) {
	pwd, err := c.password()
	if err != nil {
		return nil, err
	}
	return c.do(ctx, APDU{Class: 0x06, Instr: 0x50, Data: pwd})
}

// Status sends Status enquiry 05 01 with the password.
func (c *Client) Status(ctx context.Context) (*Outcome, error) {
	pwd, err := c.password()
	if err != nil {
		return nil, err
	}
	return c.do(ctx, APDU{Class: 0x05, Instr: 0x01, Data: pwd})
}

// LogOff sends Log-Off 06 02.
func (c *Client) LogOff(ctx context.Context) (*Outcome, error) {
	return c.do(ctx, APDU{Class: 0x06, Instr: 0x02})
}

// Abort sends 06 B0. While a transaction runs, its loop sends it and Abort returns the PT's
// 80/84 answer; the transaction's Outcome tells how it ended.
func (c *Client) Abort(ctx context.Context) (APDU, error) {
	c.init()
	c.mu.Lock()
	running := c.running
	c.mu.Unlock()
	if running {
		reply := make(chan APDU, 1)
		select {
		case c.abortc <- reply:
		case <-ctx.Done():
			return APDU{}, ctx.Err()
		}
		select {
		case a := <-reply:
			return a, nil
		case <-ctx.Done():
			return APDU{}, ctx.Err()
		}
	}
	out, err := c.do(ctx, APDU{Class: 0x06, Instr: 0xB0})
	if err != nil {
		return APDU{}, err
	}
	if out.Refused {
		return Nack(out.Code), nil
	}
	return Ack, nil
}

// do sends cmd, waits T3 for 80/84, then (unless it was Log-Off or 06 B0) answers the PT's
// messages until 06 0F or 06 1E.
func (c *Client) do(ctx context.Context, cmd APDU) (*Outcome, error) {
	c.init()
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return nil, errors.New("zvt: client: a command is already running")
	}
	c.running = true
	c.mu.Unlock()
	defer func() { c.mu.Lock(); c.running = false; c.mu.Unlock() }()

	out := &Outcome{}
	if err := c.send(ctx, cmd); err != nil {
		return nil, err
	}
	for {
		a, err := c.recv(ctx, c.t3())
		if err != nil {
			return nil, fmt.Errorf("zvt: client: answer to %02X %02X: %w", cmd.Class, cmd.Instr, err)
		}
		if !a.IsAnswer() {
			if err := c.send(ctx, Nack(RCNotPossible)); err != nil {
				return nil, err
			}
			continue
		}
		if code := a.AnswerCode(); code != RCOK {
			out.Code, out.Refused = code, true
			return out, nil
		}
		break
	}
	if cmd.Command() == CmdLogOff || cmd.Command() == CmdAbortECR {
		return out, nil
	}
	return c.follow(ctx, out)
}

// follow answers the PT's intermediate and final messages.
func (c *Client) follow(ctx context.Context, out *Outcome) (*Outcome, error) {
	type msg struct {
		a   APDU
		err error
	}
	msgs := make(chan msg)
	lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	recvNext := func(d time.Duration) {
		go func() {
			a, err := c.recv(lctx, d)
			select {
			case msgs <- msg{a, err}:
			case <-lctx.Done():
			}
		}()
	}
	var abortReply chan APDU
	abortSent := false
	ctxDone := ctx.Done()
	recvNext(c.t4())
	for {
		select {
		case <-ctxDone:
			ctxDone = nil
			if !abortSent {
				abortSent = true
				if err := c.send(lctx, APDU{Class: 0x06, Instr: 0xB0}); err != nil {
					return out, err
				}
			}
			continue
		case r := <-c.abortc:
			if abortSent {
				r <- Nack(RCNotPossible)
				continue
			}
			abortSent, abortReply = true, r
			if err := c.send(lctx, APDU{Class: 0x06, Instr: 0xB0}); err != nil {
				return out, err
			}
			continue
		case m := <-msgs:
			if m.err != nil {
				return out, fmt.Errorf("zvt: client: waiting for the result: %w", m.err)
			}
			a := m.a
			reply := func() error { return c.send(lctx, Ack) }
			switch a.Command() {
			case CmdIntermediate:
				if len(a.Data) > 0 {
					out.Intermediate = append(out.Intermediate, a.Data[0])
				}
				if err := reply(); err != nil {
					return out, err
				}
			case CmdStatusInfo:
				si, err := ParseStatusInfo(a.Data)
				if err != nil {
					_ = c.send(lctx, Nack(RCProtocolError))
					return out, err
				}
				out.Status, out.Code = si, si.ResultCode
				if err := reply(); err != nil {
					return out, err
				}
			case CmdPrintLine:
				if len(a.Data) > 0 {
					out.Lines = append(out.Lines, DecodeText(a.Data[1:]))
				}
				if err := reply(); err != nil {
					return out, err
				}
			case CmdPrintText:
				if err := reply(); err != nil {
					return out, err
				}
			case CmdCompletion:
				fs, err := ParseFields(a.Data)
				if err != nil {
					_ = c.send(lctx, Nack(RCProtocolError))
					return out, fmt.Errorf("zvt: client: completion: %w", err)
				}
				out.Completion = fs
				if out.Status != nil {
					out.Code = out.Status.ResultCode
				}
				return out, reply()
			case CmdAbortPT:
				out.Code = RCSystemError
				if len(a.Data) > 0 {
					out.Code = a.Data[0]
				}
				return out, reply()
			default:
				if a.IsAnswer() && abortSent {
					aa := a
					out.AbortAnswer = &aa
					if abortReply != nil {
						abortReply <- a
						abortReply = nil
					}
				} else if !a.IsAnswer() {
					if err := c.send(lctx, Nack(RCNotPossible)); err != nil {
						return out, err
					}
				}
			}
			recvNext(c.t4())
		}
	}
}
