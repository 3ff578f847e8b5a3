package keypad

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// rec encodes one struct input_event of size 16 or 24 bytes.
func rec(size int, typ, code uint16, value int32) []byte {
	b := make([]byte, size)
	le := binary.LittleEndian
	if size == 24 {
		le.PutUint64(b[0:], 1700000000)
		le.PutUint64(b[8:], 250000)
	} else {
		le.PutUint32(b[0:], 1700000000)
		le.PutUint32(b[4:], 250000)
	}
	t := b[size-8:]
	le.PutUint16(t[0:], typ)
	le.PutUint16(t[2:], code)
	le.PutUint32(t[4:], uint32(value))
	return b
}

// stream concatenates events; each ev is {code, value} of type EV_KEY
// followed by an EV_SYN report, like a real keyboard.
func stream(size int, evs ...[2]int32) []byte {
	var buf bytes.Buffer
	for _, e := range evs {
		buf.Write(rec(size, EvMsc, 4, 458840)) // MSC_SCAN noise
		buf.Write(rec(size, EvKey, uint16(e[0]), e[1]))
		buf.Write(rec(size, EvSyn, 0, 0))
	}
	return buf.Bytes()
}

func press(code int32) [2]int32   { return [2]int32{code, 1} }
func release(code int32) [2]int32 { return [2]int32{code, 0} }
func repeat(code int32) [2]int32  { return [2]int32{code, 2} }

// tap is a press and a release.
func tap(codes ...int32) [][2]int32 {
	var out [][2]int32
	for _, c := range codes {
		out = append(out, press(c), release(c))
	}
	return out
}

// failReader returns its data, then err.
type failReader struct {
	r   *bytes.Reader
	err error
}

func (f *failReader) Read(p []byte) (int, error) {
	if f.r.Len() == 0 {
		return 0, f.err
	}
	return f.r.Read(p)
}

func (f *failReader) Close() error { return nil }

// fakeOpener plays a script of open results; after the script it returns a
// reader that blocks until closed (a device that stays plugged in).
type fakeOpener struct {
	mu     sync.Mutex
	script []func() (io.ReadCloser, error)
	opens  int
}

func (o *fakeOpener) open(path string) (io.ReadCloser, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opens++
	if len(o.script) == 0 {
		r, _ := io.Pipe()
		return r, nil
	}
	f := o.script[0]
	o.script = o.script[1:]
	return f()
}

func data(b []byte, err error) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return &failReader{bytes.NewReader(b), err}, nil }
}

// blocking returns a device that yields b and then blocks until closed.
func blocking(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { _, _ = pw.Write(b) }()
		return pr, nil
	}
}

func openErr(err error) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		return nil, &fs.PathError{Op: "open", Path: "/dev/input/event7", Err: err}
	}
}

// collectKeys runs in until want events arrived, then cancels it and
// returns the events and Run's error.
func collect(t *testing.T, in Input, want int) ([]Event, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan Event, 100)
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx, func(e Event) { ch <- e }) }()
	var got []Event
	timeout := time.After(10 * time.Second)
	for len(got) < want {
		select {
		case e := <-ch:
			got = append(got, e)
		case err := <-done:
			t.Fatalf("Run returned early after %v: %v", got, err)
		case <-timeout:
			t.Fatalf("timed out waiting for %d events, got %v", want, got)
		}
	}
	cancel()
	err := <-done
	close(ch)
	for e := range ch {
		got = append(got, e)
	}
	return got, err
}

func keysOf(evs []Event) string {
	var s []string
	for _, e := range evs {
		if e.Code != "" {
			s = append(s, "code:"+e.Code)
		} else {
			s = append(s, e.Key.String())
		}
	}
	return strings.Join(s, " ")
}

func TestKeypadStream(t *testing.T) {
	evs := [][2]int32{press(codeNumLock), release(codeNumLock)} // ignored
	evs = append(evs, tap(codeKP1, codeKP2, codeKP3, codeKP4, codeKP5, codeKP6, codeKP7, codeKP8, codeKP9, codeKP0, codeKPDot)...)
	evs = append(evs, press(codeKP5), repeat(codeKP5), repeat(codeKP5), release(codeKP5)) // digit repeats
	evs = append(evs, press(codeBackspace), repeat(codeBackspace), release(codeBackspace))
	evs = append(evs, press(codeKPEnter), repeat(codeKPEnter), release(codeKPEnter)) // OK once
	evs = append(evs, press(codeEsc), repeat(codeEsc), release(codeEsc))             // cancel once
	evs = append(evs, tap(code1, code1+4, code0, codeEnter, codeDelete, codeF1, codeKPAsterisk, codeKPPlus, codeKPMinus)...)
	evs = append(evs, tap(30 /* KEY_A */, codeUp)...) // not a keypad key; arrow up
	const want = "1 2 3 4 5 6 7 8 9 0 . 5 5 5 Clear Clear OK Cancel 1 5 0 OK Clear Menu Clear Menu Down Up"

	o := &fakeOpener{script: []func() (io.ReadCloser, error){data(stream(24, evs...), io.EOF)}}
	k := &Keypad{Device: Device{Path: "/dev/input/event7", Open: o.open, RecordSize: 24, MinBackoff: time.Millisecond}}
	got, err := collect(t, k, len(strings.Fields(want)))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	if s := keysOf(got); s != want {
		t.Errorf("keys\n got %s\nwant %s", s, want)
	}
}

