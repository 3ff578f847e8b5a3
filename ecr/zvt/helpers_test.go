package zvt

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/terminald/terminald/money"
)

// openPty returns both ends of a pty in raw mode; the files keep their non-blocking,
// pollable mode so read deadlines work.
func openPty(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	rc, err := tty.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var terr error
	err = rc.Control(func(fd uintptr) {
		tio, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			terr = err
			return
		}
		tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		tio.Oflag &^= unix.OPOST
		tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		tio.Cflag &^= unix.CSIZE | unix.PARENB
		tio.Cflag |= unix.CS8
		tio.Cc[unix.VMIN] = 1
		tio.Cc[unix.VTIME] = 0
		terr = unix.IoctlSetTermios(int(fd), unix.TCSETS, tio)
	})
	if err != nil || terr != nil {
		t.Fatalf("raw mode: %v %v", err, terr)
	}
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	return ptmx, tty
}

// readN reads exactly n bytes from f within d.
func readN(t *testing.T, f *os.File, n int, d time.Duration) []byte {
	t.Helper()
	buf := make([]byte, 0, n)
	dl := time.Now().Add(d)
	for len(buf) < n {
		f.SetReadDeadline(dl)
		b := make([]byte, n-len(buf))
		m, err := f.Read(b)
		buf = append(buf, b[:m]...)
		if err != nil {
			t.Fatalf("read %d bytes, got % X: %v", n, buf, err)
		}
	}
	return buf
}

// fakeTerm is a Terminal for tests.
type fakeTerm struct {
	pay         func(ctx context.Context, amt money.Amount, p func(Progress)) (*Result, error)
	ready       bool
	confirmed   chan *Result
	unconfirmed chan *Result
	mu          sync.Mutex
	reversed    []uint64
	refunded    []money.Amount
}

func newFakeTerm() *fakeTerm {
	return &fakeTerm{ready: true, confirmed: make(chan *Result, 4), unconfirmed: make(chan *Result, 4)}
}

var testTime = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

func paid(amt money.Amount) *Result {
	return &Result{Code: RCOK, Amount: amt, Trace: 42, Receipt: 7, Time: testTime, Provider: "acme", Reference: "REF1",
		Lines: []string{"ACME PAY", "Total 12.34 EUR"}}
}

func (f *fakeTerm) Pay(ctx context.Context, amt money.Amount, p func(Progress)) (*Result, error) {
	if f.pay != nil {
		return f.pay(ctx, amt, p)
	}
	return paid(amt), nil
}

func (f *fakeTerm) Reverse(ctx context.Context, receipt uint64, p func(Progress)) (*Result, error) {
	f.mu.Lock()
	f.reversed = append(f.reversed, receipt)
	f.mu.Unlock()
	return &Result{Code: RCOK, Amount: money.New(1234, "EUR"), Trace: 43, OrigTrace: 42, Receipt: receipt, Time: testTime}, nil
}

func (f *fakeTerm) Refund(ctx context.Context, amt money.Amount, p func(Progress)) (*Result, error) {
	f.mu.Lock()
	f.refunded = append(f.refunded, amt)
	f.mu.Unlock()
	return &Result{Code: RCOK, Amount: amt, Trace: 44, Receipt: 8, Time: testTime}, nil
}

func (f *fakeTerm) EndOfDay(ctx context.Context) (*Totals, error) {
	return &Totals{Code: RCOK, Total: money.New(5000, "EUR"), Count: 3, ReceiptFrom: 1, ReceiptTo: 3, Trace: 45, Time: testTime,
		Lines: []string{"END OF DAY", "3 payments 50.00 EUR"}}, nil
}

func (f *fakeTerm) Confirm(ctx context.Context, r *Result) error     { f.confirmed <- r; return nil }
func (f *fakeTerm) Unconfirmed(ctx context.Context, r *Result) error { f.unconfirmed <- r; return nil }
func (f *fakeTerm) Ready() bool                                      { return f.ready }

// logBuf collects log output safely.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func testConfig(logs *logBuf) ServerConfig {
	var h slog.Handler = slog.DiscardHandler
	if logs != nil {
		h = slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	return ServerConfig{
		Password: "123456", Currency: "EUR", TerminalID: 12345678,
		Intermediate: 50 * time.Millisecond, T3: 300 * time.Millisecond, BusyDelay: 20 * time.Millisecond,
		AbortWait: 500 * time.Millisecond, Logger: slog.New(h),
	}
}

// startTCP serves term on a loopback listener and returns its address.
func startTCP(t *testing.T, term Terminal, cfg ServerConfig) string {
	t.Helper()
	s, err := NewServer(term, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

func dialClient(t *testing.T, addr string) *Client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := NewTCPConn(nc, TCPConfig{})
	t.Cleanup(func() { c.Close() })
	return &Client{Conn: c, Password: "123456", T3: 2 * time.Second, T4: 5 * time.Second}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	var out []byte
	for _, f := range bytes.Fields([]byte(s)) {
		var b byte
		for _, c := range f {
			switch {
			case c >= '0' && c <= '9':
				b = b<<4 | (c - '0')
			case c >= 'A' && c <= 'F':
				b = b<<4 | (c - 'A' + 10)
			default:
				t.Fatalf("bad hex %q", f)
			}
		}
		out = append(out, b)
	}
	return out
}
