package main

// The machinery the end-to-end tests share: the terminald binary built once, one-shot
// runs, long-running processes (sandbox, sim, run) whose output goes to files, a bounded
// wait, the `payments --json` list, what a simulator showed and printed, the admin
// socket, free ports and a null-modem pair of ptys. Provider-specific readers stay in
// the test file of their provider.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/terminald/terminald/hw/printer/escposdoc"
	"github.com/terminald/terminald/internal/qrread"
	"github.com/terminald/terminald/screen"
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
	if out, err := exec.Command("go", "build", "-tags", "sim", "-o", bin, ".").CombinedOutput(); err != nil {
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
		<-done // the buffers are written until Wait returns
		t.Fatalf("terminald %v did not finish; stderr:\n%s", args, errb.String())
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// waitUntil polls cond every 50 ms until it holds; once within has passed it fails the
// test naming what it waited for, followed by diag().
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool, diag func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s\n%s", within, what, diag())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// httpClient is the client for the tests' own requests to loopback servers.
func httpClient() *http.Client { return &http.Client{Timeout: 10 * time.Second} }

// httpGet returns the status code and body of GET url.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := httpClient().Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// shortDir returns a new temporary directory with a short path (unix socket paths are
// limited to 108 bytes; t.TempDir paths carry the test name).
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tdd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// adminSock returns a path for an admin socket in a new short directory.
func adminSock(t *testing.T) string {
	t.Helper()
	return filepath.Join(shortDir(t), "admin.sock")
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	// A port from net.Listen(":0") is closed before terminald binds it, and the kernel may
	// hand it to the next ":0" listener meanwhile (a sandbox, an httptest server): "address
	// already in use". So pick below the kernel's ephemeral range, which it never hands
	// out by itself, and never twice in this test process.
	lo := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 11000 {
				lo = n
			}
		}
	}
	freePorts.Lock()
	defer freePorts.Unlock()
	for range 200 {
		port := 10000 + rand.IntN(lo-10000)
		if freePorts.used[port] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // taken by someone else
		}
		ln.Close()
		if freePorts.used == nil {
			freePorts.used = map[int]bool{}
		}
		freePorts.used[port] = true
		return ln.Addr().String()
	}
	t.Fatal("no free loopback port below the ephemeral range")
	return ""
}

// freePorts are the ports freeAddr handed out in this test process.
var freePorts struct {
	sync.Mutex
	used map[int]bool
}

// nullModem opens two ptys and relays the bytes between their masters like a null-modem
// cable; it returns the paths of the two ends (the ptys' slaves). It skips the test when
// the system has no ptys.
func nullModem(t *testing.T) (string, string) {
	t.Helper()
	open := func() (*os.File, string) {
		m, s, err := pty.Open()
		if err != nil {
			t.Skipf("no pty: %v", err)
		}
		t.Cleanup(func() { m.Close(); s.Close() })
		// The slave stays open here too, so the master never sees a hang-up between clients.
		return m, s.Name()
	}
	ma, a := open()
	mb, b := open()
	go io.Copy(mb, ma)
	go io.Copy(ma, mb)
	return a, b
}

// proc is a long-running terminald (sandbox, sim or run) started by a test, its stdin a
// pipe the test holds open. Its stdout and stderr go to files, so whatever it wrote
// before something the test observes (a notification, a socket answering) is readable
// at once. It is killed when the test ends unless it exited.
type proc struct {
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	outf, errf string
	done       chan struct{}
}

// start starts `terminald ARGS...` with env added to its environment.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	p := &proc{outf: filepath.Join(dir, "stdout.log"), errf: filepath.Join(dir, "stderr.log"), done: make(chan struct{})}
	stdout, err := os.Create(p.outf)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(p.errf)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = stdout, stderr
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// stderr is what the process wrote on stderr so far.
func (p *proc) stderr() string {
	b, _ := os.ReadFile(p.errf)
	return string(b)
}

// stdout is what the process wrote on stdout so far.
func (p *proc) stdout() string {
	b, _ := os.ReadFile(p.outf)
	return string(b)
}

func (p *proc) diag() string {
	d := "stderr:\n" + p.stderr()
	if out := p.stdout(); out != "" {
		d += "\nstdout:\n" + out
	}
	return d
}

// exited reports whether the process already ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// keys types k on stdin, the simulator's keypad.
func (p *proc) keys(t *testing.T, k string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, k); err != nil {
		t.Fatalf("keypad: %v\n%s", err, p.diag())
	}
}

