package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/terminald/terminald/config"
)

// validConfig is a complete configuration with all three providers enabled.
const validConfig = `
[terminal]
currency = "DKK"
state_dir = "STATE"
[providers]
enabled = ["acountpay", "accrue", "cryptogw"]
[acountpay]
base_url = "https://api.acountpay.test"
client_id = "id"
client_secret = "s3cret"
merchant_client_id = "m-1"
[accrue]
base_url = "https://api.accrue.test"
client_id = "id"
client_secret = "s3cret"
[cryptogw]
base_url = "https://api.gw.test/pay/v2/"
username = "u"
api_key = "k"
[admin]
socket = "STATE/admin.sock"
`

// checkConfig runs check-config and run on text and returns their exit codes and
// stderr.
func checkConfig(t *testing.T, text string, creds string) (code int, stderr string, runCode int, runStderr string) {
	t.Helper()
	dir := t.TempDir()
	text = strings.ReplaceAll(text, "STATE", dir)
	file := filepath.Join(dir, "terminald.toml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if creds == "" {
		creds = t.TempDir()
	}
	var out, errb bytes.Buffer
	code = Main(t.Context(), []string{"check-config", "--credentials", creds, file}, nil, &out, &errb)
	var rout, rerr bytes.Buffer
	if code != 0 {
		// run refuses the same file with the same words, before touching anything.
		runCode = Main(t.Context(), []string{"run", "--config", file, "--credentials", creds}, nil, &rout, &rerr)
	}
	return code, errb.String(), runCode, rerr.String()
}

func TestCheckConfigValid(t *testing.T) {
	if code, stderr, _, _ := checkConfig(t, validConfig, ""); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// check-config refuses what run refuses, naming the key and the value.
func TestCheckConfigRefuses(t *testing.T) {
	set := func(section, kv string) string {
		return strings.Replace(validConfig, "["+section+"]\n", "["+section+"]\n"+kv+"\n", 1)
	}
	for _, tc := range []struct{ name, text, key, value string }{
		{"acountpay base_url", strings.Replace(validConfig, `"https://api.acountpay.test"`, `"api.acountpay.test"`, 1), "acountpay.base_url", `"api.acountpay.test"`},
		{"cryptogw currency", set("cryptogw", `currencies = ["BTC.X"]`), "cryptogw.currencies[0]", `"BTC.X"`},
		{"overpayment max", set("cryptogw", `auto_accept_overpayment_max = "abc"`), "cryptogw.auto_accept_overpayment_max", `"abc"`},
		{"accrue method", set("accrue", `methods = ["nfc"]`), "accrue.methods", `"nfc"`},
		{"accrue timeout zero", set("accrue", `timeout = "0s"`), "accrue.timeout", "0s"},
		{"acountpay expiry negative", set("acountpay", `expiry = "-1m"`), "acountpay.expiry", "-1m"},
		{"cryptogw timeout zero", set("cryptogw", `timeout = "0s"`), "cryptogw.timeout", "0s"},
		{"watch window zero", set("terminal", `watch_window = "0s"`), "terminal.watch_window", `"0s"`},
		{"keymap size", validConfig + "[keypad]\ndriver = \"matrix\"\nrows = [\"GPIO5\",\"GPIO6\",\"GPIO13\",\"GPIO19\"]\ncols = [\"GPIO12\",\"GPIO16\",\"GPIO20\"]\nkeymap = \"123A/456B/789C/*0#D\"\n", "keypad.keymap", `"123A/456B/789C/*0#D"`},
		{"ecr port", validConfig + "[ecr]\nlisten = \"tcp://0.0.0.0:99999\"\n", "ecr.listen", "99999"},
		{"http nonsense", validConfig + "[http]\nlisten = \"nonsense\"\n", "http.listen", `"nonsense"`},
		{"stop bits", validConfig + "[printer]\nstop_bits = 3\n", "printer.stop_bits", "3"},
		{"logo missing", validConfig + "[printer]\nlogo = \"/nonexistent/logo.png\"\n", "printer.logo", `"/nonexistent/logo.png"`},
		{"display size", validConfig + "[display]\ndriver = \"st7789\"\nwidth = 320\nheight = 480\n", "display.width/height", "320x480"},
		{"placeholder", strings.Replace(validConfig, `client_id = "id"`, `client_id = "your-client-id"`, 1), "acountpay.client_id", `"your-client-id"`},
		{"placeholder merchant", strings.Replace(validConfig, `"m-1"`, `"00000000-0000-0000-0000-000000000000"`, 1), "acountpay.merchant_client_id", "placeholder"},
		{"unknown key", set("cryptogw", `webhook_secret = "x"`), "cryptogw.webhook_secret", "unknown key"},
		{"missing secret", strings.Replace(validConfig, `api_key = "k"`, "", 1), "cryptogw.api_key", "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr, runCode, runStderr := checkConfig(t, tc.text, "")
			if code != 1 {
				t.Fatalf("check-config exit %d, want 1: %s", code, stderr)
			}
			line := ""
			for l := range strings.Lines(stderr) {
				if strings.Contains(l, tc.key) {
					line = l
				}
			}
			if line == "" || !strings.Contains(line, tc.value) {
				t.Fatalf("check-config said:\n%s\nwant a line naming %s and %s", stderr, tc.key, tc.value)
			}
			if problem := strings.TrimSpace(line[strings.Index(line, tc.key):]); runCode != exitConfig || !strings.Contains(runStderr, problem) {
				t.Errorf("run exit %d: %s\nwant the same refusal", runCode, runStderr)
			}
		})
	}
}

