// Package config reads and validates terminald's TOML configuration.
//
// The file is composed of sections, each owned by the package it configures: its toml
// tags are the keys, its defaults the values of keys left out, its Validate the check.
// A payment provider's section is that package's Config, given to Parse through
// Options.Providers (cmd/terminald's registry); the hardware sections are
// display.Section, keypad.Section, keypad.ScannerSection, printer.Section and buzzer.Section; the
// engine's keys of [terminal] are flow.Section, embedded in Terminal next to the
// daemon's own keys; [ecr] is register.Section (package ecr/register); the daemon's
// own sections (providers, admin, http, webhooks) are here. Decoding is strict: an unknown key is refused with its name.
//
// Validation is complete at start and reports every problem at once, each naming the
// TOML key and the bad value: `terminald check-config` and `terminald run` share
// this one path (Parse), so the check says "ok" exactly when the daemon starts.
//
// Secrets (string fields tagged secret:"true") may be given inline, as KEY_file =
// "/path", or (the systemd way) as a credential named SECTION_KEY in the credentials
// directory (Options.Credentials, else $CREDENTIALS_DIRECTORY, else
// /etc/terminald/credentials, where the unit's LoadCredential= lines point).
// Values left from terminald.example.toml ("your-client-id", an all-zero merchant id,
// "...") in an enabled provider's section or the ecr section are refused as
// placeholders (errors.Is(err, ErrPlaceholder)).
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
	"github.com/terminald/terminald/admin"
	"github.com/terminald/terminald/ecr/register"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/hw/buzzer"
	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/hw/keypad"
	"github.com/terminald/terminald/hw/printer"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/pin"
)

// DefaultPath is where the daemon looks for its configuration.
const DefaultPath = "/etc/terminald/terminald.toml"

// DefaultCredentialsDir is where the systemd unit's LoadCredential= lines point; the
// credentials directory when neither Options.Credentials nor $CREDENTIALS_DIRECTORY is set.
const DefaultCredentialsDir = "/etc/terminald/credentials"

// ErrPlaceholder marks a value left from terminald.example.toml.
var ErrPlaceholder = errors.New("placeholder from terminald.example.toml")

// Duration is a time.Duration written as a Go duration string ("30s", "24h").
type Duration struct{ time.Duration }

// UnmarshalText parses a duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration (use e.g. \"30s\", \"5m\", \"24h\"): %q", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Section is one package's configuration section, decoded from its TOML table.
type Section interface {
	// Validate reports every bad value at once (errors.Join), each error naming the
	// TOML key (SECTION.KEY) and the value.
	Validate() error
}

// ProviderSection describes one provider's section for Parse.
type ProviderSection struct {
	Name string         // TOML table and providers.enabled entry, e.g. "acountpay"
	New  func() Section // a pointer to a fresh Config holding the package's defaults
}

// Options are the parts of the schema and environment that Parse does not own.
type Options struct {
	// Providers are the known provider sections, in the order they are documented.
	Providers []ProviderSection
	// Credentials is the systemd credentials directory; "" means $CREDENTIALS_DIRECTORY,
	// else DefaultCredentialsDir.
	Credentials string
}

// Config is the whole configuration file.
type Config struct {
	Terminal  Terminal              `toml:"terminal"`
	Providers Providers             `toml:"providers"`
	Display   display.Section       `toml:"display"`
	Keypad    keypad.Section        `toml:"keypad"`
	Scanner   keypad.ScannerSection `toml:"scanner"`
	Printer   printer.Section       `toml:"printer"`
	Buzzer    buzzer.Section        `toml:"buzzer"`
	ECR       register.Section      `toml:"ecr"`
	Admin     Admin                 `toml:"admin"`
	HTTP      HTTP                  `toml:"http"`
	Webhooks  Webhooks              `toml:"webhooks"`

	// Provider holds the validated section of every enabled provider, by name; each is
	// the pointer ProviderSection.New returned (e.g. *acountpay.Config).
	Provider map[string]Section `toml:"-"`
}

