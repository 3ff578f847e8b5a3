package printer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/hw/printer/escposdoc"
	"github.com/terminald/terminald/receipt"
	"github.com/terminald/terminald/serialport"
)

// Status replies of an emulated Epson printer.
var (
	replyOK        = map[byte]byte{1: 0x12, 2: 0x12, 4: 0x12}
	replyPaperOut  = map[byte]byte{1: 0x1a, 2: 0x32, 4: 0x72}
	replyCoverOpen = map[byte]byte{1: 0x1a, 2: 0x16, 4: 0x12}
	replyNearEnd   = map[byte]byte{1: 0x12, 2: 0x12, 4: 0x1e}
)

// emulator is a serial ESC/POS printer on the master side of a pty: it records what it
// receives and answers DLE EOT n from a reply table (nil: never answers).
type emulator struct {
	t      *testing.T
	master *os.File

	mu       sync.Mutex
	data     []byte
	replies  map[byte]byte
	onByte   func(e *emulator, b byte) // called for every received byte, under mu
	holdSeen int                       // bytes received while holding XOFF

	done chan struct{}
}

func newEmulator(t *testing.T, replies map[byte]byte, cfg Config) (*emulator, *Printer) {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	e := &emulator{t: t, master: master, replies: replies, done: make(chan struct{})}
	// The emulator answers every status request it has replies for, so these bound a
	// wait that ends on the reply; they are the printer's own settings, generous because
	// a loaded machine (make stress) delayed replies through the pty past 200-300 ms. A
	// test of a printer that does not answer passes its own, short ones.
	if cfg.StatusTimeout == 0 {
		cfg.StatusTimeout = 5 * time.Second
	}
	if cfg.AfterJobTimeout == 0 {
		cfg.AfterJobTimeout = 5 * time.Second
	}
	p, err := OpenSerial(serialport.Config{Name: tty.Name(), Baud: 115200, ReadTimeout: 100 * time.Millisecond}, cfg)
	tty.Close()
	if err != nil {
		master.Close()
		t.Fatal(err)
	}
	go e.run()
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
		master.Close()
		<-e.done
	})
	return e, p
}

func (e *emulator) run() {
	defer close(e.done)
	buf := make([]byte, 256)
	var last [2]byte // the two bytes before, to spot DLE EOT n across reads
	for {
		n, err := e.master.Read(buf)
		for _, b := range buf[:n] {
			e.mu.Lock()
			e.data = append(e.data, b)
			if last[0] == escpos.DLE && last[1] == escpos.EOT {
				if r, ok := e.replies[b]; ok {
					e.master.Write([]byte{r})
				}
			}
			if e.onByte != nil {
				e.onByte(e, b)
			}
			e.mu.Unlock()
			last[0], last[1] = last[1], b
		}
		if err != nil {
			return
		}
	}
}

func (e *emulator) set(replies map[byte]byte) {
	e.mu.Lock()
	e.replies = replies
	e.mu.Unlock()
}

// waitCut waits until the printer received a cut command (a job sent without status
// replies may still be on its way through the pty when Print returns).
func (e *emulator) waitCut() {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		ok := bytes.Contains(e.data, []byte{escpos.GS, 'V'})
		e.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatal("no cut received")
}

// printed decodes what the printer received since the last call.
func (e *emulator) printed() *escposdoc.Document {
	e.t.Helper()
	e.mu.Lock()
	data := e.data
	e.data = nil
	e.mu.Unlock()
	doc, err := escposdoc.Decode(data)
	if err != nil {
		e.t.Fatalf("printer received a malformed stream: %v", err)
	}
	return doc
}

var testLayout = Layout{Paper: escpos.Paper58, CodePage: escpos.PC858}

func TestPaperOutThenBack(t *testing.T) {
	emu, p := newEmulator(t, replyPaperOut, Config{Layout: testLayout})
	ctx := context.Background()
	r := samples()[0]

	err := p.Print(ctx, r)
	if !errors.Is(err, ErrNotReady) || err.Error() != "printer: paper out" {
		t.Fatalf("Print with paper out = %v, want printer: paper out", err)
	}
	if doc := emu.printed(); len(doc.Lines()) != 0 || doc.Cuts() != 0 {
		t.Fatalf("printed with paper out: %q", doc.Lines())
	}
	if st, err := p.Status(ctx); err != nil || st.Text() != "paper out" {
		t.Errorf("Status = %v, %v", st, err)
	}
	emu.printed()

	emu.set(replyOK)
	if err := p.Print(ctx, r); err != nil {
		t.Fatalf("Print with paper back: %v", err)
	}
	doc := emu.printed()
	if !strings.Contains(strings.Join(doc.Lines(), "\n"), "12,50 €") || doc.Cuts() != 1 {
		t.Errorf("printed:\n%s", doc.Text())
	}
	if got := doc.QRs(); len(got) != 1 || got[0] != r.QR {
		t.Errorf("QR %q", got)
	}
}

