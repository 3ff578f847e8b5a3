package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/terminald/terminald/hw/printer/escposdoc"
)

// sandboxInfo starts `terminald sandbox --provider name` and returns its base URL and
// everything it printed up to the end of its configuration snippet.
func sandboxInfo(t *testing.T, name string, args ...string) (string, string) {
	t.Helper()
	p := start(t, nil, append([]string{"sandbox", "--provider", name, "--listen", "127.0.0.1:0", "--log-level", "error"}, args...)...)
	waitUntil(t, 20*time.Second, "the "+name+" sandbox to print its configuration", func() bool {
		return strings.Contains(p.stdout(), "# --- end ---") || p.exited()
	}, p.diag)
	out := p.stdout()
	first, _, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(first, name+" sandbox listening on http://127.0.0.1:") {
		t.Fatalf("first line %q\n%s", first, p.diag())
	}
	return strings.TrimSpace(first[strings.LastIndex(first, " "):]), out
}

// snippetConfig writes the printed configuration with its state_dir in the test's dir.
func snippetConfig(t *testing.T, out string) string {
	t.Helper()
	i, j := strings.Index(out, "# --- terminald.toml"), strings.Index(out, "# --- end ---")
	if i < 0 || j < i {
		t.Fatalf("no configuration snippet in:\n%s", out)
	}
	dir := t.TempDir()
	cfg := strings.Replace(out[i:j], `state_dir = "/var/lib/terminald"`, "state_dir = "+strconv.Quote(filepath.Join(dir, "state")), 1)
	os.MkdirAll(filepath.Join(dir, "state"), 0o700)
	path := filepath.Join(dir, "terminald.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSandboxPrintsCredentialsAndConfig: for each provider, `terminald sandbox` prints
// the base URL, the demo credentials (and wallets) it accepts and a configuration that
// `terminald check-config` accepts and that points at it.
func TestSandboxPrintsCredentialsAndConfig(t *testing.T) {
	skipShort(t)
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"acountpay", []string{"client_id           terminald-demo-partner", "merchant_client_id", "webhook_secret", "bank page"}},
		{"accrue", []string{"client_secret", "rich        code ACCRUE-DEMO-RICH  phone +12125550001", "decline"}},
		{"cryptogw", []string{"username            demo", "api_key", "pos_id              POS1", "/sandbox/pay?address="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, out := sandboxInfo(t, tc.name)
			for _, w := range append(tc.want, "Base URL: "+base, "enabled = [\""+tc.name+"\"]", "base_url = \""+base) {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			path := snippetConfig(t, out)
			if stdout, stderr, code := run(t, "", "check-config", "--config", path); code != 0 {
				t.Fatalf("check-config refuses the printed configuration: %s %s", stdout, stderr)
			}
		})
	}
	// The AcountPay credentials printed are the ones it accepts.
	base, out := sandboxInfo(t, "acountpay")
	var id, secret string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == "client_id" {
			id = f[1]
		}
		if len(f) == 2 && f[0] == "client_secret" {
			secret = f[1]
		}
	}
	resp, err := httpClient().PostForm(base+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("printed credentials %q/%q refused: %s", id, secret, resp.Status)
	}
	if _, stderr, code := run(t, "", "sandbox", "--provider", "accrue", "--shape", "seed"); code != 2 || !strings.Contains(stderr, "--shape is for --provider acountpay") {
		t.Fatalf("--shape with accrue: %d %s", code, stderr)
	}
}

