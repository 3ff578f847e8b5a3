package main

// End-to-end tests of the simulator a newcomer meets, through the built binary on a
// real pty: the drawing fits the window and its QR code decodes from the characters
// and colours written to the terminal, a countdown tick rewrites only what changed,
// receipts stay readable above the drawing, and the keys the screens name work.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/terminald/terminald/internal/qrread"
	accruesb "github.com/terminald/terminald/providers/accrue/sandbox"
	"github.com/terminald/terminald/screen"
)

// ptySim is `terminald sim` on a pty whose window the test sizes, read by a vt.
type ptySim struct {
	simDirs
	cmd    *exec.Cmd
	master *os.File
	vt     *vt
	done   chan struct{} // the process exited
}

// startPtySim starts `terminald sim ARGS...` in a cols×rows pty with its screens,
// receipts and state in a new directory, and waits until it is ready.
func startPtySim(t *testing.T, cols, rows int, args ...string) *ptySim {
	t.Helper()
	s := &ptySim{simDirs: simDirsIn(t.TempDir()), vt: newVT(cols, rows), done: make(chan struct{})}
	s.cmd = exec.Command(bin, append(append([]string{"sim"}, s.args()...), args...)...)
	var err error
	s.master, err = pty.StartWithSize(s.cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	read := make(chan struct{})
	go func() { io.Copy(s.vt, s.master); close(read) }()
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
		s.master.Close()
		<-read
	})
	waitUntil(t, 20*time.Second, "the simulator's idle screen", func() bool {
		return len(s.shots(screen.Idle)) > 0 || s.exited()
	}, s.diag)
	return s
}

func (s *ptySim) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *ptySim) diag() string {
	return "terminal (history and window):\n" + s.vt.all()
}

// keys types k on the keypad (the pty, in raw mode: Enter is "\r").
func (s *ptySim) keys(t *testing.T, k string) {
	t.Helper()
	if _, err := io.WriteString(s.master, k); err != nil {
		t.Fatalf("keypad: %v", err)
	}
}

// resize sets the window to cols×rows, as a terminal emulator whose window is dragged.
func (s *ptySim) resize(t *testing.T, cols, rows int) {
	t.Helper()
	s.vt.mu.Lock()
	defer s.vt.mu.Unlock()
	if err := pty.Setsize(s.master, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}); err != nil {
		t.Fatal(err)
	}
	s.vt.resize(cols, rows)
}

// terminalQR decodes a QR code from what the window shows, drawn as a phone's camera
// would see it (4×4 image pixels per half block).
func (s *ptySim) terminalQR() (string, error) {
	return qrread.Decode(s.vt.pixels(4))
}

var countdownRe = regexp.MustCompile(`\b\d{1,2}:\d\d\b`)

// The QR code drawn in the terminal decodes to the payment's payload at 80×24 and at
// 120×60, after a resize too, and while it waits a countdown tick writes a few hundred
// bytes, not the screen (a full redraw is about 29 KB).
func TestSimTerminalQRScannable(t *testing.T) {
	skipShort(t)
	for _, tc := range []struct {
		provider, keys string
		cols, rows     int
		resizeTo       [2]int
	}{
		{"acountpay", "2500\r", 80, 24, [2]int{}},
		{"acountpay", "2500\r", 120, 60, [2]int{80, 24}},
		{"cryptogw", "4825\r\r", 80, 24, [2]int{120, 60}}, // Enter confirms the quote
	} {
		t.Run(fmt.Sprintf("%s-%dx%d", tc.provider, tc.cols, tc.rows), func(t *testing.T) {
			t.Parallel()
			s := startPtySim(t, tc.cols, tc.rows, "--provider", tc.provider, "--pay-after", "never")
			s.keys(t, tc.keys)
			waitUntil(t, 30*time.Second, "a QR screen", func() bool { return len(s.shots(screen.QR)) > 0 }, s.diag)
			want := qrOf(t, s.shots(screen.QR)[0])
			scannable := func(size string) {
				t.Helper()
				var got string
				var err error
				waitUntil(t, 20*time.Second, "the QR in the terminal at "+size+" to decode to "+want, func() bool {
					got, err = s.terminalQR()
					return err == nil && got == want
				}, func() string { return fmt.Sprintf("decoded %q, %v\n%s", got, err, s.diag()) })
			}
			scannable(fmt.Sprintf("%dx%d", tc.cols, tc.rows))

			// A countdown tick rewrites its digits, not the screen.
			tick := func() string { return countdownRe.FindString(s.vt.text()) }
			first := tick()
			if first == "" {
				t.Fatalf("no countdown beside the QR\n%s", s.diag())
			}
			var b0 int64
			last := first
			waitUntil(t, 10*time.Second, "the countdown to tick", func() bool {
				if c := tick(); c != last {
					last, b0 = c, s.vt.bytes()
					return true
				}
				return false
			}, s.diag)
			const ticks = 3
			for i := range ticks {
				waitUntil(t, 10*time.Second, fmt.Sprintf("countdown tick %d", i+2), func() bool {
					c := tick()
					if c != last {
						last = c
						return true
					}
					return false
				}, s.diag)
			}
			per := (s.vt.bytes() - b0) / ticks
			t.Logf("%s %dx%d: %d bytes written per countdown tick while the QR waits", tc.provider, tc.cols, tc.rows, per)
			if per > 2000 {
				t.Errorf("%d bytes per countdown tick, want the changed cells only (under 2000)", per)
			}

			if tc.resizeTo != [2]int{} {
				s.resize(t, tc.resizeTo[0], tc.resizeTo[1])
				scannable(fmt.Sprintf("%dx%d after a resize", tc.resizeTo[0], tc.resizeTo[1]))
			}
		})
	}
}