// MaxStopSettle bounds terminal.stop_settle: the settle time plus the engine's own stop
// must end well within the unit's TimeoutStopSec=90s.
const MaxStopSettle = 60 * time.Second

// Terminal is the [terminal] section: the engine's keys (flow.Section: identity, amount
// limits, language, prompts, late payments) and the daemon's own.
type Terminal struct {
	flow.Section
	StateDir   string   `toml:"state_dir"`   // bbolt database directory
	Retention  Duration `toml:"retention"`   // prune final payments older than this
	StopSettle Duration `toml:"stop_settle"` // on stop, let payments in flight settle this long
	LogLevel   string   `toml:"log_level"`   // debug, info, warn, error
}

// Providers chooses the enabled providers and the names the terminal shows for them.
type Providers struct {
	Enabled []string `toml:"enabled"` // in keypad order; the first is the register's default
	// Names are the providers' display names on screens and receipts by provider
	// ("cryptogw" = "ForumPay"), over locale.DefaultBrands ("AcountPay", "Accrue",
	// "Crypto"); a key must be a known provider.
	Names map[string]string `toml:"names"`
}

// MaxProviderName bounds a providers.names entry: it must fit a screen line and a
// receipt's column next to its label.
const MaxProviderName = 20

// checkNames reports bad providers.names entries: an unknown provider, an empty or
// overlong name, a control character.
func (p Providers) checkNames(known map[string]ProviderSection) []error {
	var errs []error
	for _, id := range sortedKeys(p.Names) {
		name := p.Names[id]
		if _, ok := known[id]; !ok {
			errs = append(errs, fmt.Errorf("providers.names: unknown provider %q", id))
		}
		switch n := len([]rune(strings.TrimSpace(name))); {
		case n == 0:
			errs = append(errs, fmt.Errorf("providers.names.%s: must not be empty", id))
		case n > MaxProviderName:
			errs = append(errs, fmt.Errorf("providers.names.%s: %q: at most %d characters", id, name, MaxProviderName))
		}
		if strings.IndexFunc(name, unicode.IsControl) >= 0 {
			errs = append(errs, fmt.Errorf("providers.names.%s: %q: no control characters", id, name))
		}
	}
	return errs
}

// Admin configures the local admin socket.
type Admin struct {
	Socket string `toml:"socket"`
	Group  string `toml:"group"`
	// ManagerPINHash is the manager PIN's argon2id hash (package pin), as
	// `terminald set-pin` prints it; no PIN is asked when empty.
	ManagerPINHash string `toml:"manager_pin_hash"`
	// Admins may run the commands that move money or paper (refund, reprint,
	// end-of-day) besides root and the daemon's user: user names, uids, "%GROUP" or
	// "%GID" (admin.ParseAccess).
	Admins []string `toml:"admins"`
}

// HTTP configures the optional metrics/health endpoint.
type HTTP struct {
	Listen string `toml:"listen"` // "" = off; e.g. "127.0.0.1:9120"
}

// Webhooks configures the optional webhook receiver.
type Webhooks struct {
	Listen string `toml:"listen"` // "" = off
}

// Default returns the daemon's own sections as they are when a key is not set.
func Default() Config {
	return Config{
		Terminal: Terminal{Section: flow.DefaultSection(), StateDir: "/var/lib/terminald", Retention: Duration{90 * 24 * time.Hour},
			StopSettle: Duration{20 * time.Second}, LogLevel: "info"},
		Providers: Providers{Enabled: []string{"acountpay"}},
		Display:   display.DefaultSection(),
		Keypad:    keypad.DefaultSection(),
		Scanner:   keypad.DefaultScannerSection(),
		Printer:   printer.DefaultSection(),
		Buzzer:    buzzer.DefaultSection(),
		ECR:       register.DefaultSection(),
		Admin:     Admin{Socket: "/run/terminald/admin.sock"},
	}
}

// Error is a refused configuration: every problem found, each naming its key.
type Error struct {
	File     string
	Problems []error
}