// waitLogged waits until the process wrote text on stderr, failing at once if it exits
// without.
func (p *proc) waitLogged(t *testing.T, within time.Duration, text string) {
	t.Helper()
	waitUntil(t, within, fmt.Sprintf("%q on stderr", text), func() bool {
		return strings.Contains(p.stderr(), text) || p.exited()
	}, p.diag)
	if !strings.Contains(p.stderr(), text) {
		t.Fatalf("terminald exited (%v) before writing %q\n%s", p.cmd.ProcessState, text, p.diag())
	}
}

// stop ends stdin and waits for the simulator to leave by itself (it does once nothing
// is in flight) with exit status 0 and no warning about its admin socket.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("sim did not exit after its input ended\n%s", p.diag())
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("sim exit %d\n%s", code, p.diag())
	}
	if strings.Contains(p.stderr(), "admin accept failed") {
		t.Errorf("a normal exit warned about the admin socket\n%s", p.diag())
	}
}

// term sends SIGTERM as a service manager would and returns the exit code, failing if
// the process does not exit.
func (p *proc) term(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("terminald did not exit within 20s of SIGTERM\n%s", p.diag())
	}
	return p.cmd.ProcessState.ExitCode()
}

// kill9 kills the process without warning and waits for it.
func (p *proc) kill9() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// sandbox starts `terminald sandbox --provider provider ARGS...` on a free loopback port
// and returns its base URL. It is killed when the test ends.
func sandbox(t *testing.T, provider string, args ...string) string {
	t.Helper()
	p := start(t, nil, append([]string{"sandbox", "--provider", provider, "--listen", "127.0.0.1:0", "--log-level", "error"}, args...)...)
	var line string
	waitUntil(t, 20*time.Second, "the "+provider+" sandbox to print its address", func() bool {
		out := p.stdout()
		if i := strings.IndexByte(out, '\n'); i >= 0 {
			line = out[:i+1]
			return true
		}
		return p.exited()
	}, p.diag)
	if !strings.HasPrefix(line, provider+" sandbox listening on http://127.0.0.1:") {
		t.Fatalf("sandbox said %q\n%s", line, p.diag())
	}
	return strings.TrimSpace(line[strings.LastIndex(line, " "):])
}

// simDirs are where one simulator keeps the screens it showed (PNGs), what its printer
// printed (ESC/POS bytes) and its state, all under dir.
type simDirs struct {
	dir, screens, rfile, state string
}

func simDirsIn(dir string) simDirs {
	return simDirs{dir: dir, screens: filepath.Join(dir, "screens"), rfile: filepath.Join(dir, "receipts.bin"),
		state: filepath.Join(dir, "state")}
}

// args are the sim flags that put the screens, the receipts and the state here.
func (d simDirs) args() []string {
	return []string{"--display-dir", d.screens, "--receipt-file", d.rfile, "--state", d.state}
}

// shots returns the numbered screen PNGs of kind shown so far, oldest first.
func (d simDirs) shots(kind screen.Kind) []string {
	files, _ := filepath.Glob(filepath.Join(d.screens, "screen-*-"+string(kind)+".png"))
	sort.Strings(files)
	return files
}

// printed returns the raw printer bytes so far.
func (d simDirs) printed() string {
	b, _ := os.ReadFile(d.rfile)
	return string(b)
}

// decoded decodes what the printer received so far; nil while there is nothing or a
// write is half done.
func (d simDirs) decoded() *escposdoc.Document {
	data, err := os.ReadFile(d.rfile)
	if err != nil {
		return nil
	}
	doc, err := escposdoc.Decode(data)
	if err != nil {
		return nil
	}
	return doc
}

// cuts is the number of slips printed so far (0 while the file does not decode yet).
func (d simDirs) cuts() int {
	if doc := d.decoded(); doc != nil {
		return doc.Cuts()
	}
	return 0
}