func TestCoverOpenAndNearEnd(t *testing.T) {
	emu, p := newEmulator(t, replyCoverOpen, Config{Layout: testLayout})
	ctx := context.Background()
	err := p.Print(ctx, samples()[1])
	var nre *NotReadyError
	if !errors.As(err, &nre) || nre.Status.Text() != "cover open" || err.Error() != "printer: cover open" {
		t.Fatalf("Print with cover open = %v", err)
	}
	if len(emu.printed().Lines()) != 0 {
		t.Fatal("printed with the cover open")
	}
	emu.set(replyNearEnd)
	if st, err := p.Status(ctx); err != nil || st.Text() != "paper near end" || !st.Ready() {
		t.Errorf("Status = %v, %v; want paper near end, ready", st, err)
	}
	if err := p.Print(ctx, samples()[1]); err != nil {
		t.Errorf("Print with paper near end: %v", err)
	}
}

func TestPaperRunsOutDuringJob(t *testing.T) {
	emu, p := newEmulator(t, replyOK, Config{Layout: testLayout})
	var prev byte
	emu.onByte = func(e *emulator, b byte) {
		if prev == escpos.GS && b == 'V' { // the cut: paper ran out on the way
			e.replies = replyPaperOut
		}
		prev = b
	}
	err := p.Print(context.Background(), samples()[0])
	var nre *NotReadyError
	if !errors.As(err, &nre) || !nre.AfterJob || nre.Status.Text() != "paper out" {
		t.Fatalf("Print = %v, want paper out after the job", err)
	}
}

func TestSilentPrinter(t *testing.T) {
	emu, p := newEmulator(t, nil, Config{Layout: testLayout, StatusTimeout: 50 * time.Millisecond})
	ctx := context.Background()
	st, err := p.Status(ctx)
	if err != nil || st.Known || st.Text() != "unknown" {
		t.Fatalf("Status = %+v, %v; want unknown", st, err)
	}
	emu.printed()
	if err := p.Print(ctx, samples()[3]); err != nil {
		t.Fatalf("Print to a printer without status: %v", err)
	}
	emu.waitCut()
	if !strings.Contains(strings.Join(emu.printed().Lines(), "\n"), "99,99 €") {
		t.Error("receipt not printed")
	}
}

func TestPrinterStopsAnswering(t *testing.T) {
	emu, p := newEmulator(t, replyOK, Config{Layout: testLayout, AfterJobTimeout: 100 * time.Millisecond})
	var prev byte
	emu.onByte = func(e *emulator, b byte) {
		if prev == escpos.GS && b == 'V' {
			e.replies = nil // unplugged
		}
		prev = b
	}
	if err := p.Print(context.Background(), samples()[0]); err == nil {
		t.Fatal("Print returned nil although the printer stopped answering")
	}
}

func TestXONXOFFOnPty(t *testing.T) {
	const chunk = 8
	cfg := Config{Layout: testLayout, Pacing: Pacing{ChunkSize: chunk, Pause: 5 * time.Millisecond, XONXOFF: true}}
	emu, p := newEmulator(t, replyOK, cfg)
	var (
		started bool
		holding atomic.Bool
	)
	emu.onByte = func(e *emulator, b byte) {
		if holding.Load() {
			e.holdSeen++
		}
		// XOFF goes out at the first status request, before its reply: the driver reads
		// it before it may start the job, however late it is scheduled (holding from the
		// job's ESC @ raced the job's first chunks through the pty under load).
		if !started && b == escpos.DLE {
			started = true
			holding.Store(true)
			e.master.Write([]byte{0x13})
			go func() {
				time.Sleep(300 * time.Millisecond)
				e.mu.Lock()
				holding.Store(false)
				e.master.Write([]byte{0x11})
				e.mu.Unlock()
			}()
		}
	}
	r := samples()[6]
	want, err := testLayout.Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	emu.mu.Lock()
	seen := emu.holdSeen
	emu.mu.Unlock()
	// A driver that ignored XOFF would send about 480 bytes in 300 ms; one that honours
	// it stops after the chunks already on their way.
	if seen > 12*chunk {
		t.Errorf("%d bytes arrived while the printer held XOFF (job %d bytes)", seen, len(want))
	}
	if doc := emu.printed(); !strings.Contains(strings.Join(doc.Lines(), "\n"), "1.234,56 €") {
		t.Error("receipt incomplete after XON")
	}
}

