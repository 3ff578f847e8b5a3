package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/terminald/terminald/money"
)

// fakeHandler records what each command was called with.
type fakeHandler struct {
	mu      sync.Mutex
	calls   []string
	block   chan struct{} // if not nil, Status blocks on it or ctx
	entered chan struct{} // if not nil, Status sends on it when called
}

func (f *fakeHandler) record(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

func (f *fakeHandler) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return ""
	}
	return f.calls[len(f.calls)-1]
}

func (f *fakeHandler) Status(ctx context.Context) (StatusResult, error) {
	f.record("status")
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return StatusResult{}, ctx.Err()
		}
	}
	return StatusResult{Ready: true, Printer: "ok"}, nil
}

func (f *fakeHandler) Payments(ctx context.Context, limit int) (PaymentsResult, error) {
	f.record("payments " + strconv.Itoa(limit))
	return PaymentsResult{{ID: "p1", Amount: money.New(1250, "EUR")}}, nil
}

func (f *fakeHandler) Reprint(ctx context.Context, receipt uint64) (ReprintResult, error) {
	f.record("reprint " + strconv.FormatUint(receipt, 10))
	if receipt == 404 {
		return ReprintResult{}, errors.New("receipt 404 not found")
	}
	if receipt == 500 {
		panic("printer driver bug")
	}
	return ReprintResult{Queued: true, Receipt: receipt}, nil
}

func (f *fakeHandler) Refund(ctx context.Context, paymentID, amount, destination string) (RefundResult, error) {
	f.record("refund " + paymentID + " " + amount + " " + destination)
	return RefundResult{ID: "r1", PaymentID: paymentID}, nil
}

func (f *fakeHandler) EndOfDay(ctx context.Context) (EndOfDayResult, error) {
	f.record("end-of-day")
	return EndOfDayResult{Totals: []ReportRow{{Currency: "EUR", Count: 1, Total: 4200}}}, nil
}

func (f *fakeHandler) XReport(ctx context.Context, print bool) (EndOfDayResult, error) {
	f.record("x-report " + strconv.FormatBool(print))
	return EndOfDayResult{Totals: []ReportRow{{Currency: "EUR", Count: 1, Total: 4200}}}, nil
}

func sockPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "adm") // short: sun_path is 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "admin.sock")
}