// printout decodes what the printer printed so far (nothing when no file was written),
// failing if the bytes are not ESC/POS.
func (d simDirs) printout(t *testing.T) *escposdoc.Document {
	t.Helper()
	data, err := os.ReadFile(d.rfile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return decodeReceipts(t, data)
}

// runSim runs `terminald sim ARGS...` in d to completion with keys on its keypad, fails
// unless it exits 0, and returns its stderr.
func runSim(t *testing.T, d simDirs, keys string, args ...string) string {
	t.Helper()
	_, errs, code := run(t, keys, append(append([]string{"sim"}, args...), d.args()...)...)
	if code != 0 {
		t.Fatalf("sim exit %d:\n%s", code, errs)
	}
	return errs
}

// simProc is a running `terminald sim` whose keypad (stdin) is a pipe.
type simProc struct {
	*proc
	simDirs
	sock string // the --admin-socket, if given
}

// startSim starts `terminald sim ARGS...` in dir (a new temporary directory when "") and
// waits until it is ready for keys. Screens of an earlier simulator in dir are removed.
func startSim(t *testing.T, dir string, args ...string) *simProc {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s := &simProc{simDirs: simDirsIn(dir)}
	os.RemoveAll(s.screens)
	for i := range args {
		if args[i] == "--admin-socket" && i+1 < len(args) {
			s.sock = args[i+1]
		}
	}
	s.proc = start(t, nil, append(append([]string{"sim"}, s.args()...), args...)...)
	s.waitLogged(t, 20*time.Second, "terminald sim: ready")
	return s
}

func (s *simProc) diag() string {
	files, _ := filepath.Glob(filepath.Join(s.screens, "screen-*.png"))
	for i := range files {
		files[i] = filepath.Base(files[i])
	}
	return fmt.Sprintf("screens: %v\nsim %s", files, s.proc.diag())
}

// waitShots waits until at least n screens of kind were shown.
func (s *simProc) waitShots(t *testing.T, kind screen.Kind, n int) {
	t.Helper()
	waitUntil(t, 30*time.Second, fmt.Sprintf("%d %q screens", n, kind), func() bool { return len(s.shots(kind)) >= n }, s.diag)
}

// waitShot waits for a screen of kind and returns its newest PNG.
func (s *simProc) waitShot(t *testing.T, kind screen.Kind) string {
	t.Helper()
	s.waitShots(t, kind, 1)
	f := s.shots(kind)
	return f[len(f)-1]
}

// admin runs `terminald ARGS... --socket S --json` against the simulator's admin socket.
func (s *simProc) admin(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	if s.sock == "" {
		t.Fatal("the simulator was started without --admin-socket")
	}
	return run(t, "", append(append([]string(nil), args...), "--socket", s.sock, "--json")...)
}

// openRefunds is the open_refunds count `terminald status` reports (failing unless the
// simulator says it is ready).
func (s *simProc) openRefunds(t *testing.T) int {
	t.Helper()
	out, errs, code := s.admin(t, "status")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	var st struct {
		Ready   bool `json:"ready"`
		Refunds *int `json:"open_refunds"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || !st.Ready || st.Refunds == nil {
		t.Fatalf("status printed %q (%v)", out, err)
	}
	return *st.Refunds
}

// listed is one line of `terminald payments --json`: every field toLine (simple.go)
// writes.
type listed struct {
	ID          string    `json:"id"`
	State       string    `json:"state"`
	Amount      string    `json:"amount"`
	Minor       int64     `json:"amount_minor"`
	Currency    string    `json:"currency"`
	Provider    string    `json:"provider"`
	Ref         string    `json:"reference"`
	Receipt     uint64    `json:"receipt"`
	PaidLate    bool      `json:"paid_late"`
	Unconfirmed bool      `json:"unconfirmed"`
	Refunded    int64     `json:"refunded_minor"`
	Paid        string    `json:"paid"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// payments lists the payments in the state directory state.
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

// onePayment returns the only payment in state, failing unless there is exactly one.
func onePayment(t *testing.T, state string) listed {
	t.Helper()
	ps := payments(t, state)
	if len(ps) != 1 {
		t.Fatalf("payments = %+v, want exactly one", ps)
	}
	return ps[0]
}

// byAmount returns the first of ps for amount, nil when there is none.
func byAmount(ps []listed, amount string) *listed {
	for i := range ps {
		if ps[i].Amount == amount {
			return &ps[i]
		}
	}
	return nil
}

// qrFromScreens decodes the QR of the first QR screen PNG in dir.
func qrFromScreens(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "screen-*-qr.png"))
	if len(files) == 0 {
		t.Fatalf("no QR screen written to %s", dir)
	}
	return qrOf(t, files[0])
}

// qrOf decodes the QR on the screen PNG file.
func qrOf(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	text, err := qrread.Decode(img)
	if err != nil {
		t.Fatalf("QR on %s does not decode: %v", file, err)
	}
	return text
}

// receipts decodes the receipt file, failing if it is missing or not ESC/POS.
func receipts(t *testing.T, file string) *escposdoc.Document {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return decodeReceipts(t, data)
}

func decodeReceipts(t *testing.T, data []byte) *escposdoc.Document {
	t.Helper()
	doc, err := escposdoc.Decode(data)
	if err != nil {
		t.Fatalf("receipt bytes do not decode as ESC/POS: %v", err)
	}
	return doc
}