// TestAcountPayOnboardCommand: `terminald acountpay onboard` creates the merchant at the
// sandbox through the configured partner credentials and prints its onboarding URL; the
// URL completes onboarding. Bad details are a usage error and create nothing.
func TestAcountPayOnboardCommand(t *testing.T) {
	skipShort(t)
	_, out := sandboxInfo(t, "acountpay")
	path := snippetConfig(t, out)
	if _, stderr, code := run(t, "", "acountpay", "onboard", "--config", path, "--company", "Cafe", "--email", "not-an-address"); code != 2 || !strings.Contains(stderr, "e-mail") {
		t.Fatalf("bad e-mail: exit %d %s", code, stderr)
	}
	if _, stderr, code := run(t, "", "acountpay", "onboard", "--config", path, "--email", "a@b.dk"); code != 2 || !strings.Contains(stderr, "--company is required") {
		t.Fatalf("no company: exit %d %s", code, stderr)
	}
	stdout, stderr, code := run(t, "", "acountpay", "onboard", "--config", path, "--company", "Restaurant XYZ", "--email", "owner@restaurant-xyz.dk", "--hold", "0")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var obURL string
	for _, l := range strings.Split(stdout, "\n") {
		if u, ok := strings.CutPrefix(l, "Onboarding URL:  "); ok {
			obURL = u
		}
	}
	if !strings.Contains(obURL, "/onboarding/") || !strings.Contains(stdout, "display: none configured") || !strings.Contains(stdout, "merchant_client_id = ") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	if c, page := httpGet(t, obURL); c != 200 || !strings.Contains(page, "Restaurant XYZ can now take AcountPay payments") {
		t.Fatalf("onboarding page: %d %s", c, page)
	}
	// Run again: the same merchant's link, said so.
	again, _, code := run(t, "", "acountpay", "onboard", "--config", path, "--company", "Restaurant XYZ", "--email", "owner@restaurant-xyz.dk", "--hold", "0", "--no-devices")
	if code != 0 || !strings.Contains(again, "already had a merchant") || !strings.Contains(again, obURL) || strings.Contains(again, "display:") {
		t.Fatalf("again: %d\n%s", code, again)
	}
}

// TestAcountPayOnboardPrintsQR: with a serial receipt printer configured (a pty here),
// `terminald acountpay onboard` prints a slip whose QR code is the onboarding URL.
func TestAcountPayOnboardPrintsQR(t *testing.T) {
	skipShort(t)
	_, out := sandboxInfo(t, "acountpay")
	m, s, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer m.Close()
	defer s.Close()
	var mu sync.Mutex
	var printed bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := m.Read(buf)
			mu.Lock()
			printed.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	out = strings.Replace(out, "[printer]\ndriver = \"none\"", "[printer]\ndriver = \"serial\"\ndevice = "+strconv.Quote(s.Name()), 1)
	path := snippetConfig(t, out)
	stdout, stderr, code := run(t, "", "acountpay", "onboard", "--config", path, "--company", "Bistro", "--email", "bistro@example.dk", "--hold", "0")
	if code != 0 || !strings.Contains(stdout, "printer: onboarding slip printed") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var obURL string
	for _, l := range strings.Split(stdout, "\n") {
		if u, ok := strings.CutPrefix(l, "Onboarding URL:  "); ok {
			obURL = u
		}
	}
	var doc *escposdoc.Document
	waitUntil(t, 10*time.Second, "the slip's QR code", func() bool {
		mu.Lock()
		data := bytes.Clone(printed.Bytes())
		mu.Unlock()
		// The printer's status queries (DLE EOT) come first; the slip starts at ESC @.
		if i := bytes.Index(data, []byte{0x1b, '@'}); i >= 0 {
			data = data[i:]
		}
		d, err := escposdoc.Decode(data)
		if err != nil {
			return false
		}
		for _, it := range d.Items {
			if it.QR != nil && it.QR.Data == obURL {
				doc = d
				return true
			}
		}
		return false
	}, func() string { mu.Lock(); defer mu.Unlock(); return printed.String() })
	found := false
	for _, it := range doc.Items {
		found = found || it.Kind == escposdoc.ItemText && strings.Contains(it.Text, "Bistro")
	}
	if !found {
		t.Fatalf("slip lacks the company name: %+v", doc.Items)
	}
}
