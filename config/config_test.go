package config

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// demo is a provider section as a provider package defines it.
type demo struct {
	BaseURL string        `toml:"base_url"`
	Token   string        `toml:"token" secret:"true"`
	User    string        `toml:"user"`
	Timeout time.Duration `toml:"timeout"`
}

func (d demo) Validate() error {
	var errs []error
	if !strings.HasPrefix(d.BaseURL, "http") {
		errs = append(errs, fmt.Errorf("demo.base_url: %q is not a URL", d.BaseURL))
	}
	if d.Token == "" {
		errs = append(errs, errors.New("demo.token: required"))
	}
	if d.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("demo.timeout: %v: must be positive", d.Timeout))
	}
	return errors.Join(errs...)
}

func opts(creds string) Options {
	return Options{Credentials: creds, Providers: []ProviderSection{
		{Name: "demo", New: func() Section { return &demo{Timeout: 10 * time.Second} }},
		{Name: "other", New: func() Section { return &demo{Timeout: 10 * time.Second} }},
	}}
}

const minimal = `
[terminal]
currency = "DKK"
[providers]
enabled = ["demo"]
[demo]
base_url = "http://127.0.0.1:1"
token = "s3cret"
`

func parse(t *testing.T, text string) (*Config, error) {
	t.Helper()
	return Parse([]byte(text), "t.toml", opts(t.TempDir()))
}