// Every problem is reported in one run.
func TestCheckConfigAllErrors(t *testing.T) {
	text := strings.Replace(validConfig, `"https://api.acountpay.test"`, `"nope"`, 1) + "[http]\nlisten = \"nonsense\"\n[printer]\nstop_bits = 3\n"
	code, stderr, _, _ := checkConfig(t, text, "")
	for _, key := range []string{"acountpay.base_url", "http.listen", "printer.stop_bits"} {
		if code != 1 || !strings.Contains(stderr, key) {
			t.Errorf("exit %d, %s missing from:\n%s", code, key, stderr)
		}
	}
}

// The README's secret setup (files in the credentials directory, nothing in the
// TOML) passes check-config given that directory.
func TestCheckConfigCredentials(t *testing.T) {
	creds := t.TempDir()
	for name, v := range map[string]string{"acountpay_client_secret": "a", "accrue_client_secret": "b", "cryptogw_api_key": "c"} {
		os.WriteFile(filepath.Join(creds, name), []byte(v+"\n"), 0o640)
	}
	text := validConfig
	for _, kv := range []string{`client_secret = "s3cret"`, `client_secret = "s3cret"`, `api_key = "k"`} {
		text = strings.Replace(text, kv, "", 1)
	}
	if code, stderr, _, _ := checkConfig(t, text, ""); code != 1 || !strings.Contains(stderr, "acountpay.client_secret") {
		t.Fatalf("without credentials: exit %d %s", code, stderr)
	}
	if code, stderr, _, _ := checkConfig(t, text, creds); code != 0 {
		t.Fatalf("with --credentials: exit %d %s", code, stderr)
	}
}

// readmeKeys returns the rows of README.md's configuration table: key → default cell.
func readmeKeys(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "\n## Configuration\n")
	end := strings.Index(text[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("README.md has no Configuration section")
	}
	row := regexp.MustCompile("^\\| `([a-z0-9_]+\\.[a-z0-9_]+)` \\|\\s*(.*?)\\s*\\| .* \\|$")
	keys := map[string]string{}
	for line := range strings.Lines(text[start : start+1+end]) {
		m := row.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			if strings.HasPrefix(line, "| `") {
				t.Errorf("README row not of the form | `section.key` | `default` | meaning |: %s", line)
			}
			continue
		}
		if _, dup := keys[m[1]]; dup {
			t.Errorf("README documents %s twice", m[1])
		}
		keys[m[1]] = strings.Trim(m[2], "`")
	}
	return keys
}

// README.md's configuration table and the schema agree: every documented key exists,
// every key is documented, and the documented defaults are the code's.
func TestREADMEDocumentsTheSchema(t *testing.T) {
	doc := readmeKeys(t)
	schema := config.Schema(configOptions(""))
	var names []string
	for _, k := range schema {
		names = append(names, k.Name)
		def, ok := doc[k.Name]
		if !ok {
			t.Errorf("%s is not documented in README.md", k.Name)
			continue
		}
		switch {
		case def == "" && k.Default != nil:
			t.Errorf("README: %s: no default documented; the code's is %#v", k.Name, k.Default)
		case def != "" && k.Default == nil:
			t.Errorf("README: %s: documents default %s; the code has none", k.Name, def)
		case def != "":
			var v map[string]any
			if _, err := toml.Decode("v = "+def, &v); err != nil {
				t.Errorf("README: %s: default %s is not a TOML value: %v", k.Name, def, err)
			} else if !sameValue(v["v"], k.Default) {
				t.Errorf("README: %s: documents default %s; the code's is %#v", k.Name, def, k.Default)
			}
		}
	}
	for key := range doc {
		if !slices.Contains(names, key) {
			t.Errorf("README documents %s, which the configuration does not accept", key)
		}
	}
}

// sameValue compares TOML values; durations compare as durations ("90s" = "1m30s").
func sameValue(a, b any) bool {
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			ad, err1 := time.ParseDuration(as)
			bd, err2 := time.ParseDuration(bs)
			if err1 == nil && err2 == nil {
				return ad == bd
			}
		}
	}
	return reflect.DeepEqual(a, b)
}

// terminald.example.toml uses only documented keys, and with its secrets given as the
// README recommends (credential files) it validates except for its placeholders,
// which are flagged as such.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../../terminald.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	doc := readmeKeys(t)
	var tables map[string]map[string]any
	if _, err := toml.Decode(string(data), &tables); err != nil {
		t.Fatal(err)
	}
	for section, kv := range tables {
		for key := range kv {
			if _, ok := doc[section+"."+key]; !ok {
				t.Errorf("example: %s.%s is not documented in README.md", section, key)
			}
		}
	}
	creds := t.TempDir()
	os.WriteFile(filepath.Join(creds, "acountpay_client_secret"), []byte("from-credential\n"), 0o640)
	_, err = config.Parse(data, "terminald.example.toml", configOptions(creds))
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("the example's placeholders are not flagged: %v", err)
	}
	var keys []string
	for _, p := range cerr.Problems {
		if !errors.Is(p, config.ErrPlaceholder) {
			t.Errorf("example: %v", p)
		}
		keys = append(keys, strings.SplitN(p.Error(), ":", 2)[0])
	}
	if want := []string{"acountpay.client_id", "acountpay.merchant_client_id"}; !slices.Equal(keys, want) {
		t.Errorf("placeholders flagged: %v, want %v", keys, want)
	}
	// With its placeholders replaced, the example is a valid configuration.
	text := strings.NewReplacer(`"your-client-id"`, `"mine"`, `"00000000-0000-0000-0000-000000000000"`, `"m-1"`).Replace(string(data))
	if _, err := config.Parse([]byte(text), "example", configOptions(creds)); err != nil {
		t.Errorf("example with real values: %v", err)
	}
}
