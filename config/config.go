// Package config reads and validates terminald's TOML configuration.
//
// Validation is complete at start: an unknown key, a value of the wrong type, a missing
// credential or a value out of range is reported with the key's name, and the daemon
// refuses to start. Secrets may be given inline, as KEY_file = "/path", or (the systemd
// way) as a credential named SECTION_KEY in $CREDENTIALS_DIRECTORY
// (LoadCredential=acountpay_client_secret:/etc/terminald/credentials/acountpay_client_secret).
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/terminald/terminald/money"
)

// DefaultPath is where the daemon looks for its configuration.
const DefaultPath = "/etc/terminald/terminald.toml"

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

// Config is the whole configuration file.
type Config struct {
	Terminal  Terminal  `toml:"terminal"`
	Providers Providers `toml:"providers"`
	AcountPay AcountPay `toml:"acountpay"`
	Accrue    Accrue    `toml:"accrue"`
	CryptoGW  CryptoGW  `toml:"cryptogw"`
	Display   Display   `toml:"display"`
	Keypad    Keypad    `toml:"keypad"`
	Scanner   Scanner   `toml:"scanner"`
	Printer   Printer   `toml:"printer"`
	ECR       ECR       `toml:"ecr"`
	Admin     Admin     `toml:"admin"`
	HTTP      HTTP      `toml:"http"`
	Webhooks  Webhooks  `toml:"webhooks"`
}

// Terminal holds the terminal's identity and payment limits.
type Terminal struct {
	ID           string   `toml:"id"`            // terminal id, prefix of payment references
	Merchant     string   `toml:"merchant"`      // merchant name (idle screen, receipts)
	MerchantInfo []string `toml:"merchant_info"` // address lines on receipts
	Currency     string   `toml:"currency"`      // ISO 4217 code
	MinAmount    string   `toml:"min_amount"`    // decimal, e.g. "1.00"
	MaxAmount    string   `toml:"max_amount"`    // decimal, e.g. "10000.00"
	StateDir     string   `toml:"state_dir"`     // bbolt database directory
	Retention    Duration `toml:"retention"`     // prune final payments older than this
	WatchWindow  Duration `toml:"watch_window"`  // watch cancelled payments for late payment this long
	ReverseLate  *bool    `toml:"reverse_late"`  // refund late payments where the provider can
	LogLevel     string   `toml:"log_level"`     // debug, info, warn, error
}

// Providers chooses the enabled providers.
type Providers struct {
	Enabled []string `toml:"enabled"` // in keypad order; the first is the register's default
}

// AcountPay configures the AcountPay provider.
type AcountPay struct {
	BaseURL           string   `toml:"base_url"`
	Variant           string   `toml:"variant"` // "oauth" or "partner"
	ClientID          string   `toml:"client_id"`
	ClientSecret      string   `toml:"client_secret" secret:"true"`
	ClientSecretFile  string   `toml:"client_secret_file"`
	MerchantClientID  string   `toml:"merchant_client_id"`
	WebhookSecret     string   `toml:"webhook_secret" secret:"optional"`
	WebhookSecretFile string   `toml:"webhook_secret_file"`
	WebhookURL        string   `toml:"webhook_url"`
	StoreID           string   `toml:"store_id"`
	RegisterID        string   `toml:"register_id"`
	Description       string   `toml:"description"`
	Expiry            Duration `toml:"expiry"`
	Timeout           Duration `toml:"timeout"`
}

// Accrue configures the Accrue provider.
type Accrue struct {
	BaseURL           string   `toml:"base_url"`
	ClientID          string   `toml:"client_id"`
	ClientSecret      string   `toml:"client_secret" secret:"true"`
	ClientSecretFile  string   `toml:"client_secret_file"`
	WebhookSecret     string   `toml:"webhook_secret" secret:"optional"`
	WebhookSecretFile string   `toml:"webhook_secret_file"`
	Methods           []string `toml:"methods"` // "scan", "phone"
	Timeout           Duration `toml:"timeout"`
	LongTimeout       Duration `toml:"long_timeout"`
}