func TestMinimal(t *testing.T) {
	c, err := parse(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	d := c.Provider["demo"].(*demo)
	if d.Token != "s3cret" || d.Timeout != 10*time.Second {
		t.Fatalf("demo section = %+v", d)
	}
	if lo, hi := c.Bounds(); lo != 1 || hi != 1000000 {
		t.Fatalf("bounds = %d..%d", lo, hi)
	}
}

// providers.names gives the display names; a provider not enabled may be named too.
func TestProviderNames(t *testing.T) {
	c, err := parse(t, strings.Replace(minimal, "[providers]\n", "[providers]\nnames = { demo = \"Demo Pay\", other = \"Other\" }\n", 1))
	if err != nil {
		t.Fatal(err)
	}
	if c.Providers.Names["demo"] != "Demo Pay" || c.Providers.Names["other"] != "Other" {
		t.Fatalf("names = %v", c.Providers.Names)
	}
}

// Each refused value is reported with its key and the value.
func TestErrorsNameKeyAndValue(t *testing.T) {
	logo := filepath.Join(t.TempDir(), "logo.txt")
	os.WriteFile(logo, []byte("not a png"), 0o600)
	set := func(section, kv string) string {
		return strings.Replace(minimal, "["+section+"]\n", "["+section+"]\n"+kv+"\n", 1)
	}
	add := func(text string) string { return minimal + "\n" + text + "\n" }
	for _, tc := range []struct{ name, text, key, value string }{
		{"unknown key", add("[printer]\nwidht = 58"), "printer.widht", "unknown key"},
		{"unknown section", add("[printr]\nwidth = 58"), "printr", "unknown key"},
		{"wrong type", strings.Replace(minimal, `currency = "DKK"`, `currency = 208`, 1), "terminal", "currency"},
		{"provider value", strings.Replace(minimal, `http://127.0.0.1:1`, `nope`, 1), "demo.base_url", `"nope"`},
		{"missing credential", strings.Replace(minimal, `token = "s3cret"`, "", 1), "demo.token", "required"},
		{"unknown provider", strings.Replace(minimal, `["demo"]`, `["demo", "paypal"]`, 1), "providers.enabled", `"paypal"`},
		{"provider twice", strings.Replace(minimal, `["demo"]`, `["demo", "demo"]`, 1), "providers.enabled", "twice"},
		{"bad duration", set("terminal", `watch_window = "soon"`), "watch_window", "soon"},
		{"zero duration", set("terminal", `retention = "0s"`), "terminal.retention", `"0s"`},
		{"negative duration", add("[display]\ndim_after = \"-5s\""), "display.dim_after", `"-5s"`},
		{"zero provider duration", set("demo", `timeout = "0s"`), "demo.timeout", "0s"},
		{"bad amount", set("terminal", `max_amount = "12.345"`), "terminal.max_amount", `"12.345"`},
		{"ecr password", add("[ecr]\nlisten = \"tcp://127.0.0.1:20007\"\npassword = \"12\""), "ecr.password", "6 digits"},
		{"ecr port", add("[ecr]\nlisten = \"tcp://0.0.0.0:70000\""), "ecr.listen", `"70000"`},
		{"http port", add("[http]\nlisten = \"127.0.0.1:65536\""), "http.listen", `"127.0.0.1:65536"`},
		{"http nonsense", add("[http]\nlisten = \"nonsense\""), "http.listen", `"nonsense"`},
		{"webhooks nonsense", add("[webhooks]\nlisten = \"x\""), "webhooks.listen", `"x"`},
		{"stop bits", add("[printer]\nstop_bits = 3"), "printer.stop_bits", "3"},
		{"name of unknown provider", set("providers", `names = { paypal = "PayPal" }`), "providers.names", `"paypal"`},
		{"empty provider name", set("providers", `names = { demo = " " }`), "providers.names.demo", "empty"},
		{"long provider name", set("providers", `names = { demo = "A Very Long Provider Name" }`), "providers.names.demo", "20 characters"},
		{"printer baud", add("[printer]\nbaud = 12345"), "printer.baud", "12345"},
		{"qr size", add("[printer]\nqr_module_size = 40"), "printer.qr_module_size", "40"},
		{"status timeout", add("[printer]\nstatus_timeout = \"0s\""), "printer.status_timeout", `"0s"`},
		{"missing logo", add("[printer]\nlogo = \"/nonexistent/logo.png\""), "printer.logo", `"/nonexistent/logo.png"`},
		{"logo not png", add("[printer]\nlogo = \"" + logo + "\""), "printer.logo", "unknown format"},
		{"keymap size", add("[keypad]\ndriver = \"matrix\"\nrows = [\"A\",\"B\",\"C\",\"D\"]\ncols = [\"E\",\"F\",\"G\"]\nkeymap = \"123A/456B/789C/*0#D\""), "keypad.keymap", `"123A/456B/789C/*0#D"`},
		{"evdev keys unknown key", add("[keypad]\ndriver = \"evdev\"\ndevice = \"/dev/input/event0\"\nkeys = [\"KPSLASH=cancel\", \"KPDIVIDE=clear\"]"), "keypad.keys[1]", `"KPDIVIDE"`},
		{"evdev keys no cancel", add("[keypad]\ndriver = \"evdev\"\ndevice = \"/dev/input/event0\"\nkeys = [\"KPSLASH=menu\"]"), "keypad.keys", "cancel"},
		{"keys on a matrix", add("[keypad]\ndriver = \"matrix\"\nrows = [\"A\",\"B\",\"C\",\"D\"]\ncols = [\"E\",\"F\",\"G\"]\nkeys = [\"KPSLASH=cancel\"]"), "keypad.keys", `only for driver "evdev"`},
		{"matrix rows", add("[keypad]\ndriver = \"matrix\"\nrows = [\"A\"]\ncols = [\"E\",\"F\",\"G\"]"), "keypad.rows/cols", "1 rows"},
		{"display size", add("[display]\ndriver = \"st7789\"\nwidth = 480\nheight = 320"), "display.width/height", "480x320"},
		{"display size ili9341", add("[display]\ndriver = \"ili9341\"\nwidth = 240\nheight = 240"), "display.width/height", "240x240"},
		{"display rotation", add("[display]\ndriver = \"st7789\"\nrotation = 45"), "display.rotation", "45"},
		{"display speed", add("[display]\ndriver = \"st7789\"\nspeed_hz = -1"), "display.speed_hz", "-1"},
		{"display transfer gap", add("[display]\ndriver = \"st7789\"\nspi_transfer_gap = \"2ms\""), "display.spi_transfer_gap", `"2ms"`},
		{"placeholder", set("demo", `user = "your-user"`), "demo.user", `"your-user"`},
		{"placeholder secret", strings.Replace(minimal, `"s3cret"`, `"..."`, 1), "demo.token", "placeholder"},
		{"language", set("terminal", `language = "fr"`), "terminal.language", `"fr"`},
		{"time zone", set("terminal", `timezone = "Europe/Kopenhagen"`), "terminal.timezone", `"Europe/Kopenhagen"`},
		{"buzzer without printer", add("[buzzer]\ndriver = \"printer\""), "buzzer.driver", "no receipt printer"},
		{"buzzer gpio pin", add("[buzzer]\ndriver = \"gpio\""), "buzzer.pin", "missing"},
		{"buzzer length", add("[buzzer]\nlength = \"2s\""), "buzzer.length", `"2s"`},
		{"pin hash", add("[admin]\nmanager_pin_hash = \"4711\""), "admin.manager_pin_hash", "argon2id"},
		{"admin unknown user", add("[admin]\nadmins = [\"0\", \"no-such-user-xq\"]"), "admin.admins[1]", `"no-such-user-xq"`},
		{"admin unknown group", add("[admin]\nadmins = [\"%no-such-group-xq\"]"), "admin.admins[0]", `"%no-such-group-xq"`},
		{"admin empty entry", add("[admin]\nadmins = [\"\"]"), "admin.admins[0]", "user name"},
		{"table as value", "http = 3\n" + minimal, "http", "table"},
		{"top-level key", "foo = 1\n" + minimal, "foo", "unknown key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.text)
			if err == nil {
				t.Fatal("accepted")
			}
			var line string
			for _, e := range err.(*Error).Problems {
				if strings.Contains(e.Error(), tc.key) {
					line = e.Error()
				}
			}
			if line == "" || !strings.Contains(line, tc.value) {
				t.Errorf("error = %v\nwant a line naming %s and %s", err, tc.key, tc.value)
			}
		})
	}
}

