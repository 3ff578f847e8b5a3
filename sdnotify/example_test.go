package sdnotify_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/terminald/terminald/sdnotify"
)

// A daemon announces readiness, then keeps the systemd watchdog fed for as
// long as its health check passes.
func Example() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	n, err := sdnotify.FromEnv() // a no-op outside systemd
	if err != nil {
		logger.Error("notify socket", "err", err)
		return
	}
	defer n.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	if interval, err := sdnotify.WatchdogInterval(); err == nil && interval > 0 {
		go sdnotify.Watchdog(ctx, n, interval, func(ctx context.Context) error {
			return nil // e.g. ping the store and confirm the flow loop turns
		})
	}
	_ = n.Status("idle")
	_ = n.Ready()

	// ... serve until told to stop ...

	_ = n.Stopping()
	// Output:
}
