package main

// End-to-end tests of the daemon's services through the built binary: the systemd
// notify protocol (READY/WATCHDOG/STOPPING) in sim and run mode, the admin socket,
// /healthz and /metrics, and start-up failures of `terminald run`.

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// dmnNotify is a fake service manager: the datagram socket a daemon finds in
// $NOTIFY_SOCKET, recording every message in arrival order.
type dmnNotify struct {
	path string
	conn *net.UnixConn

	mu   sync.Mutex
	msgs []string
	news chan struct{}
}

func dmnListenNotify(t *testing.T) *dmnNotify {
	t.Helper()
	n := &dmnNotify{path: filepath.Join(shortDir(t), "notify.sock"), news: make(chan struct{}, 1)}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	n.conn = c
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, _, err := c.ReadFromUnix(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			// One datagram may carry several newline-separated assignments.
			n.msgs = append(n.msgs, strings.Split(strings.TrimSpace(string(buf[:k])), "\n")...)
			n.mu.Unlock()
			select {
			case n.news <- struct{}{}:
			default:
			}
		}
	}()
	return n
}

// all returns the messages received so far.
func (n *dmnNotify) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// count returns how often msg arrived.
func (n *dmnNotify) count(msg string) int {
	c := 0
	for _, m := range n.all() {
		if m == msg {
			c++
		}
	}
	return c
}

// waitCount waits until msg arrived at least k times, failing after within.
func (n *dmnNotify) waitCount(t *testing.T, msg string, k int, within time.Duration, what func() string) {
	t.Helper()
	deadline := time.After(within)
	for n.count(msg) < k {
		select {
		case <-n.news:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%q arrived %d times within %v, want at least %d; messages %q\n%s", msg, n.count(msg), within, k, n.all(), what())
		}
	}
}

// dmnOpenPayment leaves an awaiting payment of "amount" (keypad digits, minor units) in
// the state of a simulator in dir: a sim against the sandbox at url is killed with
// SIGKILL while the QR is shown. It returns the payment as listed.
func dmnOpenPayment(t *testing.T, url, dir, amount string) listed {
	t.Helper()
	sock := adminSock(t)
	s := startSim(t, dir, "--sandbox", url, "--pay-after", "never", "--admin-socket", sock)
	s.keys(t, amount+"\n")
	s.waitShots(t, "qr", 1)
	// The QR is drawn before the provider's answer is committed (flow.apply): a kill
	// right now may find the payment still creating, without the provider's reference
	// this test needs. An admin call is served on the engine's loop after the event
	// that drew the QR, so once it returns the answer is on disk.
	if _, errs, code := run(t, "", "status", "--socket", sock); code != 0 {
		t.Fatalf("status over the admin socket: exit %d: %s", code, errs)
	}
	s.kill9()
	ps := payments(t, s.state)
	if len(ps) != 1 || ps[0].State != "awaiting" || ps[0].Ref == "-" {
		t.Fatalf("after kill -9: %+v, want one awaiting payment known to the provider", ps)
	}
	return ps[0]
}

// dmnSandboxPay pays sandbox payment ref through the sandbox's control endpoint (what
// the customer's bank does while no terminald runs).
func dmnSandboxPay(t *testing.T, url, ref string) {
	t.Helper()
	resp, err := httpClient().Post(url+"/sandbox/payments/"+ref+"/pay", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sandbox pay %s: %s %s", ref, resp.Status, body)
	}
}

// dmnConfig writes a run configuration against the AcountPay sandbox at url.
func dmnConfig(t *testing.T, dir, url, state, socket, httpAddr string) string {
	t.Helper()
	cfg := fmt.Sprintf(`[terminal]
id = "T9"
merchant = "E2E Shop"
currency = "DKK"
state_dir = %q
log_level = "info"
stop_settle = "2s"

[providers]
enabled = ["acountpay"]

[acountpay]
base_url = %q
variant = "oauth"
client_id = "terminald-demo-partner"
client_secret = "demo-partner-secret"
merchant_client_id = "6f1c2a7e-3b7d-4f0a-9a57-6a1f0d5d2c11"
timeout = "5s"

[display]
driver = "none"

[printer]
driver = "none"

[admin]
socket = %q

[http]
listen = %q
`, state, url, socket, httpAddr)
	path := filepath.Join(dir, "terminald.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// dmnWaitAdmin waits until the daemon answers `terminald status` on socket.
func dmnWaitAdmin(t *testing.T, p *proc, socket string) map[string]any {
	t.Helper()
	var out, errs string
	code := -1
	last := func() string { return fmt.Sprintf("last: exit %d %s; daemon %s", code, errs, p.diag()) }
	waitUntil(t, 30*time.Second, "the admin socket to answer", func() bool {
		out, errs, code = run(t, "", "status", "--socket", socket, "--json")
		return code == 0 || p.exited()
	}, last)
	if code != 0 {
		t.Fatalf("admin socket never answered: the daemon exited (%s)", last())
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status printed no JSON object: %v\n%s", err, out)
	}
	return st
}

// dmnMetric returns the value of the sample line that starts with series (name and
// labels exactly as exposed), and whether it was there.
func dmnMetric(body, series string) (string, bool) {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, series+" ") {
			return strings.TrimSpace(strings.TrimPrefix(l, series)), true
		}
	}
	return "", false
}

