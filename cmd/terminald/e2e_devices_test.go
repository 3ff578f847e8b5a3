package main

// End-to-end: optional devices absent at start do not take `terminald run` down; the
// daemon reports them missing and picks them up when they appear.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

func TestDaemonRunDevicesAbsentAtStart(t *testing.T) {
	skipShort(t)
	t.Parallel()
	url := sandbox(t, "acountpay")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	sock := adminSock(t)
	cfg := dmnConfig(t, dir, url, state, sock, "")
	lp := filepath.Join(dir, "lp0")         // a USB printer node that is not there yet
	tty := filepath.Join(dir, "ttyUSB-ecr") // a register serial port that is not there
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "[printer]\ndriver = \"none\"", fmt.Sprintf("[printer]\ndriver = \"usb\"\ndevice = %q", lp), 1)
	text += fmt.Sprintf("\n[ecr]\nlisten = %q\nterminal_id = \"12345678\"\n", "serial:"+tty)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, nil, "run", "--config", cfg)

	printerState := func(st map[string]any) string {
		h, _ := st["health"].(map[string]any)
		s, _ := h["printer"].(string)
		return s
	}
	st := dmnWaitAdmin(t, p, sock)
	if got := printerState(st); got != "missing" {
		t.Errorf("printer absent at start reported %q, want missing", got)
	}
	h, _ := st["health"].(map[string]any)
	if devs, _ := h["devices"].(map[string]any); devs["register"] != "missing" {
		t.Errorf("register port absent at start: health %v, want devices.register missing", h)
	}
	if !strings.Contains(p.stderr(), "device missing") || !strings.Contains(p.stderr(), tty) {
		t.Errorf("the log does not say the printer and register port are missing:\n%s", p.stderr())
	}

	// Plug the printer in: the daemon picks it up without a restart.
	m, s, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer m.Close()
	defer s.Close()
	go func() { // drain what the daemon sends it
		buf := make([]byte, 1024)
		for {
			if _, err := m.Read(buf); err != nil {
				return
			}
		}
	}()
	if err := os.Symlink(s.Name(), lp); err != nil {
		t.Fatal(err)
	}
	var got string
	waitUntil(t, 30*time.Second, "the printer to be picked up", func() bool {
		got = printerState(dmnWaitAdmin(t, p, sock))
		return got != "missing"
	}, func() string { return "printer " + got + "; daemon " + p.diag() })
	if p.exited() {
		t.Fatalf("daemon exited: %s", p.stderr())
	}
	if code := p.term(t); code != 0 {
		t.Fatalf("exit status %d after SIGTERM; stderr:\n%s", code, p.stderr())
	}
}
