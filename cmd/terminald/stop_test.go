package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// The first SIGTERM starts the stop order (cancel); the second ends the process at once
// with status 1, saying so.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	sigc := make(chan os.Signal)
	cancelled := make(chan struct{})
	exited := make(chan int, 1)
	var out bytes.Buffer
	go func() {
		stopOnSignal(sigc, func() { close(cancelled) }, &out, func(code int) { exited <- code })
	}()
	sigc <- syscall.SIGTERM
	<-cancelled
	select {
	case code := <-exited:
		t.Fatalf("exited (%d) at the first signal", code)
	default:
	}
	sigc <- syscall.SIGTERM
	if code := <-exited; code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	if !strings.Contains(out.String(), "stopping in order") || !strings.Contains(out.String(), "again: stopping at once") {
		t.Fatalf("stderr = %q", out.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// pendingProvider creates payments the customer never pays.
type pendingProvider struct{}

func (pendingProvider) Name() string { return "pending" }
func (pendingProvider) Start(context.Context, *driver.Payment, driver.Saver) (driver.Update, error) {
	return driver.Update{Remote: driver.RemotePending, QR: "https://pay.example/q"}, nil
}
func (pendingProvider) Check(context.Context, *driver.Payment, driver.Saver) (driver.Update, error) {
	return driver.Update{Remote: driver.RemotePending}, nil
}
func (pendingProvider) Cancel(context.Context, *driver.Payment, driver.Saver) (driver.Update, error) {
	return driver.Update{}, driver.ErrCannotCancel
}
func (pendingProvider) Ping(context.Context) error { return nil }

type screenSink struct{}

func (screenSink) Show(screen.Screen) error { return nil }

type paperSink struct{}

func (paperSink) Print(context.Context, receipt.Receipt) error { return nil }

// The stop order waits for payments in flight no longer than the settle time, then
// names each one still open; new payments are refused meanwhile.
func TestStopInOrderBoundsTheSettleAndNamesWhatIsOpen(t *testing.T) {
	st, err := store.Open(t.TempDir()+"/t.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(b) }), nil))
	eng, err := flow.New(flow.Config{TerminalID: "T7", Currency: "EUR", Logger: log}, st, []driver.Provider{pendingProvider{}}, screenSink{}, paperSink{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go eng.Run(ctx)
	<-eng.Ready()
	done := make(chan error, 1)
	go func() { _, err := eng.Pay(ctx, money.New(500, "EUR"), nil); done <- err }()
	for until := time.Now().Add(10 * time.Second); ; {
		if time.Now().After(until) {
			t.Fatal("the payment did not reach the customer within 10s")
		}
		s, err := eng.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.InFlight == 1 && s.Current != nil && s.Current.State == store.StateAwaiting {
			break
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, bounded by the test's timeout
	}
	start := time.Now()
	stopInOrder(eng, st, 300*time.Millisecond, log)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("stopInOrder took %v with a settle time of 300ms", took)
	}
	if _, err := eng.Pay(ctx, money.New(700, "EUR"), nil); err == nil {
		t.Fatal("a new payment was taken during the stop")
	}
	mu.Lock()
	got := logs.String()
	mu.Unlock()
	if !strings.Contains(got, "stopping with payments in flight") || !strings.Contains(got, "T7-000001") {
		t.Fatalf("the stop did not name the open payment:\n%s", got)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the register's Pay still waits after the engine stopped")
	}
}