// Error lists the problems, one a line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config: %s:", e.File)
	if len(e.Problems) == 1 {
		return b.String() + " " + e.Problems[0].Error()
	}
	fmt.Fprintf(&b, " %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.Error())
	}
	return b.String()
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (e *Error) Unwrap() []error { return e.Problems }

// Load reads, fills in and validates the file at path.
func Load(path string, opt Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path, opt)
}

// Parse decodes and validates configuration text; name is used in messages. The
// error, when not nil, is an *Error listing every problem.
func Parse(data []byte, name string, opt Options) (*Config, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, &Error{File: name, Problems: []error{err}}
	}
	var tables map[string]toml.Primitive
	md, err := toml.Decode(string(data), &tables)
	if err != nil {
		return nil, &Error{File: name, Problems: []error{err}}
	}
	c := Default()
	own := map[string]any{"terminal": &c.Terminal, "providers": &c.Providers, "display": &c.Display, "keypad": &c.Keypad,
		"scanner": &c.Scanner, "printer": &c.Printer, "buzzer": &c.Buzzer, "ecr": &c.ECR, "admin": &c.Admin, "http": &c.HTTP, "webhooks": &c.Webhooks}
	kinds := map[string]ProviderSection{}
	sections := map[string]any{}
	for name, dst := range own {
		sections[name] = dst
	}
	for _, k := range opt.Providers {
		kinds[k.Name] = k
		sections[k.Name] = k.New()
	}
	var errs []error
	failed := map[string]bool{} // sections whose decoding stopped at a bad value
	for _, name := range sortedKeys(tables) {
		dst, ok := sections[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown key", name))
			continue
		}
		if _, isTable := raw[name].(map[string]any); !isTable {
			errs = append(errs, fmt.Errorf("%s: a [%s] table, not a value", name, name))
			continue
		}
		if err := md.PrimitiveDecode(tables[name], dst); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			failed[name] = true
		}
	}
	creds := opt.Credentials
	if creds == "" {
		creds = os.Getenv("CREDENTIALS_DIRECTORY")
	}
	if creds == "" {
		creds = DefaultCredentialsDir
	}
	consumed := map[string]bool{}
	for _, name := range sortedKeys(sections) {
		table, _ := raw[name].(map[string]any)
		errs = append(errs, resolveSecrets(name, sections[name], table, md, creds, consumed)...)
	}
	for _, k := range md.Undecoded() {
		// The keys after a bad value were not decoded: they are not unknown.
		if _, known := sections[k[0]]; known && !consumed[k.String()] && !failed[k[0]] {
			errs = append(errs, fmt.Errorf("%s: unknown key", k))
		}
	}
	errs = append(errs, c.validate()...)
	c.Provider = map[string]Section{}
	for _, p := range c.Providers.Enabled {
		if _, ok := kinds[p]; !ok {
			continue // reported below
		}
		sec := sections[p].(Section)
		errs = append(errs, flatten(sec.Validate())...)
		errs = append(errs, placeholders(p, sec)...)
		c.Provider[p] = sec
	}
	if c.ECR.Listen != "" {
		errs = append(errs, placeholders("ecr", &c.ECR)...)
	}
	errs = append(errs, c.Providers.checkNames(kinds)...)
	if len(c.Providers.Enabled) > 0 {
		known := make([]string, 0, len(opt.Providers))
		for _, k := range opt.Providers {
			known = append(known, k.Name)
		}
		seen := map[string]bool{}
		for _, p := range c.Providers.Enabled {
			if seen[p] {
				errs = append(errs, fmt.Errorf("providers.enabled: %q listed twice", p))
			}
			seen[p] = true
			if _, ok := kinds[p]; !ok {
				errs = append(errs, fmt.Errorf("providers.enabled: unknown provider %q (%s)", p, strings.Join(known, ", ")))
			}
		}
	}
	if len(errs) > 0 {
		return nil, &Error{File: name, Problems: errs}
	}
	return &c, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// flatten turns an errors.Join into its parts.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// eachKey calls fn for every field of the struct sec points to that has a TOML key