// notifyEnv is the environment systemd gives a Type=notify service with WatchdogSec=.
func notifyEnv(n *dmnNotify) []string {
	return []string{"NOTIFY_SOCKET=" + n.path, "WATCHDOG_USEC=400000"}
}

// checkNotifyLifecycle asserts the notification sequence of a daemon from READY to exit:
// READY=1 first, then several WATCHDOG=1, STOPPING=1 on SIGTERM, exit status 0.
func checkNotifyLifecycle(t *testing.T, p *proc, n *dmnNotify) {
	t.Helper()
	n.waitCount(t, "WATCHDOG=1", 5, 20*time.Second, p.diag)
	msgs := n.all()
	if msgs[0] != "READY=1" {
		t.Fatalf("first notification %q, want READY=1 before any keep-alive; all: %q", msgs[0], msgs)
	}
	if n.count("READY=1") != 1 || n.count("STOPPING=1") != 0 {
		t.Fatalf("while running: notifications %q, want one READY=1 and no STOPPING=1", msgs)
	}
	if code := p.term(t); code != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0; stderr:\n%s", code, p.stderr())
	}
	n.waitCount(t, "STOPPING=1", 1, 5*time.Second, p.diag)
	msgs = n.all()
	if msgs[len(msgs)-1] != "STOPPING=1" {
		t.Fatalf("last notification %q, want STOPPING=1; all: %q", msgs[len(msgs)-1], msgs)
	}
}

// checkRecoveredBeforeReady waits for READY=1 and asserts that the daemon had logged the
// end of its recovery, with the open payment settled as paid, before it sent READY.
func checkRecoveredBeforeReady(t *testing.T, p *proc, n *dmnNotify, id string) {
	t.Helper()
	n.waitCount(t, "READY=1", 1, 30*time.Second, p.diag)
	// stderr is a regular file: what was written before READY was sent is there now.
	logged := p.stderr()
	done := strings.Index(logged, "recovery done")
	fin := strings.Index(logged, "msg=\"payment finished\" payment="+id+" state=paid")
	if done < 0 || fin < 0 || fin > done {
		t.Fatalf("when READY=1 arrived the log did not show payment %s settled paid by recovery:\n%s", id, logged)
	}
}

// TestDaemonNotifySim: the simulator speaks sd_notify: READY only after the open payment
// of a killed earlier run was reconciled, keep-alives while it runs, STOPPING on SIGTERM,
// exit 0 with the store closed.
func TestDaemonNotifySim(t *testing.T) {
	skipShort(t)
	t.Parallel()
	url := sandbox(t, "acountpay")
	dir := t.TempDir()
	state := simDirsIn(dir).state
	open := dmnOpenPayment(t, url, dir, "4200")
	dmnSandboxPay(t, url, open.Ref)

	n := dmnListenNotify(t)
	p := start(t, notifyEnv(n), "sim", "--sandbox", url, "--pay-after", "never", "--state", state, "--log-level", "info")
	checkRecoveredBeforeReady(t, p, n, open.ID)
	checkNotifyLifecycle(t, p, n)
	if !strings.Contains(strings.Join(n.all(), "\n"), "STATUS=ready") {
		t.Errorf("no STATUS= line for systemctl status; got %q", n.all())
	}
	// The store was closed: a reader opens it at once.
	ps := payments(t, state)
	if len(ps) != 1 || ps[0].ID != open.ID || ps[0].State != "paid" || ps[0].Amount != "42.00" {
		t.Fatalf("after the sim stopped: %+v, want payment %s paid 42.00", ps, open.ID)
	}
}

