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

// serialIdleRead is how long one read of an idle serial register link waits (bytes
// return at once): it bounds how soon a closed link is noticed and how late a T1 gap
// within a frame is seen, and sets the link's idle wakeups (one read a second).
const serialIdleRead = time.Second

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
					// A read returns as soon as a byte arrives; the timeout only bounds an idle
					// read (how soon Close is noticed, how late a T1 gap is seen), so it is
					// long: a short one woke the daemon 20 times a second for nothing.
					return serialport.Open(serialport.Config{Name: name, Baud: baud, StopBits: 2, ReadTimeout: serialIdleRead})
				},
				func(ctx context.Context, port serialport.Port) error {
					return srv.ServeConn(ctx, zvt.NewSerialConn(port, zvt.SerialConfig{Poll: serialIdleRead, Logger: log.With("link", "zvt-serial")}))
				})
		}()
	default:
		return nil, fmt.Errorf("ecr: address %q: want tcp://HOST:PORT or serial:/dev/ttyX", cfg.Addr)
	}
	return wg.Wait, nil
}