// (embedded structs are flattened, as the decoder does).
func eachKey(sec any, fn func(key string, f reflect.StructField, v reflect.Value)) {
	v := reflect.ValueOf(sec)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(v.Field(i))
				continue
			}
			if key, _, _ := strings.Cut(f.Tag.Get("toml"), ","); key != "" && key != "-" && f.IsExported() {
				fn(key, f, v.Field(i))
			}
		}
	}
	walk(v.Elem())
}

// isSecret reports whether f is a secret string field.
func isSecret(f reflect.StructField) bool {
	return f.Tag.Get("secret") == "true" && f.Type.Kind() == reflect.String
}

// secretFields returns the secret fields of the struct behind sec, by TOML key.
func secretFields(sec any) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	eachKey(sec, func(key string, f reflect.StructField, v reflect.Value) {
		if isSecret(f) {
			out[key] = v
		}
	})
	return out
}

// resolveSecrets fills the secret fields of one section: inline value, else KEY_file,
// else the credential SECTION_KEY in creds, else the default. It marks the KEY_file
// keys it read in consumed.
func resolveSecrets(section string, sec any, table map[string]any, md toml.MetaData, creds string, consumed map[string]bool) []error {
	var errs []error
	fields := secretFields(sec)
	for _, key := range sortedKeys(fields) {
		field := fields[key]
		fileKey := key + "_file"
		fileVal, hasFile := table[fileKey]
		if hasFile {
			consumed[section+"."+fileKey] = true
		}
		inline := md.IsDefined(section, key)
		switch {
		case inline && hasFile:
			errs = append(errs, fmt.Errorf("%s.%s and %s.%s are both set: keep one", section, key, section, fileKey))
		case inline:
		case hasFile:
			path, ok := fileVal.(string)
			if !ok {
				errs = append(errs, fmt.Errorf("%s.%s: %v: want a file name (a string)", section, fileKey, fileVal))
				continue
			}
			b, err := os.ReadFile(path)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.%s: %q: %w", section, fileKey, path, unwrapPath(err)))
				continue
			}
			field.SetString(strings.TrimSpace(string(b)))
		default:
			cred := filepath.Join(creds, section+"_"+key)
			b, err := os.ReadFile(cred)
			switch {
			case err == nil:
				// The unit gives every known credential a blank fallback: blank means not set.
				if v := strings.TrimSpace(string(b)); v != "" {
					field.SetString(v)
				}
			case errors.Is(err, fs.ErrNotExist):
			default:
				errs = append(errs, fmt.Errorf("%s.%s: credential %s: %w (run as root or as a member of the terminald group, or give --credentials DIR)",
					section, key, cred, unwrapPath(err)))
			}
		}
	}
	return errs
}

// unwrapPath drops the *fs.PathError wrapper whose path the message already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// placeholders reports string values of sec left from terminald.example.toml.
func placeholders(section string, sec any) []error {
	var errs []error
	eachKey(sec, func(key string, f reflect.StructField, v reflect.Value) {
		if f.Type.Kind() != reflect.String || !IsPlaceholder(v.String()) {
			return
		}
		shown := strconv.Quote(v.String())
		if isSecret(f) {
			shown = "the value"
		}
		errs = append(errs, fmt.Errorf("%s.%s: %s is a %w: set your own", section, key, shown, ErrPlaceholder))
	})
	return errs
}

// IsPlaceholder reports whether s is one of the placeholder forms terminald.example.toml
// uses: "your-…", "..." alone, an all-zero UUID.
func IsPlaceholder(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "your-") || s == "..." || s == "…" || s == "00000000-0000-0000-0000-000000000000"
}