// CryptoGW configures the crypto payment gateway.
type CryptoGW struct {
	BaseURL                   string   `toml:"base_url"`
	Username                  string   `toml:"username"`
	APIKey                    string   `toml:"api_key" secret:"true"`
	APIKeyFile                string   `toml:"api_key_file"`
	PosID                     string   `toml:"pos_id"`
	Locale                    string   `toml:"locale"`
	User                      string   `toml:"user"`
	Currencies                []string `toml:"currencies"`
	AcceptZeroConfirmations   bool     `toml:"accept_zero_confirmations"`
	RequireKYT                bool     `toml:"require_kyt"`
	AutoAcceptUnderpayment    bool     `toml:"auto_accept_underpayment"`
	AutoAcceptUnderpaymentMin string   `toml:"auto_accept_underpayment_min"`
	AutoAcceptOverpayment     bool     `toml:"auto_accept_overpayment"`
	AutoAcceptOverpaymentMax  string   `toml:"auto_accept_overpayment_max"`
	AutoAcceptLatePayment     bool     `toml:"auto_accept_late_payment"`
	WebhookURL                string   `toml:"webhook_url"`
	Expiry                    Duration `toml:"expiry"`
	Timeout                   Duration `toml:"timeout"`
}

// Display configures the screen.
type Display struct {
	Driver       string   `toml:"driver"` // "st7789", "ili9341", "fbdev", "none"
	SPIPort      string   `toml:"spi_port"`
	SpeedHz      int64    `toml:"speed_hz"`
	DCPin        string   `toml:"dc_pin"`
	ResetPin     string   `toml:"reset_pin"`
	BacklightPin string   `toml:"backlight_pin"`
	Width        int      `toml:"width"`
	Height       int      `toml:"height"`
	Rotation     int      `toml:"rotation"`
	OffsetX      int      `toml:"offset_x"`
	OffsetY      int      `toml:"offset_y"`
	BGR          bool     `toml:"bgr"`
	Invert       *bool    `toml:"invert"`
	Framebuffer  string   `toml:"framebuffer"`
	DimAfter     Duration `toml:"dim_after"`
	SleepAfter   Duration `toml:"sleep_after"`
}

// Keypad configures the keypad.
type Keypad struct {
	Driver string   `toml:"driver"` // "evdev", "matrix", "none"
	Device string   `toml:"device"`
	Rows   []string `toml:"rows"`
	Cols   []string `toml:"cols"`
	Keymap string   `toml:"keymap"`
}

// Scanner configures a USB barcode scanner (an evdev keyboard).
type Scanner struct {
	Device string `toml:"device"`
	Layout string `toml:"layout"` // "us", "de", "dk"
}

// Printer configures the receipt printer.
type Printer struct {
	Driver       string `toml:"driver"` // "serial", "usb", "none"
	Device       string `toml:"device"`
	Baud         int    `toml:"baud"`
	Parity       string `toml:"parity"` // "none", "odd", "even"
	StopBits     int    `toml:"stop_bits"`
	FlowControl  string `toml:"flow_control"` // "none", "pace", "xonxoff"
	Width        int    `toml:"width"`        // paper width in mm: 58 or 80
	CodePage     string `toml:"codepage"`     // "pc858", "cp437", "wpc1252"
	NativeQR     *bool  `toml:"native_qr"`
	Logo         string `toml:"logo"`
	MerchantCopy bool   `toml:"merchant_copy"`
}

// ECR configures the cash-register link (ZVT).
type ECR struct {
	Listen     string `toml:"listen"` // "tcp://0.0.0.0:20007", "serial:/dev/ttyUSB1", "" = off
	Baud       int    `toml:"baud"`
	Password   string `toml:"password" secret:"optional"`
	TerminalID string `toml:"terminal_id"` // 8 digits (BMP 29)
}