func TestKeypad16ByteRecords(t *testing.T) {
	o := &fakeOpener{script: []func() (io.ReadCloser, error){
		data(stream(16, tap(codeKP4, codeKP2, codeKPEnter)...), io.EOF),
	}}
	k := &Keypad{Device: Device{Path: "kp", Open: o.open, RecordSize: 16, MinBackoff: time.Millisecond}}
	got, _ := collect(t, k, 3)
	if s := keysOf(got); s != "4 2 OK" {
		t.Errorf("keys %q, want %q", s, "4 2 OK")
	}
}

func TestKeypadSurvivesUnplugAndReplug(t *testing.T) {
	var logBuf syncBuffer
	o := &fakeOpener{script: []func() (io.ReadCloser, error){
		data(stream(24, tap(codeKP1, codeKP2)...), syscall.ENODEV), // unplugged mid-use
		openErr(syscall.ENOENT), // by-id link gone
		openErr(syscall.ENOENT),
		data(stream(24, tap(codeKP3, codeKPEnter)...), syscall.ENODEV), // back, then gone again
		openErr(syscall.EACCES),
		blocking(stream(24, tap(codeEsc)...)), // back for good
	}}
	k := &Keypad{Device: Device{
		Path: "/dev/input/by-id/usb-keypad-event-kbd", Open: o.open, RecordSize: 24,
		MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}}
	got, err := collect(t, k, 5)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	if s := keysOf(got); s != "1 2 3 OK Cancel" {
		t.Errorf("keys %q across replugs, want %q", s, "1 2 3 OK Cancel")
	}
	if o.opens != 6 {
		t.Errorf("opened %d times, want 6", o.opens)
	}
	log := logBuf.String()
	for _, w := range []string{"unplugged", "replugged", "not present", "group input"} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
}

func TestDeviceConfigErrors(t *testing.T) {
	ctx := context.Background()
	if err := (&Device{}).Run(ctx, func(InputEvent) {}); err == nil || !strings.Contains(err.Error(), "path") {
		t.Errorf("no path: %v", err)
	}
	if err := (&Device{Path: "x", RecordSize: 20}).Run(ctx, func(InputEvent) {}); err == nil || !strings.Contains(err.Error(), "20") {
		t.Errorf("bad record size: %v", err)
	}
}

func TestParseInputEvent(t *testing.T) {
	for _, size := range []int{16, 24} {
		ev, err := ParseInputEvent(rec(size, EvKey, codeKPEnter, -7))
		if err != nil {
			t.Fatal(err)
		}
		want := InputEvent{Time: time.Unix(1700000000, 250000000), Type: EvKey, Code: codeKPEnter, Value: -7}
		if !ev.Time.Equal(want.Time) || ev.Type != want.Type || ev.Code != want.Code || ev.Value != want.Value {
			t.Errorf("size %d: got %+v, want %+v", size, ev, want)
		}
	}
	if _, err := ParseInputEvent(make([]byte, 20)); err == nil || !strings.Contains(err.Error(), "20 bytes") {
		t.Errorf("20-byte record: %v", err)
	}
}

func TestDecoderTruncatedRecord(t *testing.T) {
	b := stream(24, press(codeKP1))
	d := NewDecoder(bytes.NewReader(b[:len(b)-5]))
	if NativeEventSize != 24 {
		d, _ = NewDecoderSize(bytes.NewReader(b[:len(b)-5]), 24)
	}
	n := 0
	var err error
	for ; err == nil; n++ {
		_, err = d.Next()
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) || n != 3 {
		t.Errorf("after %d reads got %v, want io.ErrUnexpectedEOF on the 3rd", n, err)
	}
	if _, err := NewDecoderSize(nil, 8); err == nil {
		t.Error("NewDecoderSize accepted 8-byte records")
	}
}

func TestNativeEventSize(t *testing.T) {
	want := map[string]int{"amd64": 24, "arm64": 24, "arm": 16, "386": 16}[runtime.GOARCH]
	if want != 0 && NativeEventSize != want {
		t.Errorf("NativeEventSize on %s = %d, want %d", runtime.GOARCH, NativeEventSize, want)
	}
}

func TestOpenEvdevErrors(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("evdev is Linux only")
	}
	if _, err := OpenEvdev("/nonexistent/event0"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing device: %v", err)
	}
	// /dev/null is no input device: the grab must fail with a clear error.
	if _, err := OpenEvdev("/dev/null"); err == nil || !strings.Contains(err.Error(), "EVIOCGRAB") {
		t.Errorf("grab of /dev/null: %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger in another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
