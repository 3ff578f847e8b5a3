package sdnotify

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// listen opens a unixgram socket standing in for systemd's notify socket.
func listen(t *testing.T) (string, *net.UnixConn) {
	t.Helper()
	// Unix socket paths are limited to 108 bytes; t.TempDir can be longer.
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return path, c
}

func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no notification arrived: %v", err)
	}
	return string(buf[:n])
}

func TestMessages(t *testing.T) {
	path, c := listen(t)
	t.Setenv("NOTIFY_SOCKET", path)
	n, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if !n.Enabled() {
		t.Fatal("Notifier with NOTIFY_SOCKET set reports disabled")
	}
	steps := []struct {
		send func() error
		want string
	}{
		{n.Ready, "READY=1"},
		{func() error { return n.Status("waiting for card\nreader") }, "STATUS=waiting for card reader"},
		{n.Watchdog, "WATCHDOG=1"},
		{n.Stopping, "STOPPING=1"},
	}
	for _, s := range steps {
		if err := s.send(); err != nil {
			t.Fatalf("sending %q: %v", s.want, err)
		}
		if got := recv(t, c); got != s.want {
			t.Errorf("manager got %q, want %q", got, s.want)
		}
	}
}

func TestAbstractSocket(t *testing.T) {
	name := "@terminald-sdnotify-test-" + strconv.Itoa(os.Getpid())
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Skipf("abstract sockets unavailable: %v", err)
	}
	defer c.Close()
	n, err := New(name)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Ready(); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c); got != "READY=1" {
		t.Errorf("got %q, want READY=1", got)
	}
}

func TestDisabled(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if n.Enabled() {
		t.Fatal("Notifier without NOTIFY_SOCKET reports enabled")
	}
	for _, f := range []func() error{n.Ready, n.Watchdog, n.Stopping, func() error { return n.Status("x") }} {
		if err := f(); err != nil {
			t.Errorf("no-op Notifier returned %v", err)
		}
	}
	var nilN *Notifier
	if err := nilN.Ready(); err != nil {
		t.Errorf("nil Notifier returned %v", err)
	}
	// The loop must return at once rather than spin or block.
	if err := Watchdog(context.Background(), n, time.Second, func(context.Context) error { return nil }); err != nil {
		t.Errorf("Watchdog on a disabled notifier: %v", err)
	}
}

func TestBadSocket(t *testing.T) {
	if _, err := New("relative/path"); err == nil {
		t.Error("relative NOTIFY_SOCKET accepted")
	}
	n, err := New(filepath.Join(t.TempDir(), "missing.sock"))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Ready(); err == nil {
		t.Error("Ready to a missing socket reported success")
	}
}

func TestWatchdogInterval(t *testing.T) {
	tests := []struct {
		usec, pid string
		want      time.Duration
		wantErr   bool
	}{
		{"", "", 0, false},
		{"30000000", "", 30 * time.Second, false},
		{"30000000", "42", 30 * time.Second, false},
		{"30000000", "43", 0, false}, // meant for another process
		{"abc", "", 0, true},
		{"0", "", 0, true},
		{"-5", "", 0, true},
		{"30000000", "x", 0, true},
		{"99999999999999999999", "", 0, true},
	}
	for _, tt := range tests {
		got, err := watchdogInterval(tt.usec, tt.pid, 42)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("watchdogInterval(%q, %q) = %v, %v; want %v, err=%v", tt.usec, tt.pid, got, err, tt.want, tt.wantErr)
		}
	}
	t.Setenv("WATCHDOG_USEC", "2000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	if d, err := WatchdogInterval(); err != nil || d != 2*time.Second {
		t.Errorf("WatchdogInterval() = %v, %v; want 2s", d, err)
	}
}