// Admin configures the local admin socket.
type Admin struct {
	Socket string `toml:"socket"`
	Group  string `toml:"group"`
}

// HTTP configures the optional metrics/health endpoint.
type HTTP struct {
	Listen string `toml:"listen"` // "" = off; e.g. "127.0.0.1:9120"
}

// Webhooks configures the optional webhook receiver.
type Webhooks struct {
	Listen string `toml:"listen"` // "" = off
}

// Default returns the configuration used when a key is not set.
func Default() Config {
	return Config{
		Terminal: Terminal{ID: "T1", Merchant: "terminald", Currency: "EUR", MinAmount: "0.01", MaxAmount: "10000.00",
			StateDir: "/var/lib/terminald", Retention: Duration{90 * 24 * time.Hour}, WatchWindow: Duration{24 * time.Hour}, LogLevel: "info"},
		Providers: Providers{Enabled: []string{"acountpay"}},
		AcountPay: AcountPay{Variant: "oauth", Expiry: Duration{30 * time.Minute}, Timeout: Duration{10 * time.Second}},
		Accrue:    Accrue{Methods: []string{"scan", "phone"}, Timeout: Duration{10 * time.Second}, LongTimeout: Duration{90 * time.Second}},
		CryptoGW:  CryptoGW{PosID: "terminald", Currencies: []string{"BTC"}, Expiry: Duration{5 * time.Minute}, Timeout: Duration{10 * time.Second}},
		Display:   Display{Driver: "none", SPIPort: "/dev/spidev0.0", SpeedHz: 40_000_000, DCPin: "GPIO25", ResetPin: "GPIO27", BacklightPin: "GPIO18", Width: 240, Height: 320, Framebuffer: "/dev/fb1", DimAfter: Duration{60 * time.Second}, SleepAfter: Duration{10 * time.Minute}},
		Keypad:    Keypad{Driver: "none", Keymap: "123A/456B/789C/*0#D"},
		Scanner:   Scanner{Layout: "us"},
		Printer:   Printer{Driver: "none", Baud: 19200, StopBits: 1, Parity: "none", FlowControl: "pace", Width: 58, CodePage: "pc858"},
		ECR:       ECR{Baud: 9600, Password: "000000", TerminalID: "12345678"},
		Admin:     Admin{Socket: "/run/terminald/admin.sock"},
	}
}

// Load reads, fills in and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes and validates configuration text; name is used in messages.
func Parse(data []byte, name string) (*Config, error) {
	c := Default()
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	var errs []error
	if und := md.Undecoded(); len(und) > 0 {
		for _, k := range und {
			errs = append(errs, fmt.Errorf("unknown key %q", k.String()))
		}
	}
	errs = append(errs, c.validate(md)...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("config: %s: %w", name, errors.Join(errs...))
	}
	return &c, nil
}

// Secrets is what loadSecret reads besides the TOML: the credentials directory.
func credentialsDir() string { return os.Getenv("CREDENTIALS_DIRECTORY") }

// secret resolves a secret: inline value, else KEY_file, else the systemd credential
// SECTION_KEY. required: a missing secret is an error naming the key.
func secret(section, key, inline, file string, required bool) (string, error) {
	if inline != "" && file != "" {
		return "", fmt.Errorf("%s.%s and %s.%s_file are both set: keep one", section, key, section, key)
	}
	if inline != "" {
		return inline, nil
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s.%s_file: %w", section, key, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if dir := credentialsDir(); dir != "" {
		// The unit gives every known credential a blank fallback: blank means not set.
		if b, err := os.ReadFile(filepath.Join(dir, section+"_"+key)); err == nil && strings.TrimSpace(string(b)) != "" {
			return strings.TrimSpace(string(b)), nil
		}
	}
	if required {
		return "", fmt.Errorf("missing credential %s.%s (set it, %s.%s_file, or the systemd credential %s_%s)", section, key, section, key, section, key)
	}
	return "", nil
}