func start(t *testing.T, h Handler) *Server {
	t.Helper()
	s, err := Listen(sockPath(t), "", h, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dial(t *testing.T, s *Server) *Client {
	t.Helper()
	c, err := Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSocketPermissions(t *testing.T) {
	gid := os.Getgid()
	group := strconv.Itoa(gid)
	if g, err := user.LookupGroupId(group); err == nil {
		group = g.Name // exercise the lookup by name too
	}
	path := sockPath(t)
	s, err := Listen(path, group, &fakeHandler{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("%s is %v, want a socket", path, fi.Mode())
	}
	if perm := fi.Mode().Perm(); perm != 0o660 {
		t.Errorf("socket mode %o, want 660", perm)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Gid) != gid {
		t.Errorf("socket group %d, want %d", st.Gid, gid)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the socket (temporary name left?)", len(entries))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket still exists after Close: %v", err)
	}
}

func TestUnknownGroup(t *testing.T) {
	if _, err := Listen(sockPath(t), "no-such-group-terminald", &fakeHandler{}, nil); err == nil {
		t.Error("Listen with an unknown group succeeded")
	}
}

func TestStaleSocket(t *testing.T) {
	path := sockPath(t)
	// A socket left behind by a crashed run.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	s, err := Listen(path, "", &fakeHandler{}, nil)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer s.Close()
	// A second daemon must not steal the live socket.
	if _, err := Listen(path, "", &fakeHandler{}, nil); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("second Listen on a live socket: %v, want 'another process' error", err)
	}
	if err := dial(t, s).Call(context.Background(), CmdStatus, nil, nil); err != nil {
		t.Errorf("first server broken by second Listen: %v", err)
	}
}

func TestRegularFileNotRemoved(t *testing.T) {
	path := sockPath(t)
	os.WriteFile(path, []byte("precious"), 0o600)
	if _, err := Listen(path, "", &fakeHandler{}, nil); err == nil {
		t.Fatal("Listen replaced a regular file")
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Error("regular file was changed")
	}
}

func TestCommands(t *testing.T) {
	h := &fakeHandler{}
	c := dial(t, start(t, h))
	ctx := context.Background()
	tests := []struct {
		cmd  string
		args any
		want string // recorded call
	}{
		{CmdStatus, nil, "status"},
		{CmdPayments, nil, "payments 20"},
		{CmdPayments, PaymentsArgs{Limit: 5}, "payments 5"},
		{CmdReprint, nil, "reprint 0"},
		{CmdReprint, ReprintArgs{Receipt: 17}, "reprint 17"},
		{CmdRefund, RefundArgs{PaymentID: "p1"}, "refund p1  "},
		{CmdRefund, RefundArgs{PaymentID: "p1", Amount: "2.50", Destination: "bc1qxyz"}, "refund p1 2.50 bc1qxyz"},
		{CmdEndOfDay, map[string]any{}, "end-of-day"},
		{CmdXReport, nil, "x-report true"},
		{CmdXReport, XReportArgs{NoPrint: true}, "x-report false"},
	}
	for _, tt := range tests {
		var out any
		if err := c.Call(ctx, tt.cmd, tt.args, &out); err != nil {
			t.Errorf("%s %v: %v", tt.cmd, tt.args, err)
			continue
		}
		if got := h.last(); got != tt.want {
			t.Errorf("%s %v: handler called as %q, want %q", tt.cmd, tt.args, got, tt.want)
		}
		if out == nil {
			t.Errorf("%s: no data returned", tt.cmd)
		}
	}
	// Data arrives intact, numbers as json.Number (never float64).
	var payments []map[string]any
	if err := c.Call(ctx, CmdPayments, PaymentsArgs{Limit: 1}, &payments); err != nil {
		t.Fatal(err)
	}
	if len(payments) != 1 || payments[0]["id"] != "p1" || payments[0]["amount"].(map[string]any)["minor"] != json.Number("1250") {
		t.Errorf("payments data = %#v", payments)
	}
	// Typed results decode into the same types.
	var typed PaymentsResult
	if err := c.Call(ctx, CmdPayments, PaymentsArgs{Limit: 1}, &typed); err != nil || len(typed) != 1 || typed[0].Amount != money.New(1250, "EUR") {
		t.Errorf("payments as PaymentsResult = %+v, %v", typed, err)
	}
	var eod EndOfDayResult
	if err := c.Call(ctx, CmdEndOfDay, nil, &eod); err != nil || len(eod.Totals) != 1 || eod.Totals[0].Total != 4200 {
		t.Errorf("end-of-day = %+v, %v", eod, err)
	}
}

func TestHandlerErrorAndPanic(t *testing.T) {
	c := dial(t, start(t, &fakeHandler{}))
	ctx := context.Background()
	err := c.Call(ctx, CmdReprint, ReprintArgs{Receipt: 404}, nil)
	var ae *Error
	if !errors.As(err, &ae) || !strings.Contains(ae.Msg, "receipt 404 not found") {
		t.Errorf("handler error reached client as %v", err)
	}
	err = c.Call(ctx, CmdReprint, ReprintArgs{Receipt: 500}, nil)
	if !errors.As(err, &ae) || ae.Msg != "internal error" {
		t.Errorf("handler panic reached client as %v", err)
	}
	if err := c.Call(ctx, CmdStatus, nil, nil); err != nil {
		t.Errorf("connection unusable after a handler panic: %v", err)
	}
}

// raw sends one line on a plain connection and returns the response.
func raw(t *testing.T, conn net.Conn, r *bufio.Reader, line string) Response {
	t.Helper()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(line)); err != nil {
		t.Fatal(err)
	}
	b, err := r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("no response to %q: %v", line, err)
	}
	var resp Response
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatalf("response %q is not JSON: %v", b, err)
	}
	return resp
}

