package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/admin"
)

// prefixWord is one "word: " segment of an error line: a package's or a command's prefix.
var prefixWord = regexp.MustCompile(`^[a-z][a-z-]*$`)

// checkOnePrefix fails unless stderr is one line "terminald CMD: message" whose message
// repeats no prefix ("cryptogw: cryptogw:") and carries neither the admin client's nor
// the engine's ("admin: refund: flow: …").
func checkOnePrefix(t *testing.T, args []string, stderr string) {
	t.Helper()
	line := strings.TrimSpace(stderr)
	if line == "" || strings.Contains(line, "\n") || !strings.HasPrefix(line, "terminald "+args[0]+": ") {
		t.Errorf("%q: stderr %q, want one line starting %q", args, stderr, "terminald "+args[0]+": ")
		return
	}
	seen := map[string]bool{}
	for _, seg := range strings.Split(line, ": ") {
		if !prefixWord.MatchString(seg) {
			continue
		}
		if seen[seg] {
			t.Errorf("%q: %q says %q twice", args, line, seg+":")
		}
		seen[seg] = true
	}
	for _, p := range []string{"admin: ", "flow: "} {
		if strings.Contains(line, p) {
			t.Errorf("%q: %q carries the prefix %q", args, line, p)
		}
	}
}

// A merchant at the command line of a running simulator: payments shows what was
// refunded, finds a payment by its receipt number as printed, refund takes a receipt
// number and an amount written with a decimal comma, the admin commands print tables
// with amounts and currency (JSON with --json), failures say one prefix, and the
// simulator's receipt file renders as text and PNG.
func TestMerchantCommandLine(t *testing.T) {
	skipShort(t)
	t.Parallel()
	s := accStartSim(t, "--pay-after", "100ms")
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		return run(t, "", append(args, "--socket", s.sock)...)
	}
	s.keys(t, "1250\n1")
	waitUntil(t, 20*time.Second, "the first sale receipt", func() bool { return s.cuts() == 1 }, s.diag)
	s.keys(t, "700\n1")
	waitUntil(t, 20*time.Second, "the second sale receipt", func() bool { return s.cuts() == 2 }, s.diag)

	// Refund 1,00 of receipt 0001 (the English simulator reads the decimal comma too).
	out, errs, code := cli("refund", "0001", "1,00")
	if code != 0 || !regexp.MustCompile(`(?m)^amount\s+\$1\.00$`).MatchString(out) || !strings.Contains(out, "pending") {
		t.Fatalf("refund 0001 1,00: exit %d, stdout %q, stderr %q; want a table with amount $1.00, pending", code, out, errs)
	}
	// All of receipt 2, as JSON.
	out, errs, code = cli("refund", "2", "--json")
	var r admin.RefundResult
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Amount.Minor != 700 || r.Amount.Currency != "USD" {
		t.Fatalf("refund 2 --json: exit %d, stdout %q, stderr %q; want the refund of 7.00 USD", code, out, errs)
	}
	waitUntil(t, 30*time.Second, "both refunds to end", func() bool { return s.openRefunds(t) == 0 }, s.diag)

	out, errs, code = cli("payments")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "RECEIPT") || !strings.Contains(lines[0], "REFUNDED") {
		t.Fatalf("payments: exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`^0002 .* paid +\$7\.00 +all +accrue`),
		regexp.MustCompile(`^0001 .* paid +\$12\.50 +part \(\$1\.00\) +accrue`),
	} {
		if !want.MatchString(lines[1]) && !want.MatchString(lines[2]) {
			t.Errorf("payments shows no line like %s:\n%s", want, out)
		}
	}
	for _, n := range []string{"0001", "1"} {
		out, errs, code = cli("payments", "--receipt", n)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[1], "0001 ") {
			t.Errorf("payments --receipt %s: exit %d, stderr %q, stdout:\n%s", n, code, errs, out)
		}
	}
	out, _, code = cli("payments", "--receipt", "0001", "--json")
	var line struct {
		Refunded    string `json:"refunded"`
		RefundMinor int64  `json:"refunded_minor"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &line) != nil || line.Refunded != "part" || line.RefundMinor != 100 {
		t.Errorf("payments --receipt 0001 --json = %q, want refunded part, 100", out)
	}
	out, _, code = cli("status")
	if code != 0 || !regexp.MustCompile(`(?m)^ready\s+yes$`).MatchString(out) || !regexp.MustCompile(`(?m)^open refunds\s+0$`).MatchString(out) {
		t.Errorf("status: exit %d:\n%s", code, out)
	}

	// Failures: one line, one prefix.
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "bad.toml")
	os.WriteFile(badConfig, []byte("[terminal]\ncurrency = \"XXX\"\n"), 0o644)
	nobody := filepath.Join(shortDir(t), "nobody.sock")
	for _, args := range [][]string{
		{"refund", "NO-SUCH-PAYMENT", "--socket", s.sock},
		{"refund", "0009", "--socket", s.sock},
		{"refund", "1", "1,2,3", "--socket", s.sock},
		{"refund", "2", "--socket", s.sock},
		{"refund", "1", "50.00", "--socket", s.sock},
		{"reprint", "77", "--socket", s.sock},
		{"status", "--socket", nobody},
		{"payments", "--socket", nobody},
		{"payments", "--state", filepath.Join(dir, "none")},
		{"payments", "--only", "bogus", "--state", dir},
		{"check-config", badConfig},
		{"run", "--config", badConfig},
		{"compact", "--state", filepath.Join(dir, "none")},
		{"receipt", "render", filepath.Join(dir, "missing.bin")},
		{"acountpay", "dance"},
	} {
		_, errs, code := run(t, "", args...)
		if code == 0 {
			t.Errorf("%q: exit 0, want a failure", args)
		}
		if args[0] == "check-config" || args[0] == "run" {
			// The configuration's problems follow on their own lines; the first says how many.
			errs, _, _ = strings.Cut(errs, "\n")
		}
		checkOnePrefix(t, args, errs)
	}

	out, errs, code = cli("end-of-day")
	if code != 0 || !strings.Contains(out, "receipts 0001 to") || !regexp.MustCompile(`(?m)^\s*total\s+\d+\s+\$`).MatchString(out) {
		t.Errorf("end-of-day: exit %d, stderr %q:\n%s", code, errs, out)
	}
	s.stop(t)

	// The simulator's receipt file, rendered: the sale slips and the refund slips.
	out, errs, code = run(t, "", "receipt", "render", s.rfile)
	if code != 0 || strings.Count(out, "Receipt") < 4 || !strings.Contains(out, "REFUND") || !strings.Contains(out, "0001") {
		t.Fatalf("receipt render of the simulator's file: exit %d, stderr %q:\n%s", code, errs, out)
	}
	pngFile := filepath.Join(dir, "receipts.png")
	if _, errs, code := run(t, "", "receipt", "render", "--png", pngFile, s.rfile); code != 0 {
		t.Fatalf("receipt render --png: exit %d: %s", code, errs)
	}
	f, err := os.Open(pngFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() < 500 || img.Bounds().Dy() < img.Bounds().Dx() {
		t.Fatalf("receipt PNG: %v, %v; want a long 80 mm picture", img, err)
	}
}