func (c *Config) validate(md toml.MetaData) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	t := &c.Terminal
	cur, err := money.Lookup(t.Currency)
	if err != nil {
		bad("terminal.currency: unknown ISO 4217 code %q", t.Currency)
	} else {
		t.Currency = cur.Code
		minA, err1 := money.Parse(t.MinAmount, cur.Code)
		maxA, err2 := money.Parse(t.MaxAmount, cur.Code)
		if err1 != nil {
			bad("terminal.min_amount: %v", err1)
		}
		if err2 != nil {
			bad("terminal.max_amount: %v", err2)
		}
		if err1 == nil && err2 == nil && (minA.Minor <= 0 || minA.Minor > maxA.Minor || maxA.Minor > money.MaxMinor) {
			bad("terminal.min_amount/max_amount: need 0 < min ≤ max ≤ 9999999999.99, got %s and %s", t.MinAmount, t.MaxAmount)
		}
	}
	if t.ID == "" || strings.ContainsAny(t.ID, " /\\") || len(t.ID) > 16 {
		bad("terminal.id: 1-16 characters without spaces or slashes, got %q", t.ID)
	}
	if t.StateDir == "" {
		bad("terminal.state_dir: must not be empty")
	}
	switch t.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("terminal.log_level: one of debug, info, warn, error; got %q", t.LogLevel)
	}
	if len(c.Providers.Enabled) == 0 {
		bad("providers.enabled: enable at least one of acountpay, accrue, cryptogw")
	}
	seen := map[string]bool{}
	for _, p := range c.Providers.Enabled {
		if seen[p] {
			bad("providers.enabled: %q listed twice", p)
		}
		seen[p] = true
		switch p {
		case "acountpay":
			a := &c.AcountPay
			if a.Variant != "oauth" && a.Variant != "partner" {
				bad("acountpay.variant: \"oauth\" or \"partner\", got %q", a.Variant)
			}
			need(&errs, "acountpay.base_url", a.BaseURL)
			need(&errs, "acountpay.client_id", a.ClientID)
			need(&errs, "acountpay.merchant_client_id", a.MerchantClientID)
			if a.ClientSecret, err = secret("acountpay", "client_secret", a.ClientSecret, a.ClientSecretFile, true); err != nil {
				errs = append(errs, err)
			}
			if a.WebhookSecret, err = secret("acountpay", "webhook_secret", a.WebhookSecret, a.WebhookSecretFile, false); err != nil {
				errs = append(errs, err)
			}
		case "accrue":
			a := &c.Accrue
			need(&errs, "accrue.base_url", a.BaseURL)
			need(&errs, "accrue.client_id", a.ClientID)
			if a.ClientSecret, err = secret("accrue", "client_secret", a.ClientSecret, a.ClientSecretFile, true); err != nil {
				errs = append(errs, err)
			}
			if a.WebhookSecret, err = secret("accrue", "webhook_secret", a.WebhookSecret, a.WebhookSecretFile, false); err != nil {
				errs = append(errs, err)
			}
			for _, m := range a.Methods {
				if m != "scan" && m != "phone" {
					bad("accrue.methods: \"scan\" and/or \"phone\", got %q", m)
				}
			}
		case "cryptogw":
			g := &c.CryptoGW
			need(&errs, "cryptogw.base_url", g.BaseURL)
			need(&errs, "cryptogw.username", g.Username)
			need(&errs, "cryptogw.pos_id", g.PosID)
			if g.APIKey, err = secret("cryptogw", "api_key", g.APIKey, g.APIKeyFile, true); err != nil {
				errs = append(errs, err)
			}
			if len(g.Currencies) == 0 {
				bad("cryptogw.currencies: list at least one crypto currency, e.g. [\"BTC\"]")
			}
		default:
			bad("providers.enabled: unknown provider %q (acountpay, accrue, cryptogw)", p)
		}
	}
	switch c.Display.Driver {
	case "none", "fbdev":
	case "st7789", "ili9341":
		need(&errs, "display.spi_port", c.Display.SPIPort)
		need(&errs, "display.dc_pin", c.Display.DCPin)
		switch c.Display.Rotation {
		case 0, 90, 180, 270:
		default:
			bad("display.rotation: 0, 90, 180 or 270, got %d", c.Display.Rotation)
		}
	default:
		bad("display.driver: st7789, ili9341, fbdev or none; got %q", c.Display.Driver)
	}
	switch c.Keypad.Driver {
	case "none":
	case "evdev":
		need(&errs, "keypad.device", c.Keypad.Device)
	case "matrix":
		if len(c.Keypad.Rows) != 4 || (len(c.Keypad.Cols) != 3 && len(c.Keypad.Cols) != 4) {
			bad("keypad.rows/cols: a 4x3 or 4x4 matrix needs 4 rows and 3 or 4 columns")
		}
	default:
		bad("keypad.driver: evdev, matrix or none; got %q", c.Keypad.Driver)
	}
	switch c.Scanner.Layout {
	case "us", "de", "dk":
	default:
		bad("scanner.layout: us, de or dk; got %q", c.Scanner.Layout)
	}
	p := &c.Printer
	switch p.Driver {
	case "none":
	case "serial", "usb":
		need(&errs, "printer.device", p.Device)
	default:
		bad("printer.driver: serial, usb or none; got %q", p.Driver)
	}
	if p.Width != 58 && p.Width != 80 {
		bad("printer.width: 58 or 80 (mm), got %d", p.Width)
	}
	switch p.CodePage {
	case "pc858", "cp437", "wpc1252":
	default:
		bad("printer.codepage: pc858, cp437 or wpc1252; got %q", p.CodePage)
	}
	switch p.FlowControl {
	case "none", "pace", "xonxoff":
	default:
		bad("printer.flow_control: none, pace or xonxoff; got %q", p.FlowControl)
	}
	switch p.Parity {
	case "none", "odd", "even":
	default:
		bad("printer.parity: none, odd or even; got %q", p.Parity)
	}
	if c.ECR.Listen != "" && !md.IsDefined("ecr", "password") {
		if pw, _ := secret("ecr", "password", "", "", false); pw != "" {
			c.ECR.Password = pw
		}
	}
	if e := c.ECR; e.Listen != "" {
		if !strings.HasPrefix(e.Listen, "tcp://") && !strings.HasPrefix(e.Listen, "serial:") {
			bad("ecr.listen: tcp://HOST:PORT or serial:/dev/ttyX, got %q", e.Listen)
		}
		if len(e.Password) != 6 || strings.Trim(e.Password, "0123456789") != "" {
			bad("ecr.password: 6 digits")
		}
		if len(e.TerminalID) != 8 || strings.Trim(e.TerminalID, "0123456789") != "" {
			bad("ecr.terminal_id: 8 digits")
		}
		if e.Baud != 9600 && e.Baud != 19200 && e.Baud != 38400 && e.Baud != 57600 && e.Baud != 115200 {
			bad("ecr.baud: 9600, 19200, 38400, 57600 or 115200; got %d", e.Baud)
		}
	}
	return errs
}

func need(errs *[]error, key, v string) {
	if strings.TrimSpace(v) == "" {
		*errs = append(*errs, fmt.Errorf("missing %s", key))
	}
}

// Bounds returns the configured amount limits in minor units.
func (c *Config) Bounds() (minMinor, maxMinor int64) {
	a, _ := money.Parse(c.Terminal.MinAmount, c.Terminal.Currency)
	b, _ := money.Parse(c.Terminal.MaxAmount, c.Terminal.Currency)
	return a.Minor, b.Minor
}