// validate checks the daemon's own sections.
func (c *Config) validate() []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	positive := func(key string, d Duration) {
		if d.Duration <= 0 {
			bad("%s: %q: must be a positive duration", key, d.Duration.String())
		}
	}
	t := &c.Terminal
	errs = append(errs, flatten(t.Section.Validate())...)
	if cur, err := money.Lookup(t.Currency); err == nil {
		t.Currency = cur.Code
	}
	if t.StateDir == "" {
		bad("terminal.state_dir: must not be empty")
	}
	positive("terminal.retention", t.Retention)
	positive("terminal.stop_settle", t.StopSettle)
	if t.StopSettle.Duration > MaxStopSettle {
		bad("terminal.stop_settle: %v: at most %v, so that a stop ends before systemd's TimeoutStopSec (90s) kills it", t.StopSettle.Duration, MaxStopSettle)
	}
	switch t.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("terminal.log_level: %q: one of debug, info, warn, error", t.LogLevel)
	}
	if len(c.Providers.Enabled) == 0 {
		bad("providers.enabled: enable at least one provider")
	}

	// The hardware sections are their packages' own.
	for _, sec := range []Section{c.Display, c.Keypad, c.Scanner, c.Printer, c.Buzzer} {
		errs = append(errs, flatten(sec.Validate())...)
	}
	if c.Buzzer.Driver == "printer" && c.Printer.Driver == "none" {
		bad("buzzer.driver: \"printer\": no receipt printer configured (printer.driver = \"none\")")
	}

	errs = append(errs, flatten(c.ECR.Validate())...)
	if c.Admin.Socket == "" {
		bad("admin.socket: must not be empty")
	}
	if h := c.Admin.ManagerPINHash; h != "" {
		if err := pin.ParseHash(h); err != nil {
			bad("admin.manager_pin_hash: %v (make one with terminald set-pin)", err)
		}
	}
	if _, err := admin.ParseAccess(c.Admin.Admins); err != nil {
		bad("admin.%v", err)
	}
	for key, v := range map[string]string{"http.listen": c.HTTP.Listen, "webhooks.listen": c.Webhooks.Listen} {
		if v != "" {
			if err := register.CheckListen(v); err != nil {
				bad("%s: %q: %v", key, v, err)
			}
		}
	}
	return errs
}

// Bounds returns the configured amount limits in minor units.
func (c *Config) Bounds() (minMinor, maxMinor int64) { return c.Terminal.Bounds() }

// Key is one key of the configuration file's schema.
type Key struct {
	Name string // SECTION.KEY
	// Default is the value when the key is left out, as TOML decodes it (string,
	// int64, bool, []any; durations as strings); nil when there is none (an empty
	// string or list, or a default that depends on other keys).
	Default any
	Secret  bool // also accepted as KEY_file and as the systemd credential SECTION_KEY
}

// Schema lists every key the file may hold, section by section in file order.
func Schema(opt Options) []Key {
	c := Default()
	type sec struct {
		name string
		v    any
	}
	secs := []sec{{"terminal", &c.Terminal}, {"providers", &c.Providers}}
	for _, p := range opt.Providers {
		secs = append(secs, sec{p.Name, p.New()})
	}
	secs = append(secs, []sec{{"display", &c.Display}, {"keypad", &c.Keypad}, {"scanner", &c.Scanner}, {"printer", &c.Printer},
		{"buzzer", &c.Buzzer}, {"ecr", &c.ECR}, {"admin", &c.Admin}, {"http", &c.HTTP}, {"webhooks", &c.Webhooks}}...)
	var out []Key
	for _, s := range secs {
		var buf strings.Builder
		defaults := map[string]any{}
		if err := toml.NewEncoder(&buf).Encode(s.v); err == nil {
			toml.Decode(buf.String(), &defaults)
		}
		eachKey(s.v, func(key string, f reflect.StructField, _ reflect.Value) {
			k := Key{Name: s.name + "." + key, Secret: isSecret(f), Default: defaults[key]}
			switch d := k.Default.(type) {
			case string:
				if d == "" {
					k.Default = nil
				}
			case []any:
				if len(d) == 0 {
					k.Default = nil
				}
			}
			out = append(out, k)
		})
	}
	return out
}