// TestDaemonRunRecoveryNotifyAdminMetrics: `terminald run` with a config file recovers
// the open payment of a killed earlier run (paid meanwhile at the provider) before
// READY=1, counts it in /metrics, lists it over the admin socket, reports it at end of
// day, sends keep-alives, and stops cleanly on SIGTERM.
func TestDaemonRunRecoveryNotifyAdminMetrics(t *testing.T) {
	skipShort(t)
	t.Parallel()
	url := sandbox(t, "acountpay")
	dir := t.TempDir()
	state := simDirsIn(dir).state
	open := dmnOpenPayment(t, url, dir, "4200")
	dmnSandboxPay(t, url, open.Ref)

	sock := adminSock(t)
	addr := freeAddr(t)
	cfg := dmnConfig(t, dir, url, state, sock, addr)
	n := dmnListenNotify(t)
	p := start(t, notifyEnv(n), "run", "--config", cfg)
	checkRecoveredBeforeReady(t, p, n, open.ID)

	// The payments list comes over the admin socket while the daemon holds the store.
	out, errs, code := run(t, "", "payments", "--config", cfg, "--json")
	if code != 0 {
		t.Fatalf("payments --config while running: exit %d: %s", code, errs)
	}
	var got listed
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &got); err != nil {
		t.Fatalf("payments --config --json: %v\n%s", err, out)
	}
	if got.ID != open.ID || got.State != "paid" || got.Amount != "42.00" || got.Currency != "DKK" || got.Receipt == 0 {
		t.Fatalf("payments --config = %+v, want %s paid 42.00 DKK with a receipt number", got, open.ID)
	}
	// Reading the state directory directly is refused with a pointer to --config.
	_, errs, code = run(t, "", "payments", "--state", state)
	if code != 1 || !strings.Contains(errs, "locked") || !strings.Contains(errs, "--config") {
		t.Errorf("payments --state while running: exit %d, %q; want 1 naming the lock and --config", code, errs)
	}

	// /metrics counted the payment recovery settled; /healthz is ok.
	code, body := httpGet(t, "http://"+addr+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	if v, ok := dmnMetric(body, `terminald_payments_total{provider="acountpay",result="paid"}`); !ok || v != "1" {
		t.Errorf("terminald_payments_total paid = %q (present %v), want 1:\n%s", v, ok, body)
	}
	if v, ok := dmnMetric(body, "terminald_payments_in_flight"); !ok || v != "0" {
		t.Errorf("terminald_payments_in_flight = %q (present %v), want 0", v, ok)
	}
	dmnHealthzNoDisplay(t, addr)

	// The X report shows the day so far without closing it, from the first payment on.
	out, errs, code = run(t, "", "x-report", "--no-print", "--socket", sock, "--json")
	if code != 0 {
		t.Fatalf("x-report: exit %d: %s", code, errs)
	}
	var xrep struct {
		From time.Time `json:"from"`
		Rows []struct {
			Provider, Result string
			Count            int
			Total            json.Number
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &xrep); err != nil {
		t.Fatalf("x-report JSON: %v\n%s", err, out)
	}
	if len(xrep.Rows) != 1 || xrep.Rows[0].Count != 1 || xrep.Rows[0].Total.String() != "4200" || xrep.From.Year() < 2000 {
		t.Errorf("x-report = %s, want one row of 4200 from the payment's day", out)
	}

	// End of day reports the paid payment (the X report did not close the day); reprint
	// of the last receipt is accepted.
	out, errs, code = run(t, "", "end-of-day", "--socket", sock, "--json")
	if code != 0 {
		t.Fatalf("end-of-day: exit %d: %s", code, errs)
	}
	var rep struct {
		Rows []struct {
			Provider, Result, Currency string
			Count                      int
			Total                      json.Number
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("end-of-day JSON: %v\n%s", err, out)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Provider != "acountpay" || rep.Rows[0].Result != "paid" ||
		rep.Rows[0].Currency != "DKK" || rep.Rows[0].Count != 1 || rep.Rows[0].Total.String() != "4200" {
		t.Errorf("end-of-day = %s, want one row acountpay paid DKK count 1 total 4200", out)
	}
	out, errs, code = run(t, "", "reprint", "--socket", sock)
	if code != 0 || out != "the last receipt is queued for printing\n" {
		t.Errorf("reprint of the last receipt: exit %d, out %q, err %q", code, out, errs)
	}

	checkNotifyLifecycle(t, p, n)
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("admin socket %s left behind after exit (stat: %v)", sock, err)
	}
	// The store was closed: a reader opens it at once, the payment is still paid.
	if ps := payments(t, state); len(ps) != 1 || ps[0].State != "paid" {
		t.Fatalf("after run stopped: %+v, want the one payment paid", ps)
	}
}

// TestDaemonRunAdminFresh: a fresh `terminald run` answers the admin commands, refuses
// bad ones with exit 2 and a reprint with nothing printed with a clear error, serves
// /healthz and /metrics with nothing counted yet, and a second daemon on the same state
// directory fails fast naming the lock.
func TestDaemonRunAdminFresh(t *testing.T) {
	skipShort(t)
	t.Parallel()
	url := sandbox(t, "acountpay")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	sock := adminSock(t)
	addr := freeAddr(t)
	cfg := dmnConfig(t, dir, url, state, sock, addr)
	p := start(t, nil, "run", "--config", cfg)

	st := dmnWaitAdmin(t, p, sock)
	online, _ := st["providers_online"].(map[string]any)
	if st["ready"] != true || online["acountpay"] != true || st["open_payments"] != float64(0) {
		t.Errorf("status = %v, want ready, acountpay online, no open payments", st)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Errorf("admin socket %s: %v %v, want a socket with mode 0660", sock, fi.Mode(), err)
	}

	out, errs, code := run(t, "", "reprint", "--socket", sock)
	if code != 1 || !strings.Contains(errs, "nothing printed yet") {
		t.Errorf("reprint with no receipts: exit %d, out %q, err %q; want exit 1 saying nothing was printed", code, out, errs)
	}
	out, errs, code = run(t, "", "reprint", "--socket", sock, "7")
	if code != 1 || errs == "" {
		t.Errorf("reprint of a receipt that does not exist: exit %d, out %q, err %q; want exit 1 with an error", code, out, errs)
	}
	out, errs, code = run(t, "", "end-of-day", "--socket", sock, "--json")
	var rep map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("end-of-day: exit %d, out %q, err %q", code, out, errs)
	}
	if rows, _ := rep["rows"].([]any); len(rows) != 0 {
		t.Errorf("end-of-day with no payments = %s, want no rows", out)
	}
	out, errs, code = run(t, "", "payments", "--config", cfg, "--json")
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Errorf("payments --config with no payments: exit %d, out %q, err %q", code, out, errs)
	}

	for _, args := range [][]string{
		{"status", "--socket", sock, "extra"},
		{"end-of-day", "--socket", sock, "extra"},
		{"reprint", "--socket", sock, "abc"},
		{"reprint", "--socket", sock, "1", "2"},
		{"refund", "--socket", sock},
		{"status", "--socket"},
		{"status", "--bogus"},
	} {
		if _, errs, code := run(t, "", args...); code != 2 || errs == "" {
			t.Errorf("terminald %q: exit %d, stderr %q; want exit 2 with a usage message", args, code, errs)
		}
	}
	if _, errs, code := run(t, "", "refund", "--socket", sock, "NO-SUCH-PAYMENT"); code != 1 || !strings.Contains(errs, "NO-SUCH-PAYMENT") {
		t.Errorf("refund of an unknown payment: exit %d, %q; want exit 1 naming it", code, errs)
	}
	if _, errs, code := run(t, "", "status", "--socket", filepath.Join(dir, "nobody.sock")); code != 1 || !strings.Contains(errs, "no running terminald") {
		t.Errorf("status without a daemon: exit %d, %q", code, errs)
	}

	dmnHealthzNoDisplay(t, addr)
	// The provider was probed, not assumed: status and /metrics say so.
	st = dmnWaitAdmin(t, p, sock)
	hs, _ := st["health"].(map[string]any)
	provs, _ := hs["providers"].([]any)
	if len(provs) != 1 || provs[0].(map[string]any)["state"] != "up" || hs["display"] != "missing" || hs["printer"] != "missing" {
		t.Errorf("status health = %v, want acountpay up, display and printer missing", hs)
	}
	code, body := httpGet(t, "http://"+addr+"/metrics")
	if v, ok := dmnMetric(body, `terminald_provider_up{provider="acountpay"}`); !ok || v != "1" {
		t.Errorf("terminald_provider_up{acountpay} = %q (present %v), want 1", v, ok)
	}
	if _, ok := dmnMetric(body, `terminald_provider_last_success_timestamp_seconds{provider="acountpay"}`); !ok {
		t.Error("no last-success time for a provider that answered")
	}
	// The end-of-day report sits in the outbox until the (discarding) printer took it:
	// the depth gauge goes back to 0.
	waitUntil(t, 15*time.Second, "terminald_outbox_depth 0", func() bool {
		code, body = httpGet(t, "http://"+addr+"/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
		v, _ := dmnMetric(body, "terminald_outbox_depth")
		return v == "0"
	}, func() string { return "/metrics:\n" + body })
	for _, series := range []string{"terminald_payments_in_flight", "terminald_outbox_depth"} {
		if v, ok := dmnMetric(body, series); !ok || v != "0" {
			t.Errorf("%s = %q (present %v), want 0", series, v, ok)
		}
	}
	if strings.Contains(body, "terminald_payments_total{") {
		t.Errorf("payments counted before any payment:\n%s", body)
	}
	if !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "process_") {
		t.Errorf("/metrics lacks the runtime and process collectors")
	}

	// A second daemon on the same state directory: exit 1 naming the lock, not a hang.
	cfg2 := dmnConfig(t, t.TempDir(), url, state, adminSock(t), "")
	start := time.Now()
	_, errs, code = run(t, "", "run", "--config", cfg2)
	if code != 1 || !strings.Contains(errs, "locked") || !strings.Contains(errs, "terminald.db") {
		t.Errorf("second run on a held state dir: exit %d after %v, stderr %q; want exit 1 naming the locked database", code, time.Since(start), errs)
	}
	if p.exited() {
		t.Fatalf("the first daemon died; stderr:\n%s", p.stderr())
	}
	if code := p.term(t); code != 0 {
		t.Fatalf("exit status %d after SIGTERM; stderr:\n%s", code, p.stderr())
	}
}