// A receipt printed while the display is drawn stays readable: every line of it is
// in the terminal (window or history), whole, after the screens that follow were drawn.
func TestSimTerminalReceiptReadable(t *testing.T) {
	skipShort(t)
	for _, size := range [][2]int{{80, 24}, {120, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			t.Parallel()
			s := startPtySim(t, size[0], size[1], "--provider", "acountpay", "--pay-after", "200ms")
			s.keys(t, "2500\r")
			waitUntil(t, 30*time.Second, "the receipt", func() bool { return s.cuts() >= 1 }, s.diag)
			// The result screen, then the idle screen again, are drawn after the receipt.
			waitUntil(t, 30*time.Second, "the idle screen after the payment", func() bool { return len(s.shots(screen.Idle)) >= 2 }, s.diag)
			waitUntil(t, 10*time.Second, "the receipt in the terminal", func() bool {
				return strings.Contains(s.vt.all(), "APPROVED")
			}, s.diag)
			all := s.vt.all()
			for _, l := range strings.Split(s.printout(t).TextWidth(48), "\n") {
				if l = strings.TrimRight(l, " "); l != "" && !strings.Contains(all, l) {
					t.Errorf("receipt line %q is not readable in the terminal", l)
				}
			}
			if t.Failed() {
				t.Log(s.diag())
			}
		})
	}
}

// The keys the screens name work on the simulator's keypad: "X = cancel" is x (or c,
// or Esc) and cancels the payment whose QR is shown.
func TestSimKeyXCancels(t *testing.T) {
	skipShort(t)
	for _, key := range []string{"x", "X", "c", "\x1b"} {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			t.Parallel()
			d := simDirsIn(t.TempDir())
			errs := runSim(t, d, "2500\n"+key, "--provider", "acountpay", "--pay-after", "never", "--settle", "10s")
			p := onePayment(t, d.state)
			if p.State != "cancelled" || strings.Contains(errs, "Input ended") {
				t.Fatalf("after %q on the QR screen the payment is %+v, want cancelled by the key\n%s", key, p, errs)
			}
		})
	}
}

// Typing scan:CODE after the key that picked the scan step is a scan, through a pipe
// and through a raw pty (one key per read): the 'c' of "scan" cancels nothing.
func TestSimTypedScanAfterKey(t *testing.T) {
	skipShort(t)
	t.Run("pipe", func(t *testing.T) {
		t.Parallel()
		s := startSim(t, "", "--provider", "accrue", "--pay-after", "never")
		s.keys(t, "2500\n1")
		s.waitShot(t, screen.Input) // the scan step; no Enter after the 1
		s.keys(t, "scan:"+accruesb.DemoRichCode+"\n")
		waitUntil(t, 30*time.Second, "the receipt of the scanned payment", func() bool {
			return strings.Contains(s.printed(), "APPROVED")
		}, s.diag)
		s.stop(t)
		if p := onePayment(t, s.state); p.State != "paid" {
			t.Fatalf("payment %+v, want paid by the typed scan\n%s", p, s.diag())
		}
	})
	t.Run("pty", func(t *testing.T) {
		t.Parallel()
		s := startPtySim(t, 120, 60, "--provider", "accrue", "--pay-after", "never")
		s.keys(t, "2500\r")
		waitUntil(t, 30*time.Second, "the method choice", func() bool { return len(s.shots(screen.Choose)) > 0 }, s.diag)
		s.keys(t, "1")
		waitUntil(t, 30*time.Second, "the scan step", func() bool { return len(s.shots(screen.Input)) > 0 }, s.diag)
		for _, k := range "scan:" + accruesb.DemoRichCode + "\r" {
			s.keys(t, string(k)) // a person types one key at a time
		}
		waitUntil(t, 30*time.Second, "the receipt of the scanned payment", func() bool {
			return strings.Contains(s.printed(), "APPROVED")
		}, s.diag)
	})
}
