// Package sdnotify speaks the systemd service notification protocol
// (sd_notify(3)): it tells the service manager that terminald is ready,
// that it is still alive (watchdog keep-alives), what it is doing
// (STATUS=) and that it is stopping.
//
// A Notifier built from an environment without NOTIFY_SOCKET does
// nothing, so the daemon runs unchanged outside systemd and in tests.
package sdnotify

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Notifier sends state changes to the service manager over the datagram
// socket named by $NOTIFY_SOCKET. The zero value and a nil *Notifier are
// valid no-op notifiers. A Notifier is safe for concurrent use.
type Notifier struct {
	addr *net.UnixAddr // nil: notifications are disabled

	mu   sync.Mutex
	conn *net.UnixConn
}

// New returns a Notifier for the given socket path as found in
// $NOTIFY_SOCKET. A leading '@' names a Linux abstract socket. An empty
// path yields a no-op Notifier.
func New(socket string) (*Notifier, error) {
	if socket == "" {
		return &Notifier{}, nil
	}
	if socket[0] != '/' && socket[0] != '@' {
		return nil, fmt.Errorf("sdnotify: NOTIFY_SOCKET %q: want an absolute path or an @abstract name", socket)
	}
	// Go maps a leading '@' to the abstract namespace itself.
	return &Notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}}, nil
}

// FromEnv returns a Notifier for $NOTIFY_SOCKET, or a no-op Notifier when
// the variable is unset.
func FromEnv() (*Notifier, error) {
	return New(os.Getenv("NOTIFY_SOCKET"))
}

// Enabled reports whether notifications reach a service manager.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// Notify sends one raw notification message such as "READY=1". It is a
// no-op on a disabled Notifier.
func (n *Notifier) Notify(state string) error {
	if !n.Enabled() {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conn == nil {
		c, err := net.DialUnix("unixgram", nil, n.addr)
		if err != nil {
			return fmt.Errorf("sdnotify: dial %s: %w", n.addr.Name, err)
		}
		n.conn = c
	}
	if err := n.conn.SetWriteDeadline(time.Now().Add(time.Second)); err != nil {
		return fmt.Errorf("sdnotify: set deadline: %w", err)
	}
	if _, err := n.conn.Write([]byte(state)); err != nil {
		// The manager may have been restarted (daemon-reexec); dial
		// again next time.
		n.conn.Close()
		n.conn = nil
		return fmt.Errorf("sdnotify: send %q: %w", firstField(state), err)
	}
	return nil
}

// Close releases the socket. The Notifier may be used again afterwards.
func (n *Notifier) Close() error {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conn == nil {
		return nil
	}
	err := n.conn.Close()
	n.conn = nil
	return err
}

// Ready tells the manager that start-up is complete (READY=1).
func (n *Notifier) Ready() error { return n.Notify("READY=1") }

// Watchdog sends one watchdog keep-alive (WATCHDOG=1).
func (n *Notifier) Watchdog() error { return n.Notify("WATCHDOG=1") }

// Stopping tells the manager that the service is shutting down
// (STOPPING=1).
func (n *Notifier) Stopping() error { return n.Notify("STOPPING=1") }

// Status sets the free-form status line shown by `systemctl status`.
// Newlines are replaced by spaces because the protocol is line based.
func (n *Notifier) Status(text string) error {
	text = strings.NewReplacer("\n", " ", "\r", " ").Replace(text)
	return n.Notify("STATUS=" + text)
}

func firstField(s string) string {
	if i := strings.IndexByte(s, '='); i >= 0 {
		return s[:i]
	}
	return s
}

// WatchdogInterval returns the watchdog timeout the manager expects
// keep-alives within, from $WATCHDOG_USEC. It returns 0 when no watchdog
// is configured or when $WATCHDOG_PID names another process.
func WatchdogInterval() (time.Duration, error) {
	return watchdogInterval(os.Getenv("WATCHDOG_USEC"), os.Getenv("WATCHDOG_PID"), os.Getpid())
}

func watchdogInterval(usec, pid string, self int) (time.Duration, error) {
	if usec == "" {
		return 0, nil
	}
	if pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil {
			return 0, fmt.Errorf("sdnotify: WATCHDOG_PID %q: %w", pid, err)
		}
		if p != self {
			return 0, nil
		}
	}
	u, err := strconv.ParseUint(usec, 10, 63)
	if err != nil {
		return 0, fmt.Errorf("sdnotify: WATCHDOG_USEC %q: %w", usec, err)
	}
	if u == 0 {
		return 0, fmt.Errorf("sdnotify: WATCHDOG_USEC is 0")
	}
	if u > uint64(1<<63-1)/uint64(time.Microsecond) {
		return 0, fmt.Errorf("sdnotify: WATCHDOG_USEC %q: too large", usec)
	}
	return time.Duration(u) * time.Microsecond, nil
}

// Watchdog sends keep-alives on n every interval/2 for as long as ctx is
// live, but only after healthy returned nil within interval/2. A health
// check that errors or blocks (a stuck payment flow, a wedged store)
// stops the keep-alives, so the manager restarts the service once the
// watchdog timeout passes. The check's context is cancelled at the
// timeout; a check that ignores it is abandoned, and no new check starts
// until it returns.
//
// To log why a keep-alive was withheld, wrap healthy; a check that
// timed out sees its context done. Watchdog returns ctx.Err() when ctx
// ends, or nil at once when interval is not positive or n is disabled.
func Watchdog(ctx context.Context, n *Notifier, interval time.Duration, healthy func(context.Context) error) error {
	if interval <= 0 || !n.Enabled() {
		return nil
	}
	period := interval / 2
	t := time.NewTicker(period)
	defer t.Stop()
	return watchdog(ctx, n, period, healthy, t.C, nil)
}

// watchdog is the loop of Watchdog with the ticker and an observer of each
// round (whether a keep-alive was sent) injectable for tests.
func watchdog(ctx context.Context, n *Notifier, timeout time.Duration, healthy func(context.Context) error, tick <-chan time.Time, round func(sent bool)) error {
	var pending chan error // non-nil while an abandoned check still runs
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
		}
		sent := false
		if pending != nil {
			select {
			case <-pending:
				pending = nil
			default:
				// The previous check is still stuck: no keep-alive.
			}
		}
		if pending == nil {
			done := make(chan error, 1)
			cctx, cancel := context.WithTimeout(ctx, timeout)
			go func() { done <- healthy(cctx) }()
			ok := false
			select {
			case err := <-done:
				ok = err == nil
			case <-cctx.Done():
				pending = done
			}
			cancel()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A failed send is retried on the next tick; if it keeps
			// failing the manager restarts us, which is the right outcome.
			sent = ok && n.Watchdog() == nil
		}
		if round != nil {
			round(sent)
		}
	}
}