// admin.admins takes user names, uids and groups (%NAME or %GID).
func TestAdminAdmins(t *testing.T) {
	c, err := parse(t, minimal+"\n[admin]\nadmins = [\"root\", \"1001\", \"%0\", \"%root\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"root", "1001", "%0", "%root"}; !slices.Equal(c.Admin.Admins, want) {
		t.Errorf("admin.admins = %q, want %q", c.Admin.Admins, want)
	}
}

// A file with many mistakes gets them all in one answer.
func TestAllErrorsAtOnce(t *testing.T) {
	text := strings.Replace(minimal, `http://127.0.0.1:1`, `nope`, 1) + "\n[printer]\nstop_bits = 3\nwidht = 1\n[http]\nlisten = \"nonsense\"\n"
	_, err := parse(t, text)
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != 4 {
		t.Fatalf("want 4 problems, got %v", err)
	}
}

// A disabled provider's section is checked for unknown keys but not validated.
func TestDisabledProviderSection(t *testing.T) {
	if _, err := parse(t, minimal+"\n[other]\nuser = \"x\"\n"); err != nil {
		t.Fatalf("incomplete disabled section refused: %v", err)
	}
	if _, err := parse(t, minimal+"\n[other]\nusr = \"x\"\n"); err == nil || !strings.Contains(err.Error(), "other.usr: unknown key") {
		t.Fatalf("unknown key in a disabled section: %v", err)
	}
}

func TestSecretFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(f, []byte("filed\n"), 0o600)
	text := strings.Replace(minimal, `token = "s3cret"`, `token_file = "`+f+`"`, 1)
	c, err := parse(t, text)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Provider["demo"].(*demo).Token; got != "filed" {
		t.Fatalf("secret = %q", got)
	}
	_, err = parse(t, strings.Replace(minimal, `token = "s3cret"`, `token = "a"`+"\n"+`token_file = "`+f+`"`, 1))
	if err == nil || !strings.Contains(err.Error(), "demo.token and demo.token_file are both set") {
		t.Fatalf("both set: %v", err)
	}
	_, err = parse(t, strings.Replace(minimal, `token = "s3cret"`, `token_file = "/nonexistent/x"`, 1))
	if err == nil || !strings.Contains(err.Error(), `demo.token_file: "/nonexistent/x"`) {
		t.Fatalf("missing file: %v", err)
	}
	// Only secrets have a _file form.
	if _, err = parse(t, strings.Replace(minimal, `base_url =`, `base_url_file = "/x"`+"\nbase_url =", 1)); err == nil || !strings.Contains(err.Error(), "demo.base_url_file: unknown key") {
		t.Fatalf("base_url_file: %v", err)
	}
}

