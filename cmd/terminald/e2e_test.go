package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/terminald/terminald/hw/printer/escpos"
)

// bin is the terminald binary built once for the end-to-end tests.
var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// Every test here runs the built binary; -short (the emulated arm64 run) skips them.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "terminald-e2e-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "terminald")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test through the built binary; skipped with -short")
	}
	if runtime.GOARCH != "amd64" && os.Getenv("TERMINALD_E2E") == "" {
		t.Skip("end-to-end tests run on the build host")
	}
}

// run runs terminald to completion with stdin and returns stdout, stderr and the exit code.
func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("terminald %v did not finish; stderr:\n%s", args, errb.String())
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

type listed struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
	Provider string `json:"provider"`
	Ref      string `json:"reference"`
	Receipt  int    `json:"receipt"`
}

func payments(t *testing.T, state string) []listed {
	t.Helper()
	out, errs, code := run(t, "", "payments", "--state", state, "--json")
	if code != 0 {
		t.Fatalf("payments: exit %d: %s", code, errs)
	}
	var ps []listed
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var p listed
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("payments --json line %q: %v", sc.Text(), err)
		}
		ps = append(ps, p)
	}
	return ps
}

// qrFromScreens decodes the QR of the first QR screen PNG in dir.
func qrFromScreens(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "screen-*-qr.png"))
	if len(files) == 0 {
		t.Fatalf("no QR screen written to %s", dir)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	text, err := decodeQR(img)
	if err != nil {
		t.Fatalf("QR on %s does not decode: %v", files[0], err)
	}
	return text
}

func receipts(t *testing.T, file string) *escpos.Document {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := escpos.Decode(data)
	if err != nil {
		t.Fatalf("receipt bytes do not decode as ESC/POS: %v", err)
	}
	return doc
}

func TestSimulatorPaysEndToEnd(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	screens, rfile, state := filepath.Join(dir, "screens"), filepath.Join(dir, "receipts.bin"), filepath.Join(dir, "state")
	_, errs, code := run(t, "1234\n", "sim", "--pay-after", "100ms", "--display-dir", screens, "--receipt-file", rfile, "--state", state)
	if code != 0 {
		t.Fatalf("sim exit %d:\n%s", code, errs)
	}
	url := qrFromScreens(t, screens)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.Contains(url, "/pay/") {
		t.Fatalf("QR on the display = %q, want the sandbox payment URL", url)
	}
	ps := payments(t, state)
	if len(ps) != 1 || ps[0].State != "paid" || ps[0].Amount != "12.34" || ps[0].Currency != "DKK" || ps[0].Provider != "acountpay" {
		t.Fatalf("payments = %+v, want one paid 12.34 DKK", ps)
	}
	doc := receipts(t, rfile)
	text := doc.Text()
	if doc.Cuts() != 1 || !strings.Contains(text, "12.34 DKK") || !strings.Contains(text, ps[0].ID) || !strings.Contains(text, "APPROVED") {
		t.Fatalf("receipt (%d cuts):\n%s", doc.Cuts(), text)
	}
	if qrs := doc.QRs(); len(qrs) != 1 || qrs[0] != ps[0].ID {
		t.Fatalf("receipt QR = %v, want the payment reference", qrs)
	}
}

// kill -9 while the QR is shown; the restarted terminal resumes the same payment, which
// completes once with one receipt.
func TestSimulatorCrashWhileQRShown(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	screens, rfile, state := filepath.Join(dir, "screens"), filepath.Join(dir, "receipts.bin"), filepath.Join(dir, "state")

	sb := exec.Command(bin, "sandbox", "--listen", "127.0.0.1:0", "--log-level", "error")
	sbOut, _ := sb.StdoutPipe()
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sb.Process.Kill(); sb.Wait() }()
	line, err := bufio.NewReader(sbOut).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(line[strings.LastIndex(line, " "):])

	sim := exec.Command(bin, "sim", "--sandbox", url, "--pay-after", "never", "--display-dir", screens, "--receipt-file", rfile, "--state", state)
	stdin, _ := sim.StdinPipe()
	var errb bytes.Buffer
	sim.Stderr = &errb
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "2500\n")
	for i := 0; ; i++ {
		if m, _ := filepath.Glob(filepath.Join(screens, "screen-*-qr.png")); len(m) > 0 {
			break
		}
		if i > 600 {
			sim.Process.Kill()
			t.Fatalf("no QR shown; stderr:\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	payURL := qrFromScreens(t, screens)
	sim.Process.Signal(syscall.SIGKILL)
	sim.Wait()
	if ps := payments(t, state); len(ps) != 1 || ps[0].State != "awaiting" {
		t.Fatalf("after kill -9: %+v, want one awaiting payment", ps)
	}

	os.RemoveAll(screens)
	_, errs, code := run(t, "", "sim", "--sandbox", url, "--pay-after", "100ms", "--display-dir", screens, "--receipt-file", rfile, "--state", state)
	if code != 0 {
		t.Fatalf("restarted sim exit %d:\n%s", code, errs)
	}
	if again := qrFromScreens(t, screens); again != payURL {
		t.Fatalf("after restart the QR shows %q, want the same payment %q", again, payURL)
	}
	ps := payments(t, state)
	if len(ps) != 1 || ps[0].State != "paid" || ps[0].Amount != "25.00" {
		t.Fatalf("after restart: %+v, want the one payment paid", ps)
	}
	if doc := receipts(t, rfile); doc.Cuts() != 1 || len(doc.QRs()) != 1 {
		t.Fatalf("%d receipts printed, want exactly 1:\n%s", doc.Cuts(), doc.Text())
	}
}

func TestCommandLineErrors(t *testing.T) {
	skipShort(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"sim", "--no-such-flag"}, 2, "flag provided but not defined: -no-such-flag"},
		{[]string{"sim", "--pay-after", "soon"}, 2, "--pay-after"},
		{[]string{"version"}, 0, ""},
		{[]string{"help"}, 0, ""},
	} {
		out, errs, code := run(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("terminald %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errs, tc.code, tc.want)
		}
		if tc.args[0] == "version" && !strings.HasPrefix(out, "terminald ") {
			t.Errorf("version printed %q", out)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[terminal]\ncurrency = \"DKK\"\nbogus = 1\n"), 0o644)
	_, errs, code := run(t, "", "check-config", bad)
	if code != 1 || !strings.Contains(errs, `unknown key "terminal.bogus"`) {
		t.Fatalf("check-config bad file: exit %d, %q", code, errs)
	}
	out, errs, code := run(t, "", "check-config", "../../terminald.example.toml")
	// The example references credential files that do not exist on a build machine.
	if code != 1 || !strings.Contains(errs, "acountpay.client_secret_file") {
		t.Fatalf("check-config example: exit %d, out %q, err %q", code, out, errs)
	}
}