// TestDaemonRunBadConfig: `terminald run` refuses a bad configuration with exit 78 naming
// the key, before touching anything.
func TestDaemonRunBadConfig(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := t.TempDir()
	good := strings.TrimSpace(`
[terminal]
currency = "DKK"
state_dir = "` + filepath.Join(dir, "state") + `"
[acountpay]
base_url = "http://127.0.0.1:9"
client_id = "x"
client_secret = "y"
merchant_client_id = "z"
[admin]
socket = "` + filepath.Join(dir, "a.sock") + `"
`)
	for _, tc := range []struct {
		name, text, want string
	}{
		{"unknown key", good + "\nbogus = 1\n", `admin.bogus: unknown key`},
		{"bad currency", strings.Replace(good, `"DKK"`, `"XYZ"`, 1), "terminal.currency"},
		{"missing secret", strings.Replace(good, `client_secret = "y"`, "", 1), "acountpay.client_secret"},
		{"bad duration", strings.Replace(good, `currency = "DKK"`, "currency = \"DKK\"\nretention = \"soon\"", 1), "terminal.retention"},
		{"bad http", good + "\n[http]\nlisten = 9120\n", "http.listen"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".toml")
		os.WriteFile(path, []byte(tc.text), 0o600)
		_, errs, code := run(t, "", "run", "--config", path)
		if code != exitConfig || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d (systemd does not restart) naming %s", tc.name, code, errs, exitConfig, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state")); !os.IsNotExist(err) {
		t.Errorf("a refused configuration created the state directory")
	}
	if _, errs, code := run(t, "", "run", "--config", filepath.Join(dir, "missing.toml")); code != exitConfig || !strings.Contains(errs, "missing.toml") {
		t.Errorf("missing config file: exit %d, %q", code, errs)
	}
	if _, errs, code := run(t, "", "run", "--config", filepath.Join(dir, "x.toml"), "extra"); code != 2 || errs == "" {
		t.Errorf("run with an extra argument: exit %d, %q; want 2", code, errs)
	}
}

// dmnHealthzNoDisplay waits until the provider probe answered and checks that /healthz
// then reports exactly one reason for being degraded: the configuration has no display.
func dmnHealthzNoDisplay(t *testing.T, addr string) {
	t.Helper()
	var code int
	var body string
	waitUntil(t, 15*time.Second, "/healthz to report the provider reachable", func() bool {
		code, body = httpGet(t, "http://"+addr+"/healthz")
		return !strings.Contains(body, "provider")
	}, func() string { return fmt.Sprintf("/healthz: %d %q", code, body) })
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "no working display (display: missing)") {
		t.Errorf("/healthz without a display: %d %q, want 503 naming the missing display", code, body)
	}
}