func TestBadRequests(t *testing.T) {
	h := &fakeHandler{}
	s := start(t, h)
	conn, err := net.Dial("unix", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	tests := []struct{ line, want string }{
		{"hello\n", "not a JSON object"},
		{"[1,2]\n", "not a JSON object"},
		{`{"args":{}}` + "\n", `missing "cmd"`},
		{`{"cmd":"format-disk"}` + "\n", `unknown command "format-disk"`},
		{`{"cmd":"payments","args":{"limt":5}}` + "\n", `unknown field "limt"`},
		{`{"cmd":"payments","args":{"limit":-1}}` + "\n", "limit -1 out of range"},
		{`{"cmd":"payments","args":{"limit":5000}}` + "\n", "limit 5000 out of range"},
		{`{"cmd":"payments","args":{"limit":"5"}}` + "\n", "bad args"},
		{`{"cmd":"reprint","args":{"receipt":-3}}` + "\n", "bad args"},
		{`{"cmd":"refund","args":{"amount":"1.00"}}` + "\n", "payment_id is required"},
		{`{"cmd":"status","args":{"verbose":true}}` + "\n", "takes no arguments, got verbose"},
		{`{"cmd":"end-of-day","args":[]}` + "\n", "bad args"},
	}
	for _, tt := range tests {
		resp := raw(t, conn, r, tt.line)
		if resp.OK || !strings.Contains(resp.Error, tt.want) {
			t.Errorf("%q: got %+v, want error containing %q", tt.line, resp, tt.want)
		}
	}
	if got := h.last(); got != "" {
		t.Errorf("a bad request reached the handler: %q", got)
	}
	// The same connection still serves good requests.
	if resp := raw(t, conn, r, "\n"+`{"cmd":"status"}`+"\r\n"); !resp.OK {
		t.Errorf("good request after bad ones: %+v", resp)
	}
}

func TestOversizedRequest(t *testing.T) {
	s := start(t, &fakeHandler{})
	other := dial(t, s) // an unrelated admin session

	conn, err := net.Dial("unix", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	go conn.Write([]byte(`{"cmd":"refund","args":{"destination":"` + strings.Repeat("x", MaxRequestSize) + `"}}` + "\n"))
	r := bufio.NewReader(conn)
	b, err := r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("no response to an oversized request: %v", err)
	}
	var resp Response
	json.Unmarshal(b, &resp)
	if resp.OK || !strings.Contains(resp.Error, "larger than") {
		t.Errorf("oversized request answered %s", b)
	}
	if _, err := r.ReadBytes('\n'); err == nil {
		t.Error("connection stayed open after an oversized request")
	}
	if err := other.Call(context.Background(), CmdStatus, nil, nil); err != nil {
		t.Errorf("other connection affected: %v", err)
	}
	// The client refuses to send oversized requests at all.
	err = other.Call(context.Background(), CmdRefund, RefundArgs{PaymentID: strings.Repeat("p", MaxRequestSize)}, nil)
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("client sent an oversized request: %v", err)
	}
}

func TestCallContextAndClose(t *testing.T) {
	h := &fakeHandler{block: make(chan struct{})}
	s := start(t, h)
	c := dial(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Call(ctx, CmdStatus, nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Call past its deadline returned %v", err)
	}
	// A second connection is served while the first command hangs.
	c2 := dial(t, s)
	errc := make(chan error, 1)
	go func() { errc <- c2.Call(context.Background(), CmdStatus, nil, nil) }()
	// Close cancels the hanging commands and returns.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Error("command cut off by Close reported success")
	}
}

func TestTooManyConnections(t *testing.T) {
	h := &fakeHandler{block: make(chan struct{}), entered: make(chan struct{}, MaxConns)}
	s := start(t, h)
	var wg sync.WaitGroup
	for i := 0; i < MaxConns; i++ {
		c := dial(t, s)
		wg.Add(1)
		go func() { defer wg.Done(); c.Call(context.Background(), CmdStatus, nil, nil) }()
	}
	// Wait (bounded) until all MaxConns connections are inside the handler: each
	// holds its slot.
	deadline := time.After(10 * time.Second)
	for i := 0; i < MaxConns; i++ {
		select {
		case <-h.entered:
		case <-deadline:
			t.Fatalf("only %d of %d connections reached the handler", i, MaxConns)
		}
	}
	extra := dial(t, s)
	err := extra.Call(context.Background(), CmdPayments, nil, nil)
	var ae *Error
	if !errors.As(err, &ae) || !strings.Contains(ae.Msg, "busy") {
		t.Errorf("connection beyond the limit got %v, want a busy error", err)
	}
	close(h.block)
	wg.Wait()
}

// queryHandler pages and filters the listing.
type queryHandler struct {
	fakeHandler
	got chan PaymentsArgs
}

var _ PaymentsQuerier = (*queryHandler)(nil)

func (q *queryHandler) QueryPayments(ctx context.Context, a PaymentsArgs) (PaymentsResult, error) {
	q.got <- a
	return nil, nil // sent as []
}

func TestPaymentsPagingAndFilters(t *testing.T) {
	q := &queryHandler{got: make(chan PaymentsArgs, 1)}
	c := dial(t, start(t, q))
	ctx := context.Background()
	want := PaymentsArgs{Limit: DefaultPaymentsLimit, Before: 41, State: "paid", Day: "2026-11-30", Receipt: 7}
	args := want
	args.Limit = 0
	var raw json.RawMessage
	if err := c.Call(ctx, CmdPayments, args, &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw) != "[]" {
		t.Errorf("an empty listing is %s on the wire, want []", raw)
	}
	if got := <-q.got; got != want {
		t.Fatalf("QueryPayments got %+v, want %+v", got, want)
	}
	if err := c.Call(ctx, CmdPayments, PaymentsArgs{Day: "30.11.2026"}, nil); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Errorf("bad day: %v, want an error naming the format", err)
	}
	// A handler without paging refuses filters instead of ignoring them.
	plain := dial(t, start(t, &fakeHandler{}))
	if err := plain.Call(ctx, CmdPayments, PaymentsArgs{State: "paid"}, nil); err == nil {
		t.Error("a filter was silently ignored")
	}
}
