// Package printer drives ESC/POS receipt printers on serial lines and USB printer
// devices (/dev/usb/lpN): it lays out receipt.Receipt documents (package escpos writes the
// bytes), checks the printer's real-time status before and after each job, and paces
// writes or honours XON/XOFF so that small printer buffers do not overflow.
//
// A printer that never answers status requests has status "unknown" and still prints.
// Print returns nil only when the job was handed over and the printer was ready; the
// caller keeps the receipt and retries on any error.
package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/serialport"
)

// Device is what the payment flow needs from a receipt printer.
type Device interface {
	Print(ctx context.Context, r receipt.Receipt) error
	Status(ctx context.Context) (Status, error)
}

// Pacing controls how a job is written to the port.
type Pacing struct {
	ChunkSize   int           // bytes per write; 256 when zero
	Pause       time.Duration // pause between chunks (serial printers without flow control)
	XONXOFF     bool          // stop on DC3 (0x13) from the printer, resume on DC1 (0x11)
	XOFFTimeout time.Duration // give up when the printer holds XOFF this long; 60 s when zero
}

// Config configures a Printer.
type Config struct {
	Layout        Layout
	Pacing        Pacing
	StatusTimeout time.Duration // wait for one status reply; 300 ms when zero
	// AfterJobTimeout is the wait for the first status reply after a job, from a printer
	// that answered before it (it may be busy printing); 3 s when zero.
	AfterJobTimeout time.Duration
	Logger          *slog.Logger // nil: no logs
}

// Printer is an ESC/POS printer on a byte stream. It is safe for concurrent use; jobs and
// status requests run one at a time.
type Printer struct {
	port io.ReadWriter
	cfg  Config
	log  *slog.Logger

	// turn admits one job or status request at a time; it is taken with the caller's
	// context, so a printer stuck in a write makes later calls fail, not hang.
	turn chan struct{}
	// stalled, when not nil, delivers the result of a write that outlived its job's
	// context; the next write waits for it so bytes never interleave.
	stalled chan error

	status  chan byte     // status replies from the reader
	closing chan struct{} // closed by Close
	done    chan struct{} // closed when the reader returns

	fmu     sync.Mutex
	paused  bool
	resume  chan struct{} // closed on XON
	readErr error

	closeOnce sync.Once
}

// New returns a printer on port and starts reading the printer's replies. port's Read must
// return from time to time when nothing arrives (a serial port's read timeout), or port
// must be an io.Closer: Close closes it to stop the reader. The Printer owns port.
func New(port io.ReadWriter, cfg Config) *Printer {
	if cfg.Pacing.ChunkSize <= 0 {
		cfg.Pacing.ChunkSize = 256
	}
	if cfg.Pacing.XOFFTimeout <= 0 {
		cfg.Pacing.XOFFTimeout = 60 * time.Second
	}
	if cfg.StatusTimeout <= 0 {
		cfg.StatusTimeout = 300 * time.Millisecond
	}
	if cfg.AfterJobTimeout <= 0 {
		cfg.AfterJobTimeout = 3 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Printer{
		port:    port,
		cfg:     cfg,
		log:     log,
		status:  make(chan byte, 16),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		resume:  make(chan struct{}),
		turn:    make(chan struct{}, 1),
	}
	close(p.resume)
	go p.read()
	return p
}

// OpenSerial opens the serial line port describes and returns a printer on it. The
// reader waits for the printer's bytes without a read timeout (an idle printer wakes
// nothing); Close ends the wait.
func OpenSerial(port serialport.Config, cfg Config) (*Printer, error) {
	sp, err := serialport.Open(port)
	if err != nil {
		return nil, fmt.Errorf("printer: %w", err)
	}
	return New(sp, cfg), nil
}

// OpenUSB opens a USB printer device such as /dev/usb/lp0 for reading and writing and
// returns a printer on it.
func OpenUSB(path string, cfg Config) (*Printer, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("printer: open %s: %w", path, err)
	}
	return New(f, cfg), nil
}

