// Package admin is terminald's local administration API: line-delimited
// JSON over a unix socket (by default /run/terminald/admin.sock) through
// which staff tools ask for status, list recent payments, reprint a
// receipt, refund and close the day.
//
// A request is one line {"cmd":"payments","args":{"limit":20}} and gets
// one response line {"ok":true,"data":...} or {"ok":false,"error":"..."}.
// Each command's data is a typed result (results.go): StatusResult,
// PaymentsResult, ReprintResult, RefundResult, EndOfDayResult; the server
// encodes them and a Client decodes them back (Client.Call with a pointer to
// the result). Money is integer minor units with its currency (money.Amount).
// Several requests may follow each other on one connection. Access is
// controlled by the socket file: mode 0660, owned by the daemon's user and
// the configured group, so only they can connect. Read-only commands
// (status, payments) are open to every caller; commands that move money
// or paper (refund, reprint, end-of-day) also check the caller's kernel
// credentials (SO_PEERCRED): root, the daemon's own user, or a uid/gid
// admitted with WithAccess.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Commands understood by the server.
const (
	CmdStatus   = "status"
	CmdPayments = "payments"
	CmdReprint  = "reprint"
	CmdRefund   = "refund"
	CmdEndOfDay = "end-of-day"
	CmdXReport  = "x-report"
)

// Limits of the protocol.
const (
	// MaxRequestSize is the longest request line accepted, newline
	// included. Longer requests get an error and the connection closes.
	MaxRequestSize = 64 << 10
	// MaxResponseSize is the longest response line the client reads.
	MaxResponseSize = 16 << 20
	// DefaultPaymentsLimit is used when "payments" gives no limit.
	DefaultPaymentsLimit = 20
	// MaxPaymentsLimit is the largest limit "payments" accepts.
	MaxPaymentsLimit = 1000
)

// Handler carries out admin commands. Each method returns its command's result
// (results.go), encoded as the response's data, or an error whose text is sent to
// the client. Methods are called concurrently from different connections.
type Handler interface {
	// Status reports the daemon's state (providers, printer, display…).
	Status(ctx context.Context) (StatusResult, error)
	// Payments lists up to limit recent payments, newest first.
	Payments(ctx context.Context, limit int) (PaymentsResult, error)
	// Reprint queues the receipt with the given number for printing
	// again; 0 means the last receipt.
	Reprint(ctx context.Context, receipt uint64) (ReprintResult, error)
	// Refund refunds a payment: amount is a decimal string in the
	// payment's currency ("" refunds the rest in full); destination is
	// where the money goes where a provider needs it (e.g. an address).
	Refund(ctx context.Context, paymentID, amount, destination string) (RefundResult, error)
	// EndOfDay runs the end-of-day closing (ZVT end-of-day, totals).
	EndOfDay(ctx context.Context) (EndOfDayResult, error)
}

// XReportArgs are the arguments of "x-report".
type XReportArgs struct {
	// NoPrint only returns the report; by default it is also printed.
	NoPrint bool `json:"no_print,omitempty"`
}

// XReporter is implemented by a Handler that serves "x-report": the totals of the day so
// far without closing it (the shape of an end-of-day report), printed unless print is false. A server whose handler lacks it
// answers "x-report" with an error.
type XReporter interface {
	XReport(ctx context.Context, print bool) (EndOfDayResult, error)
}

// Request is one request line.
type Request struct {
	Cmd  string          `json:"cmd"`
	Args json.RawMessage `json:"args,omitempty"`
}