// fakePort delivers bytes to the printer's reader on demand and records writes.
type fakePort struct {
	in      chan []byte
	entered chan struct{} // a signal on every Read call
	closed  chan struct{}
	once    sync.Once

	mu      sync.Mutex
	out     bytes.Buffer
	onWrite func(p []byte)
}

func newFakePort() *fakePort {
	return &fakePort{in: make(chan []byte), entered: make(chan struct{}, 100), closed: make(chan struct{})}
}

func (f *fakePort) Read(p []byte) (int, error) {
	f.entered <- struct{}{}
	select {
	case b := <-f.in:
		return copy(p, b), nil
	case <-f.closed:
		return 0, io.ErrClosedPipe
	}
}

// isStatusRequest reports whether b is a real-time status request (DLE EOT n).
func isStatusRequest(b []byte) bool {
	return bytes.HasPrefix(b, []byte{escpos.DLE, escpos.EOT})
}

// answerStatus answers a status request written as b with "ready" (0x12), as a printer
// does at once; the reader takes it in on its own goroutine.
func (f *fakePort) answerStatus(b []byte) {
	if isStatusRequest(b) {
		go func() {
			select {
			case f.in <- []byte{0x12}:
			case <-f.closed:
			}
		}()
	}
}

func (f *fakePort) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.onWrite != nil {
		f.onWrite(p)
	}
	return f.out.Write(p)
}

func (f *fakePort) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

// deliver hands b to the reader and returns once the reader has taken it in.
func (f *fakePort) deliver(b ...byte) {
	<-f.entered // the reader waits in Read
	f.in <- b
	<-f.entered // and came back for more: b is processed
}