// TestWatchdogPings runs the real ticker loop and counts keep-alives.
func TestWatchdogPings(t *testing.T) {
	path, c := listen(t)
	n, _ := New(path)
	defer n.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var checks atomic.Int32
	const interval = 20 * time.Millisecond
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		errc <- Watchdog(ctx, n, interval, func(context.Context) error { checks.Add(1); return nil })
	}()
	const want = 5
	for i := 0; i < want; i++ {
		if got := recv(t, c); got != "WATCHDOG=1" {
			t.Fatalf("ping %d: got %q", i, got)
		}
	}
	// A ticker never fires early: five pings at interval/2 take at least
	// 2.5 intervals, so the loop does not ping faster than configured.
	if el := time.Since(start); el < want*interval/2 {
		t.Errorf("%d pings after %v: faster than every %v", want, el, interval/2)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Watchdog returned %v, want context.Canceled", err)
	}
	if got := checks.Load(); got < want {
		t.Errorf("%d health checks for %d pings; every ping needs a check", got, want)
	}
}

// runRounds drives the loop tick by tick and reports, per round, whether a
// keep-alive was sent.
func runRounds(t *testing.T, rounds int, healthy func(context.Context) error) (sent []bool, pings int) {
	return runRoundsWait(t, rounds, healthy, nil)
}

// runRoundsWait is runRounds calling before(i), when set, before round i's tick.
func runRoundsWait(t *testing.T, rounds int, healthy func(context.Context) error, before func(i int)) (sent []bool, pings int) {
	t.Helper()
	path, c := listen(t)
	n, _ := New(path)
	defer n.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tick := make(chan time.Time)
	results := make(chan bool)
	errc := make(chan error, 1)
	go func() {
		errc <- watchdog(ctx, n, 250*time.Millisecond, healthy, tick, func(s bool) { results <- s })
	}()
	for i := 0; i < rounds; i++ {
		if before != nil {
			before(i)
		}
		tick <- time.Now()
		sent = append(sent, <-results)
	}
	cancel()
	<-errc
	// Count what actually reached the socket.
	buf := make([]byte, 64)
	for {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.Read(buf); err != nil {
			break
		}
		pings++
	}
	return sent, pings
}

func TestWatchdogStopsWhenUnhealthy(t *testing.T) {
	var calls atomic.Int32
	sent, pings := runRounds(t, 6, func(context.Context) error {
		if calls.Add(1) > 2 {
			return errors.New("outbox stuck")
		}
		return nil
	})
	want := []bool{true, true, false, false, false, false}
	for i := range want {
		if sent[i] != want[i] {
			t.Fatalf("rounds sent %v, want %v", sent, want)
		}
	}
	if pings != 2 {
		t.Errorf("manager received %d pings, want 2", pings)
	}
}

func TestWatchdogStopsWhenCheckBlocks(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var calls atomic.Int32
	sent, pings := runRounds(t, 5, func(ctx context.Context) error {
		if calls.Add(1) > 2 {
			<-release // a flow stuck on a lock: ignores ctx
		}
		return nil
	})
	want := []bool{true, true, false, false, false}
	for i := range want {
		if sent[i] != want[i] {
			t.Fatalf("rounds sent %v, want %v", sent, want)
		}
	}
	if pings != 2 {
		t.Errorf("manager received %d pings, want 2", pings)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("%d health checks started; a stuck check must not be stacked up", got)
	}
}

func TestWatchdogResumesAfterRecovery(t *testing.T) {
	var calls atomic.Int32
	release, returned := make(chan struct{}), make(chan struct{})
	sent, _ := runRoundsWait(t, 6, func(ctx context.Context) error {
		if calls.Add(1) == 2 {
			<-release // stuck past its timeout, ignoring ctx, until the test lets go
			close(returned)
		}
		return nil
	}, func(i int) {
		if i == 4 {
			close(release)
			<-returned // from round 4 on, the stuck check has come back
		}
	})
	want := []bool{true, false, false, false, true, true}
	for i := range want {
		if sent[i] != want[i] {
			t.Fatalf("rounds sent %v, want %v: a ping, none while the check is stuck, pings again once it returned", sent, want)
		}
	}
}