// Close stops the reader and closes the port if it is an io.Closer.
func (p *Printer) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.closing)
		if c, ok := p.port.(io.Closer); ok {
			err = c.Close()
		}
		<-p.done
	})
	if err != nil {
		return fmt.Errorf("printer: close: %w", err)
	}
	return nil
}

// read takes every byte the printer sends: XON/XOFF flow control and status replies.
func (p *Printer) read() {
	defer close(p.done)
	buf := make([]byte, 64)
	for {
		n, err := p.port.Read(buf)
		for _, b := range buf[:n] {
			p.take(b)
		}
		select {
		case <-p.closing:
			return
		default:
		}
		if err != nil && !errors.Is(err, io.EOF) {
			p.fmu.Lock()
			p.readErr = err
			p.fmu.Unlock()
			p.log.Warn("printer: read stopped; status unknown from now on", "err", err)
			return
		}
		if n == 0 {
			// A serial port already waited its read timeout; a pipe at EOF returns at once.
			select {
			case <-p.closing:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

func (p *Printer) take(b byte) {
	if p.cfg.Pacing.XONXOFF && (b == 0x13 || b == 0x11) {
		p.fmu.Lock()
		if b == 0x13 && !p.paused {
			p.paused = true
			p.resume = make(chan struct{})
		} else if b == 0x11 && p.paused {
			p.paused = false
			close(p.resume)
		}
		p.fmu.Unlock()
		return
	}
	if !isStatusByte(b) {
		return
	}
	select {
	case p.status <- b:
	default: // nobody asked; drop
	}
}

// waitXON returns once the printer has not sent XOFF, or resumed with XON.
func (p *Printer) waitXON(ctx context.Context) error {
	p.fmu.Lock()
	paused, ch := p.paused, p.resume
	p.fmu.Unlock()
	if !paused {
		return nil
	}
	t := time.NewTimer(p.cfg.Pacing.XOFFTimeout)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("printer: flow control: printer held XOFF for %v", p.cfg.Pacing.XOFFTimeout)
	}
}

// write sends data in chunks, pausing between them and honouring XOFF.
// acquire takes the printer for one job or status request, or gives up with ctx.
func (p *Printer) acquire(ctx context.Context) error {
	select {
	case p.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("printer: busy (a write may be stuck): %w", ctx.Err())
	}
}

func (p *Printer) release() { <-p.turn }

// portWrite writes b to the port but returns when ctx ends even if the write blocks (a
// stalled USB printer or tty). The blocked write is remembered; the next one waits for
// it first.
func (p *Printer) portWrite(ctx context.Context, b []byte) (int, error) {
	if p.stalled != nil {
		select {
		case err := <-p.stalled:
			p.stalled = nil
			if err != nil {
				return 0, fmt.Errorf("earlier write: %w", err)
			}
		case <-ctx.Done():
			return 0, fmt.Errorf("earlier write still stuck: %w", ctx.Err())
		}
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := p.port.Write(b)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-ctx.Done():
		stalled := make(chan error, 1)
		go func() { r := <-done; stalled <- r.err }()
		p.stalled = stalled
		return 0, fmt.Errorf("write stalled: %w", ctx.Err())
	}
}

func (p *Printer) write(ctx context.Context, data []byte) error {
	pc := p.cfg.Pacing
	for off := 0; off < len(data); {
		if err := ctx.Err(); err != nil {
			return err
		}
		if pc.XONXOFF {
			if err := p.waitXON(ctx); err != nil {
				return err
			}
		}
		end := min(off+pc.ChunkSize, len(data))
		n, err := p.portWrite(ctx, data[off:end])
		off += n
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		if pc.Pause > 0 && off < len(data) {
			t := time.NewTimer(pc.Pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
	return nil
}

// Beep sounds the printer's buzzer (escpos.Encoder.Beep: ESC B n t): times beeps of
// units × 50 ms. It waits for a job under way to end; it sends no status request, so a
// printer out of paper still beeps.
func (p *Printer) Beep(ctx context.Context, times, units int) error {
	data, err := escpos.NewEncoder(p.cfg.Layout.CodePage).Beep(times, units).Bytes()
	if err != nil {
		return err
	}
	if err := p.acquire(ctx); err != nil {
		return err
	}
	defer p.release()
	if err := p.write(ctx, data); err != nil {
		return fmt.Errorf("printer: beep: %w", err)
	}
	return nil
}

// query sends DLE EOT n and waits up to timeout for the reply; ok is false without one.
func (p *Printer) query(ctx context.Context, n byte, timeout time.Duration) (b byte, ok bool, err error) {
	p.fmu.Lock()
	rerr := p.readErr
	p.fmu.Unlock()
	if rerr != nil {
		return 0, false, nil
	}
	for drained := false; !drained; {
		select {
		case <-p.status:
		default:
			drained = true
		}
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	_, err = p.portWrite(wctx, []byte{escpos.DLE, escpos.EOT, n})
	cancel()
	if err != nil {
		return 0, false, fmt.Errorf("printer: status request %d: %w", n, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case b := <-p.status:
		return b, true, nil
	case <-t.C:
		return 0, false, nil
	case <-ctx.Done():
		return 0, false, ctx.Err()
	case <-p.closing:
		return 0, false, errors.New("printer: closed")
	}
}

// Status asks the printer for its real-time status (DLE EOT 1, 2 and 4). A printer that
// does not answer within the status timeout has status "unknown" and no error; the error
// is for a port that cannot be written or a cancelled ctx.
func (p *Printer) Status(ctx context.Context) (Status, error) {
	if err := p.acquire(ctx); err != nil {
		return Status{}, err
	}
	defer p.release()
	return p.getStatus(ctx, p.cfg.StatusTimeout)
}

func (p *Printer) getStatus(ctx context.Context, first time.Duration) (Status, error) {
	var replies [3]byte
	for i, n := range []byte{1, 2, 4} {
		timeout := p.cfg.StatusTimeout
		if i == 0 {
			timeout = first
		}
		b, ok, err := p.query(ctx, n, timeout)
		if err != nil {
			return Status{}, err
		}
		if !ok {
			return Status{}, nil
		}
		replies[i] = b
	}
	return Status{
		Known:        true,
		Offline:      replies[0]&stOffline != 0,
		CoverOpen:    replies[1]&stCoverOpen != 0,
		PaperOut:     replies[1]&stPaperStop != 0 || replies[2]&stPaperOut != 0,
		Error:        replies[1]&stError != 0,
		PaperNearEnd: replies[2]&stNearEnd != 0,
	}, nil
}

// Print lays out r and prints it. Before the job it asks for the printer's status and
// refuses with a *NotReadyError (errors.Is ErrNotReady) naming the reason, e.g.
// "printer: paper out", without sending anything. After the job it asks again and returns
// an error when the printer reports a fault or stopped answering, since the receipt may
// not have printed. nil means the job was handed over to a ready printer (or to one that
// never reports status).
func (p *Printer) Print(ctx context.Context, r receipt.Receipt) error {
	data, err := p.cfg.Layout.Encode(r)
	if err != nil {
		return err
	}
	if err := p.acquire(ctx); err != nil {
		return err
	}
	defer p.release()
	before, err := p.getStatus(ctx, p.cfg.StatusTimeout)
	if err != nil {
		return fmt.Errorf("printer: status before job: %w", err)
	}
	if !before.Ready() {
		return &NotReadyError{Status: before}
	}
	if before.PaperNearEnd {
		p.log.Warn("printer: paper near end", "receipt", r.Number)
	}
	if err := p.write(ctx, data); err != nil {
		return fmt.Errorf("printer: write receipt %d: %w", r.Number, err)
	}
	first := p.cfg.StatusTimeout
	if before.Known {
		first = p.cfg.AfterJobTimeout
	}
	after, err := p.getStatus(ctx, first)
	if err != nil {
		return fmt.Errorf("printer: status after job: %w", err)
	}
	if before.Known && !after.Known {
		return fmt.Errorf("printer: no status after receipt %d: the printer stopped answering", r.Number)
	}
	if !after.Ready() {
		return &NotReadyError{Status: after, AfterJob: true}
	}
	p.log.Debug("printer: printed", "receipt", r.Number, "kind", string(r.Kind), "bytes", len(data), "status", after.Text())
	return nil
}