// The credentials directory given (as check-config --credentials or systemd's
// $CREDENTIALS_DIRECTORY) fills secrets not set in the file; a blank credential is unset.
func TestSecretFromCredentials(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "demo_token"), []byte("from-credential\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "ecr_password"), []byte("\n"), 0o600)
	text := strings.Replace(minimal, `token = "s3cret"`, "", 1) + "\n[ecr]\nlisten = \"tcp://127.0.0.1:0\"\n"
	c, err := Parse([]byte(text), "t.toml", opts(dir))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Provider["demo"].(*demo).Token; got != "from-credential" {
		t.Fatalf("secret = %q", got)
	}
	if c.ECR.Password != "000000" {
		t.Fatalf("blank credential replaced the default: %q", c.ECR.Password)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", dir)
	if _, err := Parse([]byte(text), "t.toml", Options{Providers: opts("").Providers}); err != nil {
		t.Fatalf("$CREDENTIALS_DIRECTORY: %v", err)
	}
}

func TestLogoPNG(t *testing.T) {
	logo := filepath.Join(t.TempDir(), "logo.png")
	f, _ := os.Create(logo)
	png.Encode(f, image.NewGray(image.Rect(0, 0, 8, 8)))
	f.Close()
	if _, err := parse(t, minimal+"\n[printer]\nlogo = \""+logo+"\"\n"); err != nil {
		t.Fatal(err)
	}
}

func TestPlaceholderIsMarked(t *testing.T) {
	_, err := parse(t, strings.Replace(minimal, `"s3cret"`, `"your-token"`, 1))
	if !errors.Is(err, ErrPlaceholder) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "your-token") {
		t.Fatalf("a secret is repeated in the message: %v", err)
	}
}

// Any file content gives a config or an error; never a panic, and a parsed config is
// always valid (the checks cannot be bypassed).
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("[terminal]\ncurrency = 1\n"))
	f.Add([]byte("[[x]]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.toml", opts(dir))
		if err != nil {
			return
		}
		if lo, hi := c.Bounds(); lo <= 0 || lo > hi {
			t.Fatalf("accepted bounds %d..%d", lo, hi)
		}
		if len(c.Providers.Enabled) == 0 || len(c.Provider) != len(c.Providers.Enabled) {
			t.Fatal("accepted a config without providers")
		}
	})
}

func TestIsPlaceholder(t *testing.T) {
	for s, want := range map[string]bool{
		"your-client-id": true, "...": true, "00000000-0000-0000-0000-000000000000": true,
		"Thanks...": false, "m-1": false, "": false, "00000000-0000-0000-0000-000000000001": false,
	} {
		if got := IsPlaceholder(s); got != want {
			t.Errorf("IsPlaceholder(%q) = %v", s, got)
		}
	}
}

// A bad value stops the decoding of its table: the keys after it are not decoded, and
// are not reported as unknown for it (they are known; the bad value is the problem).
func TestKeysAfterABadValueAreNotUnknown(t *testing.T) {
	text := strings.Replace(minimal, "[terminal]\n", "[terminal]\nwatch_window = \"soon\"\nprompt_timeout = \"30s\"\nmin_amount = \"1.00\"\n", 1)
	_, err := parse(t, text)
	if err == nil {
		t.Fatal("bad duration accepted")
	}
	if !strings.Contains(err.Error(), "terminal.watch_window") || strings.Contains(err.Error(), "unknown key") {
		t.Errorf("error %q: want terminal.watch_window named, no unknown key", err)
	}
}