func TestXOFFHoldsWrites(t *testing.T) {
	port := newFakePort()
	// The printer answers its status at once; the status timeout is the product's own
	// (a short one failed under load while the request was still being written).
	p := New(port, Config{Layout: testLayout, Pacing: Pacing{ChunkSize: 16, XONXOFF: true}})
	defer p.Close()
	port.deliver(0x13)
	var xon atomic.Bool
	var early atomic.Int64
	port.onWrite = func(b []byte) {
		port.answerStatus(b)
		if !xon.Load() && !isStatusRequest(b) {
			early.Add(int64(len(b)))
		}
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		xon.Store(true)
		port.in <- []byte{0x11}
	}()
	r := samples()[4]
	if err := p.Print(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if n := early.Load(); n != 0 {
		t.Errorf("%d job bytes written while the printer held XOFF", n)
	}
	want, _ := testLayout.Encode(r)
	port.mu.Lock()
	got := port.out.Bytes()
	port.mu.Unlock()
	if !bytes.Contains(got, want) {
		t.Error("job not written whole after XON")
	}
}

func TestXOFFTimeout(t *testing.T) {
	port := newFakePort()
	// The printer answers its status at once (with the product's own status timeout; a
	// 10 ms one failed under load while the request was still being written), then holds
	// XOFF for longer than XOFFTimeout.
	p := New(port, Config{Layout: testLayout, Pacing: Pacing{XONXOFF: true, XOFFTimeout: 50 * time.Millisecond}})
	defer p.Close()
	port.deliver(0x13)
	port.onWrite = port.answerStatus
	err := p.Print(context.Background(), samples()[0])
	if err == nil || !strings.Contains(err.Error(), "XOFF") {
		t.Fatalf("Print = %v, want an XOFF timeout", err)
	}
}

func TestStatusReadErrorIsUnknown(t *testing.T) {
	port := newFakePort()
	p := New(port, Config{StatusTimeout: 10 * time.Millisecond})
	port.Close() // the reader stops with an error
	<-p.done
	if st, err := p.Status(context.Background()); err != nil || st.Known {
		t.Errorf("Status = %+v, %v; want unknown", st, err)
	}
	p.Close()
}

func TestCancelledContext(t *testing.T) {
	port := newFakePort()
	p := New(port, Config{Layout: testLayout, StatusTimeout: time.Second})
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Print(ctx, samples()[0]); !errors.Is(err, context.Canceled) {
		t.Errorf("Print = %v, want context.Canceled", err)
	}
}

func TestFilePrinter(t *testing.T) {
	var raw, text bytes.Buffer
	f := NewFilePrinter(io.MultiWriter(&raw, escposdoc.TextWriter(&text, escpos.Paper80.Columns)), Layout{Paper: escpos.Paper80, CodePage: escpos.PC858, RasterQR: true})
	ctx := context.Background()
	for _, r := range samples()[:2] {
		if err := f.Print(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := escposdoc.Decode(raw.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if doc.Cuts() != 2 {
		t.Errorf("%d cuts in the appended stream, want 2", doc.Cuts())
	}
	for _, want := range []string{"Reference                    pi_3Nx7Y2KZ0a1b2c3d", "[QR pi_3Nx7Y2KZ0a1b2c3d (image)]", "PAYMENT CANCELLED"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text rendering lacks %q:\n%s", want, text.String())
		}
	}
	if st, err := f.Status(ctx); err != nil || st.Text() != "ok" {
		t.Errorf("Status = %v, %v", st, err)
	}
}

func TestStatusText(t *testing.T) {
	cases := []struct {
		s    Status
		want string
	}{
		{Status{}, "unknown"},
		{Status{Known: true}, "ok"},
		{Status{Known: true, Offline: true, PaperOut: true, CoverOpen: true}, "paper out"},
		{Status{Known: true, Offline: true, CoverOpen: true}, "cover open"},
		{Status{Known: true, Offline: true}, "offline"},
		{Status{Known: true, PaperNearEnd: true}, "paper near end"},
	}
	for _, c := range cases {
		if c.s.Text() != c.want {
			t.Errorf("%+v.Text() = %q, want %q", c.s, c.s.Text(), c.want)
		}
	}
	for _, b := range []byte{0x11, 0x13} {
		if isStatusByte(b) {
			t.Errorf("0x%02x taken for a status byte", b)
		}
	}
}

// stuckPort never completes a write until released: a USB printer that hangs.
type stuckPort struct {
	release chan struct{}
	writes  chan []byte
}

func (s *stuckPort) Read(p []byte) (int, error) { <-s.release; return 0, io.EOF }
func (s *stuckPort) Write(p []byte) (int, error) {
	<-s.release
	s.writes <- append([]byte(nil), p...)
	return len(p), nil
}

// A printer stuck in a write makes Print fail when its context ends instead of hanging
// the job forever; the next job waits for the stuck write, so bytes never interleave.
func TestStuckWriteTimesOut(t *testing.T) {
	port := &stuckPort{release: make(chan struct{}), writes: make(chan []byte, 64)}
	p := New(port, Config{StatusTimeout: 20 * time.Millisecond})
	defer func() { close(port.release); p.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := p.Print(ctx, receipt.Receipt{Lines: []receipt.Line{{Text: "hello"}}})
	if err == nil {
		t.Fatal("Print on a stuck port returned nil")
	}
	ctx3, cancel3 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel3()
	if err := p.Print(ctx3, receipt.Receipt{Lines: []receipt.Line{{Text: "second"}}}); err == nil {
		t.Fatal("a second job went through while the first write was still stuck")
	}
}

// The buzzer command goes out as ESC B n t (n beeps of t × 50 ms), clamped to 1-9, and
// nothing else: no status request, so an empty printer still beeps.
func TestBeepBytes(t *testing.T) {
	port := newFakePort()
	p := New(port, Config{Layout: testLayout})
	defer p.Close()
	ctx := context.Background()
	if err := p.Beep(ctx, 2, 3); err != nil {
		t.Fatal(err)
	}
	if err := p.Beep(ctx, 0, 20); err != nil {
		t.Fatal(err)
	}
	port.mu.Lock()
	got := append([]byte(nil), port.out.Bytes()...)
	port.mu.Unlock()
	want := []byte{escpos.ESC, 'B', 2, 3, escpos.ESC, 'B', 1, 9}
	if !bytes.Equal(got, want) {
		t.Fatalf("beep wrote % x, want % x", got, want)
	}
}
