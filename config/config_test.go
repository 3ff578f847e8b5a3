package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const minimal = `
[terminal]
currency = "DKK"
[acountpay]
base_url = "http://127.0.0.1:1"
client_id = "id"
client_secret = "s3cret"
merchant_client_id = "m"
`

func TestExampleParses(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "acountpay_client_secret"), []byte("from-credential\n"), 0o600)
	t.Setenv("CREDENTIALS_DIRECTORY", dir)
	data, err := os.ReadFile("../terminald.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	// The example points at a credential file that does not exist here; use the
	// credentials directory instead, as systemd would.
	text := strings.Replace(string(data), "client_secret_file = \"/etc/terminald/credentials/acountpay_client_secret\"", "", 1)
	c, err := Parse([]byte(text), "example")
	if err != nil {
		t.Fatal(err)
	}
	if c.AcountPay.ClientSecret != "from-credential" {
		t.Fatalf("secret from $CREDENTIALS_DIRECTORY = %q", c.AcountPay.ClientSecret)
	}
	if lo, hi := c.Bounds(); lo != 100 || hi != 1000000 {
		t.Fatalf("bounds = %d..%d", lo, hi)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"unknown key", minimal + "\n[printer]\nwidht = 58\n", `unknown key "printer.widht"`},
		{"wrong type", strings.Replace(minimal, `currency = "DKK"`, `currency = 208`, 1), "terminal.currency"},
		{"missing credential", strings.Replace(minimal, `client_secret = "s3cret"`, "", 1), "missing credential acountpay.client_secret"},
		{"bad duration", strings.Replace(minimal, `currency = "DKK"`, "currency = \"DKK\"\nwatch_window = \"soon\"", 1), "watch_window"},
		{"bad amount", strings.Replace(minimal, `currency = "DKK"`, "currency = \"DKK\"\nmax_amount = \"12.345\"", 1), "terminal.max_amount"},
		{"unknown provider", minimal + "\n[providers]\nenabled = [\"paypal\"]\n", `unknown provider "paypal"`},
		{"bad ecr password", minimal + "\n[ecr]\nlisten = \"tcp://127.0.0.1:20007\"\npassword = \"12\"\n", "ecr.password"},
	} {
		_, err := Parse([]byte(tc.text), "t.toml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(f, []byte("filed\n"), 0o600)
	text := strings.Replace(minimal, `client_secret = "s3cret"`, `client_secret_file = "`+f+`"`, 1)
	c, err := Parse([]byte(text), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.AcountPay.ClientSecret != "filed" {
		t.Fatalf("secret = %q", c.AcountPay.ClientSecret)
	}
}

// Any file content gives a config or an error; never a panic, and a parsed config is
// always valid (the checks cannot be bypassed).
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("[terminal]\ncurrency = 1\n"))
	f.Add([]byte("[[x]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.toml")
		if err != nil {
			return
		}
		if lo, hi := c.Bounds(); lo <= 0 || lo > hi {
			t.Fatalf("accepted bounds %d..%d", lo, hi)
		}
		if len(c.Providers.Enabled) == 0 {
			t.Fatal("accepted a config without providers")
		}
	})
}
