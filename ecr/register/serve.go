package register

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/terminald/terminald/ecr/zvt"
	"github.com/terminald/terminald/hw/reopen"
	"github.com/terminald/terminald/serialport"
)

// serialIdlePoll is how long the idle reader of a serial register link waits for the
// start of a frame before it looks again: the port is pollable (a waiting read costs no
// wakeup and Close ends it at once), bytes return as they come and the T1/T2 timers are
// read deadlines, so it only bounds how long a stuck link goes unnoticed. Issue 19: the
// link used to poll every 50 ms, then read with a 1 s timeout.
const serialIdlePoll = time.Minute

// Config configures the register link.
type Config struct {
	Addr       string // tcp://HOST:PORT or serial:/dev/ttyX
	Password   string // the 6 digits the register sends
	TerminalID string // up to 8 decimal digits (BMP 29)
	Currency   string // ISO 4217 code of the register's amounts
	Baud       int    // serial line speed; 9600 when zero
	Logger     *slog.Logger
	// OnState, when set, hears whether the register's serial port is open, waiting or
	// failed (see package reopen); nil: not reported.
	OnState func(reopen.State, error)
	// Display, when set, returns the customer display's state (health.DeviceOK,
	// DeviceMissing, DeviceError, DeviceUnknown): a payment is refused while it is
	// missing or failed (ErrNoDisplay). nil: not checked.
	Display func() string
}

// Start serves a cash register for eng on cfg.Addr until ctx ends. The returned function
// waits for the link to stop. Errors name a bad address, terminal id or password, or a
// listen/open failure.
func Start(ctx context.Context, eng Engine, cfg Config) (wait func(), err error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tid, err := strconv.ParseUint(cfg.TerminalID, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("ecr: terminal id %q: %w", cfg.TerminalID, err)
	}
	term := New(eng, cfg.Currency, log)
	term.display = cfg.Display
	srv, err := zvt.NewServer(term, zvt.ServerConfig{Password: cfg.Password, Currency: cfg.Currency,
		TerminalID: tid, Logger: log.With("link", "zvt")})
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	switch {
	case strings.HasPrefix(cfg.Addr, "tcp://"):
		ln, err := net.Listen("tcp", strings.TrimPrefix(cfg.Addr, "tcp://"))
		if err != nil {
			return nil, fmt.Errorf("ecr: %w", err)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ctx, ln); err != nil && ctx.Err() == nil {
				log.Error("ecr: tcp link stopped", "err", err)
			}
		}()
		go func() { defer wg.Done(); <-ctx.Done(); ln.Close() }()
	case strings.HasPrefix(cfg.Addr, "serial:"):
		baud := cfg.Baud
		if baud == 0 {
			baud = 9600
		}
		// The register's serial port may be absent at start or unplugged: it is opened,
		// and reopened after the link fails, with backoff; the terminal runs meanwhile.
		name := strings.TrimPrefix(cfg.Addr, "serial:")
		wg.Add(1)
		go func() {
			defer wg.Done()
			reopen.Supervise(ctx, reopen.Options{Name: "register " + name, Logger: log, OnState: cfg.OnState},
				func(context.Context) (serialport.Port, error) {
					// No read timeout: an idle read waits in the poller until a byte comes,
					// the link's deadline passes or the port is closed (a short timeout
					// woke the daemon 20 times a second for nothing).
					return serialport.Open(serialport.Config{Name: name, Baud: baud, StopBits: 2})
				},
				func(ctx context.Context, port serialport.Port) error {
					return srv.ServeConn(ctx, zvt.NewSerialConn(port, zvt.SerialConfig{Poll: serialIdlePoll, Logger: log.With("link", "zvt-serial")}))
				})
		}()
	default:
		return nil, fmt.Errorf("ecr: address %q: want tcp://HOST:PORT or serial:/dev/ttyX", cfg.Addr)
	}
	return wg.Wait, nil
}