// Response is one response line.
type Response struct {
	OK    bool            `json:"ok"`
	Error string          `json:"error,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// PaymentsArgs are the arguments of "payments". The listing is newest first; a long one
// is read in pages: Before is the "seq" of the last payment of the previous page.
type PaymentsArgs struct {
	// Limit is how many payments to list; 0 means DefaultPaymentsLimit.
	Limit int `json:"limit,omitempty"`
	// Before lists only payments older than the one with this sequence number ("seq" of
	// a listed payment); 0 starts at the newest.
	Before uint64 `json:"before,omitempty"`
	// State lists only payments in this state ("paid", "failed", …).
	State string `json:"state,omitempty"`
	// Day lists only payments created on this day (YYYY-MM-DD, the daemon's local time).
	Day string `json:"day,omitempty"`
	// Receipt lists only the payment holding this receipt number.
	Receipt uint64 `json:"receipt,omitempty"`
}

// PaymentsQuerier is implemented by a Handler that pages and filters the listing; the
// server then calls QueryPayments (with Limit already defaulted and checked) instead of
// Payments.
type PaymentsQuerier interface {
	QueryPayments(ctx context.Context, args PaymentsArgs) (PaymentsResult, error)
}

// ReprintArgs are the arguments of "reprint".
type ReprintArgs struct {
	// Receipt is the receipt number; 0 means the last receipt.
	Receipt uint64 `json:"receipt,omitempty"`
}

// ReprintResult is the data of a successful "reprint".
type ReprintResult struct {
	// Queued is true: the receipt waits in the durable print queue (it
	// prints when the printer is ready).
	Queued bool `json:"queued"`
	// Receipt is the receipt number asked for; 0 means the last receipt.
	Receipt uint64 `json:"receipt"`
}

// RefundArgs are the arguments of "refund".
type RefundArgs struct {
	// PaymentID names the payment to refund: its id, or (terminald's handler) its
	// receipt number as printed ("0042" or "42"; the newest payment with it). Required.
	PaymentID string `json:"payment_id"`
	// Amount is a decimal string in the terminal's format ("12,50" in Danish) or with a
	// point ("12.50"); empty refunds what is left.
	Amount string `json:"amount,omitempty"`
	// Destination is where the refund goes, where the provider needs it.
	Destination string `json:"destination,omitempty"`
}

// Error is a failure reported by the server for one command.
type Error struct {
	Cmd string // the command that failed
	Msg string // the server's error text
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("admin: %s: %s", e.Cmd, e.Msg) }

// decodeArgs strictly decodes raw into v; absent args leave v zero.
func decodeArgs(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("bad args: %w", err)
	}
	return nil
}

// noArgs rejects arguments other than {} or null for argument-less commands.
func noArgs(raw json.RawMessage) error {
	var m map[string]json.RawMessage
	if err := decodeArgs(raw, &m); err != nil {
		return err
	}
	if len(m) > 0 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		return fmt.Errorf("bad args: command takes no arguments, got %s", strings.Join(keys, ", "))
	}
	return nil
}

// dispatch runs one request against h and returns the data to send.
func dispatch(ctx context.Context, h Handler, req *Request) (any, error) {
	switch req.Cmd {
	case CmdStatus:
		if err := noArgs(req.Args); err != nil {
			return nil, err
		}
		return result(h.Status(ctx))
	case CmdPayments:
		var a PaymentsArgs
		if err := decodeArgs(req.Args, &a); err != nil {
			return nil, err
		}
		if a.Limit == 0 {
			a.Limit = DefaultPaymentsLimit
		}
		if a.Limit < 1 || a.Limit > MaxPaymentsLimit {
			return nil, fmt.Errorf("bad args: limit %d out of range 1..%d", a.Limit, MaxPaymentsLimit)
		}
		if a.Day != "" {
			if _, err := time.Parse(time.DateOnly, a.Day); err != nil {
				return nil, fmt.Errorf("bad args: day %q is not YYYY-MM-DD", truncate(a.Day, 32))
			}
		}
		var ps PaymentsResult
		var err error
		if q, ok := h.(PaymentsQuerier); ok {
			ps, err = q.QueryPayments(ctx, a)
		} else if a.Before != 0 || a.State != "" || a.Day != "" || a.Receipt != 0 {
			return nil, errors.New("bad args: this server lists without paging or filters")
		} else {
			ps, err = h.Payments(ctx, a.Limit)
		}
		if err != nil {
			return nil, err
		}
		if ps == nil {
			ps = PaymentsResult{} // [] on the wire, not null
		}
		return ps, nil
	case CmdReprint:
		var a ReprintArgs
		if err := decodeArgs(req.Args, &a); err != nil {
			return nil, err
		}
		return result(h.Reprint(ctx, a.Receipt))
	case CmdRefund:
		var a RefundArgs
		if err := decodeArgs(req.Args, &a); err != nil {
			return nil, err
		}
		if strings.TrimSpace(a.PaymentID) == "" {
			return nil, errors.New("bad args: payment_id is required")
		}
		return result(h.Refund(ctx, a.PaymentID, a.Amount, a.Destination))
	case CmdEndOfDay:
		if err := noArgs(req.Args); err != nil {
			return nil, err
		}
		return result(h.EndOfDay(ctx))
	case CmdXReport:
		var a XReportArgs
		if err := decodeArgs(req.Args, &a); err != nil {
			return nil, err
		}
		x, ok := h.(XReporter)
		if !ok {
			return nil, errors.New("x-report: not served by this daemon")
		}
		return result(x.XReport(ctx, !a.NoPrint))
	case "":
		return nil, errors.New(`bad request: missing "cmd"`)
	default:
		return nil, fmt.Errorf("unknown command %q (want status, payments, reprint, refund, end-of-day or x-report)", truncate(req.Cmd, 64))
	}
}

// result is a command's typed result as the response's data, or its error alone.
func result[T any](v T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
